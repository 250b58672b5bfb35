"""Map output: multi-extension FITS (one image per quantity) and ECSV tables, written atomically.

Each image extension carries the cube's celestial WCS and a BUNIT. Extensions (one per entry
of `comaspec.maps.registry.QUANTITIES`, in its order, and ``_ERR`` for the 1σ):
``<X>_FLUX`` / ``<X>_FLUX_ERR`` (band flux per spaxel, W m^-2; a bin's flux shared equally
over its spaxels), ``<X>_COLUMN`` / ``<X>_COLUMN_ERR`` (cm^-2), ``SNR_<X>``, ``DET_<X>``
(1 detected), ``RATIO_CO2_H2O`` / ``RATIO_CO2_H2O_ERR`` / ``RATIO_LIMIT`` (0 measured,
1 lower limit, 2 upper limit, -1 neither detected), ``TROT`` / ``TROT_ERR`` (K),
``TROT_FITTED`` (1 fitted in the bin, 0 the aperture fit's value), ``SHIFT`` (µm),
``CHI2``, ``DOF``, ``BIN_ID``. The primary header holds the geometry, nucleus, position
angles, binning, the H2O ortho/para ratio held in the bins (``OPR``; ``OPR_FIT`` true when
it comes from the aperture fit) and notes. Header text is printable ASCII (other characters
of a file name are written as ``\\x..`` escapes).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .registry import hdu_names

__all__ = ["maps_hdulist", "write_maps", "write_table"]


def _ascii(text):
    """Text for a FITS header card, which holds printable ASCII only: other characters (a
    file name in another script, a µ) are written as Python escapes (``\\xfc``)."""
    text = str(text).encode("ascii", "backslashreplace").decode("ascii")
    return "".join(c if " " <= c <= "~" else " " for c in text)


def _image_hdu(data, name, wcs, bunit, comment=None):
    from astropy.io import fits

    header = wcs.to_header() if wcs is not None else fits.Header()
    header["BUNIT"] = bunit
    if comment:
        header["COMMENT"] = comment
    return fits.ImageHDU(np.asarray(data), header=header, name=name)


def maps_hdulist(maps):
    """The maps as an `astropy.io.fits.HDUList` (module docstring lists the extensions).

    Parameters
    ----------
    maps : `comaspec.maps.ComaMaps`

    Returns
    -------
    astropy.io.fits.HDUList
    """
    from astropy.io import fits

    from .._version import __version__

    ph = fits.Header()
    ph["ORIGIN"] = "comaspec"
    ph["CSVERS"] = (__version__, "comaspec version")
    ph["SRCFILE"] = _ascii(maps.meta.get("source_file", ""))[-68:]
    ph["RH_AU"] = float(maps.geometry.rh.to_value("au"))
    ph["DELTA_AU"] = float(maps.geometry.delta.to_value("au"))
    if maps.geometry.rdot is not None:
        ph["RDOT"] = (maps.geometry.rdot_km_s, "km/s, heliocentric radial velocity")
    sun = {} if maps.aperture_fit is None else maps.aperture_fit.fit_info
    if sun.get("solar_spectrum"):
        ph["SOLAR"] = (sun["solar_spectrum"], "solar spectrum pumping the templates")
    ph["NUC_X"] = (maps.nucleus_xy[0], "nucleus x, 0-based pixel")
    ph["NUC_Y"] = (maps.nucleus_xy[1], "nucleus y, 0-based pixel")
    ph["NUC_METH"] = _ascii(maps.nucleus_method)
    # absent when unknown (FITS headers hold no NaN)
    if maps.sun_pa is not None:
        ph["SUN_PA"] = (float(maps.sun_pa.to_value("deg")), "position angle of the Sun, deg E of N")
    if maps.velocity_pa is not None:
        ph["VEL_PA"] = (float(maps.velocity_pa.to_value("deg")), "position angle of the velocity, deg E of N")
    ph["BINNING"] = _ascii(maps.meta.get("binning", ""))
    ph["NBINS"] = int(maps.meta.get("n_bins", 0))
    ph["DETSIG"] = maps.detect_sigma
    ph["LIMSIG"] = maps.limit_sigma
    ph["TROT_AP"] = (float(maps.meta["T_rot_aperture_K"]), "K, held where TROT_FITTED = 0")
    if "ortho_para" in maps.meta:
        ph["OPR"] = (float(maps.meta["ortho_para"]), "H2O ortho/para held in every bin")
        ph["OPR_FIT"] = (bool(maps.meta.get("ortho_para_fitted", False)), "OPR from the aperture fit")
    ph["PIXSCALE"] = (float(maps.pixel_scale.to_value("arcsec")), "arcsec")
    ph["PIXAR_SR"] = float(maps.pixel_area.to_value("sr"))
    ph["HIERARCH TROT_SOURCE"] = _ascii(maps.T_rot_source)[:60]
    for note in maps.meta.get("notes", []):
        ph["COMMENT"] = _ascii(note)
    hdus = [fits.PrimaryHDU(header=ph)]
    for name, quantity, species, error in hdu_names(maps):  # the registry's quantities, in its order
        hdus.append(_image_hdu(quantity.image(maps, species, error), name, maps.wcs, quantity.unit,
                               None if error else quantity.comment))
    return fits.HDUList(hdus)


def _write_atomically(path, overwrite, write):
    from pathlib import Path

    from .._output import atomic_path

    path = Path(path)
    if path.exists() and not overwrite:
        raise InputError(path, "exists (pass overwrite=True)")
    with atomic_path(path) as tmp:
        write(tmp)
    return path


def write_maps(maps, path, overwrite=False):
    """Write the maps as multi-extension FITS, all at once or not at all.

    Parameters
    ----------
    maps : `comaspec.maps.ComaMaps`
    path : str or os.PathLike
    overwrite : bool

    Returns
    -------
    pathlib.Path
    """
    hdul = maps_hdulist(maps)
    return _write_atomically(path, overwrite, lambda tmp: hdul.writeto(tmp, overwrite=True))


def write_table(table, path, overwrite=False):
    """Write an astropy table (a profile or a Q-curve) as ECSV, atomically.

    Parameters
    ----------
    table : astropy.table.Table or QTable
    path : str or os.PathLike
    overwrite : bool

    Returns
    -------
    pathlib.Path
    """
    return _write_atomically(path, overwrite, lambda tmp: table.write(tmp, format="ascii.ecsv", overwrite=True))
