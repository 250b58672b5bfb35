"""CH4 injection-recovery on spectra comaspec did not make: tests/independent_coma.py builds a
G395M coma spectrum from the independent fluorescence generator's CH4 nu3 lines
(tests/fluorescence_reference.py, the whole HITRAN file, levels from energies), its own
Haser number and Gaussian LSF; comaspec fits it. Also the defaults that follow coverage."""

import warnings

import astropy.units as u
import numpy as np
import pytest

import independent_coma as ic
from comaspec.apertures import CircularAperture
from comaspec.fit import fit_coma
from comaspec.geometry import Geometry
from comaspec.model import DEFAULT_SPECIES, default_windows
from comaspec.model.species import species_covered

RH, DELTA, RADIUS, V, TAU = 2.34, 2.04, 0.75, 0.31, 53810.0


@pytest.mark.parametrize("lo,hi", [(3.20, 3.50), (3.255, 3.328)])   # whole band; the K2 span
@pytest.mark.parametrize("T_rot", [30.0, 60.0])
def test_ch4_q_and_t_rot_recovered_from_an_independent_spectrum(lo, hi, T_rot, shared_data):
    shared_data("hitran-ch4-h2o-2833-3246cm", "CH4_12CH4_2833-3246cm.data")
    q_true = 6.5e26
    spec, fluxes = ic.coma_spectrum("G395M", {"CH4": q_true}, rh_au=RH, delta_au=DELTA, radius_arcsec=RADIUS,
                                    v_km_s=V, tau_1au_s={"CH4": TAU}, T_rot=T_rot, lo_um=lo, hi_um=hi,
                                    continuum=lambda wl: 7e-16 + 1e-16 * (wl - 3.3), error=2e-18, seed=11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_coma(spec, Geometry(RH * u.au, DELTA * u.au), CircularAperture(RADIUS * u.arcsec), ["CH4"],
                       velocity=V * u.km / u.s, lifetime={"CH4": TAU * u.s})
    ch4 = fit.to_dict("CO2", "H2O")["species"]["CH4"]
    assert ch4["detected"]
    # the K2 span holds only part of the band: Q there rests on the model's band shape
    assert ch4["Q_per_s"] == pytest.approx(q_true, rel=0.01)          # found 0.1-0.2 %
    assert abs(ch4["Q_per_s"] - q_true) < 4 * ch4["Q_err_per_s"] + 0.01 * q_true
    assert ch4["T_rot_K"] == pytest.approx(T_rot, abs=1.0)            # found < 0.25 K


def test_default_windows_follow_the_species():
    names = [w.name for w in default_windows(DEFAULT_SPECIES)]
    assert names == ["2.7um", "4.5um"]                      # fits of CO2/H2O/CO unchanged
    for species in (["CH4"], ["C2H6"], ["CO2", "CH4"]):
        window = [w for w in default_windows(species) if w.name == "3.3um"]
        assert len(window) == 1 and window[0].lo_um <= 3.31 <= window[0].hi_um


def test_species_follow_coverage():
    assert species_covered([(2.87, 5.27)]) == DEFAULT_SPECIES          # a G395H spectrum
    assert species_covered([(3.2557, 3.3273)]) == ("CH4",)               # the K2 G395M span
    assert species_covered([(3.2, 3.5)]) == ("CH4", "C2H6")
    assert species_covered([(7.0, 8.0)]) == DEFAULT_SPECIES              # nothing: the fit says why
    assert np.all([isinstance(s, str) for s in species_covered([(3.2, 3.5)])])
