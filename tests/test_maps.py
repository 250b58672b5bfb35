"""IFU maps (comaspec.maps): batched solve, columns, Q-curves, extended sources, binning, output.

The parent-coma cube is written by hand (`independent_coma.coma_cube`: the Haser column
integrated over sub-spaxels, HITRAN fluorescence sticks, ESA R tables, in cube_build's layout
from `test_io_builders.write_s3d`), and the expected columns, profiles and ratios come from
the same independent spaxel integral, not from `comaspec.physics.haser`. The extended-source cube
adds a distributed source written the same way (the two-generation Haser column,
`independent_coma.daughter_column_per_q`). Cubes are small (≤ 21 × 21 PRISM) to keep the
suite fast; the large ones are in benchmarks/map_bench.py.
"""

import warnings

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits

import comaspec
from comaspec import Geometry, SpaxelMask, extract_spectrum, fit_coma, map_cube
from comaspec.errors import ComaspecWarning, InputError
from comaspec.synthetic import synthetic_cube

GEO = Geometry(3.32 * u.au, 2.61 * u.au)
FLAM = u.W / u.m**2 / u.um
TRUTH = {"CO2": 1.7e27, "H2O": 3e26}
# Haser parameters of the independent cube, given to map_cube too
V_KM_S = 0.5
TAU_1AU_S = {"CO2": 5e5, "H2O": 8e4}
HASER = {"velocity": V_KM_S * u.km / u.s, "lifetime": {s: t * u.s for s, t in TAU_1AU_S.items()}}


def _flat(wl):
    return 1e-17 * np.ones_like(wl)


def _cube(path, *, error=2e-20, shape=(21, 21), seed=1, truth=TRUTH, **kw):
    synthetic_cube("PRISM", truth, GEO, T_rot=50.0, error_per_spaxel=error * FLAM, shape=shape, path=path,
                   continuum=_flat, seed=seed, subsample=9, **kw)
    return path


def _independent_cube(path, *, error=2e-20, shape=(21, 21), seed=1, sun_pa=None, velocity_pa=None,
                      distributed=None):
    """A PRISM cube of a parent coma (plus a distributed source, {species: (Q, scale km)})
    written by hand (tests/independent_coma.py), with the position angles in the COMASPEC
    header keywords map_cube reads."""
    from independent_coma import coma_cube
    from test_io_builders import write_s3d

    wave, sb, err = coma_cube("PRISM", TRUTH, rh_au=3.32, delta_au=2.61, pixel_arcsec=0.1, shape=shape,
                              v_km_s=V_KM_S, tau_1au_s=TAU_1AU_S, T_rot=50.0, lo_um=2.4, hi_um=5.2,
                              continuum=_flat, error_per_spaxel=error, seed=seed, distributed=distributed)
    write_s3d(path, sb, err, wave=wave, wavetab=True)
    for key, value in (("SUN_PA_DEG", sun_pa), ("VEL_PA_DEG", velocity_pa)):
        if value is not None:
            fits.setval(path, f"HIERARCH COMASPEC {key}", value=value, ext=0)
    return path


def _expected_numbers(species, shape=(21, 21)):
    """Molecules per unit Q in each spaxel of the independent cube (s)."""
    from independent_coma import ARCSEC_RAD, AU_M, spaxel_numbers

    pix_km = 0.1 * ARCSEC_RAD * 2.61 * AU_M / 1e3
    return spaxel_numbers(shape, pix_km, V_KM_S, V_KM_S * TAU_1AU_S[species] * 3.32**2)


@pytest.fixture(scope="module")
def parent_cube(tmp_path_factory):
    return _independent_cube(tmp_path_factory.mktemp("maps") / "parent_s3d.fits", sun_pa=30.0, velocity_pa=250.0)


@pytest.fixture(scope="module")
def parent_maps(parent_cube):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ComaspecWarning)
        return map_cube(parent_cube, GEO, species=("CO2", "H2O"), T_rot=50.0, center=(10.0, 10.0), **HASER)


@pytest.fixture(scope="module")
def extended_maps(tmp_path_factory):
    path = _independent_cube(tmp_path_factory.mktemp("maps") / "ext_s3d.fits", distributed={"H2O": (2e26, 500.0)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ComaspecWarning)
        return map_cube(path, GEO, species=("CO2", "H2O"), T_rot=50.0, center=(10.0, 10.0), **HASER)


# ------------------------------------------------------------------ the batched solve
def test_batched_wls_equals_per_spectrum_normal_equations():
    """Each spectrum's weighted least squares by the normal equations, solved by numpy here:
    coef = (A^T W A)^-1 A^T W y, covariance (A^T W A)^-1, chi2 = sum W r^2."""
    from comaspec.maps import batched_wls

    rng = np.random.default_rng(3)
    n, k, m = 300, 6, 40
    x = np.linspace(-1, 1, n)
    design = np.column_stack([np.exp(-((x - c) / 0.05) ** 2) * 1e-19 for c in (-0.5, 0.0, 0.4)]
                             + [np.polynomial.legendre.legvander(x, 2)[:, i] * 1e-17 for i in range(3)])
    coef_true = rng.normal(1.0, 0.3, (k, m))
    sigma = rng.uniform(0.5, 2.0, (n, m)) * 1e-19
    y = design @ coef_true + rng.normal(size=(n, m)) * sigma
    mask = rng.random((n, m)) < 0.1   # 10 % of the pixels masked, differently in every spectrum
    w = np.where(mask, 0.0, 1.0 / sigma**2)
    res = batched_wls(design, np.where(mask, np.nan, y), w)
    for j in range(m):
        keep = ~mask[:, j]
        a, wj = design[keep], 1.0 / sigma[keep, j] ** 2
        cov = np.linalg.inv(a.T @ (a * wj[:, None]))
        coef = cov @ (a.T @ (wj * y[keep, j]))
        err = np.sqrt(np.diag(cov))
        assert np.all(np.abs(res.coef[j] - coef) / err < 1e-6)
        np.testing.assert_allclose(np.sqrt(np.diag(res.covariance[j])), err, rtol=1e-6)
        assert res.chi2[j] == pytest.approx(np.sum(wj * (y[keep, j] - a @ coef) ** 2), rel=1e-6)
        assert res.dof[j] == keep.sum() - k
    # the band-group residuals (used for the misfit inflation) by direct summation
    from comaspec.maps._solve import group_chi2

    groups = np.array([np.abs(design[:, 0]) > 1e-20, np.ones(n, dtype=bool)])
    local = group_chi2(design, y, w, res.coef, groups)
    resid = np.where(mask, 0.0, (y - design @ res.coef.T) / sigma)
    np.testing.assert_allclose(local[:, 1], (resid**2).sum(axis=0) / (~mask).sum(axis=0), rtol=1e-10)
    np.testing.assert_allclose(local[:, 1] * (~mask).sum(axis=0), res.chi2, rtol=1e-8)


def test_batched_wls_on_a_block_sparse_design_equals_numpy_lstsq():
    """Two windows, each with its own continuum, and bands cut to exact zeros (the sparsity the
    solve exploits): every spectrum against numpy's lstsq on its √w-scaled rows."""
    from comaspec.maps import batched_wls

    rng = np.random.default_rng(11)
    n, m = 400, 30
    x = np.linspace(0.0, 1.0, n)
    left = x < 0.3
    cols = []
    for c in (0.1, 0.5, 0.55, 0.8):          # bands, exactly zero beyond 3 widths
        g = np.exp(-0.5 * ((x - c) / 0.02) ** 2)
        cols.append(np.where(np.abs(x - c) < 0.06, g, 0.0) * 1e-19)
    for win in (left, ~left):                 # a quadratic continuum per window
        t = np.where(win, x - x[win].mean(), 0.0)
        cols += [np.where(win, t**i, 0.0) * 1e-17 for i in range(3)]
    design = np.column_stack(cols)
    k = design.shape[1]
    truth = rng.normal(1.0, 0.2, (k, m))
    sigma = rng.uniform(0.5, 2.0, (n, m)) * 1e-19
    y = design @ truth + rng.normal(size=(n, m)) * sigma
    mask = rng.random((n, m)) < 0.05
    w = np.where(mask, 0.0, 1.0 / sigma**2)
    res = batched_wls(design, y, w)
    assert res.ok.all()
    for j in range(m):
        keep = ~mask[:, j]
        sw = 1.0 / sigma[keep, j]
        scale = np.abs(design[keep]).max(axis=0)
        coef, *_ = np.linalg.lstsq(design[keep] / scale * sw[:, None], y[keep, j] * sw, rcond=None)
        coef /= scale
        cov = np.linalg.inv((design[keep] * sw[:, None]).T @ (design[keep] * sw[:, None]) / np.outer(scale, scale))
        err = np.sqrt(np.diag(cov)) / scale
        assert np.all(np.abs(res.coef[j] - coef) / err < 1e-8)
        np.testing.assert_allclose(np.sqrt(np.diag(res.covariance[j])), err, rtol=1e-8)
        chi2 = np.sum(((y[keep, j] - design[keep] @ coef) * sw) ** 2)
        assert res.chi2[j] == pytest.approx(chi2, rel=1e-8)


def test_batched_wls_flags_singular_and_near_singular_systems():
    """Two columns equal in one spectrum's unmasked pixels (exactly singular) or equal to
    1e-9 (cond(A) ~ 1e9 > 1e6): those spectra are not solved, the others are."""
    from comaspec.maps import batched_wls

    n = 50
    x = np.linspace(0.0, 1.0, n)
    a = np.column_stack([np.ones(n), x, np.r_[x[:25], x[25:] + 1.0]])
    w = np.ones((n, 3))
    w[25:, 1] = 0.0                        # spectrum 1: columns 1 and 2 identical where weighted
    near = a.copy()
    near[:, 2] = x * (1.0 + 1e-9 * np.cos(7 * x))
    y = a @ np.array([1.0, 2.0, 3.0])
    res = batched_wls(a, np.column_stack([y] * 3), w)
    assert res.ok.tolist() == [True, False, True]
    np.testing.assert_allclose(res.coef[0], [1.0, 2.0, 3.0], rtol=1e-10)
    assert np.isnan(res.coef[1]).all() and np.isnan(res.covariance[1]).all()
    res = batched_wls(near, np.column_stack([near @ np.ones(3)] * 2), np.ones((n, 2)))
    assert not res.ok.any()


def test_batched_wls_flags_an_unconstrained_column():
    from comaspec.maps import batched_wls

    design = np.column_stack([np.ones(10), np.r_[np.zeros(5), np.ones(5)]])
    w = np.ones((10, 2))
    w[5:, 1] = 0.0  # second spectrum: the second column has no weight
    res = batched_wls(design, np.ones((10, 2)), w)
    assert res.ok.tolist() == [True, False]
    assert np.isnan(res.coef[1]).all()


def test_map_equals_fit_coma_per_spaxel(tmp_path):
    """Consistency check: the batched map and fit_coma on one spaxel agree (each against
    independent expectations: the tests below and test_fit)."""
    path = _cube(tmp_path / "small_s3d.fits", shape=(7, 7), error=2e-20, seed=5)
    maps = map_cube(path, GEO, species=("CO2", "H2O"), T_rot=50.0, shift=0.0 * u.um, aperture_radius=0.25 * u.arcsec)
    cube = comaspec.read_cube(path)
    for y, x in ((3, 3), (0, 6), (2, 4)):
        mask = np.zeros((7, 7), dtype=bool)
        mask[y, x] = True
        ap = SpaxelMask(mask, cube.pixel_scale, maps.nucleus_xy)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ComaspecWarning)
            fit = fit_coma(extract_spectrum(cube, ap), GEO, ap, ("CO2", "H2O"), T_rot=50.0, fit_shift=False)
        b = maps.bin_id[y, x]
        for s in ("CO2", "H2O"):
            sigma = maps.flux_err[s][b] / maps.error_inflation[s][b]
            assert abs(fit.species[s].band_flux - maps.flux[s][b]) / sigma < 1e-3
            # errors too (fit_coma's may be inflated by an improbable chi2, as the map's)
            assert fit.species[s].band_flux_err == pytest.approx(maps.flux_err[s][b], rel=1e-3)


# ------------------------------------------------------------------ columns and Q
def test_columns_match_the_injected_haser_spaxel_integral(parent_maps):
    """Column of each spaxel = injected molecules in that spaxel / (Omega Delta^2), from the
    independent sub-spaxel integral of the Haser column (tests/independent_coma.py)."""
    m = parent_maps
    omega_cm2 = float(m.pixel_area.to_value(u.sr)) * float(GEO.delta.to_value(u.cm)) ** 2
    for s in ("CO2", "H2O"):
        n = _expected_numbers(s)
        col = m.image(m.column[s])
        err = m.image(m.column_err[s])
        for y, x in ((10, 10), (10, 12), (7, 10), (3, 16)):
            expected = TRUTH[s] * n[y, x] / omega_cm2
            # noise, plus the band-shape difference of the generator (< 1 %, test_model)
            assert abs(col[y, x] - expected) < 4 * err[y, x] + 0.01 * expected


def test_radial_profile_matches_the_haser_column(parent_maps):
    """Mean column in each annulus against the injected molecules of the same spaxels."""
    m = parent_maps
    omega_cm2 = float(m.pixel_area.to_value(u.sr)) * float(GEO.delta.to_value(u.cm)) ** 2
    scale = m.pixel_scale.to_value(u.arcsec)  # as the map reads it from the WCS (not exactly 0.1)
    rho = m.offsets()["rho_arcsec"] / scale
    for s in ("CO2", "H2O"):
        n = _expected_numbers(s)
        prof = m.radial_profile(s)
        assert len(prof) == 10
        for row in prof:
            lo, hi = np.round([row["r_in"].to_value(u.arcsec) / scale, row["r_out"].to_value(u.arcsec) / scale], 6)
            # whole-spaxel edges; centres on an edge (rho = 3, 5, ...) go by rounding: the map's rule
            sel = (rho >= lo) & (rho < hi)
            assert sel.sum() == row["n_spaxels"]
            expected = TRUTH[s] * n[sel].mean() / omega_cm2
            got, err = row["column"].to_value(u.cm**-2), row["column_err"].to_value(u.cm**-2)
            assert abs(got - expected) < 4 * err + 0.01 * expected


def test_terminal_q_recovered_and_growth_factor_one_for_a_parent(parent_maps):
    for s in ("CO2", "H2O"):
        curve = parent_maps.q_curve(s)
        meta = curve.meta
        assert abs(meta["Q_terminal"] - TRUTH[s]) < 4 * meta["Q_terminal_err"] + 0.01 * TRUTH[s]
        assert meta["growth_factor"] == pytest.approx(1.0, abs=max(0.05, 4 * meta["growth_factor_err"]))
        # circles and annuli agree with each other and with Q everywhere, for a pure parent
        q = curve["Q_circle"].value
        assert np.all(np.abs(q - TRUTH[s]) < 4 * curve["Q_circle_err"].value + 0.02 * TRUTH[s])
    # at high SNR (CO2 here: sigma_Q / Q ~ 1e-4) the goal: within 5 %
    co2 = parent_maps.q_curve("CO2").meta
    assert co2["Q_terminal_err"] < 0.01 * co2["Q_terminal"]
    assert co2["Q_terminal"] == pytest.approx(TRUTH["CO2"], rel=0.05)


def test_q_of_a_spaxel_set_matches_production_spaxel_mask(parent_maps):
    """Consistency check: the Q-curve's Haser expectation (corner fractions per spaxel) against
    production's SpaxelMask aperture (haser.number_mask through molecules_per_unit_Q), and
    both against the independent sub-spaxel integral of the Haser column."""
    from comaspec.maps.profiles import _haser_per_q
    from comaspec.physics.production import molecules_per_unit_Q

    m = parent_maps
    per_q, _, _ = _haser_per_q(m, "CO2")
    yy, xx = np.mgrid[0:m.shape[0], 0:m.shape[1]]
    ring = (np.hypot(xx - 10, yy - 10) > 2.5) & (np.hypot(xx - 10, yy - 10) <= 5.5)
    ref = molecules_per_unit_Q("CO2", GEO, SpaxelMask(ring, m.pixel_scale, m.nucleus_xy), velocity=HASER["velocity"],
                               lifetime=HASER["lifetime"]["CO2"]).to_value(u.s)
    assert per_q[ring].sum() == pytest.approx(ref, rel=1e-9)
    assert ref == pytest.approx(_expected_numbers("CO2")[ring].sum(), rel=1e-3)


def test_extended_source_detected_when_present(extended_maps):
    fit = extended_maps.fit_extended_source("H2O")
    assert fit.needed, fit.verdict
    assert fit.Q_distributed == pytest.approx(2e26, rel=0.25)
    assert fit.Q_nucleus == pytest.approx(3e26, rel=0.25)
    assert 250 < fit.scale_length_km < 1000   # true 500 km
    curve = extended_maps.q_curve("H2O")
    # the Q-curve rises: annuli near the nucleus miss the molecules not yet released
    assert curve.meta["growth_factor"] > 1.2
    assert curve.meta["Q_terminal"] == pytest.approx(5e26, rel=0.1)


def test_extended_source_not_detected_when_absent(parent_maps):
    # H2O at the SNR of the test (annulus errors ~0.5-3 %). At the SNR of CO2 (~1e-4 per
    # annulus) the test cube's own pixelisation (~0.2 %, synthetic_cube's ring sampling) is
    # real structure to the fit.
    fit = parent_maps.fit_extended_source("H2O")
    assert not fit.needed, fit.verdict
    assert fit.delta_bic < fit.meta["bic_threshold"]
    assert fit.meta["p_value_best"] > 1e-3 and "does not describe" not in fit.verdict
    # CO2 at SNR ~1e4 per annulus: neither model fits the test cube's pixelisation, and the
    # verdict says so instead of reporting a parent
    co2 = parent_maps.fit_extended_source("CO2")
    assert "does not describe the profile" in co2.verdict


# ------------------------------------------------------------------ ratio, detections
def test_ratio_map_and_limits(parent_maps):
    m = parent_maps
    lim = m.ratio_limit
    d_co2, d_h2o = m.detected["CO2"], m.detected["H2O"]
    assert np.array_equal(lim == 0, d_co2 & d_h2o)
    assert np.array_equal(lim == 1, d_co2 & ~d_h2o)
    assert (lim == 0).sum() > 10 and (lim == 1).sum() > 10
    # measured: the column ratio equals the Q ratio corrected by the lifetimes (Haser, exact)
    expected = (TRUTH["CO2"] * _expected_numbers("CO2")) / (TRUTH["H2O"] * _expected_numbers("H2O"))
    r, e = m.image(m.ratio), m.image(m.ratio_err)
    # where H2O is clearly detected (a 3-sigma cut alone selects upward H2O noise)
    meas = (m.image((lim == 0).astype(float)) == 1) & (m.image(m.snr["H2O"]) > 8)
    assert meas.sum() > 10
    pulls = (r[meas] - expected[meas]) / e[meas]
    assert abs(np.mean(pulls)) < 0.5 and 0.6 < np.std(pulls) < 1.5
    # lower limits: N_CO2 / (3-sigma upper limit of N_H2O), below the truth nearly always
    low = m.image((lim == 1).astype(float)) == 1
    assert np.mean(r[low] < expected[low]) > 0.95
    from comaspec.results import upper_limit

    b = np.flatnonzero(lim == 1)[0]
    assert m.ratio[b] == pytest.approx(m.column["CO2"][b] / upper_limit(m.column["H2O"][b], m.column_err["H2O"][b]))


# ------------------------------------------------------------------ binning
def test_square_bins_are_sums_of_spaxels(parent_cube):
    """With the same σ in every spaxel, a bin's least-squares band flux is exactly the sum
    of its spaxels' (the solve is linear in the data and the weights are proportional)."""
    one = map_cube(parent_cube, GEO, species=("CO2", "H2O"), T_rot=50.0, shift=0.0 * u.um)
    three = map_cube(parent_cube, GEO, species=("CO2", "H2O"), T_rot=50.0, shift=0.0 * u.um, binning=3)
    assert three.meta["n_bins"] == 49 and np.all(three.n_spaxels == 9)
    for b in (0, 24, 48):
        spax = np.flatnonzero(three.bin_id.ravel() == b)
        for s in ("CO2", "H2O"):
            total = one.flux[s][one.bin_id.ravel()[spax]].sum()
            assert three.flux[s][b] == pytest.approx(total, rel=1e-8, abs=1e-12 * abs(total) + 1e-30)


def test_voronoi_bins_reach_the_target(parent_cube):
    pytest.importorskip("vorbin")
    m = map_cube(parent_cube, GEO, species=("CO2", "H2O"), T_rot=50.0, shift=0.0 * u.um, binning="voronoi",
                 target_snr=8.0, snr_species="H2O")
    assert 1 < m.meta["n_bins"] < 441
    assert (m.bin_id >= 0).all()
    assert sorted(np.concatenate([np.flatnonzero(m.bin_id.ravel() == b) for b in range(m.meta["n_bins"])])) \
        == list(range(441))
    # vorbin aims at the target: most bins within a factor 0.7 of it (single bright spaxels exceed it)
    assert np.mean(m.snr["H2O"] > 0.7 * 8.0) > 0.8


def test_binning_arguments_are_checked(parent_cube):
    with pytest.raises(InputError, match="binning"):
        map_cube(parent_cube, GEO, T_rot=50.0, shift=0.0 * u.um, binning=0)
    with pytest.raises(InputError, match="target_snr"):
        map_cube(parent_cube, GEO, species=("CO2",), T_rot=50.0, shift=0.0 * u.um, binning="voronoi")


# ------------------------------------------------------------------ nonlinear per bin
@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental here: a misfit or pump-opacity note
def test_trot_fitted_in_bright_bins_held_elsewhere(parent_cube):
    first = map_cube(parent_cube, GEO, species=("CO2", "H2O"), binning=3, center=(10.0, 10.0))
    threshold = float(np.median(first.snr["CO2"]))  # about half the bins
    m = map_cube(parent_cube, GEO, species=("CO2", "H2O"), binning=3, nonlinear_snr=threshold, center=(10.0, 10.0))
    fitted = m.T_rot_fitted
    assert fitted.any() and not fitted.all()
    assert np.all(m.T_rot[~fitted] == m.meta["T_rot_aperture_K"])
    ok = fitted & np.isfinite(m.T_rot_err)
    assert ok.sum() >= 3
    # 4 sigma, and 0.3 K for the generator's band shapes (HITRAN fluorescence sticks, < 0.3 % of
    # a line from comaspec's): the central bin has CO2 at SNR ~7000 and sigma(T_rot) = 0.02 K
    assert np.all(np.abs(m.T_rot[ok] - 50.0) < 4 * m.T_rot_err[ok] + 0.3)
    assert "aperture fit" in m.T_rot_source


# ------------------------------------------------------------------ geometry, output
def test_position_angles_from_header_and_sectors(parent_maps):
    m = parent_maps
    assert m.sun_pa.to_value(u.deg) == pytest.approx(30.0)
    assert m.velocity_pa.to_value(u.deg) == pytest.approx(250.0)
    assert "header" in m.pa_source
    off = m.offsets()
    # synthetic WCS: CDELT1 < 0, so +y is north and -x is east
    assert off["pa_deg"][14, 10] == pytest.approx(0.0)
    assert off["pa_deg"][10, 6] == pytest.approx(90.0)
    sun = m.radial_profile("CO2", pa_range="sunward")
    anti = m.radial_profile("CO2", pa_range="antisunward")
    full = m.radial_profile("CO2")
    assert "sunward" in sun.meta["sector"]
    assert np.all(sun["n_spaxels"][1:] < full["n_spaxels"][1:])
    # a symmetric coma: the sectors agree within errors
    common = np.intersect1d(sun["r_in"].value, anti["r_in"].value)[1:]
    assert common.size >= 5
    i = np.searchsorted(sun["r_in"].value, common)
    j = np.searchsorted(anti["r_in"].value, common)
    diff = (sun["column"][i] - anti["column"][j]) / np.hypot(sun["column_err"][i], anti["column_err"][j])
    assert np.all(np.abs(diff.value) < 5)


def test_fits_output_wcs_round_trip(parent_maps, parent_cube, tmp_path):
    from astropy.wcs import WCS

    out = parent_maps.write(tmp_path / "maps.fits")
    cube_wcs = comaspec.read_cube(parent_cube).wcs
    with fits.open(out) as hdul:
        names = [h.name for h in hdul]
        for name in ("CO2_FLUX", "CO2_FLUX_ERR", "CO2_COLUMN", "H2O_COLUMN", "RATIO_CO2_H2O", "TROT", "SNR_CO2",
                     "SNR_H2O", "BIN_ID", "RATIO_LIMIT", "TROT_FITTED"):
            assert name in names
        assert hdul["CO2_COLUMN"].header["BUNIT"] == "cm-2"
        assert hdul["CO2_FLUX"].header["BUNIT"] == "W m-2"
        assert hdul["TROT"].header["BUNIT"] == "K"
        w = WCS(hdul["H2O_COLUMN"].header)
        px = np.array([[0.0, 0.0], [10.0, 10.0], [20.0, 3.0]])
        np.testing.assert_allclose(w.pixel_to_world_values(px), cube_wcs.pixel_to_world_values(px), atol=1e-12)
        np.testing.assert_array_equal(hdul["CO2_COLUMN"].data, parent_maps.image(parent_maps.column["CO2"]))
        assert hdul[0].header["SUN_PA"] == pytest.approx(30.0)
    with pytest.raises(InputError, match="exists"):
        parent_maps.write(out)


def test_profile_and_qcurve_ecsv_round_trip(parent_maps, tmp_path):
    from astropy.table import QTable

    from comaspec.maps.output import write_table

    curve = parent_maps.q_curve("H2O")
    path = write_table(curve, tmp_path / "q.ecsv")
    back = QTable.read(path)
    assert back["Q_annulus"].unit == 1 / u.s
    assert back.meta["Q_terminal"] == pytest.approx(curve.meta["Q_terminal"])
    prof = write_table(parent_maps.radial_profile("CO2"), tmp_path / "p.ecsv")
    assert QTable.read(prof)["column"].unit == u.cm**-2


def test_real_format_s3d_with_nan_and_dq_masked_spaxels(tmp_path):
    """A cube written as cube_build does (tests/test_io_builders.write_s3d): NaN spaxels,
    DO_NOT_USE voxels; masked spaxels drop out, the rest is measured as without masks."""
    from test_io_builders import write_s3d

    data = synthetic_cube("PRISM", TRUTH, GEO, T_rot=50.0, error_per_spaxel=3e-20 * FLAM, shape=(11, 11),
                          continuum=_flat, seed=2, subsample=5)
    sci, err = data["sb"].copy(), data["sb_error"].copy()
    dq = np.zeros(sci.shape, dtype=np.uint32)
    sci[:, 0, :] = np.nan                     # a row off the detector
    dq[:, 10, 10] = 1                         # a dead spaxel (DO_NOT_USE)
    dq[::7, 5, 7] = 1 | 512                   # a few flagged voxels in one spaxel
    clean = write_s3d(tmp_path / "clean_s3d.fits", data["sb"], data["sb_error"], np.zeros(sci.shape, np.uint32),
                      wave=data["wavelength_um"])
    dirty = write_s3d(tmp_path / "dirty_s3d.fits", sci, err, dq, wave=data["wavelength_um"])
    kw = dict(species=("CO2", "H2O"), T_rot=50.0, shift=0.0 * u.um, center=(5.0, 5.0))
    a = map_cube(clean, GEO, **kw)
    b = map_cube(dirty, GEO, **kw)
    assert (b.bin_id[0] == -1).all() and b.bin_id[10, 10] == -1
    assert (b.bin_id >= 0).sum() == 121 - 11 - 1
    fa, fb = a.image(a.flux["CO2"]), b.image(b.flux["CO2"])
    eb = b.image(b.flux_err["CO2"])
    assert np.isnan(fb[0]).all()
    same = np.isfinite(fb)
    same[5, 7] = False
    np.testing.assert_allclose(fb[same], fa[same], rtol=1e-5)
    assert abs(fb[5, 7] - fa[5, 7]) < 3 * eb[5, 7]
    assert b.image(b.dof.astype(float))[5, 7] < a.image(a.dof.astype(float))[5, 7]
    # the celestial WCS of the builder (PC matrix, RA/Dec at CRVAL) is carried to the maps
    assert b.wcs.wcs.crval[0] == pytest.approx(150.0)


# ------------------------------------------------------------------ optical depth
def test_line_centre_cross_section_against_hitran_intensity(shared_data):
    """σ₀ of the strongest CO2 ν3 line at 296 K from the Einstein-A formula vs HITRAN's S(296 K).

    HITRAN's S uses the full partition function (vibrational levels included), ours the
    ground vibrational state: ours is larger by Q_vib(296 K), about 1.09 for CO2.
    """
    from comaspec.maps.opacity import line_centre_cross_sections

    path = shared_data("hitran-linelists-spectr", "hitran_co2_626_2200-2420cm.csv")
    d = np.genfromtxt(path, delimiter=",", names=True, skip_header=2)
    t = line_centre_cross_sections("CO2", 296.0)
    i = np.argmax(d["S296K_cm_per_molecule"])
    assert t["wavenumber"][0].value == pytest.approx(d["nu_cm1"][i], abs=0.01)
    b_cm_s = t.meta["doppler_b_km_s"] * 1e5
    sigma_hitran = d["S296K_cm_per_molecule"][i] / (np.sqrt(np.pi) * d["nu_cm1"][i] * b_cm_s / 2.99792458e10)
    assert 1.0 < t["sigma0"][0].value / sigma_hitran < 1.15


def test_doppler_width_closed_form():
    from comaspec.maps.opacity import line_centre_cross_sections

    # b = sqrt(2 k T / m) for CO2 (44 u) at 100 K: 0.1946 km/s
    assert line_centre_cross_sections("CO2", 100.0).meta["doppler_b_km_s"] == pytest.approx(0.19460, rel=1e-3)


def test_optical_depth_flags_the_nucleus(parent_maps):
    from comaspec.maps.opacity import haser_optical_depth, line_centre_optical_depth

    with pytest.warns(ComaspecWarning, match="optical depth above"):
        res = parent_maps.optical_depth("CO2", threshold=1.0)
    assert res["flagged"][10, 10] and not res["flagged"][0, 0]
    assert res["tau0"][10, 10] == pytest.approx(
        float(line_centre_optical_depth(parent_maps.image(parent_maps.column["CO2"])[10, 10], 50.0)))
    # proportional to the column, ~1/rho in a Haser coma close in
    tau = haser_optical_depth(1e27, np.array([10.0, 100.0]), 50.0, velocity_km_s=0.5, lifetime_s=5e6)
    assert tau[0] / tau[1] == pytest.approx(10.0, rel=0.05)
    quiet = parent_maps.optical_depth("CO2", threshold=1e6)
    assert quiet["n_flagged"] == 0
    # apertures: the share of their flux from flagged spaxels falls as they grow
    from comaspec.maps.opacity import aperture_thick_fraction

    frac = aperture_thick_fraction(parent_maps, [0.05, 0.3, 1.0] * u.arcsec, threshold=1.0)
    assert frac[0] == 1.0 and frac[0] >= frac[1] >= frac[2] and frac[2] < 1.0
    assert np.all(aperture_thick_fraction(parent_maps, [0.3] * u.arcsec, threshold=1e6) == 0.0)


# ------------------------------------------------------------------ figures
def test_figures_are_written(parent_maps, tmp_path):
    import matplotlib.pyplot as plt

    from comaspec.plotting.maps import profiles_figure, q_curve_figure

    fig = parent_maps.plot(tmp_path / "maps.png")
    plt.close(fig)
    plt.close(q_curve_figure(parent_maps.q_curve("H2O"), tmp_path / "q.pdf"))
    plt.close(profiles_figure({"CO2": parent_maps.radial_profile("CO2")}, tmp_path / "p.png",
                              fits={"CO2": parent_maps.fit_extended_source("CO2")}))
    for name in ("maps.png", "q.pdf", "p.png"):
        assert (tmp_path / name).stat().st_size > 1000
    import matplotlib.image

    for name in ("maps.png", "p.png"):  # drawn on, not blank canvases
        img = matplotlib.image.imread(tmp_path / name)[..., :3]
        assert len(np.unique(img.reshape(-1, 3), axis=0)) > 20


def test_map_input_errors(parent_cube, tmp_path):
    with pytest.raises(InputError, match="shift"):
        map_cube(parent_cube, GEO, T_rot=50.0, shift=0.1)
    with pytest.raises(InputError, match="center"):
        map_cube(parent_cube, GEO, T_rot=50.0, center=(1.0,))
    with pytest.raises(InputError, match="T_rot"):
        map_cube(parent_cube, GEO, T_rot={"CO2": 50.0})
    with pytest.raises(InputError, match="sun_pa"):
        map_cube(parent_cube, GEO, T_rot=50.0, shift=0 * u.um, sun_pa=30.0 * u.km)


def test_molecular_masses_agree_with_hitran_isotopologue_table():
    """linelists/molecular_mass.ecsv against HITRAN's isotopologue masses as shipped in HAPI."""
    import contextlib
    import io

    from astropy.table import Table

    from comaspec._paths import linelists_dir

    with contextlib.redirect_stdout(io.StringIO()):  # hapi prints a banner on import
        import hapi
    hitran_ids = {"12C16O2": (2, 1), "13C16O2": (2, 2), "12C16O": (5, 1), "1H216O": (1, 1), "12CH4": (6, 1),
                  "12C2H6": (27, 1)}
    table = Table.read(linelists_dir() / "molecular_mass.ecsv", format="ascii.ecsv")
    for row in table:
        expected = hapi.molecularMass(*hitran_ids[str(row["isotopologue"])])
        assert float(row["mass"]) == pytest.approx(expected, rel=5e-7), row["isotopologue"]  # 7 digits


def test_map_panel_contours_show_on_every_panel(parent_maps):
    """Issue 20: the SNR contours were white lines, invisible on the ratio map's blank (white)
    pixels. Every panel carries the same contours, drawn with a dark edge, and blank pixels
    are drawn in a grey that is neither the line nor its edge."""
    import matplotlib.pyplot as plt
    from matplotlib import patheffects
    from matplotlib.colors import to_rgba

    from comaspec.plotting import maps as figures

    fig = parent_maps.plot()
    panels = [ax for ax in fig.axes if ax.images]
    assert len(panels) == 4
    for ax in panels:
        (contours,) = [c for c in ax.collections if c.get_gid() == "snr-contours"]
        assert any(isinstance(e, patheffects.Stroke) for e in contours.get_path_effects())
        assert to_rgba(ax.images[0].get_cmap().get_bad()) == to_rgba(figures.BLANK_COLOUR)
    assert "contours: H2O SNR" in fig._suptitle.get_text()  # the species docs/maps.rst names
    plt.close(fig)
