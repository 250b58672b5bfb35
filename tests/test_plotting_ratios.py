"""Figures for every ratio: the comet track, the two-ratio diagram, the fit comparison.

Checked on the matplotlib objects: the user's point is present and labelled, limits are
arrows pointing the right way, and each drawn number is the catalog's.
"""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from comaspec import catalog  # noqa: E402
from comaspec.errors import InputError  # noqa: E402
from comaspec.plotting import compare, diagram, timeseries  # noqa: E402
from comaspec.ratios import axis_label  # noqa: E402
from comaspec.results import Ratio  # noqa: E402


@pytest.fixture(scope="module")
def table():
    return catalog.load()


@pytest.fixture(autouse=True)
def _close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def _gid(ax, gid):
    artists = list(ax.lines) + list(ax.collections) + list(ax.texts)
    return [a for a in artists if a.get_gid() == gid]


def _arrows(ax, prefix="limit-"):
    return [t for t in ax.texts if str(t.get_gid()).startswith(prefix)]


# -------------------------------------------------------------------- ratio_vs_rh
def test_ratio_vs_rh_any_ratio(table):
    fig = compare.ratio_vs_rh(2.25, 0.04, 2.39, ratio_name="CO/H2O", label="3I Dec", table=table)
    ax = fig.axes[0]
    assert ax.get_ylabel() == axis_label("CO/H2O")
    (line,) = _gid(ax, "trend")
    fit = catalog.fit_trend(table, ratio="CO/H2O")
    x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    np.testing.assert_allclose(np.log10(y), fit.intercept + fit.slope * np.log10(x), rtol=1e-12)
    rows = catalog.select(table, with_ratio=True, ratio="CO/H2O", exclude_flags=("superseded",))
    has_rh = ~np.asarray(getattr(rows["rh"], "mask", np.zeros(len(rows), bool)))
    n_limits = int(np.sum(catalog.ratio_columns(rows, "CO/H2O")["limit"][has_rh] != ""))
    assert len(_arrows(ax)) == n_limits > 5
    assert "3I Dec" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_ratio_vs_rh_user_limit_is_an_arrow(table):
    fig = compare.ratio_vs_rh(0.1, None, 3.0, ratio_name="CO/H2O", limit="upper", table=table)
    ax = fig.axes[0]
    mine = [t for t in _arrows(ax) if t.xyann == pytest.approx((3.0, 0.1))]
    assert len(mine) == 1 and mine[0].get_gid() == "limit-upper" and mine[0].xy[1] < 0.1


# ------------------------------------------------------------------------ comet_track
def test_comet_track_3i_by_rh(table):
    fig = timeseries.comet_track("3I", table=table)
    assert len(fig.axes) == 3
    rows = catalog.time_series("3I", table=table)
    for ax, name in zip(fig.axes, ("CO2/H2O", "CO/H2O", "CO2/CO")):
        assert ax.get_ylabel() == axis_label(name)
        cols = catalog.ratio_columns(rows, name)
        ok = np.isfinite(cols["value"])
        (track,) = _gid(ax, timeseries.TRACK_GID)
        # joined in date order, at the catalog's rh and values
        np.testing.assert_allclose(track.get_xdata(), rows["rh"].value[ok])
        np.testing.assert_allclose(track.get_ydata(), cols["value"][ok])
        assert len(_arrows(ax)) == int(np.sum(cols["limit"][ok] != ""))
        (peri,) = _gid(ax, timeseries.PERIHELION_GID)
        assert peri.get_xdata()[0] == pytest.approx(catalog.perihelion("3I").q)
        assert _gid(ax, "trend") and _gid(ax, "population")
    # the SPHEREx CO2/H2O lower limit points up
    (spherex,) = [t for t in _arrows(fig.axes[0]) if t.xyann[0] == pytest.approx(3.2)]
    assert spherex.get_gid() == "limit-lower" and spherex.xy[1] > spherex.xyann[1]
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "3I/ATLAS" in legend and any(t.startswith("perihelion") for t in legend)


def test_comet_track_by_date_has_trend_at_each_epoch(table):
    import matplotlib.dates as mdates

    fig = timeseries.comet_track("3I", x="date", ratios=["CO2/H2O"], table=table)
    (ax,) = fig.axes
    (track,) = _gid(ax, timeseries.TRACK_GID)
    dates = [mdates.num2date(d).strftime("%Y-%m-%d") for d in track.get_xdata()]
    assert dates == sorted(dates) and dates[0] == "2025-08-06"
    (peri,) = _gid(ax, timeseries.PERIHELION_GID)
    assert mdates.num2date(peri.get_xdata()[0]).strftime("%Y-%m-%d") == "2025-10-29"
    fit = catalog.fit_trend(table)
    (trend,) = _gid(ax, "trend")[:1]
    rows = catalog.time_series("3I", table=table)
    ok = np.isfinite(catalog.ratio_columns(rows, "CO2/H2O")["value"])
    expected = 10 ** fit.predict(rows["rh"].value[ok])[0]
    np.testing.assert_allclose(trend.get_ydata(), expected)


def test_comet_track_rejects_bad_input(table):
    with pytest.raises(InputError):
        timeseries.comet_track("3I", x="phase", table=table)
    with pytest.raises(InputError):
        timeseries.comet_track("238P", ratios=["CO2/CO"], table=table)


# ---------------------------------------------------------------- two-ratio diagram
def test_two_ratio_diagram_point_and_limits(table):
    fig = diagram.two_ratio_diagram(0.955, 2.25, x_err=0.025, y_err=0.04, label="3I/ATLAS",
                                    table=table)
    ax = fig.axes[0]
    assert ax.get_xlabel() == axis_label("CO2/H2O") and ax.get_ylabel() == axis_label("CO/H2O")
    (star,) = _gid(ax, compare.HIGHLIGHT_GID)
    assert list(star.get_xdata()) == [0.955] and list(star.get_ydata()) == [2.25]
    assert star.get_label() == "3I/ATLAS"
    assert "3I/ATLAS" in [t.get_text() for t in ax.get_legend().get_texts()]
    rows = catalog.select(table, exclude_flags=("superseded",))
    cx, cy = catalog.ratio_columns(rows, "CO2/H2O"), catalog.ratio_columns(rows, "CO/H2O")
    both = np.isfinite(cx["value"]) & np.isfinite(cy["value"])
    for axis, cols in (("x", cx), ("y", cy)):
        for kind in ("upper", "lower"):
            drawn = _arrows(ax, f"limit-{axis}-{kind}")
            assert len(drawn) == int(np.sum(both & (cols["limit"] == kind))), (axis, kind)
            for arrow in drawn:
                i = 0 if axis == "x" else 1
                assert (arrow.xy[i] < arrow.xyann[i]) == (kind == "upper")
    assert _arrows(ax, "limit-y-upper")  # CO upper limits exist in the catalog
    n_points = sum(len(c.get_offsets()) for c in ax.collections
                   if str(c.get_gid()).startswith("class-"))
    assert n_points == int(np.sum(both))
    assert _gid(ax, "equal")  # CO2 = CO, both ratios over H2O


def test_two_ratio_diagram_user_limit_and_bad_input(table):
    fig = diagram.two_ratio_diagram(0.5, 0.05, y_limit="upper", table=table)
    ax = fig.axes[0]
    mine = [t for t in _arrows(ax, "limit-y-upper") if t.xyann == pytest.approx((0.5, 0.05))]
    assert len(mine) == 1
    with pytest.raises(InputError):
        diagram.two_ratio_diagram(0.5, None, table=table)
    with pytest.raises(InputError):
        diagram.two_ratio_diagram(x_ratio="CO/H2O", y_ratio="co/h2o", table=table)
    with pytest.raises(InputError):
        diagram.two_ratio_diagram(-1, 0.1, table=table)


# ------------------------------------------------------------------ fit comparison
class _FakeFit:
    """The part of a ComaFit that fit_comparison reads: species and ratio()."""

    def __init__(self, ratios):
        self.species = {"CO2": None, "H2O": None, "CO": None}
        self._ratios = ratios

    def ratio(self, numerator, denominator):
        return self._ratios.get(f"{numerator}/{denominator}",
                                Ratio(numerator, denominator, reason="not measured"))


def test_fit_comparison_draws_each_ratio_the_fit_gives(table):
    fit = _FakeFit({"CO2/H2O": Ratio("CO2", "H2O", value=7.74, err_lo=0.30, err_hi=0.32),
                    "CO/H2O": Ratio("CO", "H2O", value=0.17, limit="upper", limit_sigma=3.0),
                    "CO2/CO": Ratio("CO2", "CO", value=47.0, limit="lower", limit_sigma=3.0)})
    fig = compare.fit_comparison(fit, 3.32, table=table)
    assert [a.get_title() for a in fig.axes] == ["CO2/H2O", "CO/H2O", "CO2/CO"]
    (star,) = _gid(fig.axes[0], compare.HIGHLIGHT_GID)
    assert list(star.get_ydata()) == [7.74]
    mine = [t for t in _arrows(fig.axes[1]) if t.xyann == pytest.approx((3.32, 0.17))]
    assert len(mine) == 1 and mine[0].get_gid() == "limit-upper"
    only = _FakeFit({"CO2/H2O": Ratio("CO2", "H2O", value=7.74, err_lo=0.3, err_hi=0.3)})
    assert [a.get_title() for a in compare.fit_comparison(only, 3.32, table=table).axes] == ["CO2/H2O"]
    with pytest.raises(InputError):
        compare.fit_comparison(_FakeFit({}), 3.32, table=table)
