"""Sky geometry of a map: distance and position angle of every spaxel from the nucleus.

Position angles are measured from celestial north through east. The cube's celestial WCS
gives the local pixel → (east, north) matrix (its intermediate world coordinates are
ΔRA·cos δ and ΔDec near the reference pixel); without a WCS the usual orientation is
assumed (north up, east left) and the map's meta says so.
"""

from __future__ import annotations

import astropy.units as u
import numpy as np

__all__ = ["offsets_image", "pixel_to_east_north", "pa_to_pixel_vector"]


def pixel_to_east_north(wcs):
    """2 × 2 matrix taking a pixel offset (dx, dy) to (east, north) offsets in degrees.

    Parameters
    ----------
    wcs : astropy.wcs.WCS or None
        Celestial WCS; None: north up (+y), east left (−x), unit scale.

    Returns
    -------
    ndarray, shape (2, 2)
    """
    if wcs is None:
        return np.array([[-1.0, 0.0], [0.0, 1.0]])
    m = np.asarray(wcs.pixel_scale_matrix, dtype=float)
    # rows follow the world axes: put longitude (east) first
    return m[::-1] if wcs.wcs.lng == 1 else m


def pa_to_pixel_vector(wcs, pa_deg):
    """Unit vector (dx, dy) in pixel space pointing to position angle ``pa_deg``.

    Parameters
    ----------
    wcs : astropy.wcs.WCS or None
    pa_deg : float
        Degrees east of north.

    Returns
    -------
    ndarray, shape (2,)
    """
    en = np.array([np.sin(np.radians(pa_deg)), np.cos(np.radians(pa_deg))])
    d = np.linalg.solve(pixel_to_east_north(wcs), en)
    return d / np.hypot(*d)


def offsets_image(shape, nucleus_xy, wcs, pixel_scale, geometry):
    """Distance and position angle of every spaxel centre from the nucleus.

    Parameters
    ----------
    shape : (int, int)
        (ny, nx).
    nucleus_xy : (float, float)
        Nucleus in 0-based pixels.
    wcs : astropy.wcs.WCS or None
    pixel_scale : Quantity
        Spaxel side (angle).
    geometry : `comaspec.Geometry`

    Returns
    -------
    dict
        ``rho_arcsec``, ``rho_km``, ``pa_deg`` (east of north), ``dx``, ``dy`` (pixels).
    """
    ny, nx = shape
    yy, xx = np.mgrid[0:ny, 0:nx].astype(float)
    dx, dy = xx - nucleus_xy[0], yy - nucleus_xy[1]
    m = pixel_to_east_north(wcs)
    east = m[0, 0] * dx + m[0, 1] * dy
    north = m[1, 0] * dx + m[1, 1] * dy
    pa = np.degrees(np.arctan2(east, north)) % 360.0
    rho_arcsec = np.hypot(dx, dy) * float(pixel_scale.to_value(u.arcsec))
    km_per_arcsec = float(geometry.km_per_arcsec.to_value(u.km / u.arcsec))
    return {"rho_arcsec": rho_arcsec, "rho_km": rho_arcsec * km_per_arcsec, "pa_deg": pa, "dx": dx, "dy": dy}
