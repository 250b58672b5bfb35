"""Production rates from published or computed g-factors (issue #19 item 6), and the
``--rdot``/``--solar``/``--g-source`` options of ``comaspec ratio`` recorded in the JSON."""

import json

import astropy.units as u
import pytest

from comaspec import fit_coma
from comaspec.cli import main
from comaspec.errors import UsageError
from comaspec.physics import fluorescence, molecules

# the bundled example's CO2 pump lines are not thin in its aperture (a note, here incidental)
pytestmark = pytest.mark.filterwarnings("ignore:.*pumping lines are not optically thin")


@pytest.fixture(scope="module")
def published_and_computed(example_inputs):
    spectrum, geometry, aperture = example_inputs
    return [fit_coma(spectrum, geometry, aperture, T_rot=50.0, g_source=source)
            for source in ("published", "computed")]


def test_computed_g_scales_q_by_published_over_computed(published_and_computed):
    """Q = F / Phi, Phi proportional to sum_b g_b nu_b over the feature's bands: the two Q differ by
    sum g_pub nu / sum g_comp nu, the computed g re-derived here from band_g_factor at 50 K."""
    pub, comp = published_and_computed
    for name in ("CO2", "H2O"):
        bands = molecules.bands_of(name, pub.species[name].feature)
        g_comp = {b.band: fluorescence.band_g_factor(name, b.band, 50.0).to_value(1 / u.s) for b in bands}
        expected = (sum(b.g_1au * b.center_cm for b in bands)
                    / sum(g_comp[b.band] * b.center_cm for b in bands))
        assert comp.species[name].band_flux == pub.species[name].band_flux
        assert comp.species[name].Q / pub.species[name].Q == pytest.approx(expected, rel=1e-9), name
        assert comp.species[name].extra["band_g_factors_1au_per_s"] == pytest.approx(g_comp, rel=1e-12)
        assert comp.species[name].extra["g_source"] == "computed"
        assert pub.species[name].extra["g_source"] == "published"
    # CO2 nu3 alone: exactly g_pub / g_comp (published 2.9e-3 s^-1, computed ~8 % lower)
    ratio = comp.species["CO2"].Q / pub.species["CO2"].Q
    assert ratio == pytest.approx(2.9e-3 / fluorescence.band_g_factor("CO2", "nu3", 50.0).value, rel=1e-9)
    assert 1.02 < ratio < 1.2
    assert comp.fit_info["g_source"] == "computed" and pub.fit_info["g_source"] == "published"


def test_stated_g_excludes_computed_g(example_inputs):
    spectrum, geometry, aperture = example_inputs
    with pytest.raises(UsageError, match="g_source"):
        fit_coma(spectrum, geometry, aperture, g_factor=3e-3 / u.s, g_source="computed")


def test_cli_records_rdot_solar_and_g_source(capsys):
    status = main(["ratio", "--example", "--json", "--quiet", "--rdot", "-40", "--solar", "meftah2023",
                   "--g-source", "computed"])
    out = json.loads(capsys.readouterr().out)
    assert status == 0
    assert out["geometry"]["rdot_km_s"] == -40.0
    assert (out["fit"]["solar_spectrum"], out["fit"]["solar_rdot_km_s"], out["fit"]["g_source"]) == (
        "meftah2023", -40.0, "computed")
    co2 = out["species"]["CO2"]
    assert co2["g_source"] == "computed" and co2["g_factor_source"].startswith("computed")
    g = fluorescence.band_g_factor("CO2", "nu3", co2["T_rot_K"], solar="meftah2023", rdot=-40.0).value
    assert co2["band_g_factors_1au_per_s"]["nu3"] == pytest.approx(g, rel=1e-12)


@pytest.mark.parametrize("argv, expect", [
    (["--rdot", "fast"], "--rdot"), (["--rdot", "400"], "--rdot"), (["--rdot", "-301"], "--rdot"),
    (["--solar", "sun"], "--solar"), (["--g-source", "mine"], "--g-source"),
])
def test_cli_refuses_bad_sunlight_options(capsys, argv, expect):
    try:
        status = main(["ratio", "--example", *argv])
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err and expect in err


def test_high_resolution_sun_without_rdot_says_it_takes_the_lines_at_rest(example_inputs):
    spectrum, geometry, aperture = example_inputs
    assert geometry.rdot is None
    fit = fit_coma(spectrum, geometry, aperture, T_rot=50.0, solar="meftah2023")
    assert fit.fit_info["solar_spectrum"] == "meftah2023" and fit.fit_info["solar_rdot_km_s"] == 0.0
    assert any("rdot" in note and "at rest" in note for note in fit.fit_info["notes"])
    default = fit_coma(spectrum, geometry, aperture, T_rot=50.0)
    assert default.fit_info["solar_spectrum"] == "e490" and default.fit_info["solar_rdot_km_s"] is None
    assert not any("rdot" in note for note in default.fit_info["notes"])
