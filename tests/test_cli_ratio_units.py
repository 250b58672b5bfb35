"""``comaspec ratio --unit / --wavelength-unit``: tables whose header gives no unit.

The spectrum is made by tests/independent_coma.py (not by comaspec's model); the same numbers
are written once with their units in the header and once without, so the two fits must agree.
"""

import json

import astropy.units as u
import numpy as np
import pytest
from astropy.table import QTable

from comaspec.cli import main

Q_TRUE = {"CO2": 1.7e27, "H2O": 2.2e26}
GEO_ARGS = ["--rh", "3.32", "--delta", "2.61", "--aperture-radius", "0.5", "--mode", "PRISM",
            "--species", "CO2,H2O", "--trot", "50", "--velocity", "0.5"]


def _continuum(wl):
    return 5e-17 * (wl / 3.5) ** -1.5


@pytest.fixture(scope="module")
def coma():
    """Wavelength (um), flux and error (Jy) of a PRISM coma spectrum made independently of comaspec."""
    from independent_coma import coma_spectrum, default_lifetimes

    spec, _ = coma_spectrum("PRISM", Q_TRUE, rh_au=3.32, delta_au=2.61, radius_arcsec=0.5, v_km_s=0.5,
                            tau_1au_s=default_lifetimes(), T_rot=50.0, lo_um=2.4, hi_um=5.2,
                            continuum=_continuum, error=4e-19, seed=2)
    wl = spec.spectral_axis
    to_jy = u.spectral_density(wl)
    return wl.to_value(u.um), spec.flux.to_value(u.Jy, to_jy), spec.uncertainty.quantity.to_value(u.Jy, to_jy)


def _plain_csv(path, columns, names):
    np.savetxt(path, np.c_[columns], delimiter=",", header=",".join(names), comments="", fmt="%.17g")
    return path


def _run(capsys, *args):
    try:
        status = main(["ratio", *map(str, args)])
    except SystemExit as exc:  # argparse's own errors
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def _q(capsys, *args):
    status, out, err = _run(capsys, *args, *GEO_ARGS, "--json")
    assert status == 0, err
    d = json.loads(out)
    return {name: d["species"][name]["Q_per_s"] for name in Q_TRUE}


def test_units_given_on_the_command_line_fit_as_units_in_the_header(capsys, tmp_path, coma):
    wl, flux, err = coma
    with_units = tmp_path / "with_units.ecsv"
    QTable({"wavelength": wl * u.um, "flux": flux * u.Jy, "error": err * u.Jy}).write(with_units)
    plain = _plain_csv(tmp_path / "plain.csv", (wl, flux, err), ("wavelength", "flux", "error"))
    # the same numbers in nm and mJy: the units given must be applied, not merely accepted
    scaled = _plain_csv(tmp_path / "scaled.csv", (wl * 1e3, flux * 1e3, err * 1e3), ("wavelength", "flux", "error"))

    q_header = _q(capsys, with_units)
    q_cli = _q(capsys, plain, "--unit", "Jy", "--wavelength-unit", "um")
    q_scaled = _q(capsys, scaled, "--unit", "mJy", "--wavelength-unit", "nm")
    for name, q_true in Q_TRUE.items():
        assert q_cli[name] == pytest.approx(q_header[name], rel=1e-9)
        assert q_scaled[name] == pytest.approx(q_header[name], rel=1e-6)
        assert q_header[name] == pytest.approx(q_true, rel=0.1)  # and the fit finds the injected coma


def test_a_unit_given_overrides_the_header_as_read_spectrum_does(capsys, tmp_path, coma):
    wl, flux, err = coma
    # header says mJy, numbers are Jy: --unit Jy overrides it (documented in docs/cli_ratio.rst)
    wrong_header = _plain_csv(tmp_path / "wrong.csv", (wl, flux, err), ("wavelength (um)", "flux (mJy)", "error (mJy)"))
    right_header = _plain_csv(tmp_path / "right.csv", (wl, flux, err), ("wavelength (um)", "flux (Jy)", "error (Jy)"))
    q_right = _q(capsys, right_header)
    q_override = _q(capsys, wrong_header, "--unit", "Jy")
    for name in Q_TRUE:
        assert q_override[name] == pytest.approx(q_right[name], rel=1e-9)


def test_a_missing_unit_names_the_options(capsys, tmp_path, coma):
    wl, flux, err = coma
    plain = _plain_csv(tmp_path / "plain.csv", (wl, flux, err), ("wavelength", "flux", "error"))
    status, out, err_text = _run(capsys, plain, *GEO_ARGS)
    assert status == 2 and out == ""
    assert err_text.count("\n") == 1 and err_text.startswith(f"comaspec ratio: error: {plain}: ")
    assert "no unit for wavelength column 'wavelength'" in err_text
    assert "comaspec info or ratio: --wavelength-unit um" in err_text
    status, out, err_text = _run(capsys, plain, *GEO_ARGS, "--wavelength-unit", "um")
    assert status == 2 and out == "" and err_text.count("\n") == 1
    assert "no unit for flux column 'flux'" in err_text and "comaspec info or ratio: --unit Jy" in err_text


@pytest.mark.parametrize(("option", "value", "words"), [("--unit", "m", "flux unit"),
                                                        ("--unit", "nonsense", "flux override (--unit)"),
                                                        ("--wavelength-unit", "Jy", "wavelength unit"),
                                                        ("--wavelength-unit", "xx", "wavelength override "
                                                         "(--wavelength-unit)")])
def test_a_wrong_unit_is_one_line(capsys, tmp_path, coma, option, value, words):
    wl, flux, err = coma
    plain = _plain_csv(tmp_path / "plain.csv", (wl, flux, err), ("wavelength", "flux", "error"))
    other = {"--unit": ["--wavelength-unit", "um"], "--wavelength-unit": ["--unit", "Jy"]}[option]
    output = tmp_path / "result.json"
    status, out, err_text = _run(capsys, plain, *GEO_ARGS, option, value, *other, "--output", output)
    assert status == 2 and out == "" and not output.exists()
    assert err_text.count("\n") == 1 and err_text.startswith("comaspec ratio: error: ")
    assert value in err_text and words in err_text


def test_pipeline_products_and_the_example_refuse_a_unit(capsys, tmp_path):
    from independent_coma import coma_spectrum, default_lifetimes, write_pipeline_x1d

    spec, _ = coma_spectrum("PRISM", Q_TRUE, rh_au=3.32, delta_au=2.61, radius_arcsec=0.5, v_km_s=0.5,
                            tau_1au_s=default_lifetimes(), T_rot=50.0, lo_um=2.4, hi_um=5.2,
                            continuum=_continuum, error=4e-19)
    x1d = write_pipeline_x1d(tmp_path / "coma_x1d.fits", spec)
    status, out, err_text = _run(capsys, x1d, *GEO_ARGS, "--unit", "Jy")
    assert status == 2 and out == "" and err_text.count("\n") == 1
    assert "state their units" in err_text and "--unit" in err_text
    status, out, err_text = _run(capsys, "--example", "--unit", "Jy")
    assert status == 2 and out == "" and err_text.count("\n") == 1 and "--example" in err_text


def test_help_lists_both_options(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["ratio", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert "--unit UNIT" in text and "--wavelength-unit UNIT" in text


def test_cubes_ignore_the_unit_as_read_any_does(tmp_path):
    from test_io_builders import write_s3d

    from comaspec.pipeline import load_inputs

    sci = np.random.default_rng(3).normal(5.0, 1.0, (60, 7, 8))
    cube_path = write_s3d(tmp_path / "cube_s3d.fits", sci, err=np.ones_like(sci))
    [(_, plain, is_cube)] = load_inputs([cube_path])
    [(_, given, _)] = load_inputs([cube_path], unit={"flux": "Jy", "wavelength": "nm"})
    assert is_cube and given.bunit == plain.bunit
    assert np.array_equal(given.wavelength, plain.wavelength) and np.array_equal(given.flux, plain.flux)
