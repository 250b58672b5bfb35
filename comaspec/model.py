"""The forward model: continuum + Σ_X Q_X · A_X(geometry, aperture) · S_X(λ; T_rot, LSF).

This is the one place the spectrum of a coma is computed; the fitter (:mod:`comaspec.fit`)
and the synthetic-spectrum generator (:mod:`comaspec.synthetic`) both call it.

For each species X and each of its bands b,

* ``A_b = production.flux_per_unit_Q(X, b, geometry, aperture)`` is the band flux (W m^-2)
  that Q = 1 molecule/s produces in the aperture (Haser model, g-factor, lifetime, velocity);
* ``S_b(λ) = templates.band_profile(X, b, λ - shift, T_rot, lsf)`` is the unit-area band
  shape on the pixel grid (µm^-1), seen through the instrument's line-spread function.

The gas spectrum is ``Σ_X Q_X Σ_b A_b S_b(λ)`` in W m^-2 µm^-1. The bands of one species
are tied by their A_b (so the H2O 4.63/4.85 µm hot bands follow the 2.7 µm complex).

Inside the fitter each species' amplitude is the band flux of one *feature* (the species'
default feature when it is covered, e.g. the H2O 2.7 µm complex): the species' column is
``Σ_b (A_b / Φ) S_b`` with ``Φ = Σ_{b in feature} A_b``, so Q = flux / Φ. Species without
a published g-factor (13CO2, OCS) are fitted as band fluxes only (Φ unknown, Q not given).

The continuum is either low-order Legendre polynomials over wavelength windows around the
bands (:data:`DEFAULT_WINDOWS` avoid the 3 µm water-ice absorption and the 3.3–3.5 µm
organics), or a physical model: scattered sunlight (a blackbody at the Sun's effective
temperature, from IAU/CODATA constants) with a spectral slope, plus thermal emission of
dust (a blackbody; its temperature starts at the equilibrium value for the heliocentric
distance).

Everything here works on plain float64 arrays in µm and W m^-2 µm^-1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from .errors import FitError, InputError, UsageError

__all__ = [
    "Window",
    "DEFAULT_WINDOWS",
    "DEFAULT_SPECIES",
    "ObservedSpectrum",
    "legendre_basis",
    "planck_lambda",
    "sun_temperature",
    "equilibrium_temperature",
    "physical_continuum_basis",
    "band_weights",
    "unit_q_spectrum",
    "gas_spectrum",
    "ForwardModel",
    "lsf_fwhm_um",
]

#: Species fitted by default.
DEFAULT_SPECIES = ("CO2", "H2O", "CO")
#: Emission model of the band templates (see `comaspec.fluorescence`).
DEFAULT_EMISSION = "fluorescence"
#: H2O ortho/para ratio used unless given or fitted (the high-temperature limit).
DEFAULT_ORTHO_PARA = 3.0


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


#: Default continuum windows. "2.7um" holds the H2O 2.7 µm complex and stops short of the
#: 3 µm water-ice absorption; "4.5um" holds CO2, 13CO2, CO, OCS and the H2O hot bands.
#: Nothing between 2.9 and 4.05 µm is fitted (ice band, 3.3-3.5 µm organics).
DEFAULT_WINDOWS = (Window("2.7um", 2.45, 2.90, 3), Window("4.5um", 4.05, 5.10, 4))


@dataclass
class ObservedSpectrum:
    """One spectrum as the model sees it: float64 arrays in fixed units.

    Parameters
    ----------
    wavelength_um : ndarray
        Pixel centres, µm, strictly increasing.
    flux, error : ndarray
        Flux density and 1σ uncertainty, W m^-2 µm^-1.
    good : ndarray of bool
        Pixels that may be used (finite, error > 0, not flagged).
    lsf : object
        Line-spread function with ``integrate_lines`` and ``fwhm_um``.
    label : str
        Name for outputs (e.g. the file name).
    mode : str or None
        Instrument mode.
    meta : dict
        Anything else (instrument, target, source file).
    """

    wavelength_um: np.ndarray
    flux: np.ndarray
    error: np.ndarray
    good: np.ndarray
    lsf: object
    label: str = "spectrum"
    mode: str | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.wavelength_um = np.asarray(self.wavelength_um, dtype=np.float64)
        self.flux = np.asarray(self.flux, dtype=np.float64)
        self.error = np.asarray(self.error, dtype=np.float64)
        n = self.wavelength_um.size
        if self.wavelength_um.ndim != 1 or n < 2:
            raise InputError(self.label, "needs a 1-D spectrum of at least 2 pixels")
        if self.flux.shape != (n,) or self.error.shape != (n,):
            raise InputError(self.label, "wavelength, flux and error must have the same length")
        if np.any(np.diff(self.wavelength_um) <= 0):
            raise InputError(self.label, "wavelengths must increase strictly")
        good = np.asarray(self.good, dtype=bool) & np.isfinite(self.flux) & np.isfinite(self.error)
        self.good = good & (np.where(np.isfinite(self.error), self.error, 0.0) > 0)


# ------------------------------------------------------------------------------ continuum
def legendre_basis(wavelength_um, lo_um, hi_um, degree):
    """Legendre polynomials P_0..P_degree of x = 2(λ − lo)/(hi − lo) − 1.

    Parameters
    ----------
    wavelength_um : ndarray
        Wavelengths, µm.
    lo_um, hi_um : float
        Window ends (x = ±1).
    degree : int
        Highest degree.

    Returns
    -------
    ndarray, shape (n, degree + 1)
    """
    x = 2.0 * (np.asarray(wavelength_um, dtype=float) - lo_um) / (hi_um - lo_um) - 1.0
    return np.polynomial.legendre.legvander(x, int(degree))


@cache
def _radiation_constants():
    """(2 h c^2 in W m^2 → W m^-2 µm^-1 sr^-1 µm^5, h c / k_B in µm K), CODATA via astropy."""
    import astropy.constants as const
    import astropy.units as u

    c1 = float((2 * const.h * const.c**2).to_value(u.W * u.um**4 / u.m**2))
    c2 = float((const.h * const.c / const.k_B).to_value(u.um * u.K))
    return c1, c2


def planck_lambda(wavelength_um, temperature_K):
    """Blackbody spectral radiance B_λ(T) in W m^-2 µm^-1 sr^-1.

    Parameters
    ----------
    wavelength_um : ndarray
        Wavelengths, µm.
    temperature_K : float
        Temperature, K.

    Returns
    -------
    ndarray
    """
    c1, c2 = _radiation_constants()
    lam = np.asarray(wavelength_um, dtype=float)
    return c1 / lam**5 / np.expm1(c2 / (lam * temperature_K))


@cache
def sun_temperature() -> float:
    """Effective temperature of the Sun, K, from the IAU 2015 nominal L_sun and R_sun.

    Returns
    -------
    float
        (L_sun / (4π R_sun² σ_SB))^(1/4).
    """
    import astropy.constants as const
    import astropy.units as u

    t4 = const.L_sun / (4 * math.pi * const.R_sun**2 * const.sigma_sb)
    return float(t4.to_value(u.K**4) ** 0.25)


def equilibrium_temperature(rh_au) -> float:
    """Temperature of a fast-rotating black sphere at ``rh_au`` au, K.

    Parameters
    ----------
    rh_au : float
        Heliocentric distance, au.

    Returns
    -------
    float
        (L_sun / (16 π σ_SB rh²))^(1/4).
    """
    import astropy.constants as const
    import astropy.units as u

    t4 = const.L_sun / (16 * math.pi * const.sigma_sb * (rh_au * u.au) ** 2)
    return float(t4.to(u.K**4).value ** 0.25)


#: Reference wavelength (µm) where both physical continuum terms are normalised to 1;
#: a pure normalisation choice, not a physical number.
_PHYS_REF_UM = 3.5


def physical_continuum_basis(wavelength_um, slope, dust_temperature_K):
    """Two continuum columns: scattered sunlight with a spectral slope, and dust thermal emission.

    Parameters
    ----------
    wavelength_um : ndarray
        Wavelengths, µm.
    slope : float
        Power of (λ / 3.5 µm) multiplying the solar spectrum (reddening of the dust).
    dust_temperature_K : float
        Temperature of the thermal blackbody.

    Returns
    -------
    ndarray, shape (n, 2)
        Both columns are 1 at 3.5 µm; their amplitudes are the fitted linear parameters.
    """
    lam = np.asarray(wavelength_um, dtype=float)
    ts = sun_temperature()
    scat = planck_lambda(lam, ts) / planck_lambda(_PHYS_REF_UM, ts) * (lam / _PHYS_REF_UM) ** slope
    therm = planck_lambda(lam, dust_temperature_K) / planck_lambda(_PHYS_REF_UM, dust_temperature_K)
    return np.column_stack([scat, therm])


# ------------------------------------------------------------------------------ gas
def _molecules():
    from . import molecules

    return molecules


def _band_profile(species, band, wavelength_um, T_rot, lsf, emission=DEFAULT_EMISSION, ortho_para=3.0):
    from .templates import band_profile

    return band_profile(species, band, wavelength_um, T_rot, lsf, ortho_para=ortho_para, emission=emission)


def _flux_per_unit_q(species, band, geometry, aperture, **kwargs):
    """Band flux for Q = 1/s, W m^-2; None when the band has no g-factor (and none was given)."""
    import astropy.units as u

    from .production import flux_per_unit_Q

    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    if kwargs.get("g_factor") is None and not np.isfinite(_molecules().get_band(species, band).g_1au):
        return None
    return float(u.Quantity(flux_per_unit_Q(species, band, geometry, aperture, **kwargs)).to_value(u.W * u.s / u.m**2))


def _per_species(value, species):
    return value.get(species) if isinstance(value, dict) else value


def _band_g_factors(species, g_total):
    """Per-band g (1/s at 1 au) for a user-given total g of the species' default feature.

    As in `comaspec.production.production_rate`, the total is split over the feature's bands
    in the tabulated proportions; the species' other bands keep their tabulated ratio to it
    (e.g. the H2O hot bands to the 2.7 µm complex). None: the tabulated values.
    """
    import astropy.units as u

    if g_total is None:
        return {}
    mol = _molecules()
    g_total = u.Quantity(g_total).to(1 / u.s)
    tab = {b.band: b.g_1au for f in mol.features_of(species) for b in mol.bands_of(species, f)}
    ref = sum(b.g_1au for b in mol.bands_of(species))
    if len(tab) == 1:
        return {band: g_total for band in tab}
    if not all(np.isfinite(v) for v in tab.values()):
        raise InputError(f"g_factor of {species}", "cannot be split over bands without tabulated g-factors")
    return {band: g_total * (g / ref) for band, g in tab.items()}


def band_weights(species, geometry, aperture, features=None, *, velocity=None, lifetime=None, g_factor=None):
    """Band flux per unit production rate, A_b, of every band of ``species``.

    Parameters
    ----------
    species : str
        Species name.
    geometry : `comaspec.Geometry`
    aperture : comaspec aperture
    features : sequence of str, optional
        Features to include (default: all of the species').
    velocity : Quantity, optional
        Expansion velocity (km/s); default the velocity law.
    lifetime, g_factor : Quantity or dict by species, optional
        Lifetime at 1 au; total g-factor at 1 au of the species' default feature (split over
        its bands in the tabulated proportions, as `comaspec.production.production_rate`).

    Returns
    -------
    dict
        ``{(feature, band): A_b}`` in W m^-2 per (molecule/s); A_b is None for bands without
        a g-factor.
    """
    mol = _molecules()
    features = mol.features_of(species) if features is None else features
    g_bands = _band_g_factors(species, _per_species(g_factor, species))
    tau = _per_species(lifetime, species)
    out = {}
    for feature in features:
        for band in mol.bands_of(species, feature):
            out[(feature, band.band)] = _flux_per_unit_q(species, band.band, geometry, aperture,
                                                         velocity=velocity, lifetime=tau,
                                                         g_factor=g_bands.get(band.band))
    return out


def unit_q_spectrum(species, wavelength_um, T_rot, lsf, geometry, aperture, *, shift_um=0.0,
                    features=None, velocity=None, lifetime=None, g_factor=None, emission=DEFAULT_EMISSION,
                    ortho_para=DEFAULT_ORTHO_PARA):
    """Spectrum of one species for Q = 1 molecule/s: Σ_b A_b S_b(λ), W m^-2 µm^-1 per (1/s).

    Parameters
    ----------
    species : str
    wavelength_um : ndarray
        Pixel centres, µm.
    T_rot : float
        Rotational temperature, K.
    lsf : object
        Line-spread function (``integrate_lines``).
    geometry, aperture
        Observing geometry and aperture.
    shift_um : float
        Wavelength shift of the model (observed = rest + shift).
    features : sequence of str, optional
        Features to include (default all).
    velocity, lifetime, g_factor : optional
        Passed to `comaspec.production.flux_per_unit_Q`.
    emission : {"fluorescence", "thermal"}
        Emission model of the band templates.
    ortho_para : float
        H2O ortho/para ratio.

    Returns
    -------
    ndarray
    """
    wl = np.asarray(wavelength_um, dtype=float) - shift_um
    out = np.zeros_like(wl)
    for (_feature, band), a in band_weights(species, geometry, aperture, features, velocity=velocity,
                                            lifetime=lifetime, g_factor=g_factor).items():
        if a is None:
            raise InputError(f"{species} {band}", "has no published g-factor: pass g_factor= to model it")
        out += a * _band_profile(species, band, wl, T_rot, lsf, emission, ortho_para)
    return out


def gas_spectrum(production_rates, wavelength_um, T_rot, lsf, geometry, aperture, *, shift_um=0.0,
                 velocity=None, lifetime=None, g_factor=None, emission=DEFAULT_EMISSION,
                 ortho_para=DEFAULT_ORTHO_PARA):
    """Σ_X Q_X · (spectrum per unit Q of X), W m^-2 µm^-1.

    Parameters
    ----------
    production_rates : dict
        Species → Q in molecules/s (plain float or Quantity).
    wavelength_um : ndarray
    T_rot : float or dict
        One rotational temperature (K) or one per species.
    lsf, geometry, aperture, shift_um, velocity, lifetime, g_factor, emission, ortho_para
        As in `unit_q_spectrum`.

    Returns
    -------
    ndarray
    """
    out = np.zeros(np.shape(wavelength_um))
    for species, q in production_rates.items():
        q = float(getattr(q, "to_value", lambda unit: q)("1/s"))
        t = T_rot[species] if isinstance(T_rot, dict) else T_rot
        out += q * unit_q_spectrum(species, wavelength_um, t, lsf, geometry, aperture, shift_um=shift_um,
                                   velocity=velocity, lifetime=lifetime, g_factor=g_factor,
                                   emission=emission, ortho_para=ortho_para)
    return out


# ------------------------------------------------------------------------------ fit model
@dataclass
class _SpeciesSetup:
    """How one species enters the fit."""

    name: str
    covered: bool = False
    feature: str | None = None          # reported feature
    phi: float | None = None             # A summed over the reported feature (W m^-2 s)
    # per spectrum: list of (band, weight relative to the reported feature's flux)
    terms: list = field(default_factory=list)
    covered_features: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    why_not_covered: str | None = None  # for the user, when covered is False
    # bands whose origin is uncertain enough to be fitted (molecules.Band.center_err_cm),
    # band -> centre (um); and the bound of the species' origin offset (cm^-1)
    origin_bands: dict = field(default_factory=dict)
    origin_bound_cm: float = 0.0


class ForwardModel:
    """The forward model of one or several spectra of one coma, set up for fitting.

    Parameters are the band fluxes of each covered species (shared by all spectra), the
    continuum (per spectrum), the rotational temperature(s) and a wavelength shift per
    spectrum. The model is linear in band fluxes and continuum amplitudes at fixed
    T_rot / shift / continuum shape: `design` returns that linear system.

    Parameters
    ----------
    spectra : list of ObservedSpectrum
    species : sequence of str
    geometry : `comaspec.Geometry` or None
        None: band fluxes only (no production rates).
    apertures : list
        One aperture per spectrum (ignored without geometry).
    windows : sequence of Window, optional
        Continuum windows (default `DEFAULT_WINDOWS`); only pixels inside them are fitted.
    continuum : {"polynomial", "physical"}
        Continuum model.
    velocity, lifetime, g_factor : optional
        Passed to `comaspec.production.flux_per_unit_Q`.
    emission : {"fluorescence", "thermal"}
        Emission model of the band templates (`comaspec.templates`).
    """

    def __init__(self, spectra, species, geometry, apertures, *, windows=None, continuum="polynomial",
                 velocity=None, lifetime=None, g_factor=None, emission=DEFAULT_EMISSION):
        if continuum not in ("polynomial", "physical"):
            raise UsageError(f"continuum must be 'polynomial' or 'physical' (got {continuum!r})")
        self.spectra = list(spectra)
        self.geometry = geometry
        self.apertures = list(apertures)
        self.windows = tuple(DEFAULT_WINDOWS if windows is None else windows)
        self.continuum = continuum
        from .templates import _check_emission

        self.emission = _check_emission(emission)
        self.notes = []
        mol = _molecules()
        for s in species:
            if s not in mol.SPECIES:
                raise InputError(f"species {s!r}", f"unknown; known species: {', '.join(mol.SPECIES)}")
        self._select_pixels()
        self.species = {s: self._setup_species(s, velocity, lifetime, g_factor) for s in species}
        self.fitted_species = [s for s, v in self.species.items() if v.covered]
        if not self.fitted_species:
            raise FitError("none of the requested bands (" + ", ".join(species) + ") lies in the usable "
                           "part of the spectrum")
        self._cont_layout()
        self.n_points = int(sum(u.sum() for u in self.used))
        self.n_linear = len(self.fitted_species) + sum(self.cont_sizes)

    # -------------------------------------------------------------- set-up
    def _select_pixels(self):
        self.used, self.win_pix = [], []
        for sp in self.spectra:
            wl = sp.wavelength_um
            used = np.zeros(wl.size, dtype=bool)
            per_win = []
            for w in self.windows:
                idx = np.flatnonzero(sp.good & (wl >= w.lo_um) & (wl <= w.hi_um))
                if idx.size >= max(8, 2 * (w.degree + 1)):
                    used[idx] = True
                    per_win.append((w, idx))
            self.used.append(used)
            self.win_pix.append(per_win)
        if not any(u.any() for u in self.used):
            ranges = ", ".join(f"{w.lo_um}-{w.hi_um} um" for w in self.windows)
            label = self.spectra[0].label if len(self.spectra) == 1 else "the spectra"
            in_windows = sum(int(np.sum(self._in_windows(sp.wavelength_um))) for sp in self.spectra)
            bad_errors = sum(int(np.sum(self._in_windows(sp.wavelength_um) & ~(np.isfinite(sp.error) & (sp.error > 0))))
                             for sp in self.spectra)
            if in_windows and bad_errors > in_windows // 2:
                raise FitError(f"{label}: {bad_errors} of {in_windows} pixels in the fit windows ({ranges}) have no "
                               "valid uncertainty (NaN, zero or negative): cannot weight a fit")
            span = ", ".join(f"{sp.wavelength_um[0]:.2f}-{sp.wavelength_um[-1]:.2f} um" for sp in self.spectra)
            raise FitError(f"{label}: too few valid pixels in the fit windows ({ranges}) to fit "
                           f"({in_windows} pixels there, at least 8 per window needed; the data span {span})")

    def _in_windows(self, wavelength_um):
        inside = np.zeros(np.shape(wavelength_um), dtype=bool)
        for w in self.windows:
            inside |= (wavelength_um >= w.lo_um) & (wavelength_um <= w.hi_um)
        return inside

    def _band_covered(self, i, center_um):
        """Whether band centre lies well inside a used window of spectrum i with data near it."""
        return self._coverage_problem(i, center_um) is None

    def _coverage_problem(self, i, center_um):
        """Why a band centre is not usable in spectrum i (a short phrase), or None if it is."""
        sp = self.spectra[i]
        if not sp.wavelength_um[0] <= center_um <= sp.wavelength_um[-1]:
            # outside the data: the LSF need not (and may not) be defined there
            return f"outside the data ({sp.wavelength_um[0]:.2f}-{sp.wavelength_um[-1]:.2f} um)"
        fwhm = float(lsf_fwhm_um(sp.lsf, sp.wavelength_um, np.array([center_um]))[0])
        in_window = False
        for _w, idx in self.win_pix[i]:
            wl = sp.wavelength_um[idx]
            if wl[0] + fwhm <= center_um <= wl[-1] - fwhm:
                in_window = True
                near = np.abs(wl - center_um) <= max(fwhm, np.median(np.diff(wl)) * 1.5)
                if near.sum() >= 2:
                    return None
        if in_window:
            return "in masked or missing pixels"
        return "outside the fit windows (or too close to their edges)"

    def _setup_species(self, name, velocity, lifetime, g_factor):
        mol = _molecules()
        setup = _SpeciesSetup(name)
        cov_by_spec = []
        for i in range(len(self.spectra)):
            feats = [f for f in mol.features_of(name)
                     if all(self._band_covered(i, b.center_um) for b in mol.bands_of(name, f))]
            cov_by_spec.append(feats)
        covered = [f for f in mol.features_of(name) if any(f in c for c in cov_by_spec)]
        if not covered:
            setup.why_not_covered = self._why_not_covered(name)
            return setup
        setup.covered = True
        setup.covered_features = covered
        setup.feature = covered[0]  # features_of lists the default first
        from .templates import approximation

        for band in sorted({b.band for f in covered for b in mol.bands_of(name, f)}):
            note = approximation(name, band)
            if note:
                setup.notes.append(f"{name} {band}: approximate template ({note})")
        uncertain = [b for f in mol.features_of(name) for b in mol.bands_of(name, f)
                     if np.isfinite(b.center_err_cm) and b.center_err_cm > 0]
        setup.origin_bands = {b.band: b.center_um for b in uncertain}
        setup.origin_bound_cm = max((b.center_err_cm for b in uncertain), default=0.0)
        ref = next(i for i, c in enumerate(cov_by_spec) if setup.feature in c)
        if self.geometry is None:
            return self._setup_flux_only(setup, len(self.spectra))
        # Every band of the species is modelled in every spectrum, tied by its A_b: a band
        # outside the data adds nothing, and the wings of a band next to a covered range
        # (e.g. the 2.7 um complex at the blue end of G395H) are then accounted for.
        cache, weights = {}, []
        for ap in self.apertures:
            key = repr(ap.describe(self.geometry))
            if key not in cache:
                cache[key] = band_weights(name, self.geometry, ap, velocity=velocity, lifetime=lifetime,
                                          g_factor=g_factor)
            weights.append(cache[key])
        rep = [a for (f, _b), a in weights[ref].items() if f == setup.feature]
        if all(a is not None for a in rep):
            setup.phi = float(sum(rep))
        if setup.phi is None:
            if len(weights[ref]) > 1 or any(a is not None for a in weights[ref].values()):
                raise InputError(name, "some bands have g-factors and others not: pass g_factor= for all")
            setup.notes.append(f"{name}: no published g-factor; fitted as a band flux only (no Q)")
            for w in weights:
                setup.terms.append([(b, 1.0) for (_f, b) in w])
            if sum(1 for c in cov_by_spec if c) > 1:
                setup.notes.append(f"{name}: the same band flux is assumed in every spectrum")
        else:
            for w in weights:
                setup.terms.append([(b, a / setup.phi) for (_f, b), a in w.items()])
        return setup

    def _why_not_covered(self, name):
        """One phrase per spectrum and feature of ``name`` saying which of its bands is not
        usable and why, e.g. "4.7um has nu1-nu2 at 4.849 um in masked or missing pixels"."""
        mol = _molecules()
        per_spectrum = []
        for i, sp in enumerate(self.spectra):
            parts = []
            for feature in mol.features_of(name):
                bands = mol.bands_of(name, feature)
                bad = [(b, self._coverage_problem(i, b.center_um)) for b in bands]
                bad = [(b, why) for b, why in bad if why is not None]
                reasons = {why for _b, why in bad}
                if len(bad) == len(bands) and len(reasons) == 1:
                    parts.append(f"{feature} {reasons.pop()}")
                else:
                    parts.append(f"{feature} has " + ", ".join(f"{b.band} at {b.center_um:.3f} um {why}"
                                                           for b, why in bad))
            prefix = f"{sp.label}: " if len(self.spectra) > 1 else ""
            per_spectrum.append(prefix + "; ".join(parts))
        return " | ".join(per_spectrum)

    def _setup_flux_only(self, setup, n_spectra):
        """No geometry: band fluxes only. The bands of a species keep their relative strengths
        A_b ∝ g_b h c / λ_b (same molecules, same distance), so no Q is needed to tie them."""
        mol = _molecules()
        rel = {}
        for feature in mol.features_of(setup.name):
            for b in mol.bands_of(setup.name, feature):
                rel[(feature, b.band)] = b.g_1au / b.center_um
        rep = [a for (f, _b), a in rel.items() if f == setup.feature]
        if len(rel) > 1 and not all(np.isfinite(a) for a in rel.values()):
            raise InputError(setup.name, "some bands have no g-factor: their relative strengths are unknown")
        norm = float(sum(rep)) if len(rel) > 1 else None
        for _ in range(n_spectra):
            setup.terms.append([(b, (a / norm if norm else 1.0)) for (_f, b), a in rel.items()])
        setup.notes.append(f"{setup.name}: no geometry given, band flux only (no Q)")
        return setup

    def _cont_layout(self):
        self.cont_sizes = []
        for i in range(len(self.spectra)):
            if self.continuum == "polynomial":
                self.cont_sizes.append(sum(w.degree + 1 for w, _ in self.win_pix[i]))
            else:
                self.cont_sizes.append(2 if self.used[i].any() else 0)

    # -------------------------------------------------------------- names
    def linear_names(self):
        """Names of the linear parameters, in design-matrix column order."""
        names = [f"F_{s}" for s in self.fitted_species]
        for i in range(len(self.spectra)):
            if self.continuum == "polynomial":
                for w, _ in self.win_pix[i]:
                    names += [f"c{i}_{_ident(w.name)}_{k}" for k in range(w.degree + 1)]
            elif self.cont_sizes[i]:
                names += [f"scat_{i}", f"therm_{i}"]
        return names

    # -------------------------------------------------------------- evaluation
    def species_column(self, name, i, wavelength_um, T_rot, shift_um, origin_cm=0.0,
                       ortho_para=DEFAULT_ORTHO_PARA):
        """Spectrum of ``name`` per unit band flux (µm^-1) on ``wavelength_um`` of spectrum i.

        Parameters
        ----------
        name : str
        i : int
            Spectrum index.
        wavelength_um : ndarray
        T_rot : float
        shift_um : float
        origin_cm : float
            Offset of the band origin (cm^-1) applied to the bands of the species whose
            origin is uncertain (`origin_bounds`); 0 for the tabulated origin.
        ortho_para : float
            H2O ortho/para ratio.

        Returns
        -------
        ndarray
        """
        setup = self.species[name]
        out = np.zeros(np.shape(wavelength_um))
        wl = np.asarray(wavelength_um, dtype=float) - shift_um
        lsf = self.spectra[i].lsf
        for band, weight in setup.terms[i]:
            centre = setup.origin_bands.get(band)
            # nu -> nu + d moves the band by d lambda = -lambda^2 d / 1e4 (um, cm^-1)
            moved = wl if not origin_cm or centre is None else wl + centre * centre * origin_cm / 1e4
            out += weight * _band_profile(name, band, moved, T_rot, lsf, self.emission, ortho_para)
        return out

    @property
    def origin_bounds(self):
        """Fitted species whose band origin is uncertain: name -> bound of its offset, cm^-1."""
        return {s: self.species[s].origin_bound_cm for s in self.fitted_species
                if self.species[s].origin_bound_cm > 0}

    def continuum_columns(self, i, wavelength_um, slope=0.0, dust_T=None):
        """Continuum basis of spectrum i evaluated at ``wavelength_um`` (NaN outside windows)."""
        wl = np.asarray(wavelength_um, dtype=float)
        cols = np.zeros((wl.size, self.cont_sizes[i]))
        if self.continuum == "polynomial":
            k = 0
            for w, _ in self.win_pix[i]:
                inside = (wl >= w.lo_um) & (wl <= w.hi_um)
                block = legendre_basis(wl, w.lo_um, w.hi_um, w.degree)
                cols[:, k:k + w.degree + 1] = np.where(inside[:, None], block, 0.0)
                k += w.degree + 1
        elif self.cont_sizes[i]:
            cols[:] = physical_continuum_basis(wl, slope, dust_T)
        return cols

    def design(self, T_rot, shifts, slope=0.0, dust_T=None, pixels="used", origins=None,
               ortho_para=DEFAULT_ORTHO_PARA):
        """The linear system at fixed nonlinear parameters.

        Parameters
        ----------
        T_rot : dict
            Species → T_rot (K).
        shifts : sequence of float
            Wavelength shift per spectrum, µm.
        slope, dust_T : float
            Physical-continuum shape (ignored for polynomials).
        pixels : {"used", "all"}
            Fitted pixels only (concatenated) or every pixel (list per spectrum).
        origins : dict, optional
            Species → band-origin offset (cm^-1), for species in `origin_bounds`.
        ortho_para : float
            H2O ortho/para ratio.

        Returns
        -------
        ndarray or list of ndarray
            Columns in the order of `linear_names`: W m^-2 µm^-1 per unit parameter
            (band fluxes in W m^-2, continuum amplitudes in W m^-2 µm^-1).
        """
        blocks = []
        n_species = len(self.fitted_species)
        offsets = np.cumsum([0] + self.cont_sizes)
        for i, sp in enumerate(self.spectra):
            rows = slice(None) if pixels == "all" else self.used[i]
            wl = sp.wavelength_um[rows]
            block = np.zeros((wl.size, self.n_linear))
            if wl.size:
                for j, name in enumerate(self.fitted_species):
                    if self.species[name].terms[i]:
                        # on the spectrum's whole pixel grid: a pixel's edges are those of the
                        # detector, not midpoints to the next *fitted* pixel across a gap
                        column = self.species_column(name, i, sp.wavelength_um, T_rot[name], shifts[i],
                                                     (origins or {}).get(name, 0.0), ortho_para)
                        block[:, j] = column[rows]
                c0 = n_species + offsets[i]
                block[:, c0:c0 + self.cont_sizes[i]] = self.continuum_columns(i, wl, slope, dust_T)
            blocks.append(block)
        return blocks if pixels == "all" else np.vstack(blocks)

    def data(self):
        """(flux, error) of the fitted pixels, concatenated over spectra."""
        y = np.concatenate([sp.flux[u] for sp, u in zip(self.spectra, self.used)])
        e = np.concatenate([sp.error[u] for sp, u in zip(self.spectra, self.used)])
        return y, e

    def median_fwhm_um(self, i):
        """Median LSF FWHM over the fitted pixels of spectrum i, µm."""
        sp = self.spectra[i]
        wl = sp.wavelength_um[self.used[i]]
        if wl.size == 0:
            return 0.0
        return float(np.median(lsf_fwhm_um(sp.lsf, sp.wavelength_um, wl)))


def lsf_fwhm_um(lsf, grid_um, wavelength_um):
    """FWHM of ``lsf`` at ``wavelength_um`` (µm).

    Custom LSF objects need only ``integrate_lines`` (docs/instrument.rst); for those without
    ``fwhm_um`` the width used for coverage checks and shift bounds is two pixels of
    ``grid_um``. Errors from an LSF that has ``fwhm_um`` (e.g. a wavelength outside a mode's
    resolving-power table) propagate: they are never replaced by a guess.
    """
    wavelength_um = np.atleast_1d(np.asarray(wavelength_um, dtype=float))
    fwhm_um = getattr(lsf, "fwhm_um", None)
    if fwhm_um is not None:
        return np.atleast_1d(np.asarray(fwhm_um(wavelength_um), dtype=float))
    else:
        step = np.gradient(np.asarray(grid_um, dtype=float))
        return 2.0 * np.interp(wavelength_um, grid_um, step)


def _ident(text):
    return "".join(c if c.isalnum() else "_" for c in text)
