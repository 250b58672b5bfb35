"""13CO2 in the fit: no published g-factor, so Q uses the computed fluorescence g-factor.

A 13CO2 band is injected with comaspec.synthetic at a known Q (the synthetic generator turns
Q into a flux with the default g-factor of bands.ecsv, which for 13CO2 is the computed
fluorescence-equilibrium value, source FLU). The fit must recover the band flux and Q within
their errors and say that the g-factor is computed, not published.
"""

import json

import astropy.units as u
import numpy as np
import pytest

from comaspec import fluorescence, molecules, production
from comaspec.apertures import CircularAperture
from comaspec.cli import main
from comaspec.fit import fit_coma
from comaspec.geometry import Geometry
from comaspec.synthetic import synthetic_spectrum

GEO = Geometry(3.32 * u.au, 2.61 * u.au, 17 * u.deg)
AP = CircularAperture(0.5 * u.arcsec)
FLAM = u.W / u.m**2 / u.um
Q = {"CO2": 1.7e27, "H2O": 2.2e26, "13CO2": 1.7e27 / 50}


def _continuum(wl):
    return 5e-17 * (wl / 3.5) ** -1.5


def _injected_flux():
    per_q = production.flux_per_unit_Q("13CO2", "nu3", GEO, AP)
    return float((Q["13CO2"] / u.s * per_q).to_value(u.W / u.m**2))


def _spectrum(path=None, seed=3):
    return synthetic_spectrum("PRISM", Q, GEO, AP, T_rot=50.0, error=5e-19 * FLAM, seed=seed,
                              continuum=_continuum, path=path)


def test_13co2_default_g_is_the_computed_fluorescence_value():
    band = molecules.get_band("13CO2", "nu3")
    assert band.g_source == "FLU" and band.verified == "computed"
    computed = fluorescence.band_g_factor("13CO2", "nu3", 50.0).to_value(1 / u.s)
    assert band.g_1au == pytest.approx(computed, rel=5e-4)
    # no published value is hidden behind it: the "none" row is still there, not default
    assert "none" in molecules.g_factor_sources("13CO2", "nu3")


def test_fit_reports_injected_13co2_band_flux_and_q():
    fit = fit_coma(_spectrum(), GEO, AP, species=("CO2", "13CO2", "H2O"))
    s13 = fit.species["13CO2"]
    truth = _injected_flux()
    assert s13.covered and s13.feature == "4.38um"
    assert s13.band_flux_err > 0 and truth / s13.band_flux_err > 10   # a real detection
    assert abs(s13.band_flux - truth) < 3 * s13.band_flux_err
    assert s13.Q is not None and abs(s13.Q - Q["13CO2"]) < 3 * s13.Q_err
    assert s13.extra["g_factor_source"] == "FLU"
    assert abs(fit.species["CO2"].Q - Q["CO2"]) < 3 * fit.species["CO2"].Q_err


def test_cli_ratio_gives_13co2_q_with_its_g_source(tmp_path, capsys):
    path = tmp_path / "coma13_x1d.fits"
    _spectrum(path=path, seed=5)
    status = main(["ratio", str(path), "--rh", "3.32", "--delta", "2.61", "--phase", "17",
                   "--aperture-radius", "0.5", "--species", "CO2,13CO2,H2O", "--json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    d = json.loads(out)["species"]["13CO2"]
    assert d["covered"] is True
    truth = _injected_flux()
    assert abs(d["band_flux_W_m2"] - truth) < 3 * d["band_flux_err_W_m2"]
    assert abs(d["Q_per_s"] - Q["13CO2"]) < 3 * d["Q_err_per_s"]
