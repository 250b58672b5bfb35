"""No confident wrong answer with exit 0 (issue #20): the same file fitted twice, cubes
without dust (the nucleus found from the gas), thermal dust continua, optical depth.

Spectra and cubes come from the independent generator (tests/independent_coma.py), not
from comaspec.synthetic.
"""

import json
import os

import pytest
from test_io_builders import write_x1d

from comaspec.cli import main

GEO = ["--rh", "3", "--delta", "2", "--aperture-radius", "0.5"]


def _run(capsys, *args):
    try:
        status = main([*map(str, args)])
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def _refused(status, out, err, tmp_path, before, *words):
    assert status == 2, err
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written
    for word in words:
        assert word in err


# ------------------------------------------------------------------ the same file given twice
@pytest.mark.parametrize("how", ["same", "dotted", "symlink", "hardlink"])
def test_the_same_file_twice_is_refused(capsys, tmp_path, how):
    """One file under two names (identical, ./a, a symbolic link, a hard link) would be fitted
    as two independent spectra (errors / sqrt 2): refused in one line, exit 2, nothing written."""
    a = write_x1d(tmp_path / "a_x1d.fits")
    b = {"same": a, "dotted": f"{tmp_path}/./{a.name}", "symlink": tmp_path / "b_x1d.fits",
         "hardlink": tmp_path / "b_x1d.fits"}[how]
    if how == "symlink":
        os.symlink(a, b)
    elif how == "hardlink":
        os.link(a, b)
    before = sorted(p.name for p in tmp_path.iterdir())
    status, out, err = _run(capsys, "ratio", a, b, *GEO, "--output", tmp_path / "r.json")
    _refused(status, out, err, tmp_path, before, a.name, "twice" if how == "same" else "same file")


def test_two_copies_of_one_spectrum_are_refused(capsys, tmp_path):
    """Two files with the same data are one measurement given twice (real exposures never
    agree in every value): refused, both named, before any fit."""
    a = write_x1d(tmp_path / "a_x1d.fits")
    b = tmp_path / "b_x1d.fits"
    b.write_bytes(a.read_bytes())
    before = sorted(p.name for p in tmp_path.iterdir())
    status, out, err = _run(capsys, "ratio", a, b, *GEO, "--species", "CO2", "--json")
    _refused(status, out, err, tmp_path, before, a.name, "same spectrum")
    assert b.name in err


def test_two_exposures_are_two_files(capsys, tmp_path):
    """Two files whose data differ (two exposures: other noise) are fitted together."""
    from astropy.io import fits

    a = write_x1d(tmp_path / "a_x1d.fits")
    b = tmp_path / "b_x1d.fits"
    b.write_bytes(a.read_bytes())
    with fits.open(b, mode="update") as hdul:   # one value differs, as another exposure's noise would
        hdul["EXTRACT1D"].data["FLUX"][10] *= 1.001
    status, out, err = _run(capsys, "ratio", a, b, *GEO, "--species", "CO2", "--json")
    assert status == 0, err
    assert json.loads(out)["input"]["paths"] == [str(a), str(b)]


def test_a_manifest_cell_naming_one_file_twice_is_refused(tmp_path):
    """A manifest cell ``a;a`` (or ``a;./a``) is refused before work, the other rows run."""
    from comaspec.batch.manifest import read_manifest

    write_x1d(tmp_path / "a_x1d.fits")
    write_x1d(tmp_path / "c_x1d.fits")
    manifest = tmp_path / "m.csv"
    manifest.write_text("label,files,rh,delta,aperture\n"
                        "twice,a_x1d.fits;a_x1d.fits,3,2,0.5\n"
                        "dotted,a_x1d.fits;./a_x1d.fits,3,2,0.5\n"
                        "fine,a_x1d.fits;c_x1d.fits,3,2,0.5\n")
    jobs, invalid = read_manifest(manifest)
    assert [j.label for j in jobs] == ["fine"]
    assert [r.label for r in invalid] == ["twice", "dotted"]
    for row in invalid:
        assert "a_x1d.fits" in row.reason and "given twice" in row.reason and "\n" not in row.reason


def test_fit_files_refuses_the_same_file_twice(tmp_path):
    """The API path shared by ratio and batch (comaspec.pipeline) refuses it too."""
    import astropy.units as u

    from comaspec import CircularAperture, Geometry, UsageError
    from comaspec.pipeline import fit_files

    a = write_x1d(tmp_path / "a_x1d.fits")
    with pytest.raises(UsageError, match="twice"):
        fit_files([a, str(a)], Geometry(3 * u.au, 2 * u.au), CircularAperture(0.5 * u.arcsec), ["CO2"])


# ------------------------------------------------------------------ cubes without dust
RH, DELTA = 3.32, 2.61
TRUTH = {"CO2": 1.7e27, "H2O": 2.2e26}


def _dust(wl):
    return 5e-17 * (wl / 3.5) ** -1.5


def _no_dust(wl):
    return 0.0 * wl


def _cube(mode, continuum, *, shape=(21, 21), crop=(slice(None), slice(None)), seed=3, noise=2e-20, roll_dust=0):
    """(wave, SB, ERR) of a Haser coma by the independent generator, cropped so that the
    nucleus is not at the middle; the nucleus is then at (xc, yc) returned too. With
    ``roll_dust`` the dust coma is moved that many spaxels along +x (gas and dust apart)."""
    import numpy as np
    from independent_coma import coma_cube, default_lifetimes, default_velocity

    lo, hi = {"PRISM": (2.4, 5.2), "G395H": (2.9, 5.2)}[mode]
    kw = {"rh_au": RH, "delta_au": DELTA, "pixel_arcsec": 0.1, "shape": shape, "v_km_s": default_velocity(RH),
          "tau_1au_s": default_lifetimes(), "T_rot": 50.0, "lo_um": lo, "hi_um": hi, "error_per_spaxel": noise}
    if roll_dust:
        wave, gas, err = coma_cube(mode, TRUTH, continuum=_no_dust, seed=seed, **kw)
        _, dust, _ = coma_cube(mode, {}, continuum=continuum, seed=seed + 1, **kw)
        sb = gas + np.roll(dust, roll_dust, axis=2)
    else:
        wave, sb, err = coma_cube(mode, TRUTH, continuum=continuum, seed=seed, **kw)
    ys, xs = crop
    nucleus = ((shape[1] - 1) / 2 - (xs.start or 0), (shape[0] - 1) / 2 - (ys.start or 0))
    return wave, sb[:, ys, xs], err[:, ys, xs], nucleus


def _write(tmp_path, name, wave, sb, err):
    from test_io_builders import write_s3d

    return write_s3d(tmp_path / name, sb, err, wave=wave, wavetab=True)


@pytest.mark.parametrize("mode,seed", [("PRISM", 1), ("PRISM", 2), ("G395H", 3)])
def test_gas_only_cube_is_centred_on_the_gas(tmp_path, mode, seed):
    """No dust: the continuum image is noise (peak S/N below 10), and its photocentre lands
    anywhere; the nucleus comes from the strongest band's emission instead, within a
    quarter spaxel of the true one, with a warning that says so."""
    from comaspec.io import read_cube
    from comaspec.io.extract import continuum_photocentre
    from comaspec.io.nucleus import WEAK_SNR, find_nucleus
    from comaspec.errors import ComaspecWarning

    wave, sb, err, (xn, yn) = _cube(mode, _no_dust, seed=seed, crop=(slice(3, None), slice(0, 17)))
    cube = read_cube(_write(tmp_path, "gas_s3d.fits", wave, sb, err))
    with pytest.warns(ComaspecWarning, match="continuum is weak"):
        found = find_nucleus(cube, 5)
    assert found["continuum_snr"] < WEAK_SNR < found["gas_snr"]
    assert found["method"] == "gas centroid (CO2 4.26um)"
    assert found["xy"] == pytest.approx((xn, yn), abs=0.25)
    # what the photocentre alone gives on such a cube: not the nucleus (the bug this replaces)
    cx, cy = continuum_photocentre(cube, 5)
    assert found["xy"] != pytest.approx((cx, cy), abs=0.25) or (cx, cy) == pytest.approx((xn, yn), abs=0.25)


def test_ratio_on_a_gas_only_cube_gives_the_true_q(capsys, tmp_path):
    """`comaspec ratio` on a gas-only PRISM cube (nucleus off the middle): Q back within 5 %
    (the photocentre alone gave a quarter of Q(CO2)), the centre and how it was found in the
    JSON and in the text."""
    wave, sb, err, (xn, yn) = _cube("PRISM", _no_dust, seed=1, crop=(slice(3, None), slice(0, 17)))
    path = _write(tmp_path, "gas_s3d.fits", wave, sb, err)
    args = ["ratio", path, "--rh", RH, "--delta", DELTA, "--trot", "50", "--species", "CO2,H2O"]
    status, out, err_text = _run(capsys, *args, "--json")
    assert status == 0, err_text
    assert "continuum is weak" in err_text
    d = json.loads(out)
    for name, q in TRUTH.items():
        assert d["species"][name]["Q_per_s"] == pytest.approx(q, rel=0.05), name
    (centre,) = d["input"]["cube_centres"]
    assert centre["method"] == "gas centroid (CO2 4.26um)" and centre["continuum_snr"] < 10 < centre["gas_snr"]
    assert centre["nucleus_pix"] == pytest.approx([xn, yn], abs=0.25)
    assert centre["aperture_offset_pix"] == [0.0, 0.0]
    assert any("continuum is weak" in n for n in d["fit"]["notes"])
    status, out, _ = _run(capsys, *args)
    assert status == 0 and "centre: gas_s3d.fits: nucleus at pixel" in out and "gas centroid" in out


def test_center_flag_and_dusty_cube(capsys, tmp_path):
    """A dusty cube keeps the continuum photocentre (no warning); --center X,Y is used as
    given and recorded; --center on spectra only, or not two numbers, is refused (exit 2)."""
    wave, sb, err, (xn, yn) = _cube("PRISM", _dust, seed=2, shape=(15, 15))
    path = _write(tmp_path, "dust_s3d.fits", wave, sb, err)
    args = ["ratio", path, "--rh", RH, "--delta", DELTA, "--trot", "50", "--species", "CO2,H2O",
            "--json"]
    status, out, err_text = _run(capsys, *args)
    assert status == 0 and "continuum is weak" not in err_text and "spaxels apart" not in err_text
    (centre,) = json.loads(out)["input"]["cube_centres"]
    assert centre["method"] == "continuum photocentre" and centre["continuum_snr"] > 10
    assert centre["nucleus_pix"] == pytest.approx([xn, yn], abs=0.3)
    status, out, err_text = _run(capsys, *args, "--center", "6.5,7.25")
    assert status == 0, err_text
    (centre,) = json.loads(out)["input"]["cube_centres"]
    assert centre["method"] == "given" and centre["nucleus_pix"] == [6.5, 7.25]
    for bad in ("7", "a,b", "nan,3"):
        status, out, err_text = _run(capsys, *args, "--center", bad)
        assert status == 2 and err_text.count("\n") == 1 and "--center" in err_text
    x1d = write_x1d(tmp_path / "a_x1d.fits")
    status, out, err_text = _run(capsys, "ratio", x1d, *GEO, "--center", "3,3")
    assert status == 2 and "no input is a cube" in err_text


def test_gas_and_dust_apart_warns(tmp_path):
    """Dust coma 3 spaxels from the gas's nucleus, both bright: the continuum photocentre is
    kept and a warning gives both centres and their distance."""
    from comaspec.errors import ComaspecWarning
    from comaspec.io import read_cube
    from comaspec.io.nucleus import find_nucleus

    wave, sb, err, (xn, yn) = _cube("PRISM", _dust, seed=4, roll_dust=3)
    cube = read_cube(_write(tmp_path, "apart_s3d.fits", wave, sb, err))
    with pytest.warns(ComaspecWarning, match=r"lie 3\.\d spaxels apart"):
        found = find_nucleus(cube, 5)
    assert found["method"] == "continuum photocentre"
    assert found["xy"] == pytest.approx((xn + 3, yn), abs=0.3)
    assert found["gas_xy"] == pytest.approx((xn, yn), abs=0.3)


def test_map_and_batch_centre_on_the_gas(tmp_path):
    """`map_cube` and a batch job (with and without the manifest's ``center`` column) on a
    gas-only cube: the nucleus from the gas, Q back; the column is read as X;Y."""
    import astropy.units as u

    from comaspec import Geometry
    from comaspec.batch.jobs import run_job
    from comaspec.batch.manifest import read_manifest
    from comaspec.maps import map_cube

    wave, sb, err, (xn, yn) = _cube("PRISM", _no_dust, seed=5, crop=(slice(3, None), slice(0, 17)))
    path = _write(tmp_path, "gas_s3d.fits", wave, sb, err)
    with pytest.warns(Warning):
        maps = map_cube(path, Geometry(RH * u.au, DELTA * u.au), species=["CO2", "H2O"], T_rot=50.0)
    assert maps.nucleus_method == "gas centroid (CO2 4.26um)"
    assert maps.nucleus_xy == pytest.approx((xn, yn), abs=0.25)
    assert any("continuum is weak" in n for n in maps.meta["notes"])

    manifest = tmp_path / "m.csv"
    manifest.write_text("label,files,rh,delta,T_rot,species,center\n"
                        f"found,gas_s3d.fits,{RH},{DELTA},50,CO2;H2O,\n"
                        f"given,gas_s3d.fits,{RH},{DELTA},50,CO2;H2O,{xn};{yn}\n"
                        f"bad,gas_s3d.fits,{RH},{DELTA},50,CO2;H2O,left\n")
    jobs, invalid = read_manifest(manifest)
    assert [j.center for j in jobs] == [None, (xn, yn)]
    assert [r.label for r in invalid] == ["bad"] and "center" in invalid[0].reason
    out = tmp_path / "out"
    out.mkdir()
    for job in jobs:
        assert run_job(job, out)["status"] == "ok"
        d = json.loads((out / job.label / "result.json").read_text())
        assert d["input"]["cube_centres"][0]["nucleus_pix"] == pytest.approx([xn, yn], abs=0.25)
        # Q(CO2) within 5 % (the photocentre alone gave 0.3 of it in a G395H batch)
        assert d["species"]["CO2"]["Q_per_s"] == pytest.approx(TRUTH["CO2"], rel=0.05)


# ------------------------------------------------------------------ optical depth
def test_example_says_its_co2_pump_lines_are_thick(capsys):
    """`ratio --example` (Q(CO2) 1.7e27 in a 946 km circle): the CO2 nu3 pump lines are not
    optically thin. Checked against the decay-free closed forms (lifetime scale length
    ~2e6 km >> 946 km): edge column Q / (4 v R), aperture-mean column (Q pi R / 2v) / pi R^2
    = Q / (2 v R), i.e. twice the edge's, times the strongest line's cross-section."""
    import astropy.units as u

    from comaspec.maps.opacity import line_centre_cross_sections

    status, out, err = _run(capsys, "ratio", "--example", "--json")
    assert status == 0
    d = json.loads(out)
    co2 = d["fit"]["pump_opacity"]["CO2"]
    q, v = d["species"]["CO2"]["Q_per_s"], d["species"]["CO2"]["velocity_km_s"]
    radius_cm = d["aperture"]["radius_km"] * 1e5
    sigma0 = line_centre_cross_sections("CO2", co2["T_rot_K"])["sigma0"][0].to_value(u.cm**2)
    assert co2["tau0_aperture_edge"] == pytest.approx(sigma0 * q / (4 * v * 1e5 * radius_cm), rel=0.01)
    assert co2["tau0_aperture_mean"] == pytest.approx(sigma0 * q / (2 * v * 1e5 * radius_cm), rel=0.01)
    assert co2["tau0_aperture_edge"] == pytest.approx(0.5, abs=0.05)  # the number
    assert not co2["optically_thin"] and co2["threshold"] == 0.1
    assert d["fit"]["pump_opacity"]["H2O"]["optically_thin"]  # Q 10x lower, weaker lines
    assert any(n.startswith("CO2 nu3: the pumping lines are not optically thin") for n in d["fit"]["notes"])
    assert "not optically thin" in err  # the warning on stderr
    status, out, _ = _run(capsys, "ratio", "--example")
    assert "note: CO2 nu3: the pumping lines are not optically thin" in out


def test_thin_coma_has_no_opacity_note(capsys, tmp_path):
    """A coma 100 times fainter (Q(CO2) 1.7e25): tau0 scales with Q, so it is thin and no note."""
    from independent_coma import coma_spectrum, default_lifetimes, default_velocity, write_pipeline_x1d

    spec, _ = coma_spectrum("PRISM", {"CO2": 1.7e25, "H2O": 2.2e24}, rh_au=RH, delta_au=DELTA, radius_arcsec=0.5,
                            v_km_s=default_velocity(RH), tau_1au_s=default_lifetimes(), T_rot=50.0, lo_um=2.4,
                            hi_um=5.2, continuum=_dust, error=4e-21, seed=2)
    path = write_pipeline_x1d(tmp_path / "faint_x1d.fits", spec)
    status, out, err = _run(capsys, "ratio", path, "--rh", RH, "--delta", DELTA, "--aperture-radius", "0.5",
                            "--species", "CO2,H2O", "--json")
    assert status == 0, err
    d = json.loads(out)
    co2 = d["fit"]["pump_opacity"]["CO2"]
    assert co2["optically_thin"] and co2["tau0_aperture_mean"] < 0.02
    assert not any("optically thin" in n for n in d["fit"]["notes"])


# ------------------------------------------------------------------ thermal dust continua
THERMAL_Q = {"CO2": 1.7e26, "H2O": 2.2e25}  # no CO
THERMAL_SPECIES = ["CO2", "H2O", "CO"]


def _thermal_spectrum(seed, thermal=1e-16, rh=3.0):
    """PRISM spectrum by the independent generator: scattered sunlight plus a dust continuum
    at the equilibrium temperature rising through 4-5 um (astropy BlackBody), S/N ~ 1000 on
    the continuum, no CO. Before the fix the default fit claimed CO at 5.4 sigma and turned
    H2O into a limit (CO2/H2O > 2.25 for a true 7.7)."""
    from independent_coma import coma_spectrum, default_lifetimes, default_velocity, physical_continuum

    def continuum(wl):
        return physical_continuum(wl, scattered=2e-17, thermal=thermal, slope=0.5, rh_au=rh)

    spec, _ = coma_spectrum("PRISM", THERMAL_Q, rh_au=rh, delta_au=rh - 0.5, radius_arcsec=0.5,
                            v_km_s=default_velocity(rh), tau_1au_s=default_lifetimes(), T_rot=50.0, lo_um=2.4,
                            hi_um=5.2, continuum=continuum, error=3e-20, seed=seed)
    return spec


def _fit(spec, rh=3.0, **kw):
    import warnings

    import astropy.units as u

    from comaspec import CircularAperture, Geometry, fit_coma

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_coma(spec, Geometry(rh * u.au, (rh - 0.5) * u.au), CircularAperture(0.5 * u.arcsec),
                        THERMAL_SPECIES, T_rot=50.0, **kw)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_thermal_continuum_makes_no_co_and_keeps_water(seed):
    """The default fit chooses its continuum from the data: no CO detection, H2O detected, the
    true CO2/H2O within 2 sigma of the result, and the choice recorded."""
    fit = _fit(_thermal_spectrum(seed))
    assert not fit.species["CO"].detected and abs(fit.species["CO"].snr) < 3
    assert fit.species["H2O"].detected and fit.species["H2O"].snr > 30
    ratio = fit.ratio("CO2", "H2O")
    truth = THERMAL_Q["CO2"] / THERMAL_Q["H2O"]
    assert ratio.limit is None and abs(ratio.value - truth) < 2 * ratio.err_linear
    choice = fit.fit_info["continuum_choice"]
    assert choice["default_degrees"] == {"2.7um": 3, "4.5um": 4} and choice["degrees"]["4.5um"] > 4
    assert choice["continuum"] == "physical" and choice["bic_polynomial"] - choice["bic_physical"] > 10
    assert any(n.startswith("continuum: polynomial degree raised by the data") for n in fit.fit_info["notes"])


def test_given_windows_keep_their_degrees_and_errors_inflate_per_window():
    """Windows given by the user are kept (the quartic misfits the thermal rise): the misfit
    at 4-5 um inflates CO2 and CO, not H2O at 2.7 um, so H2O stays detected (it became a
    limit under the global inflation); the note names the physical continuum. (CO absorbs
    part of the misfit, which the residuals cannot show: only the continuum choice of the
    default fit removes that false CO, as the test above shows.)"""
    from comaspec.model import default_windows

    fit = _fit(_thermal_spectrum(1), windows=default_windows(THERMAL_SPECIES), detect_sigma=3.0)
    assert fit.fit_info.get("continuum_choice") is None
    assert any("--continuum physical" in n and "4.5um" in n for n in fit.fit_info["notes"])
    inflation = fit.fit_info["error_inflation"]
    assert inflation["CO"] > 3 and inflation["CO2"] > 3 and inflation["H2O"] < 1.5
    assert fit.species["H2O"].detected and fit.ratio("CO2", "H2O").limit is None


def test_clean_spectrum_is_unchanged():
    """A scattered-light continuum (no thermal rise): the default windows stand and the fit
    is the one with the windows given explicitly, number for number."""
    from comaspec.model import default_windows

    spec = _thermal_spectrum(4, thermal=0.0)
    chosen, given = _fit(spec), _fit(spec, windows=default_windows(THERMAL_SPECIES))
    assert chosen.fit_info.get("continuum_choice") is None
    for name in ("CO2", "H2O", "CO"):
        assert chosen.species[name].band_flux == given.species[name].band_flux
        assert chosen.species[name].band_flux_err == given.species[name].band_flux_err
    assert not chosen.species["CO"].detected


def test_map_holds_the_continuum_the_aperture_fit_chose(tmp_path):
    """`map_cube` on a cube with a thermal dust coma: the aperture fit chooses the physical
    continuum, every bin uses it, and no bin shows CO."""
    import warnings

    import astropy.units as u
    import numpy as np
    from independent_coma import physical_continuum

    from comaspec import Geometry
    from comaspec.maps import map_cube

    def continuum(wl):
        return physical_continuum(wl, scattered=2e-17, thermal=1e-16, slope=0.5, rh_au=RH)

    wave, sb, err, _ = _cube("PRISM", continuum, shape=(11, 11), seed=6, noise=1e-20)
    path = _write(tmp_path, "thermal_s3d.fits", wave, sb, err)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        maps = map_cube(path, Geometry(RH * u.au, DELTA * u.au), species=["CO2", "H2O", "CO"], T_rot=50.0)
    assert maps.aperture_fit.fit_info["continuum_choice"]["continuum"] == "physical"
    assert any(n.startswith("continuum chosen by the aperture fit") for n in maps.meta["notes"])
    assert "scat_0" in maps.meta["linear_names"]
    assert not np.any(maps.detected["CO"])
