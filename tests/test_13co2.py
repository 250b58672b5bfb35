"""13CO2 in the fit: with a template but no published g-factor, it is a band flux (no Q).

A 13CO2 band of known flux is injected with comaspec.synthetic (the synthetic generator
needs a g-factor to turn a production rate into a flux: the test passes one, and the injected
flux is Q * flux_per_unit_Q with that g). The fit, which has no g-factor for 13CO2, must
report the band flux, recover it within its error, and give no production rate.
"""

import json

import astropy.units as u
import numpy as np
import pytest

from comaspec import molecules, production
from comaspec.apertures import CircularAperture
from comaspec.cli import main
from comaspec.fit import fit_coma
from comaspec.geometry import Geometry
from comaspec.synthetic import synthetic_spectrum

GEO = Geometry(3.32 * u.au, 2.61 * u.au, 17 * u.deg)
AP = CircularAperture(0.5 * u.arcsec)
FLAM = u.W / u.m**2 / u.um
Q = {"CO2": 1.7e27, "H2O": 2.2e26, "13CO2": 1.7e27 / 50}
# Only sets the injected flux (no physical claim): the 12CO2 g-factor of bands.ecsv.
G_INJECT = molecules.g_factor("CO2", "nu3")


def _continuum(wl):
    return 5e-17 * (wl / 3.5) ** -1.5


def _injected_flux():
    per_q = production.flux_per_unit_Q("13CO2", "nu3", GEO, AP, g_factor=G_INJECT)
    return float((Q["13CO2"] / u.s * per_q).to_value(u.W / u.m**2))


def _spectrum(path=None, seed=3):
    return synthetic_spectrum("PRISM", Q, GEO, AP, T_rot=50.0, error=5e-19 * FLAM, seed=seed,
                              g_factor={"13CO2": G_INJECT}, continuum=_continuum, path=path)


def test_13co2_has_no_published_g_factor():
    # the premise of this file: if a g-factor is adopted one day, Q should be reported
    assert not np.isfinite(molecules.get_band("13CO2", "nu3").g_1au)


def test_fit_reports_injected_13co2_band_flux_without_q():
    fit = fit_coma(_spectrum(), GEO, AP, species=("CO2", "13CO2", "H2O"))
    s13 = fit.species["13CO2"]
    truth = _injected_flux()
    assert s13.covered and s13.feature == "4.38um"
    assert s13.Q is None
    assert s13.band_flux_err > 0 and truth / s13.band_flux_err > 10   # a real detection
    assert abs(s13.band_flux - truth) < 3 * s13.band_flux_err
    assert any("13CO2" in note and "band flux only" in note for note in fit.fit_info["notes"])
    # the other species still get production rates
    assert abs(fit.species["CO2"].Q - Q["CO2"]) < 3 * fit.species["CO2"].Q_err


def test_cli_ratio_lists_13co2_as_band_flux(tmp_path, capsys):
    path = tmp_path / "coma13_x1d.fits"
    _spectrum(path=path, seed=5)
    status = main(["ratio", str(path), "--rh", "3.32", "--delta", "2.61", "--phase", "17",
                   "--aperture-radius", "0.5", "--species", "CO2,13CO2,H2O", "--json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    d = json.loads(out)["species"]["13CO2"]
    assert d["covered"] is True and d["Q_per_s"] is None
    truth = _injected_flux()
    assert abs(d["band_flux_W_m2"] - truth) < 3 * d["band_flux_err_W_m2"]
