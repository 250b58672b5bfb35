"""Comparison figures: a ratio measurement against every published comet.

`ratio_vs_rh` plots one ratio (CO2/H2O by default, or CO/H2O, CO2/CO, an inverse) against
heliocentric distance, coloured by dynamical class, with limits as arrows, the trend of
`comaspec.catalog.fit_trend` and the user's measurement highlighted. `ratio_by_class` shows
the distribution in each class (a strip plot with the class medians) with the user's value
marked. `fit_comparison` draws one `ratio_vs_rh` panel for each ratio a coma fit measured.
All return a matplotlib Figure drawn in the comaspec style; write it with
`comaspec.plotting.save_figure`. Ratios are plain numbers (7.6, not 760 %).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..ratios import axis_label, parse_name
from ._legible import (OBJECT_LABEL_GID, label_objects, legend_above, log_ticks, method_handles, object_name,
                       separate_labels)
from .style import (CLASS_COLOURS, CLASS_MARKERS, HIGHLIGHT_COLOUR, TREND_COLOUR,
                    figure_size, use_style)

__all__ = ["ratio_vs_rh", "ratio_by_class", "fit_comparison", "save_fit_comparison",
           "RATIO_LABEL", "RH_LABEL"]

#: Axis labels (also checked by the tests); other ratios: `comaspec.ratios.axis_label`.
RATIO_LABEL = axis_label("CO2/H2O")
RH_LABEL = r"Heliocentric distance $r_\mathrm{h}$ (au)"

#: Length of limit arrows, as a factor in the ratio (log axis).
_ARROW_FACTOR = 1.8
#: Length of the measurement's own limit arrow, as a fraction of the axes' height: long
#: enough to leave its star on any y range.
_MEASUREMENT_ARROW_HEIGHT = 0.2
#: gid of the highlighted measurement's marker (tests and users can find it by this).
HIGHLIGHT_GID = "comaspec-measurement"


def _measurement(ratio, ratio_err, rh, need_rh, name="CO2/H2O"):
    """Validate the user's measurement; return (ratio, (err_lo, err_hi), rh) or None."""
    if ratio is None:
        return None
    from .._validate import not_boolean

    for value, what in ((ratio, "ratio"), (ratio_err, "ratio_err"), (rh, "rh")):
        not_boolean(value, what)
    try:
        ratio = float(ratio)
        if ratio_err is None:
            errors = (0.0, 0.0)
        elif np.ndim(ratio_err) == 0:
            errors = (float(ratio_err),) * 2
        else:
            errors = tuple(float(e) for e in ratio_err)
        rh = None if rh is None else float(rh)
    except (TypeError, ValueError):
        raise InputError("measurement", "ratio, ratio_err and rh must be numbers") from None
    if not (np.isfinite(ratio) and ratio > 0):
        raise InputError("ratio", f"{name} must be a positive number, got {ratio}")
    if len(errors) != 2 or not all(np.isfinite(e) and e >= 0 for e in errors):
        raise InputError("ratio_err", f"must be one or two (lower, upper) errors >= 0, "
                                      f"got {ratio_err}")
    if need_rh and (rh is None or not (np.isfinite(rh) and rh > 0)):
        raise InputError("rh", f"a positive heliocentric distance in au is needed, got {rh}")
    return ratio, errors, rh


def _catalog_arrays(table, direct_only, exclude_flags, ratio_name="CO2/H2O"):
    """Rows with a value of the ratio as plain arrays (rh in au, NaN if missing)."""
    import astropy.units as u

    from .. import catalog

    name = parse_name(ratio_name)
    uses_co2 = "CO2" in (name.numerator, name.denominator)
    table = catalog.load() if table is None else table
    rows = catalog.select(table, with_ratio=True, ratio=name.name,
                          method="direct" if (direct_only and uses_co2) else None,
                          exclude_flags=tuple(exclude_flags))
    cols = catalog.ratio_columns(rows, name.name)
    values = {"ratio": cols["value"], "err_lo": cols["err_lo"], "err_hi": cols["err_hi"],
              "limit": cols["limit"], "rh": catalog._values(rows["rh"], u.au)[0]}
    values["dyn_class"] = np.asarray(rows["dyn_class"], dtype=str)
    values["object"] = np.array([object_name(d, n) for d, n in zip(rows["designation"], rows["name"])], dtype=str)
    # the method column describes CO2; CO is measured from its own bands in every row
    values["method"] = (np.asarray(rows["method"], dtype=str) if uses_co2
                        else np.full(len(rows), "direct"))
    return values


def _draw_limit_arrows(ax, x, y, kinds, colour, factor=_ARROW_FACTOR, lw=0.7, zorder=3):
    for xi, yi, kind in zip(x, y, kinds):
        end = yi / factor if kind == "upper" else yi * factor
        arrow = ax.annotate("", xy=(xi, end), xytext=(xi, yi),
                            arrowprops=dict(arrowstyle="-|>", color=colour, lw=lw,
                                            shrinkA=0, shrinkB=0, mutation_scale=5 + 3 * (lw - 0.7)),
                            zorder=zorder)
        arrow.set_gid(f"limit-{kind}")


def _class_handles(classes):
    from matplotlib.lines import Line2D

    return [Line2D([], [], ls="none", marker=CLASS_MARKERS[c], color=CLASS_COLOURS[c],
                   markeredgecolor=CLASS_COLOURS[c], label=c) for c in classes]


def _highlight_handle(label):
    from matplotlib.lines import Line2D

    return Line2D([], [], ls="none", marker="*", markersize=9, markerfacecolor=HIGHLIGHT_COLOUR,
                  markeredgecolor="black", markeredgewidth=0.6, label=label)


def _new_axes(ax, width, aspect):
    import matplotlib.pyplot as plt

    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figure_size(width, aspect))
    return fig, ax


def _draw_class(ax, data, sel, cls):
    """The catalog points of one class against rh: error bars, filled (direct) and open
    (indirect) markers, limit arrows."""
    colour, marker = CLASS_COLOURS[cls], CLASS_MARKERS[cls]
    x, y = data["rh"][sel], data["ratio"][sel]
    lo, hi = data["err_lo"][sel], data["err_hi"][sel]
    has_err = np.isfinite(lo) & np.isfinite(hi)
    if np.any(has_err):
        ax.errorbar(x[has_err], y[has_err], yerr=[lo[has_err], hi[has_err]], fmt="none",
                    ecolor=colour, elinewidth=0.6, alpha=0.8, zorder=2)
    direct = data["method"][sel] == "direct"
    ax.scatter(x[direct], y[direct], marker=marker, s=16, color=colour,
               edgecolors=colour, linewidths=0.6, zorder=3, label=cls, gid=f"class-{cls}")
    ax.scatter(x[~direct], y[~direct], marker=marker, s=16, facecolors="none",
               edgecolors=colour, linewidths=0.7, zorder=3, gid=f"class-{cls}-indirect")
    limits = data["limit"][sel]
    is_limit = limits != ""
    _draw_limit_arrows(ax, x[is_limit], y[is_limit], limits[is_limit], colour)


def ratio_vs_rh(ratio=None, ratio_err=None, rh=None, *, label="This work", table=None,
                direct_only=False, show_trend=True, exclude_flags=("superseded",),
                width="single", aspect=0.8, ax=None, ratio_name="CO2/H2O", limit="", legend=True):
    """A ratio against heliocentric distance for the catalog, with a measurement highlighted.

    Catalog points are coloured and shaped by dynamical class; direct measurements are
    filled, indirect ones open (the legend says so); interstellar objects are named beside
    their points; upper and lower limits carry arrows; error bars are drawn where the source
    gives them. The trend of `comaspec.catalog.fit_trend` is drawn with a band of plus/minus
    its intrinsic scatter. The legend sits above the axes, so it hides no point.

    Parameters
    ----------
    ratio : float, optional
        The measurement to highlight, a plain number (7.6 means 760 %).
    ratio_err : float or (float, float), optional
        Its 1-sigma error, or (lower, upper) errors.
    rh : float, optional
        Its heliocentric distance (au); required with ``ratio``.
    label : str
        Legend label of the measurement.
    table : astropy.table.QTable, optional
        Catalog (default `comaspec.catalog.load()`).
    direct_only : bool
        Plot only direct measurements.
    show_trend : bool
        Draw the fitted trend and its scatter band.
    exclude_flags : sequence of str
        Catalog flags whose rows are not drawn (default: superseded preprint values).
    width : {"single", "double"} or float
        Figure width (journal columns or inches); ignored if ``ax`` is given.
    aspect : float
        Height / width.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes instead of a new figure.
    ratio_name : str
        Which ratio: CO2/H2O (default), CO/H2O, CO2/CO or an inverse.
    limit : {"", "upper", "lower"}
        The highlighted measurement is an upper or lower limit (drawn with an arrow).
    legend : bool
        Draw the legend above the axes (`fit_comparison` draws one for all its panels).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from .. import catalog

    name = parse_name(ratio_name).name
    measurement = _measurement(ratio, ratio_err, rh, need_rh=True, name=name)
    data = _catalog_arrays(table, direct_only, exclude_flags, name)
    has_rh = np.isfinite(data["rh"])
    with use_style():
        fig, ax = _new_axes(ax, width, aspect)
        present = [c for c in catalog.DYNAMICAL_CLASSES if np.any(data["dyn_class"][has_rh] == c)]
        for cls in present:
            _draw_class(ax, data, has_rh & (data["dyn_class"] == cls), cls)
        alien = has_rh & (data["dyn_class"] == "interstellar")
        names = label_objects(ax, data["rh"][alien], data["ratio"][alien], data["object"][alien])

        xmin, xmax = 0.4, 8.0
        handles = _class_handles(present)
        if np.any(has_rh & (data["method"] != "direct")):
            handles += method_handles()
        if show_trend:
            fit = catalog.fit_trend(table if table is not None else catalog.load(), ratio=name)
            grid = np.geomspace(xmin, xmax, 200)
            trend, _ = fit.predict(grid)
            ax.plot(grid, 10**trend, color=TREND_COLOUR, lw=0.9, zorder=1,
                    label=f"trend ($\\propto r_\\mathrm{{h}}^{{{fit.slope:.1f}}}$)", gid="trend")
            ax.fill_between(grid, 10 ** (trend - fit.scatter_dex), 10 ** (trend + fit.scatter_dex),
                            color=TREND_COLOUR, alpha=0.15, lw=0, zorder=0, gid="trend-scatter")
            handles.append(ax.lines[-1])
        if measurement is not None:
            value, (err_lo, err_hi), at = measurement
            # a limit's arrow is drawn once the y range is known (its length is a fraction of it)
            if not limit and (err_lo > 0 or err_hi > 0):
                ax.errorbar([at], [value], yerr=[[min(err_lo, value * 0.999)], [err_hi]],
                            fmt="none", ecolor="black", elinewidth=0.9, capsize=2, zorder=9,
                            gid=HIGHLIGHT_GID + "-error")
            ax.plot([at], [value], ls="none", marker="*", markersize=11,
                    markerfacecolor=HIGHLIGHT_COLOUR, markeredgecolor="black",
                    markeredgewidth=0.7, zorder=10, label=label, gid=HIGHLIGHT_GID)
            handles.append(_highlight_handle(label))
            xmin, xmax = min(xmin, at / 1.3), max(xmax, at * 1.3)

        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(xmin, xmax)
        finite = data["ratio"][has_rh]
        ys = list(finite) + ([measurement[0]] if measurement else [])
        ax.set_ylim(max(min(ys) / 3.0, 1e-4), max(ys) * 3.0)
        if measurement and limit:
            _measurement_arrow(ax, measurement[2], measurement[0], limit)
        ax.set_xlabel(RH_LABEL)
        ax.set_ylabel(axis_label(name))
        log_ticks(ax.xaxis)
        log_ticks(ax.yaxis)
        if legend:
            legend_above(ax, handles)
        separate_labels(fig, names)
    return fig


def _measurement_arrow(ax, x, y, kind):
    """The measurement's limit arrow, `_MEASUREMENT_ARROW_HEIGHT` of the axes high, on top of
    its star; the y range grows to hold it."""
    lo, hi = ax.get_ylim()
    factor = (hi / lo) ** _MEASUREMENT_ARROW_HEIGHT
    _draw_limit_arrows(ax, [x], [y], [kind], "black", factor=factor, lw=1.2, zorder=11)
    end = y / factor if kind == "upper" else y * factor
    ax.set_ylim(min(lo, end / 1.5), max(hi, end * 1.5))


def ratio_by_class(ratio=None, ratio_err=None, *, label="This work", table=None,
                   direct_only=False, exclude_flags=("superseded",), width="single",
                   aspect=0.8, ax=None, seed=0, ratio_name="CO2/H2O"):
    """Distribution of a ratio in each dynamical class, with a measurement marked.

    A strip plot: one column per class present in the catalog, points jittered sideways
    (with a fixed seed, so the figure is reproducible), limits with arrows, indirect
    measurements open (the legend says so), interstellar objects named, a short bar at each
    class median (measured values only). The user's value is a horizontal line with its
    1-sigma band. The legend sits above the axes.

    Parameters
    ----------
    ratio : float, optional
        The measurement, a plain number (7.6 means 760 %).
    ratio_err : float or (float, float), optional
        Its 1-sigma error, or (lower, upper) errors.
    label : str
        Legend label of the measurement.
    table : astropy.table.QTable, optional
        Catalog (default `comaspec.catalog.load()`).
    direct_only : bool
        Plot only direct measurements.
    exclude_flags : sequence of str
        Catalog flags whose rows are not drawn.
    width : {"single", "double"} or float
        Figure width; ignored if ``ax`` is given.
    aspect : float
        Height / width.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes.
    seed : int
        Seed of the sideways jitter.
    ratio_name : str
        Which ratio: CO2/H2O (default), CO/H2O, CO2/CO or an inverse.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from .. import catalog

    name = parse_name(ratio_name).name
    measurement = _measurement(ratio, ratio_err, None, need_rh=False, name=name)
    data = _catalog_arrays(table, direct_only, exclude_flags, name)
    rng = np.random.default_rng(seed)
    names = []
    with use_style():
        fig, ax = _new_axes(ax, width, aspect)
        present = [c for c in catalog.DYNAMICAL_CLASSES if np.any(data["dyn_class"] == c)]
        for i, cls in enumerate(present):
            sel = data["dyn_class"] == cls
            colour, marker = CLASS_COLOURS[cls], CLASS_MARKERS[cls]
            y = data["ratio"][sel]
            x = i + rng.uniform(-0.22, 0.22, y.size)
            direct = data["method"][sel] == "direct"
            ax.scatter(x[direct], y[direct], marker=marker, s=14, color=colour, linewidths=0.6,
                       zorder=3, gid=f"class-{cls}")
            ax.scatter(x[~direct], y[~direct], marker=marker, s=14, facecolors="none",
                       edgecolors=colour, linewidths=0.7, zorder=3, gid=f"class-{cls}-indirect")
            limits = data["limit"][sel]
            is_limit = limits != ""
            _draw_limit_arrows(ax, x[is_limit], y[is_limit], limits[is_limit], colour)
            if cls == "interstellar":  # the last column: names to the left of the points
                names = label_objects(ax, x, y, data["object"][sel], side="left")
            measured = y[~is_limit]
            if measured.size:
                ax.plot([i - 0.32, i + 0.32], [np.median(measured)] * 2, color="black", lw=1.2,
                        zorder=4, gid=f"median-{cls}")
        handles = []
        if measurement is not None:
            value, (err_lo, err_hi), _ = measurement
            ax.axhline(value, color="black", lw=0.9, ls="--", zorder=5, gid=HIGHLIGHT_GID)
            if err_lo > 0 or err_hi > 0:
                ax.axhspan(max(value - err_lo, value * 1e-3), value + err_hi, color=HIGHLIGHT_COLOUR,
                           alpha=0.6, lw=0, zorder=1, gid=HIGHLIGHT_GID + "-error")
            from matplotlib.lines import Line2D
            handles.append(Line2D([], [], color="black", ls="--", lw=0.9, label=label))
        from matplotlib.lines import Line2D
        handles.append(Line2D([], [], color="black", lw=1.2, label="class median"))
        if np.any(data["method"] != "direct"):
            handles += method_handles()
        ax.set_yscale("log")
        ax.set_xlim(-0.6, len(present) - 0.4)
        ax.set_xticks(range(len(present)))
        ax.set_xticklabels(present, rotation=35, ha="right", rotation_mode="anchor")
        ax.tick_params(axis="x", which="both", top=False, length=0)
        ax.set_ylabel(axis_label(name))
        ax.set_xlabel("Dynamical class")
        ys = list(data["ratio"]) + ([measurement[0]] if measurement else [])
        ax.set_ylim(max(min(ys) / 3.0, 1e-4), max(ys) * 3.0)
        log_ticks(ax.yaxis)
        legend_above(ax, handles, ncol=2)
        separate_labels(fig, names)
    return fig


def _plain_log_ticks(axis):
    """Label a log axis with plain numbers (0.5, 1, 2, 5) rather than powers of ten."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(NullFormatter())


def _fit_ratios(fit):
    """(name, value, (err_lo, err_hi), limit) for each stored ratio the fit measured or limited."""
    from ..ratios import STORED

    out, missing = [], []
    for name in STORED:
        numerator, denominator = name.split("/")
        if numerator not in fit.species or denominator not in fit.species:
            continue
        r = fit.ratio(numerator, denominator)
        if r.value is None or not np.isfinite(r.value) or r.value <= 0:
            missing.append(f"{name}: {r.reason}")
            continue
        errors = (0.0, 0.0) if r.limit else (float(r.err_lo or 0.0), float(r.err_hi or 0.0))
        out.append((name, float(r.value), errors, r.limit or ""))
    return out, missing


def fit_comparison(fit, rh, *, label="This work", table=None, width="double", ax=None):
    """One `ratio_vs_rh` panel for each of CO2/H2O, CO/H2O and CO2/CO that a fit gives.

    A ratio is drawn when both species were fitted and the ratio is measured or a limit
    (a limit is drawn with an arrow); ratios the fit could not give are left out. One
    legend for every panel, below them, so that it covers no point.

    Parameters
    ----------
    fit : comaspec.results.ComaFit
        The result of `comaspec.fit.fit_coma`.
    rh : float or Quantity
        Heliocentric distance of the observation (floats are au).
    label : str
        Legend label of the measurement.
    table : astropy.table.QTable, optional
        Catalog (default `comaspec.catalog.load()`).
    width : {"single", "double"} or float
        Figure width.
    ax : sequence of matplotlib.axes.Axes, optional
        One axes per ratio drawn, instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    InputError
        If the fit gives none of the three ratios.
    """
    import astropy.units as u
    import matplotlib.pyplot as plt

    from .. import catalog

    from .._validate import not_boolean

    rh = float(u.Quantity(not_boolean(rh, "rh"), u.au).to_value(u.au))
    panels, missing = _fit_ratios(fit)
    if not panels:
        raise InputError("fit", "none of CO2/H2O, CO/H2O, CO2/CO was measured or limited"
                         + (f" ({'; '.join(missing)})" if missing else
                            f" (fitted species: {', '.join(fit.species)})"))
    table = catalog.load() if table is None else table
    with use_style():
        if ax is None:
            w, _ = figure_size(width)
            fig, axes = plt.subplots(1, len(panels), figsize=(w, w * 0.8 / len(panels) + 1.0),  # + the legend below
                                     squeeze=False)
            axes = axes[0]
        else:
            axes = list(ax)
            fig = axes[0].figure
        for axis, (name, value, errors, limit) in zip(axes, panels):
            ratio_vs_rh(value, errors, rh, label=label, table=table, ratio_name=name,
                        limit=limit, ax=axis, legend=False)
            axis.set_title(name, fontsize="medium")
        fig.legend(handles=_panel_handles(axes[:len(panels)], label), loc="outside lower center",
                   ncol=6, handlelength=1.2)
        if fig.get_layout_engine() is None:
            fig.tight_layout()
        for axis in axes[:len(panels)]:  # again: the legend below has shrunk the panels
            separate_labels(fig, [t for t in axis.texts if str(t.get_gid()).startswith(OBJECT_LABEL_GID)])
    return fig


def _panel_handles(axes, label):
    """Legend entries for every panel of `fit_comparison`, each once, in a stable order."""
    from .. import catalog

    classes = set()
    indirect = False
    for axis in axes:
        for c in axis.collections:
            gid = str(c.get_gid())
            if gid.startswith("class-") and len(c.get_offsets()):
                classes.add(gid[len("class-"):].removesuffix("-indirect"))
                indirect |= gid.endswith("-indirect")
    handles = _class_handles([c for c in catalog.DYNAMICAL_CLASSES if c in classes])
    if indirect:
        handles += method_handles()
    from matplotlib.lines import Line2D

    handles.append(Line2D([], [], color=TREND_COLOUR, lw=0.9, label="trend (±1σ scatter shaded)"))
    handles.append(_highlight_handle(label))
    return handles


def save_fit_comparison(fit, geometry, path, **kwargs):
    """Draw `fit_comparison` for a fit at ``geometry.rh`` and write it to ``path``.

    Parameters
    ----------
    fit : comaspec.results.ComaFit
        The fit.
    geometry : comaspec.geometry.Geometry
        Observing geometry (its ``rh`` is used).
    path : str or os.PathLike
        Output file (.pdf or .png).
    **kwargs
        Passed to `fit_comparison`.

    Returns
    -------
    list of str
        The ratios drawn.
    """
    import matplotlib.pyplot as plt

    from .style import save_figure

    fig = fit_comparison(fit, geometry.rh, **kwargs)
    try:
        save_figure(fig, path)
        return [a.get_title() for a in fig.axes]
    finally:
        plt.close(fig)
