"""Averaging the per-integration spectra of an x1dints file into one spectrum."""

from __future__ import annotations

import astropy.units as u
import numpy as np

from ..errors import InputError
from ._spectrum import build_spectrum

__all__ = ["average_integrations_impl"]


def average_integrations_impl(spectra, weighting="uniform"):
    """Implementation of `comaspec.average_integrations` (see there)."""
    try:
        spectra = list(spectra)
    except TypeError:
        raise InputError("spectra", "must be a list of Spectrum objects (e.g. read_spectrum of an x1dints)") from None
    if not spectra:
        raise InputError("spectra", "is empty: nothing to average")
    if weighting not in ("uniform", "inverse_variance"):
        raise InputError("weighting", f"must be 'uniform' or 'inverse_variance' (got {weighting!r})")
    first = spectra[0]
    source = first.meta.get("source_file", "spectra")
    wave = first.spectral_axis.to_value(u.um)
    unit = first.flux.unit
    n = len(spectra)
    flux = np.empty((n, wave.size))
    var = np.empty((n, wave.size))
    good = np.empty((n, wave.size), dtype=bool)
    for i, spec in enumerate(spectra):
        w = spec.spectral_axis.to_value(u.um)
        if w.shape != wave.shape or not np.allclose(w, wave, rtol=1e-9, atol=0):
            raise InputError(source, f"integration {i} has a different wavelength grid; resample before averaging")
        if spec.uncertainty is None:
            raise InputError(source, f"integration {i} has no uncertainties; cannot propagate errors")
        try:
            flux[i] = spec.flux.to_value(unit)
            uncertainty = spec.uncertainty
            sigma = uncertainty.quantity.to_value(unit) if uncertainty.unit is not None else uncertainty.array
        except u.UnitConversionError:
            raise InputError(source, f"integration {i} is in {spec.flux.unit}, the first in {unit}") from None
        var[i] = sigma**2
        good[i] = ~np.asarray(spec.mask if spec.mask is not None else np.zeros(wave.size, bool))
    good &= np.isfinite(flux) & np.isfinite(var) & (var > 0)
    n_good = good.sum(axis=0)
    safe_var = np.where(good, var, 1.0)
    if weighting == "uniform":
        # Plain mean of the good integrations: σ = sqrt(Σσᵢ²)/n. Unbiased even when the
        # noise depends on the signal, unlike inverse-variance weights.
        w = good.astype(float)
    else:
        w = np.where(good, 1.0 / safe_var, 0.0)
    wsum = w.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (w * np.where(good, flux, 0.0)).sum(axis=0) / wsum
        sigma = np.sqrt((w**2 * np.where(good, var, 0.0)).sum(axis=0)) / wsum
    mean[n_good == 0] = np.nan
    sigma[n_good == 0] = np.nan

    meta = {k: v for k, v in first.meta.items() if k not in ("row", "int_num", "n_points", "n_good")}
    epochs = [s.meta.get("epoch") for s in spectra]
    if all(e is not None for e in epochs):
        from astropy.time import Time

        mjd = np.mean([e.utc.mjd for e in epochs])
        meta["epoch"] = Time(mjd, format="mjd", scale="utc")
        meta["epoch_keyword"] = "mean of the integrations' epochs"
    meta.update(product=f"{first.meta.get('product', 'x1dints')} average", n_integrations=n, weighting=weighting)
    return build_spectrum(
        source, "average of integrations", wave, u.Quantity(mean, unit), u.Quantity(sigma, unit), None, meta,
        extras={"n_combined": n_good},
    )
