"""Checks of the independent fluorescence reference (tests/fluorescence_reference.py) itself.

Nothing here uses comaspec's physics: the reference is checked against HAPI's TIPS partition
functions, against the Einstein A coefficients tabulated in HITRAN .par files, and against the
published line g-factors of Villanueva et al. 2011 (Icarus 216, 227; Table 2).

Measured (E490-00a solar spectrum, HITRAN):
* ground-state partition sums of the files' levels = TIPS within 0.01 % (H2O, CO, CO2 at
  20-80 K), H2O Z_ortho/Z_para -> 3.0 at 300 K;
* A derived from the CSV intensities with TIPS Q(296): 12CO2 = the .par A within 0.05 %;
  CO = 0.980 x the .par A (the CSV is HITRAN2020, the .par HITRAN2016-era; inside the .par
  S and A agree to 0.01 %, so the 2 % is a database revision of the CO intensities);
* CO v=1-0 at 80 K: line ratios (each line / the mean of the five) within 7 %, absolute line
  g-factors within 10 % of Villanueva et al. 2011;
* H2O: none of the 17 Villanueva et al. 2011 H2O lines can be reached with the shared data
  (the 4.7 um lines are outside the 3300-4000 cm^-1 H2O subset; the 2.9 um lines are there,
  but their upper levels are populated by 1.4 um pumping and cascade, which the subset does
  not contain).
"""

import numpy as np
import pytest

import fluorescence_reference as ref

# Shared folders the reference reads.
_FOLDERS = ("hitran-co2-co-radis", "hitran-linelists-spectr", "comet-gfactors-published")


@pytest.fixture(autouse=True)
def _need_shared(shared_data):
    for folder in _FOLDERS:
        shared_data(folder, "SOURCE.md")


def _nearest(nu, targets):
    idx = np.clip(np.searchsorted(nu, targets), 1, len(nu) - 1)
    return np.where(np.abs(nu[idx] - targets) < np.abs(nu[idx - 1] - targets), idx, idx - 1)


@pytest.mark.parametrize("species,mol,iso", [("H2O", 1, 1), ("CO2", 2, 1), ("CO", 5, 1), ("13CO2", 2, 2)])
@pytest.mark.parametrize("T", [20.0, 50.0, 80.0])
def test_ground_levels_reproduce_tips_partition_function(species, mol, iso, T):
    """The ground-state levels found in the files are all the populated ones (and only those)."""
    assert ref.ground_partition(species, T) == pytest.approx(ref.tips_q(mol, iso, T), rel=2e-4)


def test_h2o_spin_identification_gives_ortho_para_three_at_high_temperature():
    z_o, z_p = ref.ground_partition("H2O", 300.0, True), ref.ground_partition("H2O", 300.0, False)
    assert z_o / z_p == pytest.approx(3.0, rel=0.01)
    # ortho levels carry the nuclear-spin weight 3: every ortho g is 3 x odd
    lines, lev = ref.load_lines("H2O"), ref.levels_of("H2O")
    g_o = lines.g_low[lev.ortho & lev.ground].astype(int)
    assert np.all(g_o % 3 == 0) and np.all((g_o // 3) % 2 == 1)


def test_einstein_a_from_csv_intensity_matches_par_file_co2():
    par = ref.read_par(ref.PAR_DIR / "hitran_co2_626_bandhead_4165_4200nm.par", 2, 1)
    lines = ref.load_lines("CO2")  # A derived from S(296) with TIPS Q(296)
    j = _nearest(lines.nu, par["nu"])
    # the same transition: same position and lower level (two lines 4e-5 cm-1 apart exist)
    same = (np.abs(lines.nu[j] - par["nu"]) < 1e-3) & (np.abs(lines.E_low[j] - par["E_low"]) < 1e-3)
    assert same.sum() > 300
    np.testing.assert_allclose(lines.A[j][same], par["A"][same], rtol=1e-3)


def test_einstein_a_from_csv_intensity_matches_par_file_co():
    d = ref.read_csv(ref.CSV_DIR / "hitran_co_26_1950-2350cm.csv")
    a_csv = ref.einstein_a(d["nu"], d["S"], d["E_low"], d["g_up"], ref.tips_q(5, 1))
    lines = ref.load_lines("CO")  # A from the .par file
    j = _nearest(d["nu"], lines.nu)
    same = np.abs(d["nu"][j] - lines.nu) < 1e-3
    assert same.sum() > 200
    ratio = a_csv[j][same] / lines.A[same]
    # HITRAN2020 (CSV) vs HITRAN2016-era (.par) CO intensities: a uniform 2.0 % revision
    assert np.median(ratio) == pytest.approx(0.980, abs=0.003)
    assert np.ptp(ratio) < 0.003


def test_einstein_a_within_the_par_file_is_consistent_with_its_intensity():
    par = ref.read_par(ref.PAR_DIR / "hitran_co_3iso_2000_2300cm.par", 5, 1)
    abundance = 0.986544  # HITRAN natural abundance of 12C16O (the .par S is abundance-weighted)
    a = ref.einstein_a(par["nu"], par["S"] / abundance, par["E_low"], par["g_up"], ref.tips_q(5, 1))
    np.testing.assert_allclose(a, par["A"], rtol=2e-3)


def test_solar_photon_flux_is_e490():
    """4.3 um: E490 irradiance converted to photons per wavenumber, by hand."""
    wl, flam = ref._solar_table()
    k = np.argmin(np.abs(wl - 4.3))
    nu = 1e4 / wl[k]
    h, c = 6.62607015e-34, 2.99792458e10
    expected = flam[k] * wl[k] ** 2 / 1e4 / (h * c * nu) * 1e-4
    assert ref.solar_photon_flux(nu) == pytest.approx(expected, rel=1e-9)


def _villanueva(species):
    t = ref.villanueva_table()
    return t[t["species"] == species]


def test_co_line_ratios_and_absolute_g_match_villanueva_2011():
    rows = _villanueva("CO")
    assert len(rows) == 5
    lines = ref.load_lines("CO")
    nu, g = ref.line_g_factors("CO", 80.0)
    ours = []
    for row in rows:
        cand = np.flatnonzero((lines.label == row["line"]) & (lines.v_up == 1) & (lines.v_low == 0))
        assert cand.size == 1, row["line"]
        assert nu[cand[0]] == pytest.approx(row["nu_cm"], abs=0.01)
        ours.append(g[cand[0]])
    ours, pub = np.array(ours), np.asarray(rows["g"])
    rel = (ours / ours.mean()) / (pub / pub.mean())
    assert np.all(np.abs(rel - 1) < 0.10), rel
    assert np.all(np.abs(ours / pub - 1) < 0.25), ours / pub


def test_villanueva_h2o_lines_are_out_of_reach_of_the_shared_data():
    """Documents what the reference cannot check, so nobody believes it was checked."""
    rows = _villanueva("H2O")
    assert len(rows) == 17
    lines = ref.load_lines("H2O")
    nu, g = ref.line_g_factors("H2O", 80.0)
    outside = rows[rows["nu_cm"] < lines.nu.min()]
    inside = rows[rows["nu_cm"] >= lines.nu.min()]
    # (001)/(100) -> (010) at 4.7 um: not in the 3300-4000 cm^-1 subset
    assert set(outside["band"]) == {"(001)-(010)", "(100)-(010)"} and len(outside) == 5
    # the 2.9 um cascade lines are in the file (positions agree) but their upper levels are not
    # pumped from the ground state at these wavelengths: g = 0 in the reference
    # ((201)000-(200)101 at 3388.77 has no HITRAN line within 0.1 cm-1 in the subset)
    j = _nearest(lines.nu, np.asarray(inside["nu_cm"], dtype=float))
    found = np.abs(lines.nu[j] - inside["nu_cm"]) < 0.01
    assert found.sum() == 11
    assert np.all(g[j][found] == 0.0)


@pytest.mark.parametrize("species,lo,hi,published", [
    # band g-factors at 1 au from linelists/bands.ecsv (Ootsubo et al. 2012, ApJ 752, 15)
    ("CO2", 2200.0, 2420.0, 2.9e-3),
    ("CO", 2000.0, 2300.0, 2.6e-4),
    ("H2O", 3300.0, 4000.0, 2.82e-4 + 2.47e-5),
])
def test_band_g_factors_near_published(species, lo, hi, published):
    g = ref.band_g_factor(species, 80.0, lo, hi)
    assert g == pytest.approx(published, rel=0.15)


def test_h2o_upper_states_identified_from_decay_rates():
    """The band origins are the lowest pumped level of each class; (001) carries ~90 % of the photons."""
    lines = ref.load_lines("H2O")
    nu, g = ref.line_g_factors("H2O", 50.0)
    state = ref.h2o_upper_state()
    e_up = lines.E_low + lines.nu
    pumped = g > 0
    # HITRAN2020 band origins of nu1 (3657.05) and nu3 (3755.93 cm^-1)
    assert e_up[pumped & (state == "(100)")].min() == pytest.approx(3657.05, abs=0.01)
    assert e_up[pumped & (state == "(001)")].min() == pytest.approx(3755.93, abs=0.01)
    share = g[state == "(001)"].sum() / g.sum()
    assert 0.85 < share < 0.97


def test_spectrum_conserves_the_line_fluxes():
    """N molecules at rh, Delta: the convolved spectrum integrates to the sum of line fluxes."""
    from comaspec.physics.instrument import GaussianLSF  # the LSF only (convolution), no physics

    nu, g = ref.sticks("CO2", 40.0, lo_cm=2200.0, hi_cm=2420.0)
    flux = ref.line_fluxes(nu, g, 1e30, 2.0, 1.5)
    # N g h c nu / (4 pi Delta^2 rh^2), by hand for the strongest line
    k = np.argmax(g)
    delta_m = 1.5 * 1.495978707e11
    by_hand = 1e30 * g[k] / 4.0 * 6.62607015e-34 * 2.99792458e10 * nu[k] / (4 * np.pi * delta_m**2)
    assert flux[k] == pytest.approx(by_hand, rel=1e-9)
    wl = np.linspace(4.1, 4.5, 4000)
    y = ref.spectrum(wl, nu, flux, GaussianLSF(1000.0))
    assert np.sum(y * np.gradient(wl)) == pytest.approx(flux.sum(), rel=1e-3)
