"""Observation metadata from JWST pipeline headers (and msaexp's)."""

from __future__ import annotations

import math

__all__ = ["jwst_meta", "epoch_from_mjd", "header_value"]


def header_value(key, *headers):
    """First non-blank value of ``key`` in ``headers`` (searched in order), or None."""
    for header in headers:
        if header is None or key not in header:
            continue
        value = header[key]
        if isinstance(value, str):
            value = value.strip()
            if value:
                return value
        elif value is not None and not (isinstance(value, float) and not math.isfinite(value)):
            return value
    return None


def epoch_from_mjd(mjd):
    """An astropy Time (UTC) from an MJD, or None for a missing value."""
    from astropy.time import Time

    if mjd is None:
        return None
    try:
        mjd = float(mjd)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(mjd) or mjd <= 0:
        return None
    epoch = Time(mjd, format="mjd", scale="utc")
    epoch.format = "isot"
    return epoch


def _mode(instrument, grating, filt, exp_type, channel, band):
    if instrument is None:
        return None
    if instrument == "MIRI" and (exp_type == "MIR_MRS" or channel is not None):
        parts = ["MIRI MRS"]
        if channel is not None:
            parts.append(f"CH{channel}")
        if band is not None:
            parts.append(str(band))
        return " ".join(parts)
    if grating is not None and filt is not None:
        return f"{instrument} {grating}/{filt}"
    if grating is not None:
        return f"{instrument} {grating}"
    if filt is not None:
        return f"{instrument} {filt}"
    return instrument


def jwst_meta(primary, ext=None) -> dict:
    """Metadata keys of the brief from a JWST primary header and an extension header.

    Extension keywords win over primary ones (the pipeline repeats SRCTYPE and the
    MJD-* times in science extensions).

    Parameters
    ----------
    primary : astropy.io.fits.Header
    ext : astropy.io.fits.Header, optional

    Returns
    -------
    dict
        ``instrument``, ``mode``, ``grating``, ``filter``, ``exp_type``, ``channel``,
        ``band``, ``epoch`` (astropy Time or None), ``epoch_keyword``, ``target``,
        ``targprop``, ``targname``, ``srctype``.
    """
    headers = (ext, primary)
    instrument = header_value("INSTRUME", *headers)
    grating = header_value("GRATING", *headers)
    filt = header_value("FILTER", *headers)
    exp_type = header_value("EXP_TYPE", *headers)
    channel = header_value("CHANNEL", *headers)
    band = header_value("BAND", *headers)
    epoch, epoch_key = None, None
    # MJD-AVG is the exposure mid-time; older products only have EXPMID (also MJD UTC).
    for key in ("MJD-AVG", "EXPMID"):
        epoch = epoch_from_mjd(header_value(key, *headers))
        if epoch is not None:
            epoch_key = key
            break
    targname = header_value("TARGNAME", *headers)
    targprop = header_value("TARGPROP", *headers)
    return {
        "instrument": instrument,
        "mode": _mode(instrument, grating, filt, exp_type, channel, band),
        "grating": grating,
        "filter": filt,
        "exp_type": exp_type,
        "channel": channel,
        "band": band,
        "epoch": epoch,
        "epoch_keyword": epoch_key,
        # TARGNAME is the catalogue name (e.g. "C/2017 K2 (PANSTARRS)"); TARGPROP the proposer's.
        "target": targname if targname is not None else targprop,
        "targname": targname,
        "targprop": targprop,
        "srctype": header_value("SRCTYPE", *headers),
    }
