"""Validation of comaspec's fluorescence-equilibrium model (issue #9) against things comaspec did not make.

1. Published line g-factors: Villanueva et al. 2011 (Icarus 216, 227), Table 2, in
   ``../shared/data/comet-gfactors-published`` (five CO v=1-0 lines at 80 K, five H2O
   (001)/(100) -> (010) lines at 79 K).
2. The independent generator ``tests/fluorescence_reference.py`` (HITRAN line data and the
   E490-00a solar spectrum, written from the textbook, no comaspec physics): line g-factors
   of CO2 nu3, CO 1-0 and H2O nu3/nu1, band totals.
3. Injection-recovery: spectra built from the reference's sticks (PRISM, G235H+G395H,
   G395H; T_rot 15-80 K) fitted with comaspec's forward model. At fixed T_rot the model is
   linear, so the 2000-draw pull statistics use comaspec's design matrix
   (`comaspec.model.ForwardModel.design`) and a weighted least-squares solve; T_rot recovery
   uses full `comaspec.fit_coma` fits; the thermal model's bias on the same spectra is
   measured; and ``comaspec ratio`` is run on x1d files of the reference spectra.

What the reference cannot supply, and how it is handled (see its module docstring):

* H2O lines at 4.6-4.9 um (the (001)/(100) -> (010) channels): the shared H2O subset stops
  at 3300 cm^-1. In the injected spectra, comaspec's nu3 band is the reference's (001) lines
  (79 % of the 2.7 um feature's flux); nu1 (whose (100) levels comaspec also feeds by the
  (101) -> (100) cascade, which the reference does not model), the 2.7 um hot bands and the
  4.7 um channels are comaspec's own profiles with comaspec's band weights. H2O in G395H
  (fitted there through its 4.7 um feature) is therefore NOT independently validated.
* The reference's (001)/(100) levels decay only through their 2.7 um lines: comparisons of
  H2O totals use the photons summed over all channels of the levels pumped from (000),
  with comaspec's cascade feed of (100) taken out. The reference tells (001), (100) and
  (020) levels apart by their total Einstein A in the HITRAN data.

Measured against comaspec at main a9365a2 (2026-11-30):

* Villanueva et al. 2011: CO line ratios 0.951-1.068, absolute 0.954-1.071 (pass). H2O 4.7 um
  at 79 K (pass since issue #19: branching from HITRAN's line A, (100) fed by the 1.38 um
  cascade): absolute 0.983, 0.953, 0.993, 0.998 for the (001) lines and 0.893 for
  (100)221-(010)110. (Before: 1.14-1.31 and 0.63, with the cited band ratio 2.64 %.)
* Reference: CO2 nu3 band g 0.999, 13CO2 0.9985, CO 0.980 (HITRAN2016 vs 2020 A); strong
  lines CO2 0.994-1.009, CO 0.976-0.981, H2O nu3 0.93-1.02 (shares within 5 %); H2O (001)
  photons 1.004, (100) direct 0.98-0.99.
* Noiseless fit/true at the true T_rot: CO2 1.0001-1.0003, H2O 0.9991-0.9998, CO 0.999-1.000;
  thermal model at 20 K: H2O 0.48 (PRISM), 0.39 (G235H+G395H), CO 0.91, CO2 0.99.
  If the reference's nu1 lines (no cascade) are injected instead of comaspec's, H2O comes
  out 1.064-1.075 (PRISM) and 1.039-1.044 (G235H+G395H): the size of the cascade's effect.
* Pulls at SNR 20, 2000 draws: |mean| <= 0.07, std 0.98-1.03; fit_coma T_rot within 1.6 sigma.
"""

import json

import astropy.units as u
import numpy as np
import pytest

import fluorescence_reference as ref
from comaspec.physics import fluorescence, instrument, templates
from comaspec.apertures import CircularAperture
from comaspec.cli import main
from comaspec.fit import fit_coma, linear_solve
from comaspec.geometry import Geometry
from comaspec.model import ForwardModel, ObservedSpectrum, band_weights
from comaspec.physics.assumptions import Assumptions
from comaspec.synthetic import wavelength_grid, write_x1d

GEO = Geometry(3.32 * u.au, 2.61 * u.au)
AP = CircularAperture(0.5 * u.arcsec)
N_DRAWS = 2000
T_GRID = (15.0, 25.0, 40.0, 80.0)
MODES = {"PRISM": ("PRISM",), "G235H+G395H": ("G235H", "G395H"), "G395H": ("G395H",)}
SPECIES = ("CO2", "H2O", "CO")
# reference lines used for each species (cm^-1): all HITRAN lines of the shared subsets
REF_RANGE = {"CO2": (2200.0, 2420.0), "H2O": (3300.0, 4000.0), "CO": (2000.0, 2300.0)}
# H2O: comaspec's nu3 band is injected with the reference's (001) lines; the other bands of
# the model (nu1, whose (100) levels comaspec also feeds by the (101) cascade, the hot bands,
# the 4.7 um channels) with comaspec's own profiles and band weights
H2O_REF_BAND, H2O_REF_STATE = "nu3", "(001)"

_FOLDERS = ("hitran-co2-co-radis", "hitran-linelists-spectr", "comet-gfactors-published")


@pytest.fixture(autouse=True)
def _need_shared(shared_data):
    for folder in _FOLDERS:
        shared_data(folder, "SOURCE.md")


def _values(column):
    return np.asarray(getattr(column, "value", column), dtype=float)


# ============================================================== 1. published line g-factors
def _published(species):
    t = ref.villanueva_table()
    return t[t["species"] == species]


def _villanueva_ratios(species, T, bands=None):
    """(line labels, ours/published, shares ours/published) for Villanueva's lines."""
    rows = _published(species)
    if bands:
        rows = rows[np.isin(np.asarray(rows["band"]).astype(str), bands)]
    table = fluorescence.line_g_factors(species, T)
    labels = np.asarray(table["line"]).astype(str)
    band_of = np.asarray(table["band"]).astype(str)
    ours = []
    for row in rows:
        hit = np.flatnonzero((labels == row["line"]) & ((band_of == "1-0") if species == "CO" else True))
        assert hit.size == 1, (row["line"], hit.size)
        assert _values(table["wavenumber"])[hit[0]] == pytest.approx(row["nu_cm"], abs=0.05)
        ours.append(_values(table["g"])[hit[0]])
    ours, pub = np.array(ours), np.asarray(rows["g"], dtype=float)
    shares = (ours / ours.mean()) / (pub / pub.mean())
    return list(rows["line"]), ours / pub, shares


def test_co_line_g_factors_match_villanueva_2011():
    """Issue #9: the five CO lines at 80 K, ratios within 10 %, absolute within 25 %.
    Measured: shares 0.952-1.069, absolute 0.954-1.071."""
    lines, absolute, shares = _villanueva_ratios("CO", 80.0)
    assert len(lines) == 5
    assert np.all(np.abs(shares - 1) < 0.10), dict(zip(lines, shares.round(3)))
    assert np.all(np.abs(absolute - 1) < 0.25), dict(zip(lines, absolute.round(3)))


def test_h2o_4p7um_lines_match_villanueva_2011():
    """Issue #19 item 5: the five (001)/(100) -> (010) lines at 79 K, ratios within 10 % and
    absolute within 25 %. Measured (branching from HITRAN's line A, (100) fed by the 1.38 µm
    cascade): absolute 0.983, 0.893, 0.953, 0.993, 0.998 ((001)111, (100)221, (001)220,
    (001)000, (001)212); shares 0.93-1.04. Before issue #19 (cited band ratio, (101) feed
    spread like nu3): 1.14-1.31 for (001) and 0.63 for (100)221-(010)110."""
    lines, absolute, shares = _villanueva_ratios("H2O", 79.0, ("(001)-(010)", "(100)-(010)"))
    assert len(lines) == 5 and "(100)221-(010)110" in lines
    assert np.all(np.abs(shares - 1) < 0.10), dict(zip(lines, shares.round(3)))
    assert np.all(np.abs(absolute - 1) < 0.25), dict(zip(lines, absolute.round(3)))


# ============================================================== 2. against the reference
def _matched(species, band, T, min_share=0.05):
    """comaspec's strong lines of ``band`` (g >= ``min_share`` x the strongest) and the
    reference line at each position.

    The reference line is the strongest one within 0.02 cm^-1 (comaspec's H2O positions come
    from fitted constants: |dnu| < 0.016 cm^-1 for these lines; H2O has unpumped lines within
    0.01 cm^-1 of pumped ones); its index in the reference's line arrays is returned too
    (g NaN and index -1 when there is none).
    """
    table = fluorescence.line_g_factors(species, T)
    table = table[np.asarray(table["band"]).astype(str) == band]
    nu_c, g_c = _values(table["wavenumber"]), _values(table["g"])
    nu_r, g_r = ref.line_g_factors(species, T)
    top = np.flatnonzero(g_c >= min_share * g_c.max())
    top = top[np.argsort(g_c[top])[::-1]]
    j = np.full(top.size, -1)
    for i, k in enumerate(top):
        near = np.flatnonzero(np.abs(nu_r - nu_c[k]) < 0.02)
        if near.size and g_r[near].max() > 0:
            j[i] = near[np.argmax(g_r[near])]
    return table[top], g_c[top], np.where(j >= 0, g_r[j], np.nan), j


@pytest.mark.parametrize("T", [20.0, 50.0, 80.0])
@pytest.mark.parametrize("species,band,line_tol", [
    ("CO2", "nu3", 0.03),
    ("CO", "1-0", 0.03),
    ("H2O", "nu3", 0.10),
])
def test_strong_line_ratios_match_reference(species, band, line_tol, T):
    """Each strong line's (>= 5 % of the strongest) share of their total agrees with the reference."""
    _, g_c, g_r, _ = _matched(species, band, T)
    assert g_c.size >= 8
    assert np.all(np.isfinite(g_r)), "a strong comaspec line has no pumped reference line within 0.02 cm-1"
    share = (g_c / g_c.sum()) / (g_r / g_r.sum())
    assert np.all(np.abs(share - 1) < line_tol), share.round(3)


@pytest.mark.parametrize("T", [20.0, 50.0, 80.0])
def test_h2o_nu3_absolute_lines_match_reference_less_the_4p7um_branch(T):
    """(001) levels: comaspec's 2.7 um lines = reference x (1 - branching to (010)).

    The reference has no (001) -> (010) channel; comaspec takes it from HITRAN's line A
    (2.1 % of the photons), so its nu3 lines must sit that much below the reference (less
    the 0.9 % that the 1.38 um cascade adds to (001)).
    """
    _, g_c, g_r, _ = _matched("H2O", "nu3", T)
    g3 = fluorescence.band_g_factor("H2O", "nu3", T).value
    g32 = fluorescence.band_g_factor("H2O", "nu3-nu2", T).value
    expected = g3 / (g3 + g32)
    ratio = g_c / g_r
    assert np.median(ratio) == pytest.approx(expected, rel=0.02)
    assert np.all(np.abs(ratio / expected - 1) < 0.10), ratio.round(3)


@pytest.mark.parametrize("T", [20.0, 50.0, 80.0])
@pytest.mark.parametrize("species,band,tol", [
    # CO: the reference reads the HITRAN2016-era .par A, comaspec HITRAN2020 intensities,
    # which are 2.0 % lower (test_fluorescence_reference); 13CO2 per molecule of 13CO2
    ("CO2", "nu3", 0.01), ("13CO2", "nu3", 0.01), ("CO", "1-0", 0.03),
])
def test_band_g_factor_matches_reference(species, band, tol, T):
    ours = fluorescence.band_g_factor(species, band, T).to_value(1 / u.s)
    lo, hi = {"CO2": (2200, 2420), "13CO2": (2200, 2320), "CO": (2000, 2300)}[species]
    assert ours == pytest.approx(ref.band_g_factor(species, T, lo, hi), rel=tol)


@pytest.mark.parametrize("T", [20.0, 50.0, 80.0])
def test_h2o_photons_per_upper_state_match_reference(T):
    """Photons of all channels of the levels pumped from (000): independent of the branching.

    (001): comaspec nu3 + nu3-nu2 vs the reference's (001) lines (its (001) levels decay only
    at 2.7 um). (100): comaspec nu1 + nu1-nu2 vs the reference's (100) lines (direct pumping
    only). Both less comaspec's 1.38 um cascade feed of those levels (issue #19: 61-64 % of
    (100), 0.9 % of (001)). The reference classes upper levels by their total Einstein A
    (no comaspec labels).
    """
    g = {b: fluorescence.band_g_factor("H2O", b, T).to_value(1 / u.s)
         for b in ("nu3", "nu1", "nu3-nu2", "nu1-nu2")}
    system, _, _, terms = fluorescence._system_a("H2O", "nu3")
    feed = terms.cascade @ fluorescence._populations(system, T, 3.0)
    is100 = np.char.startswith(system.upper_label.astype(str), "(100)")
    nu, g_ref = ref.line_g_factors("H2O", T)
    state = ref.h2o_upper_state()
    assert g["nu3"] + g["nu3-nu2"] - feed[~is100].sum() == pytest.approx(g_ref[state == "(001)"].sum(), rel=0.03)
    assert g["nu1"] + g["nu1-nu2"] - feed[is100].sum() == pytest.approx(g_ref[state == "(100)"].sum(), rel=0.05)


@pytest.mark.parametrize("T", [20.0, 50.0, 80.0])
def test_h2o_nu3_pump_rate_of_each_strong_level_matches_reference(T):
    """Per (001) level: comaspec's photons summed over its lines (all channels), less its
    1.38 um cascade feed (not in the reference), = reference's."""
    table, _, _, j = _matched("H2O", "nu3", T)
    system, _, _, terms = fluorescence._system_a("H2O", "nu3")
    feed = dict(zip(system.upper_label.astype(str), terms.cascade @ fluorescence._populations(system, T, 3.0)))
    full = fluorescence.line_g_factors("H2O", T)
    up_c, g_c = np.asarray(full["upper"]).astype(str), _values(full["g"])
    _, g_ref = ref.line_g_factors("H2O", T)
    up_r = ref.levels_of("H2O").upper
    ratios = {}
    for label, k in zip(np.asarray(table["upper"]).astype(str), j):
        if k >= 0 and label not in ratios:
            ratios[label] = (g_c[up_c == label].sum() - feed[label]) / g_ref[up_r == up_r[k]].sum()
    assert len(ratios) >= 4
    bad = {k: round(v, 3) for k, v in ratios.items() if abs(v - 1) > 0.05}
    assert not bad, bad


@pytest.mark.parametrize("T", [20.0, 80.0])
def test_h2o_nu1_branching_within_each_level_matches_reference(T):
    """(100) levels: how a level's 2.7 um photons split over its lines (relative A only;
    independent of the pumping and the cascade, which the reference cannot check).

    The reference level is found from the level's strongest line (within 0.02 cm^-1); its
    other lines are then matched among that level's lines only, within 0.2 cm^-1 (some
    comaspec nu1 positions are 0.07 cm^-1 off HITRAN, e.g. (100)330-(000)441).
    (100)532, strong at 80 K since the 1.38 um cascade feeds it (issue #19), has one line
    at 1.26x the reference's share: the relative A of ``h2o_lines.ecsv`` (effective
    Hamiltonian) for that line; allowed up to 30 %.
    """
    known = {"(100)532": 0.30}
    table, _, _, j = _matched("H2O", "nu1", T, min_share=0.02)
    full = fluorescence.line_g_factors("H2O", T)
    full = full[np.asarray(full["band"]).astype(str) == "nu1"]
    up_c, nu_c, g_c = np.asarray(full["upper"]).astype(str), _values(full["wavenumber"]), _values(full["g"])
    nu_r, g_r = ref.line_g_factors("H2O", T)
    up_r = ref.levels_of("H2O").upper
    checked = set()
    for label, k in zip(np.asarray(table["upper"]).astype(str), j):
        if k < 0 or label in checked:
            continue
        mine = np.flatnonzero(up_c == label)
        theirs = np.flatnonzero(up_r == up_r[k])
        pick = [theirs[np.argmin(np.abs(nu_r[theirs] - nu_c[m]))] for m in mine]
        ok = np.abs(nu_r[pick] - nu_c[mine]) < 0.2
        strong = g_c[mine] >= 0.05 * g_c[mine].max()
        sel = ok & strong
        if sel.sum() < 2:
            continue
        share = (g_c[mine][sel] / g_c[mine][sel].sum()) / (g_r[pick][sel] / g_r[pick][sel].sum())
        assert np.all(np.abs(share - 1) < known.get(str(label), 0.10)), (label, share.round(3))
        checked.add(label)
    assert len(checked) >= 3


# ============================================================== 3. injected reference spectra
def _continuum(wl):
    """A smooth continuum the window polynomials describe exactly, W m-2 um-1."""
    return 4e-17 * (1.0 - 0.12 * (wl - 3.5) + 0.02 * (wl - 3.5) ** 2)


def _ref_sticks(species, T, ortho_para=3.0):
    return ref.sticks(species, T, ortho_para, lo_cm=REF_RANGE[species][0], hi_cm=REF_RANGE[species][1],
                      upper_state=H2O_REF_STATE if species == "H2O" else None)


def _h2o_weights():
    """comaspec's H2O band weights relative to its 2.7 um feature flux: (feature, band) -> A_b / Phi."""
    w = band_weights("H2O", GEO, AP)
    phi = sum(a for (feature, _), a in w.items() if feature == "2.7um")
    return {key: a / phi for key, a in w.items()}


def _truth(fm, fluxes):
    """Injected flux of each fitted species' reported feature (H2O: 2.7 or 4.7 um)."""
    out = dict(fluxes)
    feature = fm.species["H2O"].feature
    out["H2O"] = fluxes["H2O"] * sum(w for (f, _), w in _h2o_weights().items() if f == feature)
    return out


def _gas(species, wl, lsf, T, flux, emission_extra="fluorescence", ortho_para=3.0):
    """Injected gas spectrum of one species whose default feature has band flux ``flux``."""
    nu, g = _ref_sticks(species, T, ortho_para)
    if species != "H2O":
        return ref.band_spectrum(wl, nu, g, flux, lsf)
    w = _h2o_weights()
    y = ref.band_spectrum(wl, nu, g, flux * w[("2.7um", H2O_REF_BAND)], lsf)
    # beyond the reference's reach: comaspec's own profiles
    for (_, band), weight in w.items():
        if band != H2O_REF_BAND:
            y = y + flux * weight * templates.band_profile("H2O", band, wl, T, lsf, emission=emission_extra,
                                                           ortho_para=ortho_para)
    return y


def _injected(modes, T, fluxes, sigma=1.0, ortho_para=3.0):
    """Noiseless reference spectra (ObservedSpectrum per mode) with constant sigma."""
    out = []
    for mode in modes:
        wl = wavelength_grid(mode)
        lsf = instrument.make_lsf(mode)
        y = _continuum(wl)
        for species, flux in fluxes.items():
            y = y + _gas(species, wl, lsf, T, flux, ortho_para=ortho_para)
        out.append(ObservedSpectrum(wl, y, np.full(wl.size, sigma), np.ones(wl.size, dtype=bool), lsf,
                                    label=f"reference {mode}", mode=mode))
    return out


def _model(spectra, emission="fluorescence"):
    return ForwardModel(spectra, list(SPECIES), GEO, [AP] * len(spectra), assumptions=Assumptions(emission=emission))


def _linear(fm, T):
    y, sigma = fm.data()
    a = fm.design({"T_rot": T})
    return a, y, sigma


@pytest.fixture(scope="module")
def unit_errors():
    """Band-flux error per species for sigma = 1 W m-2 um-1, per mode set (flux-independent).

    H2O: the error of its reported feature expressed as 2.7 um feature flux (the injected
    quantity), so that the requested SNR is the SNR of what is fitted (4.7 um in G395H).
    """
    out = {}
    for name, modes in MODES.items():
        fm = _model(_injected(modes, 40.0, {s: 0.0 for s in SPECIES}))
        a, y, sigma = _linear(fm, 40.0)
        cov = linear_solve(a, y, sigma).covariance
        share = _truth(fm, {s: 1.0 for s in SPECIES})
        out[name] = {s: float(np.sqrt(cov[j, j])) / share[s] for j, s in enumerate(fm.fitted_species)}
    return out


def _fluxes_for_snr(unit_err, snr):
    """Band fluxes giving each species the requested SNR at sigma = 1."""
    return {s: snr[s] * unit_err[s] for s in SPECIES}


# H2O and CO2 at SNR 20 (a solid detection, the regime of the "SNR > 10"), CO at 10
SNR = {"CO2": 20.0, "H2O": 20.0, "CO": 10.0}


@pytest.mark.parametrize("modes", list(MODES))
@pytest.mark.parametrize("T", T_GRID)
def test_band_flux_pulls_on_reference_spectra(modes, T, unit_errors):
    """Mean pull within +-0.1 and pull width 0.9-1.1 over 2000 noise draws (fixed true T_rot).

    H2O in G235H+G395H: within +-0.25. Since issue #19 comaspec's nu3 holds the photons of
    (001) levels fed by the 1.38 um cascade (0.9 % of (001), spread over more J than direct
    pumping), which the reference's (001) lines lack; at G235H resolution that biases the
    noiseless fit by +0.73 % (15 K), +0.57 % (25 K), +0.15 % (80 K): mean pulls 0.23 and 0.14
    at 15 and 25 K (PRISM: +0.1 %).
    """
    fluxes = _fluxes_for_snr(unit_errors[modes], SNR)
    fm = _model(_injected(MODES[modes], T, fluxes))
    a, y0, sigma = _linear(fm, T)
    rng = np.random.default_rng(int(T) * 10 + list(MODES).index(modes))
    sol = linear_solve(a, y0[:, None] + rng.normal(0.0, 1.0, (y0.size, N_DRAWS)) * sigma[:, None], sigma)
    truth = _truth(fm, fluxes)
    checked = ("CO2",) if modes == "G395H" else ("CO2", "H2O")  # G395H H2O is comaspec's own 4.7 um
    for name in checked:
        j = fm.fitted_species.index(name)
        pulls = (sol.coef[j] - truth[name]) / np.sqrt(sol.covariance[j, j])
        bound = 0.25 if (name, modes) == ("H2O", "G235H+G395H") else 0.1
        assert abs(pulls.mean()) < bound, (name, round(float(pulls.mean()), 3))
        assert 0.9 < pulls.std() < 1.1, (name, round(float(pulls.std()), 3))


def _noiseless_ratio(modes, T, emission, T_fit=None):
    """Fitted / injected band flux of each species on noiseless reference spectra."""
    fluxes = {"CO2": 1e-17, "H2O": 1e-17, "CO": 2e-18}
    fm = _model(_injected(MODES[modes], T, fluxes), emission=emission)
    a, y, sigma = _linear(fm, T if T_fit is None else T_fit)
    coef = linear_solve(a, y, sigma).coef
    truth = _truth(fm, fluxes)
    return {s: coef[j] / truth[s] for j, s in enumerate(fm.fitted_species)}


@pytest.mark.parametrize("modes", ["PRISM", "G235H+G395H"])
def test_thermal_model_is_biased_on_fluorescence_spectra_at_20K(modes):
    """Why the default changed: at 20 K the thermal (upper-state Boltzmann) H2O template
    misses a large part of the H2O flux of a fluorescence spectrum; the fluorescence
    model recovers it (same spectra, same fixed T_rot, noiseless)."""
    thermal = _noiseless_ratio(modes, 20.0, "thermal")
    fluor = _noiseless_ratio(modes, 20.0, "fluorescence")
    assert thermal["H2O"] < 0.75, thermal          # > 25 % low (measured 0.48 PRISM, 0.39 G235H+G395H)
    assert abs(fluor["H2O"] - 1) < 0.01, fluor
    assert abs(fluor["CO2"] - 1) < 0.005, fluor
    assert abs(fluor["CO"] - 1) < 0.02, fluor


@pytest.mark.parametrize("modes", list(MODES))
@pytest.mark.parametrize("T", T_GRID)
def test_trot_recovered_by_fit_coma(modes, T, unit_errors):
    """Full nonlinear fit (free T_rot and shift) of one noisy reference spectrum per case."""
    fluxes = _fluxes_for_snr(unit_errors[modes], {"CO2": 30.0, "H2O": 30.0, "CO": 10.0})
    rng = np.random.default_rng(100 + int(T))
    spectra = []
    for sp in _injected(MODES[modes], T, fluxes):
        sp.flux = sp.flux + rng.normal(0.0, 1.0, sp.flux.size) * sp.error
        spectra.append(sp)
    fit = fit_coma(spectra, GEO, AP, species=SPECIES, emission="fluorescence")
    truth = _truth(_model(spectra), fluxes)
    res = fit.species["CO2"]
    t_err = res.extra.get("T_rot_err_K")
    assert t_err is not None and t_err > 0
    assert abs(res.T_rot - T) < 3 * t_err, (res.T_rot, t_err)
    for name in ("CO2",) if modes == "G395H" else ("CO2", "H2O"):
        s = fit.species[name]
        assert abs(s.band_flux - truth[name]) < 3 * s.band_flux_err, (name, s.band_flux / truth[name])


@pytest.mark.parametrize("seed", [0, 1])
def test_ortho_para_recovered_by_fit_coma(unit_errors, seed):
    """The ortho/para ratio (free) from G235H+G395H reference spectra injected at OPR 2.5, T_rot 35 K,
    H2O at SNR 40: within 3 sigma, with an error below 0.3. The nu3 lines that carry the ratio
    are the reference's (001) lines at that OPR (the independent check of
    tests/test_fluorescence_fit.py's round trips). Measured over 6 seeds: pulls -0.67..+0.51,
    errors 0.15-0.18; injected at 3.0 the fit gives 2.88 +- 0.20."""
    truth_opr, T = 2.5, 35.0
    fluxes = _fluxes_for_snr(unit_errors["G235H+G395H"], {"CO2": 30.0, "H2O": 40.0, "CO": 10.0})
    rng = np.random.default_rng(200 + seed)
    spectra = []
    for sp in _injected(MODES["G235H+G395H"], T, fluxes, ortho_para=truth_opr):
        sp.flux = sp.flux + rng.normal(0.0, 1.0, sp.flux.size) * sp.error
        spectra.append(sp)
    fit = fit_coma(spectra, GEO, AP, species=SPECIES, emission="fluorescence", ortho_para="fit")
    opr, err = fit.fit_info["ortho_para"], fit.fit_info["ortho_para_err"]
    assert fit.fit_info["ortho_para_fitted"] is True
    assert err is not None and 0 < err < 0.3, err
    assert abs(opr - truth_opr) < 3 * err, (opr, err)


# ============================================================== 4. the command line
def _write_reference_x1d(path, mode, T, fluxes, sigma, seed):
    (sp,) = _injected((mode,), T, fluxes, sigma=sigma)
    rng = np.random.default_rng(seed)
    flux = sp.flux + rng.normal(0.0, sigma, sp.flux.size)
    to_jy = u.spectral_density(sp.wavelength_um * u.um)
    flam = u.W / u.m**2 / u.um
    write_x1d(path, sp.wavelength_um, (flux * flam).to_value(u.Jy, equivalencies=to_jy),
              (np.full(flux.size, sigma) * flam).to_value(u.Jy, equivalencies=to_jy), mode, GEO, AP,
              target="independent fluorescence reference")


@pytest.mark.parametrize("mode,T,snr", [("PRISM", 25.0, 5.0), ("PRISM", 40.0, 30.0),
                                        ("G395H", 25.0, 30.0), ("G395H", 80.0, 5.0)])
def test_cli_ratio_recovers_reference_band_fluxes(tmp_path, capsys, unit_errors, mode, T, snr):
    """``comaspec ratio`` on x1d files of the reference: within 3 sigma, and 10 % at SNR > 10."""
    fluxes = _fluxes_for_snr(unit_errors[mode], {"CO2": snr, "H2O": snr, "CO": snr / 2})
    sigma = 1e-19  # W m-2 um-1; fluxes scale with it
    fluxes = {s: f * sigma for s, f in fluxes.items()}
    path = tmp_path / f"ref_{mode}_{int(T)}K_x1d.fits"
    _write_reference_x1d(path, mode, T, fluxes, sigma, seed=int(T) + int(snr))
    code = main(["ratio", str(path), "--rh", "3.32", "--delta", "2.61", "--aperture-radius", "0.5", "--json"])
    out = capsys.readouterr().out
    assert code == 0
    species = json.loads(out)["species"]
    truth = dict(fluxes)
    feature = species["H2O"]["feature"]
    truth["H2O"] = fluxes["H2O"] * sum(w for (f, _), w in _h2o_weights().items() if f == feature)
    for name in ("CO2", "H2O"):
        d = species[name]
        f, e = d["band_flux_W_m2"], d["band_flux_err_W_m2"]
        assert abs(f - truth[name]) < 3 * e, (name, f / truth[name], (f - truth[name]) / e)
        if f / e > 10:
            assert abs(f / truth[name] - 1) < 0.10, (name, f / truth[name])
