"""NASA PSG files: the real C/2017 K2 retrieval, small PSG files written here, malformed ones.

Expected numbers are read from the file's text by hand (the first data row, the retrieval
keys), not from the reader. The lifetime convention comaspec states for ATMOSPHERE-TAU
(at 1 au, scaled by r_h² in PSG) is checked against PSG's own output: the Haser filling
factor PSG prints in results_rad is re-derived by an independent shell integral.
"""

import json
import math
import subprocess
import sys

import astropy.units as u
import numpy as np
import pytest

import comaspec
from comaspec.errors import InputError
from comaspec.io.psg import is_psg_text, psg_spectrum, read_psg, read_psg_config

K2 = ("c2017k2-jwst-nirspec-ch4", "c2017k2_nirspec_g395m_beam0.75arcsec_psg_retrieval_results.txt")
C_M_S = 299792458.0
ARCSEC_RAD = math.pi / 180 / 3600
AU_KM = 1.495978707e8


@pytest.fixture
def k2(shared_data):
    return shared_data(*K2)


def _line_after(path, marker, offset=1):
    lines = path.read_text().splitlines()
    return lines[lines.index(marker) + offset]


def test_k2_parts_config_and_data(k2):
    res = read_psg(k2)
    assert res.sections == ("cfg", "dat", "log", "nst", "rad", "ret")
    first = [float(v) for v in _line_after(k2, "results_dat.txt").split()]
    assert len(res.data) == 41
    assert res.data.colnames == ["wavelength", "Data", "Noise", "Model", "Base"]
    assert res.data["wavelength"][0] == first[0] * u.um
    assert res.data["Model"][0] == first[3] * u.Jy and res.data["Base"][0] == first[4] * u.Jy
    cfg = res.config
    assert cfg["OBJECT-NAME"] == "C/2017 K2" and len(cfg) == 103
    assert cfg.rh == 2.34017 * u.au and cfg.delta == 2.0386 * u.au
    assert cfg.beam == 1.5 * u.arcsec and cfg.resolving_power == pytest.approx(832.1376214178995)
    assert cfg.temperature == 43.5001 * u.K and cfg.expansion_velocity == 310 * u.m / u.s
    assert cfg.production_rate == 7.6e28 / u.s
    assert cfg.date.isot == "2022-08-21T21:27:00.000"
    gases = cfg.gases()
    assert list(gases["gas"]) == ["H2O", "OH", "CH4"]
    assert list(gases["type"]) == ["GSFC[H2O]", "GSFC[OHP]", "GSFC[CH4]"]
    assert gases["abundance"][2] == pytest.approx(0.87259) and list(gases["tau_1au_s"]) == ["45390.0"] * 2 + ["53810.0"]


def test_k2_retrieval_summary(k2):
    ret = read_psg(k2).retrieval
    assert list(ret["variable"]) == ["COMA-TEMPERATURE", "COMA-CH4[CH4]"]
    assert list(ret["value"]) == [43.5, 0.87259] and list(ret["sigma"]) == [0.95186, 0.026726]
    assert list(ret["unit"]) == ["K", "pct"] and list(ret["apriori"]) == [40.0, 0.8]
    assert ret.meta["chi2"] == 9394.89 and ret.meta["chi2_reduced"] == 240.85
    assert ret.meta["n_points"] == 41 and ret.meta["status"] == "OK"


def test_k2_radiance_components(k2):
    rad = read_psg(k2).radiance
    assert rad.colnames == ["wavelength", "Total", "C/2017-K2", "Nucleus", "Dust", "H2O", "OH", "CH4"]
    assert rad.meta["radiance_unit"] == "Spectral irradiance [Jy]"
    # the comet column is the sum of its parts (PSG's own bookkeeping, to its 6 printed digits)
    parts = rad["Nucleus"] + rad["Dust"] + rad["H2O"] + rad["OH"] + rad["CH4"]
    np.testing.assert_allclose(parts, rad["C/2017-K2"], rtol=2e-5)


def test_k2_tau_is_at_1au_and_beam_is_a_diameter(k2):
    """PSG's printed Haser filling factors f = N/(Q τ) follow from τ = TAU × r_h² and a
    circular field of radius BEAM/2 (independent shell integral of tests/independent_coma)."""
    import independent_coma as ic

    res = read_psg(k2)
    cfg = res.config
    header = [line for line in k2.read_text().splitlines() if line.startswith("# Haser filling factors")][0]
    printed = [float(v) for v in header.split(":")[1].split(",")]
    area = [line for line in k2.read_text().splitlines() if "area[m2]" in line][0]
    area_m2 = float(area.split("area[m2]:")[1].split(")")[0])
    rh, delta = cfg.rh.to_value(u.au), cfg.delta.to_value(u.au)
    radius_km = cfg.beam.to_value(u.arcsec) / 2 * ARCSEC_RAD * delta * AU_KM
    assert math.pi * (radius_km * 1e3) ** 2 == pytest.approx(area_m2, rel=1e-3)
    v_km_s = cfg.expansion_velocity.to_value(u.km / u.s)
    for tau_text, f_psg in zip(cfg.gases()["tau_1au_s"], printed):
        tau = float(tau_text)
        f = ic.haser_n_per_q(radius_km, v_km_s, tau, rh) / (tau * rh**2)
        assert f == pytest.approx(f_psg, rel=5e-3)
        # the other reading (TAU already at r_h) is far off
        assert ic.haser_n_per_q(radius_km, v_km_s, tau / rh**2, rh) / tau != pytest.approx(f_psg, rel=0.2)


def test_read_spectrum_recognises_psg_by_content(k2, tmp_path):
    copy = tmp_path / "no_hint.dat"
    copy.write_bytes(k2.read_bytes())
    spec = comaspec.read_spectrum(copy)
    first = [float(v) for v in _line_after(k2, "results_dat.txt").split()]
    assert spec.meta["product"] == "psg" and spec.meta["target"] == "C/2017 K2"
    assert spec.flux.unit == u.Jy and spec.flux[0].value == first[1]
    assert spec.uncertainty.array[0] == first[2]
    assert spec.meta["psg_model"][0] == first[3] and spec.meta["psg_base"][0] == first[4]
    assert spec.meta["rh_au"] == 2.34017 and spec.meta["delta_au"] == 2.0386
    assert spec.meta["aperture_radius_arcsec"] == 0.75
    assert spec.meta["resolving_power"] == pytest.approx(832.14, abs=0.01)
    with pytest.raises(InputError, match="PSG file"):
        comaspec.read_spectrum(copy, unit="Jy")


def test_info_on_k2(k2):
    out = subprocess.run([sys.executable, "-m", "comaspec", "info", "--json", str(k2)], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["product"] == "psg" and d["n_points"] == 41 and d["date"].startswith("2022-08-21T21:27")
    assert d["rh_au"] == 2.34017 and d["aperture_radius_arcsec"] == 0.75
    assert d["psg_retrieval"][1] == {"variable": "COMA-CH4[CH4]", "value": 0.87259, "sigma": 0.026726, "unit": "pct"}


CFG = """<OBJECT>Comet
<OBJECT-NAME>Test comet
<OBJECT-STAR-DISTANCE>1.5
<GEOMETRY-OBS-ALTITUDE>1.2e8
<GEOMETRY-ALTITUDE-UNIT>km
<GENERATOR-RADUNITS>{radunits}
<GENERATOR-BEAM>2
<GENERATOR-BEAM-UNIT>arcsec
<RETRIEVAL-FLUXLABELS>{labels}
"""


def _psg_file(path, radunits="Wm2um", labels="Data,Noise", rows=((4.60, 2e-16, 1e-18), (4.62, 3e-16, 1e-18),
                                                                  (4.64, 2.5e-16, 1e-18))):
    body = "\n".join(" ".join(f"{v:.8e}" for v in r) for r in rows)
    path.write_text("results_cfg.txt\n" + CFG.format(radunits=radunits, labels=labels) + "results_dat.txt\n"
                    + body + "\n")
    return path


def test_small_psg_file_units_converted(tmp_path):
    """W m-2 um-1 → Jy by F_nu = F_lambda λ² / c (written here), Δ in km → au."""
    path = _psg_file(tmp_path / "r.txt")
    spec = comaspec.read_spectrum(path)
    wl = np.array([4.60, 4.62, 4.64])
    f_lambda = np.array([2e-16, 3e-16, 2.5e-16])  # W m-2 um-1
    expected_jy = f_lambda * 1e6 * (wl * 1e-6) ** 2 / C_M_S / 1e-26
    np.testing.assert_allclose(spec.flux.to_value(u.Jy), expected_jy, rtol=1e-10)
    np.testing.assert_allclose(spec.uncertainty.array, 1e-18 * 1e6 * (wl * 1e-6) ** 2 / C_M_S / 1e-26, rtol=1e-10)
    assert spec.meta["delta_au"] == pytest.approx(1.2e8 / AU_KM)
    assert spec.meta["aperture_radius_arcsec"] == 1.0 and "resolving_power" not in spec.meta


def test_configuration_alone(tmp_path):
    path = tmp_path / "psg_cfg.txt"
    path.write_text(CFG.format(radunits="Jy", labels="Data"))
    assert is_psg_text(path.read_text())
    cfg = read_psg_config(path)
    assert cfg.object_name == "Test comet" and cfg.rh == 1.5 * u.au
    with pytest.raises(InputError, match="without a results_dat"):
        comaspec.read_spectrum(path)


@pytest.mark.parametrize("mutate,message", [
    (lambda t: t.replace("<OBJECT-NAME>Test comet", "OBJECT-NAME Test comet"), "line 3: not a PSG configuration line"),
    (lambda t: t.replace("<OBJECT>Comet\n", "<OBJECT>Comet\n<OBJECT>Planet\n"), "<OBJECT> given twice"),
    (lambda t: t.replace("4.62000000e+00 3.00000000e-16", "4.62000000e+00 abc"), "not a row of numbers"),
    (lambda t: t.replace(" 1.00000000e-18\n4.64", "\n4.64"), "2 columns where 3 were expected"),
    (lambda t: t.replace("<RETRIEVAL-FLUXLABELS>Data,Noise\n", ""), "not labelled"),
    (lambda t: t.replace("<GENERATOR-RADUNITS>Wm2um", "<GENERATOR-RADUNITS>rif"),
     "<GENERATOR-RADUNITS> is not a flux unit"),
    (lambda t: t.replace("<GEOMETRY-ALTITUDE-UNIT>km", "<GEOMETRY-ALTITUDE-UNIT>furlong"),
     "is not a unit comaspec knows"),
    (lambda t: t.replace("<OBJECT-STAR-DISTANCE>1.5", "<OBJECT-STAR-DISTANCE>far"), "is not a number"),
    (lambda t: t + "results_dat.txt\n1 2 3\n", "appears twice"),
])
def test_malformed_psg_one_line_exit_2(tmp_path, mutate, message):
    path = _psg_file(tmp_path / "bad.txt")
    path.write_text(mutate(path.read_text()))
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace("[", r"\[")):
        comaspec.read_spectrum(path)
    out = subprocess.run([sys.executable, "-m", "comaspec", "info", str(path)], capture_output=True, text=True)
    assert out.returncode == 2 and out.stdout == ""
    assert len(out.stderr.splitlines()) == 1 and str(path) in out.stderr and "Traceback" not in out.stderr


def test_not_psg_is_refused_by_read_psg(tmp_path):
    path = tmp_path / "table.txt"
    path.write_text("# wave (um) flux (Jy)\n1 2\n")
    assert not is_psg_text(path.read_text())
    with pytest.raises(InputError, match="is not a PSG file"):
        read_psg(path)


def test_psg_spectrum_needs_data(tmp_path):
    path = tmp_path / "rad.txt"
    path.write_text("# NASA-GSFC Planetary Spectrum Generator (PSG)\n# Wave/freq Total\n3.3 1e-3\n3.4 2e-3\n")
    res = read_psg(path)
    assert res.radiance.colnames == ["wavelength", "Total"] and len(res.radiance) == 2
    with pytest.raises(InputError, match="without a results_dat"):
        psg_spectrum(res)
