"""Aperture extraction of a 1-D spectrum from a cube, with exact pixel overlap.

Per wavelength, the aperture's exact overlap weight ``w`` of every spaxel
(photutils, ``method="exact"``) multiplies the surface brightness; the sum times
the spaxel solid angle Ω is the flux density:

    F = Ω · Σ w S · (A / A_good),     σ_F = Ω · sqrt(Σ w² σ²) · (A / A_good)

where ``A`` is the aperture's area in spaxels and ``A_good`` the part of it on
good spaxels. Spaxels that are NaN, flagged DO_NOT_USE, have no valid error, or
lie outside the cube are "missing". When missing spaxels carry at most
``max_masked_fraction`` (default 10 %) of the area, the sum over the good ones is
scaled up by ``A / A_good`` (i.e. they are assumed to have the mean surface
brightness of the rest); above that the wavelength is masked. The missing fraction
at each wavelength is kept in ``meta["masked_area_fraction"]``.
"""

from __future__ import annotations

import astropy.units as u
import numpy as np

from ..errors import InputError
from ._spectrum import build_spectrum
from ._units import FLUX_DENSITY, SURFACE_BRIGHTNESS

from .nucleus import (PHOTOCENTRE_CHANNELS, centroid, continuum_image,  # noqa: F401 - also importable from here
                      continuum_photocentre, locate_nucleus, median_image, nucleus_position, photocentre_channels,
                      search_summary)

__all__ = ["extract_spectrum_from_cube", "continuum_photocentre", "continuum_image", "median_image",
           "photocentre_channels", "centroid", "locate_nucleus", "nucleus_position", "DEFAULT_MAX_MASKED_FRACTION"]

#: Largest fraction of the aperture area that may be missing before a wavelength is masked.
DEFAULT_MAX_MASKED_FRACTION = 0.1

# Keys of the cube's meta not copied to the spectrum (large, or about the cube only).
_CUBE_ONLY = {"header", "primary_header", "pixel_area", "pixel_area_from", "wavelength_axis"}


def extract_spectrum_from_cube(cube, aperture, center=None, max_masked_fraction=DEFAULT_MAX_MASKED_FRACTION,
                               species=None):
    """Implementation of `comaspec.extract_spectrum` (see there)."""
    from ..apertures import Aperture

    source = cube.meta.get("source_file", "cube")
    if not isinstance(aperture, Aperture):
        raise InputError("aperture", f"must be a comaspec aperture (got {type(aperture).__name__})")
    offset_pix = aperture.cube_offset_pixels(cube.pixel_scale)
    if not 0 <= max_masked_fraction < 1:
        raise InputError("max_masked_fraction", f"must lie in [0, 1) (got {max_masked_fraction})")
    found = _find_nucleus(cube, aperture, center, species)
    nucleus = found["xy"]
    centre = (nucleus[0] + offset_pix[0], nucleus[1] + offset_pix[1])
    weights, area = aperture.cube_weights(centre, cube.pixel_scale, cube.shape[1:])
    total, sigma, masked_fraction = _aperture_sums(cube, weights, area, centre, max_masked_fraction, source)
    factor = _flux_density_factor(cube, source)
    flux = u.Quantity(total * factor, FLUX_DENSITY)
    error = None if sigma is None else u.Quantity(sigma * factor, FLUX_DENSITY)

    meta = {k: v for k, v in cube.meta.items() if k not in _CUBE_ONLY}
    meta.update(
        aperture=aperture.describe(),
        center_pix=(float(centre[0]), float(centre[1])),
        nucleus_pix=(float(nucleus[0]), float(nucleus[1])),
        center_method=found["method"],
        nucleus_search=search_summary(found),
        aperture_area_pix=area,
        max_masked_fraction=float(max_masked_fraction),
        flux_column="SCI",
        error_column=None if cube.error is None else "ERR",
        pixel_scale_arcsec=float(cube.pixel_scale.to_value(u.arcsec)),
    )
    return build_spectrum(
        source, "aperture extraction", cube.wavelength.to_value(u.um), flux, error, None, meta,
        extras={"masked_area_fraction": masked_fraction},
    )


def _find_nucleus(cube, aperture, center, species):
    """{"xy", "method", ...}: the nucleus the aperture fixes, or the one `locate_nucleus` finds
    (within the aperture's photocentre radius, where it has one)."""
    fixed = aperture.cube_nucleus()
    if fixed is not None:
        return {"xy": fixed[0], "method": fixed[1]}
    outer = aperture.photocentre_radius()
    radius = None if outer is None else float((outer / cube.pixel_scale).decompose())
    return locate_nucleus(cube, center, radius, species)


#: Voxels of the aperture's box taken at a time (a block of channels; float64 temporaries of
#: 8 MB each): an aperture as large as a 200 x 200 cube made several float64 copies of it.
_EXTRACT_BLOCK_VOXELS = 1_000_000


def _aperture_sums(cube, weights, area, centre, max_masked_fraction, source):
    """Per wavelength: the weighted sum of the cube in the aperture and its 1σ error (None without
    an error array), both scaled up by A / A_good, and the missing fraction of the area. A
    wavelength with more than ``max_masked_fraction`` missing is NaN."""
    rows = np.flatnonzero(weights.any(axis=1))
    cols = np.flatnonzero(weights.any(axis=0))
    if rows.size == 0 or area <= 0:
        raise InputError(source, f"the aperture centred at pixel ({centre[0]:.2f}, {centre[1]:.2f}) "
                                 "does not overlap the cube")
    box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    area_good, weighted, variance = _box_sums(cube, weights[box], box)
    masked_fraction = np.clip(1.0 - area_good / area, 0.0, 1.0)
    usable = (masked_fraction <= max_masked_fraction + 1e-12) & (area_good > 0)
    if not usable.any():
        raise InputError(
            source,
            f"the aperture at pixel ({centre[0]:.2f}, {centre[1]:.2f}) has more than {max_masked_fraction:.0%} "
            "of its area outside the cube or on masked spaxels at every wavelength",
        )
    scale = np.where(usable, area / np.where(area_good > 0, area_good, 1.0), np.nan)
    total = weighted * scale
    sigma = None if variance is None else np.sqrt(variance) * scale
    return total, sigma, masked_fraction


def _box_sums(cube, w, box):
    """Per wavelength, over the spaxels of ``box`` with weights ``w``: the weight on good voxels,
    Σ w S and Σ w² σ² (None without errors); a block of channels at a time (each channel's
    sums are those of the whole box)."""
    nwave = cube.shape[0]
    area_good, weighted = np.empty(nwave), np.empty(nwave)
    variance = None if cube.error is None else np.empty(nwave)
    step = max(1, _EXTRACT_BLOCK_VOXELS // w.size)
    for a in range(0, nwave, step):
        sl = (slice(a, a + step),) + box
        # float64 from the cube's float32: squares of small errors (W m-2 um-1 sr-1) underflow in float32
        data = cube.flux.value[sl].astype(float)
        good = ~cube.mask[sl]
        if cube.error is not None:
            err = cube.error.to_value(cube.bunit)[sl].astype(float)
            good &= np.isfinite(err) & (err > 0)
            err = np.where(good, err, 0.0)
        values = np.where(good, data, 0.0)
        wg = w[None, :, :] * good
        area_good[sl[0]] = wg.sum(axis=(1, 2))
        weighted[sl[0]] = (wg * values).sum(axis=(1, 2))
        if variance is not None:
            variance[sl[0]] = (wg**2 * err**2).sum(axis=(1, 2))
    return area_good, weighted, variance


def _flux_density_factor(cube, source):
    """What turns a sum over spaxels in the cube's unit into a flux density in FLUX_DENSITY:
    the spaxel solid angle for a surface brightness, 1 (in FLUX_DENSITY) for a flux per spaxel."""
    if cube.bunit.is_equivalent(SURFACE_BRIGHTNESS):
        omega = cube.meta.get("pixel_area", (cube.pixel_scale**2).to(u.sr))
        return (1 * cube.bunit * omega).to_value(FLUX_DENSITY)
    if cube.bunit.is_equivalent(FLUX_DENSITY):
        return (1 * cube.bunit).to_value(FLUX_DENSITY)  # already per spaxel
    raise InputError(source, f"cube unit {cube.bunit} is neither a surface brightness nor a flux density")
