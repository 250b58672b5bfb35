"""The fit's caches and fast samplers against the slow paths they replace.

* template columns from the cached pixel-integration structure (`comaspec.model.line_pixels`)
  against the direct integration of every line (`ForwardModel.cache_line_pixels = False`);
* a whole fit with and without that cache (results to 1e-6 sigma).
"""

import astropy.units as u
import numpy as np
import pytest

from comaspec.apertures import CircularAperture
from comaspec.fit import FitOptions, as_observed, fit_model
from comaspec.geometry import Geometry
from comaspec.instrument import TabulatedLSF
from comaspec.model import ForwardModel
from comaspec.synthetic import synthetic_spectrum

GEO = Geometry(3.32 * u.au, 2.61 * u.au, 17 * u.deg)
AP = CircularAperture(0.5 * u.arcsec)
Q = {"CO2": 1.7e27, "H2O": 2.2e26, "CO": 1e26}
CONT = {"scattered": 1.2e-16, "slope": 0.5, "thermal": 2e-19}


def _spectra(modes, seed=0):
    return [synthetic_spectrum(m, Q, GEO, AP, T_rot=50.0, error=2e-19 * u.W / u.m**2 / u.um, continuum=CONT,
                               seed=seed + k, shift_um=2e-4) for k, m in enumerate(modes)]


def _model(spectra, cached, lsf=None):
    model = ForwardModel([as_observed(s, lsf=lsf) for s in spectra], list(Q), GEO, [AP] * len(spectra))
    model.cache_line_pixels = cached
    return model


@pytest.mark.parametrize("modes", [["PRISM"], ["G395H"], ["G235H", "G395H"]])
def test_cached_columns_equal_direct_integration(modes):
    spectra = _spectra(modes)
    fast, slow = _model(spectra, True), _model(spectra, False)
    n_sp = len(fast.fitted_species)
    # hot first (the structure then holds more lines than needed), then cool, shifts in and
    # beyond the default bound (the structure must grow), a changed ortho/para ratio
    for T, shift, opr in [(160.0, 0.0, 3.0), (50.0, 0.0, 3.0), (51.3, 3e-4, 3.0), (20.0, -2e-3, 2.2),
                          (51.3, 3e-4, 3.0), (300.0, 1e-5, 3.0)]:
        T_rot = {s: T for s in fast.fitted_species}
        a = fast.design(T_rot, [shift] * len(spectra), ortho_para=opr)[:, :n_sp]
        b = slow.design(T_rot, [shift] * len(spectra), ortho_para=opr)[:, :n_sp]
        assert np.abs(a - b).max(axis=0) == pytest.approx(0.0, abs=1e-12 * np.abs(b).max())
    assert fast._band_pixels and not slow._band_pixels


def test_cached_columns_with_a_tabulated_lsf():
    x = np.linspace(-2.0, 2.0, 41)
    lsf = TabulatedLSF(x, np.exp(-0.5 * (x / 0.5) ** 2) * (1 + 0.3 * x), resolving_power="G395H")
    spectra = _spectra(["G395H"])
    fast, slow = _model(spectra, True, lsf), _model(spectra, False, lsf)
    for T, shift in [(40.0, 0.0), (40.0, 2e-4), (90.0, -1e-4)]:
        T_rot = {s: T for s in fast.fitted_species}
        a, b = fast.design(T_rot, [shift]), slow.design(T_rot, [shift])
        assert np.abs(a - b).max() <= 1e-12 * np.abs(b).max()


def _flux_and_errors(fit):
    return {s: (v.band_flux, v.band_flux_err, v.T_rot) for s, v in fit.species.items() if v.covered}


@pytest.mark.parametrize("modes", [["PRISM"], ["G235H", "G395H"]])
def test_fit_with_and_without_the_cache(modes):
    spectra = _spectra(modes, seed=7)
    fits = [fit_model(_model(spectra, cached), FitOptions()) for cached in (True, False)]
    fast, slow = (_flux_and_errors(f) for f in fits)
    for s, (flux, err, T) in slow.items():
        assert abs(fast[s][0] - flux) < 1e-6 * err
        assert fast[s][1] == pytest.approx(err, rel=1e-6)
        assert fast[s][2] == pytest.approx(T, abs=1e-6)
    assert fits[0].fit_info["nfev"] == fits[1].fit_info["nfev"]
