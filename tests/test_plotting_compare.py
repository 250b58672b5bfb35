"""Comparison figures and the publication style, checked on the matplotlib objects.

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
from comaspec.plotting import compare, style  # noqa: E402


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
    assert legend == ["3I/ATLAS", "class median"]
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
