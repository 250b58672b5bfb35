"""JWST IFU cubes (s3d), read with astropy.io.fits and astropy.wcs.

specutils' "JWST s3d" loader needs stdatamodels/gwcs; the FITS keywords the
pipeline writes are enough: ``SCI``, ``ERR`` and ``DQ`` images of shape
``(nwave, ny, nx)``, a celestial TAN WCS on axes 1–2, and on axis 3 either a
linear wavelength (``CTYPE3 = 'WAVE'``) or a table (``CTYPE3 = 'WAVE-TAB'`` with
the ``WCS-TABLE`` extension named by ``PS3_0``/``PS3_1``), as for MIRI MRS
multi-channel cubes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import astropy.units as u
import numpy as np

from ..errors import InputError
from ._checks import describe_failure
from ._meta import jwst_meta
from ._spectrum import DO_NOT_USE
from ._units import parse_unit

__all__ = ["Cube", "is_cube", "read_cube_hdul"]


@dataclass
class Cube:
    """A spectral cube in memory.

    Attributes
    ----------
    flux : astropy.units.Quantity, shape (nwave, ny, nx)
        Surface brightness (usually MJy/sr), NaN where there is no data.
    error : astropy.units.Quantity or None
        1-σ uncertainty, same shape and unit.
    mask : numpy.ndarray of bool
        True where a voxel is bad: non-finite flux or DQ DO_NOT_USE.
    wavelength : astropy.units.Quantity, shape (nwave,)
        In µm.
    pixel_scale : astropy.units.Quantity
        Side of one spaxel (arcsec).
    bunit : astropy.units.UnitBase
        Unit of ``flux`` as read from BUNIT.
    meta : dict
        ``source_file``, ``product`` ("s3d"), ``instrument``, ``mode``, ``epoch``,
        ``target``, ``pixel_area`` (sr), ...
    wcs : astropy.wcs.WCS or None
        The celestial (2-D) WCS.
    dq : numpy.ndarray or None
        The DQ flags.
    """

    flux: u.Quantity
    error: u.Quantity | None
    mask: np.ndarray
    wavelength: u.Quantity
    pixel_scale: u.Quantity
    bunit: u.UnitBase
    meta: dict = field(default_factory=dict)
    wcs: object = None
    dq: np.ndarray | None = None

    @property
    def shape(self) -> tuple:
        """(nwave, ny, nx)."""
        return self.flux.shape


def is_cube(hdul) -> bool:
    """True when the file has a 3-D ``SCI`` image."""
    return "SCI" in hdul and hdul["SCI"].data is not None and np.ndim(hdul["SCI"].data) == 3


def _wavelengths(source, hdul, header, nwave):
    from astropy.wcs import WCS

    ctype3 = str(header.get("CTYPE3", "")).strip().upper()
    if not ctype3.startswith("WAVE"):
        raise InputError(source, f"[SCI] axis 3 is not wavelength (CTYPE3 = {ctype3!r})")
    try:
        wcs = WCS(header, fobj=hdul, naxis=3) if ctype3.endswith("-TAB") else WCS(header, naxis=3)
        spectral = wcs.sub([3])
        values = spectral.all_pix2world(np.arange(nwave, dtype=float), 0)[0]
        # wcslib reports linear spectral axes in SI (metres): use the unit it states.
        wunit = u.Unit(spectral.world_axis_units[0] or str(header.get("CUNIT3", "um")))
    except (ValueError, KeyError, TypeError, MemoryError) as exc:
        raise InputError(source, f"[SCI] cannot evaluate the wavelength WCS ({describe_failure(exc)})") from None
    except Exception as exc:  # astropy.wcs raises its own InvalidTabularParameters etc.
        raise InputError(source, f"[SCI] cannot evaluate the wavelength WCS ({describe_failure(exc)})") from None
    wave = u.Quantity(values, wunit).to_value(u.um, equivalencies=u.spectral())
    if not np.all(np.isfinite(wave)) or np.any(np.diff(wave) <= 0):
        raise InputError(source, "[SCI] cube wavelengths are not finite and strictly increasing")
    return wave


def _celestial(header, hdul):
    from astropy.wcs import WCS
    from astropy.wcs.utils import proj_plane_pixel_scales

    try:
        # a -TAB spectral axis needs the table HDU even to build the celestial part
        wcs = WCS(header, fobj=hdul) if "-TAB" in str(header.get("CTYPE3", "")) else WCS(header)
        if not wcs.has_celestial:
            return None, None
        wcs = wcs.celestial
        scales = proj_plane_pixel_scales(wcs) * u.Unit(wcs.wcs.cunit[0] or "deg")
    except Exception:  # a broken celestial WCS only loses the scale, handled below
        return None, None
    return wcs, scales.to(u.arcsec)


def read_cube_hdul(source, hdul) -> Cube:
    """Build a `Cube` from an open s3d file.

    Parameters
    ----------
    source : str
    hdul : astropy.io.fits.HDUList

    Returns
    -------
    Cube
    """
    sci = hdul["SCI"]
    header = sci.header
    data = np.asarray(sci.data, dtype=float)
    nwave, ny, nx = data.shape
    bunit_text = header.get("BUNIT")
    if not bunit_text or not str(bunit_text).strip():
        raise InputError(source, "[SCI] has no BUNIT: the cube's flux unit is unknown")
    bunit = parse_unit(str(bunit_text).strip(), source, "BUNIT")
    wave = _wavelengths(source, hdul, header, nwave)

    wcs, scales = _celestial(header, hdul)
    if scales is not None:
        if not np.isclose(scales[0], scales[1], rtol=1e-3):
            raise InputError(source, f"[SCI] spaxels are not square ({scales[0]:.4g} x {scales[1]:.4g})")
        pixel_scale = scales.mean()
    elif header.get("CDELT1") is not None:
        pixel_scale = abs(float(header["CDELT1"])) * u.Unit(header.get("CUNIT1", "deg") or "deg")
        pixel_scale = pixel_scale.to(u.arcsec)
    else:
        raise InputError(source, "[SCI] has no celestial WCS or CDELT1: the spaxel size is unknown")
    # PIXAR_SR is the pipeline's nominal spaxel solid angle; otherwise pixel_scale².
    if header.get("PIXAR_SR"):
        pixel_area = float(header["PIXAR_SR"]) * u.sr
        area_from = "PIXAR_SR"
    else:
        pixel_area = (pixel_scale**2).to(u.sr)
        area_from = "pixel_scale squared"

    error = None
    if "ERR" in hdul and hdul["ERR"].data is not None:
        err = np.asarray(hdul["ERR"].data, dtype=float)
        if err.shape != data.shape:
            raise InputError(source, f"ERR shape {err.shape} differs from SCI shape {data.shape}")
        eunit_text = hdul["ERR"].header.get("BUNIT", bunit_text)
        eunit = parse_unit(str(eunit_text).strip(), source, "ERR BUNIT")
        # no second copy of a large array when the units agree
        error = u.Quantity(err, bunit, copy=False) if eunit == bunit else u.Quantity(err, eunit, copy=False).to(bunit)
    dq = None
    mask = ~np.isfinite(data)
    if "DQ" in hdul and hdul["DQ"].data is not None:
        dq = np.asarray(hdul["DQ"].data)
        if not np.issubdtype(dq.dtype, np.integer):
            dq = dq.astype(np.int64)
        if dq.shape != data.shape:
            raise InputError(source, f"DQ shape {dq.shape} differs from SCI shape {data.shape}")
        mask |= (dq & DO_NOT_USE) != 0
    if mask.all():
        raise InputError(source, "every voxel of the cube is NaN or flagged DO_NOT_USE")

    meta = jwst_meta(hdul[0].header, header)
    meta.update(
        source_file=str(source),
        extension="SCI",
        product="s3d",
        pixel_area=pixel_area,
        pixel_area_from=area_from,
        wavelength_axis=str(header.get("CTYPE3", "")).strip(),
        primary_header=hdul[0].header,
        header=header,
    )
    return Cube(
        flux=u.Quantity(data, bunit, copy=False),
        error=error,
        mask=mask,
        wavelength=u.Quantity(wave, u.um),
        pixel_scale=pixel_scale,
        bunit=bunit,
        meta=meta,
        wcs=wcs,
        dq=dq,
    )
