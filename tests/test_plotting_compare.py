"""Comparison figures (every ratio, the comet track, the two-ratio diagram) and the style, checked on the
matplotlib objects.

No pixel-by-pixel baseline image: text rendering changes with the FreeType/matplotlib
version, so such a test would fail on a correct figure elsewhere. Instead the figure is
rendered with Agg and the highlighted measurement's pixel colour is checked where its data
coordinates land, which does not depend on fonts.
"""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from matplotlib.colors import to_rgb  # noqa: E402

from comaspec import catalog, plotting  # noqa: E402
from comaspec.errors import InputError  # noqa: E402
from comaspec.plotting import compare, diagram, style, timeseries  # noqa: E402
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


def _by_gid(ax, gid):
    artists = list(ax.lines) + list(ax.collections) + list(ax.patches) + list(ax.texts)
    return [a for a in artists if a.get_gid() == gid]


# ---------------------------------------------------------------------------- style
def test_style_constants():
    assert style.COLUMN_WIDTH_IN == 3.5 and style.TWO_COLUMN_WIDTH_IN == 7.1
    assert set(style.CLASS_COLOURS) == set(catalog.DYNAMICAL_CLASSES)
    assert set(style.CLASS_MARKERS) == set(catalog.DYNAMICAL_CLASSES)
    colours = [to_rgb(c) for c in style.CLASS_COLOURS.values()]
    assert len(set(colours)) == len(colours)
    assert len(set(style.CLASS_MARKERS.values())) == len(style.CLASS_MARKERS)


def test_use_style_sets_and_restores_rcparams():
    before = matplotlib.rcParams["font.size"]
    with style.use_style(**{"font.size": 11.0}):
        assert matplotlib.rcParams["font.size"] == 11.0
        assert matplotlib.rcParams["pdf.fonttype"] == 42
    assert matplotlib.rcParams["font.size"] == before


def test_figure_size():
    assert style.figure_size("single", 0.5) == (3.5, 1.75)
    assert style.figure_size("double")[0] == 7.1
    with pytest.raises(InputError):
        style.figure_size("triple")


def test_save_figure_pdf_png_and_bad_suffix(tmp_path):
    fig = compare.ratio_vs_rh(table=None)
    pdf, png = tmp_path / "f.pdf", tmp_path / "f.png"
    style.save_figure(fig, pdf)
    style.save_figure(fig, png)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(InputError):
        style.save_figure(fig, tmp_path / "f.jpg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.pdf", "f.png"]  # nothing else


def test_saved_figure_keeps_column_width_and_truetype_fonts(tmp_path, table):
    import matplotlib.image as mpimg

    fig = compare.ratio_vs_rh(7.6, 0.3, 3.32, table=table)
    style.save_figure(fig, tmp_path / "f.png", dpi=100)
    height, width = mpimg.imread(tmp_path / "f.png").shape[:2]
    assert width == round(style.COLUMN_WIDTH_IN * 100)
    style.save_figure(fig, tmp_path / "f.pdf")
    pdf = (tmp_path / "f.pdf").read_bytes()
    assert b"/FontFile2" in pdf and b"/Type3" not in pdf  # TrueType embedded, no Type 3


def test_save_figure_failure_leaves_nothing(tmp_path):
    class Broken:
        def savefig(self, *args, **kwargs):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        style.save_figure(Broken(), tmp_path / "x.pdf")
    assert list(tmp_path.iterdir()) == []


def test_pdf_is_reproducible(tmp_path, table):
    """The same figure gives byte-identical PDFs (no creation date)."""
    for name in ("a.pdf", "b.pdf"):
        style.save_figure(compare.ratio_by_class(0.12, 0.02, table=table), tmp_path / name)
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


# --------------------------------------------------------------------- ratio_vs_rh
def test_ratio_vs_rh_contents(table):
    fig = compare.ratio_vs_rh(7.6, 0.3, 3.32, label="3I/ATLAS", table=table)
    ax = fig.axes[0]
    assert ax.get_xlabel() == compare.RH_LABEL and ax.get_ylabel() == compare.RATIO_LABEL
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert fig.get_size_inches()[0] == pytest.approx(style.COLUMN_WIDTH_IN)

    (star,) = _by_gid(ax, compare.HIGHLIGHT_GID)
    assert list(star.get_xdata()) == [3.32] and list(star.get_ydata()) == [7.6]
    assert to_rgb(star.get_markerfacecolor()) == to_rgb(style.HIGHLIGHT_COLOUR)
    (bars,) = [a for a in _by_gid(ax, compare.HIGHLIGHT_GID + "-error")
               if hasattr(a, "get_segments")]
    segment = bars.get_segments()[0]
    assert segment[:, 1].min() == pytest.approx(7.3) and segment[:, 1].max() == pytest.approx(7.9)

    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "3I/ATLAS" in legend
    for cls in ("JFC", "OCC-new", "OCC-returning", "main-belt", "interstellar"):
        assert cls in legend
    assert any(t.startswith("trend") for t in legend)


def test_ratio_vs_rh_points_and_limits_match_the_catalog(table):
    fig = compare.ratio_vs_rh(table=table)
    ax = fig.axes[0]
    rows = catalog.select(table, with_ratio=True, exclude_flags=("superseded",))
    rows = rows[~np.asarray(getattr(rows["rh"], "mask", np.zeros(len(rows), bool)))]
    n_points = sum(len(c.get_offsets()) for c in ax.collections
                   if str(c.get_gid()).startswith("class-"))
    assert n_points == len(rows)
    arrows = [t for t in ax.texts if str(t.get_gid()).startswith("limit-")]
    assert len(arrows) == int(np.sum(np.asarray(rows["co2_h2o_limit"]) != ""))
    # 238P/Read: an upper limit, so its arrow points down
    read = [t for t in arrows if t.xyann[0] == pytest.approx(2.428)]
    assert len(read) == 1 and read[0].get_gid() == "limit-upper"
    assert read[0].xy[1] < read[0].xyann[1]
    assert not _by_gid(ax, compare.HIGHLIGHT_GID)


def test_ratio_vs_rh_trend_line_follows_fit(table):
    fig = compare.ratio_vs_rh(table=table)
    (line,) = _by_gid(fig.axes[0], "trend")
    fit = catalog.fit_trend(table)
    x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    np.testing.assert_allclose(np.log10(y), fit.intercept + fit.slope * np.log10(x), rtol=1e-12)


def test_ratio_vs_rh_two_columns(table):
    fig = compare.ratio_vs_rh(0.12, 0.02, 1.5, table=table, width="double", aspect=0.5)
    assert tuple(fig.get_size_inches()) == pytest.approx((7.1, 3.55))


def test_highlight_pixel_is_highlight_colour(table):
    """Render with Agg and look at the pixel under the highlighted point."""
    fig = compare.ratio_vs_rh(7.6, 0.3, 3.32, table=table)
    fig.canvas.draw()
    ax = fig.axes[0]
    x_pix, y_pix = ax.transData.transform((3.32, 7.6))
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3] / 255.0
    height = image.shape[0]
    row, col = int(round(height - y_pix)), int(round(x_pix))
    patch = image[row - 1:row + 2, col - 1:col + 2].reshape(-1, 3)
    target = np.array(to_rgb(style.HIGHLIGHT_COLOUR))
    assert np.min(np.abs(patch - target).sum(axis=1)) < 0.05


def test_ratio_vs_rh_asymmetric_errors(table):
    fig = compare.ratio_vs_rh(7.0, (0.4, 0.9), 3.32, table=table)
    (bars,) = [a for a in _by_gid(fig.axes[0], compare.HIGHLIGHT_GID + "-error")
               if hasattr(a, "get_segments")]
    ys = bars.get_segments()[0][:, 1]
    assert ys.min() == pytest.approx(6.6) and ys.max() == pytest.approx(7.9)


@pytest.mark.parametrize("args", [(-1, 1, 2), (10, -1, 2), (10, 1, None), (10, 1, 0),
                                  (10, (1, -2), 2), (10, (1, 2, 3), 2)])
def test_ratio_vs_rh_rejects_bad_measurement(args, table):
    with pytest.raises(InputError):
        compare.ratio_vs_rh(*args, table=table)


# ------------------------------------------------------------------- ratio_by_class
def test_ratio_by_class_contents(table):
    fig = compare.ratio_by_class(7.6, 0.3, label="3I/ATLAS", table=table)
    ax = fig.axes[0]
    assert ax.get_ylabel() == compare.RATIO_LABEL and ax.get_yscale() == "log"
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[0] == "JFC" and "interstellar" in ticks
    (line,) = _by_gid(ax, compare.HIGHLIGHT_GID)
    assert list(line.get_ydata()) == [7.6, 7.6]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    # the measurement, the median bar, and what filled and open markers mean (issue 20)
    assert legend == ["3I/ATLAS", "class median", "filled: direct", "open: indirect"]
    # each class median bar sits at the median of its measured (non-limit) values
    jfc = catalog.select(table, dyn_class="JFC", with_ratio=True, limits="exclude",
                         exclude_flags=("superseded",))
    (bar,) = _by_gid(ax, "median-JFC")
    assert bar.get_ydata()[0] == pytest.approx(np.median(jfc["co2_h2o"].value))


def test_ratio_by_class_is_deterministic(table):
    a = compare.ratio_by_class(table=table, seed=3)
    b = compare.ratio_by_class(table=table, seed=3)
    for ca, cb in zip(a.axes[0].collections, b.axes[0].collections):
        np.testing.assert_array_equal(ca.get_offsets(), cb.get_offsets())


def test_lazy_exports():
    assert plotting.ratio_vs_rh is compare.ratio_vs_rh
    assert plotting.use_style is style.use_style


# ============== every ratio: the comet track, the two-ratio diagram, the fit comparison
def _arrows(ax, prefix="limit-"):
    return [t for t in ax.texts if str(t.get_gid()).startswith(prefix)]


# -------------------------------------------------------------------- ratio_vs_rh
def test_ratio_vs_rh_any_ratio(table):
    fig = compare.ratio_vs_rh(2.25, 0.04, 2.39, ratio_name="CO/H2O", label="3I Dec", table=table)
    ax = fig.axes[0]
    assert ax.get_ylabel() == axis_label("CO/H2O")
    (line,) = _by_gid(ax, "trend")
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
        (track,) = _by_gid(ax, timeseries.TRACK_GID)
        # the dated measurements joined in date order, at the catalog's rh and values
        dated = ok & (np.asarray(rows["date"], dtype=str) != "")
        np.testing.assert_allclose(track.get_xdata(), rows["rh"].value[dated])
        np.testing.assert_allclose(track.get_ydata(), cols["value"][dated])
        points = [c for c in ax.collections
                  if str(c.get_gid()).startswith(timeseries.TRACK_GID + "-points")]
        assert sum(len(c.get_offsets()) for c in points) == int(np.sum(ok))
        assert len(_arrows(ax)) == int(np.sum(cols["limit"][ok] != ""))
        (peri,) = _by_gid(ax, timeseries.PERIHELION_GID)
        assert peri.get_xdata()[0] == pytest.approx(catalog.perihelion("3I").q)
        assert _by_gid(ax, "trend") and _by_gid(ax, "population")
    # the SPHEREx CO2/H2O lower limit points up
    (spherex,) = [t for t in _arrows(fig.axes[0]) if t.xyann[0] == pytest.approx(3.2)]
    assert spherex.get_gid() == "limit-lower" and spherex.xy[1] > spherex.xyann[1]
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "3I/ATLAS" in legend and any(t.startswith("perihelion") for t in legend)


def test_comet_track_by_date_has_trend_at_each_epoch(table):
    import matplotlib.dates as mdates

    fig = timeseries.comet_track("3I", x="date", ratios=["CO2/H2O"], table=table)
    (ax,) = fig.axes
    (track,) = _by_gid(ax, timeseries.TRACK_GID)
    dates = [mdates.num2date(d).strftime("%Y-%m-%d") for d in track.get_xdata()]
    assert dates == sorted(dates) and dates[0] == "2025-08-06"
    (peri,) = _by_gid(ax, timeseries.PERIHELION_GID)
    assert mdates.num2date(peri.get_xdata()[0]).strftime("%Y-%m-%d") == "2025-10-29"
    fit = catalog.fit_trend(table)
    (trend,) = _by_gid(ax, "trend")[:1]
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
    (star,) = _by_gid(ax, compare.HIGHLIGHT_GID)
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
    assert _by_gid(ax, "equal")  # CO2 = CO, both ratios over H2O


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
    (star,) = _by_gid(fig.axes[0], compare.HIGHLIGHT_GID)
    assert list(star.get_ydata()) == [7.74]
    mine = [t for t in _arrows(fig.axes[1]) if t.xyann == pytest.approx((3.32, 0.17))]
    assert len(mine) == 1 and mine[0].get_gid() == "limit-upper"
    only = _FakeFit({"CO2/H2O": Ratio("CO2", "H2O", value=7.74, err_lo=0.3, err_hi=0.3)})
    assert [a.get_title() for a in compare.fit_comparison(only, 3.32, table=table).axes] == ["CO2/H2O"]
    with pytest.raises(InputError):
        compare.fit_comparison(_FakeFit({}), 3.32, table=table)
