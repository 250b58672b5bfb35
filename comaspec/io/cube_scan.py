"""What ``comaspec info`` says of a cube, from its headers and one pass over its channels.

`read_cube` holds every channel of SCI and ERR (1.2 GB for a 200 x 200 G395H cube, 2.0 GB at
the peak of ``info``, with the mask and the plausibility check's copy of the good values).
``info`` needs only counts and one median, so `scan_cube_hdul` reads SCI and DQ a block of
channels at a time (memory-mapped, as `read_cube` does) and keeps:

- the number of good voxels (finite and not DO_NOT_USE, the mask of `read_cube`) and of
  channels with at least one;
- for the flux-level check of `comaspec.io._sanity`: how many good |flux| values lie below
  and above the plausible range. When the median is plainly inside it (every sane file), one
  pass suffices; otherwise the exact median is selected in further passes
  (`comaspec.io._order_stats`), so the warning quotes the number `read_cube` would give.

ERR is not read: only its presence is reported. It is checked as reading it would (its
shape, its unit, and that the file holds all of it), so a file ``info`` accepts is one the
other commands accept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import astropy.units as u
import numpy as np

from ..errors import InputError
from ._meta import jwst_meta
from ._order_stats import median_of_ranks, median_ranks, select_ranks
from ._sanity import _good, _label, flux_envelope, level_problem
from . import cube as _cube
from .cube import _bad_voxels, _blocks, _data_planes, _dq_dtype, _pixel_geometry, _wavelengths

__all__ = ["CubeStatistics", "scan_cube_hdul"]


@dataclass
class CubeStatistics:
    """A cube described without its data (`comaspec.io.read_summary`).

    Attributes
    ----------
    shape : tuple of int
        (nwave, ny, nx).
    wavelength : astropy.units.Quantity
        Every channel's wavelength, µm.
    pixel_scale : astropy.units.Quantity
        Side of one spaxel (arcsec).
    bunit : astropy.units.UnitBase
        The flux unit (BUNIT).
    has_error : bool
        True when the file has an ERR image.
    n_good : int
        Voxels neither non-finite nor flagged DO_NOT_USE (``(~read_cube(path).mask).sum()``).
    n_wavelengths_with_data : int
        Channels with at least one good voxel.
    flux_problem : str or None
        The flux-level warning of `comaspec.io._sanity.flux_scale_problem` on the whole cube.
    meta : dict
        As `comaspec.io.Cube.meta` for a cube read whole.
    """

    shape: tuple
    wavelength: u.Quantity
    pixel_scale: u.Quantity
    bunit: u.UnitBase
    has_error: bool
    n_good: int
    n_wavelengths_with_data: int
    flux_problem: str | None = None
    meta: dict = field(default_factory=dict)

    @property
    def n_points(self) -> int:
        """Voxels in the cube."""
        return int(np.prod(self.shape))


def _check_readable(planes):
    """Fail as reading every channel of ``planes`` would, without holding them: a memory-mapped
    image is mapped whole (numpy refuses a file too short for it; no page is touched) and
    unmapped; any other is read a block at a time."""
    if planes.offset is not None:
        whole = np.memmap(planes.path, dtype=planes.raw, mode="r", offset=planes.offset, shape=planes.shape)
        del whole
        return
    buffer = np.empty((_cube._BLOCK_CHANNELS,) + planes.shape[1:], dtype=np.float32)
    for _, a, b in _blocks([(0, planes.shape[0])]):
        planes.read(slice(a, b), buffer[:b - a])


def _scanned_blocks(planes, bunit, envelope):
    """Per block of channels: its bad voxels and its flux in the unit of ``envelope`` (None
    without an envelope). The buffers are reused from block to block."""
    sci, dq_planes = planes["SCI"], planes.get("DQ")
    buffer = np.empty((_cube._BLOCK_CHANNELS,) + sci.shape[1:], dtype=np.float32)
    dq_buffer = None if dq_planes is None else np.empty(buffer.shape, dtype=_dq_dtype(dq_planes))
    for _, a, b in _blocks([(0, sci.shape[0])]):
        flux = buffer[:b - a]
        sci.read(slice(a, b), flux)
        dq = None
        if dq_buffer is not None:
            dq = dq_buffer[:b - a]
            dq_planes.read(slice(a, b), dq)
        bad = _bad_voxels(flux, dq)
        # the conversion `flux_scale_problem` makes of the whole cube, a block at a time
        yield bad, None if envelope is None else u.Quantity(flux, bunit, copy=False).to_value(envelope[0])


def _some_error_usable(planes, bunit):
    """Whether any voxel with data has a finite, positive error, as `read_cube` asks (a block
    of channels at a time, stopping at the first block that has one)."""
    err = planes["ERR"]
    buffer = np.empty((_cube._BLOCK_CHANNELS,) + err.shape[1:], dtype=np.float32)
    for (bad, _), (_, a, b) in zip(_scanned_blocks(planes, bunit, None), _blocks([(0, err.shape[0])])):
        block = buffer[:b - a]
        err.read(slice(a, b), block)
        if _cube._some_error_usable(block, bad):   # read_cube's test, on this block
            return True
    return False


def _tally(planes, bunit, envelope):
    """Counts of one pass: good voxels, channels with data, and the values the flux level is
    taken of (|flux| finite, positive and not bad, as `comaspec.io._sanity._good` keeps them):
    their number, how many lie below and above the envelope's range, their dtype."""
    n_good = n_channels = n_values = n_below = n_above = 0
    dtype = None
    # compared in float64 (a float64 scalar is not cast to float32), as the median is
    lo, hi = (None, None) if envelope is None else map(np.float64, envelope[1])
    for bad, flux in _scanned_blocks(planes, bunit, envelope):
        good_per_channel = bad.shape[1] * bad.shape[2] - np.count_nonzero(bad, axis=(1, 2))
        n_good += int(good_per_channel.sum())
        n_channels += int(np.count_nonzero(good_per_channel))
        if flux is None:
            continue
        level = np.abs(flux)
        kept = np.isfinite(level)
        kept &= level > 0
        kept &= ~bad
        n_values += int(np.count_nonzero(kept))
        n_below += int(np.count_nonzero((level < lo) & kept))
        n_above += int(np.count_nonzero((level > hi) & kept))
        dtype = level.dtype if level.dtype.kind == "f" else np.dtype(float)
    return n_good, n_channels, (n_values, n_below, n_above, dtype)


def _flux_problem(planes, bunit, envelope, counts, label):
    """The flux-level warning of the whole cube: none when the median's ranks lie inside the
    envelope (read off the counts), else from the exact median."""
    n_values, n_below, n_above, dtype = counts
    if envelope is None or n_values == 0:
        return None
    ranks = median_ranks(n_values)
    # the lower middle value is >= lo and the upper one <= hi: so is their mean
    if n_below <= ranks[0] and n_above <= n_values - 1 - ranks[-1]:
        return None
    selected = select_ranks(lambda: (_good(flux, bad) for bad, flux in _scanned_blocks(planes, bunit, envelope)),
                            ranks, dtype)
    return level_problem(median_of_ranks(selected), envelope, label)


def scan_cube_hdul(source, hdul, path=None) -> CubeStatistics:
    """Describe an open s3d file as `comaspec.io.read_cube` would read it, without its data.

    Parameters
    ----------
    source : str
        Names the file in messages.
    hdul : astropy.io.fits.HDUList
        Opened lazily (``lazy_load_hdus=True``).
    path : str or pathlib.Path, optional
        The file, to memory-map it (uncompressed FITS only); without it astropy reads the data.

    Returns
    -------
    CubeStatistics

    Raises
    ------
    comaspec.InputError
        For every file `read_cube` refuses, with the same message.
    """
    header = hdul["SCI"].header
    bunit = _cube.sci_unit(source, header)
    nwave = int(header["NAXIS3"])
    wave = _wavelengths(source, hdul, header, nwave)
    _, pixel_scale, pixel_area, area_from = _pixel_geometry(source, header, hdul)
    shape = tuple(int(header[f"NAXIS{k}"]) for k in (3, 2, 1))
    planes = _data_planes(source, hdul, path, shape)
    for name in ("SCI", "ERR"):   # read_cube reads SCI, then ERR, then DQ
        if name in planes:
            _check_readable(planes[name])
    envelope = flux_envelope(bunit)
    n_good, n_channels, counts = _tally(planes, bunit, envelope)
    if "ERR" in planes:
        _cube.err_unit(source, hdul, bunit)   # an ERR unit that does not convert is refused, as by read_cube
    if n_good == 0:
        raise InputError(source, "every voxel of the cube is NaN or flagged DO_NOT_USE")
    if "ERR" in planes and not _some_error_usable(planes, bunit):
        raise InputError(source, "[ERR] is zero, negative or non-finite in every voxel that has data")
    meta = jwst_meta(hdul[0].header, header)
    meta.update(source_file=str(source), extension="SCI", product="s3d", pixel_area=pixel_area,
                pixel_area_from=area_from, wavelength_axis=str(header.get("CTYPE3", "")).strip(),
                primary_header=hdul[0].header, header=header, n_channels_file=nwave,
                wavelength_span_um=(float(wave[0]), float(wave[-1])), wavelength_ranges_um=None)
    return CubeStatistics(
        shape=shape, wavelength=u.Quantity(wave, u.um), pixel_scale=pixel_scale, bunit=bunit,
        has_error="ERR" in planes, n_good=n_good, n_wavelengths_with_data=n_channels,
        flux_problem=_flux_problem(planes, bunit, envelope, counts, _label(meta)), meta=meta,
    )
