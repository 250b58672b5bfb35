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
