"""Detections, limits and ratios from fitted values and their covariance (closed forms)."""

import json
import math

import numpy as np
import pytest

from comaspec.results import (ComaFit, SpeciesResult, is_detected, ratio_from_values,
                              upper_limit)


def test_detection_threshold_and_limit():
    assert is_detected(3.0, 1.0) and not is_detected(2.999, 1.0)
    assert is_detected(2.0, 1.0, nsigma=2)
    assert not is_detected(5.0, 0.0) and not is_detected(np.nan, 1.0)
    # a negative fluctuation does not tighten the limit below the noise-only value
    assert upper_limit(-4.0, 2.0) == pytest.approx(6.0)
    assert upper_limit(1.0, 2.0, nsigma=2) == pytest.approx(5.0)


def test_ratio_linear_error_uses_correlation():
    n, d, sn, sd = 8.0, 1.0, 0.4, 0.05
    for rho in (-0.5, 0.0, 0.7):
        cov = [[sn**2, rho * sn * sd], [rho * sn * sd, sd**2]]
        r = ratio_from_values("CO2", "H2O", (n, d), cov, detected=(True, True))
        expected = (n / d) * math.sqrt((sn / n) ** 2 + (sd / d) ** 2 - 2 * rho * sn * sd / (n * d))
        assert r.value == pytest.approx(8.0)
        assert r.err_linear == pytest.approx(expected, rel=1e-12)
    # fully correlated, proportional errors: the ratio is exact
    r = ratio_from_values("A", "B", (2.0, 1.0), [[0.04, 0.02], [0.02, 0.01]], detected=(True, True))
    assert r.err_linear == pytest.approx(0.0, abs=1e-9)
    assert r.err_lo < 1e-6 and r.err_hi < 1e-6


def test_ratio_interval_is_asymmetric_as_in_closed_form():
    # exact numerator, Gaussian denominator: the 68 % interval of n/d is n/(d ± sd)
    n, d, sd = 1.0, 1.0, 0.25
    r = ratio_from_values("A", "B", (n, d), [[1e-30, 0], [0, sd**2]], detected=(True, True), n_draws=200000)
    assert r.value + r.err_hi == pytest.approx(n / (d - sd), rel=0.01)
    assert r.value - r.err_lo == pytest.approx(n / (d + sd), rel=0.01)
    assert r.err_hi > 1.4 * r.err_lo


def test_ratio_limits_and_reasons():
    cov = np.diag([0.1**2, 0.5**2])
    low = ratio_from_values("CO2", "H2O", (5.0, 0.3), cov, detected=(True, False))
    assert low.limit == "lower" and low.value == pytest.approx(5.0 / (0.3 + 1.5))
    assert "H2O not detected" in low.reason and low.err_lo is None
    cov = np.diag([0.5**2, 0.1**2])
    up = ratio_from_values("CO2", "H2O", (-0.2, 2.0), cov, detected=(False, True))
    assert up.limit == "upper" and up.value == pytest.approx(1.5 / 2.0)
    none = ratio_from_values("CO2", "H2O", (0.1, 0.1), cov, detected=(False, False))
    assert none.value is None and "neither" in none.reason
    unc = ratio_from_values("CO2", "H2O", (1, 1), cov, detected=(True, True), covered=(True, False))
    assert unc.value is None and "H2O band not covered" in unc.reason
    assert "not measured" in str(unc) and ">" in str(low) and "<" in str(up)


def test_ratio_from_samples():
    rng = np.random.default_rng(1)
    samples = np.column_stack([rng.normal(10, 1, 50000), np.full(50000, 2.0)])
    r = ratio_from_values("A", "B", (10, 2), np.diag([1, 1e-12]), detected=(True, True),
                          samples=samples, method="mc refits")
    assert r.err_lo == pytest.approx(0.5, rel=0.03) and r.err_hi == pytest.approx(0.5, rel=0.03)
    assert r.method == "mc refits"


def _fit(q_h2o=2.2e26, err_h2o=1e25):
    species = {
        "CO2": SpeciesResult("CO2", True, "4.26um", 7.6e-17, 1e-18, 1.7e27, 1.7e27 / 76, T_rot=50),
        "H2O": SpeciesResult("H2O", True, "2.7um", q_h2o / 2.2e26 * 1e-17, err_h2o / 2.2e26 * 1e-17,
                             q_h2o, err_h2o, T_rot=50),
        "CO": SpeciesResult("CO", True, "4.67um", -1e-19, 2e-19, -1e25, 2e25, T_rot=50),
        "OCS": SpeciesResult("OCS", False),
    }
    names = ["CO2", "H2O", "CO"]
    vals = [species[n].Q for n in names]
    cov = np.diag([species[n].Q_err ** 2 for n in names])
    return ComaFit(species, names, vals, cov, inputs={"paths": ["x.fits"], "mode": "PRISM"},
                   fit_info={"chi2": 100.0, "dof": 98, "n_points": 110, "covariance_scaled": False})


def test_comafit_json_never_reports_insignificant_q():
    fit = _fit()
    d = json.loads(fit.to_json())
    co = d["species"]["CO"]
    assert co["detected"] is False and co["Q_per_s"] is None
    assert co["Q_upper_limit_per_s"] == pytest.approx(3 * 2e25)
    assert co["band_flux_W_m2"] == pytest.approx(-1e-19)  # flux always reported
    assert d["species"]["OCS"]["covered"] is False and d["species"]["OCS"]["band_flux_W_m2"] is None
    assert d["species"]["H2O"]["Q_per_s"] == pytest.approx(2.2e26)
    assert d["ratio"]["value"] == pytest.approx(1.7e27 / 2.2e26)
    assert d["ratio"]["limit"] is None
    assert d["fit"]["covariance_scaled"] is False and d["fit"]["chi2_reduced"] == pytest.approx(100 / 98)
    for key in ("comaspec_version", "input", "geometry", "aperture", "species", "ratio", "fit"):
        assert key in d


def test_comafit_ratio_lower_limit_when_h2o_undetected():
    fit = _fit(q_h2o=1e25, err_h2o=1e25)
    r = fit.ratio("CO2", "H2O")
    assert r.limit == "lower" and r.value == pytest.approx(1.7e27 / 4e25)
    text = fit.summary()
    assert "CO2/H2O >" in text and "not rescaled" in text
    with pytest.raises(ValueError):
        fit.ratio("CO2", "CH4")


def test_write_ecsv_and_json(tmp_path):
    from astropy.table import QTable

    fit = _fit()
    fit.write(tmp_path / "r.ecsv")
    t = QTable.read(tmp_path / "r.ecsv")
    assert list(t["species"]) == ["CO2", "H2O", "CO", "OCS"]
    assert t["Q"][0].to_value("1/s") == pytest.approx(1.7e27)
    assert np.isnan(t["Q"][2].value)  # CO not detected: no measured Q
    assert t.meta["ratio"]["value"] == pytest.approx(1.7e27 / 2.2e26)
    fit.write(tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text())["species"]["CO2"]["detected"]
    with pytest.raises(ValueError):
        fit.write(tmp_path / "r.txt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.ecsv", "r.json"]


def test_summary_of_a_band_flux_only_species():
    fit = _fit()
    fit.species["OCS"] = SpeciesResult("OCS", True, "4.85um", 1e-19, 1e-20)
    text = fit.summary()
    assert "band flux only" in text and "OCS" in text
    assert fit.to_dict()["species"]["OCS"]["Q_per_s"] is None
