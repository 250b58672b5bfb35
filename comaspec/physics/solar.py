"""The solar spectrum that pumps fluorescence: the E490 continuum, or the high-resolution
spectrum seen at the comet's heliocentric radial velocity.

E490 (the default): ``linelists/solar_irradiance.ecsv`` (``linelists/make_solar_irradiance.py``,
ASTM E490-00a), log-log interpolation of F_lambda (W m^-2 µm^-1):
F_nu~ = F_lambda lambda^2 / 1e4 (W m^-2 (cm^-1)^-1), divided by the photon energy h c nu~ and
by 1e4 cm^2 m^-2.

Meftah et al. 2023:

``linelists/solar_meftah2023.ecsv`` (built by ``linelists/build_solar_meftah.py`` from Meftah
et al. 2023, Remote Sensing 15, 3560; vacuum wavelengths, see the builder) resolves the
Fraunhofer lines at 1.3-1.46, 2.5-3.6 and 4-5 µm. A molecule moving away from the Sun at
``rdot`` absorbs at its rest wavenumber nu0 the solar photons emitted at
``nu0 (1 + rdot / c)`` (first order in rdot / c): its pump rate follows the solar lines as
rdot changes (the Swings effect). The smooth E490 continuum stays the default
(:mod:`comaspec.physics.fluorescence`).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .._choices import DEFAULT_SOLAR, SOLAR_SPECTRA
from .._ranges import RANGES
from ..errors import InputError

__all__ = ["SOLAR_SPECTRA", "DEFAULT_SOLAR", "photon_flux", "solar_photon_flux", "meftah_photon_flux",
           "check_solar", "check_rdot"]

# SOLAR_SPECTRA (what the fluorescence model can pump with) and DEFAULT_SOLAR (the smooth
# ASTM E490-00a continuum, no Swings effect) are named in comaspec._choices for the command line.
_C_KM_S = 299792.458
# |rdot| beyond which a first-order Doppler shift and a coma model no longer make sense
_RDOT_MAX_KM_S = RANGES["rdot"][1]


@functools.cache
def _hc_j_cm():
    from astropy import constants as const
    from astropy import units as u

    return float((const.h * const.c).to_value(u.J * u.cm))


@functools.cache
def _e490_table():
    from .molecules import _read

    table = _read("solar_irradiance.ecsv")
    wave = table["wavelength"].quantity.to_value("um")
    flux = table["irradiance"].quantity.to_value("W / (m2 um)")
    return np.log(wave), np.log(flux), (float(wave.min()), float(wave.max()))


def _e490_photons(nu):
    log_wave, log_flux, (lo, hi) = _e490_table()
    wave = 1e4 / nu
    if wave.size and (wave.min() < lo * (1 - 1e-9) or wave.max() > hi * (1 + 1e-9)):
        raise InputError("solar spectrum", f"tabulated for {lo:g}-{hi:g} um only; lines at "
                                           f"{wave.min():.3f}-{wave.max():.3f} um")
    f_lambda = np.exp(np.interp(np.log(wave), log_wave, log_flux))
    return f_lambda * wave * wave / 1e4 / (_hc_j_cm() * nu) / 1e4


def photon_flux(wavenumber_cm, solar=DEFAULT_SOLAR, rdot_km_s=0.0):
    """Solar photon flux at 1 au per unit wavenumber, photons s^-1 cm^-2 (cm^-1)^-1 (floats).

    Parameters
    ----------
    wavenumber_cm : array_like
        Rest wavenumbers of the absorbing lines, cm^-1.
    solar : {"e490", "meftah2023"}
        E490 continuum, or Meftah et al. 2023 seen at ``rdot_km_s``; beyond the Meftah
        windows (1.3-1.46, 2.5-3.6, 4-5 µm: e.g. CO P-branch lines beyond 5 µm) the E490
        continuum, as documented in docs/emission.rst.
    rdot_km_s : float
        Heliocentric radial velocity, km/s (used with "meftah2023" only).

    Returns
    -------
    ndarray
    """
    nu = np.asarray(wavenumber_cm, dtype=np.float64)
    if solar != "meftah2023":
        return _e490_photons(nu)
    flux, inside = meftah_photon_flux(nu, rdot_km_s, _hc_j_cm())
    if np.all(inside):
        return flux
    return np.where(inside, flux, _e490_photons(nu))


def solar_photon_flux(wavenumber):
    """Solar photon flux at 1 au per unit wavenumber, from the E490-00a spectrum.

    Parameters
    ----------
    wavenumber : `~astropy.units.Quantity` or array_like
        Wavenumbers (1/cm if no unit), within 1.3-6.6 µm.

    Returns
    -------
    `~astropy.units.Quantity`
        Photons s^-1 cm^-2 (cm^-1)^-1.
    """
    from astropy import units as u

    nu = u.Quantity(wavenumber, 1 / u.cm).to_value(1 / u.cm, equivalencies=u.spectral())
    return photon_flux(nu) / (u.s * u.cm**2 / u.cm)


def check_solar(solar):
    """The solar-spectrum name, or InputError naming the choices."""
    if solar not in SOLAR_SPECTRA:
        raise InputError("solar spectrum", f"must be one of {', '.join(SOLAR_SPECTRA)}, got {solar!r}")
    return solar


def check_rdot(rdot):
    """Heliocentric radial velocity as a float in km/s (a number or a velocity Quantity)."""
    if isinstance(rdot, (bool, np.bool_)):
        raise InputError("rdot", f"must be a velocity in km/s, got {rdot!r}")
    try:
        value = float(getattr(rdot, "to_value", lambda unit: rdot)("km/s"))
    except Exception as exc:
        raise InputError("rdot", f"must be a velocity in km/s, got {rdot!r}") from exc
    if not (math.isfinite(value) and abs(value) <= _RDOT_MAX_KM_S):
        raise InputError("rdot", f"must be finite and within +-{_RDOT_MAX_KM_S:g} km/s, got {value}")
    return value


@functools.cache
def _meftah():
    from .molecules import _read

    table = _read("solar_meftah2023.ecsv")
    wave_nm = np.asarray(table["wavelength"].quantity.to_value("nm"), dtype=np.float64)
    flux = np.asarray(table["irradiance"].quantity.to_value("W / (m2 nm)"), dtype=np.float64)
    windows = [tuple(w) for w in table.meta["windows_nm"]]
    return wave_nm, flux, windows


def meftah_photon_flux(wavenumber_cm, rdot_km_s=0.0, hc_j_cm=1.98644586e-23):
    """Solar photon flux at 1 au per unit wavenumber seen by a molecule at ``rdot_km_s``.

    Parameters
    ----------
    wavenumber_cm : array_like
        Rest wavenumbers of the absorbing lines, cm^-1.
    rdot_km_s : float
        Heliocentric radial velocity, km/s (positive: moving away from the Sun).
    hc_j_cm : float
        h c in J cm (`photon_flux` passes CODATA's value from astropy).

    Returns
    -------
    flux : ndarray
        Photons s^-1 cm^-2 (cm^-1)^-1, linear interpolation of F_lambda at the Doppler-shifted
        wavelength; NaN outside the three tabulated windows.
    inside : ndarray of bool
        Whether each shifted wavelength is within a window.
    """
    wave_nm, flux, windows = _meftah()
    nu = np.asarray(wavenumber_cm, dtype=np.float64) * (1.0 + rdot_km_s / _C_KM_S)
    lam_nm = 1e7 / nu
    inside = np.zeros(lam_nm.shape, dtype=bool)
    for lo, hi in windows:
        inside |= (lam_nm >= lo) & (lam_nm <= hi)
    f_lambda = np.interp(lam_nm, wave_nm, flux) * 1e3          # W m^-2 µm^-1
    lam_um = lam_nm / 1e3
    f_nu = f_lambda * lam_um * lam_um / 1e4                      # W m^-2 (cm^-1)^-1
    return np.where(inside, f_nu / (hc_j_cm * nu) / 1e4, np.nan), inside
