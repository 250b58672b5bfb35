"""Tests of the H2O line list (linelists/h2o_lines.ecsv) and its generator.

Independent references: HITRAN line positions, lower-state energies, g-factors and
296 K strengths (shared file, no quantum labels), the per-line H2O hot-band positions
of Villanueva et al. (2011, Icarus 216, 227, Table 2) and closed-form Honl-London
factors of the symmetric-top limit.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from astropy.table import Table

REPO = Path(__file__).resolve().parents[1]
HITRAN = ("hitran-linelists-spectr", "hitran_h2o_161_3300-4000cm.csv")
C2 = 1.4387768775039337  # second radiation constant hc/k in cm K (CODATA 2018)


def _load_builder():
    spec = importlib.util.spec_from_file_location(
        "build_h2o_lines", REPO / "linelists" / "build_h2o_lines.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def builder():
    return _load_builder()


@pytest.fixture(scope="module")
def lines():
    return Table.read(REPO / "linelists" / "h2o_lines.ecsv", format="ascii.ecsv")


@pytest.fixture(scope="module")
def ground(builder):
    constants, _ = builder.read_constants()
    return builder.State("000", constants["000"], 8)


@pytest.fixture(scope="module")
def bend(builder):
    constants, _ = builder.read_constants()
    return builder.State("010", constants["010"], 8)


def test_regeneration_reproduces_committed_file(builder, lines):
    """Consistency check: the script rebuilds the committed list from h2o_constants.ecsv
    (numbers compared to their written precision, so BLAS rounding differences cannot break
    the test). The list's physics is checked against HITRAN and Villanueva et al. below."""
    table = builder.build_table()
    assert table.colnames == lines.colnames and len(table) == len(lines)
    for name in ("band", "ortho", "J_u", "Ka_u", "Kc_u", "J_l", "Ka_l", "Kc_l"):
        assert np.array_equal(np.asarray(table[name]), np.asarray(lines[name])), name
    for name in ("wavenumber", "E_rot_upper", "g_upper"):
        assert np.allclose(table[name], lines[name], rtol=0, atol=2e-6), name
    assert np.allclose(table["A_rel"], lines["A_rel"], rtol=2e-6, atol=0)
    assert table.meta == lines.meta


def test_file_is_small_and_has_all_bands(lines):
    assert (REPO / "linelists" / "h2o_lines.ecsv").stat().st_size < 1_000_000
    assert set(lines["band"]) == {"nu3", "nu1", "nu3-nu2", "nu1-nu2", "nu2+nu3-nu2"}
    for name in ("wavenumber", "E_rot_upper", "g_upper", "ortho", "A_rel"):
        assert name in lines.colnames


def test_selection_rules_spin_and_zero_point(lines):
    dj = lines["J_u"] - lines["J_l"]
    assert np.all(np.abs(dj) <= 1)
    dka = (lines["Ka_u"] - lines["Ka_l"]) % 2
    dkc = (lines["Kc_u"] - lines["Kc_l"]) % 2
    a_type = np.isin(lines["band"], ["nu3", "nu3-nu2", "nu2+nu3-nu2"])
    assert np.all(dka[a_type] == 0) and np.all(dkc[a_type] == 1)
    assert np.all(dka[~a_type] == 1) and np.all(dkc[~a_type] == 1)
    assert np.all(lines["g_upper"] == 2 * lines["J_u"] + 1)
    # ortho: Ka+Kc odd in A1 states (100); even in the B2 states (001), (011)
    odd = (lines["Ka_u"] + lines["Kc_u"]) % 2 == 1
    from_001 = a_type
    assert np.all(lines["ortho"][from_001] == ~odd[from_001])
    assert np.all(lines["ortho"][~from_001] == odd[~from_001])
    # lower level (A1 states 000 and 010): ortho if Ka''+Kc'' odd -> spin conserved
    odd_low = (lines["Ka_l"] + lines["Kc_l"]) % 2 == 1
    assert np.all(lines["ortho"] == odd_low)
    assert np.all(lines["E_rot_upper"] >= 0)
    zero = (lines["J_u"] == 0)
    assert np.allclose(lines["E_rot_upper"][zero], 0.0)
    for band in set(lines["band"]):
        assert np.isclose(lines["A_rel"][lines["band"] == band].max(), 1.0)


@pytest.mark.parametrize("axis", ["a", "b"])
def test_line_strengths_match_honl_london_in_symmetric_top_limit(builder, axis):
    """Prolate top (B = C): S must equal the closed-form Honl-London factors."""
    c = {name: 0.0 for name in builder.PARAMETERS}
    c.update(A=10.0, B=3.0, C=3.0)
    for J in range(1, 5):
        vec_l = np.eye(2 * J + 1)
        for Jp in (J - 1, J, J + 1):
            if Jp < 0:
                continue
            vec_u = np.eye(2 * Jp + 1)
            for K in range(-J, J + 1):
                dks = (0,) if axis == "a" else (1, -1)
                for dk in dks:
                    Kp = K + dk
                    if abs(Kp) > Jp:
                        continue
                    s = builder.line_strength((Jp, 0, 0), vec_u[:, Kp + Jp], (J, 0, 0),
                                              vec_l[:, K + J], axis)
                    expected = _honl_london(J, K, Jp, Kp)
                    if axis == "b":
                        expected /= 2.0     # |mu_{+-1}|^2 = 1/2 for a unit moment along x
                    assert s == pytest.approx(expected, rel=1e-10, abs=1e-12)


def _honl_london(J, K, Jp, Kp):
    """Honl-London factors (sum over M) for J,K -> J',K' (Herzberg 1945, ch. IV)."""
    if Kp == K:
        if Jp == J + 1:
            return ((J + 1) ** 2 - K ** 2) / (J + 1)
        if Jp == J:
            return K ** 2 * (2 * J + 1) / (J * (J + 1)) if J > 0 else 0.0
        return (J ** 2 - K ** 2) / J
    d = Kp - K   # +-1; sign-symmetric formulas with K -> d*K
    k = d * K
    if Jp == J + 1:
        return (J + 2 + k) * (J + 1 + k) / (2 * (J + 1))
    if Jp == J:
        return (J + 1 + k) * (J - k) * (2 * J + 1) / (2 * J * (J + 1))
    return (J - 1 - k) * (J - k) / (2 * J)


def test_ground_levels_match_hitran_lower_state_energies(shared_data, builder, ground):
    """Every (000) level with J <= 4 appears among HITRAN's E'' within 0.08 cm-1."""
    nu, s296, e_low, g_up, g_low = builder.read_hitran_csv(shared_data(*HITRAN))
    known = np.unique(np.round(e_low, 4))
    for key in ground.levels:
        if key[0] > 4:
            continue
        e = ground.e_rot(key)
        assert np.min(np.abs(known - e)) < 0.08, key
    # the three lowest levels, quoted to the 4th decimal in HITRAN
    for key, e in (((1, 0, 1), 23.7944), ((1, 1, 1), 37.1371), ((2, 0, 2), 70.0908)):
        assert np.min(np.abs(known - e)) < 1e-3
        assert ground.e_rot(key) == pytest.approx(e, abs=0.01)


def _match_hitran(builder, shared_data, lines, lower, band, j_max, strong_fraction, tol=0.5):
    """Pair each strong model line (J', J'' <= j_max) with a HITRAN line of equal E'', g'', g'
    within ``tol`` cm-1 of its position.

    ``lower`` is the model State of the lower vibrational level ((000) or (010)).
    """
    nu, s296, e_low, g_up, g_low = builder.read_hitran_csv(shared_data(*HITRAN))
    sel = (lines["band"] == band) & (lines["J_u"] <= j_max) & (lines["J_l"] <= j_max)
    m = lines[sel]
    e_l = np.array([lower.e_term((r["J_l"], r["Ka_l"], r["Kc_l"])) for r in m])
    gns = np.where(m["ortho"], 3, 1)
    w = np.asarray(m["wavenumber"])
    s_model = (gns * m["g_upper"] * m["A_rel"] / w ** 2 * np.exp(-C2 * e_l / 296.0)
               * (1 - np.exp(-C2 * w / 296.0)))
    # strong lines inside the window of the HITRAN file
    strong = np.flatnonzero((s_model > strong_fraction * s_model.max())
                            & (w > nu.min() + 0.5) & (w < nu.max() - 0.5))
    pairs, missing = [], []
    for i in strong:
        cand = np.flatnonzero((np.abs(nu - w[i]) < tol) & (np.abs(e_low - e_l[i]) < 0.5)
                              & (g_low == gns[i] * (2 * m["J_l"][i] + 1))
                              & (g_up == gns[i] * (2 * m["J_u"][i] + 1)))
        if len(cand):
            pairs.append((s_model[i], s296[cand[np.argmax(s296[cand])]]))
        else:
            missing.append(tuple(int(m[n][i]) for n in ("J_u", "Ka_u", "Kc_u",
                                                         "J_l", "Ka_l", "Kc_l")))
    return np.array(pairs), missing, len(strong)


@pytest.mark.parametrize("band", ["nu3", "nu1"])
def test_positions_all_strong_lines(shared_data, builder, lines, ground, band):
    """Every strong line (>= 5 % of the band maximum at 296 K, J', J'' <= 6) lies within
    0.5 cm-1 of a HITRAN line with the same E'' (0.5 cm-1), g'' and g' (measured: median
    0.005 cm-1, worst 0.19 (nu3) and 0.20 cm-1 (nu1))."""
    pairs, missing, n = _match_hitran(builder, shared_data, lines, ground, band, 6, 0.05)
    assert n > 80
    assert missing == []


@pytest.mark.parametrize("band", ["nu3", "nu1"])
def test_positions_low_j_lines_within_0p1(shared_data, builder, lines, ground, band):
    """The lines that carry a 20-80 K coma's emission (J', J'' <= 3, >= 5 % at 296 K) lie
    within 0.1 cm-1 of HITRAN (measured worst: nu3 0.017, nu1 0.014 cm-1; an unweighted
    refit put the (100) 0_00 level 0.22 cm-1 high and missed this by up to 0.46 cm-1)."""
    pairs, missing, n = _match_hitran(builder, shared_data, lines, ground, band, 3, 0.05,
                                      tol=0.1)
    assert n > 30
    assert missing == []


def _relative_deviation(pairs):
    model = pairs[:, 0] / pairs[:, 0].sum()
    hitran = pairs[:, 1] / pairs[:, 1].sum()
    return np.abs(model / hitran - 1)


def test_nu3_relative_strengths_296K(shared_data, builder, lines, ground):
    """nu3, J', J'' <= 6: relative 296 K strengths vs HITRAN after normalising on the sum.

    The issue's criterion: every strong line (>= 20 % of the band's strongest) within 5 %.
    Measured: >= 20 % (45 lines): median 1.1 %, worst 4.0 %; lines >= 5 % (88): median
    1.1 %, 90th percentile 3.8 %, worst 14.7 %. Before the moment corrections
    {Jz^2, phi} and the joint positions + strengths fit: median 2.3 %, worst 7.4 %
    (>= 20 %), 5 lines beyond 5 %.
    """
    pairs, _, _ = _match_hitran(builder, shared_data, lines, ground, "nu3", 6, 0.2)
    dev = _relative_deviation(pairs)
    assert len(pairs) >= 40
    assert np.median(dev) < 0.02 and dev.max() < 0.05
    pairs, _, _ = _match_hitran(builder, shared_data, lines, ground, "nu3", 6, 0.05)
    dev = _relative_deviation(pairs)
    assert len(pairs) >= 80
    assert np.median(dev) < 0.02 and np.percentile(dev, 90) < 0.06 and dev.max() < 0.2


def test_nu1_relative_strengths_296K(shared_data, builder, lines, ground):
    """nu1: every strong line (>= 20 % of the strongest, J', J'' <= 6) within 5 %.

    Measured: >= 20 % (32 lines): median 1.3 %, worst 4.7 % (5_05 - 6_16); J <= 3,
    lines >= 5 % (40): median 0.6 %, worst 2.4 %. Before: 2.7 % / 6.7 % and 1.9 % /
    8.1 %; the worst was the (100) 5_32 level (13 % (001) character), too strong in
    both its lines (+6.7, +4.9 %) while its Coriolis mixing came from positions alone.
    """
    pairs, _, _ = _match_hitran(builder, shared_data, lines, ground, "nu1", 6, 0.2)
    dev = _relative_deviation(pairs)
    assert len(pairs) >= 30
    assert np.median(dev) < 0.02 and dev.max() < 0.05
    pairs, _, _ = _match_hitran(builder, shared_data, lines, ground, "nu1", 3, 0.05)
    dev = _relative_deviation(pairs)
    assert len(pairs) >= 35
    assert np.median(dev) < 0.02 and dev.max() < 0.04


def test_strength_fit_generalises_across_j_halves(shared_data, builder):
    """Moment ratio and corrections fitted (with the committed dyad) to the 296 K strengths
    of even-J'' lines only predict the strong (>= 20 %) odd-J'' lines within 5 %, and vice
    versa. Measured: even -> odd worst 4.2 % (nu3), 3.5 % (nu1); odd -> even 3.2 %, 4.7 %.
    The dyad's mixing was fitted with all strengths, so it is not held out here; the full
    held-out refit (``build_h2o_lines.py --refit CSV --holdout even|odd``) gives 4.1 / 3.7 %
    and 3.3 / 4.1 %."""
    constants, meta = builder.read_constants()
    coupling = meta["coupling_100_001"]
    hitran = builder.read_hitran_csv(shared_data(*HITRAN))
    pairs = builder.moment_pairs(constants, coupling, hitran)
    dyad = builder.Dyad(constants, coupling, builder.FIT_J_MAX + 1)
    j_low = np.array([p[2][0] for p in pairs])
    for train in (j_low % 2 == 0, j_low % 2 == 1):
        ratio, kappa = builder._fit_moments(pairs, use=train)
        model = builder.pair_strengths(dyad, pairs, ratio, kappa)
        for band, dev in builder.strong_line_deviation(pairs, model, select=~train).items():
            assert len(dev) >= 15, band
            assert dev.max() < 0.05, (band, dev.max())


def test_hot_band_nu2_nu3_positions_and_strengths(shared_data, builder, lines, bend):
    """(011)-(010) at 2.67 um: all strong lines (J <= 6) within 0.5 cm-1 of HITRAN, and
    relative 296 K strengths -- predicted with the moment ratio and Herman-Wallis
    constants fitted to the fundamentals, not to this band. Measured: positions worst
    0.11 cm-1; strengths median 1.8 %, worst 7.3 % (lines >= 20 %); median 2.0 %, worst
    11.7 % (>= 5 %)."""
    pairs, missing, n = _match_hitran(builder, shared_data, lines, bend, "nu2+nu3-nu2", 6, 0.05)
    assert n > 60 and missing == []
    dev = _relative_deviation(pairs)
    assert np.median(dev) < 0.03 and dev.max() < 0.2
    pairs, _, _ = _match_hitran(builder, shared_data, lines, bend, "nu2+nu3-nu2", 6, 0.2)
    dev = _relative_deviation(pairs)
    assert len(pairs) > 30 and np.median(dev) < 0.03 and dev.max() < 0.10


def test_hot_band_positions_match_villanueva2011(shared_data, lines):
    path = shared_data("comet-gfactors-published", "villanueva_gfactor_validation_targets.csv")
    table = Table.read(path, format="ascii.csv")
    h2o = table[(table["species"] == "H2O") & np.isin(table["band"], ["(001)-(010)",
                                                                       "(100)-(010)"])]
    assert len(h2o) == 5
    for row in h2o:
        up, low = row["line"].split("-")
        uq = tuple(int(x) for x in up[5:8])
        lq = tuple(int(x) for x in low[5:8])
        band = "nu3-nu2" if up.startswith("(001)") else "nu1-nu2"
        sel = ((lines["band"] == band) & (lines["J_u"] == uq[0]) & (lines["Ka_u"] == uq[1])
               & (lines["Kc_u"] == uq[2]) & (lines["J_l"] == lq[0])
               & (lines["Ka_l"] == lq[1]) & (lines["Kc_l"] == lq[2]))
        assert sel.sum() == 1, row["line"]
        assert abs(lines["wavenumber"][sel][0] - row["nu_cm"]) < 0.5, row["line"]
        assert bool(lines["ortho"][sel][0]) == (row["note"] == "ortho")
