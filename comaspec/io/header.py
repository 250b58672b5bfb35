"""comaspec's own FITS header keywords (``HIERARCH COMASPEC <KEY>``): geometry and aperture.

Written by `comaspec.synthetic` and by users who store their observing geometry in their
files; read here by ``comaspec ratio``, ``map`` and ``batch``.
"""

from ..errors import InputError

__all__ = ["comaspec_keys", "geometry_from_header", "aperture_from_header"]


def comaspec_keys(header):
    """The ``COMASPEC <KEY>`` cards of a FITS header as {KEY: value} (keys upper-case)."""
    prefix = "COMASPEC "
    out = {}
    for key in header.keys():
        if key.upper().startswith(prefix):
            out[key[len(prefix):].upper()] = header[key]
    return out


def geometry_from_header(header, source="header"):
    """The observing geometry stored in COMASPEC keywords of a FITS header.

    Parameters
    ----------
    header : astropy.io.fits.Header
    source : str
        Name for messages.

    Returns
    -------
    `comaspec.Geometry`
    """
    import astropy.units as u

    from ..geometry import Geometry

    keys = comaspec_keys(header)
    if "RH_AU" not in keys or "DELTA_AU" not in keys:
        raise InputError(source, "has no COMASPEC RH_AU / DELTA_AU keywords (pass --rh and --delta)")
    phase = keys.get("PHASE_DEG")
    epoch = None
    if "MJD-AVG" in header:
        from astropy.time import Time

        epoch = Time(float(header["MJD-AVG"]), format="mjd", scale="utc")
    return Geometry(float(keys["RH_AU"]) * u.au, float(keys["DELTA_AU"]) * u.au,
                    None if phase is None else float(phase) * u.deg, epoch)


def aperture_from_header(header, source="header"):
    """The extraction aperture stored in COMASPEC keywords of a FITS header.

    Parameters
    ----------
    header : astropy.io.fits.Header
    source : str
        Name for messages.

    Returns
    -------
    comaspec aperture
    """
    import astropy.units as u

    from ..apertures import CircularAperture, RectangularAperture

    keys = comaspec_keys(header)
    shape = keys.get("APERTURE")
    if shape == "circle" and "AP_RADIUS_ARCSEC" in keys:
        return CircularAperture(float(keys["AP_RADIUS_ARCSEC"]) * u.arcsec)
    if shape == "circle" and "AP_RADIUS_KM" in keys:
        return CircularAperture(float(keys["AP_RADIUS_KM"]) * u.km)
    if shape == "rectangle" and "AP_WIDTH_ARCSEC" in keys:
        return RectangularAperture(float(keys["AP_WIDTH_ARCSEC"]) * u.arcsec, float(keys["AP_HEIGHT_ARCSEC"]) * u.arcsec)
    if shape == "rectangle" and "AP_WIDTH_KM" in keys:
        return RectangularAperture(float(keys["AP_WIDTH_KM"]) * u.km, float(keys["AP_HEIGHT_KM"]) * u.km)
    raise InputError(source, "has no usable COMASPEC aperture keywords (pass --aperture-radius or --aperture-box)")
