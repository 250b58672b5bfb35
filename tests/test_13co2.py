"""13CO2 in the fit: no published g-factor, so Q uses the computed fluorescence g-factor.

The 13CO2 band is injected with the independent fluorescence generator
``tests/fluorescence_reference.py`` (HITRAN 13CO2 lines and the E490 Sun, no comaspec
physics) at a known Q: N = Q (N/Q) from the Haser model (validated in tests/test_haser.py)
with the tabulated velocity and lifetime, line fluxes N g h c nu / (4 pi Delta^2 rh^2) with
the reference's own g. CO2 and H2O come from comaspec's generator (comaspec.synthetic): the
CO2 check below is only a consistency check that the 13CO2 band does not disturb it. The fit
must recover the 13CO2 band flux and Q within their errors and say that the g-factor is
computed, not published.
"""

import json

import astropy.units as u
import pytest

import fluorescence_reference as ref
from comaspec.physics import fluorescence, haser, instrument, molecules
from comaspec.apertures import CircularAperture
from comaspec.cli import main
from comaspec.fit import fit_coma
from comaspec.geometry import Geometry
from comaspec.synthetic import synthetic_spectrum

GEO = Geometry(3.32 * u.au, 2.61 * u.au, 17 * u.deg)
AP = CircularAperture(0.5 * u.arcsec)
FLAM = u.W / u.m**2 / u.um
Q = {"CO2": 1.7e27, "H2O": 2.2e26}
Q13 = 1.7e27 / 50
T_ROT = 50.0
RANGE_13CO2 = (2200.0, 2320.0)  # the shared HITRAN 13CO2 subset, cm^-1


@pytest.fixture(autouse=True)
def _need_shared(shared_data):
    for folder in ("hitran-co2-co-radis", "hitran-linelists-spectr"):
        shared_data(folder, "SOURCE.md")


def _continuum(wl):
    return 5e-17 * (wl / 3.5) ** -1.5


def _reference_lines():
    """(nu cm^-1, line flux W m^-2) of the injected 13CO2 band, from the reference generator."""
    rh, delta = GEO.rh.to_value(u.au), GEO.delta.to_value(u.au)
    radius_km = (GEO.delta * AP.radius.to_value(u.rad)).to_value(u.km)
    v = molecules.expansion_velocity(GEO.rh).to_value(u.km / u.s)
    tau = molecules.lifetime("13CO2").to_value(u.s) * rh**2
    n = Q13 * float(haser.number_circle(radius_km, 1.0, v, tau))
    nu, g = ref.sticks("13CO2", T_ROT, lo_cm=RANGE_13CO2[0], hi_cm=RANGE_13CO2[1])
    return nu, ref.line_fluxes(nu, g, n, rh, delta)


def _injected_flux():
    return float(_reference_lines()[1].sum())


def _spectrum(path=None, seed=3):
    nu, flux = _reference_lines()
    lsf = instrument.make_lsf("PRISM")
    return synthetic_spectrum("PRISM", Q, GEO, AP, T_rot=T_ROT, error=5e-19 * FLAM, seed=seed,
                              continuum=lambda wl: _continuum(wl) + ref.spectrum(wl, nu, flux, lsf),
                              path=path)


def test_13co2_default_g_is_the_computed_fluorescence_value():
    """The tabulated value is comaspec's own fluorescence g (a consistency check of the table)
    and, independently, the reference generator's 13CO2 band g within 1 % (measured 0.15 %)."""
    band = molecules.get_band("13CO2", "nu3")
    assert band.g_source == "FLU" and band.verified == "computed"
    computed = fluorescence.band_g_factor("13CO2", "nu3", 50.0).to_value(1 / u.s)
    assert band.g_1au == pytest.approx(computed, rel=5e-4)
    assert band.g_1au == pytest.approx(ref.band_g_factor("13CO2", 50.0, *RANGE_13CO2), rel=0.01)
    # no published value is hidden behind it: the "none" row is still there, not default
    assert "none" in molecules.g_factor_sources("13CO2", "nu3")


def test_fit_reports_injected_13co2_band_flux_and_q():
    fit = fit_coma(_spectrum(), GEO, AP, species=("CO2", "13CO2", "H2O"))
    s13 = fit.species["13CO2"]
    truth = _injected_flux()
    assert s13.covered and s13.feature == "4.38um"
    assert s13.band_flux_err > 0 and truth / s13.band_flux_err > 10   # a real detection
    assert abs(s13.band_flux - truth) < 3 * s13.band_flux_err
    assert s13.Q is not None and abs(s13.Q - Q13) < 3 * s13.Q_err
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
    assert abs(d["Q_per_s"] - Q13) < 3 * d["Q_err_per_s"]
