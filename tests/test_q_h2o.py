"""Q(H2O) from the user, and the PSG configuration of a fitted coma.

The spectrum is a G395H 4.1–4.9 µm coma of CO2 and CO without water, written by the
independent generator (tests/independent_coma.py) with comaspec's default lifetimes and
outflow law read from linelists/ directly: CO2/H2O and CO/H2O over a given Q(H2O) must
come back as injected, with that Q's error in quadrature; the PSG configuration must
parse back with the fitted numbers.
"""

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest

import comaspec
from comaspec import CircularAperture, Geometry
from comaspec.results.abundances import WaterProduction, abundances, with_water_production
from comaspec.errors import InputError, UsageError
from comaspec.io.psg import read_psg_config
from comaspec.results import ComaFit
from comaspec.io.psg_write import config_from_fit, write_config

REPO = Path(__file__).resolve().parents[1]
RH, DELTA, RADIUS = 3.32, 2.61, 0.5
Q_IN = {"CO2": 5e26, "CO": 4e26}
Q_H2O, Q_H2O_ERR = 7.6e27, 0.6e27
ERROR = 3e-18  # W m-2 um-1 per pixel: CO2 SNR ~ 240, CO ~ 40


def _continuum(wl):
    return 4e-17 * (wl / 3.5) ** -1.2


@pytest.fixture(scope="module")
def spectrum():
    import independent_coma as ic

    spec, _ = ic.coma_spectrum("G395H", Q_IN, rh_au=RH, delta_au=DELTA, radius_arcsec=RADIUS,
                               v_km_s=ic.default_velocity(RH), tau_1au_s=ic.default_lifetimes(), T_rot=40.0,
                               lo_um=4.1, hi_um=4.9, continuum=_continuum, error=ERROR, seed=3)
    return spec


@pytest.fixture(scope="module")
def fit(spectrum):
    return comaspec.fit_coma(spectrum, Geometry(RH * u.au, DELTA * u.au), CircularAperture(RADIUS * u.arcsec),
                             ["CO2", "CO"])


@pytest.fixture(scope="module")
def x1d(spectrum, tmp_path_factory):
    import independent_coma as ic

    path = tmp_path_factory.mktemp("qh2o") / "g395h_x1d.fits"
    return ic.write_pipeline_x1d(path, spectrum, grating="G395H", filt="F290LP")


def _cli(*args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "comaspec", "ratio", *map(str, args)], capture_output=True,
                          text=True, env=env)


def test_abundances_over_given_q_h2o_recover_injection(fit):
    given = with_water_production(fit, (Q_H2O / u.s, Q_H2O_ERR / u.s))
    ab = abundances(given)
    for name in ("CO2", "CO"):
        s = fit.species[name]
        assert s.detected
        truth = 100 * Q_IN[name] / Q_H2O
        a = ab[name]
        assert a.limit is None
        # the independent generator's Q comes back (Q's own error, not the reference's, sets this)
        assert abs(a.value_pct - truth) < 4 * 100 * s.Q_err / Q_H2O
        # the reference's 7.9 % error dominates, in quadrature with the fit's
        rel = math.sqrt((s.Q_err / s.Q) ** 2 + (Q_H2O_ERR / Q_H2O) ** 2)
        assert a.err_pct == pytest.approx(a.value_pct * rel, rel=1e-12)
        assert a.err_pct > a.value_pct * Q_H2O_ERR / Q_H2O
    ratio = given.to_dict()["ratio"]
    assert ratio["value"] == pytest.approx(ab["CO2"].value_pct / 100)
    assert ratio["err_linear"] == pytest.approx(ab["CO2"].err_pct / 100)
    assert fit.water_production is None  # the original fit is unchanged


def test_without_error_only_the_fit_error_counts(fit):
    a = abundances(with_water_production(fit, Q_H2O))["CO2"]
    s = fit.species["CO2"]
    assert a.err_pct == pytest.approx(100 * s.Q_err / Q_H2O, rel=1e-12)


def test_limits_stay_limits(spectrum):
    """CO below a 100σ detection threshold: its abundance is an upper limit, never a value."""
    fit = comaspec.fit_coma(spectrum, Geometry(RH * u.au, DELTA * u.au), CircularAperture(RADIUS * u.arcsec),
                            ["CO2", "CO"], detect_sigma=100.0)
    co = fit.species["CO"]
    assert fit.species["CO2"].detected and not co.detected
    given = with_water_production(fit, (Q_H2O, Q_H2O_ERR))
    a = abundances(given)["CO"]
    assert a.limit == "upper" and a.err_pct is None
    assert a.value_pct == pytest.approx(100 * (max(co.Q, 0) + co.limit_sigma * co.Q_err) / Q_H2O)
    d = given.to_dict("CO", "H2O")
    assert d["ratio"]["limit"] == "upper" and d["relative_to_h2o"]["species"]["CO"]["limit"] == "upper"
    assert "CO/H2O <" in given.summary("CO", "H2O")


def test_refused_when_the_fit_covers_h2o(fit):
    covered = type(fit.species["CO2"])("H2O", True, "4.7um", 1e-19, 1e-20, Q=1e27, Q_err=1e26)
    both = ComaFit({**fit.species, "H2O": covered}, fit.q_names, fit.q_values, fit.q_covariance,
                            geometry=fit.geometry, aperture=fit.aperture)
    with pytest.raises(UsageError, match="covers H2O"):
        with_water_production(both, Q_H2O)
    uncovered = type(fit.species["CO2"])("H2O", False)
    only = ComaFit({**fit.species, "H2O": uncovered}, fit.q_names, fit.q_values, fit.q_covariance)
    assert with_water_production(only, Q_H2O).water_production.Q == Q_H2O


@pytest.mark.parametrize("text,q,err", [("7.6e28", 7.6e28, 0.0), ("7.6e28:0.5e28", 7.6e28, 0.5e28),
                                        (" 1e27:0 ", 1e27, 0.0)])
def test_parse(text, q, err):
    w = WaterProduction.parse(text)
    assert (w.Q, w.Q_err, w.source) == (q, err, "given")


@pytest.mark.parametrize("text,message", [("abc", "expected Q, Q:ERR"), ("7.6", "between 1e+20 and 1e+32"),
                                          ("-7e28", "finite number > 0"), ("7e28:-1", "finite number >= 0"),
                                          ("nan", "finite number > 0"), ("7e28:1:2", "expected Q, Q:ERR")])
def test_parse_refuses(text, message):
    with pytest.raises(InputError, match=re.escape(message)):
        WaterProduction.parse(text)


def _result_json(path, h2o):
    path.write_text(json.dumps({"species": {"H2O": h2o}}))
    return path


def test_from_result_json(tmp_path):
    good = _result_json(tmp_path / "w.json", {"detected": True, "Q_per_s": 7.6e28, "Q_err_per_s": 4e27})
    w = WaterProduction.parse(str(good))
    assert (w.Q, w.Q_err, w.source) == (7.6e28, 4e27, str(good))
    limit = _result_json(tmp_path / "l.json", {"detected": False, "Q_per_s": None, "Q_upper_limit_per_s": 3e27})
    with pytest.raises(InputError, match="only an upper limit"):
        WaterProduction.parse(str(limit))
    (tmp_path / "n.json").write_text(json.dumps({"species": {"CO2": {}}}))
    with pytest.raises(InputError, match="no species.H2O"):
        WaterProduction.parse(str(tmp_path / "n.json"))
    (tmp_path / "x.json").write_text("{not json")
    with pytest.raises(InputError, match="not a JSON file"):
        WaterProduction.parse(str(tmp_path / "x.json"))
    with pytest.raises(InputError, match="no such file"):
        WaterProduction.parse(str(tmp_path / "missing.json"))


def test_psg_config_parses_back_with_the_fitted_numbers(fit, spectrum, tmp_path):
    import independent_coma as ic

    given = with_water_production(fit, (Q_H2O, Q_H2O_ERR))
    path = tmp_path / "coma_psg.txt"
    notes = write_config(given, path)
    cfg = read_psg_config(path)
    assert cfg.rh == RH * u.au and cfg.delta == DELTA * u.au
    assert cfg.production_rate == Q_H2O / u.s and cfg.is_coma
    gases = cfg.gases()
    assert list(gases["gas"]) == ["CO2", "CO"] and list(gases["type"]) == ["GSFC[CO2]", "GSFC[CO]"]
    assert list(gases["unit"]) == ["pct", "pct"]
    for row in gases:
        s = fit.species[row["gas"]]
        assert row["abundance"] == pytest.approx(100 * s.Q / Q_H2O, rel=1e-5)
        # lifetimes at 1 au, as in comaspec's default table (read directly)
        assert float(row["tau_1au_s"]) == pytest.approx(ic.default_lifetimes()[row["gas"]], rel=1e-6)
    assert cfg.temperature.to_value(u.K) == pytest.approx(fit.species["CO2"].T_rot, abs=1e-4)
    assert cfg.expansion_velocity.to_value(u.km / u.s) == pytest.approx(ic.default_velocity(RH), rel=1e-4)
    assert cfg.beam == 2 * RADIUS * u.arcsec
    lo, hi = cfg.spectral_range
    wave = spectrum.spectral_axis.to_value(u.um)
    assert lo.to_value(u.um) == pytest.approx(wave.min(), abs=1e-6)
    assert hi.to_value(u.um) == pytest.approx(wave.max(), abs=1e-6)
    centre = 0.5 * (lo + hi).to_value(u.um)
    assert cfg.resolving_power == pytest.approx(float(ic.resolving_power("G395H", centre)), rel=0.01)
    assert any("given Q(H2O)" in n for n in notes)


def test_psg_config_reference_without_water(fit):
    cfg, notes = config_from_fit(fit)
    assert cfg.production_rate.to_value(1 / u.s) == pytest.approx(fit.species["CO2"].Q, rel=1e-5)
    assert cfg.gases()["abundance"][0] == pytest.approx(100.0)
    assert any("largest detected" in n for n in notes)


def test_cli_q_h2o_json_and_psg_config(x1d, tmp_path):
    psg = tmp_path / "psg.txt"
    out = _cli(x1d, "--rh", RH, "--delta", DELTA, "--aperture-radius", RADIUS, "--species", "CO2,CO",
               "--q-h2o", f"{Q_H2O}:{Q_H2O_ERR}", "--json", "--psg-config", psg)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    rel = d["relative_to_h2o"]
    assert rel["q_h2o_per_s"] == Q_H2O and rel["q_h2o_err_per_s"] == Q_H2O_ERR and rel["q_h2o_source"] == "given"
    for name in ("CO2", "CO"):
        q, q_err = d["species"][name]["Q_per_s"], d["species"][name]["Q_err_per_s"]
        a = rel["species"][name]
        assert a["value_pct"] == pytest.approx(100 * q / Q_H2O)
        assert a["err_pct"] == pytest.approx(100 * q / Q_H2O * math.hypot(q_err / q, Q_H2O_ERR / Q_H2O))
        assert abs(a["value_pct"] - 100 * Q_IN[name] / Q_H2O) < 4 * 100 * q_err / Q_H2O
    assert d["ratio"]["value"] == pytest.approx(rel["species"]["CO2"]["value_pct"] / 100)
    cfg = read_psg_config(psg)
    assert cfg.production_rate == Q_H2O / u.s
    np.testing.assert_allclose(cfg.gases()["abundance"], [rel["species"][n]["value_pct"] for n in ("CO2", "CO")],
                               rtol=1e-5)
    assert "PSG configuration:" in out.stderr


def test_cli_text_and_q_h2o_from_json(x1d, tmp_path):
    ref = _result_json(tmp_path / "water.json", {"detected": True, "Q_per_s": Q_H2O, "Q_err_per_s": Q_H2O_ERR})
    out = _cli(x1d, "--rh", RH, "--delta", DELTA, "--aperture-radius", RADIUS, "--species", "CO2,CO",
               "--q-h2o", ref)
    assert out.returncode == 0, out.stderr
    assert f"Q(H2O) = 7.6e+27 ± 6e+26 s^-1 (from {ref}); abundances relative to it:" in out.stdout
    assert "  CO2/H2O = " in out.stdout and "  CO/H2O = " in out.stdout


def test_cli_refuses_bad_q_h2o_before_fitting(x1d, tmp_path):
    psg = tmp_path / "never.txt"
    out = _cli(x1d, "--rh", RH, "--delta", DELTA, "--aperture-radius", RADIUS, "--q-h2o", "7.6", "--psg-config", psg)
    assert out.returncode == 2 and out.stdout == "" and not psg.exists()
    assert len(out.stderr.splitlines()) == 1 and "--q-h2o 7.6" in out.stderr and "Traceback" not in out.stderr


def test_cli_refuses_q_h2o_when_h2o_is_covered(x1d, tmp_path):
    """4.1-4.9 um covers the H2O hot bands at 4.63 and 4.85 um: two Q(H2O) are refused, nothing written."""
    psg, js = tmp_path / "never.txt", tmp_path / "never.json"
    out = _cli(x1d, "--rh", RH, "--delta", DELTA, "--aperture-radius", RADIUS, "--species", "CO2,H2O,CO",
               "--q-h2o", "7.6e27", "--psg-config", psg, "--output", js)
    assert out.returncode == 2 and out.stdout == "" and not psg.exists() and not js.exists()
    assert "covers H2O" in out.stderr and "Traceback" not in out.stderr


def test_cli_fits_a_psg_file_with_its_stated_geometry(spectrum, tmp_path):
    """A PSG retrieval file (written here) holding the independent coma: r_h, Δ and the beam
    come from its configuration (said on stderr), the injected Q come back."""
    to_jy = u.spectral_density(spectrum.spectral_axis)
    wave = spectrum.spectral_axis.to_value(u.um)
    flux = spectrum.flux.to_value(u.Jy, to_jy)
    noise = (spectrum.uncertainty.array * spectrum.flux.unit).to_value(u.Jy, to_jy)
    cfg = (f"<OBJECT>Comet\n<OBJECT-NAME>test comet\n<OBJECT-DATE>2025/11/02 03:04\n"
           f"<OBJECT-STAR-DISTANCE>{RH}\n<GEOMETRY-OBS-ALTITUDE>{DELTA}\n"
           f"<GEOMETRY-ALTITUDE-UNIT>AU\n<GENERATOR-BEAM>{2 * RADIUS}\n<GENERATOR-BEAM-UNIT>arcsec\n"
           "<GENERATOR-RADUNITS>Jy\n<RETRIEVAL-FLUXLABELS>Data,Noise\n")
    rows = "\n".join(f"{w:.9e} {f:.9e} {n:.9e}" for w, f, n in zip(wave, flux, noise))
    path = tmp_path / "coma.retrieval-results.txt"
    path.write_text("results_cfg.txt\n" + cfg + "results_dat.txt\n" + rows + "\n")
    psg = tmp_path / "back.txt"
    out = _cli(path, "--mode", "G395H", "--species", "CO2,CO", "--json", "--psg-config", psg)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["geometry"]["rh_au"] == RH and d["geometry"]["delta_au"] == DELTA
    assert d["geometry"]["epoch"] == "2025-11-02T03:04:00.000"
    back = read_psg_config(psg)  # PSG in, PSG out: the same geometry, date and beam
    assert back.rh == RH * u.au and back.delta == DELTA * u.au and back["OBJECT-DATE"] == "2025/11/02 03:04"
    assert back.beam == 2 * RADIUS * u.arcsec and back.object_name == "test comet"
    assert d["aperture"]["shape"] == "circle" and d["aperture"]["radius_arcsec"] == RADIUS
    assert "geometry stated by the file" in out.stderr and "aperture stated by the file" in out.stderr
    for name, q in Q_IN.items():
        s = d["species"][name]
        assert abs(s["Q_per_s"] - q) < 4 * s["Q_err_per_s"]


def _two_species_fit(h2o_flux):
    from comaspec.results import SpeciesResult

    species = {"CO2": SpeciesResult("CO2", True, "4.26um", 1e-17, 1e-19, Q=1e27, Q_err=1e25),
               "H2O": SpeciesResult("H2O", True, "2.7um", h2o_flux, 1e-20, Q=1e28 * h2o_flux / 1e-18, Q_err=2e26)}
    return ComaFit(species, ["CO2", "H2O"], [1e27, 1e28 * h2o_flux / 1e-18], np.diag([1e25**2, 2e26**2]),
                   fit_info={"chi2": 1.0, "dof": 1})


def test_relative_to_fitted_water():
    """Without a given Q(H2O) the block uses the fitted H2O (uncorrelated here: plain quadrature)."""
    d = _two_species_fit(1e-18).to_dict()["relative_to_h2o"]
    assert d["q_h2o_source"] == "fit" and d["q_h2o_per_s"] == 1e28 and d["q_h2o_err_per_s"] == 2e26
    co2 = d["species"]["CO2"]
    assert co2["value_pct"] == pytest.approx(10.0) and co2["limit"] is None
    assert co2["err_pct"] == pytest.approx(10.0 * math.hypot(0.01, 0.02))
    low = _two_species_fit(1e-20).to_dict()["relative_to_h2o"]["species"]["CO2"]  # H2O at 1 sigma
    assert low["limit"] == "lower" and low["err_pct"] is None
    assert _two_species_fit(1e-18).to_dict("CO2", "H2O")["ratio"]["value"] == pytest.approx(0.1)
