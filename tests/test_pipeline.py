"""``comaspec.pipeline``: the per-observation call shared by ``ratio`` and ``batch``.

Each product is fitted once through `fit_files` and once by the documented manual steps
(read, extract or average, `fit_coma`); the results must be the same numbers. These are
consistency checks by design (the values themselves are tested against independent spectra
and cubes in test_fit, test_validation and test_cli_ratio); the averaging of integrations is
also checked against the closed form sigma / sqrt(3).
"""

import json

import astropy.units as u
import numpy as np
import pytest

from comaspec.apertures import CircularAperture
from comaspec.cli import main
from comaspec.fit import fit_coma
from comaspec.geometry import Geometry
from comaspec.io import average_integrations, extract_spectrum, read_cube, read_spectrum
from comaspec.pipeline import fit_files
from comaspec.synthetic import synthetic_cube, synthetic_spectrum

GEO = Geometry(3.32 * u.au, 2.61 * u.au)
AP = CircularAperture(0.5 * u.arcsec)
FLAM = u.W / u.m**2 / u.um
TRUTH = {"CO2": 1.7e27, "H2O": 2.2e26}
SPECIES = ["CO2", "H2O"]


def _continuum(wl):
    return 5e-17 * (wl / 3.5) ** -1.5


def _numbers(fit):
    d = fit.to_dict()
    return d["species"], d["ratio"], d["fit"]["chi2"]


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental here: a misfit or pump-opacity note
def test_x1d_same_as_fit_coma_and_as_the_command(tmp_path, capsys):
    path = tmp_path / "x1d.fits"
    synthetic_spectrum("PRISM", TRUTH, GEO, AP, T_rot=50.0, error=4e-19 * FLAM, continuum=_continuum,
                       seed=5, path=path)
    fit = fit_files([str(path)], GEO, AP, SPECIES, T_rot=50.0)
    manual = fit_coma(read_spectrum(path), GEO, AP, SPECIES, T_rot=50.0)
    assert _numbers(fit) == _numbers(manual)
    assert fit.inputs["paths"] == [str(path)]
    assert main(["ratio", str(path), "--rh", "3.32", "--delta", "2.61", "--aperture-radius", "0.5",
                 "--species", "CO2,H2O", "--trot", "50", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(fit.to_dict()))


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental here: a misfit or pump-opacity note
def test_cube_is_extracted_through_the_aperture(tmp_path):
    path = tmp_path / "s3d.fits"
    synthetic_cube("PRISM", TRUTH, GEO, T_rot=50.0, error_per_spaxel=2e-20 * FLAM, continuum=_continuum,
                   shape=(11, 11), seed=3, path=path)
    fit = fit_files([path], GEO, AP, SPECIES, T_rot=50.0)
    manual = fit_coma(extract_spectrum(read_cube(path), AP), GEO, AP, SPECIES, T_rot=50.0)
    assert _numbers(fit) == _numbers(manual)


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental here: a misfit or pump-opacity note
def test_x1dints_are_averaged(tmp_path):
    from test_io_builders import write_x1dints

    spectra = [synthetic_spectrum("PRISM", TRUTH, GEO, AP, T_rot=50.0, error=8e-19 * FLAM,
                                  continuum=_continuum, seed=seed) for seed in (1, 2, 3)]
    wave = spectra[0].spectral_axis.to_value(u.um)
    path = write_x1dints(tmp_path / "ints_x1dints.fits", np.array([s.flux.to_value(u.Jy) for s in spectra]),
                         np.array([s.uncertainty.array for s in spectra]), wave)
    fit = fit_files([path], GEO, AP, SPECIES, T_rot=50.0)
    manual = fit_coma(average_integrations(read_spectrum(path)), GEO, AP, SPECIES, T_rot=50.0)
    assert _numbers(fit) == _numbers(manual)
    # three integrations averaged: the band errors are those of one integration / sqrt(3)
    single = fit_coma(spectra[0], GEO, AP, SPECIES, T_rot=50.0)
    assert fit.species["CO2"].Q_err == pytest.approx(single.species["CO2"].Q_err / np.sqrt(3), rel=0.05)


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental here: a misfit or pump-opacity note
def test_default_cube_aperture_lives_in_the_api(tmp_path, capsys):
    from comaspec.errors import UsageError
    from comaspec.pipeline import DEFAULT_CUBE_APERTURE_ARCSEC, fit_loaded, load_inputs

    cube = tmp_path / "s3d.fits"
    synthetic_cube("PRISM", TRUTH, GEO, T_rot=50.0, error_per_spaxel=2e-20 * FLAM, continuum=_continuum,
                   shape=(11, 11), seed=4, path=cube)
    loaded = load_inputs([cube])
    # no aperture: a cube gets the documented circle (0.5 arcsec), as 'comaspec ratio' gives it
    assert DEFAULT_CUBE_APERTURE_ARCSEC == 0.5
    by_default = fit_loaded(loaded, GEO, None, SPECIES, T_rot=50.0)
    explicit = fit_loaded(loaded, GEO, CircularAperture(0.5 * u.arcsec), SPECIES, T_rot=50.0)
    assert _numbers(by_default) == _numbers(explicit)
    assert main(["ratio", str(cube), "--rh", "3.32", "--delta", "2.61", "--species", "CO2,H2O", "--trot", "50",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["species"] == json.loads(json.dumps(by_default.to_dict()))["species"]
    # a spectrum has no default aperture: the API says so instead of guessing
    x1d = tmp_path / "x1d.fits"
    synthetic_spectrum("PRISM", TRUTH, GEO, AP, T_rot=50.0, error=4e-19 * FLAM, continuum=_continuum, seed=5,
                       path=x1d)
    with pytest.raises(UsageError, match="aperture"):
        fit_loaded(load_inputs([x1d]), GEO, None, SPECIES, T_rot=50.0)
