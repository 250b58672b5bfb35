"""Resolving power R(λ) of the instrument modes, and the mode named in a spectrum's metadata.

R(λ) of each mode is a small cited table, ``linelists/resolving_power.ecsv`` (a few points
read off the published curves), interpolated linearly in wavelength. Re-exported by
`comaspec.physics.instrument`.
"""

import functools
import re

import numpy as np

from .._paths import linelists_dir
from ..errors import InputError

__all__ = ["MODES", "RANGE_MARGIN_UM", "resolving_power", "mode_range", "mode_reference", "mode_from_meta"]

# MODES (the instrument modes with a resolving-power table) is read from
# linelists/resolving_power.ecsv on first access (module __getattr__ below): a new mode is a
# block of rows there, nothing in the code.

#: How far (µm) beyond either end of a mode's table R(λ) may still be evaluated, by
#: extending the end segment of the table linearly. Further out is an InputError.
RANGE_MARGIN_UM = 0.1

_TABLE_FILE = "resolving_power.ecsv"


# ---------------------------------------------------------------------------------------------
# Resolving-power tables
# ---------------------------------------------------------------------------------------------
def _mode_order(mode):
    """Presentation order of modes: PRISM, then by band (G140, G235, G395), M before H."""
    return (mode != "PRISM", mode[1:4], mode[-1:] != "M", mode)


@functools.lru_cache(maxsize=1)
def _modes():
    """The modes of the resolving-power table, in `_mode_order`."""
    return tuple(sorted(_tables(), key=_mode_order))


def __getattr__(name):
    # MODES comes from the resolving-power table on first access (PEP 562), so that
    # importing this module reads no file.
    if name == "MODES":
        return _modes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
@functools.lru_cache(maxsize=1)
def _tables():
    """Read the resolving-power table once: mode -> (wavelength_um, R, reference)."""
    from .._ecsv import read_ecsv

    path = linelists_dir() / _TABLE_FILE
    table = read_ecsv(path)
    wave_all = np.asarray(table["wavelength"].quantity.to_value("um"), dtype=np.float64)
    r_all = np.asarray(table["R"], dtype=np.float64)
    out = {}
    for mode in np.unique(np.asarray(table["mode"], dtype=str)):
        rows = np.asarray(table["mode"], dtype=str) == mode
        order = np.argsort(wave_all[rows])
        wave = wave_all[rows][order]
        rpow = r_all[rows][order]
        if wave.size < 2 or np.any(np.diff(wave) <= 0) or np.any(rpow <= 0):
            raise InputError(path, f"mode {mode}: needs >= 2 distinct wavelengths and R > 0")
        refs = sorted(set(np.asarray(table["reference"], dtype=str)[rows]))
        out[str(mode)] = (wave, rpow, "; ".join(refs))
    return out


def _known_mode(mode):
    """Return the MODES name for ``mode`` (a MODES name, any case, or e.g. 'NIRSPEC G395H/F290LP')."""
    if not isinstance(mode, str):
        raise InputError("mode", f"expected a mode name such as 'PRISM', got {mode!r}")
    name = mode.strip().upper()
    if name not in _modes():
        parsed = _parse_mode_string(name)
        name = parsed if parsed is not None else name
    if name in _modes():
        return name
    raise InputError(
        "mode",
        f"comaspec has no resolving-power table for {mode!r} (modes with one: {', '.join(_modes())}); "
        "pass the resolving power explicitly (a number R or a callable R(wavelength_um))",
    )


def mode_range(mode):
    """Wavelength range covered by a mode's resolving-power table.

    Parameters
    ----------
    mode : str
        A name in :data:`MODES`.

    Returns
    -------
    tuple of float
        ``(first, last)`` tabulated wavelength in µm. :func:`resolving_power` accepts
        wavelengths up to :data:`RANGE_MARGIN_UM` beyond these.
    """
    wave, _, _ = _tables()[_known_mode(mode)]
    return float(wave[0]), float(wave[-1])


def mode_reference(mode):
    """Bibliographic reference of a mode's resolving-power table.

    Parameters
    ----------
    mode : str
        A name in :data:`MODES`.

    Returns
    -------
    str
        The ``reference`` column of ``linelists/resolving_power.ecsv`` for that mode.
    """
    return _tables()[_known_mode(mode)][2]


def _as_um(values, name):
    """Plain float64 array in µm from an array or a length Quantity."""
    from .._validate import not_boolean

    not_boolean(values, name)
    unit = getattr(values, "unit", None)
    if unit is not None:
        from astropy import units as u

        try:
            values = values.to_value(u.um, equivalencies=u.spectral())
        except u.UnitConversionError as exc:
            raise InputError(name, f"cannot convert unit {unit} to um") from exc
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(name, f"must be numbers in um or a length Quantity (got {values!r:.60})") from None
    if not np.all(np.isfinite(arr)):
        raise InputError(name, "contains NaN or infinite values")
    return arr


def _interp_r(mode, wave_um):
    """R at ``wave_um`` (linear interpolation; end segments extended linearly up to the
    margin); NaN where the wavelength is further than RANGE_MARGIN_UM outside the table."""
    wave, rpow, _ = _tables()[mode]
    out = np.interp(wave_um, wave, rpow)
    below = wave_um < wave[0]
    above = wave_um > wave[-1]
    if np.any(below):
        slope = (rpow[1] - rpow[0]) / (wave[1] - wave[0])
        out[below] = rpow[0] + slope * (wave_um[below] - wave[0])
    if np.any(above):
        slope = (rpow[-1] - rpow[-2]) / (wave[-1] - wave[-2])
        out[above] = rpow[-1] + slope * (wave_um[above] - wave[-1])
    outside = (wave_um < wave[0] - RANGE_MARGIN_UM) | (wave_um > wave[-1] + RANGE_MARGIN_UM)
    out[outside] = np.nan
    return out


def resolving_power(mode, wavelength_um):
    """Resolving power R = λ/FWHM of an instrument mode at the given wavelengths.

    Interpolates the mode's table in ``linelists/resolving_power.ecsv`` linearly in
    wavelength. Up to :data:`RANGE_MARGIN_UM` (0.1 µm) beyond the ends of the table the end
    segment is extended linearly; further out is an error.

    Parameters
    ----------
    mode : str
        A name in :data:`MODES` (case-insensitive), or a JWST mode string such as
        ``"NIRSPEC G395H/F290LP"``.
    wavelength_um : array_like or astropy.units.Quantity
        Wavelengths (µm if plain numbers).

    Returns
    -------
    numpy.ndarray
        R at each wavelength (float64, same shape as the input).

    Raises
    ------
    InputError
        Unknown mode, a mode without a table, or a wavelength outside the mode's range.
    """
    name = _known_mode(mode)
    wave_um = _as_um(wavelength_um, "wavelength")
    out = _interp_r(name, np.atleast_1d(wave_um).astype(np.float64, copy=True))
    if np.any(np.isnan(out)):
        lo, hi = mode_range(name)
        bad = np.atleast_1d(wave_um)[np.isnan(out)]
        raise InputError(
            "wavelength",
            f"{bad[0]:.4g} um is outside the {name} resolving-power table "
            f"({lo:.3f}-{hi:.3f} um, +/- {RANGE_MARGIN_UM} um allowed)",
        )
    return out.reshape(np.shape(wave_um))


# ---------------------------------------------------------------------------------------------
# Metadata
# ---------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _vocabulary():
    """(pattern matching any tabulated disperser name, disperser -> [(instrument, mode)]), from the table."""
    from astropy.table import Table

    table = Table.read(linelists_dir() / _TABLE_FILE, format="ascii.ecsv")
    by_disperser = {}
    for mode, instrument, disperser in zip(table["mode"], table["instrument"], table["disperser"]):
        entry = (str(instrument).upper(), str(mode))
        entries = by_disperser.setdefault(str(disperser).upper(), [])
        if entry not in entries:
            entries.append(entry)
    names = sorted(by_disperser, key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")
    by_channel = {(str(i).upper(), str(c).upper(), str(b).upper()): str(m)
                  for m, i, c, b in zip(table["mode"], table["instrument"], table["channel"], table["band"])
                  if str(c) and str(b)}
    return pattern, by_disperser, by_channel


def _parse_mode_string(text):
    """The tabulated mode whose disperser (and instrument, when the text names one) a mode string
    such as 'NIRSPEC PRISM/CLEAR' names, else None."""
    pattern, by_disperser, _ = _vocabulary()
    words = text.upper().replace("_", " ").replace("-", " ").replace("/", " ")
    match = pattern.search(words)
    if match is None:
        return None
    entries = by_disperser[match.group(1)]
    named = [mode for instrument, mode in entries if re.search(rf"\b{re.escape(instrument)}\b", words)]
    if named:
        return named[0]
    return entries[0][1] if len(entries) == 1 else None


def _lower_keys(meta):
    """Case-insensitive view of a dict-like (dict, OrderedDict, astropy Header)."""
    try:
        items = list(meta.items())
    except AttributeError:
        return {}
    return {str(key).lower(): value for key, value in items}


def mode_from_meta(meta):
    """Instrument mode of a spectrum from its metadata.

    Everything is read from ``linelists/resolving_power.ecsv`` (its ``instrument``,
    ``disperser``, ``channel`` and ``band`` columns), so a new mode is rows there. Takes
    ``meta["grating"]`` (the field the readers fill from the JWST keyword ``GRATING``) when it
    names a tabulated mode; then ``meta["instrument"]``, ``meta["channel"]`` and
    ``meta["band"]`` when a row has that channel and band (an IFU such as MIRI MRS); otherwise
    looks, case-insensitively, for a tabulated disperser name (and its instrument, where the
    same disperser name belongs to more than one) in ``meta["mode"]`` (e.g.
    ``"NIRSPEC PRISM/CLEAR"``, ``"NIRSPEC G395H/F290LP"``), then in ``meta["grating"]``. The
    filter does not change R and is not needed.

    Parameters
    ----------
    meta : dict-like
        Spectrum metadata (``Spectrum.meta``, a FITS header, or a plain dict).

    Returns
    -------
    str or None
        A name in :data:`MODES`, or None when the metadata do not name a tabulated mode
        (unknown instrument, or a disperser without a table such as G140M: then the user
        must pass R).
    """
    keys = _lower_keys(meta)
    grating = keys.get("grating")
    if isinstance(grating, str) and grating.strip().upper() in _modes():
        return grating.strip().upper()  # the readers give the disperser as a field: no parsing
    channel, band = keys.get("channel"), keys.get("band")
    if channel is not None and band is not None:  # an IFU mode selected by channel and band (MIRI MRS)
        mode = _vocabulary()[2].get((str(keys.get("instrument", "")).strip().upper(), str(channel).strip().upper(),
                                     str(band).strip().upper()))
        if mode is not None and mode in _modes():
            return mode
    for key in ("mode", "grating"):
        value = keys.get(key)
        if isinstance(value, str):
            name = _parse_mode_string(value)
            if name is not None:
                return name if name in _modes() else None
    return None


