"""``comaspec production``: text and JSON output, same numbers as the API, one-line errors."""

import json

import astropy.units as u
import pytest

from comaspec import CircularAperture, Geometry, RectangularAperture, production_rate
from comaspec.cli import main

BASE = ["production", "--species", "CO2", "--flux", "1.2e-17", "--rh", "3.32", "--delta", "2.6"]
REQUIRED_KEYS = {"species", "Q_per_s", "Q_err_per_s", "g_factor_1au_per_s", "lifetime_1au_s", "velocity_km_s",
                 "aperture_km", "band_center_cm-1"}


def _json(capsys, argv):
    assert main(argv) == 0
    out = capsys.readouterr().out
    return json.loads(out)


def test_json_has_required_keys_and_matches_api(capsys):
    """Keys, the API's numbers (a consistency check), and Q by hand from the assumptions the
    JSON reports: Haser shell integral (tests/independent_coma.py) and F = N g h c nu / 4 pi Delta^2."""
    from independent_coma import AU_M, H_C, haser_n_per_q

    d = _json(capsys, BASE + ["--aperture-radius", "0.5", "--flux-err", "1e-18", "--json"])
    assert REQUIRED_KEYS <= set(d)
    n_per_q = haser_n_per_q(d["aperture_km"]["radius_km"], d["velocity_km_s"], d["lifetime_1au_s"], 3.32)
    per_q = n_per_q * d["g_factor_1au_per_s"] / 3.32**2 * H_C * d["band_center_cm-1"] / (4 * 3.141592653589793
                                                                                       * (2.6 * AU_M) ** 2)
    assert d["Q_per_s"] == pytest.approx(1.2e-17 / per_q, rel=1e-6)
    assert d["Q_err_per_s"] == pytest.approx(1e-18 / per_q, rel=1e-6)
    api = production_rate(1.2e-17 * u.W / u.m**2, "CO2", Geometry(3.32 * u.au, 2.6 * u.au),
                          CircularAperture(0.5 * u.arcsec), flux_err=1e-18 * u.W / u.m**2)
    assert d["Q_per_s"] == pytest.approx(api.Q.to_value(1 / u.s), rel=1e-12)
    assert d["Q_err_per_s"] == pytest.approx(api.Q_err.to_value(1 / u.s), rel=1e-12)
    assert d["aperture_km"]["radius_arcsec"] == 0.5
    assert d["species"] == "CO2"


def test_box_aperture_and_overrides_are_used(capsys):
    d = _json(capsys, BASE + ["--aperture-box", "3x0.2", "--velocity", "0.6", "--lifetime", "5e5",
                              "--g-factor", "2.86e-3", "--json"])
    assert d["velocity_km_s"] == 0.6 and d["lifetime_1au_s"] == 5e5 and d["g_factor_1au_per_s"] == 2.86e-3
    # consistency check: the command and the API with the same overrides give the same Q
    assert d["aperture_km"]["shape"] == "rectangle"
    api = production_rate(1.2e-17 * u.W / u.m**2, "CO2", Geometry(3.32 * u.au, 2.6 * u.au),
                          RectangularAperture(3 * u.arcsec, 0.2 * u.arcsec), velocity=0.6 * u.km / u.s,
                          lifetime=5e5 * u.s, g_factor=2.86e-3 / u.s)
    assert d["Q_per_s"] == pytest.approx(api.Q.to_value(1 / u.s), rel=1e-12)


def test_text_output_prints_q_and_every_assumption(capsys):
    assert main(BASE + ["--aperture-radius", "1"]) == 0
    out = capsys.readouterr().out
    for word in ("Q(CO2) =", "g-factor", "lifetime", "velocity", "aperture", "band centre", "rh = 3.32"):
        assert word in out


def test_insignificant_flux_prints_an_upper_limit(capsys):
    d = _json(capsys, BASE[:4] + ["1e-18", "--rh", "3.32", "--delta", "2.6", "--aperture-radius", "1",
                                  "--flux-err", "1e-18", "--json"])
    assert d["Q_per_s"] is None and d["detected"] is False and d["Q_upper_per_s"] > 0
    assert main(BASE[:4] + ["-1e-18", "--rh", "3.32", "--delta", "2.6", "--aperture-radius", "1",
                            "--flux-err", "1e-18"]) == 0
    assert "<" in capsys.readouterr().out


def test_help_says_flux_is_w_m2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["production", "--help"])
    assert exc.value.code == 0
    assert "W m^-2" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    BASE,  # no aperture
    BASE + ["--aperture-radius", "1", "--aperture-box", "2x2"],  # both
    BASE + ["--aperture-box", "2by2"],
    BASE + ["--aperture-radius", "-1"],
    ["production", "--species", "CO2", "--rh", "3.32", "--delta", "2.6", "--aperture-radius", "1"],  # no flux
    BASE + ["--aperture-radius", "1", "--velocity", "fast"],
    ["production", "--species", "XX", "--flux", "1e-17", "--rh", "3", "--delta", "2", "--aperture-radius", "1"],
    ["production", "--species", "CO2", "--flux", "-1e-17", "--rh", "3", "--delta", "2", "--aperture-radius", "1"],
    ["production", "--species", "OCS", "--flux", "1e-17", "--rh", "3", "--delta", "2", "--aperture-radius", "1"],
])
def test_bad_arguments_one_line_exit_2(capsys, argv):
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse errors
        status = exc.code
    assert status == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1


def test_systematic_is_null_unless_errors_are_stated(capsys):
    """No stated relative errors on g, tau, v: the systematic is unknown, not zero."""
    base = ["production", "--species", "CO2", "--flux", "1.2e-17", "--flux-err", "1e-19",
            "--rh", "3.32", "--delta", "2.6", "--aperture-radius", "0.5", "--json"]
    assert main(base) == 0
    assert json.loads(capsys.readouterr().out)["Q_sys_per_s"] is None
    assert main(base + ["--rel-err-velocity", "0.2"]) == 0
    d = json.loads(capsys.readouterr().out)
    # small aperture: Q is proportional to v, so 20 % on v is ~20 % on Q
    assert d["Q_sys_per_s"] == pytest.approx(0.2 * d["Q_per_s"], rel=0.01)
