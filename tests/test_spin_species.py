"""Spin species as data (linelists/spin_species.ecsv, comaspec.physics.spin), and the level
systems and fit windows named by linelists/bands.ecsv."""

import numpy as np
import pytest
from astropy.table import Table
from conftest import REPO_ROOT

from comaspec import InputError
from comaspec.physics import fluorescence, spin, templates
from comaspec.physics.fluorescence import DEFAULT_ORTHO_PARA


def _table(name):
    return Table.read(REPO_ROOT / "linelists" / name, format="ascii.ecsv")


def test_h2o_has_ortho_and_para_with_weights_3_and_1():
    assert spin.spin_species("H2O") == ("ortho", "para")
    np.testing.assert_array_equal(spin.nuclear_spin_weights("H2O"), [3.0, 1.0])
    # the default ortho/para ratio is the high-temperature limit, the ratio of the weights
    w = spin.nuclear_spin_weights("H2O")
    assert DEFAULT_ORTHO_PARA == w[0] / w[1]
    np.testing.assert_allclose(spin.fractions("H2O"), spin.fractions("H2O", DEFAULT_ORTHO_PARA), rtol=1e-15)


@pytest.mark.parametrize("opr", [0.0, 0.5, 2.4, 3.0])
def test_the_ortho_para_facade_gives_fractions_in_that_ratio(opr):
    f_ortho, f_para = spin.fractions("H2O", opr)
    assert f_ortho + f_para == pytest.approx(1.0, rel=1e-15)
    assert f_ortho == pytest.approx(opr * f_para, rel=1e-14, abs=1e-300)


def test_molecules_with_spin_weights_in_g_have_no_spin_species():
    for species in ("CO2", "CO", "CH4", "C2H6"):
        assert spin.spin_species(species) == ()
        assert spin.fractions(species, 3.0).size == 0


def test_each_spin_species_is_normalised_alone():
    rng = np.random.default_rng(1)
    boltzmann = rng.uniform(0.0, 5.0, 40)
    boltzmann[:3] = 0.0                          # levels not counted
    level = rng.integers(0, 3, 40)
    weights = np.array([0.5, 0.3, 0.2])
    n = spin.combine_populations(boltzmann, level, weights)
    for i in range(3):
        assert n[level == i].sum() == pytest.approx(weights[i], rel=1e-13)
        # within a spin species the populations keep their Boltzmann proportions
        ratio = n[level == i][boltzmann[level == i] > 0] / boltzmann[level == i][boltzmann[level == i] > 0]
        np.testing.assert_allclose(ratio, ratio[0], rtol=1e-13)
    # a spin species without a populated level contributes nothing
    n = spin.combine_populations(np.where(level == 2, 0.0, boltzmann), level, weights)
    assert n[level == 2].sum() == 0.0 and n.sum() == pytest.approx(0.8, rel=1e-13)


@pytest.mark.parametrize("opr", [1.0, 3.0])
def test_h2o_ground_state_populations_split_as_the_ortho_para_ratio(opr):
    system = fluorescence._system("H2O", "nu3")
    n = fluorescence._populations(system, 40.0, opr)
    # ortho levels of (000) by the symmetry rule (Ka + Kc odd), not by the list's ortho column
    lines = _table("h2o_lines.ecsv")
    band = np.asarray(lines["band"]).astype(str)
    rows = np.isin(band, ("nu3", "nu1", "nu3-nu2", "nu1-nu2"))
    assert system.lower.size == rows.sum()
    ground = np.isin(band[rows], ("nu3", "nu1"))
    odd = (np.asarray(lines["Ka_l"])[rows] + np.asarray(lines["Kc_l"])[rows]) % 2 == 1
    ortho_levels = np.unique(system.lower[ground & odd])
    para_levels = np.unique(system.lower[ground & ~odd])
    assert n[ortho_levels].sum() / n[para_levels].sum() == pytest.approx(opr, rel=1e-12)
    assert n[ortho_levels].sum() + n[para_levels].sum() == pytest.approx(1.0, rel=1e-12)


def test_every_level_system_and_fit_window_of_bands_ecsv_exists():
    bands = _table("bands.ecsv")
    assert set(bands["level_system"]) <= set(fluorescence.LEVEL_SYSTEMS)
    assert set(bands["fit_window"]) <= set(_table("fit_windows.ecsv")["name"])
    # and every band with a line list gets a template through its level system
    for species, band in templates.available_bands():
        wavenumber, weight = templates.stick_spectrum(species, band, 50.0)
        assert weight.sum() == pytest.approx(1.0)


def test_the_default_windows_are_the_table_rows():
    from comaspec.model import DEFAULT_WINDOWS, default_windows

    table = _table("fit_windows.ecsv")
    assert [(w.name, w.lo_um, w.hi_um, w.degree) for w in DEFAULT_WINDOWS] == [
        (str(r["name"]), float(r["lo"]), float(r["hi"]), int(r["degree"])) for r in table]
    always = [str(r["name"]) for r in table if r["always"]]
    assert [w.name for w in default_windows(["CO2"])] == always
    assert [w.name for w in default_windows(["C2H6"])] == always + ["3.3um"]


def test_n_spin_species_default_to_their_weights_and_refuse_an_ortho_para_ratio(monkeypatch):
    rows = tuple({"spin_species": s, "nuclear_spin_weight": w, "column": "spin", "value": s}
                 for s, w in (("A", 5.0), ("E", 2.0), ("F", 3.0)))
    monkeypatch.setattr(spin, "_spin_species", lambda: {"XH4": rows})
    np.testing.assert_allclose(spin.fractions("XH4"), [0.5, 0.2, 0.3], rtol=1e-15)
    with pytest.raises(InputError, match="not ortho and para"):
        spin.fractions("XH4", 3.0)
