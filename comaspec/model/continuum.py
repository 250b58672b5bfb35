"""Continuum models: one class each, all with the same small protocol.

A continuum adds ``size(i)`` linear columns to the design matrix of spectrum ``i`` and may
have nonlinear shape parameters (fitted by lmfit, by name). The fitter and the result code
only use the protocol below, so a third continuum is one new class here (and a name in
`CONTINUA` for the command line).

Protocol (duck-typed)::

    name : str                                   label in outputs ("polynomial", "physical")
    sizes(coverage) -> list[int]                 linear columns per spectrum
    names(coverage, i) -> list[str]              their parameter names, in column order
    columns(coverage, i, wavelength_um, shape) -> ndarray (n, size)
    parameters(geometry) -> list[ShapeParameter] nonlinear parameters by name, start values, bounds
    defined(coverage, i, wavelength_um) -> bool mask where the continuum is modelled
    info(shape) -> dict                          what fit_info reports about the shape

``shape`` is a dict of the nonlinear parameter values by name (missing names: defaults).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from .._choices import CONTINUUM_MODELS
from ..errors import InputError, UsageError
from .kernels import equilibrium_temperature, legendre_basis, physical_continuum_basis
from .parameters import ParameterHint

__all__ = ["Window", "DEFAULT_WINDOWS", "default_windows", "window_ranges", "ShapeParameter", "PolynomialContinuum",  # noqa: F822 (DEFAULT_WINDOWS: module __getattr__)
           "PhysicalContinuum", "CONTINUA", "make_continuum"]


@dataclass(frozen=True)
class Window:
    """A wavelength window fitted with its own continuum polynomial.

    Parameters
    ----------
    name : str
        Label (used in parameter names and outputs).
    lo_um, hi_um : float
        Wavelength range, µm.
    degree : int
        Degree of the Legendre polynomial continuum in this window.
    """

    name: str
    lo_um: float
    hi_um: float
    degree: int = 2

    def __post_init__(self):
        if not (self.hi_um > self.lo_um > 0):
            raise InputError(f"window {self.name}", f"needs 0 < lo < hi (got {self.lo_um}, {self.hi_um})")
        if not 0 <= int(self.degree) <= 6:
            raise InputError(f"window {self.name}", f"degree must be 0..6 (got {self.degree})")


@functools.cache
def _table_windows():
    """The windows of ``linelists/fit_windows.ecsv`` and the names of those used in every fit."""
    from ..physics import molecules

    rows = molecules.fit_windows()
    return (tuple(Window(w["name"], w["lo_um"], w["hi_um"], w["degree"]) for w in rows),
            tuple(w["name"] for w in rows if w["always"]))


def __getattr__(name):
    # DEFAULT_WINDOWS: the default continuum windows (tuple of Window), from
    # linelists/fit_windows.ecsv (names, ranges, default degrees) on first access (PEP 562), so
    # that importing the model reads no table. Each band names its window in the fit_window
    # column of bands.ecsv; "2.7um" and "4.5um" are used in every fit, "3.3um" (CH4, C2H6)
    # only when a fitted species has a band in it (`default_windows`).
    if name == "DEFAULT_WINDOWS":
        return _table_windows()[0]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def default_windows(species):
    """The default windows for a fit of ``species``.

    Parameters
    ----------
    species : sequence of str
        Fitted species (names in ``linelists/bands.ecsv``).

    Returns
    -------
    tuple of Window
        The windows marked ``always`` in ``linelists/fit_windows.ecsv`` ("2.7um" and
        "4.5um"), and any other window of `DEFAULT_WINDOWS` that a band of one of ``species``
        names as its fit window (``bands.ecsv``).
    """
    from ..physics import molecules

    named = {b.fit_window for s in species if s in molecules.SPECIES
             for f in molecules.features_of(s) for b in molecules.bands_of(s, f)}
    windows, always = _table_windows()
    return tuple(w for w in windows if w.name in always or w.name in named)


def window_ranges(windows=None, species=None):
    """The wavelength ranges (µm) of fit windows: what a cube must hold to be fitted.

    Parameters
    ----------
    windows : sequence of Window, optional
        Default: `default_windows` of ``species``, or every window of `DEFAULT_WINDOWS`
        when the species are not known either (what any fit with the default windows needs).
    species : sequence of str, optional
        The fitted species.

    Returns
    -------
    list of (float, float)
    """
    if windows is None:
        windows = _table_windows()[0] if species is None else default_windows(species)
    return [(float(w.lo_um), float(w.hi_um)) for w in windows]


#: A nonlinear continuum parameter: lmfit name, start value and bounds (role "continuum").
ShapeParameter = ParameterHint


def _ident(text):
    return "".join(c if c.isalnum() else "_" for c in text)


class PolynomialContinuum:
    """Legendre polynomials of each window's degree, fitted only inside the windows.

    Parameters
    ----------
    windows : sequence of Window
    """

    name = "polynomial"

    def __init__(self, windows):
        self.windows = tuple(windows)

    def sizes(self, coverage):
        """Linear columns per spectrum: Σ (degree + 1) over its used windows."""
        return [sum(w.degree + 1 for w, _ in per_win) for per_win in coverage.win_pix]

    def names(self, coverage, i):
        """``c{i}_{window}_{k}`` for each used window of spectrum i and degree k."""
        return [f"c{i}_{_ident(w.name)}_{k}" for w, _ in coverage.win_pix[i] for k in range(w.degree + 1)]

    def columns(self, coverage, i, wavelength_um, shape=None):
        """Legendre columns of each used window, zero outside it."""
        wl = np.asarray(wavelength_um, dtype=float)
        blocks = []
        for w, _ in coverage.win_pix[i]:
            inside = (wl >= w.lo_um) & (wl <= w.hi_um)
            blocks.append(np.where(inside[:, None], legendre_basis(wl, w.lo_um, w.hi_um, w.degree), 0.0))
        return np.hstack(blocks) if blocks else np.zeros((wl.size, 0))

    def parameters(self, geometry):
        """No nonlinear parameters."""
        return []

    def defined(self, coverage, i, wavelength_um):
        """Inside one of the used windows of spectrum i."""
        wl = np.asarray(wavelength_um, dtype=float)
        inside = np.zeros(wl.size, dtype=bool)
        for w, _ in coverage.win_pix[i]:
            inside |= (wl >= w.lo_um) & (wl <= w.hi_um)
        return inside

    def info(self, shape):
        """Nothing beyond the windows (reported by the fitter)."""
        return {}


class PhysicalContinuum:
    """Scattered sunlight with a spectral slope + dust thermal emission (two columns per spectrum).

    The slope (power of λ/3.5 µm, bounded to ±4) and the dust temperature (starting at the
    equilibrium temperature at rh, bounded to 0.5-3 times it) are fitted, shared by all
    spectra.
    """

    name = "physical"

    def sizes(self, coverage):
        """Two columns for each spectrum with fitted pixels."""
        return [2 if used.any() else 0 for used in coverage.used]

    def names(self, coverage, i):
        """``scat_{i}``, ``therm_{i}``."""
        return [f"scat_{i}", f"therm_{i}"] if coverage.used[i].any() else []

    def columns(self, coverage, i, wavelength_um, shape=None):
        """Both columns, normalised to 1 at 3.5 µm."""
        wl = np.asarray(wavelength_um, dtype=float)
        if not coverage.used[i].any():
            return np.zeros((wl.size, 0))
        shape = shape or {}
        return physical_continuum_basis(wl, shape.get("cont_slope", 0.0), shape.get("cont_dust_T"))

    def parameters(self, geometry):
        """``cont_slope`` and ``cont_dust_T`` (needs the heliocentric distance)."""
        if geometry is None:
            raise UsageError("the physical continuum needs the heliocentric distance (geometry)")
        t0 = _equilibrium_temperature(float(geometry.rh.to_value("au")))
        return [ShapeParameter("cont_slope", 0.0, -4.0, 4.0), ShapeParameter("cont_dust_T", t0, 0.5 * t0, 3.0 * t0)]

    def defined(self, coverage, i, wavelength_um):
        """Everywhere."""
        return np.ones(np.shape(wavelength_um), dtype=bool)

    def info(self, shape):
        """The fitted slope and dust temperature."""
        return {"continuum_slope": float(shape["cont_slope"]), "dust_temperature_K": float(shape["cont_dust_T"])}


@functools.lru_cache(maxsize=64)
def _equilibrium_temperature(rh_au):
    """`equilibrium_temperature` kept per distance (its astropy constants cost more than a
    design evaluation; every model of a fit asks for the same distance)."""
    return equilibrium_temperature(rh_au)


#: Continuum models by name (the names the command line and ``fit_coma(continuum=)`` accept,
#: `comaspec._choices.CONTINUUM_MODELS`).
CONTINUA = dict(zip(CONTINUUM_MODELS, (PolynomialContinuum, PhysicalContinuum), strict=True))


def make_continuum(continuum, windows):
    """A continuum object from a name in `CONTINUA` or an object following the protocol.

    Parameters
    ----------
    continuum : str or continuum object
    windows : sequence of Window
        The fit windows (used by the polynomial continuum).

    Returns
    -------
    continuum object
    """
    if isinstance(continuum, str):
        if continuum not in CONTINUA:
            raise UsageError(f"continuum must be {' or '.join(repr(c) for c in CONTINUA)} (got {continuum!r})")
        cls = CONTINUA[continuum]
        return cls(windows) if cls is PolynomialContinuum else cls()
    needed = ("name", "sizes", "names", "columns", "parameters", "defined", "info")
    missing = [a for a in needed if not hasattr(continuum, a)]
    if missing:
        raise UsageError(f"continuum must be a name or an object with {', '.join(needed)} "
                         f"(missing {', '.join(missing)})")
    return continuum
