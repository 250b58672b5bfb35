"""The linear-molecule line lists against their build script and against HITRAN.

HITRAN data are read from ../shared/data (never copied into the repository):
* hitran-linelists-spectr CSVs: nu, S(296 K) per molecule, E'', g', g'' - no quantum labels,
  so the lines of our band are identified by their degeneracies (g' = 2J'+1, g'' = 2J''+1 for
  12C16O2 and 12C16O; twice that for 13C16O2, whose 13C nuclear spin 1/2 HITRAN includes in
  every g), lower-state energy and position (all three must agree);
* hitran-co2-co-radis .par files: 160-character HITRAN records WITH vibrational and
  rotational labels and the Einstein A.
"""

import importlib.util
import re

import numpy as np
import pytest
from astropy import constants as const
from astropy import units as u
from astropy.table import Table

from comaspec.physics import templates
from comaspec._paths import linelists_dir

C2 = float((const.h * const.c / const.k_B).to_value(u.cm * u.K))
T_HITRAN = 296.0

CSV = {
    "CO2": ("hitran-linelists-spectr", "hitran_co2_626_2200-2420cm.csv"),
    "CO": ("hitran-linelists-spectr", "hitran_co_26_1950-2350cm.csv"),
    "13CO2": ("hitran-linelists-spectr", "hitran_co2_636_2200-2320cm.csv"),
}
OURS = {"CO2": ("nu3", "co2_nu3_lines.ecsv"), "CO": ("1-0", "co_1-0_lines.ecsv"),
        "13CO2": ("nu3", "13co2_nu3_lines.ecsv")}
# Nuclear-spin factor HITRAN includes in g' and g'' (2I+1 of 13C, I = 1/2; 12C, 16O: I = 0).
HITRAN_G_SPIN = {"CO2": 1, "CO": 1, "13CO2": 2}


def _build_module():
    path = linelists_dir() / "build_linear_lines.py"
    spec = importlib.util.spec_from_file_location("build_linear_lines", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ours(species):
    return Table.read(linelists_dir() / OURS[species][1], format="ascii.ecsv")


def _read_csv(path):
    data = np.genfromtxt(path, delimiter=",", skip_header=2, names=True)
    return {"nu": data["nu_cm1"], "S": data["S296K_cm_per_molecule"],
            "E_lower": data["E_lower_cm1"], "g_upper": data["g_upper"],
            "g_lower": data["g_lower"]}


def _match(ours, hitran, g_spin=1):
    """Index into ``hitran`` of each of our lines (-1 if none): same g', g'', E'' within
    0.5 cm^-1 and position within 0.5 cm^-1; exactly one candidate is required."""
    index = np.full(len(ours), -1)
    for i, row in enumerate(ours):
        g_lower = g_spin * (2 * row["J_lower"] + 1)
        ok = ((hitran["g_upper"] == g_spin * (2 * row["J_upper"] + 1))
              & (hitran["g_lower"] == g_lower)
              & (np.abs(hitran["E_lower"] - row["E_lower"]) < 0.5)
              & (np.abs(hitran["nu"] - row["wavenumber"]) < 0.5))
        candidates = np.flatnonzero(ok)
        if candidates.size == 1:
            index[i] = candidates[0]
    return index


def _matched(species, shared_data):
    ours = _ours(species)
    hitran = _read_csv(shared_data(*CSV[species]))
    index = _match(ours, hitran, HITRAN_G_SPIN[species])
    return ours, hitran, index


# ---------------------------------------------------------------- regenerate and compare

def test_committed_line_lists_are_what_the_script_makes(tmp_path):
    module = _build_module()
    written = module.build_all(tmp_path)
    assert {p.name for p in written} >= {"co2_nu3_lines.ecsv", "co_1-0_lines.ecsv",
                                         "13co2_nu3_lines.ecsv"}
    for path in written:
        fresh = Table.read(path, format="ascii.ecsv")
        committed = Table.read(linelists_dir() / path.name, format="ascii.ecsv")
        assert fresh.colnames == committed.colnames, path.name
        for name in fresh.colnames:
            if fresh[name].dtype.kind in "fi":
                np.testing.assert_allclose(fresh[name], committed[name], rtol=1e-12,
                                           err_msg=f"{path.name}:{name}")
            else:
                assert list(fresh[name]) == list(committed[name]), f"{path.name}:{name}"
        assert dict(fresh.meta) == dict(committed.meta), path.name


def test_every_constant_has_a_known_reference():
    table = Table.read(linelists_dir() / "linear_constants.ecsv", format="ascii.ecsv")
    references = table.meta["references"]
    assert set(table["reference"]) <= set(references)
    for key in set(table["reference"]):
        assert re.search(r"(19|20)\d\d", references[key]), key  # has a year


def test_line_list_contract_columns():
    for species in OURS:
        table = _ours(species)
        for name in ("wavenumber", "band", "E_rot_upper", "g_upper", "A_rel", "J_lower",
                     "J_upper", "branch"):
            assert name in table.colnames
        assert table["wavenumber"].unit == u.Unit("1/cm")
        assert table["E_rot_upper"].unit == u.Unit("1/cm")
        assert np.all(np.asarray(table["band"]) == OURS[species][0])
        assert table.meta["temperature_independent"] is True
        assert "references" in table.meta and table.meta["made_by"]


# ---------------------------------------------------------------- positions

@pytest.mark.parametrize("species", ["CO2", "CO"])
def test_positions_match_hitran_up_to_J40(species, shared_data):
    ours, hitran, index = _matched(species, shared_data)
    low_j = np.asarray(ours["J_lower"] <= 40)
    # every line up to J'' = 40 must be found (CO2 ~ 41, CO 81 lines)
    assert np.all(index[low_j] >= 0), np.asarray(ours["J_lower"])[low_j & (index < 0)]
    d_nu = np.asarray(ours["wavenumber"])[low_j] - hitran["nu"][index[low_j]]
    assert np.max(np.abs(d_nu)) < 0.05


def _read_par(path):
    records = []
    for line in open(path):
        records.append({
            "mol": int(line[0:2]), "iso": int(line[2:3]), "nu": float(line[3:15]),
            "S": float(line[15:25]), "A": float(line[25:35]), "E_lower": float(line[45:55]),
            "v_up": line[67:82].strip(), "v_lo": line[82:97].strip(),
            "q_lo": line[112:127].strip(), "g_up": float(line[146:153]),
        })
    return records


def _labelled(records, mol, iso, v_up, v_lo):
    """{(branch, J''): record} of one labelled band."""
    out = {}
    for rec in records:
        if (rec["mol"], rec["iso"], rec["v_up"], rec["v_lo"]) == (mol, iso, v_up, v_lo):
            branch, j = re.match(r"([PQR])\s*(\d+)", rec["q_lo"]).groups()
            out[(branch, int(j))] = rec
    return out


def test_co_positions_match_labelled_hitran_par(shared_data):
    records = _read_par(shared_data("hitran-co2-co-radis", "hitran_co_3iso_2000_2300cm.par"))
    hitran = _labelled(records, 5, 1, "1", "0")
    ours = _ours("CO")
    compared = 0
    for row in ours:
        key = (str(row["branch"]), int(row["J_lower"]))
        if key in hitran and row["J_lower"] <= 40:
            assert abs(row["wavenumber"] - hitran[key]["nu"]) < 0.05, key
            compared += 1
    assert compared >= 60  # 2000-2300 cm-1 holds P(1..~35) and R(0..40)


def test_co2_bandhead_positions_match_labelled_hitran_par(shared_data):
    # The RADIS fragment holds only the high-J R branch (J'' >= 50) of 00011-00001 near the
    # band head; our constants (with H) must still place it within 0.05 cm-1 up to J'' = 80.
    records = _read_par(shared_data("hitran-co2-co-radis",
                                    "hitran_co2_626_bandhead_4165_4200nm.par"))
    hitran = _labelled(records, 2, 1, "0 0 0 11", "0 0 0 01")
    ours = _ours("CO2")
    compared = 0
    for row in ours:
        key = (str(row["branch"]), int(row["J_lower"]))
        if key in hitran and row["J_lower"] <= 80:
            assert abs(row["wavenumber"] - hitran[key]["nu"]) < 0.05, key
            compared += 1
    assert compared >= 15


# ---------------------------------------------------------------- strengths at 296 K

def _absorption_strength(table, T):
    """S(T) up to a band constant, from the line-list columns:
    S = g' A / (8 pi c nu^2) exp(-c2 E''/T) (1 - exp(-c2 nu/T)) / Q(T)."""
    nu = np.asarray(table["wavenumber"])
    return (np.asarray(table["g_upper"]) * np.asarray(table["A_rel"]) / nu**2
            * np.exp(-C2 * np.asarray(table["E_lower"]) / T) * (1 - np.exp(-C2 * nu / T)))


@pytest.mark.parametrize("species", ["CO2", "CO", "13CO2"])
def test_relative_strengths_at_296K_match_hitran(species, shared_data):
    # For 13CO2 this is independent of the fit (which used positions and E'' only): the
    # strengths come from Honl-London factors, nu^3 and the spin statistics.
    ours, hitran, index = _matched(species, shared_data)
    found = index >= 0
    s_ours = _absorption_strength(ours[found], T_HITRAN)
    s_hitran = hitran["S"][index[found]]
    strong = s_hitran > 0.1 * s_hitran.max()
    assert strong.sum() >= 20
    ratio = (s_ours / s_ours[strong].sum()) / (s_hitran / s_hitran[strong].sum())
    assert np.all(np.abs(ratio[strong] - 1) < 0.05), ratio[strong]


# ---------------------------------------------------------------- band contours

def _hitran_emission_sticks(species, shared_data, T_rot):
    """Emission weights of HITRAN's lines of our band, same physics as the templates:
    A from S (S = g' A exp(-c2 E''/T0)(1 - exp(-c2 nu/T0)) / (8 pi c nu^2 Q)), then
    weight = g' A nu exp(-c2 E'/T_rot) with E' = E'' + nu (constant offsets cancel)."""
    ours, hitran, index = _matched(species, shared_data)
    pick = index[index >= 0]
    nu, s, e_low, g_up = (hitran[k][pick] for k in ("nu", "S", "E_lower", "g_upper"))
    a_coef = s * nu**2 / (g_up * np.exp(-C2 * e_low / T_HITRAN)
                          * (1 - np.exp(-C2 * nu / T_HITRAN)))
    e_up = e_low + nu
    weight = g_up * a_coef * nu * np.exp(-C2 * (e_up - e_up.min()) / T_rot)
    return nu, weight / weight.sum()


def _contour(lsf_mode, nu, weight, centres):
    instrument = pytest.importorskip("comaspec.physics.instrument")
    lsf = instrument.GaussianLSF(lsf_mode)
    return lsf.integrate_lines(1e4 / nu, weight, instrument.pixel_edges(centres))


GRIDS = {  # pixel centres (um) covering each band, 2 pixels per resolution element
    ("CO2", "PRISM"): (4.0, 4.6), ("CO2", "G395H"): (4.16, 4.5),
    ("CO", "PRISM"): (4.4, 5.0), ("CO", "G395H"): (4.45, 4.95),
    ("13CO2", "PRISM"): (4.2, 4.7), ("13CO2", "G395H"): (4.29, 4.57),
}


def _grid(species, mode):
    instrument = pytest.importorskip("comaspec.physics.instrument")
    lo, hi = GRIDS[(species, mode)]
    centres = [lo]
    while centres[-1] < hi:
        r = float(np.atleast_1d(instrument.resolving_power(mode, np.array([centres[-1]])))[0])
        centres.append(centres[-1] * (1 + 0.5 / r))
    return np.array(centres)


@pytest.mark.parametrize("species", ["CO2", "CO"])
@pytest.mark.parametrize("mode", ["PRISM", "G395H"])
@pytest.mark.parametrize("T_rot", [20.0, 80.0])
def test_band_contour_matches_hitran_contour(species, mode, T_rot, shared_data):
    _assert_contour_matches_hitran(species, mode, T_rot, shared_data)


@pytest.mark.parametrize("mode", ["PRISM", "G395H"])
@pytest.mark.parametrize("T_rot", [20.0, 50.0, 80.0])
def test_13co2_band_contour_matches_hitran_contour(mode, T_rot, shared_data):
    _assert_contour_matches_hitran("13CO2", mode, T_rot, shared_data)


def _assert_contour_matches_hitran(species, mode, T_rot, shared_data):
    centres = _grid(species, mode)
    nu_h, w_h = _hitran_emission_sticks(species, shared_data, T_rot)
    reference = _contour(mode, nu_h, w_h, centres)
    instrument = pytest.importorskip("comaspec.physics.instrument")
    band = OURS[species][0]
    template = templates.band_profile(species, band, centres, T_rot,
                                      instrument.GaussianLSF(mode), emission="thermal")
    assert np.max(np.abs(template - reference)) < 0.03 * reference.max()
    # the comparison is sensitive: a template at twice the temperature fails it
    wrong = templates.band_profile(species, band, centres, 2 * T_rot,
                                   instrument.GaussianLSF(mode), emission="thermal")
    assert np.max(np.abs(wrong - reference)) > 0.1 * reference.max()


def test_co_contour_from_par_einstein_a(shared_data):
    # Independent of the S -> A conversion: the .par files carry A itself.
    instrument = pytest.importorskip("comaspec.physics.instrument")
    records = _read_par(shared_data("hitran-co2-co-radis", "hitran_co_3iso_2000_2300cm.par"))
    band = list(_labelled(records, 5, 1, "1", "0").values())
    nu = np.array([r["nu"] for r in band])
    e_up = np.array([r["E_lower"] for r in band]) + nu
    g_a = np.array([r["g_up"] * r["A"] for r in band])
    T_rot = 40.0
    weight = g_a * nu * np.exp(-C2 * (e_up - e_up.min()) / T_rot)
    weight /= weight.sum()
    centres = _grid("CO", "G395H")
    lsf = instrument.GaussianLSF("G395H")
    reference = lsf.integrate_lines(1e4 / nu, weight, instrument.pixel_edges(centres))
    template = templates.band_profile("CO", "1-0", centres, T_rot, lsf, emission="thermal")
    # lines outside 2000-2300 cm-1 carry < 1e-4 of the band at 40 K
    assert np.max(np.abs(template - reference)) < 0.03 * reference.max()


# ---------------------------------------------------------------- 13C16O2: effective constants

def _constants():
    return Table.read(linelists_dir() / "linear_constants.ecsv", format="ascii.ecsv")


def _constant(table, species, state, parameter):
    row = table[(table["species"] == species) & (table["state"] == state)
                & (table["parameter"] == parameter)]
    assert len(row) == 1, (species, state, parameter)
    return float(row["value"][0])


def test_13co2_refit_reproduces_committed_constants(tmp_path, shared_data):
    # The committed 13CO2 rows are exactly what --refit makes from the HITRAN file, and the
    # refit leaves every other row alone.
    module = _build_module()
    (tmp_path / "linear_constants.ecsv").write_text(
        (linelists_dir() / "linear_constants.ecsv").read_text())
    module.refit(shared_data(*CSV["13CO2"]), tmp_path)
    fresh = Table.read(tmp_path / "linear_constants.ecsv", format="ascii.ecsv")
    committed = _constants()
    assert list(fresh["species"]) == list(committed["species"])
    assert list(fresh["parameter"]) == list(committed["parameter"])
    np.testing.assert_allclose(fresh["value"], committed["value"], rtol=1e-12, atol=0)
    assert dict(fresh.meta) == dict(committed.meta)
    refs = set(committed["reference"][committed["species"] == "13CO2"])
    assert refs == {"HITRAN2020fit", "Herzberg1945"}
    text = committed.meta["references"]["HITRAN2020fit"]
    assert "Gordon et al. 2022, JQSRT 277, 107949" in text and "--refit" in text
    assert "effective constants fitted to HITRAN2020" in text


def test_13co2_positions_reproduce_hitran_up_to_J40(shared_data):
    """Positions of 13C16O2 00011-00001, J'' <= 40, within 0.05 cm^-1 of HITRAN2020.

    NOT an independent check: the 13CO2 constants were fitted to these very HITRAN positions
    (and lower-state energies) by ``build_linear_lines.py --refit``. What it tests is the model
    form - that G, B, D, H per state represent the band to 0.05 cm^-1 - and that every line
    up to J'' = 40 (21 R and 20 P lines, even J'' only) is found in HITRAN.
    """
    ours, hitran, index = _matched("13CO2", shared_data)
    low_j = np.asarray(ours["J_lower"] <= 40)
    assert low_j.sum() == 41 and np.all(np.asarray(ours["J_lower"]) % 2 == 0)
    assert np.all(index[low_j] >= 0), np.asarray(ours["J_lower"])[low_j & (index < 0)]
    d_nu = np.asarray(ours["wavenumber"])[low_j] - hitran["nu"][index[low_j]]
    assert np.max(np.abs(d_nu)) < 0.05


def test_13co2_ground_state_B_agrees_with_12co2():
    # Physics cross-check of the fit: the C atom sits at the centre of mass of O=C=O, so
    # 13C substitution leaves the ground-state moment of inertia (nearly) unchanged.
    table = _constants()
    b_13 = _constant(table, "13CO2", "00001", "B")
    b_12 = _constant(table, "CO2", "00001", "B")
    assert abs(b_13 / b_12 - 1) < 1e-3
