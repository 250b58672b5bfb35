"""What keeps a comparison figure legible: legends that hide nothing, named interstellar
objects, filled/open markers explained, tick labels as plain numbers, labels that do not
overprint each other.
"""

from __future__ import annotations

import numpy as np

#: gid prefix of the text naming an interstellar object beside its points.
OBJECT_LABEL_GID = "object-label"
#: Legend labels explaining filled and open catalog markers.
DIRECT_LABEL = "filled: direct"
INDIRECT_LABEL = "open: indirect"


def legend_above(ax, handles, ncol=3, **kwargs):
    """A legend in a band above the axes (never over the data; constrained layout makes room).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    handles : list of matplotlib artists
    ncol : int
    **kwargs
        Passed to `matplotlib.axes.Axes.legend`.

    Returns
    -------
    matplotlib.legend.Legend
    """
    options = dict(loc="lower left", bbox_to_anchor=(0.0, 1.02, 1.0, 0.1), mode="expand", ncol=ncol,
                   borderaxespad=0.0, handlelength=1.2)
    options.update(kwargs)
    return ax.legend(handles=handles, **options)


def method_handles(filled=DIRECT_LABEL, open_=INDIRECT_LABEL):
    """Two grey legend entries saying what filled and open catalog markers mean.

    Returns
    -------
    list of matplotlib.lines.Line2D
    """
    from matplotlib.lines import Line2D

    grey = "#555555"
    return [Line2D([], [], ls="none", marker="o", color=grey, markeredgecolor=grey, label=filled),
            Line2D([], [], ls="none", marker="o", markerfacecolor="none", markeredgecolor=grey,
                   label=open_)]


def object_name(designation, name):
    """'3I/ATLAS' from the catalog's designation and name columns."""
    designation, name = str(designation).strip(), str(name).strip()
    return f"{designation}/{name}" if name else designation


def label_objects(ax, x, y, labels, colour="black", side="right"):
    """Name each object once, beside its highest point (e.g. 3I/ATLAS among the population).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    x, y : array_like
        Positions of the object's points (data coordinates).
    labels : array_like of str
        The object's name at each point.
    colour : str
    side : {"right", "left"}
        Where the name goes from its point.

    Returns
    -------
    list of matplotlib.text.Annotation
    """
    x, y, labels = np.asarray(x, float), np.asarray(y, float), np.asarray(labels, dtype=str)
    out = []
    for text in dict.fromkeys(labels[np.isfinite(x) & np.isfinite(y)]):
        sel = (labels == text) & np.isfinite(x) & np.isfinite(y)
        i = np.flatnonzero(sel)[np.argmax(y[sel])]
        note = ax.annotate(text, (x[i], y[i]), xytext=(4 if side == "right" else -4, 3),
                           textcoords="offset points", fontsize=5.5, color=colour,
                           ha="left" if side == "right" else "right",
                           gid=f"{OBJECT_LABEL_GID}-{text}", annotation_clip=False)
        note.set_in_layout(False)
        out.append(note)
    return out


def _number(value, _pos=None):
    """A tick value as a plain number (0.05, 2, 300), or 10^n far from 1."""
    if value <= 0:
        return ""
    exponent = np.log10(value)
    if 1e-3 <= value < 1e4:
        return f"{value:g}"
    if abs(exponent - round(exponent)) < 1e-9:
        return f"$10^{{{int(round(exponent))}}}$"
    return f"{value:.0e}"


def log_ticks(axis):
    """Label a log axis with plain numbers: decades, or 1-2-5 steps when it spans less than two
    decades (never "6×10⁰" minor labels). Call after the limits are set.

    Parameters
    ----------
    axis : matplotlib.axis.Axis
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    lo, hi = sorted(axis.get_view_interval())
    span = np.log10(hi / lo) if lo > 0 and hi > 0 else np.inf
    subs = (1.0, 2.0, 5.0) if span < 2.0 else (1.0,)
    axis.set_major_locator(LogLocator(base=10, subs=subs))
    axis.set_major_formatter(FuncFormatter(_number))
    axis.set_minor_formatter(NullFormatter())


def separate_labels(fig, texts, step_pt=6.0, max_moves=8):
    """Move text annotations (offsets in points) down until none overlaps another.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    texts : list of matplotlib.text.Annotation
        With ``textcoords="offset points"``; moved in place, in the given order.
    step_pt : float
        Step of each move, points.
    max_moves : int
        Moves tried per label.
    """
    if len(texts) < 2:
        return
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    placed = []
    for text in texts:
        for _ in range(max_moves):
            box = text.get_window_extent(renderer)
            if not any(box.overlaps(other) for other in placed):
                break
            dx, dy = text.xyann
            text.xyann = (dx, dy - step_pt)
        placed.append(text.get_window_extent(renderer))
