"""``comaspec ratio``: the example, JSON keys, errors (exit 2, one line), atomic outputs."""

import json
import subprocess
import sys

import astropy.units as u
import numpy as np
import pytest

from comaspec.apertures import CircularAperture
from comaspec.cli import main
from comaspec.geometry import Geometry
from comaspec.synthetic import synthetic_spectrum

GEO = Geometry(3.32 * u.au, 2.61 * u.au, 17 * u.deg)
AP = CircularAperture(0.5 * u.arcsec)
FLAM = u.W / u.m**2 / u.um
GEO_ARGS = ["--rh", "3.32", "--delta", "2.61", "--phase", "17", "--aperture-radius", "0.5"]

SPECIES_KEYS = {"covered", "band_flux_W_m2", "band_flux_err_W_m2", "snr", "detected", "Q_per_s", "Q_err_per_s",
                "Q_upper_limit_per_s", "g_factor_1au_per_s", "lifetime_1au_s", "velocity_km_s", "T_rot_K"}


def _continuum(wl):
    return 5e-17 * (wl / 3.5) ** -1.5


@pytest.fixture
def x1d(tmp_path):
    """A PRISM x1d of a coma written by hand (tests/independent_coma.py, default lifetimes),
    in the pipeline's layout (test_io_builders), so the command reads data comaspec did not make."""
    from independent_coma import coma_spectrum, default_lifetimes, write_pipeline_x1d

    spec, _ = coma_spectrum("PRISM", {"CO2": 1.7e27, "H2O": 2.2e26}, rh_au=3.32, delta_au=2.61, radius_arcsec=0.5,
                            v_km_s=0.5, tau_1au_s=default_lifetimes(), T_rot=50.0, lo_um=2.4, hi_um=5.2,
                            continuum=_continuum, error=4e-19, seed=2)
    return write_pipeline_x1d(tmp_path / "coma_x1d.fits", spec)


def _run(capsys, *args):
    try:
        status = main(["ratio", *map(str, args)])
    except SystemExit as exc:  # argument errors (e.g. out of range) stop in argparse
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def test_json_has_the_documented_keys(capsys, x1d):
    status, out, err = _run(capsys, x1d, *GEO_ARGS, "--json")
    assert status == 0
    d = json.loads(out)
    assert set(d) >= {"comaspec_version", "input", "geometry", "aperture", "species", "ratio", "fit"}
    assert set(d["input"]) >= {"paths", "instrument", "mode", "target"}
    assert d["input"]["paths"] == [str(x1d)] and d["input"]["target"] == "test comet"
    assert set(d["geometry"]) >= {"rh_au", "delta_au", "phase_deg"} and d["geometry"]["phase_deg"] == 17
    assert d["aperture"]["shape"] == "circle" and d["aperture"]["radius_arcsec"] == 0.5
    assert d["aperture"]["radius_km"] == pytest.approx(0.5 * GEO.km_per_arcsec.to_value(u.km / u.arcsec))
    for name in ("CO2", "H2O", "CO"):
        assert set(d["species"][name]) >= SPECIES_KEYS
    assert set(d["ratio"]) >= {"numerator", "denominator", "value", "err_lo", "err_hi", "limit", "reason"}
    assert set(d["fit"]) >= {"chi2_reduced", "n_points", "covariance_scaled"}
    assert d["fit"]["covariance_scaled"] is False
    co = d["species"]["CO"]  # not injected: an upper limit, never a measured Q
    assert co["detected"] is False and co["Q_per_s"] is None and co["Q_upper_limit_per_s"] > 0
    assert d["ratio"]["value"] == pytest.approx(1.7e27 / 2.2e26, rel=0.25)


def test_human_output_is_a_table_and_a_ratio_line(capsys, x1d):
    status, out, _ = _run(capsys, x1d, *GEO_ARGS, "--species", "CO2,H2O", "--trot", "50")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["species", "feature"]
    assert any(line.startswith("CO2/H2O = ") for line in lines)
    assert "not rescaled" in out


def test_missing_geometry_names_the_flags(capsys, x1d):
    status, out, err = _run(capsys, x1d, "--aperture-radius", "0.5")
    assert status == 2 and out == ""
    assert "--rh" in err and "--delta" in err and err.count("\n") == 1
    status, _, err = _run(capsys, x1d, "--rh", "3", "--delta", "2")
    assert status == 2 and "--aperture-radius" in err


def test_band_outside_the_spectrum(capsys, tmp_path):
    path = tmp_path / "co2only.fits"
    synthetic_spectrum("PRISM", {"CO2": 1.7e27}, GEO, AP, T_rot=50.0, error=4e-19 * FLAM, continuum=_continuum,
                       wavelength_um=np.linspace(3.95, 4.55, 80), path=path)
    status, out, _ = _run(capsys, path, *GEO_ARGS, "--species", "CO2,H2O", "--json")
    d = json.loads(out)
    assert status == 0 and d["species"]["H2O"]["covered"] is False
    assert d["ratio"]["value"] is None and "H2O" in d["ratio"]["reason"] and "not covered" in d["ratio"]["reason"]


def test_too_short_spectrum_is_one_line_and_writes_nothing(capsys, tmp_path):
    path = tmp_path / "short.fits"
    synthetic_spectrum("PRISM", {"CO2": 1.7e27}, GEO, AP, T_rot=50.0, error=4e-19 * FLAM, continuum=_continuum,
                       wavelength_um=np.linspace(4.20, 4.30, 6), path=path)
    out_file, plot_file = tmp_path / "r.json", tmp_path / "f.png"
    status, out, err = _run(capsys, path, *GEO_ARGS, "--output", out_file, "--plot", plot_file)
    assert status == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert not out_file.exists() and not plot_file.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["short.fits"]


def test_outputs_written_atomically(capsys, x1d, tmp_path):
    out_file, plot_file = tmp_path / "r.ecsv", tmp_path / "fit.pdf"
    status, _, err = _run(capsys, x1d, *GEO_ARGS, "--output", out_file, "--plot", plot_file)
    assert status == 0 and out_file.stat().st_size > 500 and plot_file.read_bytes()[:4] == b"%PDF"
    from astropy.table import QTable

    assert list(QTable.read(out_file)["species"]) == ["CO2", "H2O", "CO"]
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []
    # a bad suffix is refused before any work, nothing written
    status, _, err = _run(capsys, x1d, *GEO_ARGS, "--output", tmp_path / "r.txt")
    assert status == 2 and not (tmp_path / "r.txt").exists()


def test_usage_errors(capsys, x1d, monkeypatch):
    assert _run(capsys)[0] == 2
    assert _run(capsys, x1d, "--example")[0] == 2
    status, _, err = _run(capsys, x1d, *GEO_ARGS[:4], "--aperture-box", "1by2")
    assert status == 2 and "WxH" in err
    monkeypatch.setitem(sys.modules, "emcee", None)
    status, _, err = _run(capsys, x1d, *GEO_ARGS, "--mcmc")
    assert status == 2 and "comaspec[mcmc]" in err
    status, _, err = _run(capsys, tmp_missing := x1d.parent / "nope.fits", *GEO_ARGS)
    assert status == 2 and str(tmp_missing) in err


def test_mc_option(capsys, x1d):
    status, out, _ = _run(capsys, x1d, *GEO_ARGS, "--species", "CO2,H2O", "--trot", "50", "--no-shift",
                          "--mc", "20", "--seed", "1", "--json")
    d = json.loads(out)
    assert status == 0 and d["fit"]["n_samples"] == 20 and d["ratio"]["method"].startswith("mc refits")


def test_example_json_in_a_fresh_process():
    """End-to-end run of the bundled example in a fresh process. A consistency check: the example
    was made by comaspec's forward model (its truth is in its header); Q against independently
    made spectra is tested in test_fit and test_s3d_cube_is_extracted_and_fitted."""
    out = subprocess.run([sys.executable, "-m", "comaspec", "ratio", "--example", "--json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    from astropy.io import fits

    from comaspec.synthetic import example_path, truth_from_header

    truth = truth_from_header(fits.getheader(example_path()))
    assert d["geometry"]["rh_au"] == pytest.approx(3.32)
    assert d["input"]["mode"].startswith("NIRSPEC PRISM")
    true_ratio = truth["Q"]["CO2"] / truth["Q"]["H2O"]
    r = d["ratio"]
    assert r["limit"] is None
    assert r["value"] - 3 * r["err_lo"] < true_ratio < r["value"] + 3 * r["err_hi"]
    for name in ("CO2", "H2O"):
        s = d["species"][name]
        assert s["detected"] and abs(s["Q_per_s"] - truth["Q"][name]) < 4 * s["Q_err_per_s"]


def test_compare_figure(capsys, x1d, tmp_path):
    fig = tmp_path / "compare.png"
    status, _, err = _run(capsys, x1d, *GEO_ARGS, "--species", "CO2,H2O", "--trot", "50", "--compare", fig)
    assert status == 0, err
    assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image

    img = matplotlib.image.imread(fig)[..., :3]
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 20  # drawn on, not a blank canvas


def test_s3d_cube_is_extracted_and_fitted(capsys, tmp_path):
    """A cube written by hand (tests/independent_coma.coma_cube: Haser column integrated over
    sub-spaxels, HITRAN fluorescence sticks, ESA R tables; cube_build's file layout from
    test_io_builders.write_s3d), extracted by the command in its default aperture: Q back."""
    from independent_coma import coma_cube, default_lifetimes
    from test_io_builders import write_s3d

    truth = {"CO2": 1.7e27, "H2O": 2.2e26}
    tau = default_lifetimes()
    wave, sb, err = coma_cube("PRISM", truth, rh_au=3.32, delta_au=2.61, pixel_arcsec=0.1, shape=(15, 15),
                              v_km_s=0.5, tau_1au_s=tau, T_rot=50.0, lo_um=2.4, hi_um=5.2, continuum=_continuum,
                              error_per_spaxel=2e-20, seed=3)
    path = write_s3d(tmp_path / "coma_s3d.fits", sb, err, wave=wave, wavetab=True)
    # no aperture flag: the default 0.5" radius around the continuum photocentre
    status, out, err = _run(capsys, path, "--rh", "3.32", "--delta", "2.61", "--trot", "50", "--velocity", "0.5",
                            "--species", "CO2,H2O", "--json")
    assert status == 0, err
    d = json.loads(out)
    assert d["aperture"] == {"shape": "circle", "radius_arcsec": 0.5,
                             "radius_km": pytest.approx(0.5 * GEO.km_per_arcsec.to_value(u.km / u.arcsec))}
    # the spaxel grid cuts the circle (partial spaxels): Q back to a few per cent
    for name, q in truth.items():
        assert d["species"][name]["lifetime_1au_s"] == tau[name]
        assert d["species"][name]["Q_per_s"] == pytest.approx(q, rel=0.05)


def test_text_table_needs_and_takes_mode(capsys, tmp_path):
    spec = synthetic_spectrum("PRISM", {"CO2": 1.7e27, "H2O": 2.2e26}, GEO, AP, T_rot=50.0, error=4e-19 * FLAM,
                              continuum=_continuum, seed=4)
    path = tmp_path / "spec.csv"
    rows = np.c_[spec.spectral_axis.to_value(u.um), spec.flux.to_value(u.Jy), spec.uncertainty.array]
    np.savetxt(path, rows, delimiter=",", header="wavelength_um,flux_Jy,error_Jy", comments="")
    status, _, err = _run(capsys, path, *GEO_ARGS)
    assert status == 2 and "--mode" in err
    status, out, err = _run(capsys, path, *GEO_ARGS, "--mode", "PRISM", "--json")
    assert status == 0, err
    assert json.loads(out)["species"]["CO2"]["detected"]


def test_systematic_errors_flags(capsys, x1d):
    status, out, err = _run(capsys, x1d, *GEO_ARGS, "--species", "CO2,H2O", "--trot", "50",
                            "--rel-err-g", "0.1", "--json")
    assert status == 0, err
    d = json.loads(out)
    # only the g-factor error: Q_sys / Q = 0.1 exactly (dlnQ/dln g = -1)
    assert d["species"]["CO2"]["Q_sys_per_s"] == pytest.approx(0.1 * d["species"]["CO2"]["Q_per_s"], rel=1e-6)


def test_window_and_per_species_trot_flags(capsys, x1d):
    status, out, err = _run(capsys, x1d, *GEO_ARGS, "--species", "CO2,H2O", "--window", "2.5-2.88:2",
                            "--window", "4.1-4.5", "--trot-per-species", "--json")
    assert status == 0, err
    d = json.loads(out)
    # without :DEG a window takes the degree of the default window it lies in (4.05-5.10:4)
    assert d["fit"]["windows"] == [["w1", 2.5, 2.88, 2], ["w2", 4.1, 4.5, 4]]
    assert d["species"]["CO2"]["T_rot_K"] != d["species"]["H2O"]["T_rot_K"]
    status, _, err = _run(capsys, x1d, *GEO_ARGS, "--window", "2.5:2.9")
    assert status == 2 and "LO-HI" in err


def test_real_jwst_x1d_file(capsys, shared_data):
    """A real calwebb x1d (NIRSpec MOS G395M, a galaxy, not a comet): the whole path runs."""
    path = shared_data("jwst-nirspec-mos-g395m-x1d-smacs0723", "jw02736-o007_s06355_nirspec_f290lp-g395m_x1d.fits")
    status, out, err = _run(capsys, path, "--rh", "2", "--delta", "1.5", "--aperture-radius", "0.5", "--json")
    assert status == 0, err
    d = json.loads(out)
    assert d["input"]["mode"] == "NIRSPEC G395M/F290LP" and d["input"]["instrument"] == "NIRSPEC"
    assert d["species"]["CO2"]["covered"] is True and d["fit"]["n_points"] > 300
    # the 4.85 um H2O hot band falls in the detector gap of this MOS spectrum: H2O is not covered
    assert d["species"]["H2O"]["covered"] is False and "not covered" in d["ratio"]["reason"]
    for s in d["species"].values():
        assert s["Q_per_s"] is None or s["Q_per_s"] > 0
