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

import warnings

import numpy as np

from ..errors import ComaspecWarning

__all__ = ["find_nucleus", "band_filter", "WEAK_SNR", "DISAGREE_PIX"]

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
    g-factors, through the LSF, at both ends of the fitter's T_rot range); the baseline is a
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
    from ..fit import DEFAULT_TROT_BOUNDS_K
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
            filt = band_filter(wl, name, mode)
        except ComaspecError:  # no template or line list for this species
            continue
        if filt is None:
            continue
        idx, w = filt
        data = np.where(cube.mask[idx], np.nan, cube.flux.value[idx])
        sigma = np.where(cube.mask[idx], np.nan, err[idx]) if err is not None else None
        sigma = np.broadcast_to(_noise_image(data, sigma, idx.size), data.shape) if sigma is None else sigma
        image = np.tensordot(w, data, axes=1)
        var = np.tensordot(w**2, sigma**2, axes=1)
        bad = ~(np.isfinite(image) & np.isfinite(var))
        image, var = np.where(bad, 0.0, image), np.where(bad, 0.0, var)
        snr, _ = _smoothed_snr(image, var)
        if best is None or snr > best[3]:
            best = (name, image, var, snr)
    return best


def _centre_from(image, start, radius_pix):
    from .extract import centroid

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
    from .extract import continuum_image

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
