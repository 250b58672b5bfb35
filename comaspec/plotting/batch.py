"""The summary figure of a batch: CO2/H2O and Q of every job against r_h and time.

Four panels in the comaspec style: CO2/H2O against r_h drawn over the catalog of comets
and its trend (`comaspec.plotting.compare.ratio_vs_rh`), CO2/H2O against time, and the
production rate of each species against r_h and against time. Measurements carry their
68 % intervals; limits are arrows, as in the comparison figures.
"""

from __future__ import annotations

import re

import numpy as np

from .compare import (_ARROW_FACTOR, RATIO_LABEL, RH_LABEL, _draw_limit_arrows, _highlight_handle,
                      _plain_log_ticks, ratio_vs_rh)
from .style import HIGHLIGHT_COLOUR, figure_size, use_style

__all__ = ["batch_summary_figure"]

# plain text, not mathtext: a summary figure is drawn on every batch, and laying out
# mathtext was most of its cost (the glyphs are DejaVu Sans's own)
_Q_LABEL = "Production rate Q (s\u207b\u00b9)"
#: Subplot margins (fractions of the figure) that fit the labels of the double-column figure.
_MARGINS = {"left": 0.08, "right": 0.985, "bottom": 0.08, "top": 0.93, "wspace": 0.25, "hspace": 0.33}
_SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")
#: How far beyond the measured values (a factor each way) a panel reaches: a limit further
#: out (e.g. of a job on a spectrum without a coma) is counted in a note, not drawn, so
#: that it does not squeeze the measurements into a corner.
_SPAN = 100.0
_TIME_LABEL = "Date of observation (UTC)"


def _dates(table):
    """Observation dates (datetime, None where unknown)."""
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


def _off_scale_note(ax, n_off):
    if n_off:
        ax.text(0.98, 0.02, f"{n_off} limit{'s' if n_off > 1 else ''} off scale (not drawn)", transform=ax.transAxes,
                ha="right", va="bottom", fontsize=6, color="#555555")


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
        kinds = [limit[i] for i in limits]
        ax.plot(list(x[limits]), value[limits], ls="none", marker=marker, markersize=6, markerfacecolor="none",
                markeredgecolor=colour if colour != HIGHLIGHT_COLOUR else "black", markeredgewidth=0.8, zorder=10,
                label=None if measured.size else label)
        _draw_limit_arrows(ax, list(x[limits]), value[limits], kinds, "black")
        # arrows are annotations, which do not widen the axes: an invisible line at their tips does
        tips = [v / _ARROW_FACTOR if k == "upper" else v * _ARROW_FACTOR for v, k in zip(value[limits], kinds)]
        ax.plot(list(x[limits]), tips, ls="none", marker="none")
    return bool(measured.size or limits.size), int(off.sum())


def _note(ax, text):
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=7, color="#555555")


def _ratio_over_catalog(ax, table, rh, ratio, lo, hi, limit):
    from .. import catalog

    ratio_vs_rh(ax=ax, table=catalog.load())  # read once (ratio_vs_rh reads it twice when not given)
    legend = ax.get_legend()
    handles = list(legend.legend_handles) if legend is not None else []
    drawn, n_off = _draw(ax, rh, ratio, lo, hi, limit, HIGHLIGHT_COLOUR, "*", "this batch", _scale([ratio], [limit]))
    _off_scale_note(ax, n_off)
    if drawn:
        handles.append(_highlight_handle("this batch"))
        shown = np.isfinite(ratio) & (ratio > 0)
        scale = _scale([ratio], [limit])
        if scale is not None:
            with np.errstate(invalid="ignore"):
                shown &= (ratio >= scale[0]) & (ratio <= scale[1])
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        ax.set_xlim(min(x0, np.nanmin(rh[shown]) / 1.3), max(x1, np.nanmax(rh[shown]) * 1.3))
        ax.set_ylim(min(y0, np.min(ratio[shown]) / 3.0), max(y1, np.max(ratio[shown]) * 3.0))
    else:
        _note(ax, "no CO$_2$/H$_2$O measured in this batch")
    ax.legend(handles=handles, loc="upper left", ncol=2, handlelength=1.2)


def _q_panel(ax, x, table, species, xlabel, log_x):
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
    ax.set_yscale("log")
    _power_ticks(ax.yaxis)
    if log_x:
        ax.set_xscale("log")
        _plain_log_ticks(ax.xaxis)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(_Q_LABEL)
    if drawn:
        ax.legend(loc="best", handlelength=1.0)
    else:
        _note(ax, "no production rate in this batch")


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


def _time_axis(ax):
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=6)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _ratio_columns(table):
    """CO2/H2O, its interval and limit kinds; NaN when no job fits both CO2 and H2O."""
    if "CO2_H2O" not in table.colnames:
        nan = np.full(len(table), np.nan)
        return nan, nan, nan, [""] * len(table)
    # plain numbers (7.6, not 760 %), as the catalog figure
    return (np.asarray(table["CO2_H2O"], dtype=float), np.asarray(table["CO2_H2O_err_lo"], dtype=float),
            np.asarray(table["CO2_H2O_err_hi"], dtype=float), _limit_kinds(table["CO2_H2O_limit"]))


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
        Panels: (a) CO2/H2O against r_h over the catalog, (b) CO2/H2O against time,
        (c) Q against r_h, (d) Q against time. Jobs that failed are not drawn; a panel
        without data says so. A limit more than `_SPAN` times beyond the panel's
        measurements is counted in a note, not drawn. Without CO2/H2O columns (no job
        fits both), the ratio panels say so.
    """
    import matplotlib.pyplot as plt

    ok = np.asarray(table["status"]) == "ok"
    t = table[ok]
    rh = np.asarray(t["rh"].to_value("au"), dtype=float)
    ratio, lo, hi, limit = _ratio_columns(t)
    species = [c[2:] for c in t.colnames if c.startswith("Q_") and not c.endswith(("_err", "_upper_limit"))]
    dates = _dates(t)
    has_date = any(d is not None for d in dates)
    with use_style():
        # fixed margins, not the style's constrained layout: that lays the figure out by
        # measuring every label once more, most of the cost of a figure drawn on every batch
        fig, axes = plt.subplots(2, 2, figsize=figure_size(width, aspect), layout="none")
        fig.subplots_adjust(**_MARGINS)
        (a, b), (c, d) = axes
        _ratio_over_catalog(a, t, rh, ratio, lo, hi, limit)
        drawn, n_off = (_draw(b, dates, ratio, lo, hi, limit, HIGHLIGHT_COLOUR, "*", "this batch",
                              _scale([ratio], [limit])) if has_date else (False, 0))
        _off_scale_note(b, n_off)
        if drawn:
            b.set_yscale("log")
            _plain_log_ticks(b.yaxis)  # plain numbers, as panel (a) and the catalog figure
            _time_axis(b)
        else:
            _note(b, "no CO$_2$/H$_2$O with a date (MJD-AVG) in this batch")
        b.set_xlabel(_TIME_LABEL)
        b.set_ylabel(RATIO_LABEL)
        _q_panel(c, rh, t, species, RH_LABEL, log_x=True)
        if has_date:
            _q_panel(d, dates, t, species, _TIME_LABEL, log_x=False)
            _time_axis(d)
        else:
            _note(d, "no date (MJD-AVG) in the file headers")
            d.set_xlabel(_TIME_LABEL)
        for ax, letter in zip(axes.flat, "abcd"):
            ax.set_title(f"({letter})", loc="left")
        n_ok, n = int(ok.sum()), len(table)
        fig.suptitle(f"comaspec batch: {n_ok} of {n} jobs fitted", fontsize=8)
    return fig
