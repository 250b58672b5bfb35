"""Where the nucleus is on a cube: from the dust continuum, or from the gas where the dust is weak.

The continuum photocentre (`comaspec.io.extract.continuum_photocentre`) is the default: the
dust coma is the sharpest tracer of the nucleus. A cube of a gas-rich, dust-poor coma has
no continuum to centre on, and the centroid then lands on noise. So both images are made:

* continuum: the median over wavelength of each spaxel (as `continuum_photocentre`);
* gas: for each species' main feature (CO2 4.26 µm, H2O 2.7 µm, CO 4.7 µm, ...) the
  band-integrated emission of each spaxel above a straight baseline fitted to the channels
  on either side of the band (one linear filter of the spaxel's spectrum; see
  `band_filter`). The feature with the highest peak S/N is kept.

Each image's *peak S/N* is that of its 3×3-smoothed image at its brightest spaxel, with the
noise propagated from the cube's ERR (or, without ERR, from the scatter of consecutive
channels). An image whose peak S/N is below `WEAK_SNR` is "weak": a pure-noise image of
10⁴ spaxels peaks near 4σ, so below 10 a centroid may be following noise.

The rule: the continuum photocentre unless the continuum is weak; then the gas centre if
the gas is not weak; when both are weak, the stronger of the two, with a warning. When both
are strong and their centres lie more than `DISAGREE_PIX` spaxels apart a warning says so
(and that ``--center`` fixes the position).
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from ..errors import ComaspecWarning, InputError

__all__ = ["find_nucleus", "locate_nucleus", "nucleus_position", "continuum_photocentre", "continuum_image",
           "median_image", "median_block_rows", "photocentre_channels",
           "centroid", "band_filter", "search_summary", "WEAK_SNR", "DISAGREE_PIX", "PHOTOCENTRE_CHANNELS"]

#: Peak S/N (3×3-smoothed image) below which an image is too weak to centre on.
WEAK_SNR = 10.0
#: Distance (spaxels) between the continuum and the gas centres above which a warning is given.
DISAGREE_PIX = 1.0
# Fraction of a band's area (through the LSF, over the fitter's T_rot range) inside its window.
_BAND_AREA = 0.95


def _smoothed_snr(image, var):
    """Peak S/N of the 3×3-smoothed image and the (x, y) of that peak."""
    ny, nx = image.shape

    def box(a):
        p = np.pad(a, 1)
        return sum(p[dy:dy + ny, dx:dx + nx] for dy in range(3) for dx in range(3))

    s, v = box(image), box(var)
    with np.errstate(all="ignore"):
        snr = np.where(v > 0, s / np.sqrt(v), 0.0)
    y, x = np.unravel_index(np.argmax(np.where(np.isfinite(snr), snr, -np.inf)), snr.shape)
    return float(snr[y, x]), (float(x), float(y))


def band_filter(wavelength_um, species, lsf):
    """The linear filter giving a band's integrated emission from one spaxel's spectrum.

    The window holds the central 95 % of the feature's area (its bands weighted by their
    g-factors, through the LSF, at both ends of the fitter's T_rot range,
    ``DEFAULT_TROT_BOUNDS_K``); the baseline is a
    straight line fitted to as many channels again on each side.

    Parameters
    ----------
    wavelength_um : numpy.ndarray
        The cube's channels (µm, increasing).
    species : str
    lsf : LSF object or specification (`comaspec.instrument.make_lsf`)

    Returns
    -------
    (numpy.ndarray, numpy.ndarray) or None
        Channel indices and weights (excess = Σ weights · data, in data units × channels),
        or None when the band or its flanks are not inside the cube.
    """
    from .._ranges import DEFAULT_TROT_BOUNDS_K
    from ..physics.molecules import bands_of
    from ..physics.templates import band_profile

    profile = np.zeros(wavelength_um.size)
    for band in bands_of(species):
        if not np.isfinite(band.g_1au):
            continue
        for T in DEFAULT_TROT_BOUNDS_K:
            profile += band.g_1au * band_profile(species, band.band, wavelength_um, T, lsf)
    if not profile.any():
        return None
    cum = np.cumsum(profile) / profile.sum()
    lo = int(np.searchsorted(cum, (1 - _BAND_AREA) / 2))
    hi = int(np.searchsorted(cum, 1 - (1 - _BAND_AREA) / 2)) + 1
    width = max(hi - lo, 3)
    if lo - width < 0 or hi + width > wavelength_um.size or profile[lo:hi].sum() < 0.5 * profile.sum():
        return None
    idx = np.arange(lo - width, hi + width)
    inside = (idx >= lo) & (idx < hi)
    x = wavelength_um[idx] - wavelength_um[lo:hi].mean()
    design = np.c_[np.ones(idx.size), x]
    baseline = np.linalg.pinv(design[~inside])  # (2, n_flank): line through the flanks
    weights = inside.astype(float)
    weights[~inside] -= design[inside].sum(axis=0) @ baseline
    return idx, weights


@functools.lru_cache(maxsize=32)
def _cached_filter(wavelength_bytes, species, mode):
    """`band_filter` per (grid, species, mode): the cubes of a batch or a map share their grid."""
    return band_filter(np.frombuffer(wavelength_bytes), species, mode)


def _noise_image(data, error, axis_len):
    """Per-spaxel sigma of one channel (median ERR, or the scatter of consecutive channels)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if error is not None:
            return np.nanmedian(error, axis=0)
        diff = np.diff(data, axis=0)
        return 1.4826 * np.nanmedian(np.abs(diff - np.nanmedian(diff, axis=0)), axis=0) / np.sqrt(2.0)


def _gas_image(cube, species):
    """(species, image, variance image) of the feature with the highest peak S/N, or None."""
    from ..physics import instrument
    from ..errors import ComaspecError

    mode = instrument.mode_from_meta(cube.meta)
    if mode is None:
        return None
    wl = cube.wavelength.to_value("um")
    err = None if cube.error is None else cube.error.to_value(cube.bunit)
    best = None
    for name in species:
        try:
            filt = _cached_filter(wl.tobytes(), name, mode)
        except ComaspecError:  # no template or line list for this species
            continue
        if filt is None:
            continue
        image, var = _band_image(cube.flux.value, err, cube.mask, *filt)
        image, var = image.reshape(cube.shape[1:]), var.reshape(cube.shape[1:])
        snr, _ = _smoothed_snr(image, var)
        if best is None or snr > best[3]:
            best = (name, image, var, snr)
    return best


#: Voxels of a band's channels converted to float64 at a time by `_band_image` (32 MB).
_BAND_BLOCK_VOXELS = 4_000_000


def _band_image(flux, error, mask, idx, weights):
    """A band filter (`band_filter`) applied to every spaxel, and its variance.

    The spaxels are taken a block at a time: only a block of the band's channels is ever
    converted to float64 (on a 200 x 200 G395H cube the whole band in float64 took 0.6 GB).
    Each spaxel's sums are those of the whole-cube product.

    Parameters
    ----------
    flux : numpy.ndarray, shape (nwave, ny, nx)
        Surface brightness (any float type).
    error : numpy.ndarray or None
        1σ of each voxel, same shape; None: the noise is the scatter of consecutive channels.
    mask : numpy.ndarray of bool, same shape
        Bad voxels.
    idx, weights : numpy.ndarray
        Consecutive channel indices and their weights (`band_filter`).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray), shape (ny * nx,)
        Σ weights · flux and its variance, both 0 where a channel of the band is masked or a
        value is not finite.
    """
    n = idx.size
    rows = slice(int(idx[0]), int(idx[-1]) + 1)  # contiguous channels: (channels, spaxels) views
    data, bad_voxels = flux[rows].reshape(n, -1), mask[rows].reshape(n, -1)
    err = None if error is None else error[rows].reshape(n, -1)
    image, var, bad = np.empty(data.shape[1]), np.empty(data.shape[1]), np.empty(data.shape[1], dtype=bool)
    step = max(1, _BAND_BLOCK_VOXELS // n)
    for a in range(0, data.shape[1], step):
        cols = slice(a, a + step)
        image[cols] = weights @ data[:, cols]
        if err is not None:
            var[cols] = (weights**2) @ (err[:, cols] ** 2)
        else:
            noisy = np.where(bad_voxels[:, cols], np.nan, data[:, cols])
            var[cols] = weights @ weights * _noise_image(noisy, None, n) ** 2
        np.any(bad_voxels[:, cols], axis=0, out=bad[cols])
    bad |= ~np.isfinite(image) | ~np.isfinite(var)
    return np.where(bad, 0.0, image), np.where(bad, 0.0, var)


def _centre_from(image, start, radius_pix):
    return centroid(np.where(image > 0, image, 0.0), start, radius_pix)


def find_nucleus(cube, radius_pix=None, species=None):
    """The nucleus of a cube, from the continuum or the gas (see the module's rule).

    Parameters
    ----------
    cube : `comaspec.io.Cube`
    radius_pix : float, optional
        Centroiding radius in spaxels (default 3, or larger when given).
    species : sequence of str, optional
        Species whose main feature may locate the gas (default: every species).

    Returns
    -------
    dict
        ``xy`` (0-based pixels), ``method`` (``"continuum photocentre"`` or
        ``"gas centroid (<species> <feature>)"``), ``continuum_snr``, ``continuum_xy``,
        ``gas_species``, ``gas_snr``, ``gas_xy`` (None when no feature is in the cube),
        ``weak_snr`` and ``notes`` (one line each; also issued as `ComaspecWarning`).
    """
    from ..physics.molecules import SPECIES, default_feature

    cont, cont_var = continuum_image(cube)
    cont_snr, cont_peak = _smoothed_snr(cont, cont_var)
    out = {"continuum_snr": cont_snr, "continuum_xy": None, "gas_species": None, "gas_snr": None,
           "gas_xy": None, "weak_snr": WEAK_SNR, "notes": []}
    if np.any(cont > 0):
        out["continuum_xy"] = _centre_from(cont, cont_peak, radius_pix)
    gas = _gas_image(cube, SPECIES if species is None else species)
    if gas is not None:
        name, image, var, snr = gas
        _, peak = _smoothed_snr(image, var)
        out.update(gas_species=f"{name} {default_feature(name)}", gas_snr=snr,
                   gas_xy=_centre_from(image, peak, radius_pix) if np.any(image > 0) else None)
    use_gas = out["gas_xy"] is not None and (out["continuum_xy"] is None or (
        cont_snr < WEAK_SNR and out["gas_snr"] > cont_snr))
    out["xy"] = out["gas_xy"] if use_gas else out["continuum_xy"]
    out["method"] = f"gas centroid ({out['gas_species']})" if use_gas else "continuum photocentre"
    out["notes"] = _notes(out, cube.meta.get("source_file", "cube"))
    for note in out["notes"]:
        warnings.warn(note, ComaspecWarning, stacklevel=2)
    return out


def _notes(found, source):
    """What the user must know about the centre: a weak tracer, or two that disagree."""
    cont, gas = found["continuum_snr"], found["gas_snr"]
    gas_text = "no band in the cube" if gas is None else f"{found['gas_species']} {gas:.1f}"
    if max(cont, gas or 0.0) < WEAK_SNR:
        return [f"{source}: neither the continuum (peak S/N {cont:.1f}) nor the gas ({gas_text}) is bright enough "
                f"(S/N >= {WEAK_SNR:g}) to find the nucleus; the {found['method']} may follow noise: give the "
                "nucleus (--center X,Y)"]
    notes = []
    if found["method"] != "continuum photocentre":
        notes.append(f"{source}: the dust continuum is weak (peak S/N {cont:.1f} < {WEAK_SNR:g}): the aperture is "
                     f"centred on the {found['method']}, peak S/N {gas:.1f}")
    elif gas is not None and gas >= WEAK_SNR and found["gas_xy"] is not None:
        (xc, yc), (xg, yg) = found["continuum_xy"], found["gas_xy"]
        d = float(np.hypot(xg - xc, yg - yc))
        if d > DISAGREE_PIX:
            notes.append(f"{source}: the continuum photocentre ({xc:.2f}, {yc:.2f}) and the {found['gas_species']} "
                         f"gas centroid ({xg:.2f}, {yg:.2f}) lie {d:.1f} spaxels apart (> {DISAGREE_PIX:g}); the "
                         "continuum photocentre is used: give the nucleus (--center X,Y) if it is the gas's")
    return notes


# ------------------------------------------------------------------ the continuum photocentre
#: Most channels whose median makes the continuum image of `continuum_photocentre`.
PHOTOCENTRE_CHANNELS = 250


def photocentre_channels(nwave):
    """The channels of the continuum image: every k-th, at most `PHOTOCENTRE_CHANNELS`.

    Parameters
    ----------
    nwave : int
        Channels in the cube's file.

    Returns
    -------
    slice
    """
    return slice(None, None, -(-nwave // PHOTOCENTRE_CHANNELS))


#: Voxels (channels x spaxels) `median_image` takes at a time: no full-cube temporaries.
_MEDIAN_BLOCK_VOXELS = 2_000_000


def median_block_rows(nwave, nx):
    """Rows of spaxels that `median_image` takes at a time.

    Parameters
    ----------
    nwave : int
        Channels in the median.
    nx : int
        Spaxels in a row.

    Returns
    -------
    int
    """
    return max(1, _MEDIAN_BLOCK_VOXELS // max(1, nwave * nx))


def median_image(flux, mask, channels, error=None):
    """Median over ``channels`` of the good voxels of each spaxel, and its variance.

    Parameters
    ----------
    flux, mask : numpy.ndarray, shape (nwave, ny, nx)
        Surface brightness and bad voxels (True).
    channels : slice
    error : numpy.ndarray, optional
        1σ of each voxel, in the unit of ``flux``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The median, 0 where no voxel is good; and its variance, (π/2) σ² / n (the variance of
        the median of n Gaussian samples) with σ the spaxel's median error, or the scatter of
        consecutive channels without errors.
    """
    _, ny, nx = flux.shape
    nwave = len(range(*channels.indices(flux.shape[0])))
    image, var = np.empty((ny, nx)), np.empty((ny, nx))
    step = median_block_rows(nwave, nx)
    for y0 in range(0, ny, step):
        rows = slice(y0, y0 + step)
        data = np.where(mask[channels, rows], np.nan, flux[channels, rows])
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            # np.nanmedian loops over spaxels in Python for long axes; np.median is vectorised
            # wavelength made the contiguous axis: partitioning strided data is several times slower
            flat = np.ascontiguousarray(data.reshape(nwave, -1).T)
            med = np.median(flat, axis=1) if not np.isnan(flat).any() else np.nanmedian(flat, axis=1)
            image[rows] = med.reshape(-1, nx)
            err = None if error is None else np.where(np.isnan(data), np.nan, error[channels, rows])
            n_good = np.sum(~np.isnan(data), axis=0)
            var[rows] = np.pi / 2 * _noise_image(data, err, nwave) ** 2 / np.maximum(n_good, 1)
    good = np.isfinite(image) & np.isfinite(var)
    return np.where(good, image, 0.0), np.where(good, var, 0.0)


def continuum_image(cube):
    """The continuum image of a cube and its variance (see `continuum_photocentre`).

    A cube read for some wavelength ranges only carries the image its reader made from the
    file's own channels (``cube.continuum``), so the nucleus does not depend on the channels
    read; otherwise it is made here from `photocentre_channels` of the cube.

    Parameters
    ----------
    cube : `comaspec.io.Cube`

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        See `median_image`.
    """
    if getattr(cube, "continuum", None) is not None:
        return cube.continuum
    error = None if cube.error is None else cube.error.to_value(cube.bunit)
    return median_image(cube.flux.value, cube.mask, photocentre_channels(cube.shape[0]), error)


def centroid(image, start, radius_pix=None):
    """Flux-weighted centroid of the positive pixels of ``image`` within ``radius_pix`` (default
    3, or larger when given) of ``start`` (x, y), iterated to convergence.

    Returns
    -------
    tuple of float
    """
    ny, nx = image.shape
    x, y = (float(v) for v in start)
    r = max(3.0, float(radius_pix or 0.0))
    yy, xx = np.mgrid[0:ny, 0:nx]
    weights = np.clip(image, 0.0, None)
    for _ in range(50):
        inside = (xx - x) ** 2 + (yy - y) ** 2 <= r**2
        w = weights * inside
        total = w.sum()
        if total <= 0:
            break
        nx_, ny_ = (w * xx).sum() / total, (w * yy).sum() / total
        shift = np.hypot(nx_ - x, ny_ - y)
        x, y = float(nx_), float(ny_)
        if shift < 1e-4:
            break
    return x, y


def continuum_photocentre(cube, radius_pix=None):
    """Continuum photocentre (x, y) of a cube, in 0-based pixels.

    The continuum image is the median over wavelength of the good voxels (emission
    lines occupy few channels, so they barely move it), taken over at most
    ``PHOTOCENTRE_CHANNELS`` channels evenly spaced along the cube (all of them for
    shorter cubes): a median of a few hundred samples per spaxel is as robust a continuum
    level, and the full median of a 3000-channel, 100 × 100 cube took half the time of
    mapping it. Starting at the brightest
    spaxel of a 3×3-smoothed image, the flux-weighted centroid of the positive
    spaxels within ``radius_pix`` is iterated to convergence. On a cube whose continuum
    is weak this follows noise: `comaspec.io.nucleus.find_nucleus` (what the extraction
    uses) then centres on the gas.

    Parameters
    ----------
    cube : `comaspec.io.Cube`
    radius_pix : float, optional
        Centroiding radius in spaxels (default 3, or larger when given).

    Returns
    -------
    tuple of float
    """
    image, _ = continuum_image(cube)
    if not np.any(image > 0):
        raise InputError(cube.meta.get("source_file", "cube"),
                         "no positive continuum: cannot find the photocentre; give center=")
    ny, nx = image.shape
    padded = np.pad(image, 1)
    smooth = sum(padded[dy:dy + ny, dx:dx + nx] for dy in range(3) for dx in range(3)) / 9.0
    y, x = np.unravel_index(np.argmax(smooth), smooth.shape)
    return centroid(image, (x, y), radius_pix)


def locate_nucleus(cube, center=None, radius_pix=None, species=None):
    """The nucleus: ``center`` checked, or found from the data (`comaspec.io.nucleus.find_nucleus`).

    Parameters
    ----------
    cube : `comaspec.io.Cube`
    center : (x, y), optional
        0-based pixels.
    radius_pix : float, optional
        Centroiding radius (`centroid`).
    species : sequence of str, optional
        Species whose features may locate the gas (default every species).

    Returns
    -------
    dict
        ``xy``, ``method`` ("given", "continuum photocentre" or "gas centroid (...)") and,
        when searched, the search's S/N, both centres and notes (`find_nucleus`).
    """
    if center is None:
        found = find_nucleus(cube, radius_pix, species)
        if found["xy"] is None:
            raise InputError(cube.meta.get("source_file", "cube"),
                             "no positive continuum and no gas emission: cannot find the nucleus; give center=")
        return found
    try:
        nucleus = tuple(float(v) for v in center)
    except (TypeError, ValueError):
        raise InputError("center", f"must be (x, y) in pixels (got {center!r})") from None
    if len(nucleus) != 2 or not all(np.isfinite(nucleus)):
        raise InputError("center", f"must be two finite pixel coordinates (got {center!r})")
    return {"xy": nucleus, "method": "given"}


def nucleus_position(cube, center=None, radius_pix=None):
    """The nucleus: ``center`` checked, or found from the data (`locate_nucleus`).

    Parameters
    ----------
    cube : `comaspec.io.Cube`
    center : (x, y), optional
        0-based pixels.
    radius_pix : float, optional
        Centroiding radius.

    Returns
    -------
    (tuple of float, str)
        (x, y) and how it was found ("given", "continuum photocentre", "gas centroid (...)").
    """
    found = locate_nucleus(cube, center, radius_pix)
    return found["xy"], found["method"]


def search_summary(found):
    """The nucleus search as plain numbers (``meta["nucleus_search"]``; the JSON's ``centre``)."""
    def num(v):
        return None if v is None else round(float(v), 3)

    out = {"method": found["method"]}
    for key in ("continuum_snr", "gas_snr", "weak_snr"):
        if key in found:
            out[key] = num(found[key])
    for key in ("continuum_xy", "gas_xy"):
        if key in found:
            out[key] = None if found[key] is None else [num(v) for v in found[key]]
    if "gas_species" in found:
        out["gas_feature"] = found["gas_species"]
    out["notes"] = list(found.get("notes", []))
    return out
