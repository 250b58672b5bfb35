"""Tests of comaspec.physics.templates: normalisation, T_rot behaviour, H2O ortho/para, errors."""

import numpy as np
import pytest
from astropy import constants as const
from astropy import units as u
from astropy.table import Table
from scipy.special import erf

from comaspec.physics import templates
from comaspec.errors import InputError

C2 = float((const.h * const.c / const.k_B).to_value(u.cm * u.K))


class _ErfGaussianLSF:
    """Minimal LSF with the instrument.GaussianLSF.integrate_lines contract (test-only)."""

    def __init__(self, resolving_power):
        self.R = float(resolving_power)

    def integrate_lines(self, line_um, weights, pixel_edges_um):
        sigma = line_um / self.R / (2 * np.sqrt(2 * np.log(2)))
        z = (pixel_edges_um[:, None] - line_um[None, :]) / (np.sqrt(2) * sigma[None, :])
        cdf = 0.5 * (1 + erf(z))
        per_pixel = (np.diff(cdf, axis=0) * weights[None, :]).sum(axis=1)
        return per_pixel / np.diff(pixel_edges_um)


def _edges(centres):
    mid = 0.5 * (centres[1:] + centres[:-1])
    return np.concatenate([[2 * centres[0] - mid[0]], mid, [2 * centres[-1] - mid[-1]]])


LINEAR = [("CO2", "nu3"), ("CO", "1-0")]


@pytest.mark.parametrize("species,band", LINEAR)
@pytest.mark.parametrize("T_rot", [5.0, 30.0, 100.0, 300.0])
def test_sticks_are_normalised_float64(species, band, T_rot):
    nu, w = templates.stick_spectrum(species, band, T_rot, emission="thermal")
    assert nu.dtype == np.float64 and w.dtype == np.float64
    assert np.isclose(w.sum(), 1.0, rtol=1e-12)
    assert np.all(w >= 1e-6 * w.max() / (1 + 1e-9))
    with pytest.raises(ValueError):
        w[0] = 1.0  # cached result is read-only


def test_co2_has_only_even_lower_levels():
    t = Table.read(templates.linelists_dir() / "co2_nu3_lines.ecsv")
    assert np.all(t["J_lower"] % 2 == 0)
    assert np.all(np.abs(t["J_upper"] - t["J_lower"]) == 1)
    assert set(t["branch"]) == {"P", "R"}  # Sigma-Sigma: no Q branch


def test_emission_weights_follow_boltzmann_closed_form():
    # Ratio of two lines = ratio of g A nu exp(-c2 E'/T), computed here from the file columns.
    t = Table.read(templates.linelists_dir() / "co_1-0_lines.ecsv")
    T = 77.0
    nu, w = templates.stick_spectrum("CO", "1-0", T, emission="thermal")
    expect = t["g_upper"] * t["A_rel"] * t["wavenumber"] * np.exp(-C2 * t["E_rot_upper"] / T)
    expect = np.asarray(expect / expect.sum())
    order = np.argsort(np.asarray(t["wavenumber"]))
    keep = expect[order] >= 1e-6 * expect.max()
    assert np.allclose(nu, np.asarray(t["wavenumber"])[order][keep])
    assert np.allclose(w, expect[order][keep] / expect[order][keep].sum(), rtol=1e-10)


def _branch_peaks(species, band, T_rot):
    """Wavenumbers of the P- and R-branch envelope maxima of the stick spectrum.

    Per branch, a parabola through log(weight) of the strongest line and its two neighbours
    (the envelope J exp(-a J^2) is close to a Gaussian near its top).
    """
    nu, w = templates.stick_spectrum(species, band, T_rot, emission="thermal")
    centre = np.sum(nu * w)
    peaks = []
    for side in (nu < centre, nu > centre):
        x, y = nu[side], np.log(w[side])
        i = int(np.clip(np.argmax(y), 1, x.size - 2))
        a, b, _ = np.polyfit(x[i - 1:i + 2], y[i - 1:i + 2], 2)
        peaks.append(-b / (2 * a))
    return tuple(peaks)


def test_co2_branch_separation_grows_as_sqrt_T():
    # Continuum limit: line strength of a branch ~ J exp(-c2 B J^2 / T), maximal at
    # J = sqrt(T / (2 c2 B)); lines sit at +-2 B J from the origin, so the P-R peak separation
    # is 4 B J = 2 sqrt(2 B T / c2) = 2 sqrt(2 B k T / (h c)).
    B = 0.39  # 1/cm, CO2 ground state to 1 %: enough for a closed-form check at the % level
    separations = {}
    for T in (30.0, 120.0, 480.0):
        p_peak, r_peak = _branch_peaks("CO2", "nu3", T)
        separations[T] = r_peak - p_peak
        closed_form = 2 * np.sqrt(2 * B * T / C2)
        assert separations[T] == pytest.approx(closed_form, rel=0.04)
    assert separations[120.0] / separations[30.0] == pytest.approx(2.0, rel=0.03)
    assert separations[480.0] / separations[120.0] == pytest.approx(2.0, rel=0.03)


def test_band_gets_wider_when_hotter():
    def rms_width(T):
        nu, w = templates.stick_spectrum("CO", "1-0", T, emission="thermal")
        mean = np.sum(nu * w)
        return np.sqrt(np.sum(w * (nu - mean) ** 2))

    widths = [rms_width(T) for T in (10.0, 40.0, 160.0)]
    # rms width ~ 2B <J> ~ sqrt(T): doubling per factor 4 in T, to within the discreteness.
    assert widths[1] / widths[0] == pytest.approx(2.0, rel=0.1)
    assert widths[2] / widths[1] == pytest.approx(2.0, rel=0.05)


@pytest.mark.parametrize("species,band", LINEAR)
def test_very_cold_gas_emits_from_lowest_levels_only(species, band):
    # T -> 0: only the lowest upper level is populated (CO: J'=0 -> one P(1) line;
    # CO2: J'=1 -> R(0) and P(2), in the Honl-London ratio 1 : 2 times (nu_R/nu_P)^4).
    t = Table.read(templates.linelists_dir() / {"CO2": "co2_nu3_lines.ecsv",
                                                "CO": "co_1-0_lines.ecsv"}[species])
    nu, w = templates.stick_spectrum(species, band, 0.01, emission="thermal")
    assert np.all(np.isfinite(w)) and np.isclose(w.sum(), 1.0)
    lowest = np.asarray(t["E_rot_upper"]) == np.min(t["E_rot_upper"])
    assert np.allclose(np.sort(nu), np.sort(np.asarray(t["wavenumber"])[lowest]))
    if species == "CO2":
        nu_r, nu_p = nu.max(), nu.min()
        expect = 1.0 * nu_r**4 / (1.0 * nu_r**4 + 2.0 * nu_p**4)
        assert w[np.argmax(nu)] == pytest.approx(expect, rel=1e-9)


def test_quantity_temperature_accepted():
    a = templates.stick_spectrum("CO2", "nu3", 50 * u.K, emission="thermal")
    b = templates.stick_spectrum("CO2", "nu3", 50.0, emission="thermal")
    assert np.array_equal(a[1], b[1])


@pytest.mark.parametrize("bad", [0.0, -3.0, np.nan, np.inf])
def test_bad_temperature_is_input_error(bad):
    with pytest.raises(InputError, match="T_rot"):
        templates.stick_spectrum("CO2", "nu3", bad, emission="thermal")


def test_unknown_species_and_band_are_input_errors():
    with pytest.raises(InputError, match="'NH3'"):
        templates.stick_spectrum("NH3", "nu3", 50.0, emission="thermal")
    with pytest.raises(InputError, match="'nu2'.*known bands: nu3"):
        templates.stick_spectrum("CO2", "nu2", 50.0, emission="thermal")


# ---- band_profile through comaspec.physics.instrument (skipped until instrument.py exists) ----

def _instrument():
    return pytest.importorskip("comaspec.physics.instrument")


def test_band_profile_matches_lsf_of_sticks():
    """band_profile = the sticks through a test-only erf LSF on midpoint pixel edges."""
    centres = np.linspace(4.1, 4.45, 300)
    lsf = _ErfGaussianLSF(300.0)
    prof = templates.band_profile("CO2", "nu3", centres, 60.0, lsf, emission="thermal")
    nu, w = templates.stick_spectrum("CO2", "nu3", 60.0, emission="thermal")
    expect = lsf.integrate_lines(1e4 / nu, w, _edges(centres))
    assert np.allclose(prof, expect, rtol=1e-12, atol=0)
    area = np.sum(prof * np.diff(_edges(centres)))
    assert area == pytest.approx(1.0, rel=1e-4)


def test_band_profile_accepts_quantity_grid_and_instrument_lsf():
    instrument = _instrument()
    centres = np.linspace(4.5, 4.85, 500)
    lsf = instrument.GaussianLSF(2700.0)
    a = templates.band_profile("CO", "1-0", centres * u.um, 30.0, lsf, emission="thermal")
    b = templates.band_profile("CO", "1-0", centres, 30.0, lsf, emission="thermal")
    assert np.array_equal(a, b)
    edges = instrument.pixel_edges(centres)
    assert np.sum(a * np.diff(edges)) == pytest.approx(1.0, rel=1e-4)


# ---- H2O: ortho/para normalisation and hot-band placement, on a small synthetic list ----

def _clear_caches():
    for cached in (templates._read_table, templates._line_list, templates._sticks):
        cached.cache_clear()


@pytest.fixture
def synthetic_linelists(tmp_path, monkeypatch):
    """Point templates at tmp_path; return a writer of an H2O line list there."""
    from comaspec.physics import linelists

    monkeypatch.setattr(templates, "linelists_dir", lambda: tmp_path)
    monkeypatch.setattr(linelists, "linelists_dir", lambda: tmp_path)
    _clear_caches()

    def write(rows, name="h2o_lines.ecsv", drop=()):
        names = ("wavenumber", "band", "E_rot_upper", "g_upper", "ortho", "A_rel",
                 "J_u", "Ka_u", "Kc_u")
        table = Table(rows=rows, names=names)
        table["wavenumber"].unit = "1/cm"
        table["E_rot_upper"].unit = "1/cm"
        table.remove_columns(list(drop))
        table.write(tmp_path / name, format="ascii.ecsv", overwrite=True)
        return tmp_path / name

    yield write
    _clear_caches()


# Four upper levels, one line each, with A_rel * nu equal so that the emitted energy per
# level is proportional to its population: ortho 1_01 and 2_21, para 0_00 and 1_11.
_H2O_ROWS = [
    (3760.0, "nu3", 0.0, 1.0, False, 1 / 3760.0, 0, 0, 0),
    (3765.0, "nu3", 23.8, 3.0, True, 1 / 3765.0, 1, 0, 1),
    (3770.0, "nu3", 37.1, 3.0, False, 1 / 3770.0, 1, 1, 1),
    (3775.0, "nu3", 134.9, 5.0, True, 1 / 3775.0, 2, 2, 1),
    (3650.0, "nu1", 0.0, 1.0, False, 1.0, 0, 0, 0),
]


@pytest.mark.parametrize("ortho_para", [3.0, 1.0, 2.2])
@pytest.mark.parametrize("T_rot", [10.0, 60.0])
def test_h2o_total_ortho_para_ratio(synthetic_linelists, ortho_para, T_rot):
    synthetic_linelists(_H2O_ROWS)
    nu, w = templates.stick_spectrum("H2O", "nu3", T_rot, ortho_para=ortho_para, emission="thermal")
    is_ortho = np.isin(nu, [3765.0, 3775.0])
    # (rel 1e-6: at 10 K the 2_21 line falls below the 1e-6 floor and is dropped)
    assert w[is_ortho].sum() / w[~is_ortho].sum() == pytest.approx(ortho_para, rel=1e-6)
    # within a spin species: Boltzmann ratio of the two levels, g exp(-c2 E / T)
    expect = (5.0 * np.exp(-C2 * 134.9 / T_rot)) / (3.0 * np.exp(-C2 * 23.8 / T_rot))
    if w[nu == 3775.0].size:  # falls below the 1e-6 floor at 10 K
        ratio = w[nu == 3775.0][0] / w[nu == 3765.0][0]
        assert ratio == pytest.approx(expect, rel=1e-10)


def test_h2o_zero_ortho_para_on_ortho_only_band_is_input_error(synthetic_linelists):
    rows = [r for r in _H2O_ROWS if r[4]] + [_H2O_ROWS[-1]]  # nu3: ortho lines only
    synthetic_linelists(rows)
    nu, w = templates.stick_spectrum("H2O", "nu3", 40.0, ortho_para=3.0, emission="thermal")
    assert np.isclose(w.sum(), 1.0)
    with pytest.raises(InputError, match="no line carries any weight"):
        templates.stick_spectrum("H2O", "nu3", 40.0, ortho_para=0.0, emission="thermal")


def test_h2o_level_shared_by_two_lines_counted_once(synthetic_linelists):
    # Split the 2_21 line into two lines from the same upper level: the populations (and
    # therefore the ortho/para total) must not change.
    rows = list(_H2O_ROWS)
    nu, a = rows[3][0], rows[3][5]
    rows[3] = (nu, "nu3", 134.9, 5.0, True, a / 2, 2, 2, 1)
    rows.append((nu + 1.0, "nu3", 134.9, 5.0, True, a / 2 * nu / (nu + 1.0), 2, 2, 1))
    synthetic_linelists(rows)
    nu_s, w = templates.stick_spectrum("H2O", "nu3", 60.0, ortho_para=3.0, emission="thermal")
    is_ortho = np.isin(nu_s, [3765.0, 3775.0, 3776.0])
    assert w[is_ortho].sum() / w[~is_ortho].sum() == pytest.approx(3.0, rel=1e-10)


@pytest.mark.parametrize("hot,parent", [("nu3-nu2", "nu3"), ("nu1+nu3-nu1", "nu3"),
                                        ("nu2+nu3-nu2", "nu3"), ("nu1-nu2", "nu1")])
def test_h2o_hot_band_without_lines_is_shifted_parent(synthetic_linelists, hot, parent):
    from comaspec.physics import molecules

    synthetic_linelists(_H2O_ROWS)
    nu_p, w_p = templates.stick_spectrum("H2O", parent, 40.0, emission="thermal")
    nu_h, w_h = templates.stick_spectrum("H2O", hot, 40.0, emission="thermal")
    shift = molecules.get_band("H2O", hot).center_cm - molecules.get_band("H2O", parent).center_cm
    assert np.allclose(nu_h, nu_p + shift, rtol=0, atol=1e-9)
    # same g A per line; the emitted energy per line scales with its own (shifted) nu
    expect = w_p * nu_h / nu_p
    assert np.allclose(w_h, expect / expect.sum(), rtol=1e-12)


def test_h2o_hot_band_with_own_lines_uses_them(synthetic_linelists):
    rows = list(_H2O_ROWS) + [(2150.0, "nu3-nu2", 0.0, 1.0, False, 1.0, 0, 0, 0)]
    synthetic_linelists(rows)
    nu, w = templates.stick_spectrum("H2O", "nu3-nu2", 40.0, emission="thermal")
    assert np.array_equal(nu, [2150.0]) and np.array_equal(w, [1.0])


def test_malformed_line_list_names_file_and_column(synthetic_linelists):
    path = synthetic_linelists(_H2O_ROWS, drop=("A_rel",))
    with pytest.raises(InputError, match=f"{path}.*A_rel"):
        templates.stick_spectrum("H2O", "nu3", 40.0, emission="thermal")


def test_missing_line_list_file_is_input_error(synthetic_linelists):
    with pytest.raises(InputError, match="co2_nu3_lines.ecsv.*missing"):
        templates.stick_spectrum("CO2", "nu3", 40.0, emission="thermal")


def test_real_h2o_list_serves_every_h2o_band():
    path = templates.linelists_dir() / "h2o_lines.ecsv"
    if not path.is_file():
        pytest.skip("H2O line list not built yet")
    for band in ("nu3", "nu1", "nu1+nu3-nu1", "nu2+nu3-nu2", "nu3-nu2", "nu1-nu2"):
        nu, w = templates.stick_spectrum("H2O", band, 50.0, emission="thermal")
        assert nu.size > 10 and np.isclose(w.sum(), 1.0)


# ---- 13CO2 nu3 (line list from effective constants fitted to HITRAN2020) ----

@pytest.mark.parametrize("T_rot", [5.0, 30.0, 100.0, 300.0])
def test_13co2_sticks_are_normalised_float64(T_rot):
    nu, w = templates.stick_spectrum("13CO2", "nu3", T_rot, emission="thermal")
    assert nu.dtype == np.float64 and w.dtype == np.float64
    assert np.isclose(w.sum(), 1.0, rtol=1e-12)


def test_13co2_has_only_even_lower_levels_and_no_q_branch():
    t = Table.read(templates.linelists_dir() / "13co2_nu3_lines.ecsv")
    assert np.all(t["J_lower"] % 2 == 0)
    assert np.all(np.abs(t["J_upper"] - t["J_lower"]) == 1)
    assert set(t["branch"]) == {"P", "R"}


def test_13co2_very_cold_gas_emits_R0_and_P2_only():
    # T -> 0: only J' = 1 is populated: R(0) and P(2) in the Honl-London ratio
    # 1 : 2 times (nu_R / nu_P)^4 (A ~ nu^3 L, energy per photon ~ nu).
    nu, w = templates.stick_spectrum("13CO2", "nu3", 0.01, emission="thermal")
    assert nu.size == 2
    nu_r, nu_p = nu.max(), nu.min()
    assert w[np.argmax(nu)] == pytest.approx(nu_r**4 / (nu_r**4 + 2.0 * nu_p**4), rel=1e-9)


def test_13co2_band_profile_is_served_and_sits_at_4p38um():
    from comaspec.physics import molecules

    instrument = _instrument()
    centres = np.linspace(4.25, 4.55, 400)
    prof = templates.band_profile("13CO2", "nu3", centres, 50.0, instrument.GaussianLSF(2700.0), emission="thermal")
    assert np.sum(prof * np.diff(instrument.pixel_edges(centres))) == pytest.approx(1.0, rel=1e-4)
    # P and R branches straddle the band origin of linelists/bands.ecsv (no Q branch)
    centre_um = molecules.get_band("13CO2", "nu3").center_um
    nu, w = templates.stick_spectrum("13CO2", "nu3", 50.0, emission="thermal")
    lam = 1e4 / nu
    assert w[lam > centre_um].sum() > 0.3 and w[lam < centre_um].sum() > 0.3
    assert ("13CO2", "nu3") in templates.available_bands()
