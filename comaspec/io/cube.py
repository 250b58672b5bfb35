"""JWST IFU cubes (s3d), read with astropy.io.fits and astropy.wcs.

specutils' "JWST s3d" loader needs stdatamodels/gwcs; the FITS keywords the
pipeline writes are enough: ``SCI``, ``ERR`` and ``DQ`` images of shape
``(nwave, ny, nx)``, a celestial TAN WCS on axes 1–2, and on axis 3 either a
linear wavelength (``CTYPE3 = 'WAVE'``) or a table (``CTYPE3 = 'WAVE-TAB'`` with
the ``WCS-TABLE`` extension named by ``PS3_0``/``PS3_1``), as for MIRI MRS
multi-channel cubes.

Reading is lean: the data stay float32 (the file's precision; sums and solves accumulate in
float64), DQ keeps its own unsigned integer type, and with ``wavelength_ranges`` only the
channels inside them (and `CHANNEL_MARGIN` on each side, for the pixel edges) are read.
Uncompressed, unscaled images are read through a memory map of the file, a block of
channels at a time (`_Planes`): no copy of the whole file is ever in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import astropy.units as u
import numpy as np

from ..errors import InputError
from ._checks import describe_failure
from ._meta import jwst_meta
from ._spectrum import DO_NOT_USE
from ._units import FLUX_DENSITY, SURFACE_BRIGHTNESS, parse_unit

__all__ = ["Cube", "is_cube", "read_cube_hdul", "check_channels", "CHANNEL_MARGIN"]

#: Channels read beyond each end of a requested wavelength range: a pixel's edges are the
#: midpoints to its neighbours, so the model needs the channel next to each fitted one.
CHANNEL_MARGIN = 2

#: Channels read and checked per block (bounds the temporaries of the conversion).
_BLOCK_CHANNELS = 64

#: FITS BITPIX -> the big-endian dtype stored in the file.
_RAW_DTYPE = {8: "u1", 16: ">i2", 32: ">i4", 64: ">i8", -32: ">f4", -64: ">f8"}


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
        The DQ flags, in an unsigned integer type (uint32 for JWST); None without DQ, or when
        read with ``keep_dq=False`` (the flags then only make ``mask``).
    channels : numpy.ndarray or None
        Indices, in the file, of the channels held (None: all of them).
    continuum : (numpy.ndarray, numpy.ndarray) or None
        The continuum image of `comaspec.io.nucleus.continuum_photocentre` and its variance, computed while
        reading when only some channels are held (it uses channels across the whole file).
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
    channels: np.ndarray | None = None
    continuum: tuple | None = None

    @property
    def shape(self) -> tuple:
        """(nwave, ny, nx)."""
        return self.flux.shape


def is_cube(hdul) -> bool:
    """True when the file has a 3-D ``SCI`` image (decided from the header: no data read)."""
    if "SCI" not in hdul:
        return False
    header = hdul["SCI"].header
    return (not header.get("XTENSION", "IMAGE").strip().upper().endswith("TABLE") and header.get("NAXIS") == 3
            and all(int(header.get(f"NAXIS{k}", 0)) > 0 for k in (1, 2, 3)))


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



class _Planes:
    """Blocks of channels of one (channel, y, x) image HDU, converted to a native dtype.

    An uncompressed image stored unscaled (or as unsigned integers through the FITS
    ``BZERO`` convention) is read through `numpy.memmap`, one block at a time, each map
    closed after its block is copied; anything else through astropy's ``section``.
    """

    def __init__(self, hdu, path):
        header = hdu.header
        self.hdu, self.path = hdu, path
        self.shape = tuple(int(header[f"NAXIS{k}"]) for k in (3, 2, 1))
        bitpix = int(header["BITPIX"])
        bscale, bzero = header.get("BSCALE", 1), header.get("BZERO", 0)
        self.raw = np.dtype(_RAW_DTYPE[bitpix]) if bitpix in _RAW_DTYPE else None
        # the FITS convention for unsigned integers: BZERO = 2^(bits-1) flips the top bit
        self.unsigned = bitpix > 8 and bscale == 1 and bzero == 2 ** (bitpix - 1)
        info = hdu.fileinfo()
        self.gzip = path is not None and _is_gzip(path)
        mappable = (path is not None and self.raw is not None and info is not None and bscale == 1
                    and (bzero == 0 or self.unsigned) and not self.gzip)
        self.offset = int(info["datLoc"]) if mappable else None
        if self.unsigned:
            self.dtype = np.dtype(f"u{self.raw.itemsize}")
        elif self.raw is not None and bscale == 1 and bzero == 0:
            self.dtype = self.raw.newbyteorder("=")
        else:
            self.dtype = np.dtype(float)   # scaled data: astropy applies BSCALE/BZERO in float

    def read(self, channels, out, rows=slice(None)):
        """Channels ``channels`` (a slice, any step) of the spaxel rows ``rows`` (a slice, step
        1) into ``out`` (shape (channels, rows, nx), any dtype)."""
        if self.offset is None:
            # a gzip stream cannot seek back cheaply: decompress the image once
            out[...] = self.hdu.data[channels, rows] if self.gzip else self.hdu.section[channels, rows]
            return
        start, stop, step = channels.indices(self.shape[0])
        y0, y1, _ = rows.indices(self.shape[1])
        row_bytes = self.shape[2] * self.raw.itemsize
        plane = self.shape[1] * row_bytes
        if step == 1 and (y0, y1) == (0, self.shape[1]):
            raw = np.memmap(self.path, dtype=self.raw, mode="r", offset=self.offset + start * plane,
                            shape=(stop - start,) + self.shape[1:])
            self._convert(raw, out)
            # the last reference: the map is closed now (mapped pages count towards the
            # process's resident memory until then)
            del raw
            return
        # scattered stretches are read, not mapped: touching a map that spans the channels
        # skipped made whole large folios of the page cache resident (~1.4 MB per channel)
        raw = np.empty(out.shape, dtype=self.raw)
        with open(self.path, "rb", buffering=0) as fh:
            for i, c in enumerate(range(start, stop, step)):
                fh.seek(self.offset + c * plane + y0 * row_bytes)
                if fh.readinto(raw[i]) != raw[i].nbytes:
                    raise OSError(f"{self.path}: short read in channel {c}")
        self._convert(raw, out)

    def _convert(self, raw, out):
        """``raw`` (the file's dtype) into ``out`` (native; the top bit of FITS unsigned flipped)."""
        if self.unsigned:
            top = np.array(1 << (8 * self.raw.itemsize - 1), dtype=self.dtype)
            np.bitwise_xor(raw.view(self.raw.str.replace("i", "u")), top, out=out, casting="unsafe")
        else:
            out[...] = raw


def _is_gzip(path):
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _runs(channels):
    """Runs of consecutive indices as (start, stop) pairs."""
    if channels.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(channels) != 1) + 1
    starts, stops = np.r_[0, breaks], np.r_[breaks, channels.size]
    return [(int(channels[i]), int(channels[j - 1]) + 1) for i, j in zip(starts, stops)]


def _select_channels(source, wave, wavelength_ranges):
    """Indices of the channels inside the ranges (µm), widened by `CHANNEL_MARGIN`; None: all."""
    if wavelength_ranges is None:
        return None
    keep = np.zeros(wave.size, dtype=bool)
    for lo, hi in wavelength_ranges:
        keep |= (wave >= lo) & (wave <= hi)
    if not keep.any():
        spans = ", ".join(f"{lo:g}-{hi:g}" for lo, hi in wavelength_ranges)
        raise InputError(source, f"no channel lies in the fit windows ({spans} um): the cube spans "
                                 f"{wave[0]:.3f}-{wave[-1]:.3f} um")
    width = 2 * CHANNEL_MARGIN + 1
    keep = np.convolve(keep, np.ones(width, dtype=int), mode="same") > 0
    return None if keep.all() else np.flatnonzero(keep)


def _blocks(runs):
    """(position in the array read, first channel, end channel) of each block of ``runs``."""
    pos = 0
    for start, stop in runs:
        for a in range(start, stop, _BLOCK_CHANNELS):
            b = min(a + _BLOCK_CHANNELS, stop)
            yield pos, a, b
            pos += b - a


def _read_channels(planes, runs, n, dtype):
    """The channels of ``runs`` from ``planes`` as one (n, ny, nx) array of ``dtype``."""
    out = np.empty((n,) + planes.shape[1:], dtype=dtype)
    for pos, a, b in _blocks(runs):
        planes.read(slice(a, b), out[pos:pos + b - a])
    return out


def _bad_voxels_dq_unheld(flux, planes, runs):
    """`_bad_voxels` with the DQ of ``runs`` read from ``planes`` a block at a time, not held."""
    mask = np.empty(flux.shape, dtype=bool)
    buffer = np.empty((_BLOCK_CHANNELS,) + flux.shape[1:], dtype=_dq_dtype(planes))
    for pos, a, b in _blocks(runs):
        dq = buffer[:b - a]
        planes.read(slice(a, b), dq)
        mask[pos:pos + b - a] = _bad_voxels(flux[pos:pos + b - a], dq)
    return mask


def _bad_voxels(flux, dq):
    """True where a voxel is NaN/inf or flagged DO_NOT_USE, a block of channels at a time."""
    mask = np.empty(flux.shape, dtype=bool)
    for a in range(0, flux.shape[0], _BLOCK_CHANNELS):
        block = slice(a, a + _BLOCK_CHANNELS)
        np.logical_not(np.isfinite(flux[block]), out=mask[block])
        if dq is not None:
            mask[block] |= (dq[block] & DO_NOT_USE) != 0
    return mask


def _some_error_usable(error, mask):
    """Whether any voxel not masked has a finite, positive error (a block of channels at a time,
    stopping at the first that has one)."""
    for a in range(0, error.shape[0], _BLOCK_CHANNELS):
        block = error[a:a + _BLOCK_CHANNELS]
        if np.any(np.isfinite(block) & (block > 0) & ~mask[a:a + _BLOCK_CHANNELS]):
            return True
    return False


def _data_planes(source, hdul, path, shape):
    """`_Planes` of SCI, ERR (or None) and DQ (or None), their shapes checked against SCI."""
    planes = {"SCI": _Planes(hdul["SCI"], path)}
    for name in ("ERR", "DQ"):
        if name in hdul and hdul[name].header.get("NAXIS", 0) > 0:
            if name == "DQ" and int(hdul[name].header.get("BITPIX", 8)) < 0:
                raise InputError(source, "[DQ] holds floating-point values: data-quality flags are integers")
            p = _Planes(hdul[name], path)
            if p.shape != shape:
                raise InputError(source, f"{name} shape {p.shape} differs from SCI shape {shape}")
            planes[name] = p
    return planes


def _dq_dtype(planes):
    dtype = planes.dtype
    if dtype.kind == "u":
        return dtype
    return np.dtype(f"u{dtype.itemsize}") if dtype.kind == "i" else np.dtype(np.uint32)


def _read_arrays(source, hdul, path, wave, wavelength_ranges, keep_dq=True):
    """flux, error (or None), DQ (or None; also when not kept), mask and the kept channel
    indices (or None)."""
    shape = tuple(int(hdul["SCI"].header[f"NAXIS{k}"]) for k in (3, 2, 1))
    planes = _data_planes(source, hdul, path, shape)
    channels = _select_channels(source, wave, wavelength_ranges)
    runs = [(0, shape[0])] if channels is None else _runs(channels)
    n = shape[0] if channels is None else channels.size
    flux = _read_channels(planes["SCI"], runs, n, np.float32)
    error = None if "ERR" not in planes else _read_channels(planes["ERR"], runs, n, np.float32)
    if "DQ" in planes and not keep_dq:
        return flux, error, None, _bad_voxels_dq_unheld(flux, planes["DQ"], runs), channels, planes
    dq = None if "DQ" not in planes else _read_channels(planes["DQ"], runs, n, _dq_dtype(planes["DQ"]))
    return flux, error, dq, _bad_voxels(flux, dq), channels, planes


def _continuum_from_file(planes, nwave, error_scale):
    """The continuum image of `continuum_photocentre` and its variance, from the file's own
    channels (``error_scale``: ERR's unit in SCI's, or None without ERR).

    The channels are read a block of spaxel rows at a time, the blocks `median_image` takes
    (the same medians): a 200 x 200 G395H cube held 0.17 GB of them at once.
    """
    from .nucleus import median_block_rows, median_image, photocentre_channels

    channels = photocentre_channels(nwave)
    n = len(range(*channels.indices(nwave)))
    _, ny, nx = planes["SCI"].shape
    image, var = np.empty((ny, nx)), np.empty((ny, nx))
    step = median_block_rows(n, nx)
    for y0 in range(0, ny, step):
        rows = slice(y0, min(y0 + step, ny))
        shape = (n, rows.stop - y0, nx)
        flux = np.empty(shape, dtype=np.float32)
        planes["SCI"].read(channels, flux, rows)
        dq, error = None, None
        if "DQ" in planes:
            dq = np.empty(shape, dtype=_dq_dtype(planes["DQ"]))
            planes["DQ"].read(channels, dq, rows)
        if error_scale is not None and "ERR" in planes:
            error = np.empty(shape, dtype=np.float32)
            planes["ERR"].read(channels, error, rows)
            error *= error_scale
        image[rows], var[rows] = median_image(flux, _bad_voxels(flux, dq), slice(None), error)
    return image, var


def _pixel_geometry(source, header, hdul):
    """(celestial WCS, pixel scale, pixel area, where the area comes from)."""
    if not any(key in header for key in ("CDELT1", "CD1_1", "CDELT2", "CD2_2")):
        # without them the WCS takes 1 degree per spaxel, silently
        raise InputError(source, "[SCI] has no CDELT1/CDELT2 or CD matrix: the spaxel size is unknown")
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
    if "PIXAR_SR" in header:
        area = header["PIXAR_SR"]
        if isinstance(area, bool) or not isinstance(area, (int, float)) or not 0 < area < np.inf:
            raise InputError(source, "[SCI] PIXAR_SR is not a positive solid angle in sr")
        return wcs, pixel_scale, float(area) * u.sr, "PIXAR_SR"
    return wcs, pixel_scale, (pixel_scale**2).to(u.sr), "pixel_scale squared"


def sci_unit(source, header):
    """The cube's flux unit: SCI's BUNIT, refused when absent, unknown, or neither a surface
    brightness nor a flux density.

    Parameters
    ----------
    source : str
    header : astropy.io.fits.Header
        The SCI header.

    Returns
    -------
    astropy.units.UnitBase
    """
    text = header.get("BUNIT")
    if not text or not str(text).strip():
        raise InputError(source, "[SCI] has no BUNIT: the cube's flux unit is unknown")
    bunit = parse_unit(str(text).strip(), source, "BUNIT")
    if not (bunit.is_equivalent(SURFACE_BRIGHTNESS) or bunit.is_equivalent(FLUX_DENSITY)):
        raise InputError(source, f"[SCI] BUNIT {bunit} is neither a surface brightness (e.g. MJy/sr) nor a flux "
                                 "density (e.g. Jy)")
    return bunit


def err_unit(source, hdul, bunit):
    """The unit of the ERR image (its BUNIT, else SCI's ``bunit``), refused when it does not
    convert to ``bunit``.

    Parameters
    ----------
    source : str
    hdul : astropy.io.fits.HDUList
        With an ``ERR`` image.
    bunit : astropy.units.UnitBase
        From `sci_unit`.

    Returns
    -------
    astropy.units.UnitBase
    """
    text = hdul["ERR"].header.get("BUNIT")
    if not text or not str(text).strip():
        return bunit
    eunit = parse_unit(str(text).strip(), source, "ERR BUNIT")
    if not eunit.is_equivalent(bunit):
        raise InputError(source, f"[ERR] BUNIT {eunit} cannot be converted to the SCI BUNIT {bunit}")
    return eunit


def read_cube_hdul(source, hdul, wavelength_ranges=None, path=None, keep_dq=True) -> Cube:
    """Build a `Cube` from an open s3d file.

    Parameters
    ----------
    source : str
    hdul : astropy.io.fits.HDUList
        Opened lazily (``lazy_load_hdus=True``): the data are read here.
    wavelength_ranges : sequence of (float, float) or callable, optional
        Keep only the channels inside these ranges (µm; e.g. the fit windows) and
        `CHANNEL_MARGIN` beyond them; a callable gets the span of the file's channels
        (first, last, µm) and returns the ranges. Default: every channel.
    path : str or pathlib.Path, optional
        The file, to memory-map it (uncompressed FITS only); without it astropy reads the data.
    keep_dq : bool
        False: the DQ flags only make ``mask`` (read a block at a time) and ``dq`` is None.

    Returns
    -------
    Cube
    """
    header = hdul["SCI"].header
    bunit = sci_unit(source, header)
    nwave_file = int(header["NAXIS3"])
    wave = _wavelengths(source, hdul, header, nwave_file)
    if callable(wavelength_ranges):   # ranges that depend on what the file spans
        wavelength_ranges = wavelength_ranges(float(wave[0]), float(wave[-1]))
    wcs, pixel_scale, pixel_area, area_from = _pixel_geometry(source, header, hdul)
    flux, err, dq, mask, channels, planes = _read_arrays(source, hdul, path, wave, wavelength_ranges, keep_dq)
    error, error_scale = None, None
    if err is not None:
        eunit = err_unit(source, hdul, bunit)
        error_scale = float(eunit.to(bunit))
        # no second copy of a large array when the units agree
        error = u.Quantity(err, bunit, copy=False) if eunit == bunit else \
            u.Quantity(err, eunit, copy=False).to(bunit).astype(np.float32, copy=False)
    if mask.all():
        raise InputError(source, "every voxel of the cube is NaN or flagged DO_NOT_USE"
                         + ("" if channels is None else " in the channels of the fit windows"))
    if err is not None and not _some_error_usable(err, mask):
        raise InputError(source, "[ERR] is zero, negative or non-finite in every voxel that has data")
    meta = jwst_meta(hdul[0].header, header)
    meta.update(source_file=str(source), extension="SCI", product="s3d", pixel_area=pixel_area,
                pixel_area_from=area_from, wavelength_axis=str(header.get("CTYPE3", "")).strip(),
                primary_header=hdul[0].header, header=header, n_channels_file=nwave_file,
                wavelength_span_um=(float(wave[0]), float(wave[-1])),
                wavelength_ranges_um=None if channels is None else [tuple(map(float, r)) for r in wavelength_ranges])
    return Cube(
        flux=u.Quantity(flux, bunit, copy=False), error=error, mask=mask,
        wavelength=u.Quantity(wave if channels is None else wave[channels], u.um), pixel_scale=pixel_scale,
        bunit=bunit, meta=meta, wcs=wcs, dq=dq, channels=channels,
        continuum=None if channels is None else _continuum_from_file(planes, nwave_file, error_scale),
    )


def check_channels(cube, wavelength_ranges):
    """Refuse a cube read for other wavelength ranges than those a fit needs.

    Parameters
    ----------
    cube : Cube
    wavelength_ranges : sequence of (float, float)
        The fit windows (µm).

    Raises
    ------
    comaspec.InputError
        When a range is not inside one of the ranges the cube was read for.
    """
    held = cube.meta.get("wavelength_ranges_um")
    if held is None:
        return
    for lo, hi in wavelength_ranges:
        if not any(a <= lo and hi <= b for a, b in held):
            spans = ", ".join(f"{a:g}-{b:g}" for a, b in held)
            raise InputError(cube.meta.get("source_file", "cube"),
                             f"was read for the wavelength ranges {spans} um only; the fit window {lo:g}-{hi:g} um "
                             "needs channels outside them: read it again with these windows (or whole)")
