"""The two-ratio diagram: CO/H2O against CO2/H2O (or any two ratios) for every catalog comet.

`two_ratio_diagram` places each catalog measurement that has both ratios, coloured and
shaped by dynamical class, limits as arrows along the limited axis, and marks the user's
measurement. Where both ratios share a denominator, the line on which the two numerators are
equal (e.g. CO2/CO = 1) is drawn. Ratios are plain numbers (7.6, not 760 %).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..ratios import axis_label, parse_name
from ._legible import label_objects, legend_above, log_ticks, method_handles, object_name, separate_labels
from .compare import HIGHLIGHT_GID, _class_handles, _highlight_handle, _measurement
from .style import CLASS_COLOURS, CLASS_MARKERS, HIGHLIGHT_COLOUR, figure_size, use_style

__all__ = ["two_ratio_diagram"]

_ARROW_FACTOR = 1.8


def _arrow(ax, x, y, axis, kind, colour, lw=0.7):
    factor = 1 / _ARROW_FACTOR if kind == "upper" else _ARROW_FACTOR
    end = (x * factor, y) if axis == "x" else (x, y * factor)
    arrow = ax.annotate("", xy=end, xytext=(x, y),
                        arrowprops=dict(arrowstyle="-|>", color=colour, lw=lw, shrinkA=0,
                                        shrinkB=0, mutation_scale=5))
    arrow.set_gid(f"limit-{axis}-{kind}")
    return arrow


def _point(value, err, limit, what, name):
    """The measurement along one axis: None or (value, (err_lo, err_hi), limit)."""
    if value is None:
        return None
    if limit not in ("", "upper", "lower"):
        raise InputError(what, f"limit {limit!r} is not one of '', upper, lower")
    value, errors, _ = _measurement(value, err, None, need_rh=False, name=name)
    return value, errors, limit


def two_ratio_diagram(x=None, y=None, *, x_err=None, y_err=None, x_limit="", y_limit="",
                      x_ratio="CO2/H2O", y_ratio="CO/H2O", label="This work", table=None,
                      exclude_flags=("superseded",), width="single", aspect=0.9, ax=None):
    """Two ratios against each other for every catalog comet, with a measurement marked.

    Parameters
    ----------
    x, y : float, optional
        The measurement (plain numbers); give both or neither.
    x_err, y_err : float or (float, float), optional
        1-sigma errors, or (lower, upper) errors.
    x_limit, y_limit : {"", "upper", "lower"}
        The measurement is a limit along that axis (drawn as an arrow).
    x_ratio, y_ratio : str
        The ratios on each axis (default CO2/H2O across, CO/H2O up).
    label : str
        Legend label of the measurement.
    table : astropy.table.QTable, optional
        Catalog (default `comaspec.catalog.load()`).
    exclude_flags : sequence of str
        Catalog flags whose rows are not drawn.
    width : {"single", "double"} or float
        Figure width; ignored if ``ax`` is given.
    aspect : float
        Height / width.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes.

    Returns
    -------
    matplotlib.figure.Figure
        Catalog points filled where both ratios are measurements, open where either is a
        limit (the legend says so), interstellar objects named; a limit on either axis
        carries an arrow along it (gid ``limit-x-upper``, ``limit-y-lower``...). The
        measurement is a star (gid `comaspec.plotting.compare.HIGHLIGHT_GID`).
    """
    import matplotlib.pyplot as plt

    from .. import catalog

    xn, yn = parse_name(x_ratio), parse_name(y_ratio)
    if xn == yn:
        raise InputError("y_ratio", f"the two axes must show different ratios, got {xn.name} twice")
    if (x is None) != (y is None):
        raise InputError("measurement", "give both x and y, or neither")
    px = _point(x, x_err, x_limit, "x", xn.name)
    py = _point(y, y_err, y_limit, "y", yn.name)
    table = catalog.load() if table is None else table
    rows = catalog.select(table, exclude_flags=tuple(exclude_flags))
    cx, cy = catalog.ratio_columns(rows, xn.name), catalog.ratio_columns(rows, yn.name)
    both = np.isfinite(cx["value"]) & np.isfinite(cy["value"])
    classes = np.asarray(rows["dyn_class"], dtype=str)
    with use_style():
        if ax is None:
            fig, ax = plt.subplots(figsize=figure_size(width, aspect))
        else:
            fig = ax.figure
        present = [c for c in catalog.DYNAMICAL_CLASSES if np.any(both & (classes == c))]
        for cls in present:
            _draw_class(ax, cls, both & (classes == cls), cx, cy)
        alien = both & (classes == "interstellar")
        names = label_objects(ax, cx["value"][alien], cy["value"][alien],
                              [object_name(d, n) for d, n in zip(rows["designation"][alien], rows["name"][alien])])
        handles = _class_handles(present)
        if np.any(both & ((cx["limit"] != "") | (cy["limit"] != ""))):
            handles += method_handles("filled: both measured", "open: a limit")
        xs_all = list(cx["value"][both]) + ([px[0]] if px else [])
        ys_all = list(cy["value"][both]) + ([py[0]] if py else [])
        if not xs_all:
            raise InputError("catalog", f"no catalog row has both {xn.name} and {yn.name}")
        xlim = (min(xs_all) / 3.0, max(xs_all) * 3.0)
        ylim = (min(ys_all) / 3.0, max(ys_all) * 3.0)
        if xn.denominator == yn.denominator:
            handles.append(_draw_equal_numerators(ax, xn, yn, xlim, ylim))
        if px and py:
            _draw_measurement(ax, px, py, label)
            handles.append(_highlight_handle(label))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        log_ticks(ax.xaxis)
        log_ticks(ax.yaxis)
        ax.set_xlabel(axis_label(xn.name))
        ax.set_ylabel(axis_label(yn.name))
        legend_above(ax, handles)
        separate_labels(fig, names)
    return fig


def _draw_class(ax, cls, sel, cx, cy):
    """The catalog rows ``sel`` of one dynamical class: filled where both ratios are measured,
    open where either is a limit (with an arrow along that axis), error bars on measured axes."""
    colour, marker = CLASS_COLOURS[cls], CLASS_MARKERS[cls]
    xs, ys = cx["value"][sel], cy["value"][sel]
    lx, ly = cx["limit"][sel], cy["limit"][sel]
    measured = (lx == "") & (ly == "")
    ax.scatter(xs[measured], ys[measured], marker=marker, s=16, color=colour,
               linewidths=0.6, zorder=3, gid=f"class-{cls}")
    ax.scatter(xs[~measured], ys[~measured], marker=marker, s=16, facecolors="none",
               edgecolors=colour, linewidths=0.7, zorder=3, gid=f"class-{cls}-limit")
    for axis_name, limits in (("x", lx), ("y", ly)):
        for xi, yi, kind in zip(xs, ys, limits):
            if kind:
                _arrow(ax, xi, yi, axis_name, kind, colour)
    for err, values, limits, horizontal in ((cx, xs, lx, True), (cy, ys, ly, False)):
        lo, hi = err["err_lo"][sel], err["err_hi"][sel]
        ok = np.isfinite(lo) & np.isfinite(hi) & (limits == "")
        if np.any(ok):
            bars = [np.minimum(lo[ok], 0.999 * values[ok]), hi[ok]]
            ax.errorbar(xs[ok], ys[ok], xerr=bars if horizontal else None,
                        yerr=None if horizontal else bars, fmt="none", ecolor=colour,
                        elinewidth=0.6, alpha=0.8, zorder=2)


def _draw_equal_numerators(ax, xn, yn, xlim, ylim):
    """The line where the two numerators are equal (e.g. CO2/CO = 1, for two ratios over one
    denominator); returns its legend handle."""
    from matplotlib.lines import Line2D

    lo, hi = min(xlim[0], ylim[0]), max(xlim[1], ylim[1])
    ax.plot([lo, hi], [lo, hi], color="#888888", ls="--", lw=0.7, zorder=1, gid="equal")
    return Line2D([], [], color="#888888", ls="--", lw=0.7, label=f"{xn.numerator} = {yn.numerator}")


def _draw_measurement(ax, px, py, label):
    """The user's measurement: a star, error bars along measured axes, arrows along limited ones."""
    (vx, ex, lx), (vy, ey, ly) = px, py
    if not lx and (ex[0] > 0 or ex[1] > 0):
        ax.errorbar([vx], [vy], xerr=[[min(ex[0], 0.999 * vx)], [ex[1]]], fmt="none",
                    ecolor="black", elinewidth=0.9, capsize=2, zorder=9,
                    gid=HIGHLIGHT_GID + "-xerror")
    if not ly and (ey[0] > 0 or ey[1] > 0):
        ax.errorbar([vx], [vy], yerr=[[min(ey[0], 0.999 * vy)], [ey[1]]], fmt="none",
                    ecolor="black", elinewidth=0.9, capsize=2, zorder=9,
                    gid=HIGHLIGHT_GID + "-yerror")
    for axis_name, kind in (("x", lx), ("y", ly)):
        if kind:
            _arrow(ax, vx, vy, axis_name, kind, "black", lw=1.0)
    ax.plot([vx], [vy], ls="none", marker="*", markersize=11,
            markerfacecolor=HIGHLIGHT_COLOUR, markeredgecolor="black",
            markeredgewidth=0.7, zorder=10, label=label, gid=HIGHLIGHT_GID)
