"""Checks every reader applies, and the light spectrum type the readers build.

The readers return a `LightSpectrum` (numpy arrays and Quantities, what the fitter reads);
the public functions (`comaspec.read_spectrum`, `comaspec.extract_spectrum`,
`comaspec.average_integrations`) turn it into a `specutils.Spectrum` with `to_public`.
``comaspec ratio``, ``map`` and batch workers never import specutils, whose import (with
ndcube, gwcs and pyplot) cost more than the rest of the command.

Rules (documented in docs/reading.rst):

- rows with a non-finite wavelength are dropped (counted in ``meta["n_dropped"]``);
- wavelengths that are not increasing are sorted (``meta["sorted"] = True``);
- a wavelength that occurs twice is an error (which of the two values is right?);
- mask (True = bad) = DQ DO_NOT_USE, or non-finite flux, or an error that is not
  a positive finite number;
- no finite flux at all, or no positive error at all, is an error.
"""

from __future__ import annotations

import astropy.units as u
import numpy as np

from ..errors import InputError

__all__ = ["build_spectrum", "DO_NOT_USE", "LightSpectrum", "LightSpectrumList", "StdDev", "to_public"]

#: JWST data-quality bit 0, "DO_NOT_USE" (JWST pipeline DQ flag definitions).
DO_NOT_USE = 1


class StdDev:
    """1-σ uncertainties of a `LightSpectrum`: the part of `astropy.nddata.StdDevUncertainty`
    that comaspec reads (``array``, ``unit``, ``quantity``, ``uncertainty_type``)."""

    uncertainty_type = "std"

    def __init__(self, array, unit):
        self.array, self.unit = array, unit

    @property
    def quantity(self):
        """The uncertainties as a Quantity."""
        return u.Quantity(self.array, self.unit, copy=False)


class LightSpectrum:
    """A checked 1-D spectrum without specutils.

    Attributes
    ----------
    spectral_axis : astropy.units.Quantity
        Wavelengths (µm), increasing.
    flux : astropy.units.Quantity
    uncertainty : StdDev or None
    mask : numpy.ndarray of bool
        True where a point is bad.
    meta : dict
    """

    __slots__ = ("spectral_axis", "flux", "uncertainty", "mask", "meta")

    def __init__(self, spectral_axis, flux, uncertainty=None, mask=None, meta=None):
        self.spectral_axis, self.flux, self.uncertainty = spectral_axis, flux, uncertainty
        self.mask, self.meta = mask, dict(meta or {})

    def to_specutils(self):
        """The same spectrum as a `specutils.Spectrum` (arrays shared, not copied).

        Returns
        -------
        specutils.Spectrum
        """
        from astropy.nddata import StdDevUncertainty
        from specutils import Spectrum

        return Spectrum(flux=self.flux, spectral_axis=self.spectral_axis, mask=self.mask, meta=self.meta,
                        uncertainty=None if self.uncertainty is None else StdDevUncertainty(self.uncertainty.array))


class LightSpectrumList(list):
    """Several `LightSpectrum` read from one file (a `specutils.SpectrumList` at the public boundary)."""


def to_public(obj):
    """A reader's result as the public API returns it: specutils objects, anything else unchanged.

    Parameters
    ----------
    obj : LightSpectrum, LightSpectrumList or other

    Returns
    -------
    specutils.Spectrum, specutils.SpectrumList or ``obj``
    """
    if isinstance(obj, LightSpectrum):
        return obj.to_specutils()
    if isinstance(obj, LightSpectrumList):
        from specutils import SpectrumList

        return SpectrumList([s.to_specutils() for s in obj])
    return obj


def build_spectrum(source, where, wavelength_um, flux, error=None, dq=None, meta=None, extras=None):
    """Check the arrays of one spectrum and return it as a `LightSpectrum`.

    Parameters
    ----------
    source : str
        The file, for error messages.
    where : str or None
        The extension or part of the file, for error messages.
    wavelength_um : array_like
        Wavelengths in µm.
    flux : astropy.units.Quantity
        Flux in Jy or MJy/sr.
    error : astropy.units.Quantity, optional
        1-σ uncertainty in the unit of ``flux``.
    dq : array_like of int, optional
        JWST data-quality flags.
    meta : dict, optional
        Metadata; completed with ``n_points``, ``n_good``, ``sorted`` and ``n_dropped``.
    extras : dict of str to array, optional
        Per-point arrays (e.g. ``npixels``) kept in ``meta`` in the final order.

    Returns
    -------
    LightSpectrum
    """
    label = source if where is None else f"{source} [{where}]"
    wave = np.asarray(wavelength_um, dtype=float).ravel()
    flux_unit = flux.unit
    fval = np.asarray(flux.value, dtype=float).ravel()
    if wave.size != fval.size:
        raise InputError(label, f"wavelength and flux lengths differ ({wave.size} vs {fval.size})")
    if wave.size == 0:
        raise InputError(label, "holds no data rows")
    eval_ = None if error is None else np.asarray(error.to_value(flux_unit), dtype=float).ravel()
    dq = None if dq is None else np.asarray(dq).ravel().astype(np.int64)
    extras = {k: np.asarray(v).ravel() for k, v in (extras or {}).items()}
    meta = dict(meta or {})

    keep = np.isfinite(wave)
    n_dropped = int(wave.size - keep.sum())
    if not keep.any():
        raise InputError(label, "no finite wavelength values")
    order = np.flatnonzero(keep)
    w = wave[order]
    is_sorted = bool(np.all(np.diff(w) > 0))
    if not is_sorted:
        order = order[np.argsort(w, kind="stable")]
        w = wave[order]
        dup = np.flatnonzero(np.diff(w) == 0)
        if dup.size:
            raise InputError(
                label,
                f"duplicated wavelengths ({dup.size} repeats, first at {w[dup[0]]:.6g} um); "
                "merge or remove the repeated rows",
            )
    if np.any(w <= 0):
        raise InputError(label, f"non-positive wavelengths (minimum {w.min():.6g} um)")

    f = fval[order]
    bad = ~np.isfinite(f)
    if bad.all():
        raise InputError(label, "all flux values are non-finite (NaN or inf)")
    if eval_ is not None:
        e = eval_[order]
        with np.errstate(invalid="ignore"):
            good_err = np.isfinite(e) & (e > 0)
        if not good_err.any():
            raise InputError(label, "errors are zero, negative or non-finite everywhere")
        bad |= ~good_err
    else:
        e = None
    if dq is not None:
        bad |= (dq[order] & DO_NOT_USE) != 0
    if bad.all():
        raise InputError(label, "every point is flagged bad (DQ DO_NOT_USE, non-finite flux or bad error)")

    for key, arr in extras.items():
        meta[key] = arr[order]
    meta.update(n_points=int(w.size), n_good=int((~bad).sum()), sorted=not is_sorted, n_dropped=n_dropped)
    return LightSpectrum(u.Quantity(w, u.um), u.Quantity(f, flux_unit), None if e is None else StdDev(e, flux_unit),
                         bad, meta)
