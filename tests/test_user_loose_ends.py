"""Loose ends of issue 20 a user meets: every ratio in the CLI's text and JSON, surface-brightness
spectra with an aperture, figure legibility, documentation consistency."""

import json

import pytest

from comaspec.cli import main

GEO_ARGS = ["--rh", "3.32", "--delta", "2.61", "--aperture-radius", "0.5"]


def _continuum(wl):
    return 5e-17 * (wl / 3.5) ** -1.5


def _coma(q, seed=2):
    """A PRISM spectrum of a coma from the independent generator (tests/independent_coma.py)."""
    from independent_coma import coma_spectrum, default_lifetimes

    return coma_spectrum("PRISM", q, rh_au=3.32, delta_au=2.61, radius_arcsec=0.5, v_km_s=0.5,
                         tau_1au_s=default_lifetimes(), T_rot=50.0, lo_um=2.4, hi_um=5.2,
                         continuum=_continuum, error=4e-19, seed=seed)[0]


def _x1d(path, q):
    from independent_coma import write_pipeline_x1d

    return write_pipeline_x1d(path, _coma(q))


def _run(capsys, *args):
    try:
        status = main(["ratio", *map(str, args)])
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


# --------------------------------------------------------------------------- every ratio
def test_every_ratio_is_measured_in_the_json_and_the_text(capsys, tmp_path):
    truth = {"CO2": 1.7e27, "H2O": 2.2e26, "CO": 4e26}
    x1d = _x1d(tmp_path / "x1d.fits", truth)
    status, out, _ = _run(capsys, x1d, *GEO_ARGS, "--json")
    assert status == 0
    d = json.loads(out)
    assert set(d["ratios"]) == {"CO2/H2O", "CO/H2O", "CO2/CO"}
    assert d["ratios"]["CO2/H2O"] == d["ratio"]
    for name, r in d["ratios"].items():
        num, den = name.split("/")
        assert r["numerator"] == num and r["denominator"] == den and r["limit"] is None
        true = truth[num] / truth[den]
        assert r["value"] - 3 * r["err_lo"] < true < r["value"] + 3 * r["err_hi"], name
        # the ratio of the species' own production rates, not a number made elsewhere
        assert r["value"] == pytest.approx(d["species"][num]["Q_per_s"] / d["species"][den]["Q_per_s"], rel=1e-9)
    status, text, _ = _run(capsys, x1d, *GEO_ARGS)
    lines = text.splitlines()
    for name in ("CO2/H2O", "CO/H2O", "CO2/CO"):
        assert sum(line.startswith(f"{name} = ") for line in lines) == 1, text


def test_ratios_with_an_undetected_band_are_limits_in_the_json_and_the_text(capsys, tmp_path):
    x1d = _x1d(tmp_path / "x1d.fits", {"CO2": 1.7e27, "H2O": 2.2e26})
    status, out, _ = _run(capsys, x1d, *GEO_ARGS, "--json")
    d = json.loads(out)
    co, h2o, co2 = (d["species"][n] for n in ("CO", "H2O", "CO2"))
    assert status == 0 and not co["detected"] and h2o["detected"] and co2["detected"]
    co_h2o, co2_co = d["ratios"]["CO/H2O"], d["ratios"]["CO2/CO"]
    assert co_h2o["limit"] == "upper" and co2_co["limit"] == "lower"
    assert co_h2o["value"] == pytest.approx(co["Q_upper_limit_per_s"] / h2o["Q_per_s"], rel=1e-9)
    assert co2_co["value"] == pytest.approx(co2["Q_per_s"] / co["Q_upper_limit_per_s"], rel=1e-9)
    assert co_h2o["err_lo"] is None and co2_co["err_hi"] is None
    status, text, _ = _run(capsys, x1d, *GEO_ARGS)
    assert any(line.startswith("CO/H2O < ") for line in text.splitlines()), text
    assert any(line.startswith("CO2/CO > ") for line in text.splitlines()), text


def test_only_the_ratios_of_fitted_species_are_reported(capsys, tmp_path):
    x1d = _x1d(tmp_path / "x1d.fits", {"CO2": 1.7e27, "H2O": 2.2e26})
    status, out, _ = _run(capsys, x1d, *GEO_ARGS, "--species", "CO2,H2O", "--json")
    assert status == 0 and set(json.loads(out)["ratios"]) == {"CO2/H2O"}
    status, text, _ = _run(capsys, x1d, *GEO_ARGS, "--species", "CO2,CO")
    assert status == 0
    assert "CO2/H2O: not measured (H2O not among the fitted species)" not in text
    assert any(line.startswith("CO2/CO ") for line in text.splitlines()), text


def test_ecsv_output_carries_every_ratio(capsys, tmp_path):
    from astropy.table import QTable

    x1d = _x1d(tmp_path / "x1d.fits", {"CO2": 1.7e27, "H2O": 2.2e26})
    status, _, _ = _run(capsys, x1d, *GEO_ARGS, "--output", tmp_path / "r.ecsv")
    meta = QTable.read(tmp_path / "r.ecsv").meta
    assert status == 0 and set(meta["ratios"]) == {"CO2/H2O", "CO/H2O", "CO2/CO"}
    assert meta["ratios"]["CO/H2O"]["limit"] == "upper"


# --------------------------------------------------------------------------- surface brightness
def _sb_table(path, spec, omega_sr):
    """``spec`` written as an ECSV table in MJy/sr: the flux density divided by ``omega_sr``."""
    import astropy.units as u
    from astropy.table import QTable

    to_jy = u.spectral_density(spec.spectral_axis)
    t = QTable()
    t["wavelength"] = u.Quantity(spec.spectral_axis.to_value(u.um), u.um)
    t["flux"] = (spec.flux.to(u.Jy, to_jy) / (omega_sr * u.sr)).to(u.MJy / u.sr)
    t["error"] = ((spec.uncertainty.array * spec.flux.unit).to(u.Jy, to_jy) / (omega_sr * u.sr)).to(u.MJy / u.sr)
    t.write(path)
    return path


_ARCSEC2_SR = (3.141592653589793 / 180 / 3600) ** 2


def test_surface_brightness_spectrum_is_fitted_through_its_aperture(capsys, tmp_path):
    truth = {"CO2": 1.7e27, "H2O": 2.2e26}
    spec = _coma(truth)
    x1d = _x1d(tmp_path / "x1d.fits", truth)
    omega = 3.141592653589793 * 0.5**2 * _ARCSEC2_SR  # circle of 0.5 arcsec, written out here
    sb = _sb_table(tmp_path / "sb.ecsv", spec, omega)
    mode = ["--mode", "PRISM", "--json"]
    status, out, _ = _run(capsys, sb, *GEO_ARGS, *mode)
    assert status == 0
    d_sb = json.loads(out)
    status, out, _ = _run(capsys, x1d, *GEO_ARGS, *mode)
    d_x1d = json.loads(out)
    for name in truth:
        q_sb, q_x1d = d_sb["species"][name]["Q_per_s"], d_x1d["species"][name]["Q_per_s"]
        assert q_sb == pytest.approx(q_x1d, rel=1e-6)
        assert q_sb == pytest.approx(truth[name], rel=0.1)
    assert d_sb["input"]["surface_brightness_solid_angle_sr"] == [pytest.approx(omega, rel=1e-12)]
    assert d_x1d["input"]["surface_brightness_solid_angle_sr"] is None
    # what was assumed is said in the output
    assert any("surface brightness" in n and "average over the aperture" in n for n in d_sb["fit"]["notes"])
    status, text, _ = _run(capsys, sb, *GEO_ARGS, "--mode", "PRISM")
    assert "note:" in text and f"{omega:.4g} sr" in text


def test_surface_brightness_through_a_box_aperture_gives_the_same_band_flux(capsys, tmp_path):
    truth = {"CO2": 1.7e27, "H2O": 2.2e26}
    spec = _coma(truth)
    omega = 1.2 * 0.6 * _ARCSEC2_SR
    sb = _sb_table(tmp_path / "sb.ecsv", spec, omega)
    x1d = _x1d(tmp_path / "x1d.fits", truth)
    args = ["--rh", "3.32", "--delta", "2.61", "--mode", "PRISM", "--json"]
    status, out, _ = _run(capsys, sb, *args, "--aperture-box", "1.2x0.6")
    assert status == 0
    flux_sb = json.loads(out)["species"]["CO2"]["band_flux_W_m2"]
    status, out, _ = _run(capsys, x1d, *args, "--aperture-box", "1.2x0.6")
    assert flux_sb == pytest.approx(json.loads(out)["species"]["CO2"]["band_flux_W_m2"], rel=1e-6)


def test_surface_brightness_without_an_aperture_is_refused_in_one_line(capsys, tmp_path):
    sb = _sb_table(tmp_path / "sb.ecsv", _coma({"CO2": 1.7e27}), 1e-11)
    out_file = tmp_path / "r.json"
    status, out, err = _run(capsys, sb, "--rh", "3.32", "--delta", "2.61", "--mode", "PRISM",
                            "--output", out_file)
    assert status == 2 and out == "" and not out_file.exists()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert str(sb) in lines[0] and "surface brightness" in lines[0] and "--aperture-radius" in lines[0]


def test_surface_brightness_without_an_aperture_is_refused_by_the_api(tmp_path):
    import astropy.units as u

    from comaspec.errors import UsageError
    from comaspec.geometry import Geometry
    from comaspec.pipeline import fit_loaded, load_inputs

    sb = _sb_table(tmp_path / "sb.ecsv", _coma({"CO2": 1.7e27}), 1e-11)
    with pytest.raises(UsageError, match="surface brightness.*aperture="):
        fit_loaded(load_inputs([sb]), Geometry(3.32 * u.au, 2.61 * u.au), None, ["CO2"], mode="PRISM")


def test_solid_angle_of_a_km_aperture():
    import math

    import astropy.units as u

    from comaspec.apertures import CircularAperture
    from comaspec.geometry import Geometry
    from comaspec.io.surface import aperture_solid_angle

    geo = Geometry(3.32 * u.au, 2.61 * u.au)
    radius_km = 1000.0
    # small-angle: theta = r / Delta
    theta = radius_km / (2.61 * 1.495978707e8)
    expected = math.pi * theta**2
    got = aperture_solid_angle(CircularAperture(radius_km * u.km), geo).to_value(u.sr)
    assert got == pytest.approx(expected, rel=1e-6)


# --------------------------------------------------------------------------- --window degree
def _window_degrees(capsys, x1d, *windows):
    args = [a for w in windows for a in ("--window", w)]
    status, out, err = _run(capsys, x1d, *GEO_ARGS, "--species", "CO2,H2O", "--trot", "50", *args, "--json")
    assert status == 0, err
    return [(lo, hi, deg) for _, lo, hi, deg in json.loads(out)["fit"]["windows"]]


def test_a_window_without_degree_keeps_the_degree_of_the_default_it_widens(capsys, tmp_path):
    from comaspec.model.continuum import DEFAULT_WINDOWS

    by_name = {w.name: w for w in DEFAULT_WINDOWS}
    short, long = by_name["2.7um"], by_name["4.5um"]
    x1d = _x1d(tmp_path / "x1d.fits", {"CO2": 1.7e27, "H2O": 2.2e26})
    got = _window_degrees(capsys, x1d, "2.40-2.95", "4.00-5.15")
    assert got == [(2.40, 2.95, short.degree), (4.00, 5.15, long.degree)]
    assert short.degree != long.degree != 2  # otherwise this test could not tell the rules apart
    # an explicit degree wins
    assert _window_degrees(capsys, x1d, "4.00-5.15:2")[0][2] == 2


def test_a_window_away_from_the_defaults_gets_degree_two():
    from comaspec.cli.ratio import _windows

    from comaspec.model.continuum import DEFAULT_WINDOWS

    (w,) = _windows(["3.7-3.95"])
    assert w.degree == 2 and not any(d.lo_um < 3.95 and d.hi_um > 3.7 for d in DEFAULT_WINDOWS)
    # and a window in the 3.3 um default takes its degree
    (ch4,) = [d for d in DEFAULT_WINDOWS if d.lo_um < 3.3 < d.hi_um]
    assert _windows(["3.2-3.5"])[0].degree == ch4.degree


def test_the_window_help_names_the_defaults_in_force(capsys):
    from comaspec.model.continuum import DEFAULT_WINDOWS

    with pytest.raises(SystemExit):
        main(["ratio", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for w in DEFAULT_WINDOWS:
        assert f"{w.lo_um:.2f}-{w.hi_um:.2f}:{w.degree}" in text


# --------------------------------------------------------------------------- figures
# Checked on the matplotlib artists after a draw (positions in display pixels), not on pixels.
@pytest.fixture(scope="module")
def table():
    from comaspec import catalog

    return catalog.load()


@pytest.fixture(autouse=True)
def _close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def _drawn(fig):
    fig.draw_without_rendering()
    return fig.canvas.get_renderer()


def _legend_boxes(fig, renderer):
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    assert legends
    return [lg.get_window_extent(renderer) for lg in legends]


def _star_and_arrows(ax):
    from comaspec.plotting.compare import HIGHLIGHT_GID

    stars = [a for a in ax.lines if a.get_gid() == HIGHLIGHT_GID]
    arrows = [t for t in ax.texts if str(t.get_gid()).startswith("limit-")
              and t.arrow_patch.get_edgecolor()[:3] == (0, 0, 0) and t.arrow_patch.get_linewidth() > 1.0]
    return stars, arrows


class _Fit:
    species = {"CO2": None, "H2O": None, "CO": None}

    def ratio(self, numerator, denominator):
        from comaspec.results import Ratio

        return {"CO2/H2O": Ratio("CO2", "H2O", value=7.83, err_lo=0.31, err_hi=0.33),
                "CO/H2O": Ratio("CO", "H2O", value=0.136, limit="upper", limit_sigma=3.0),
                "CO2/CO": Ratio("CO2", "CO", value=57.5, limit="lower", limit_sigma=3.0)}[f"{numerator}/{denominator}"]


def test_compare_legend_hides_no_measurement_and_no_arrow(table):
    """The --compare figure of the bundled example: its star (CO2/H2O = 7.8 at 3.3 au) sat under
    the legend, and the CO limit arrows under their stars."""
    from comaspec.plotting.compare import fit_comparison

    fig = fit_comparison(_Fit(), 3.32, table=table)
    renderer = _drawn(fig)
    legends = _legend_boxes(fig, renderer)
    n_arrows = 0
    for ax in fig.axes:
        box = ax.get_window_extent(renderer)
        assert not any(box.overlaps(lg) for lg in legends), ax.get_title()  # the legend is outside every panel
        stars, arrows = _star_and_arrows(ax)
        assert len(stars) == 1
        star = stars[0].get_window_extent(renderer)
        for arrow in arrows:
            n_arrows += 1
            tip = arrow.arrow_patch.get_window_extent(renderer)
            # the arrow starts at the star's centre and reaches a star's height beyond its edge
            assert tip.height > 1.5 * star.height, ax.get_title()
    assert n_arrows == 2  # the CO/H2O upper limit and the CO2/CO lower limit


@pytest.mark.parametrize("figure", ["ratio_vs_rh", "ratio_by_class", "two_ratio_diagram", "comet_track"])
def test_legends_sit_outside_the_data(figure, table):
    from comaspec.plotting import compare, diagram, timeseries

    fig = {"ratio_vs_rh": lambda: compare.ratio_vs_rh(7.6, 0.3, 3.32, table=table),
           "ratio_by_class": lambda: compare.ratio_by_class(7.6, 0.3, table=table),
           "two_ratio_diagram": lambda: diagram.two_ratio_diagram(0.955, 2.25, x_err=0.03, y_err=0.04,
                                                                  table=table),
           "comet_track": lambda: timeseries.comet_track("3I", table=table)}[figure]()
    renderer = _drawn(fig)
    for lg in _legend_boxes(fig, renderer):
        for ax in fig.axes:
            assert not ax.get_window_extent(renderer).overlaps(lg)


@pytest.mark.parametrize("ratio_name", ["CO2/H2O", "CO/H2O"])
def test_filled_and_open_markers_are_explained(ratio_name, table):
    from comaspec.plotting import compare

    fig = compare.ratio_vs_rh(table=table, ratio_name=ratio_name)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    has_open = any(str(c.get_gid()).endswith("-indirect") and len(c.get_offsets()) for c in ax.collections)
    # an open marker on the figure is explained in its legend, and only then
    assert has_open == ("open: indirect" in texts) == ("filled: direct" in texts)
    if ratio_name == "CO2/H2O":
        assert has_open  # the catalog has indirect CO2/H2O values: the check above is not vacuous


def test_two_ratio_diagram_explains_open_markers(table):
    from comaspec.plotting import diagram

    ax = diagram.two_ratio_diagram(table=table).axes[0]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "open: a limit" in texts and "filled: both measured" in texts


def _object_labels(ax):
    from comaspec.plotting._legible import OBJECT_LABEL_GID

    return [t for t in ax.texts if str(t.get_gid()).startswith(OBJECT_LABEL_GID)]


@pytest.mark.parametrize("ratio_name", ["CO2/H2O", "CO/H2O", "CO2/CO"])
def test_interstellar_objects_are_named_in_the_population_figures(ratio_name, table):
    import numpy as np

    from comaspec import catalog
    from comaspec.plotting import compare

    rows = catalog.select(table, with_ratio=True, ratio=ratio_name, dyn_class="interstellar",
                          exclude_flags=("superseded",))
    rows = rows[np.isfinite(catalog._values(rows["rh"], "au")[0])]
    expected = {f"{d}/{n}" for d, n in zip(rows["designation"], rows["name"])}
    assert "3I/ATLAS" in expected
    in_comparison = compare.fit_comparison(_Fit(), 3.32, table=table)
    panel = [ax for ax in in_comparison.axes if ax.get_title() == ratio_name]
    for fig, ax in ((compare.ratio_vs_rh(table=table, ratio_name=ratio_name), None),
                    (compare.ratio_by_class(table=table, ratio_name=ratio_name), None),
                    (in_comparison, panel[0])):
        ax = ax or fig.axes[0]
        labels = _object_labels(ax)
        assert {t.get_text() for t in labels} >= expected
        renderer = _drawn(fig)
        boxes = [t.get_window_extent(renderer) for t in labels]
        axes_box = ax.get_window_extent(renderer)
        for i, box in enumerate(boxes):
            assert not any(box.overlaps(other) for other in boxes[i + 1:])  # 2I and 3I do not overprint
            assert axes_box.x0 <= box.x0 and box.x1 <= axes_box.x1 + 1  # not cut at the axes' edge


def test_comet_track_date_labels_do_not_overprint(table):
    from comaspec.plotting import timeseries

    fig = timeseries.comet_track("3I", table=table)
    renderer = _drawn(fig)
    legends = _legend_boxes(fig, renderer)
    for ax in fig.axes:
        labels = [t for t in ax.texts if t.get_gid() == "track-date"]
        boxes = [t.get_window_extent(renderer) for t in labels]
        for i, box in enumerate(boxes):
            assert not any(box.overlaps(other) for other in boxes[i + 1:]), [t.get_text() for t in labels]
            assert not any(box.overlaps(lg) for lg in legends)
    # 3I's August CO2/H2O points are 2 days and 0.1 au apart: their labels would overprint
    assert sum(t.get_gid() == "track-date" for t in fig.axes[0].texts) >= 3


def _tick_texts(fig):
    fig.draw_without_rendering()
    out = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() == "log":
                out += [t.get_text() for t in axis.get_ticklabels(which="both") if t.get_text()]
    return out


@pytest.mark.parametrize("x", ["rh", "date"])
def test_log_tick_labels_are_plain_numbers(x, table):
    """"6×10⁰" and the like: every labelled tick of a log axis reads as a plain number or 10^n."""
    import re

    from comaspec.plotting import compare, diagram, timeseries

    figures = [timeseries.comet_track("3I", x=x, table=table)]
    if x == "rh":
        figures += [compare.ratio_vs_rh(table=table), compare.ratio_by_class(table=table),
                    diagram.two_ratio_diagram(table=table)]
    for fig in figures:
        texts = _tick_texts(fig)
        assert len(texts) >= 4
        for text in texts:
            plain = text.replace("\N{MINUS SIGN}", "-").replace("\\mathdefault{", "{")
            decade = re.fullmatch(r"\$\{?10\^\{-?\d+\}\}?\$", plain)
            assert re.fullmatch(r"-?\d+(\.\d+)?", plain) or decade, text


def test_q_curve_text_shows_small_errors_with_two_digits():
    import astropy.units as u
    import numpy as np
    from astropy.table import QTable

    from comaspec.plotting.maps import q_curve_figure

    r = np.array([0.2, 0.4, 0.6, 0.8])
    curve = QTable({"r": r * u.arcsec, "Q_circle": [4.0e26, 4.4e26, 4.6e26, 4.65e26] / u.s,
                    "Q_circle_err": [1e24] * 4 / u.s, "Q_annulus": [4.5e26, 4.9e26, 4.95e26, 4.9e26] / u.s,
                    "Q_annulus_err": [4e24] * 4 / u.s})
    curve.meta.update(species="H2O", plateau_arcsec=(0.5, 0.8), Q_terminal=4.931e26, Q_terminal_err=4.1e24,
                      growth_factor=1.2963, growth_factor_err=0.0042)
    fig = q_curve_figure(curve)
    ax = fig.axes[0]
    text = "\n".join(t.get_text() for t in ax.texts)
    assert "± 0.00" not in text.replace("± 0.0042", "")
    assert "1.2963 ± 0.0042" in text and "(4.931 ± 0.041)" in text
    fig.draw_without_rendering()
    assert ax.yaxis.get_offset_text().get_text() == ""  # no "1e26" above the axis
    assert "10^{26}" in ax.get_ylabel()


def test_map_contours_are_drawn_to_show_on_light_and_dark_pixels():
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib import patheffects
    from matplotlib.colors import to_rgb

    from comaspec.plotting import maps

    yy, xx = np.mgrid[:21, :21]
    snr = 200.0 * np.exp(-((xx - 10) ** 2 + (yy - 10) ** 2) / 30.0)
    fig, ax = plt.subplots()
    cs = maps._snr_contours(ax, snr, maps._snr_levels(snr))
    effects = cs.get_path_effects()
    strokes = [e for e in effects if isinstance(e, patheffects.Stroke)]
    assert strokes and to_rgb(strokes[0]._gc["foreground"]) != to_rgb(maps.CONTOUR_COLOUR)
    # the blank (no value) pixels of the ratio map are neither the line colour nor the edge colour
    assert to_rgb(maps.BLANK_COLOUR) not in (to_rgb(maps.CONTOUR_COLOUR), to_rgb(maps.CONTOUR_EDGE))


def test_maps_doc_names_the_contoured_species():
    """docs/maps.rst's figure caption names the species maps_panel contours by default (H2O when
    mapped), not CO2."""
    import inspect
    from pathlib import Path

    from comaspec.plotting import maps

    text = (Path(__file__).resolve().parents[1] / "docs" / "maps.rst").read_text()
    caption = text[text.index("_static/maps/maps_panel.png"):text.index("Column densities, detections")]
    source = inspect.getsource(maps.maps_panel)
    assert '("H2O" if "H2O" in maps.species' in source
    assert "H\\ :sub:`2`\\ O SNR 3, 10, 30, 100" in caption and "CO\\ :sub:`2` SNR" not in caption


def test_docs_do_not_say_13co2_has_no_production_rate():
    """13CO2 has a computed g-factor (comaspec.molecules), so no page may say it is a band flux only."""
    import re
    from pathlib import Path

    from comaspec import molecules

    assert molecules.g_factor("13CO2", "nu3").value > 0  # the premise: a Q can be computed
    docs = Path(__file__).resolve().parents[1] / "docs"
    for page in docs.glob("*.rst"):
        for paragraph in page.read_text().split("\n\n"):
            flat = " ".join(paragraph.split())
            if "13CO2" in flat or "¹³CO₂" in flat:
                bad = re.search(r"(13CO2|¹³CO₂)[^.]*(band fluxes? only|no production rate|no Q\b)", flat)
                assert not bad, f"{page.name}: {flat[:200]}"


def test_fit_coma_names_the_conversion_for_a_surface_brightness_spectrum(tmp_path):
    """The API refuses a spectrum in MJy/sr with the function that converts it; that function's
    output, fitted, gives the Q of the same spectrum in flux density."""
    import astropy.units as u

    import comaspec
    from comaspec.errors import InputError
    from comaspec.io.surface import surface_brightness_to_flux

    truth = {"CO2": 1.7e27, "H2O": 2.2e26}
    omega = 3.141592653589793 * 0.5**2 * _ARCSEC2_SR
    sb = comaspec.read_spectrum(_sb_table(tmp_path / "sb.ecsv", _coma(truth), omega))
    geo, ap = comaspec.Geometry(3.32 * u.au, 2.61 * u.au), comaspec.CircularAperture(0.5 * u.arcsec)
    with pytest.raises(InputError, match="surface_brightness_to_flux"):
        comaspec.fit_coma(sb, geo, ap, ["CO2", "H2O"], lsf="PRISM", T_rot=50.0)
    fit = comaspec.fit_coma(surface_brightness_to_flux(sb, ap), geo, ap, ["CO2", "H2O"], lsf="PRISM", T_rot=50.0)
    direct = comaspec.fit_coma(_coma(truth), geo, ap, ["CO2", "H2O"], lsf="PRISM", T_rot=50.0)
    for name in truth:
        assert fit.species[name].Q == pytest.approx(direct.species[name].Q, rel=1e-6)


def test_reported_ratios_are_the_catalog_ratios():
    from comaspec.ratios import STORED
    from comaspec.results.values import REPORTED_RATIOS

    assert [f"{n}/{d}" for n, d in REPORTED_RATIOS] == list(STORED)
