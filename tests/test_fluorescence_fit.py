"""Fitting with the fluorescence templates: ortho/para ratio, T_rot errors and the CLI options.

These are consistency checks: round trips through comaspec's own generator (the machinery of
the fit). The physics of the model is validated against independent data in
tests/test_fluorescence.py and tests/test_fluorescence_validation.py, which also recovers
T_rot and the ortho/para ratio from spectra of the independent generator
tests/fluorescence_reference.py (test_trot_recovered_by_fit_coma,
test_ortho_para_recovered_by_fit_coma).
"""

import json

import astropy.units as u
import numpy as np
import pytest

from comaspec.apertures import CircularAperture
from comaspec.cli import main
from comaspec.errors import InputError
from comaspec.fit import fit_coma
from comaspec.geometry import Geometry
from comaspec.synthetic import synthetic_spectrum

GEO = Geometry(2.4 * u.au, 2.0 * u.au)
AP = CircularAperture(0.5 * u.arcsec)
FLAM = u.W / u.m**2 / u.um
Q = {"CO2": 1e27, "H2O": 1e27, "CO": 3e26}
TRUE_OPR = 2.5
TRUE_T = 35.0


def _continuum(wl):
    return 3e-17 * (wl / 3.5) ** -1.2


def _high_resolution(seed, noise=(6e-17, 3e-17)):
    """G235H + G395H spectra at OPR 2.5: H2O 2.7 um at SNR ~ 40, lines resolved."""
    return [synthetic_spectrum(mode, Q, GEO, AP, T_rot=TRUE_T, error=sigma * FLAM, seed=seed + 100 * i,
                               ortho_para=TRUE_OPR, continuum=_continuum)
            for i, (mode, sigma) in enumerate(zip(("G235H", "G395H"), noise))]


def test_fitted_ortho_para_is_recovered_with_a_sensible_error_at_g235h_g395h():
    """Measured on 12 draws: mean pull -0.3, scatter 0.7, error 0.12-0.15 at H2O SNR ~ 43."""
    pulls = []
    for seed in range(6):
        fit = fit_coma(_high_resolution(seed), GEO, AP, ortho_para="fit")
        opr, err = fit.fit_info["ortho_para"], fit.fit_info["ortho_para_err"]
        assert fit.fit_info["ortho_para_fitted"] is True
        assert err is not None and 0.05 < err < 0.3
        pulls.append((opr - TRUE_OPR) / err)
        h2o = fit.species["H2O"]
        assert abs(h2o.T_rot - TRUE_T) < 4 * h2o.extra["T_rot_err_K"]
    pulls = np.array(pulls)
    assert np.all(np.abs(pulls) < 3.5), pulls
    assert abs(pulls.mean()) < 1.0, pulls


def test_fixed_ortho_para_is_reported_as_fixed():
    fit = fit_coma(_high_resolution(1), GEO, AP, T_rot=TRUE_T, ortho_para=2.5)
    assert fit.fit_info["ortho_para"] == 2.5 and fit.fit_info["ortho_para_fitted"] is False
    assert fit.fit_info["ortho_para_err"] is None
    assert "H2O ortho/para = 2.5 (fixed)" in fit.summary()


@pytest.mark.parametrize("bad", ["half", -1.0, 0.0, float("nan")])
def test_bad_ortho_para_is_input_error(bad):
    with pytest.raises(InputError, match="ortho_para"):
        fit_coma(_high_resolution(1), GEO, AP, ortho_para=bad)


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental here: a misfit or pump-opacity note
def test_emission_model_is_recorded_and_thermal_is_available():
    spectra = _high_resolution(2)
    fluo = fit_coma(spectra, GEO, AP, T_rot=TRUE_T)
    thermal = fit_coma(spectra, GEO, AP, T_rot=TRUE_T, emission="thermal")
    assert fluo.fit_info["emission"] == "fluorescence" and thermal.fit_info["emission"] == "thermal"
    # the data are fluorescence: the matching model describes them, the thermal one does not
    assert fluo.chi2_reduced < 1.3 < thermal.chi2_reduced
    with pytest.raises(InputError, match="emission"):
        fit_coma(spectra, GEO, AP, emission="lte")


def _write_g395h(tmp_path, seed=4):
    path = tmp_path / "coma_g395h_x1d.fits"
    synthetic_spectrum("G395H", Q, GEO, AP, T_rot=TRUE_T, error=3e-18 * FLAM, seed=seed, ortho_para=TRUE_OPR,
                       continuum=_continuum, path=path)
    return path


def test_cli_opr_fit_and_emission_in_json(tmp_path, capsys):
    path = _write_g395h(tmp_path)
    args = ["ratio", str(path), "--rh", "2.4", "--delta", "2.0", "--aperture-radius", "0.5"]
    assert main(args + ["--opr", "fit", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["fit"]["emission"] == "fluorescence" and d["fit"]["ortho_para_fitted"] is True
    assert d["fit"]["ortho_para_err"] > 0
    assert abs(d["fit"]["ortho_para"] - TRUE_OPR) < 4 * d["fit"]["ortho_para_err"]
    assert main(args + ["--emission", "thermal"]) == 0
    out = capsys.readouterr().out
    assert "model: thermal emission" in out and "T_rot = " in out


@pytest.mark.parametrize("value", ["two", "-3", "0", "inf"])
def test_cli_bad_opr_is_one_line_exit_2(tmp_path, capsys, value):
    path = _write_g395h(tmp_path)
    status = main(["ratio", str(path), "--rh", "2.4", "--delta", "2.0", "--aperture-radius", "0.5",
                   "--opr", value])
    err = capsys.readouterr().err
    assert status == 2 and "--opr" in err and len(err.strip().splitlines()) == 1
