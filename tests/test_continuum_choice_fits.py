"""How many fits the default continuum choice makes (`comaspec.fit.continuum_choice`), and
that the trial fit it returns is the fit a fresh final refit would give, field for field.

The fits are counted with a wrapper passed as ``fit_model``:

* the default degrees stand: 1 fit (2 with MC: the first fit runs without it);
* degrees raised, with geometry: the first fit, the polynomial at the chosen degrees and the
  physical continuum (3); the winner is returned as it is, no fourth fit (with MC: a fourth,
  the winner's model refitted with MC). Where the physical continuum's best shape lies on
  its bounds and its BIC is no lower than the polynomials' (`comaspec.fit.physical_screen`:
  the K2 beam), it is not fitted (2; with MC 3);
* degrees raised, no geometry (no physical continuum): the first fit and the final one (2).

Spectra: the real C/2017 K2 beam (degrees raised, the polynomials win), the independent
generator's PRISM coma with a thermal dust continuum (the physical continuum wins) and the
same without dust (the defaults stand), as in tests/test_no_wrong_answers.py.
"""

import warnings

import astropy.units as u
import numpy as np
import pytest

from comaspec.apertures import CircularAperture
from comaspec.errors import ComaspecWarning
from comaspec.fit import FitOptions, as_observed, fit_model
from comaspec.fit.continuum_choice import fit_with_chosen_degrees
from comaspec.geometry import Geometry
from comaspec.model import ForwardModel

K2_FOLDER = "c2017k2-jwst-nirspec-ch4"
K2_BEAM = "c2017k2_nirspec_g395m_beam0.75arcsec_3.25-3.33um.txt"


class _Counted:
    """``fit_model`` that records each call: (continuum, window degrees, MC draws)."""

    def __init__(self):
        self.calls = []

    def __call__(self, model, options):
        self.calls.append((model.continuum.name, tuple(w.degree for w in model.windows), options.mc))
        return fit_model(model, options)


def _problem(spectra, species, geometry, aperture):
    """(model, build) as `comaspec.fit_coma` makes them for the default windows."""
    observed = [as_observed(s) for s in spectra]

    def build(windows, continuum="polynomial"):
        return ForwardModel(observed, species, geometry, [aperture] * len(observed), windows=windows,
                            continuum=continuum)

    return build(None), build


def _k2(shared_data, geometry=True):
    from comaspec.pipeline import load_inputs, spectra_to_fit

    aperture = CircularAperture(0.75 * u.arcsec)
    spectra = spectra_to_fit(load_inputs([str(shared_data(K2_FOLDER, K2_BEAM))]), aperture, None)
    return _problem(spectra, ["CH4", "C2H6"], Geometry(2.34 * u.au, 2.04 * u.au) if geometry else None, aperture)


#: The thermal-dust cases fit at a fixed T_rot, as tests/test_no_wrong_answers.py does.
THERMAL_OPTIONS = FitOptions(T_rot=50.0)


def _thermal(thermal):
    from test_no_wrong_answers import _thermal_spectrum

    return _problem([_thermal_spectrum(1, thermal=thermal)], ["CO2", "H2O", "CO"], Geometry(3.0 * u.au, 2.5 * u.au),
                    CircularAperture(0.5 * u.arcsec))


def _fields(fit):
    """Every number and text of a ComaFit by name (the fit's choice record left out)."""
    out = {"q_names": fit.q_names, "q_values": fit.q_values, "q_covariance": fit.q_covariance,
           "q_samples": fit.q_samples, "sample_method": fit.sample_method, "inputs": fit.inputs}
    out.update({f"info.{k}": v for k, v in fit.fit_info.items() if k not in ("continuum_choice", "notes")})
    notes = fit.fit_info.get("notes", [])
    out["info.notes"] = notes[:-1] if "continuum_choice" in fit.fit_info else notes   # the last: the choice
    for name, species in fit.species.items():
        out.update({f"{name}.{k}": v for k, v in vars(species).items()})
    for i, comp in enumerate(fit.components):
        out.update({f"component{i}.{k}": v for k, v in vars(comp).items()})
    out["params"] = {n: (p.value, p.stderr) for n, p in fit.params.items()} if fit.params is not None else None
    return out


def _assert_same(a, b):
    fa, fb = _fields(a), _fields(b)
    assert fa.keys() == fb.keys()
    for key in fa:
        x, y = fa[key], fb[key]
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            assert np.array_equal(np.asarray(x), np.asarray(y), equal_nan=np.asarray(x).dtype.kind == "f"), key
        elif isinstance(x, dict) and any(isinstance(v, np.ndarray) for v in x.values()):
            assert x.keys() == y.keys(), key
            assert all(np.array_equal(x[k], y[k], equal_nan=True) for k in x), key
        else:
            assert repr(x) == repr(y), key


def _quiet(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ComaspecWarning)
        return fn(*args)


def test_k2_degrees_raised_two_fits_and_the_trial_is_the_final_fit(shared_data):
    model, build = _k2(shared_data)
    counted = _Counted()
    with pytest.warns(ComaspecWarning, match="chi2_nu") as shown:   # the K2 residuals are far above the noise
        fit = fit_with_chosen_degrees(model, FitOptions(), build, counted)
    # the physical continuum screened out (its best BIC 20030 against 4444), not fitted
    assert counted.calls == [("polynomial", (3, 4, 3), 0), ("polynomial", (3, 4, 6), 0)]
    choice = fit.fit_info["continuum_choice"]
    assert choice["continuum"] == "polynomial" and choice["degrees"]["3.3um"] == 6
    assert fit.fit_info["notes"][-1].startswith("continuum: polynomial degree raised by the data")
    # the warning of the fit returned is shown once, as the final refit showed it
    shown = _comaspec_warnings(shown)
    assert len(shown) == 1 and "chi2_nu" in shown[0]
    # a fresh fit of the winning model: the same numbers, field for field
    with pytest.warns(ComaspecWarning, match="chi2_nu") as fresh_shown:
        fresh = fit_model(build(tuple(model.windows[:2]) + (_degree(model.windows[2], 6),)), FitOptions())
    _assert_same(fit, fresh)
    assert shown == _comaspec_warnings(fresh_shown)


def _comaspec_warnings(record):
    """The texts of the ComaspecWarnings in a pytest.warns record (others, e.g. of imports, left out)."""
    return [str(w.message) for w in record if issubclass(w.category, ComaspecWarning)]


def _degree(window, degree):
    from dataclasses import replace

    return replace(window, degree=degree)


def test_k2_with_mc_refits_the_winner_once(shared_data):
    model, build = _k2(shared_data)
    counted = _Counted()
    options = FitOptions(mc=4, seed=2)
    fit = _quiet(fit_with_chosen_degrees, model, options, build, counted)
    assert counted.calls == [("polynomial", (3, 4, 3), 0), ("polynomial", (3, 4, 6), 0),
                             ("polynomial", (3, 4, 6), 4)]
    assert fit.q_samples is not None and fit.sample_method is not None


def test_k2_without_geometry_fits_twice(shared_data):
    model, build = _k2(shared_data, geometry=False)
    counted = _Counted()
    fit = _quiet(fit_with_chosen_degrees, model, FitOptions(), build, counted)
    assert counted.calls == [("polynomial", (3, 4, 3), 0), ("polynomial", (3, 4, 6), 0)]
    assert fit.fit_info["continuum_choice"]["continuum"] == "polynomial"


def test_physical_fit_that_fails_leaves_the_polynomial_trial(shared_data, monkeypatch):
    from comaspec.errors import FitError
    from comaspec.fit import continuum_choice

    monkeypatch.setattr(continuum_choice, "_screened_out", lambda *args: False)   # the trial is made
    model, build = _k2(shared_data)
    counted = _Counted()

    def no_physical(model, options):
        if model.continuum.name == "physical":
            counted.calls.append(("physical", "failed"))
            raise FitError("a physical fit that cannot be made")
        return counted(model, options)

    fit = _quiet(fit_with_chosen_degrees, model, FitOptions(), build, no_physical)
    assert counted.calls == [("polynomial", (3, 4, 3), 0), ("polynomial", (3, 4, 6), 0), ("physical", "failed")]
    assert fit.fit_info["continuum_choice"]["continuum"] == "polynomial"


def test_physical_winner_is_returned_as_fitted():
    model, build = _thermal(1e-16)
    counted = _Counted()
    fit = fit_with_chosen_degrees(model, THERMAL_OPTIONS, build, counted)
    assert counted.calls == [("polynomial", (3, 4), 0), ("polynomial", (3, 6), 0), ("physical", (3, 6), 0)]
    choice = fit.fit_info["continuum_choice"]
    assert choice["continuum"] == "physical" and choice["bic_polynomial"] - choice["bic_physical"] > 10
    _assert_same(fit, fit_model(build((model.windows[0], _degree(model.windows[1], 6)), "physical"), THERMAL_OPTIONS))


def test_defaults_stand_one_fit_or_two_with_mc():
    model, build = _thermal(0.0)
    counted = _Counted()
    fit = fit_with_chosen_degrees(model, THERMAL_OPTIONS, build, counted)
    assert counted.calls == [("polynomial", (3, 4), 0)]
    assert "continuum_choice" not in fit.fit_info
    _assert_same(fit, fit_model(build(None), THERMAL_OPTIONS))
    counted = _Counted()
    fit_with_chosen_degrees(model, FitOptions(T_rot=50.0, mc=3, seed=1), build, counted)
    assert counted.calls == [("polynomial", (3, 4), 0), ("polynomial", (3, 4), 3)]
