"""The batch summary figure drawn cheaply (issue #22 item 6): what it shows, against the slow path.

`comaspec.plotting.batch` draws panel (a) itself instead of through
`comaspec.plotting.compare.ratio_vs_rh`, its limit arrows as collections instead of
annotations, its minor log ticks as marker lines instead of Tick objects, without pyplot,
mathtext or TrueType subsetting. These tests check that a reader sees what the slow path
drew: the same catalog points, trend and arrows as ``ratio_vs_rh``, the minor ticks
matplotlib would draw, one point or arrow per job, the same labels. Summary tables are
written by hand here (tests/test_batch.py draws the figure of real batches).
"""

import subprocess
import sys
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.table import QTable
from astropy.time import Time

from comaspec.errors import InputError
from comaspec.plotting.batch import _ARROW_FACTOR, batch_summary_figure, save_batch_summary

REPO = Path(__file__).resolve().parents[1]
SPECIES = ("CO2", "H2O", "CO")


def _summary(n=6, dated=True, status=None):
    """A batch summary as `comaspec.batch.summary_table` writes it: CO2 and H2O measured,
    CO an upper limit, the ratio of job 2 a lower limit (H2O not detected there)."""
    rh = 1.5 + 0.5 * np.arange(n)
    q = {"CO2": np.full(n, 8e26), "H2O": 3e27 / rh**2, "CO": np.full(n, np.nan)}
    upper = {"CO2": np.full(n, np.nan), "H2O": np.full(n, np.nan), "CO": 5e25 * rh}
    q["H2O"][2], upper["H2O"][2] = np.nan, 2e26
    t = QTable()
    t["label"] = [f"v{i}" for i in range(n)]
    t["files"] = [f"v{i}_x1d.fits" for i in range(n)]
    t["status"] = status or ["ok"] * n
    t["rh"] = rh * u.au
    t["delta"] = (rh - 0.6) * u.au
    t["epoch"] = [(Time("2025-07-01") + 9 * i * u.day).isot if dated else "" for i in range(n)]
    for name in SPECIES:
        t[f"Q_{name}"] = q[name] / u.s
        t[f"Q_{name}_err"] = 0.05 * q[name] / u.s
        t[f"Q_{name}_upper_limit"] = upper[name] / u.s
    ratio = q["CO2"] / q["H2O"]
    ratio[2] = 8e26 / 2e26
    t["CO2_H2O"] = ratio
    t["CO2_H2O_err_lo"] = np.where(np.arange(n) == 2, np.nan, 0.1 * ratio)
    t["CO2_H2O_err_hi"] = np.where(np.arange(n) == 2, np.nan, 0.12 * ratio)
    t["CO2_H2O_limit"] = ["lower" if i == 2 else "" for i in range(n)]
    t["chi2_nu"] = np.ones(n)
    t["reason"] = [""] * n
    return t


@pytest.fixture(scope="module")
def figure():
    table = _summary()
    return table, batch_summary_figure(table)


def _offsets(collection):
    return np.asarray(sorted(map(tuple, np.asarray(collection.get_offsets(), dtype=float))))


def test_catalog_panel_shows_what_ratio_vs_rh_shows(figure):
    """Panel (a) against the slow path: every catalog class (filled and open), the limit
    arrows, the trend and its band, the interstellar names, as `ratio_vs_rh` draws them."""
    from comaspec import catalog
    from comaspec.plotting.compare import ratio_vs_rh

    reference = ratio_vs_rh(table=catalog.load()).axes[0]
    a = figure[1].axes[0]
    wanted = {str(c.get_gid()): c for c in reference.collections if str(c.get_gid()).startswith("class-")}
    got = {str(c.get_gid()): c for c in a.collections if str(c.get_gid()).startswith("class-")}
    assert set(got) == set(wanted) and len(got) >= 8
    for gid, collection in wanted.items():
        np.testing.assert_allclose(_offsets(got[gid]), _offsets(collection), rtol=1e-12, err_msg=gid)
        np.testing.assert_array_equal(got[gid].get_facecolor(), collection.get_facecolor())
    # one arrow per catalog limit (annotations there, stems here), and the batch's lower limit
    n_arrows = sum(str(t.get_gid()).startswith("limit-") for t in reference.texts)
    stems = [c for c in a.collections if str(c.get_gid()) in ("limit-upper", "limit-lower")]
    assert n_arrows > 0 and sum(len(c.get_segments()) for c in stems) == n_arrows + 1
    (trend,) = [ln for ln in a.lines if ln.get_gid() == "trend"]
    (ref_trend,) = [ln for ln in reference.lines if ln.get_gid() == "trend"]
    np.testing.assert_allclose(trend.get_ydata(), ref_trend.get_ydata(), rtol=1e-12)
    assert any(c.get_gid() == "trend-scatter" for c in a.collections)
    names = sorted(t.get_text() for t in a.texts if str(t.get_gid()).startswith("object-label"))
    assert names == sorted(t.get_text() for t in reference.texts if str(t.get_gid()).startswith("object-label"))
    assert names  # 3I/ATLAS at least
    legend = [t.get_text() for t in a.get_legend().get_texts()]
    for label in ("JFC", "interstellar", "filled: direct", "open: indirect", "this batch"):
        assert label in legend
    assert any(text.startswith("trend (\u221d r\u2095^") for text in legend)


def test_one_point_or_arrow_per_job(figure):
    """Each job is drawn once per panel: measured values as points at the table's numbers,
    limits as open markers with an arrow of `_ARROW_FACTOR` the right way."""
    table, fig = figure
    a, b, c, d = fig.axes
    ratio, limit = np.asarray(table["CO2_H2O"], float), np.asarray(table["CO2_H2O_limit"], str)
    for ax, x in ((a, table["rh"].value), (b, None)):
        stars = [ln for ln in ax.lines if ln.get_label() == "this batch" or ln.get_marker() == "*"]
        ys = np.sort(np.concatenate([ln.get_ydata() for ln in stars]).astype(float))
        np.testing.assert_allclose(ys, np.sort(ratio), rtol=1e-12)
        # the lower limit's arrow goes up from its star (panel (a) also has the catalog's)
        segments = np.concatenate([col.get_segments() for col in ax.collections if col.get_gid() == "limit-lower"])
        value = ratio[limit == "lower"][0]
        ours = segments[np.isclose(segments[:, 0, 1], value, rtol=1e-12)]
        assert len(ours) == 1 and ours[0, 1, 1] == pytest.approx(value * _ARROW_FACTOR, rel=1e-12)
        if x is not None:
            assert ours[0, 0, 0] == ours[0, 1, 0] == pytest.approx(x[limit == "lower"][0])
    for ax in (c, d):
        for name in SPECIES:
            (line,) = [ln for ln in ax.lines if ln.get_label() == name]
            q = table[f"Q_{name}"].value
            shown = np.where(np.isfinite(q), q, table[f"Q_{name}_upper_limit"].value)
            if name == "CO":  # all upper limits: open markers, arrows down
                assert line.get_markerfacecolor() == "none"
                np.testing.assert_allclose(np.sort(line.get_ydata()), np.sort(shown), rtol=1e-12)
            else:
                np.testing.assert_allclose(np.sort(line.get_ydata()), np.sort(q[np.isfinite(q)]), rtol=1e-12)
        stems = [col for col in ax.collections if col.get_gid() == "limit-upper"]
        segments = np.concatenate([col.get_segments() for col in stems])
        assert len(segments) == len(table) + 1  # CO everywhere, H2O once
        starts, tips = segments[:, 0, 1], segments[:, 1, 1]
        np.testing.assert_allclose(tips, starts / _ARROW_FACTOR, rtol=1e-12)
        heads = [ln for ln in ax.lines if ln.get_gid() == "limit-upper-head"]
        np.testing.assert_allclose(np.sort(np.concatenate([h.get_ydata() for h in heads])), np.sort(tips))


def test_labels_as_before_in_plain_text(figure):
    """The labels of the slow path, and no mathtext anywhere (its parser and fonts were
    most of the cost of a figure drawn on every batch)."""
    table, fig = figure
    fig.draw_without_rendering()
    a, b, c, d = fig.axes
    assert a.get_xlabel() == c.get_xlabel() == "Heliocentric distance r\u2095 (au)"
    assert a.get_ylabel() == b.get_ylabel() == "Q(CO\u2082) / Q(H\u2082O)"
    assert c.get_ylabel() == d.get_ylabel() == "Production rate Q (s\u207b\u00b9)"
    assert b.get_xlabel() == d.get_xlabel() == "Date of observation (UTC)"
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["(a)", "(b)", "(c)", "(d)"]
    assert fig.get_suptitle() == f"comaspec batch: {len(table)} of {len(table)} jobs fitted"
    texts = [fig.get_suptitle()]
    for ax in fig.axes:
        texts += [ax.get_xlabel(), ax.get_ylabel(), ax.get_title(loc="left")] + [t.get_text() for t in ax.texts]
        texts += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
        if ax.get_legend() is not None:
            texts += [t.get_text() for t in ax.get_legend().get_texts()]
    assert len(texts) > 40 and not [t for t in texts if "$" in t]
    assert "10\u00b2\u2076" in [t.get_text() for t in c.get_yticklabels()]  # 10^26, in Unicode


@pytest.mark.parametrize("panel, which, at_least", [(0, "x", 8), (0, "y", 20), (1, "y", 8), (2, "x", 0), (2, "y", 8),
                                                     (3, "y", 8)])
def test_minor_marks_are_the_minor_ticks_matplotlib_draws(figure, panel, which, at_least, monkeypatch):
    """The marker lines stand for the minor ticks: at the positions where matplotlib draws
    them in the same figure drawn the slow way (its Tick objects), on both sides, inwards."""
    from matplotlib import lines

    import comaspec.plotting.batch as batch_figure

    table, fig = figure
    ax = fig.axes[panel]
    marks = [ln for ln in ax.lines if ln.get_gid() == f"minor-{which}"]
    assert len(marks) == 2  # bottom and top, or left and right
    got = marks[0].get_xdata() if which == "x" else marks[0].get_ydata()
    assert np.array_equal(got, marks[1].get_xdata() if which == "x" else marks[1].get_ydata())
    assert len(getattr(ax, f"{which}axis").get_minorticklocs()) == 0  # not drawn twice
    monkeypatch.setattr(batch_figure, "_minor_marks", lambda ax, which: None)
    slow = getattr(batch_summary_figure(table).axes[panel], f"{which}axis")
    lo, hi = sorted(slow.get_view_interval())
    drawn = slow.get_minorticklocs()  # matplotlib draws those inside the limits
    drawn = drawn[(drawn >= lo * (1 - 1e-12)) & (drawn <= hi * (1 + 1e-12))]
    assert len(drawn) >= at_least  # (c) spans less than a decade of r_h: none
    np.testing.assert_allclose(np.sort(got), np.sort(drawn), rtol=1e-12)
    inward = {"x": (lines.TICKUP, lines.TICKDOWN), "y": (lines.TICKRIGHT, lines.TICKLEFT)}[which]
    assert tuple(m.get_marker() for m in marks) == inward


def test_a_batch_without_results_or_dates_says_so():
    """Failed jobs are not drawn; panels without data carry a note and no ticks to read."""
    table = _summary(4, dated=False, status=["ok", "failed", "ok", "ok"])
    fig = batch_summary_figure(table)
    a, b, c, d = fig.axes
    assert fig.get_suptitle() == "comaspec batch: 3 of 4 jobs fitted"
    assert any("with a date" in t.get_text() for t in b.texts) and not len(b.get_xticks())
    assert any("no date" in t.get_text() for t in d.texts) and not len(d.get_yticks())
    (co,) = [ln for ln in c.lines if ln.get_label() == "CO"]
    assert len(co.get_ydata()) == 3
    nothing = batch_summary_figure(_summary(3, status=["failed"] * 3))
    assert any("no CO\u2082/H\u2082O measured" in t.get_text() for t in nothing.axes[0].texts)
    for ax, note in zip(nothing.axes[2:], ("no production rate", "no date")):  # no job fitted: no date either
        assert any(note in t.get_text() for t in ax.texts)
        assert not len(ax.get_xticks()) and not len(ax.get_yticks())
    nothing.draw_without_rendering()


def test_summary_pdf_is_reproducible_with_type3_fonts(tmp_path):
    """The same table gives the same bytes; the glyphs are embedded as Type 3 outlines
    (no TrueType subset); a path that is not .pdf is refused before anything is drawn."""
    table = _summary()
    first, second = save_batch_summary(table, tmp_path / "a.pdf"), save_batch_summary(table, tmp_path / "b.pdf")
    data = first.read_bytes()
    assert data[:5] == b"%PDF-" and data == second.read_bytes()
    assert b"/Subtype /Type3" in data and b"CIDFontType2" not in data
    with pytest.raises(InputError, match="pdf"):
        save_batch_summary(table, tmp_path / "summary.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pdf", "b.pdf"]


_NO_PYPLOT = """
import sys
from comaspec.cli import main
status = main(["batch", sys.argv[1], "--output-dir", sys.argv[2], "--workers", "1", "--figure", "--quiet"])
drawn = sorted(m for m in sys.modules if m.startswith("comaspec.plotting."))
print(status, "matplotlib.pyplot" in sys.modules, ",".join(drawn))
"""


def test_a_batch_with_its_figure_does_not_import_pyplot(tmp_path):
    """``comaspec batch --figure`` (a new process, one job: the bundled example) draws
    summary.pdf without pyplot, and without the comparison, map, diagram and time-series
    figure modules."""
    out = tmp_path / "out"
    example = REPO / "comaspec" / "data" / "example"
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", _NO_PYPLOT, str(example), str(out)], capture_output=True, text=True,
                         env=env, timeout=600)
    assert run.returncode == 0, run.stderr
    status, pyplot, modules = run.stdout.split()
    assert status == "0" and pyplot == "False"
    assert set(modules.split(",")) <= {"comaspec.plotting._legible", "comaspec.plotting.batch",
                                       "comaspec.plotting.fit", "comaspec.plotting.style"}
    assert (out / "summary.pdf").read_bytes()[:5] == b"%PDF-"


@pytest.mark.parametrize("dated", [True, False])
def test_a_summary_read_back_from_its_file_draws_the_same(tmp_path, dated):
    """summary.ecsv read back by astropy (blank text cells masked) draws the same points."""
    from comaspec._ecsv import write_ecsv

    table = _summary(dated=dated)
    write_ecsv(table, tmp_path / "summary.ecsv")
    again = batch_summary_figure(QTable.read(tmp_path / "summary.ecsv"))
    for ax, ax_again in zip(batch_summary_figure(table).axes, again.axes):
        assert [ln.get_gid() or ln.get_label() for ln in ax.lines] == [ln.get_gid() or ln.get_label()
                                                                        for ln in ax_again.lines]
        for ln, ln_again in zip(ax.lines, ax_again.lines):
            np.testing.assert_array_equal(ln.get_ydata(), ln_again.get_ydata())
