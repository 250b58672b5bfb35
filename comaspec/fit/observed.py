"""A spectrum as the fit reads it: `as_observed` (units, errors, mask, mode and LSF checked)."""

from __future__ import annotations

import functools

import numpy as np

from ..errors import InputError
from ..model import ObservedSpectrum

__all__ = ["as_observed"]


def as_observed(spectrum, *, lsf=None, label=None) -> ObservedSpectrum:
    """Turn a `specutils.Spectrum` (or an ObservedSpectrum) into model units.

    Parameters
    ----------
    spectrum : specutils.Spectrum or ObservedSpectrum
        Flux density (any spectral flux-density unit) with a StdDevUncertainty.
    lsf : optional
        Line-spread function or anything `comaspec.instrument.make_lsf` accepts (a mode
        name, a resolving power); default: the mode named in the spectrum's metadata.
    label : str, optional
        Name for messages (default: the source file).

    Returns
    -------
    ObservedSpectrum
    """
    from ..physics import instrument

    if isinstance(spectrum, ObservedSpectrum):
        return spectrum
    import astropy.units as u

    meta = dict(getattr(spectrum, "meta", {}) or {})
    label = label or str(meta.get("source_file", "spectrum"))
    try:
        wl = spectrum.spectral_axis.to_value(u.um, equivalencies=u.spectral())
        flux_q = spectrum.flux
    except AttributeError:
        raise InputError(label, f"is not a spectrum (got {type(spectrum).__name__})") from None
    if spectrum.uncertainty is None:
        raise InputError(label, "has no flux uncertainties; the fit needs 1-sigma errors")
    err_q = spectrum.uncertainty.represent_as(_stddev_class()).quantity \
        if getattr(spectrum.uncertainty, "uncertainty_type", None) != "std" else spectrum.uncertainty.quantity
    try:
        flux, err = _flux_density(flux_q, err_q, wl)
    except u.UnitConversionError:
        if flux_q.unit.is_equivalent(u.MJy / u.sr):
            raise InputError(label, "holds surface brightness (per steradian); convert it to flux density "
                                    "through its aperture first: comaspec.io.surface.surface_brightness_to_flux"
                                    "(spectrum, aperture), as comaspec ratio does with --aperture-radius") from None
        raise InputError(label, f"flux unit {flux_q.unit} is not a spectral flux density") from None
    order = np.argsort(wl)
    mask = getattr(spectrum, "mask", None)
    good = np.ones(wl.size, dtype=bool) if mask is None else ~np.asarray(mask, dtype=bool)
    mode = instrument.mode_from_meta(meta)
    if lsf is None:
        if mode is None:
            raise InputError(label, "the instrument mode is unknown (no MODE/GRATING in the metadata); "
                                    "pass the mode or resolving power (--mode, lsf=)")
        lsf = mode
    lsf_obj = instrument.make_lsf(lsf)
    if getattr(lsf_obj, "mode", None):
        mode = lsf_obj.mode
    # pixels outside the LSF's table cannot be modelled: leave them out
    fwhm_ok = np.ones(wl.size, dtype=bool)
    if mode is not None:
        lo, hi = instrument.mode_range(mode)
        fwhm_ok = (wl >= lo - instrument.RANGE_MARGIN_UM) & (wl <= hi + instrument.RANGE_MARGIN_UM)
    keep_meta = {k: meta.get(k) for k in ("instrument", "mode", "target", "source_file", "product", "grating",
                                           "filter", "epoch", "nucleus_pix", "center_pix", "nucleus_search")
                 if meta.get(k) is not None}
    return ObservedSpectrum(wl[order], flux[order], err[order], (good & fwhm_ok)[order], lsf_obj,
                            label=label, mode=mode, meta=keep_meta)


def _flux_density(flux_q, err_q, wavelength_um):
    """Flux and error in W m^-2 um^-1 (plain float arrays) on pixels at ``wavelength_um``.

    A plain unit conversion when the unit is an F_lambda; F_nu times c / lambda^2 (what
    astropy's ``spectral_density`` equivalency computes, without building it: that costs
    more than the rest of `as_observed`); the equivalency itself for any other unit (photon
    fluxes, nu F_nu). Raises ``astropy.units.UnitConversionError`` when none applies.
    """
    import astropy.units as u

    out_unit, f_nu, c_um_s = _units()
    if flux_q.unit.is_equivalent(out_unit) and err_q.unit.is_equivalent(out_unit):
        return flux_q.to_value(out_unit), err_q.to_value(out_unit)
    if flux_q.unit.is_equivalent(f_nu) and err_q.unit.is_equivalent(f_nu):
        per_um = c_um_s / np.asarray(wavelength_um, dtype=np.float64) ** 2
        return flux_q.to_value(f_nu) * per_um, err_q.to_value(f_nu) * per_um
    equiv = u.spectral_density(wavelength_um * u.um)
    return flux_q.to_value(out_unit, equivalencies=equiv), err_q.to_value(out_unit, equivalencies=equiv)


@functools.cache
def _units():
    """(F_lambda unit of the model, the F_nu unit whose product with c / lambda^2 is in it
    for lambda in um, c in um/s from astropy's CODATA value)."""
    import astropy.constants as const
    import astropy.units as u

    return u.W / u.m**2 / u.um, u.W / u.m**2 / u.Hz, float(const.c.to_value(u.um / u.s))


def _stddev_class():
    from astropy.nddata import StdDevUncertainty

    return StdDevUncertainty


def _as_list(spectrum_or_list):
    if isinstance(spectrum_or_list, (list, tuple)):
        return list(spectrum_or_list)
    if type(spectrum_or_list).__name__ == "SpectrumList":
        return list(spectrum_or_list)
    return [spectrum_or_list]
