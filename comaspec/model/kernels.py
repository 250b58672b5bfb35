"""Pure-numpy kernels of the forward model: continuum shapes, blackbodies, LSF widths.

Plain float64 arrays in µm, K and W m^-2 µm^-1; no state, no Quantities. The constants come
from astropy.constants (CODATA / IAU 2015), nothing else.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

__all__ = ["legendre_basis", "planck_lambda", "sun_temperature", "equilibrium_temperature",
           "physical_continuum_basis", "lsf_fwhm_um", "PHYS_REF_UM"]


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
PHYS_REF_UM = 3.5


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
    scat = planck_lambda(lam, ts) / planck_lambda(PHYS_REF_UM, ts) * (lam / PHYS_REF_UM) ** slope
    therm = planck_lambda(lam, dust_temperature_K) / planck_lambda(PHYS_REF_UM, dust_temperature_K)
    return np.column_stack([scat, therm])


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

