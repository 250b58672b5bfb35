"""Figure (c): a coma fit — data, model, continuum, species components and residuals.

One column per fitted wavelength window (e.g. the 2.7 µm and 4.5 µm regions); rows: the
data with the model and its continuum; the continuum-subtracted data with each species'
bands; the normalised residuals (data − model)/σ. Band centres are marked, and each feature
is labelled at its strongest band.
"""

from __future__ import annotations

import numpy as np

from .style import figure_size, save_figure, use_style

__all__ = ["plot_fit", "SPECIES_COLOURS"]

# Okabe & Ito (2008) colour-blind-safe colours, one per species.
SPECIES_COLOURS = {"CO2": "#0072B2", "H2O": "#D55E00", "CO": "#009E73", "13CO2": "#CC79A7",
                   "OCS": "#E69F00"}
_DATA_COLOUR = "#444444"
# data of several spectra in a joint fit: grey, then Okabe & Ito sky blue and reddish purple
_DATA_COLOURS = (_DATA_COLOUR, "#56B4E9", "#CC79A7")
_MODEL_COLOUR = "#000000"
_CONT_COLOUR = "#999999"


def _window_columns(fit):
    """[(name, lo, hi)] of every window used by any spectrum, in wavelength order, each cut to the
    span of the fitted pixels in it (a short spectrum is not drawn in a mostly empty panel)."""
    spans = {}
    for comp in fit.components:
        wl = np.asarray(comp["wavelength_um"])
        used = np.asarray(comp["used"], dtype=bool)
        for name, lo, hi in comp["windows"]:
            inside = wl[used & (wl >= lo) & (wl <= hi)]
            if not inside.size:
                continue
            pad = 0.02 * (inside.max() - inside.min()) if inside.size > 1 else 0.0
            a, b = max(lo, inside.min() - pad), min(hi, inside.max() + pad)
            old = spans.get(name)
            spans[name] = (name, a, b) if old is None else (name, min(old[1], a), max(old[2], b))
    return sorted(spans.values(), key=lambda w: w[1])


def plot_fit(fit, path=None, *, width="double", aspect=0.7, flux_unit="W m-2 um-1", title=None):
    """Draw a `comaspec.results.ComaFit`: data, model, components, residuals, bands labelled.

    Parameters
    ----------
    fit : `comaspec.results.ComaFit`
    path : str or os.PathLike, optional
        Save the figure there (``.pdf`` or ``.png``, written atomically).
    width : {"single", "double"} or float
        Figure width (journal columns or inches).
    aspect : float
        Height / width.
    flux_unit : {"W m-2 um-1", "mJy"}
        Unit of the flux axis.
    title : str, optional
        Figure title (default: target and mode).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from ..errors import UsageError

    if flux_unit not in ("W m-2 um-1", "mJy"):
        raise UsageError(f"flux_unit must be 'W m-2 um-1' or 'mJy' (got {flux_unit!r})")
    columns = _window_columns(fit)
    if not columns:
        raise UsageError("the fit has no windows to draw")
    ratios = [hi - lo for _, lo, hi in columns]
    with use_style():
        fig, axes = plt.subplots(3, len(columns), figsize=figure_size(width, aspect), squeeze=False,
                                 sharex="col", gridspec_kw={"height_ratios": [3, 2, 1], "width_ratios": ratios})
        for k, (_, lo, hi) in enumerate(columns):
            _draw_window(axes[:, k], fit, lo, hi, flux_unit)
        axes[0, 0].set_ylabel("flux density (W m$^{-2}$ µm$^{-1}$)" if flux_unit != "mJy" else "flux density (mJy)")
        axes[1, 0].set_ylabel("− continuum")
        axes[2, 0].set_ylabel("(data − model)/σ")
        handles, labels = [], []
        for ax in (*axes[0], *axes[1]):
            for h, lab in zip(*ax.get_legend_handles_labels()):
                if lab not in labels:
                    handles.append(h)
                    labels.append(lab)
        axes[0, -1].legend(handles, labels, loc="upper right", ncol=1, handlelength=1.2)
        if title is None:
            target = fit.inputs.get("target") or ""
            mode = fit.inputs.get("mode") or ""
            title = f"{target} {mode}".strip()
        chi = f"χ²$_ν$ = {fit.chi2_reduced:.2f}"
        fig.suptitle(f"{title}  ({chi})" if title else chi, fontsize=8)
        if path is not None:
            save_figure(fig, path)
    return fig


def _draw_window(column_axes, fit, lo, hi, flux_unit):
    """One column of the figure: every spectrum's pixels in [lo, hi] on the three rows, the zero
    and ±3σ lines, and the band labels."""
    top, middle, bottom = column_axes
    for n_spec, comp in enumerate(fit.components):
        colour = _DATA_COLOURS[n_spec % len(_DATA_COLOURS)]
        label_data = "data" if len(fit.components) == 1 else f"data ({comp['mode']})"
        _draw_spectrum(column_axes, comp, lo, hi, flux_unit, colour, label_data)
    middle.axhline(0.0, color=_CONT_COLOUR, lw=0.4)
    bottom.axhline(0.0, color=_MODEL_COLOUR, lw=0.6)
    for s in (-3, 3):
        bottom.axhline(s, color=_CONT_COLOUR, lw=0.4, ls=":")
    top.set_xlim(lo, hi)
    _label_bands(top, fit, lo, hi)
    bottom.set_xlabel("wavelength (µm)")


def _draw_spectrum(column_axes, comp, lo, hi, flux_unit, colour, label_data):
    """One spectrum's good pixels in [lo, hi]: data, continuum and model (top), the continuum-subtracted
    data with each species' bands (middle), the normalised residuals (bottom)."""
    top, middle, bottom = column_axes
    wl = comp["wavelength_um"]
    sel = (wl >= lo) & (wl <= hi) & comp["good"]
    if not sel.any():
        return
    scale = _scale(wl[sel], flux_unit)
    data = comp["flux"][sel] * scale
    err = comp["error"][sel] * scale
    model = comp["model"][sel] * scale
    cont = comp["continuum"][sel] * scale
    top.errorbar(wl[sel], data, yerr=err, fmt="o", ms=1.8, mew=0, elinewidth=0.5,
                 color=colour, label=label_data, zorder=2)
    top.plot(wl[sel], cont, color=_CONT_COLOUR, ls="--", lw=0.8, label="continuum", zorder=3)
    top.plot(wl[sel], model, color=_MODEL_COLOUR, lw=1.0, label="model", zorder=5)
    # continuum-subtracted: each species' bands on their own
    middle.errorbar(wl[sel], data - cont, yerr=err, fmt="o", ms=1.8, mew=0, elinewidth=0.5,
                    color=colour, zorder=2)
    for species, values in comp["species"].items():
        values = values[sel] * scale
        if not np.any(values):
            continue
        middle.plot(wl[sel], values, color=SPECIES_COLOURS.get(species, "C0"), lw=0.9,
                    label=species, zorder=4)
    middle.plot(wl[sel], model - cont, color=_MODEL_COLOUR, lw=0.6, ls=":", zorder=5)
    resid = (comp["flux"][sel] - comp["model"][sel]) / comp["error"][sel]
    bottom.plot(wl[sel], resid, "o", ms=1.8, mew=0, color=colour)


def _scale(wavelength_um, flux_unit):
    if flux_unit == "W m-2 um-1":
        return 1.0
    import astropy.units as u

    return (1.0 * u.W / u.m**2 / u.um).to_value(u.mJy, equivalencies=u.spectral_density(wavelength_um * u.um))


def _label_bands(ax, fit, lo, hi):
    """A thin line at every band centre of the fitted features inside [lo, hi], and the
    species name at the strongest band of each feature (the mean of a feature's centres can
    fall between its bands, e.g. H2O 4.63 and 4.85 um)."""
    from ..physics import molecules

    for name, s in fit.species.items():
        if not s.covered:
            continue
        colour = SPECIES_COLOURS.get(name, "C0")
        for feature in s.extra.get("features_fitted", [s.feature]):
            bands = molecules.bands_of(name, feature)
            for b in bands:
                if lo <= b.center_um <= hi:
                    ax.axvline(b.center_um, color=colour, lw=0.4, alpha=0.4, zorder=1)
            strongest = max(bands, key=lambda b: b.g_1au if np.isfinite(b.g_1au) else -1.0)
            if lo <= strongest.center_um <= hi:
                ax.text(strongest.center_um, 1.01, name, transform=ax.get_xaxis_transform(), ha="center",
                        va="bottom", fontsize=6, color=colour)
