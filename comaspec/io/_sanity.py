"""Plausibility of what a file claims: flux levels and wavelengths that betray a wrong unit.

A table whose values are Jy-sized but whose header says erg s⁻¹ cm⁻² Å⁻¹ converts to
absurd flux densities (~1e10 Jy); Ångström values labelled µm become "6500–52486 µm".
Both read without an error, so they are checked here against deliberately loose
envelopes, several orders of magnitude wider than any JWST spectrum:

- flux density: the median |flux| of the good points between `FLUX_DENSITY_RANGE_JY`
  (JWST spectra span roughly 1e-8 Jy, deep faint sources, to a few hundred Jy,
  saturation of the brightest extended targets; the envelope adds a factor 100 each
  side), surface brightness between `SURFACE_BRIGHTNESS_RANGE_MJY_SR` (the upper end is
  above the Sun's photosphere at these wavelengths, ~1e9 MJy/sr, so laboratory radiances
  of hot gas cells pass);
- wavelength: inside `WAVELENGTH_RANGE_UM` (JWST's 0.6–28.5 µm, rounded outwards).

These are unit checks, not physics constants: a spectrum outside is not impossible,
only far more likely mislabelled than real.
"""

from __future__ import annotations

import astropy.units as u
import numpy as np

__all__ = ["FLUX_DENSITY_RANGE_JY", "SURFACE_BRIGHTNESS_RANGE_MJY_SR", "WAVELENGTH_RANGE_UM",
           "flux_envelope", "level_problem", "flux_scale_problem", "wavelength_problem", "problems"]

#: median |F_nu| (Jy) outside this range means the flux unit is almost surely wrong
FLUX_DENSITY_RANGE_JY = (1e-10, 1e5)
#: median |I_nu| (MJy/sr) outside this range means the unit is almost surely wrong
SURFACE_BRIGHTNESS_RANGE_MJY_SR = (1e-7, 1e10)
#: wavelengths (µm) outside this range suggest a wrong wavelength unit
WAVELENGTH_RANGE_UM = (0.5, 30.0)


def _label(meta):
    src = meta.get("source_file") or "spectrum"
    ext = meta.get("extension")
    return f"{src} [{ext}]" if ext else str(src)


#: Points checked at a time by `_good` (a cube's whole-array temporaries took 3 GB).
_BLOCK = 1 << 22


def _good(flux, mask):
    """|flux| of the finite, unmasked, positive points, in the flux's own float type, taken a
    block at a time (counted, then copied: one array of the result's size)."""
    flat = np.asarray(flux).reshape(-1)
    if flat.dtype.kind != "f":
        flat = flat.astype(float)
    bad = None if mask is None else np.broadcast_to(np.asarray(mask, dtype=bool), np.shape(flux)).reshape(-1)

    def kept(a):
        v = np.abs(flat[a:a + _BLOCK])
        keep = np.isfinite(v) & (v > 0)
        if bad is not None:
            keep &= ~bad[a:a + _BLOCK]
        return v, keep

    starts = range(0, flat.size, _BLOCK)
    out = np.empty(sum(int(kept(a)[1].sum()) for a in starts), dtype=flat.dtype)
    pos = 0
    for a in starts:
        v, keep = kept(a)
        n = int(keep.sum())
        out[pos:pos + n] = v[keep]
        pos += n
    return out


def _median(values):
    """``float(np.median(values.astype(float)))`` without a copy: ``values`` (a cube's stay
    float32) is partitioned in place and the middle two are averaged in float64."""
    k = values.size // 2
    values.partition([k - 1, k] if values.size % 2 == 0 else k)
    return float(values[k]) if values.size % 2 else (float(values[k - 1]) + float(values[k])) / 2


def flux_envelope(unit):
    """The unit a flux level is judged in, its plausible range and the unit's short name.

    Parameters
    ----------
    unit : astropy.units.UnitBase or None

    Returns
    -------
    (astropy.units.UnitBase, (float, float), str) or None
        ``(Jy, FLUX_DENSITY_RANGE_JY, "Jy")`` for a flux density,
        ``(MJy/sr, SURFACE_BRIGHTNESS_RANGE_MJY_SR, "MJy/sr")`` for a surface brightness,
        None for a unit that is not judged.
    """
    if unit is None:
        return None
    if unit.is_equivalent(u.Jy):
        return u.Jy, FLUX_DENSITY_RANGE_JY, "Jy"
    if unit.is_equivalent(u.MJy / u.sr):
        return u.MJy / u.sr, SURFACE_BRIGHTNESS_RANGE_MJY_SR, "MJy/sr"
    return None


def level_problem(level, envelope, label="spectrum", original_unit=None):
    """The sentence of `flux_scale_problem` for a median flux level already taken, or None.

    Parameters
    ----------
    level : float
        Median |flux| of the good points, in ``envelope``'s unit.
    envelope : tuple
        As returned by `flux_envelope`.
    label, original_unit : str
        As in `flux_scale_problem`.

    Returns
    -------
    str or None
    """
    _, (lo, hi), shown = envelope
    if lo <= level <= hi:
        return None
    stated = f" from the stated unit {original_unit}" if original_unit else ""
    return (f"{label}: the median flux level is {level:.3g} {shown}{stated}, outside {lo:g}-{hi:g} {shown} "
            "(far beyond anything JWST records): the flux unit is probably wrong")


def flux_scale_problem(flux, mask=None, label="spectrum", original_unit=None):
    """Say why a spectrum's flux level is implausible for its unit, or None.

    Parameters
    ----------
    flux : `~astropy.units.Quantity`
        Flux density (any spectral flux-density unit convertible to Jy at its own
        wavelengths must already be in Jy) or surface brightness.
    mask : array_like of bool, optional
        True for bad points.
    label : str
        Names the spectrum in the message.
    original_unit : str, optional
        The unit the file stated, quoted in the message.

    Returns
    -------
    str or None
        One sentence, or None when the level is plausible (or cannot be judged).
    """
    envelope = flux_envelope(getattr(flux, "unit", None))
    if envelope is None:
        return None
    values = _good(flux.to_value(envelope[0]), mask)
    if values.size == 0:
        return None
    return level_problem(_median(values), envelope, label, original_unit)


def wavelength_problem(wavelength_um, label="spectrum"):
    """Say why a spectrum's wavelengths suggest a wrong unit, or None.

    Parameters
    ----------
    wavelength_um : array_like
        Wavelengths in µm as read.
    label : str
        Names the spectrum in the message.

    Returns
    -------
    str or None
    """
    w = np.asarray(wavelength_um, dtype=float)
    w = w[np.isfinite(w)]
    if w.size == 0:
        return None
    lo, hi = WAVELENGTH_RANGE_UM
    if w.min() >= lo and w.max() <= hi:
        return None
    return (f"{label}: wavelengths {w.min():.5g}-{w.max():.5g} um reach outside {lo:g}-{hi:g} um "
            "(JWST's range): is the wavelength unit right (e.g. Angstrom or nm labelled um)?")


def problems(obj, *, flux=True, wavelength=True):
    """Every plausibility problem of a spectrum, a list of spectra or a cube.

    Parameters
    ----------
    obj : specutils.Spectrum, SpectrumList, list, `comaspec.io.Cube` or `comaspec.io.cube_scan.CubeStatistics`
        What `comaspec.io.read_any` (or `comaspec.io.read_summary`) returned.
    flux, wavelength : bool
        Which checks to run.

    Returns
    -------
    list of str
        One sentence per problem (empty when all is plausible).
    """
    items = list(obj) if isinstance(obj, (list, tuple)) else [obj]
    out = []
    for item in items:
        meta = dict(getattr(item, "meta", {}) or {})
        label = _label(meta)
        if hasattr(item, "flux_problem"):  # a CubeStatistics: its level was judged while scanning
            wave, flux_text = item.wavelength.to_value(u.um), item.flux_problem if flux else None
        elif hasattr(item, "bunit"):  # a Cube
            values = u.Quantity(item.flux, item.bunit, copy=False)   # no copy of a cube
            wave, mask = item.wavelength.to_value(u.um), item.mask
            flux_text = flux_scale_problem(values, mask, label, meta.get("original_flux_unit")) if flux else None
        elif hasattr(item, "spectral_axis"):
            values, mask = item.flux, item.mask
            wave = item.spectral_axis.to_value(u.um, equivalencies=u.spectral())
            flux_text = flux_scale_problem(values, mask, label, meta.get("original_flux_unit")) if flux else None
        else:
            continue
        if flux_text:
            out.append(flux_text)
        if wavelength:
            text = wavelength_problem(wave, label)
            if text:
                out.append(text)
    return out
