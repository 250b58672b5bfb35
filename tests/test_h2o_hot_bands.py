"""H2O 2.7 µm hot bands from their own HITRAN lines, checked against the independent cascade
reference (issue #19 items 3 and 7).

The reference (tests/fluorescence_reference.py, `h2o_cascade_g_factors`) reads every labelled
H2O line of the shared HITRAN files plus the unlabelled 1.38 µm list (A from S), pumps every
level from a thermal (000) and lets each level pass its molecules down through all its lines.
It shares no code with comaspec.

Measured on the branch ``hotbands`` (2026-12-07), comaspec / reference:

* band g nu1+nu3-nu1: 1.003 (20 K), 1.002 (50 K), 1.001 (80 K); its strong lines 0.996-1.007;
* nu1 (direct + cascade) strong lines 0.961-1.058; nu3 0.882-1.109 (h2o_lines.ecsv is a
  fit of effective constants);
* nu2+nu3-nu2 line shares (both with (011) pumped like (001)): 0.973-1.110;
* the whole 2.7 µm feature (nu3, nu1 and the two hot bands): band flux 0.972 (20 K) - 0.977
  (80 K), the reference holding 2 % more in nu3 from the (011) -> (001) decays (see
  `test_whole_27um_feature_matches_reference`); shape, each normalised: largest difference
  0.5-0.9 % of the peak at PRISM, 1.7-3.4 % at G235H; with a free amplitude at S/N 215
  chi2_nu = 0.13-0.28 (PRISM), 0.08-0.17 (G235H).
* cascade/direct feed of the strong (100) levels: 1.2-486 (20 K), 1.5-13 (50 K), 1.7-8.7
  (80 K), against 2.6-2.8 for the band as a whole.
"""

import functools

import numpy as np
import pytest
from astropy.table import Table

import fluorescence_reference as ref
from comaspec.physics import fluorescence

FOLDERS = ("hitran-h2o-161-1500-3500cm", "hitran-h2o-161-3400-4100cm", "hitran-h2o-161-6900-7600cm",
           "comet-band-gfactors-ootsubo2012")
TEMPERATURES = (20.0, 50.0, 80.0)
#: comaspec band -> (upper, lower) vibrational states in the reference.
FEATURE_27 = {"nu3": ("(001)", "(000)"), "nu1": ("(100)", "(000)"),
              "nu1+nu3-nu1": ("(101)", "(100)"), "nu2+nu3-nu2": ("(011)", "(010)")}


@pytest.fixture(autouse=True)
def _need_shared(shared_data):
    for folder in FOLDERS:
        shared_data(folder, "SOURCE.md")


def _ootsubo_g(band):
    path = ref.SHARED_DATA / "comet-band-gfactors-ootsubo2012" / "ootsubo2012_table2_band_gfactors.csv"
    table = Table.read([x for x in path.read_text().splitlines() if not x.startswith("#")], format="ascii.csv")
    hit = (np.asarray(table["molecule"]).astype(str) == "H2O") & (np.asarray(table["band"]).astype(str) == band)
    return float(table["g_factor_s-1_at_1au"][hit][0])


def _reference_lines(T, band, pump_011=0.0):
    """{(upper, lower) in comaspec's labels: g} of one band of the reference."""
    nu, g = ref.h2o_cascade_g_factors(T, pump_011_like_001=pump_011)
    d, m = ref.h2o_cascade_lines(), ref.h2o_band_mask(*FEATURE_27[band])
    return {(u.replace(".", ""), lo.replace(".", "")): x for u, lo, x in zip(d["up"][m], d["low"][m], g[m])}


def _ours(T, band):
    t = fluorescence.line_g_factors("H2O", T)
    t = t[t["band"] == band]
    return list(zip(t["upper"], t["lower"])), t["g"].value


# ------------------------------------------------------------------ the reference itself
@pytest.mark.parametrize("T", TEMPERATURES)
def test_reference_ground_levels_reproduce_tips(T):
    d = ref.h2o_cascade_lines()
    ground = np.char.startswith(d["low"].astype(str), "(000)")
    _, first = np.unique(d["low"][ground], return_index=True)
    k = np.flatnonzero(ground)[first]
    z = np.sum(d["g_low"][k] * np.exp(-1.4387769 * d["E_low"][k] / T))
    assert z == pytest.approx(ref.tips_q(1, 1, T), rel=2e-3)


def test_reference_a_from_s_matches_the_labelled_138um_sample():
    """The unlabelled 1.38 µm list gives A through S and TIPS Q(296); the labelled sample has A."""
    sample = ref.read_par(ref.H2O_LABELLED[2], 1, 1)
    csv = ref.read_csv(ref.H2O_138_CSV)
    a = ref.einstein_a(csv["nu"], csv["S"], csv["E_low"], csv["g_up"], ref.tips_q(1, 1))
    j = np.clip(np.searchsorted(csv["nu"], sample["nu"]), 1, csv["nu"].size - 1)
    j = np.where(np.abs(csv["nu"][j - 1] - sample["nu"]) < np.abs(csv["nu"][j] - sample["nu"]), j - 1, j)
    # the same transition (the two downloads differ slightly in position): same E'' and g'
    same = ((np.abs(csv["nu"][j] - sample["nu"]) < 1e-3) & (np.abs(csv["E_low"][j] - sample["E_low"]) < 1e-3)
            & (csv["g_up"][j] == sample["g_up"]) & (sample["S"] > 1e-24))
    assert same.sum() > 50
    ratio = a[j][same] / sample["A"][same]
    assert np.all(np.abs(ratio - 1) < 0.005), ratio     # measured within 0.05 %


def test_reference_nu2_nu3_nu2_needs_the_187um_pump():
    """Without the 1.87 µm nu2+nu3 lines (not in the shared files) (011) is nearly empty:
    what feeds the hot band must be supplied (comaspec and the reference: like (001))."""
    g = sum(_reference_lines(50.0, "nu2+nu3-nu2").values())
    assert g < 1e-2 * _ootsubo_g("nu2+nu3-nu2")


@pytest.mark.parametrize("T", TEMPERATURES)
def test_pumping_from_the_hot_bands_lower_states_is_negligible(T):
    """(010) and (100) hold 1.3e-5 and 5.6e-6 of the molecules (arrivals over radiative decay
    rates): sunlight they absorb into (011) and (101) is 1.5e-4 and 6.4e-5 of each published
    hot-band g at 20-80 K, < 1e-3 asserted (why both models pump these levels from (000))."""
    nu, g = ref.h2o_cascade_g_factors(T)
    d = ref.h2o_cascade_lines()
    up = d["up"].astype(str)
    a_total = {}
    for u, a in zip(up, d["A"]):
        a_total[u] = a_total.get(u, 0.0) + a
    photons = {}
    for u, x in zip(up, g):
        photons[u] = photons.get(u, 0.0) + x
    for upper, lower, published in (("(101)", "(100)", _ootsubo_g("nu1+nu3-nu1")),
                                    ("(011)", "(010)", _ootsubo_g("nu2+nu3-nu2"))):
        m = ref.h2o_band_mask(upper, lower)
        n_low = np.array([photons.get(lo, 0.0) / a_total.get(lo, np.inf) for lo in d["low"][m]])
        c_cm = 2.99792458e10
        rate = np.sum(n_low * d["g_up"][m] / d["g_low"][m] * d["A"][m] * ref.solar_photon_flux(d["nu"][m])
                      / (8 * np.pi * c_cm * d["nu"][m] ** 2))
        assert 0 < rate < 1e-3 * published, (upper, rate)


# ------------------------------------------------------------------ comaspec against it
@pytest.mark.parametrize("T", TEMPERATURES)
def test_nu1_nu3_nu1_from_its_own_lines_matches_reference(T):
    """Band g within 2 % (measured 0.1-0.3 %: both from the same HITRAN A, comaspec's (000)
    levels and 1.38 µm lines limited to J <= 12) and each strong line within 3 %."""
    keys, g = _ours(T, "nu1+nu3-nu1")
    theirs = _reference_lines(T, "nu1+nu3-nu1")
    assert g.sum() / sum(theirs.values()) == pytest.approx(1.0, abs=0.02)
    strong = g > 0.01 * g.max()
    ratio = np.array([x / theirs[k] for k, x, s in zip(keys, g, strong) if s])
    assert ratio.size > 20 and np.all(np.abs(ratio - 1) < 0.03), ratio


@pytest.mark.parametrize("T", TEMPERATURES)
def test_cascade_fed_nu1_lines_match_reference(T):
    """The (100) levels fed by the cascade, line by line: within 8 % (measured 0.96-1.06)."""
    keys, g = _ours(T, "nu1")
    theirs = _reference_lines(T, "nu1")
    strong = g > 0.01 * g.max()
    ratio = np.array([x / theirs[k] for k, x, s in zip(keys, g, strong) if s])
    assert ratio.size > 30 and np.all(np.abs(ratio - 1) < 0.08), ratio


@pytest.mark.parametrize("T", TEMPERATURES)
def test_nu2_nu3_nu2_shape_from_its_own_lines_matches_reference(T):
    """Share of the band in each strong line within 12 % (measured 0.97-1.11)."""
    keys, g = _ours(T, "nu2+nu3-nu2")
    theirs = _reference_lines(T, "nu2+nu3-nu2", pump_011=1.0)
    total = sum(theirs.values())
    strong = g > 0.01 * g.max()
    ratio = np.array([(x / g.sum()) / (theirs[k] / total) for k, x, s in zip(keys, g, strong) if s])
    assert ratio.size > 20 and np.all(np.abs(ratio - 1) < 0.12), ratio


def test_nu2_nu3_nu2_band_g_keeps_the_cited_ratio():
    """No 1.87 µm line intensities: g(nu2+nu3-nu2) is the cited ratio (Ootsubo et al. 2012) to nu3."""
    ratio = fluorescence.band_g_factor("H2O", "nu2+nu3-nu2", 50.0) / fluorescence.band_g_factor("H2O", "nu3", 50.0)
    assert ratio.value == pytest.approx(_ootsubo_g("nu2+nu3-nu2") / _ootsubo_g("nu3"), rel=1e-6)


@functools.cache
def pump_011(T):
    """The reference's (011) pump, times the direct (001) pump, that makes g(nu2+nu3-nu2) /
    g(nu3) the published ratio (as comaspec)."""
    cited = _ootsubo_g("nu2+nu3-nu2") / _ootsubo_g("nu3")
    _, g1 = ref.h2o_cascade_g_factors(T, pump_011_like_001=1.0)
    _, g0 = ref.h2o_cascade_g_factors(T)
    m3, m011 = ref.h2o_band_mask("(001)", "(000)"), ref.h2o_band_mask("(011)", "(010)")
    # both band sums are linear in the (011) pump: solve for the scale
    return (cited * g0[m3].sum() - g0[m011].sum()) / (g1[m011].sum() - g0[m011].sum()
                                                      - cited * (g1[m3].sum() - g0[m3].sum()))


def feature_reference(T):
    """(nu, g) of the reference's four 2.7 µm bands, (011) pumped by `pump_011` (also drawn
    by docs/make_fluorescence_figures.py)."""
    nu, g = ref.h2o_cascade_g_factors(T, pump_011_like_001=pump_011(T))
    keep = np.zeros(nu.size, dtype=bool)
    for states in FEATURE_27.values():
        keep |= ref.h2o_band_mask(*states)
    return nu[keep], g[keep]


@pytest.mark.parametrize("T", TEMPERATURES)
@pytest.mark.parametrize("mode,step_um,shape_tol", [("PRISM", 0.01, 0.02), ("G235H", 0.0004, 0.05)])
def test_whole_27um_feature_matches_reference(T, mode, step_um, shape_tol):
    """nu3 + nu1 + both hot bands through the mode's LSF.

    Band flux within 4 %: comaspec is 2.3-2.8 % low because the reference's (011) levels
    also decay to (001) (13-18 % of their A, near 6.3 µm), adding 2 % to its nu3; comaspec
    does not feed (001) from (011). Shape, each spectrum normalised to unit flux: largest
    difference below 2 % of the peak at PRISM, 5 % at G235H (measured 0.5-0.9 %, 1.7-3.4 %:
    line strengths of the effective-constant nu3 list, 0.88-1.11 of HITRAN's). With a free
    amplitude at S/N 215 (the issue's 63 K test) chi2_nu < 1 (measured <= 0.28).
    """
    from comaspec.physics.instrument import make_lsf   # the LSF only (convolution)

    t = fluorescence.line_g_factors("H2O", T)
    t = t[np.isin(t["band"], list(FEATURE_27))]
    nu_r, g_r = feature_reference(T)
    wl = np.arange(2.55, 2.95, step_um)
    lsf = make_lsf(mode)
    ours = ref.spectrum(wl, t["wavenumber"].value, ref.line_fluxes(t["wavenumber"].value, t["g"].value,
                                                                   1e30, 1.0, 1.0), lsf)
    theirs = ref.spectrum(wl, nu_r, ref.line_fluxes(nu_r, g_r, 1e30, 1.0, 1.0), lsf)
    assert ours.sum() / theirs.sum() == pytest.approx(1.0, abs=0.04)
    diff = np.abs(ours / ours.sum() - theirs / theirs.sum()).max() / (theirs / theirs.sum()).max()
    assert diff < shape_tol
    amplitude = np.sum(ours * theirs) / np.sum(ours * ours)
    chi2_nu = np.sum(((theirs - amplitude * ours) / (theirs.max() / 215)) ** 2) / (wl.size - 1)
    assert chi2_nu < 1.0


@pytest.mark.parametrize("T", TEMPERATURES)
def test_cascade_spreads_nu1_unlike_direct_pumping(T):
    """Issue #19 item 3's open question. The cascade does not scale every (100) level alike
    (as the nu3-like spreading assumed): the levels the a-type 1.38 µm pump reaches through
    (101) gain far more than the rest (the lines themselves are checked against the
    reference in `test_cascade_fed_nu1_lines_match_reference`)."""
    system, _, _, terms = fluorescence._system_a("H2O", "nu1")
    n = fluorescence._populations(system, T, 3.0)
    direct = fluorescence._direct_pumping(n, terms)
    total = direct + terms.cascade @ n
    is100 = np.char.startswith(system.upper_label.astype(str), "(100)")
    strong = is100 & (total > 0.01 * total[is100].sum())
    gain = total[strong] / direct[strong]
    assert gain.max() / gain.min() > 3 and 2.4 < total[is100].sum() / direct[is100].sum() < 3.0


def test_unknown_hot_band_is_input_error():
    from comaspec.errors import InputError
    from comaspec.physics import h2o_bands

    with pytest.raises(InputError, match="nu3.*not a 2.7 µm hot band"):
        h2o_bands.hot_band_terms("nu3", [], [], ref.solar_photon_flux)


def test_hot_band_rates_are_linear_in_the_ortho_para_split():
    """Para and ortho (000) levels pump separate (101) levels: at ortho/para 1 and 3 the
    ortho lines of nu1+nu3-nu1 scale by (3/4)/(1/2), the para lines by (1/4)/(1/2)."""
    one = fluorescence._hot_lines("nu1+nu3-nu1", 50.0, 1.0)
    three = fluorescence._hot_lines("nu1+nu3-nu1", 50.0, 3.0)
    pumped = one["rate"] > 0
    ratio = three["rate"][pumped] / one["rate"][pumped]
    assert pumped.sum() > 300 and np.allclose(np.unique(np.round(ratio, 9)), [0.5, 1.5])


def test_shipped_hot_band_lines_are_hitrans_with_recomputed_weights():
    """The (011) and (101) -> (100) lines of linelists/h2o_cascade_lines.ecsv against the
    shared HITRAN files as the reference reads them: same A, and g = (2J+1) x {1, 3} where
    the 3400-4100 cm^-1 file has placeholder weights (g' = 81, g'' = 75 in most of them)."""
    from comaspec.physics import h2o_cascade

    d = ref.h2o_cascade_lines()
    theirs = {(u.replace(".", ""), lo.replace(".", "")): (a, gu, gl)
              for u, lo, a, gu, gl in zip(d["up"], d["low"], d["A"], d["g_up"], d["g_low"])
              if int(u[5:].split(".")[0]) < 10 and int(lo[5:].split(".")[0]) < 10}   # unambiguous labels
    raw = ref.read_par(ref.H2O_LABELLED[3], 1, 1)
    # lines of the hot bands' upper states whose weight in that file is not (2J'+1) g_ns
    flagged = set()
    for gu, gl, lu, ll, g_file in zip(raw["global_up"], raw["global_low"], raw["local_up"], raw["local_low"],
                                      raw["g_up"]):
        if gu.split() in (["0", "1", "1"], ["1", "0", "1"]):
            g_right = ref.h2o_spin_weight(int(gu.split()[2]), int(lu[3:6]), int(lu[6:9])) * (2 * int(lu[0:3]) + 1)
            if g_file != g_right:
                flagged.add((ref.h2o_key(gu, lu).replace(".", ""), ref.h2o_key(gl, ll).replace(".", "")))
    checked = fixed = 0
    for table in (h2o_cascade.hot_lines(), h2o_cascade.cascade_lines()):
        for u, lo, a, gu, gl in zip(table["upper"], table["lower"], table["A"], table["g_upper"], table["g_lower"]):
            if (u, lo) in theirs and (u.startswith("(011)") or (u.startswith("(101)") and lo.startswith("(100)"))):
                assert (a, gu, gl) == pytest.approx(theirs[(u, lo)], rel=1e-3), (u, lo)
                checked += 1
                fixed += (u, lo) in flagged
    assert checked > 1500 and fixed > 400     # measured 1851 and 469
    bad = (raw["g_up"] == 81) & (raw["g_low"] == 75)
    assert bad.sum() > 1000     # the placeholder weights are in the file (SOURCE.md)


def test_hot_bands_follow_the_solar_spectrum_asked_for():
    """The (101) pump at 1.38 µm sees the Meftah et al. 2023 spectrum at the comet's rdot
    when asked (solar plumbing of comaspec.physics.solar): the band g moves (+0.6 % at
    +30 km/s, measured), its shape with it; the E490 default is unchanged."""
    e490 = fluorescence.band_g_factor("H2O", "nu1+nu3-nu1", 50.0).value
    meftah = fluorescence.band_g_factor("H2O", "nu1+nu3-nu1", 50.0, solar="meftah2023", rdot=30.0).value
    assert meftah != e490 and meftah == pytest.approx(e490, rel=0.05)
    _, w0 = fluorescence.band_emission_weights("H2O", "nu1+nu3-nu1", 50.0, 3.0)
    _, w1 = fluorescence.band_emission_weights("H2O", "nu1+nu3-nu1", 50.0, 3.0, "meftah2023", 30.0)
    assert 0 < np.abs(w1 - w0).max() < 0.05 * w0.max()
