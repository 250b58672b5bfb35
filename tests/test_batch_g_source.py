"""``comaspec batch`` manifests with a ``g_source`` column (issue #19 item 6): the row's production
rates take the published or the computed g-factors, and result.json records which."""

import json

import astropy.units as u
import pytest

from comaspec.batch import read_manifest
from comaspec.batch.jobs import run_job
from comaspec.physics import fluorescence, molecules

HEADER = "label,files,rh,delta,phase,aperture,species,T_rot,map,solar,rdot,g_source"


@pytest.fixture(scope="module")
def spectrum(tmp_path_factory):
    """One PRISM x1d written by tests/independent_coma.py (CO2 and H2O injected at 50 K)."""
    import independent_coma as ic

    root = tmp_path_factory.mktemp("gsource")
    spec, _ = ic.coma_spectrum("PRISM", {"CO2": 8e26, "H2O": 3e27}, rh_au=1.8, delta_au=1.1, radius_arcsec=0.5,
                               v_km_s=ic.default_velocity(1.8), tau_1au_s=ic.default_lifetimes(), T_rot=50.0,
                               lo_um=2.4, hi_um=5.2, continuum=lambda wl: 5e-17 * (wl / 3.5) ** -1.5,
                               error=4e-19, seed=3)
    ic.write_pipeline_x1d(root / "e_x1d.fits", spec)
    return root


def _manifest(root, rows):
    path = root / "manifest.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def test_bad_g_source_refuses_that_row_only(spectrum):
    jobs, invalid = read_manifest(_manifest(spectrum, [
        "pub,e_x1d.fits,1.8,1.1,20,0.5,CO2;H2O,50,no,,,",
        "bad,e_x1d.fits,1.8,1.1,20,0.5,CO2;H2O,50,no,,,fitted",
        "mapped,e_x1d.fits,1.8,1.1,20,0.5,CO2;H2O,50,yes,,,computed",
        "comp,e_x1d.fits,1.8,1.1,20,0.5,CO2;H2O,50,no,,,Computed"]))
    assert [(j.label, j.g_source) for j in jobs] == [("pub", "published"), ("comp", "computed")]
    reasons = {r.label: str(r) for r in invalid}
    assert set(reasons) == {"bad", "mapped"}
    assert "g_source" in reasons["bad"] and "published, computed" in reasons["bad"]
    assert "map" in reasons["mapped"]
    assert all("\n" not in r for r in reasons.values())
    assert "g_source" not in jobs[0].to_dict() and jobs[1].to_dict()["g_source"] == "computed"


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental: a misfit or pump-opacity note
def test_computed_row_scales_q_and_records_g_source(spectrum, tmp_path):
    jobs, invalid = read_manifest(_manifest(spectrum, [
        "pub,e_x1d.fits,1.8,1.1,20,0.5,CO2;H2O,50,no,,,",
        "comp,e_x1d.fits,1.8,1.1,20,0.5,CO2;H2O,50,no,meftah2023,-30,computed"]))
    assert not invalid
    outcomes = [run_job(job, tmp_path) for job in jobs]
    assert [o["status"] for o in outcomes] == ["ok", "ok"]
    pub, comp = (json.loads((tmp_path / label / "result.json").read_text()) for label in ("pub", "comp"))
    assert (pub["fit"]["g_source"], comp["fit"]["g_source"]) == ("published", "computed")
    assert (comp["fit"]["solar_spectrum"], comp["fit"]["solar_rdot_km_s"]) == ("meftah2023", -30.0)
    # CO2 nu3 alone: Q(computed)/Q(published) = g_pub / g_comp at the row's T_rot and sunlight;
    # the band flux differs only through the templates pumped by the other sunlight
    g_pub = molecules.get_band("CO2", "nu3").g_1au
    g_comp = fluorescence.band_g_factor("CO2", "nu3", 50.0, solar="meftah2023", rdot=-30.0).to_value(1 / u.s)
    co2p, co2c = pub["species"]["CO2"], comp["species"]["CO2"]
    assert co2c["g_source"] == "computed" and co2p["g_source"] == "published"
    assert co2c["band_g_factors_1au_per_s"]["nu3"] == pytest.approx(g_comp, rel=1e-12)
    q_ratio = (co2c["Q_per_s"] / co2c["band_flux_W_m2"]) / (co2p["Q_per_s"] / co2p["band_flux_W_m2"])
    assert q_ratio == pytest.approx(g_pub / g_comp, rel=1e-9) and abs(q_ratio - 1) > 0.01
