"""comaspec's own FITS header keywords (``HIERARCH COMASPEC <KEY>``): geometry and aperture.

Written by `comaspec.synthetic` and by users who store their observing geometry in their
files; read here by ``comaspec ratio``, ``map`` and ``batch``.
"""

import math

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


def _header_number(value, keyword, source):
    """A card's value as a finite float, or an InputError naming the card (not its value)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    raise InputError(source, f"header card {keyword} is not a finite number")


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

    Raises
    ------
    comaspec.InputError
        Without the cards, or for a card that is not a finite number (the message names
        the card, not its value).
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

        epoch = Time(_header_number(header["MJD-AVG"], "MJD-AVG", source), format="mjd", scale="utc")
    number = {k: _header_number(keys[k], f"COMASPEC {k}", source) for k in ("RH_AU", "DELTA_AU")}
    rdot = keys.get("RDOT_KM_S")  # written by comaspec's synthetic spectra from Geometry.to_dict
    return Geometry(number["RH_AU"] * u.au, number["DELTA_AU"] * u.au,
                    None if phase is None else _header_number(phase, "COMASPEC PHASE_DEG", source) * u.deg, epoch,
                    None if rdot is None else _header_number(rdot, "COMASPEC RDOT_KM_S", source) * u.km / u.s)


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

    def size(name, unit):
        return _header_number(keys.get(name), f"COMASPEC {name}", source) * unit

    for unit, suffix in ((u.arcsec, "ARCSEC"), (u.km, "KM")):
        if shape == "circle" and f"AP_RADIUS_{suffix}" in keys:
            return CircularAperture(size(f"AP_RADIUS_{suffix}", unit))
        if shape == "rectangle" and f"AP_WIDTH_{suffix}" in keys:
            return RectangularAperture(size(f"AP_WIDTH_{suffix}", unit), size(f"AP_HEIGHT_{suffix}", unit))
    raise InputError(source, "has no usable COMASPEC aperture keywords (pass --aperture-radius or --aperture-box)")
