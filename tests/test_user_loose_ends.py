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

    short, long = DEFAULT_WINDOWS
    x1d = _x1d(tmp_path / "x1d.fits", {"CO2": 1.7e27, "H2O": 2.2e26})
    got = _window_degrees(capsys, x1d, "2.40-2.95", "4.00-5.15")
    assert got == [(2.40, 2.95, short.degree), (4.00, 5.15, long.degree)]
    assert short.degree != long.degree != 2  # otherwise this test could not tell the rules apart
    # an explicit degree wins
    assert _window_degrees(capsys, x1d, "4.00-5.15:2")[0][2] == 2


def test_a_window_away_from_the_defaults_gets_degree_two():
    from comaspec.cli.ratio import _windows

    (w,) = _windows(["3.2-3.6"])
    assert w.degree == 2


def test_the_window_help_names_the_defaults_in_force(capsys):
    from comaspec.model.continuum import DEFAULT_WINDOWS

    with pytest.raises(SystemExit):
        main(["ratio", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for w in DEFAULT_WINDOWS:
        assert f"{w.lo_um:.2f}-{w.hi_um:.2f}:{w.degree}" in text
