"""The forward model: continuum + Σ_X Q_X · A_X(geometry, aperture) · S_X(λ; T_rot, LSF).

This is the one place the spectrum of a coma is computed; the fitter (:mod:`comaspec.fit`),
the synthetic-spectrum generator (:mod:`comaspec.synthetic`) and the cube maps call it.
It is built from small parts:

``kernels``
    pure-numpy functions: Legendre and blackbody continua, LSF widths;
``continuum``
    the fit windows and one class per continuum model (`PolynomialContinuum`,
    `PhysicalContinuum`), all with one protocol;
``coverage``
    which pixels are fitted and why a band is (not) covered;
``species``
    one component per species: band templates tied by the flux ↔ Q object
    (`comaspec.production.FeatureWeights`);
``parameters``
    the nonlinear parameters by name: each part declares its own (`ParameterHint`: start
    value, bounds); a name → value mapping becomes the `NonlinearState` a design is
    evaluated at;
``columns``
    the cached template and continuum columns of the design;
``forward``
    `ForwardModel`, built once for a set of spectra; `ForwardModel.with_data` re-uses it for
    new data on the same pixels.

The continuum is either low-order Legendre polynomials over wavelength windows around the
bands (:data:`DEFAULT_WINDOWS` avoid the 3 µm water-ice absorption; the 3.3 µm organics
window is used only when CH4 or C2H6 is fitted, see :func:`default_windows`), or a physical model:
scattered sunlight (a blackbody at the Sun's effective
temperature, from IAU/CODATA constants) with a spectral slope, plus thermal emission of
dust (a blackbody; its temperature starts at the equilibrium value for the heliocentric
distance).

Everything here works on plain float64 arrays in µm and W m^-2 µm^-1.
"""

# DEFAULT_WINDOWS (read from linelists/fit_windows.ecsv) is exported lazily, below
from .continuum import (CONTINUA, PhysicalContinuum, PolynomialContinuum, ShapeParameter, Window, default_windows,
                        make_continuum)
from .coverage import Coverage
from .forward import ForwardModel, ObservedSpectrum
from .parameters import NonlinearState, ParameterHint
from .kernels import (equilibrium_temperature, legendre_basis, lsf_fwhm_um, physical_continuum_basis,
                      planck_lambda, sun_temperature)
from .species import (DEFAULT_EMISSION, DEFAULT_ORTHO_PARA, DEFAULT_SPECIES, SpeciesComponent, _band_profile,  # noqa: F401
                      band_weights, build_component, feature_weights, gas_spectrum, unit_q_spectrum)

__all__ = [
    "Window",
    "DEFAULT_WINDOWS",
    "default_windows",
    "DEFAULT_SPECIES",
    "DEFAULT_EMISSION",
    "DEFAULT_ORTHO_PARA",
    "ObservedSpectrum",
    "legendre_basis",
    "planck_lambda",
    "sun_temperature",
    "equilibrium_temperature",
    "physical_continuum_basis",
    "band_weights",
    "feature_weights",
    "unit_q_spectrum",
    "gas_spectrum",
    "ForwardModel",
    "lsf_fwhm_um",
    "Coverage",
    "SpeciesComponent",
    "build_component",
    "ShapeParameter",
    "ParameterHint",
    "NonlinearState",
    "PolynomialContinuum",
    "PhysicalContinuum",
    "CONTINUA",
    "make_continuum",
]


def _lazy_submodules():
    from .._lazy import lazy_exports

    return lazy_exports(__name__, globals(), {"DEFAULT_WINDOWS": "continuum"})


# every public module of the package is an attribute too, imported on first use
__getattr__, __dir__ = _lazy_submodules()
