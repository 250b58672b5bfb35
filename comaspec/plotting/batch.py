"""The summary figure of a batch: CO2/H2O and Q of every job against r_h and time.

Four panels in the comaspec style: CO2/H2O against r_h drawn over the catalog of comets
and its trend (as `comaspec.plotting.compare.ratio_vs_rh` draws them), CO2/H2O against
time, and the production rate of each species against r_h and against time. Measurements
carry their 68 % intervals; limits are arrows, as in the comparison figures.

The figure is drawn once per batch that asks for it (``--figure``), and cheaply: a
`matplotlib.figure.Figure` of its own (no pyplot, no figure manager), plain-text labels
(no mathtext), fixed margins (no layout engine, no measuring draw), the limit arrows of a
panel as one stem collection and one marker line each, and the catalog background read
once per process.
"""

from __future__ import annotations

import functools
import re

import numpy as np

from .style import CLASS_COLOURS, CLASS_MARKERS, HIGHLIGHT_COLOUR, TREND_COLOUR, figure_size, use_style

__all__ = ["batch_summary_figure", "save_batch_summary", "LIMIT_GID", "SUMMARY_FONTTYPE"]

#: gid prefix of the limit arrows: ``limit-upper`` / ``limit-lower`` on the stems (a
#: LineCollection, one segment per limit) and on their heads (a marker line).
LIMIT_GID = "limit"
# plain text, not mathtext: the parser, its fonts and its layout were most of the cost of
# the batch figure (the glyphs are DejaVu Sans's own)
_RATIO_LABEL = "Q(CO\u2082) / Q(H\u2082O)"
_RH_LABEL = "Heliocentric distance r\u2095 (au)"
_Q_LABEL = "Production rate Q (s\u207b\u00b9)"
_TIME_LABEL = "Date of observation (UTC)"
#: Subplot margins (fractions of the figure) that fit the labels of the double-column figure.
_MARGINS = {"left": 0.08, "right": 0.985, "bottom": 0.08, "top": 0.93, "wspace": 0.25, "hspace": 0.33}
_SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")
#: How far beyond the measured values (a factor each way) a panel reaches: a limit further
#: out (e.g. of a job on a spectrum without a coma) is counted in a note, not drawn, so
#: that it does not squeeze the measurements into a corner.
_SPAN = 100.0
#: Length of a limit arrow, as a factor in the value (log axis); as the comparison figures.
_ARROW_FACTOR = 1.8
#: r_h range (au) of the catalog panel before the batch's points widen it; as `ratio_vs_rh`.
_CATALOG_RH = (0.4, 8.0)
_NOTE_COLOUR = "#555555"
#: Fonts of summary.pdf: the glyphs as Type 3 outlines (text still searchable), not the
#: TrueType subsets of the publication figures, whose subsetting (fontTools) cost more than
#: drawing the whole figure. ``ps.fonttype`` too: matplotlib groups the glyphs by it.
SUMMARY_FONTTYPE = 3


def _dates(table):
    """Observation dates (datetime, None where unknown)."""
    if not any(table["epoch"]):
        return [None] * len(table)
    from astropy.time import Time

    return [Time(e).datetime if e else None for e in table["epoch"]]


def _limit_kinds(values):
    """"upper", "lower" or "" for each entry of a limit column (masked or blank: a measurement)."""
    return [str(v) if str(v) in ("upper", "lower") else "" for v in values]


def _scale(values, limits):
    """(low, high) a panel shows: the measurements' range widened by `_SPAN`; None: everything."""
    values = np.concatenate([np.asarray(v, dtype=float) for v in values]) if values else np.array([])
    is_limit = np.array([k != "" for ks in limits for k in ks], dtype=bool)
    measured = values[np.isfinite(values) & (values > 0) & ~is_limit]
    if not measured.size:
        return None
    return measured.min() / _SPAN, measured.max() * _SPAN


def _note(ax, text, x=0.5, y=0.5, ha="center", va="center", size=7):
    ax.text(x, y, text, transform=ax.transAxes, ha=ha, va=va, fontsize=size, color=_NOTE_COLOUR)


def _off_scale_note(ax, n_off):
    if n_off:
        _note(ax, f"{n_off} limit{'s' if n_off > 1 else ''} off scale (not drawn)", 0.98, 0.02, "right", "bottom", 6)


def _arrow_head(kind):
    """A filled triangle marker with its point at the data point, pointing down (upper) or up."""
    from matplotlib.path import Path

    side = 1.0 if kind == "upper" else -1.0
    return Path([(0.0, 0.0), (-0.5, 1.0 * side), (0.5, 1.0 * side), (0.0, 0.0)], closed=True)


def _limit_arrows(ax, x, y, kinds, colour, lw=0.7, zorder=3):
    """Arrows from each limit, down (upper) or up (lower), `_ARROW_FACTOR` long: per kind one
    collection of stems (gid ``limit-<kind>``, one segment per limit) and one line of heads,
    not one annotation each. The axes widen to hold them."""
    y = np.asarray(y, dtype=float)
    kinds = np.asarray(kinds, dtype=str)
    for kind in ("upper", "lower"):
        sel = np.flatnonzero(kinds == kind)
        if not sel.size:
            continue
        xs = [x[i] for i in sel]  # floats or datetimes
        tips = y[sel] / _ARROW_FACTOR if kind == "upper" else y[sel] * _ARROW_FACTOR
        ax.vlines(xs, y[sel], tips, colors=colour, linewidths=lw, zorder=zorder, gid=f"{LIMIT_GID}-{kind}")
        ax.plot(xs, tips, ls="none", marker=_arrow_head(kind), markersize=5.0, markeredgewidth=0.0, color=colour,
                zorder=zorder, gid=f"{LIMIT_GID}-{kind}-head")


def _draw(ax, x, value, lo, hi, limit, colour, marker, label, scale=None):
    """Points with asymmetric errors, limits with arrows; returns (anything drawn, limits off scale)."""
    x = np.array(list(x), dtype=object)  # floats or datetimes
    has_x = np.array([v is not None and not (isinstance(v, float) and not np.isfinite(v)) for v in x], dtype=bool)
    finite = has_x & np.isfinite(value) & (value > 0)
    is_limit = np.array([k != "" for k in limit], dtype=bool)
    off = np.zeros(len(value), dtype=bool)
    if scale is not None:
        with np.errstate(invalid="ignore"):
            off = finite & is_limit & ((value < scale[0]) | (value > scale[1]))
        finite &= ~off
    measured, limits = np.flatnonzero(finite & ~is_limit), np.flatnonzero(finite & is_limit)
    if measured.size:
        yerr = [np.minimum(np.nan_to_num(lo[measured]), value[measured] * 0.999), np.nan_to_num(hi[measured])]
        ax.errorbar(list(x[measured]), value[measured], yerr=yerr, fmt="none", ecolor="black", elinewidth=0.7,
                    capsize=1.5, zorder=9)
        ax.plot(list(x[measured]), value[measured], ls="none", marker=marker, markersize=6,
                markerfacecolor=colour, markeredgecolor="black", markeredgewidth=0.5, zorder=10, label=label)
    if limits.size:
        ax.plot(list(x[limits]), value[limits], ls="none", marker=marker, markersize=6, markerfacecolor="none",
                markeredgecolor=colour if colour != HIGHLIGHT_COLOUR else "black", markeredgewidth=0.8, zorder=10,
                label=None if measured.size else label)
        _limit_arrows(ax, list(x[limits]), value[limits], [limit[i] for i in limits], "black")
    return bool(measured.size or limits.size), int(off.sum())


@functools.lru_cache(maxsize=1)
def _catalog_background():
    """The catalog's CO2/H2O rows with r_h (superseded values left out) and its trend, as
    plain read-only arrays: the bundled catalog is read and fitted once per process."""
    import astropy.units as u

    from .. import catalog
    from ._legible import object_name

    table = catalog.load()
    rows = catalog.select(table, with_ratio=True, ratio="CO2/H2O", exclude_flags=("superseded",))
    cols = catalog.ratio_columns(rows, "CO2/H2O")
    rh = catalog._values(rows["rh"], u.au)[0]
    keep = np.isfinite(rh)
    fit = catalog.fit_trend(table, ratio="CO2/H2O")
    grid = np.geomspace(*_CATALOG_RH, 200)
    trend = fit.predict(grid)[0]
    data = {"rh": rh[keep], "ratio": cols["value"][keep], "err_lo": cols["err_lo"][keep],
            "err_hi": cols["err_hi"][keep], "limit": cols["limit"][keep],
            "dyn_class": np.asarray(rows["dyn_class"], dtype=str)[keep],
            "direct": np.asarray(rows["method"], dtype=str)[keep] == "direct",
            "object": np.array([object_name(d, n) for d, n in zip(rows["designation"], rows["name"])], dtype=str)[keep],
            "trend_rh": grid, "trend": 10**trend, "trend_lo": 10 ** (trend - fit.scatter_dex),
            "trend_hi": 10 ** (trend + fit.scatter_dex)}
    for values in data.values():
        values.flags.writeable = False
    return data, float(fit.slope), tuple(c for c in catalog.DYNAMICAL_CLASSES if np.any(data["dyn_class"] == c))


def _catalog_class(ax, data, cls):
    """One dynamical class of the catalog: error bars, filled (direct) and open (indirect)
    markers, limit arrows; as `comaspec.plotting.compare.ratio_vs_rh`."""
    sel = data["dyn_class"] == cls
    colour, marker = CLASS_COLOURS[cls], CLASS_MARKERS[cls]
    x, y, lo, hi = data["rh"][sel], data["ratio"][sel], data["err_lo"][sel], data["err_hi"][sel]
    has_err = np.isfinite(lo) & np.isfinite(hi)
    if np.any(has_err):
        ax.errorbar(x[has_err], y[has_err], yerr=[lo[has_err], hi[has_err]], fmt="none", ecolor=colour,
                    elinewidth=0.6, alpha=0.8, zorder=2)
    direct = data["direct"][sel]
    ax.scatter(x[direct], y[direct], marker=marker, s=16, color=colour, edgecolors=colour, linewidths=0.6,
               zorder=3, gid=f"class-{cls}")
    ax.scatter(x[~direct], y[~direct], marker=marker, s=16, facecolors="none", edgecolors=colour, linewidths=0.7,
               zorder=3, gid=f"class-{cls}-indirect")
    limits = data["limit"][sel]
    _limit_arrows(ax, x, y, limits, colour)


def _catalog_handles(data, classes, slope):
    from matplotlib.lines import Line2D

    from ._legible import method_handles

    handles = [Line2D([], [], ls="none", marker=CLASS_MARKERS[c], color=CLASS_COLOURS[c],
                      markeredgecolor=CLASS_COLOURS[c], label=c) for c in classes]
    if not np.all(data["direct"]):
        handles += method_handles()
    handles.append(Line2D([], [], color=TREND_COLOUR, lw=0.9, label=f"trend (\u221d r\u2095^{slope:.1f})"))
    return handles


def _catalog_panel(ax):
    """The catalog of comets and its trend (with plus/minus its scatter) in panel (a)."""
    from ._legible import label_objects

    data, slope, classes = _catalog_background()
    for cls in classes:
        _catalog_class(ax, data, cls)
    alien = data["dyn_class"] == "interstellar"
    label_objects(ax, data["rh"][alien], data["ratio"][alien], data["object"][alien])
    ax.plot(data["trend_rh"], data["trend"], color=TREND_COLOUR, lw=0.9, zorder=1, gid="trend")
    ax.fill_between(data["trend_rh"], data["trend_lo"], data["trend_hi"], color=TREND_COLOUR, alpha=0.15, lw=0,
                    zorder=0, gid="trend-scatter")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(*_CATALOG_RH)
    ax.set_ylim(max(np.min(data["ratio"]) / 3.0, 1e-4), np.max(data["ratio"]) * 3.0)
    return _catalog_handles(data, classes, slope)


def _highlight_handle(label):
    from matplotlib.lines import Line2D

    return Line2D([], [], ls="none", marker="*", markersize=9, markerfacecolor=HIGHLIGHT_COLOUR,
                  markeredgecolor="black", markeredgewidth=0.6, label=label)


def _ratio_over_catalog(ax, rh, ratio, lo, hi, limit):
    handles = _catalog_panel(ax)
    scale = _scale([ratio], [limit])
    drawn, n_off = _draw(ax, rh, ratio, lo, hi, limit, HIGHLIGHT_COLOUR, "*", "this batch", scale)
    _off_scale_note(ax, n_off)
    if drawn:
        handles.append(_highlight_handle("this batch"))
        shown = np.isfinite(ratio) & (ratio > 0)
        if scale is not None:
            with np.errstate(invalid="ignore"):
                shown &= (ratio >= scale[0]) & (ratio <= scale[1])
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        ax.set_xlim(min(x0, np.nanmin(rh[shown]) / 1.3), max(x1, np.nanmax(rh[shown]) * 1.3))
        ax.set_ylim(min(y0, np.min(ratio[shown]) / 3.0), max(y1, np.max(ratio[shown]) * 3.0))
    else:
        _note(ax, "no CO\u2082/H\u2082O measured in this batch")
    _plain_log_ticks(ax.xaxis)
    _plain_log_ticks(ax.yaxis)
    ax.set_xlabel(_RH_LABEL)
    ax.set_ylabel(_RATIO_LABEL)
    ax.legend(handles=handles, loc="upper left", ncol=2, handlelength=1.2)


def _q_panel(ax, x, table, species, xlabel, log_x):
    """Q of each species against ``x``; returns whether anything was drawn."""
    from .fit import SPECIES_COLOURS

    drawn, n_off, columns = False, 0, {}
    for name in species:
        q = np.asarray(table[f"Q_{name}"].to_value("1/s"), dtype=float)
        err = np.asarray(table[f"Q_{name}_err"].to_value("1/s"), dtype=float)
        ul = np.asarray(table[f"Q_{name}_upper_limit"].to_value("1/s"), dtype=float)
        limit = ["upper" if np.isfinite(u_) and not np.isfinite(q_) else "" for q_, u_ in zip(q, ul)]
        columns[name] = (np.where(np.isfinite(q), q, ul), err, limit)
    scale = _scale([c[0] for c in columns.values()], [c[2] for c in columns.values()])
    for i, (name, (value, err, limit)) in enumerate(columns.items()):
        colour = SPECIES_COLOURS.get(name, "#444444")
        got, off = _draw(ax, x, value, err, err, limit, colour, "osD^v"[i % 5], name, scale)
        drawn, n_off = drawn or got, n_off + off
    _off_scale_note(ax, n_off)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(_Q_LABEL)
    if not drawn:
        _empty(ax, "no production rate in this batch")
        return False
    ax.set_yscale("log")
    _power_ticks(ax.yaxis)
    if log_x:
        ax.set_xscale("log")
        _plain_log_ticks(ax.xaxis)
    ax.legend(loc="best", handlelength=1.0)
    return True


def _unicode_powers(text):
    """``$\\mathdefault{2\\times10^{27}}$`` -> ``2×10²⁷``: the same label without mathtext."""
    text = text.replace("$", "").replace("\\mathdefault", "").replace("\\times", "\u00d7").replace("-", "\u2212")
    text = re.sub(r"\^\{([^}]*)\}", lambda m: m.group(1).replace("\u2212", "-").translate(_SUPERSCRIPT), text)
    return text.replace("{", "").replace("}", "")


def _power_ticks(axis):
    """Label a log axis as matplotlib does (10²⁷, 2×10²⁷ on a short range), in plain text."""
    from matplotlib.ticker import LogFormatterSciNotation

    class PlainPowers(LogFormatterSciNotation):
        def __call__(self, x, pos=None):
            return _unicode_powers(super().__call__(x, pos))

    axis.set_major_formatter(PlainPowers())
    axis.set_minor_formatter(PlainPowers(labelOnlyBase=False))


def _plain_number(value, _pos=None):
    """A tick value as a plain number (0.05, 2, 300), or 10ⁿ, 2×10ⁿ far from 1, without mathtext."""
    if value <= 0:
        return ""
    if 1e-3 <= value < 1e4:
        return f"{value:g}"
    mantissa, exponent = f"{value:.0e}".split("e")
    power = "10" + str(int(exponent)).translate(_SUPERSCRIPT)
    return power if mantissa == "1" else f"{mantissa}\u00d7{power}"


def _plain_log_ticks(axis):
    """Label a log axis with plain numbers, at decades, or at 1-2-5 steps where the axis
    spans fewer than two decades (its limits are set first); as the comparison figures."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    lo, hi = sorted(axis.get_view_interval())
    span = np.log10(hi / lo) if lo > 0 and hi > 0 else np.inf
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0) if span < 2.0 else (1.0,)))
    axis.set_major_formatter(FuncFormatter(_plain_number))
    axis.set_minor_formatter(NullFormatter())


def _minor_marks(ax, which):
    """Draw the minor ticks of a log axis as one marker line per side of the axes (gid
    ``minor-x``/``minor-y``) instead of one Tick (five artists) each: the marks matplotlib
    would draw (its minor locator, without those on major ticks, inside the limits), at a
    fraction of the cost. Call once the limits are final (they are frozen here). An axis
    whose minor ticks may carry labels (less than a decade with `_power_ticks`) keeps
    matplotlib's ticks."""
    import matplotlib as mpl
    from matplotlib import lines
    from matplotlib.ticker import NullFormatter, NullLocator

    axis = ax.xaxis if which == "x" else ax.yaxis
    lo, hi = sorted(axis.get_view_interval())
    if not isinstance(axis.get_minor_formatter(), NullFormatter) and not np.log10(hi / lo) > 1.0:
        return
    (ax.set_xlim if which == "x" else ax.set_ylim)(axis.get_view_interval())  # freeze (autoscaled) limits
    marks = np.asarray(axis.get_minorticklocs(), dtype=float)  # majors already left out
    marks = marks[(marks >= lo * (1 - 1e-10)) & (marks <= hi * (1 + 1e-10))]
    axis.set_minor_locator(NullLocator())
    style = {"ls": "none", "clip_on": False, "gid": f"minor-{which}", "color": mpl.rcParams[f"{which}tick.color"],
             "markersize": mpl.rcParams[f"{which}tick.minor.size"],
             "markeredgewidth": mpl.rcParams[f"{which}tick.minor.width"]}
    # the style's ticks point into the axes: up from the bottom, down from the top (x)
    near, far = (lines.TICKUP, lines.TICKDOWN) if which == "x" else (lines.TICKRIGHT, lines.TICKLEFT)
    if mpl.rcParams[f"{which}tick.direction"] != "in":
        near, far = far, near
    both = mpl.rcParams["xtick.top" if which == "x" else "ytick.right"]
    for at, marker in ((0.0, near), (1.0, far))[: 1 + bool(both)]:
        if which == "x":
            ax.plot(marks, np.full(marks.size, at), transform=ax.get_xaxis_transform(), marker=marker, **style)
        else:
            ax.plot(np.full(marks.size, at), marks, transform=ax.get_yaxis_transform(), marker=marker, **style)


def _time_axis(ax):
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=6)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _empty(ax, text):
    """A panel without data: the note, its axis labels, no ticks (no numbers to read)."""
    _note(ax, text)
    ax.set_xticks([])
    ax.set_yticks([])


def _ratio_columns(table):
    """CO2/H2O, its interval and limit kinds; NaN when no job fits both CO2 and H2O."""
    if "CO2_H2O" not in table.colnames:
        nan = np.full(len(table), np.nan)
        return nan, nan, nan, [""] * len(table)
    # plain numbers (7.6, not 760 %), as the catalog figure
    return (np.asarray(table["CO2_H2O"], dtype=float), np.asarray(table["CO2_H2O_err_lo"], dtype=float),
            np.asarray(table["CO2_H2O_err_hi"], dtype=float), _limit_kinds(table["CO2_H2O_limit"]))


def _ratio_in_time(ax, dates, ratio, lo, hi, limit):
    drawn, n_off = False, 0
    if any(d is not None for d in dates):
        drawn, n_off = _draw(ax, dates, ratio, lo, hi, limit, HIGHLIGHT_COLOUR, "*", "this batch",
                             _scale([ratio], [limit]))
    _off_scale_note(ax, n_off)
    ax.set_xlabel(_TIME_LABEL)
    ax.set_ylabel(_RATIO_LABEL)
    if not drawn:
        _empty(ax, "no CO\u2082/H\u2082O with a date (MJD-AVG) in this batch")
        return
    ax.set_yscale("log")
    _plain_log_ticks(ax.yaxis)  # plain numbers, as panel (a) and the catalog figure
    _time_axis(ax)


def batch_summary_figure(table, *, width="double", aspect=0.8):
    """CO2/H2O and Q per species of every job against r_h and time, over the catalog trend.

    Parameters
    ----------
    table : astropy.table.QTable
        A batch summary (`comaspec.batch.summary_table`).
    width : {"single", "double"} or float
        Figure width (journal columns or inches).
    aspect : float
        Height / width.

    Returns
    -------
    matplotlib.figure.Figure
        Not managed by pyplot: nothing to close; `save_batch_summary` draws and writes it,
        ``comaspec.plotting.save_figure`` writes it as PDF or PNG in the publication style.
        Panels: (a) CO2/H2O against r_h over the catalog, (b) CO2/H2O against time, (c) Q
        against r_h, (d) Q against time. Jobs that failed are not drawn; a panel without
        data says so, without ticks. A limit more than 100 times beyond the panel's
        measurements is counted in a note, not drawn. Without CO2/H2O columns (no job fits
        both), the ratio panels say so.
    """
    from matplotlib.figure import Figure

    ok = np.asarray(table["status"]) == "ok"
    t = table[ok]
    rh = np.asarray(t["rh"].to_value("au"), dtype=float)
    ratio, lo, hi, limit = _ratio_columns(t)
    species = [c[2:] for c in t.colnames if c.startswith("Q_") and not c.endswith(("_err", "_upper_limit"))]
    dates = _dates(t)
    with use_style():
        # fixed margins, not the style's constrained layout: that lays the figure out by
        # measuring every label once more, most of the cost of the batch figure
        fig = Figure(figsize=figure_size(width, aspect), layout="none")
        axes = fig.subplots(2, 2)
        fig.subplots_adjust(**_MARGINS)
        (a, b), (c, d) = axes
        _ratio_over_catalog(a, rh, ratio, lo, hi, limit)
        _ratio_in_time(b, dates, ratio, lo, hi, limit)
        _q_panel(c, rh, t, species, _RH_LABEL, log_x=True)
        if any(day is not None for day in dates):
            if _q_panel(d, dates, t, species, _TIME_LABEL, log_x=False):
                _time_axis(d)
        else:
            d.set_xlabel(_TIME_LABEL)
            _empty(d, "no date (MJD-AVG) in the file headers")
        for ax, letter in zip(axes.flat, "abcd"):
            for which in "xy":
                if getattr(ax, f"get_{which}scale")() == "log":
                    _minor_marks(ax, which)
            # y given: no search for tick labels above the axes (there are none)
            ax.set_title(f"({letter})", loc="left", y=1.0)
        fig.suptitle(f"comaspec batch: {int(ok.sum())} of {len(table)} jobs fitted", fontsize=8)
    return fig


def save_batch_summary(table, path):
    """Draw `batch_summary_figure` and write it as PDF, all or nothing.

    As `comaspec.plotting.style.save_figure` (the figure's exact size, no creation date,
    the file's permissions from the umask), with the fonts as Type 3 outlines
    (`SUMMARY_FONTTYPE`): they look the same, and cost a small part of the subsetting of
    TrueType fonts.

    Parameters
    ----------
    table : astropy.table.QTable
        A batch summary (`comaspec.batch.summary_table`).
    path : str or os.PathLike
        Destination ending in ``.pdf``.

    Returns
    -------
    pathlib.Path
    """
    import os
    from pathlib import Path

    from .._output import atomic_path
    from ..errors import InputError
    from .style import _umask

    path = Path(path)
    if path.suffix.lower() != ".pdf":
        raise InputError(path, "the batch summary figure is written as .pdf")
    fig = batch_summary_figure(table)
    fonts = {"pdf.fonttype": SUMMARY_FONTTYPE, "ps.fonttype": SUMMARY_FONTTYPE}
    with atomic_path(path) as tmp, use_style(**fonts):
        fig.savefig(tmp, format="pdf", metadata={"CreationDate": None})
        os.chmod(tmp, 0o666 & ~_umask())  # the temporary file is private (0600)
    return path
