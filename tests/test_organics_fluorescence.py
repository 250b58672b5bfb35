"""CH4 nu3 and C2H6 nu7/nu5 fluorescence (comaspec.physics.levels) against what comaspec did not make:
the line g-factors published by Villanueva et al. 2011 (Icarus 216, 227, Table 2), the
independent generator of tests/fluorescence_reference.py (all 25126 lines of the HITRAN
CH4 file, levels found from energies) and closed-form limits of the nuclear-spin weights."""

import fluorescence_reference as ref
import numpy as np
import pytest

from comaspec.physics import fluorescence, molecules

# Villanueva et al. 2011 name CH4 lines by branch, J'' and (where two are close) the upper
# symmetry; comaspec's line names are branch J''(upper symmetry)
CH4_NAMES = {"R0": "R0(", "R1": "R1(", "R2(E)": "R2(E)", "R2(F1)": "R2(F1)", "P2(E)": "P2(E)",
             "P2(F1)": "P2(F1)"}


def _villanueva(species):
    table = ref.villanueva_table()
    return table[np.asarray(table["species"]).astype(str) == species]


@pytest.fixture
def ch4_published(shared_data):
    shared_data("comet-gfactors-published", "villanueva_gfactor_validation_targets.csv")
    rows = _villanueva("CH4")
    assert len(rows) == 6
    return rows


def _ch4_model(rows):
    """comaspec's g of each published line: the line of that name closest to its position."""
    table = fluorescence.line_g_factors("CH4", float(rows["T_K"][0]))
    names = np.asarray(table["line"]).astype(str)
    nu = table["wavenumber"].value
    out = []
    for row in rows:
        candidates = np.flatnonzero(np.char.startswith(names, CH4_NAMES[str(row["line"])]))
        best = candidates[np.argmin(np.abs(nu[candidates] - row["nu_cm"]))]
        assert abs(nu[best] - row["nu_cm"]) < 0.02
        out.append(table["g"][best].value)
    return np.array(out)


def test_ch4_line_g_factors_match_villanueva_2011_in_absolute_terms(ch4_published):
    ours = _ch4_model(ch4_published)
    published = np.asarray(ch4_published["g"], dtype=float)
    # goal 25 %; found +4 to +5 % (not the solar spectrum, 0.5 % only: docs/emission.rst)
    assert np.all(np.abs(ours / published - 1) < 0.25), ours / published
    assert np.all(np.abs(ours / published - 1) < 0.07), ours / published


def test_ch4_line_g_factor_ratios_match_villanueva_2011(ch4_published):
    ours = _ch4_model(ch4_published)
    published = np.asarray(ch4_published["g"], dtype=float)
    ratio = (ours / ours.sum()) / (published / published.sum())
    assert np.all(np.abs(ratio - 1) < 0.10), ratio


@pytest.mark.parametrize("T", [20.0, 50.0, 80.0])
def test_ch4_lines_match_the_independent_generator(T, shared_data):
    shared_data("hitran-ch4-h2o-2833-3246cm", "CH4_12CH4_2833-3246cm.data")
    nu_ref, g_ref = ref.line_g_factors("CH4", T)
    by_position = dict(zip(np.round(nu_ref, 6), g_ref))
    table = fluorescence.line_g_factors("CH4", T)
    ours = table["g"].value
    theirs = np.array([by_position[x] for x in np.round(table["wavenumber"].value, 6)])
    strong = ours > 1e-3 * ours.max()
    assert np.all(np.abs(ours[strong] / theirs[strong] - 1) < 0.01)
    assert ours.sum() == pytest.approx(theirs.sum(), rel=0.005)
    assert fluorescence.band_g_factor("CH4", "nu3", T).value == pytest.approx(ours.sum(), rel=1e-12)


def test_ch4_partition_sum_is_complete_at_150_K(shared_data):
    """The energy cut of the line list loses < 0.1 % of the ground-state population at 150 K
    (against every ground level of the HITRAN file)."""
    shared_data("hitran-ch4-h2o-2833-3246cm", "CH4_12CH4_2833-3246cm.data")
    c2 = fluorescence._constants()[0]
    system = fluorescence._system("CH4", "nu3")
    ours = np.sum(system.lower_g * np.exp(-c2 * system.lower_energy / 150.0))
    assert ours / ref.ground_partition("CH4", 150.0) > 0.999


def _spin_species(label):
    symmetry = label.split()[-2].lstrip("0123456789")
    return {"A1": "A", "A2": "A", "E": "E", "F1": "F", "F2": "F"}[symmetry]


def test_ch4_nuclear_spin_species_follow_their_weights_when_hot():
    """Populations at T_rot with HITRAN's g'' (spin weights A 5, E 2, F 3 per sublevel): at
    high T the three spin species tend to 5 : 2 : 9 (A : E : F; Herzberg 1945, ch. IV), at
    low T all molecules sit in J = 0 (A1) and J = 1 (F1) in the ratio 5 : 9 exp(-c2 E1/T)."""
    system = fluorescence._system("CH4", "nu3")
    kind = np.array([_spin_species(label) for label in system.lower_label])
    n_hot = fluorescence._populations(system, 150.0, 3.0)
    total = {k: n_hot[kind == k].sum() for k in "AEF"}
    assert total["A"] / total["E"] == pytest.approx(5 / 2, rel=0.03)
    assert total["F"] / total["E"] == pytest.approx(9 / 2, rel=0.03)
    n_cold = fluorescence._populations(system, 5.0, 3.0)
    j1 = np.char.startswith(np.char.replace(system.lower_label, "0 0 0 0 1A1 ", ""), "1F1")
    c2 = fluorescence._constants()[0]
    e1 = system.lower_energy[j1][0]
    assert n_cold[j1].sum() / n_cold[kind == "A"].sum() == pytest.approx(9 / 5 * np.exp(-c2 * e1 / 5.0), rel=1e-6)


def test_c2h6_q_branch_g_factors_against_villanueva_2011(shared_data):
    """The seven nu7 Q branches (79 K). The published values are "Q-branch windows incl.
    P/R" of unstated width: summed over +-1 cm^-1, comaspec is within 15 % of them
    (0.90-1.09); its Q sub-branches alone (lines named rQ0..., pQ3, from HITRAN's quanta)
    carry 0.55-0.83 of them. HITRAN's list is not short by a factor 2 at comet temperatures."""
    shared_data("comet-gfactors-published", "villanueva_gfactor_validation_targets.csv")
    rows = _villanueva("C2H6")
    assert len(rows) == 7
    table = fluorescence.line_g_factors("C2H6", 79.0)
    nu, g = table["wavenumber"].value, table["g"].value
    names = np.asarray(table["line"]).astype(str)
    wide = np.array([g[np.abs(nu - row["nu_cm"]) < 1.0].sum() / row["g"] for row in rows])
    sub = np.array([g[np.char.startswith(names, row["line"][0].lower() + row["line"][1:] + "(")].sum() / row["g"]
                    for row in rows])
    assert np.all(np.abs(wide - 1) < 0.15), wide
    assert np.all((sub > 0.5) & (sub < 0.9)), sub


@pytest.mark.parametrize("species,band", [("CH4", "nu3"), ("C2H6", "nu7"), ("C2H6", "nu5")])
def test_tabulated_computed_g_is_the_model_at_50_K(species, band):
    """bands.ecsv's `computed` rows are the model's value at 50 K (to the printed digits)."""
    row = molecules.get_band(species, band)
    assert row.g_1au == pytest.approx(fluorescence.band_g_factor(species, band, 50.0).value, rel=2e-3)
