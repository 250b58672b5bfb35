"""Figures of IFU maps: a panel of maps, radial profiles, the Q-curve.

The map panel shows, for each quantity, the image with SNR contours of H2O (when mapped, else the
first species; white on a black edge, so that they show on every panel),
a nucleus marker, arrows toward the Sun and along the velocity vector (when known), a
compass (N, E) and a scale bar labelled in arcsec and km.
"""

from __future__ import annotations

import numpy as np

from ..ratios import format_value
from ._legible import legend_above
from .style import figure_size, save_figure, use_style

__all__ = ["maps_panel", "profiles_figure", "q_curve_figure", "DEFAULT_PANELS", "SNR_LEVELS"]

#: Quantities shown by default (those present); any extension name of the maps'
#: FITS file (`comaspec.maps.registry.QUANTITIES`) can be a panel.
DEFAULT_PANELS = ("CO2_COLUMN", "H2O_COLUMN", "RATIO_CO2_H2O", "TROT")


def _quantity(maps, name):
    """(image, colour-bar label, its `comaspec.maps.registry.MapQuantity`) of a panel name
    such as CO2_COLUMN, SNR_H2O, TROT."""
    from ..maps.registry import find

    quantity, species, error = find(maps, name)
    return (*quantity.panel(maps, species, error), quantity)


def _arrow(ax, maps, pa, label, colour, length):
    from ..maps.geometry import pa_to_pixel_vector

    d = pa_to_pixel_vector(maps.wcs, float(pa.to_value("deg"))) * length
    x0, y0 = maps.nucleus_xy
    ax.annotate("", xy=(x0 + d[0], y0 + d[1]), xytext=(x0, y0),
                arrowprops=dict(arrowstyle="->", color=colour, lw=1.0))
    ax.text(x0 + 1.18 * d[0], y0 + 1.18 * d[1], label, color=colour, ha="center", va="center", fontsize=7)


#: SNR contour levels drawn where the map spans them.
SNR_LEVELS = (3, 10, 30, 100, 300, 1000, 3000, 10000)


def _snr_levels(snr_image):
    if snr_image is None or not np.isfinite(snr_image).any():
        return []
    lo, hi = np.nanmin(snr_image), np.nanmax(snr_image)
    return [lv for lv in SNR_LEVELS if lo < lv < hi]


#: SNR contours: white lines on a dark edge, visible on dark and light pixels (and on the
#: blank pixels of the ratio map, drawn in `BLANK_COLOUR`).
CONTOUR_COLOUR, CONTOUR_EDGE = "white", "black"
#: Colour of pixels without a value (e.g. ratio limits), distinct from white.
BLANK_COLOUR = "0.8"


def _snr_contours(ax, snr_image, levels):
    from matplotlib import patheffects

    cs = ax.contour(np.nan_to_num(snr_image), levels=levels, colors=CONTOUR_COLOUR, linewidths=0.7)
    cs.set_path_effects([patheffects.Stroke(linewidth=1.8, foreground=CONTOUR_EDGE), patheffects.Normal()])
    cs.set_gid("snr-contours")
    return cs


def _decorate(ax, maps, snr_image):
    import astropy.units as u

    from ..maps.geometry import pa_to_pixel_vector

    ny, nx = maps.shape
    x0, y0 = maps.nucleus_xy
    levels = _snr_levels(snr_image)
    if levels:
        _snr_contours(ax, snr_image, levels)
    ax.plot([x0], [y0], marker="+", color="k", ms=8, mew=1.2)
    length = 0.22 * min(nx, ny)
    if maps.sun_pa is not None:
        _arrow(ax, maps, maps.sun_pa, "☉", "tab:orange", length)
    if maps.velocity_pa is not None:
        _arrow(ax, maps, maps.velocity_pa, "v", "tab:cyan", length)
    # compass in the top-left corner
    cx, cy = 0.2 * nx, 0.75 * ny
    for pa, lab in ((0.0, "N"), (90.0, "E")):
        d = pa_to_pixel_vector(maps.wcs, pa) * 0.1 * min(nx, ny)
        ax.annotate("", xy=(cx + d[0], cy + d[1]), xytext=(cx, cy),
                    arrowprops=dict(arrowstyle="-", color="w", lw=0.8))
        ax.text(cx + 1.5 * d[0], cy + 1.5 * d[1], lab, fontsize=6, ha="center", va="center", color="w")
    # scale bar: a round number of km near a quarter of the field
    km_per_pix = float((maps.pixel_scale * maps.geometry.km_per_arcsec).to_value(u.km))
    target = 0.25 * nx * km_per_pix
    km = float(10 ** np.floor(np.log10(target)))
    km = max(k for k in (km, 2 * km, 5 * km) if k <= target) if target >= km else km
    pix = km / km_per_pix
    arcsec = pix * float(maps.pixel_scale.to_value(u.arcsec))
    xb, yb = nx - 1.0 - pix, 0.06 * ny
    ax.plot([xb, xb + pix], [yb, yb], color="w", lw=1.5)
    ax.text(xb + pix, yb + 0.03 * ny, f"{km:,.0f} km\n{arcsec:.2g}\"", ha="right", va="bottom", fontsize=6,
            color="w")


def maps_panel(maps, path=None, *, panels=None, snr_species=None):
    """A row of maps with nucleus marker, Sun/velocity arrows, compass, scale bar and SNR contours.

    Parameters
    ----------
    maps : `comaspec.maps.ComaMaps`
    path : str or os.PathLike, optional
        Write the figure (.pdf or .png).
    panels : sequence of str, optional
        Extension names of the maps' FITS file (``CO2_COLUMN``, ``SNR_H2O``,
        ``RATIO_CO2_H2O``, ``TROT``, ``TROT_ERR``...: every map of
        `comaspec.maps.registry.QUANTITIES`); default those of `DEFAULT_PANELS` that exist.
    snr_species : str, optional
        Species whose SNR is contoured (default H2O when mapped, else the first species);
        the levels of `SNR_LEVELS` inside its range are drawn.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if panels is None:
        from ..maps.registry import hdu_names

        present = {name for name, *_ in hdu_names(maps)}
        panels = [p for p in DEFAULT_PANELS if p in present]
    species = snr_species or ("H2O" if "H2O" in maps.species else maps.species[0])
    snr = maps.image(maps.snr[species])
    n = len(panels)
    with use_style():
        width, _ = figure_size("double")
        fig, axes = plt.subplots(1, n, figsize=(width, width / n * 1.15), squeeze=False)
        for ax, name in zip(axes[0], panels):
            image, label, quantity = _quantity(maps, name)
            norm = None
            if quantity.log and np.nanmin(image) > 0:
                from matplotlib.colors import LogNorm

                norm = LogNorm()  # a coma's columns span decades
            cmap = plt.get_cmap(quantity.cmap).with_extremes(bad=BLANK_COLOUR)
            im = ax.imshow(image, origin="lower", cmap=cmap, interpolation="nearest", norm=norm)
            cb = fig.colorbar(im, ax=ax, orientation="horizontal", pad=0.04, fraction=0.06)
            cb.set_label(label, fontsize=7)
            cb.ax.tick_params(labelsize=6)
            _decorate(ax, maps, snr)
            ax.set_xticks([])
            ax.set_yticks([])
        levels = ", ".join(str(lv) for lv in _snr_levels(snr)) or "none in range"
        fig.suptitle(f"contours: {species} SNR {levels};  +: nucleus ({maps.nucleus_method})", fontsize=7,
                     color="0.3")
        if path is not None:
            save_figure(fig, path)
    return fig


def profiles_figure(profiles, path=None, *, fits=None):
    """Column-density radial profiles (log-log), one line per table.

    Parameters
    ----------
    profiles : dict
        Label → table from `comaspec.maps.radial_profile`.
    path : str or os.PathLike, optional
    fits : dict, optional
        Label → `comaspec.maps.profiles.ExtendedSourceFit` to overplot (as mean columns).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    with use_style():
        fig, ax = plt.subplots(figsize=figure_size("single", 0.8))
        for label, t in profiles.items():
            ax.errorbar(t["rho_km"].value, t["column"].value, t["column_err"].value, fmt="o", ms=3, label=label)
        for label, f in (fits or {}).items():
            p = f.profile
            scale = np.asarray(f.meta.get("column_per_molecule", []))
            if scale.size == len(p):
                ax.plot(f.meta["rho_km"], p["model_parent"] * scale, "k--", lw=0.8, label=f"{label}: parent")
                ax.plot(f.meta["rho_km"], p["model_extended"] * scale, "k-", lw=0.8, label=f"{label}: + distributed")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("projected distance from the nucleus (km)")
        ax.set_ylabel("column density (cm$^{-2}$)")
        ax.legend(fontsize=6)
        if path is not None:
            save_figure(fig, path)
    return fig


def _q_text(q, err):
    """Q as '(4.934 ± 0.042)×10^26': the error with two significant digits, one power of ten."""
    if not (q and np.isfinite(q)):
        return f"{q:.3g}"
    p = int(np.floor(np.log10(abs(q))))
    body = format_value(q / 10.0**p, None if err is None else err / 10.0**p)
    return f"({body})$\\times10^{{{p}}}$" if "±" in body else f"{body}$\\times10^{{{p}}}$"


def _terminal_handles():
    """Legend entries of the terminal Q (line and 1σ band) and of the plateau."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    return [Line2D([], [], color="k", lw=0.8, label="terminal Q ± 1σ"),
            Patch(facecolor="0.9", edgecolor="none", label="plateau")]


def q_curve_figure(curve, path=None):
    """Q from circular apertures and annuli against radius, with the terminal Q and its plateau.

    Parameters
    ----------
    curve : astropy.table.QTable
        From `comaspec.maps.q_curve`.
    path : str or os.PathLike, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    m = curve.meta
    # Q in units of 10^p s^-1 on the axis (no "1e26" offset text)
    p = int(np.floor(np.log10(abs(m["Q_terminal"])))) if m["Q_terminal"] and np.isfinite(m["Q_terminal"]) else 0
    unit = 10.0**p
    q_text = _q_text(m["Q_terminal"], m["Q_terminal_err"])
    growth = format_value(m["growth_factor"], m["growth_factor_err"]) or "undetermined"
    with use_style():
        fig, ax = plt.subplots(figsize=figure_size("single", 0.7))
        r = curve["r"].value
        ax.errorbar(r, curve["Q_circle"].value / unit, curve["Q_circle_err"].value / unit, fmt="o-", ms=3,
                    label="circle")
        ax.errorbar(r, curve["Q_annulus"].value / unit, curve["Q_annulus_err"].value / unit, fmt="s", ms=3,
                    mfc="none", label="annulus")
        lo, hi = m["plateau_arcsec"]
        ax.axvspan(lo, hi, color="0.9", zorder=0)
        ax.axhline(m["Q_terminal"] / unit, color="k", lw=0.8)
        ax.axhspan((m["Q_terminal"] - m["Q_terminal_err"]) / unit, (m["Q_terminal"] + m["Q_terminal_err"]) / unit,
                   color="0.7", alpha=0.5, zorder=0)
        ax.text(0.98, 0.04, f"terminal Q = {q_text} s$^{{-1}}$\ngrowth factor = {growth}",
                transform=ax.transAxes, ha="right", va="bottom", fontsize=7)
        ax.set_xlabel("aperture radius (arcsec)")
        ax.set_ylabel(f"Q({m['species']}) ($10^{{{p}}}$ s$^{{-1}}$)")
        legend_above(ax, ax.get_legend_handles_labels()[0] + _terminal_handles(), ncol=2, fontsize=7)
        if path is not None:
            save_figure(fig, path)
    return fig
