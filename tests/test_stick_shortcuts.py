"""The fit's shortcuts in the stick spectra against the slow paths they skip (equal to the bit).

* `stick_spectrum` with plain floats skips the argument checks it already passed once: same
  lines and weights as a Quantity (which goes through every check), same errors;
* the populations and direct pumping of the H2O level system are computed once per
  temperature (`fluorescence._pumped`) for its line rates and both hot bands alike;
* `molecules.bands_of` is kept per species and feature (model set-up asks it many times).
"""

import astropy.units as u
import numpy as np
import pytest

from comaspec.errors import InputError
from comaspec.physics import fluorescence as fl
from comaspec.physics.templates import stick_spectrum

BANDS = [("CO2", "nu3"), ("H2O", "nu3"), ("H2O", "nu1"), ("H2O", "nu1+nu3-nu1"), ("H2O", "nu2+nu3-nu2"),
         ("CO", "1-0")]


@pytest.mark.parametrize("species, band", BANDS)
def test_plain_floats_give_the_checked_path_s_sticks(species, band):
    for T, opr in [(47.123456789, 3.0), (61.0, 2.2)]:
        fast = stick_spectrum(species, band, T, ortho_para=opr)
        stick_spectrum(species, band, T, ortho_para=opr)   # the known band now takes the shortcut
        slow = stick_spectrum(species, band, T * u.K, ortho_para=np.float64(opr))
        again = stick_spectrum(species, band, T, ortho_para=opr)
        for a, b, c in zip(fast, slow, again):
            assert np.array_equal(a, b) and np.array_equal(a, c)


@pytest.mark.parametrize("T, opr", [(float("nan"), 3.0), (-5.0, 3.0), (0.0, 3.0), (float("inf"), 3.0),
                                    (50.0, -1.0), (50.0, float("nan"))])
def test_plain_floats_out_of_range_are_still_refused(T, opr):
    stick_spectrum("H2O", "nu3", 50.0)   # known band
    with pytest.raises(InputError):
        stick_spectrum("H2O", "nu3", T, ortho_para=opr)


def test_an_unknown_band_is_refused_after_known_ones():
    stick_spectrum("CO2", "nu3", 50.0)
    with pytest.raises(InputError, match="band"):
        stick_spectrum("CO2", "nu9", 50.0)


@pytest.mark.parametrize("T", [33.3, 58.71])
def test_shared_pumping_equals_the_direct_computation(T):
    system, a, _absolute, terms = fl._system_a("H2O", "nu3")
    n = fl._populations(system, T, 3.0, terms)
    pumping = fl._direct_pumping(n, terms)
    expected = (pumping + terms.cascade @ n)[system.upper] * a / terms.decay_line
    assert np.array_equal(fl._system_rates("H2O", "nu3", T, 3.0)[1], expected)
    for band, source in (("nu1+nu3-nu1", n), ("nu2+nu3-nu2", pumping)):
        assert np.array_equal(fl._hot_lines(band, T, 3.0)["rate"], fl._hot_terms(band)[1] @ source)


@pytest.mark.parametrize("species", ["CO2", "H2O", "CO", "OCS", "CH4"])
def test_kept_bands_of_equal_the_table(species):
    from comaspec.physics import molecules

    for feature in molecules.features_of(species):
        first, again = molecules.bands_of(species, feature), molecules.bands_of(species, feature)
        fresh = tuple(b for b in (molecules.get_band(s, name) for s, name in molecules._bands()[0] if s == species)
                      if b.feature == feature)
        assert first == again == fresh and first
    assert molecules.bands_of(species) == molecules.bands_of(species, molecules.default_feature(species))
    with pytest.raises(InputError, match="feature"):
        molecules.bands_of(species, "9.9um")
