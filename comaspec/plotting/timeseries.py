"""Follow one comet in time: its ratios by date or by heliocentric distance.

`comet_track` joins every catalog measurement of one comet (one panel per ratio), marks
perihelion where `comaspec.catalog.perihelion` knows it, and draws the population behind:
on an rh axis the other comets and the trend of `comaspec.catalog.fit_trend`; on a date
axis the trend evaluated at the comet's own rh at each epoch. Ratios are plain numbers.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import InputError
from ..ratios import STORED, axis_label, parse_name
from ._legible import legend_above, log_ticks, separate_labels
from .style import (CLASS_COLOURS, CLASS_MARKERS, TREND_COLOUR, figure_size, use_style)

__all__ = ["comet_track", "TRACK_GID", "PERIHELION_GID"]

#: gid of the line joining the comet's measurements, and of its markers (``-points``).
TRACK_GID = "comaspec-track"
#: gid of the perihelion marker line.
PERIHELION_GID = "perihelion"
_ARROW_FACTOR = 1.8


def _arrow(ax, x, y, kind, colour):
    end = y / _ARROW_FACTOR if kind == "upper" else y * _ARROW_FACTOR
    arrow = ax.annotate("", xy=(x, end), xytext=(x, y),
                        arrowprops=dict(arrowstyle="-|>", color=colour, lw=0.9, shrinkA=0,
                                        shrinkB=0, mutation_scale=6))
    arrow.set_gid(f"limit-{kind}")
    return arrow


def comet_track(designation, *, ratios=tuple(STORED), x="rh", table=None, show_population=True,
                label=None, width="single", ax=None):
    """All measurements of one comet, joined in time, over the population trend.

    Parameters
    ----------
    designation : str
        IAU designation as in the catalog (e.g. "3I").
    ratios : sequence of str
        Ratios to draw, one panel each; those the comet has no value of are skipped.
    x : {"rh", "date"}
        Horizontal axis: heliocentric distance (log) or date.
    table : astropy.table.QTable, optional
        Catalog (default `comaspec.catalog.load()`).
    show_population : bool
        Draw the other comets (rh axis) and the trend (both axes).
    label : str, optional
        Legend label of the comet (default: designation and name).
    width : {"single", "double"} or float
        Figure width; ignored if ``ax`` is given.
    ax : sequence of matplotlib.axes.Axes, optional
        One axes per ratio drawn.

    Returns
    -------
    matplotlib.figure.Figure
        Measurements are filled where the ratio is published as such and open where it was
        inverted, computed or derived (see the catalog's ``*_origin`` columns); limits carry
        arrows; dated points are joined in date order; on the rh axis each point is labelled
        with its date ("no date" where the source gives none), labels moved apart where they
        would overprint. The legend sits above the first panel.
    """
    import matplotlib.pyplot as plt

    from .. import catalog

    if x not in ("rh", "date"):
        raise InputError("x", f"{x!r} is not one of rh, date")
    table = catalog.load() if table is None else table
    track = _track(catalog, designation, ratios, x, table)
    names = track.names
    cls = str(track.rows["dyn_class"][0])
    look = {"colour": CLASS_COLOURS[cls], "marker": CLASS_MARKERS[cls],
            "label": label or f"{designation}/{track.rows['name'][0]}".rstrip("/")}
    peri = catalog.perihelion(designation)
    with use_style():
        if ax is None:
            w, _ = figure_size(width)
            fig, axes = plt.subplots(len(names), 1, sharex=True, squeeze=False,
                                     figsize=(w, 0.55 * w * len(names) + 0.3))
            axes = list(axes[:, 0])
        else:
            axes = list(ax)
            fig = axes[0].figure
        date_labels = []
        for axis, name in zip(axes, names):
            order = track.order[name]
            ys = []
            if show_population:  # drawn first, under the comet
                ys += _population(axis, catalog, table, name, designation, x, track.rh[order], track.xs[order])
            ys += _draw_measurements(axis, track, name, look)
            if x == "rh":
                date_labels += _date_labels(axis, track.xs[order], track.columns[name]["value"][order],
                                            np.asarray(track.rows["date"], dtype=str)[order])
            if peri is not None:
                where = peri.q if x == "rh" else _date(peri.date)
                axis.axvline(where, color="#777777", ls=":", lw=0.9, zorder=1, gid=PERIHELION_GID,
                             label=f"perihelion ({peri.date}, q = {peri.q:.2f} au)")
            axis.set_yscale("log")
            axis.set_ylabel(axis_label(name))
            finite = [v for v in ys if np.isfinite(v) and v > 0]
            axis.set_ylim(min(finite) / 3.0, max(finite) * 3.0)
            log_ticks(axis.yaxis)
        _format_x_axis(fig, axes[len(names) - 1], x)
        legend_above(axes[0], _legend_handles(look, show_population, x, peri), ncol=2, fontsize=5.5)
        if fig.get_layout_engine() is None:
            fig.tight_layout()
        separate_labels(fig, date_labels)
    return fig


class _Track(NamedTuple):
    """One comet's catalog rows in date order, with what the panels draw from them."""

    rows: object        # the catalog rows
    rh: np.ndarray      # au, NaN where unknown
    has_date: np.ndarray
    xs: np.ndarray      # the horizontal coordinate: rh, or matplotlib date numbers (NaN without a date)
    columns: dict       # ratio name -> `catalog.ratio_columns`
    names: list         # the ratios drawn: those with a value at a known x
    order: dict         # ratio name -> indices of the rows with a value at a known x


def _track(catalog, designation, ratios, x, table):
    """The `_Track` of one comet; InputError when it has none of ``ratios`` at a known x."""
    import astropy.units as u

    names = [parse_name(r).name for r in ratios]
    rows = catalog.time_series(designation, order="date", table=table)
    rh = catalog._values(rows["rh"], u.au)[0]
    # dates as matplotlib date numbers (NaN where the source gives none); ranges start/end
    starts = [str(d).split("/")[0] for d in rows["date"]]
    has_date = np.array([bool(d) for d in starts])
    dates = np.array([_date(d) if d else np.nan for d in starts], dtype=float)
    xs = rh if x == "rh" else dates
    has_x = np.isfinite(rh) if x == "rh" else has_date
    columns = {n: catalog.ratio_columns(rows, n) for n in names}
    names = [n for n in names if np.any(np.isfinite(columns[n]["value"]) & has_x)]
    if not names:
        raise InputError("designation", f"{designation} has no {' / '.join(ratios)} value "
                                        f"with {'an rh' if x == 'rh' else 'a date'} in the catalog")
    # rows are already in date order
    order = {n: np.flatnonzero(np.isfinite(columns[n]["value"]) & has_x) for n in names}
    return _Track(rows, rh, has_date, xs, columns, names, order)


def _draw_measurements(axis, track, name, look):
    """One ratio's measurements: the dated ones joined, filled where published and open where
    derived, error bars, limit arrows; returns the values drawn (for the limits)."""
    colour, marker = look["colour"], look["marker"]
    col, order = track.columns[name], track.order[name]
    xv, yv = track.xs[order], col["value"][order]
    # only dated points are joined: an undated one has no place in the sequence
    dated = track.has_date[order]
    axis.plot(xv[dated], yv[dated], color=colour, lw=1.0, zorder=5, gid=TRACK_GID, label=look["label"])
    published = col["origin"][order] == "published"
    axis.scatter(xv[published], yv[published], marker=marker, s=30, color=colour,
                 edgecolors="black", linewidths=0.5, zorder=6, gid=TRACK_GID + "-points")
    axis.scatter(xv[~published], yv[~published], marker=marker, s=30, facecolors="white",
                 edgecolors=colour, linewidths=1.0, zorder=6,
                 gid=TRACK_GID + "-points-derived")
    lo, hi = col["err_lo"][order], col["err_hi"][order]
    has_err = np.isfinite(lo) & (col["limit"][order] == "")
    if np.any(has_err):
        axis.errorbar(xv[has_err], yv[has_err],
                      yerr=[np.minimum(lo[has_err], 0.999 * yv[has_err]),
                            np.where(np.isfinite(hi[has_err]), hi[has_err], 0.0)],
                      fmt="none", ecolor=colour, elinewidth=0.8, capsize=1.5, zorder=5,
                      gid=TRACK_GID + "-error")
    for xi, yi, kind in zip(xv, yv, col["limit"][order]):
        if kind:
            _arrow(axis, xi, yi, kind, colour)
    return list(yv)


def _format_x_axis(fig, bottom, x):
    """The bottom panel's horizontal axis: log rh, or dates."""
    import matplotlib.dates as mdates

    if x == "rh":
        bottom.set_xscale("log")
        log_ticks(bottom.xaxis)
        bottom.set_xlabel(r"Heliocentric distance $r_\mathrm{h}$ (au)")
    else:
        bottom.xaxis_date()
        bottom.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=6))
        bottom.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
        bottom.set_xlabel("Date (UT)")
        fig.autofmt_xdate()


def _legend_handles(look, show_population, x, peri):
    """The legend: the comet (published and derived points), the trend, perihelion."""
    from matplotlib.lines import Line2D

    colour, marker = look["colour"], look["marker"]
    handles = [Line2D([], [], color=colour, marker=marker, markeredgecolor="black",
                      markeredgewidth=0.5, lw=1.0, label=look["label"]),
               Line2D([], [], ls="none", marker=marker, markerfacecolor="white",
                      markeredgecolor=colour, label="inverted / computed / derived")]
    if show_population:
        handles.append(Line2D([], [], color=TREND_COLOUR, lw=0.9,
                              label="population trend" + (" at the comet's rh" if x == "date" else "")))
    if peri is not None:
        handles.append(Line2D([], [], color="#777777", ls=":", lw=0.9,
                              label=f"perihelion {peri.date} (q = {peri.q:.2f} au)"))
    return handles


def _date_labels(axis, xs, ys, dates):
    """Each point's date beside it ("no date" where the source gives none); not part of the
    layout, so that `separate_labels` can move them apart afterwards."""
    notes = []
    for xi, yi, d in zip(xs, ys, dates):
        note = axis.annotate(d.split("/")[0] if d else "no date", (xi, yi), xytext=(3, 3),
                             textcoords="offset points", fontsize=5, color="#333333", gid="track-date")
        note.set_in_layout(False)
        notes.append(note)
    return notes


def _date(iso):
    import matplotlib.dates as mdates
    from astropy.time import Time

    return mdates.date2num(Time(iso, format="iso", scale="utc").datetime)


def _population(axis, catalog, table, name, designation, x, rh_points, x_points):
    """Draw the other comets and the trend; return the y values drawn (for the limits)."""
    try:
        fit = catalog.fit_trend(table, ratio=name)
    except InputError:
        return []
    drawn = []
    if x == "rh":
        others = catalog.select(table, with_ratio=True, limits="exclude", ratio=name,
                                exclude_flags=("superseded",))
        others = others[np.asarray(others["designation"], dtype=str) != designation]
        import astropy.units as u

        orh = catalog._values(others["rh"], u.au)[0]
        oval = catalog.ratio_columns(others, name)["value"]
        good = np.isfinite(orh)
        axis.scatter(orh[good], oval[good], s=6, color="#bbbbbb", lw=0, zorder=2,
                     gid="population")
        drawn += list(oval[good])
        lo = np.nanmin(np.concatenate([orh[good], rh_points])) / 1.3
        hi = np.nanmax(np.concatenate([orh[good], rh_points])) * 1.3
        grid = np.geomspace(lo, hi, 200)
        trend, _ = fit.predict(grid)
        axis.plot(grid, 10**trend, color=TREND_COLOUR, lw=0.9, zorder=3, gid="trend")
        axis.fill_between(grid, 10 ** (trend - fit.scatter_dex), 10 ** (trend + fit.scatter_dex),
                          color=TREND_COLOUR, alpha=0.15, lw=0, zorder=1, gid="trend-scatter")
    else:
        ok = np.isfinite(rh_points)
        trend, _ = fit.predict(rh_points[ok])
        axis.errorbar(x_points[ok], 10**trend,
                      yerr=[10**trend - 10 ** (trend - fit.scatter_dex),
                            10 ** (trend + fit.scatter_dex) - 10**trend],
                      fmt="D", ms=3, color=TREND_COLOUR, elinewidth=0.7, zorder=3, gid="trend")
        drawn += list(10**trend)
    return drawn
