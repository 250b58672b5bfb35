"""``comaspec production --g-source published|computed`` and ``production_rate(g_source="computed")``
(issue #19 item 6): Q scales by the published over the computed g of the feature's bands."""

import json
import math

import astropy.units as u
import pytest

from comaspec import CircularAperture, Geometry, production_rate
from comaspec.cli import main
from comaspec.errors import InputError
from comaspec.physics import fluorescence, molecules

BASE = ["production", "--flux", "1e-17", "--rh", "1.5", "--delta", "1.0", "--aperture-radius", "1", "--json"]


def _expected_ratio(species, T_rot, **sun):
    """Q(computed)/Q(published) = sum_b g_pub nu_b / sum_b g_comp nu_b (F = N sum_b g_b h c nu_b / 4 pi D^2),
    g_comp from band_g_factor directly, over the bands of the default feature that have a published g."""
    bands = [b for b in molecules.bands_of(species, None) if math.isfinite(b.g_1au)]
    g_comp = {b.band: fluorescence.band_g_factor(species, b.band, T_rot, **sun).to_value(1 / u.s) for b in bands}
    ratio = sum(b.g_1au * b.center_cm for b in bands) / sum(g_comp[b.band] * b.center_cm for b in bands)
    return ratio, g_comp


def _run(capsys, argv):
    status = main(argv)
    assert status == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("species, T_rot", [("CO2", 50.0), ("H2O", 30.0), ("CO", 80.0)])
def test_cli_q_scales_by_published_over_computed_g(capsys, species, T_rot):
    pub = _run(capsys, BASE + ["--species", species])
    comp = _run(capsys, BASE + ["--species", species, "--g-source", "computed", "--t-rot", str(T_rot)])
    expected, g_comp = _expected_ratio(species, T_rot)
    assert comp["Q_per_s"] / pub["Q_per_s"] == pytest.approx(expected, rel=1e-9)
    assert (pub["g_source"], comp["g_source"]) == ("published", "computed")
    assert comp["band_g_factors_1au_per_s"] == pytest.approx(g_comp, rel=1e-12)
    assert comp["g_factor_1au_per_s"] == pytest.approx(sum(g_comp.values()), rel=1e-12)
    published = {b.band: b.g_1au for b in molecules.bands_of(species, None) if math.isfinite(b.g_1au)}
    assert pub["band_g_factors_1au_per_s"] == pytest.approx(published, rel=1e-12)
    # the computed g is a different number, not the published one passed through
    assert abs(expected - 1) > 1e-3


def test_cli_computed_g_with_meftah_sunlight_at_rdot(capsys):
    comp = _run(capsys, BASE + ["--species", "CO2", "--g-source", "computed", "--t-rot", "50",
                                "--solar", "meftah2023", "--rdot", "-40"])
    pub = _run(capsys, BASE + ["--species", "CO2"])
    expected, _ = _expected_ratio("CO2", 50.0, solar="meftah2023", rdot=-40.0)
    assert comp["Q_per_s"] / pub["Q_per_s"] == pytest.approx(expected, rel=1e-9)
    assert "meftah2023 at rdot -40 km/s" in comp["sources"]["g_factor"][0]


def test_text_output_says_which_g(capsys):
    assert main(BASE[:-1] + ["--species", "CO2", "--g-source", "computed", "--t-rot", "50"]) == 0
    out = capsys.readouterr().out
    assert "g used            : computed: nu3 " in out


@pytest.mark.parametrize("extra, message", [
    (["--g-source", "computed"], "needs --t-rot"),
    (["--t-rot", "50"], "--t-rot: used only with --g-source computed"),
    (["--solar", "meftah2023"], "--solar: used only with --g-source computed"),
    (["--rdot", "10"], "--rdot: used only with --g-source computed"),
    (["--g-source", "computed", "--t-rot", "50", "--g-factor", "1e-3"], "--g-factor"),
    (["--g-source", "computed", "--t-rot", "50", "--rdot", "10"], "only in --solar meftah2023"),
    (["--g-source", "fitted"], "--g-source"),
    (["--g-source", "computed", "--t-rot", "1e5"], "--t-rot"),
])
def test_bad_combinations_one_line_exit_2(capsys, extra, message):
    try:
        status = main(BASE + ["--species", "CO2"] + extra)
    except SystemExit as exc:  # argparse errors
        status = exc.code
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert status == 2 and captured.out == ""
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_api_refuses_bad_combinations():
    args = (1e-17 * u.W / u.m**2, "CO2", Geometry(1.5 * u.au, 1.0 * u.au), CircularAperture(1 * u.arcsec))
    with pytest.raises(InputError, match="T_rot"):
        production_rate(*args, g_source="computed")
    with pytest.raises(InputError, match="T_rot"):
        production_rate(*args, T_rot=50.0)
    with pytest.raises(InputError, match="g_factor"):
        production_rate(*args, g_source="computed", T_rot=50.0, g_factor=3e-3 / u.s)
    from comaspec import Assumptions

    with pytest.raises(InputError, match="g_factor"):
        production_rate(*args, g_source="computed", T_rot=50.0, assumptions=Assumptions(g_factor=3e-3 / u.s))
    q = production_rate(*args, g_source="computed", T_rot=50.0 * u.K)
    assert q.g_source == "computed"
    assert q.g_factor_1au.to_value(1 / u.s) == pytest.approx(
        fluorescence.band_g_factor("CO2", "nu3", 50.0).to_value(1 / u.s), rel=1e-12)


def test_cli_ortho_para_sets_the_computed_h2o_g(capsys):
    comp = _run(capsys, BASE + ["--species", "H2O", "--g-source", "computed", "--t-rot", "40", "--ortho-para", "2"])
    default = _run(capsys, BASE + ["--species", "H2O", "--g-source", "computed", "--t-rot", "40"])
    nu3 = {opr: fluorescence.band_g_factor("H2O", "nu3", 40.0, ortho_para=opr).to_value(1 / u.s) for opr in (2.0, 3.0)}
    assert comp["band_g_factors_1au_per_s"]["nu3"] == pytest.approx(nu3[2.0], rel=1e-12)
    assert default["band_g_factors_1au_per_s"]["nu3"] == pytest.approx(nu3[3.0], rel=1e-12)
    assert nu3[2.0] != pytest.approx(nu3[3.0], rel=1e-7)  # weak (each spin species normalised), but used
