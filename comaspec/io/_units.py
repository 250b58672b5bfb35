"""Units of spectra: parse what files say, convert to comaspec's working units.

Working units: wavelength in µm; flux density in Jy, or surface brightness in MJy/sr.
"""

from __future__ import annotations

import re
import warnings

import astropy.units as u
import numpy as np

from ..errors import InputError

__all__ = ["parse_unit", "unit_from_suffix", "to_micron", "to_working_flux", "FLUX_DENSITY", "SURFACE_BRIGHTNESS"]

FLUX_DENSITY = u.Jy
SURFACE_BRIGHTNESS = u.MJy / u.sr

# Spellings seen in spectrum files that astropy's generic parser does not know.
# Looked up case-insensitively, so no SI-prefixed names here (MJy is not mJy).
_ALIASES = {
    "microns": "micron",
    "µm": "um",
    "μm": "um",
    "angstrom": "Angstrom",
    "angstroms": "Angstrom",
    "a": "Angstrom",  # in a spectrum file "A" means ångström, never ampère
}

# All-lowercase spellings of jansky units, as in column names ("flux_mjy"); matched
# exactly, so "MJy" stays megajansky while "mjy" (never used for MJy) is millijansky.
_LOWERCASE = {"jy": "Jy", "mjy": "mJy", "ujy": "uJy", "µjy": "uJy", "μjy": "uJy", "njy": "nJy"}


_UNIT_LIKE = re.compile(r"[A-Za-z0-9 ._*/^()+-]{1,24}")

def _alias(name: str) -> str:
    if name in _LOWERCASE:
        return _LOWERCASE[name]
    return _ALIASES.get(name.lower(), name)


def _try_unit(text, fmt="generic"):
    """The unit ``text`` names in ``fmt``, or None."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", u.UnitsWarning)
        try:
            unit = u.Unit(text, format=fmt, parse_strict="raise")
        except (ValueError, TypeError):
            return None
    return None if isinstance(unit, u.UnrecognizedUnit) else unit


def parse_unit(text, source, what, *, quote=True) -> u.UnitBase:
    """Parse a unit written in a file or given by the user.

    Parameters
    ----------
    text : str or `~astropy.units.UnitBase`
        The unit as written (``"um"``, ``"micron"``, ``"Jy"``, ``"MJy/sr"``, ``"Jy^2"``).
    source : str
        Names the file in error messages.
    what : str
        Names the column or option in error messages.
    quote : bool
        Whether an unknown unit may be quoted in the message (False for a text file's
        header line, which is the file's content).

    Returns
    -------
    astropy.units.UnitBase

    Raises
    ------
    comaspec.InputError
        For a unit astropy does not know.
    """
    if isinstance(text, u.UnitBase):
        return text
    if isinstance(text, u.Quantity):
        raise InputError(source, f"{what}: give a unit, not a quantity ({text})")
    raw = str(text).strip()
    key = _alias(raw)
    for fmt in ("generic", "fits", "cds"):
        unit = _try_unit(key, fmt)
        if unit is not None:
            return unit
    # a unit written in a file is quoted only when it looks like one (not a line of any file)
    shown = f" {raw!r}" if quote and _UNIT_LIKE.fullmatch(raw) else ""
    raise InputError(source, f"unknown unit{shown} for {what}")


def unit_from_suffix(suffix: str):
    """Read a unit from a column-name suffix such as ``nm`` or ``uW_cm2_sr_nm``.

    A single token is one unit. Several ``_``-separated tokens follow the common
    ``numerator_denominator1_denominator2...`` convention (``erg_s_cm2_A`` is
    erg/s/cm²/Å): the first token divided by all the others.

    Parameters
    ----------
    suffix : str

    Returns
    -------
    astropy.units.UnitBase or None
        None when any token is not a unit.
    """
    tokens = [t for t in suffix.split("_") if t]
    if not tokens:
        return None
    units = []
    for token in tokens:
        # "cm2" means cm^2 in this convention.
        m = re.fullmatch(r"([A-Za-zµμ]+)(\d*)", token)
        if not m:
            return None
        unit = _try_unit(_alias(m.group(1)))
        if unit is None:
            return None
        units.append(unit ** int(m.group(2)) if m.group(2) else unit)
    result = units[0]
    for unit in units[1:]:
        result = result / unit
    return result


def to_micron(values, unit, source) -> np.ndarray:
    """Convert spectral-axis values to µm (wavelength, frequency or wavenumber).

    Parameters
    ----------
    values : array_like
    unit : astropy.units.UnitBase
    source : str

    Returns
    -------
    numpy.ndarray
        float64 wavelengths in µm.
    """
    try:
        return np.asarray(u.Quantity(values, unit).to_value(u.um, equivalencies=u.spectral()), dtype=float)
    except u.UnitConversionError:
        raise InputError(source, f"wavelength unit {unit} is not a wavelength, frequency or wavenumber") from None


def to_working_flux(values, unit, wavelength_um, source, what="flux"):
    """Convert flux values to Jy (flux density) or MJy/sr (surface brightness).

    Per-wavelength flux units (e.g. W m⁻² µm⁻¹) are converted to per-frequency
    ones with the spectral-density equivalency at each wavelength.

    Parameters
    ----------
    values : array_like
    unit : astropy.units.UnitBase
    wavelength_um : numpy.ndarray
        Wavelength of each value (µm), for per-wavelength units.
    source : str
    what : str
        Column name for messages.

    Returns
    -------
    astropy.units.Quantity
        In Jy or MJy/sr.
    """
    q = u.Quantity(values, unit, dtype=float, copy=True)
    equiv = u.spectral_density(wavelength_um * u.um)
    for target in (FLUX_DENSITY, SURFACE_BRIGHTNESS):
        try:
            if unit.is_equivalent(target) or unit.is_equivalent(target, equivalencies=equiv):
                return q.to(target, equivalencies=equiv)
        except u.UnitsError:
            continue
    raise InputError(
        source,
        f"{what} unit {unit} is neither a flux density (e.g. Jy) nor a surface brightness (e.g. MJy/sr)",
    )
