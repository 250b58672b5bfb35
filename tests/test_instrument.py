"""Tests of comaspec.physics.instrument: R(λ) tables, metadata parsing, pixel edges and LSFs."""

import math

import numpy as np
import pytest
from astropy import units as u
from astropy.io import fits
from astropy.table import Table
from scipy import integrate, stats

from comaspec.physics import instrument, resolution
from comaspec.physics import lsf as lsf_module
from comaspec._paths import linelists_dir
from comaspec.errors import InputError

FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))

# Nominal wavelength ranges (µm) of the NIRSpec disperser/filter combinations, JWST User
# Documentation (JDox), "NIRSpec Dispersers and Filters". The shared dispersion files extend
# beyond them (G395: 2.5-6.0 µm, PRISM: 0.5-6.0 µm); the 2 % check is done over
# nominal band ∩ file range.
NOMINAL_BAND_UM = {
    "PRISM": (0.60, 5.30),
    "G235H": (1.66, 3.17),
    "G395M": (2.87, 5.27),
    "G395H": (2.87, 5.27),
}
DISPERSION_FILES = {mode: f"jwst_nirspec_{mode.lower()}_disp.fits" for mode in NOMINAL_BAND_UM}


# ------------------------------------------------------------------------------------------
# R(λ) tables
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", sorted(DISPERSION_FILES))
def test_table_matches_full_dispersion_curve_to_2_percent(shared_data, mode):
    path = shared_data("jwst-nirspec-dispersion", DISPERSION_FILES[mode])
    with fits.open(path) as hdul:
        wave = np.asarray(hdul[1].data["WAVELENGTH"], float)
        rpow = np.asarray(hdul[1].data["R"], float)
    lo, hi = NOMINAL_BAND_UM[mode]
    inside = (wave >= lo) & (wave <= hi)
    assert inside.sum() > 300  # the check really covers the band
    ratio = instrument.resolving_power(mode, wave[inside]) / rpow[inside]
    assert np.max(np.abs(ratio - 1.0)) < 0.02
    # and the table spans the whole file, so no extrapolation is hidden inside the band
    # (table wavelengths are rounded to 1e-4 µm)
    assert instrument.mode_range(mode)[0] <= max(wave[0], lo) + 1e-4
    assert instrument.mode_range(mode)[1] >= min(wave[-1], hi) - 1e-4


@pytest.mark.parametrize("mode", sorted(DISPERSION_FILES))
def test_table_is_small_and_not_the_shipped_file(shared_data, mode):
    path = shared_data("jwst-nirspec-dispersion", DISPERSION_FILES[mode])
    with fits.open(path) as hdul:
        n_file = len(hdul[1].data)
    table = Table.read(linelists_dir() / "resolving_power.ecsv")
    n_table = int(np.sum(np.asarray(table["mode"]) == mode))
    assert 2 <= n_table <= 40 and n_table < n_file / 20


def test_table_modes_and_references_are_consistent():
    table = Table.read(linelists_dir() / "resolving_power.ecsv")
    assert set(np.asarray(table["mode"], str)) == set(instrument.MODES)
    assert table["wavelength"].unit == u.um
    for mode in instrument.MODES:
        assert len(instrument.mode_reference(mode)) > 10


def test_interpolation_is_linear_between_table_points():
    table = Table.read(linelists_dir() / "resolving_power.ecsv")
    rows = table[np.asarray(table["mode"]) == "PRISM"]
    rows.sort("wavelength")
    w0, w1 = float(rows["wavelength"][3]), float(rows["wavelength"][4])
    r0, r1 = float(rows["R"][3]), float(rows["R"][4])
    mid = instrument.resolving_power("PRISM", [0.5 * (w0 + w1)])
    assert mid[0] == pytest.approx(0.5 * (r0 + r1), rel=1e-12)


def test_resolving_power_accepts_quantity_and_case():
    a = instrument.resolving_power("g395h", 4.0 * u.um)
    b = instrument.resolving_power("G395H", np.array([4000.0]) * u.nm)
    assert np.shape(a) == () and a == pytest.approx(b[0])


def test_range_margin_and_out_of_range_error():
    lo, hi = instrument.mode_range("G395M")
    inside_margin = instrument.resolving_power("G395M", [hi + 0.5 * instrument.RANGE_MARGIN_UM])
    assert np.isfinite(inside_margin).all() and inside_margin[0] > 0
    with pytest.raises(InputError, match="outside the G395M"):
        instrument.resolving_power("G395M", [hi + 2 * instrument.RANGE_MARGIN_UM])
    with pytest.raises(InputError, match="outside"):
        instrument.resolving_power("G395M", [1.0, 4.0])


@pytest.mark.parametrize("bad", ["G999X", "NIRCAM", "", 3])
def test_bad_mode_is_input_error(bad):
    with pytest.raises(InputError, match="mode"):
        instrument.resolving_power(bad, [4.0])
    with pytest.raises(InputError):
        instrument.GaussianLSF(bad if isinstance(bad, str) else "bad")


def test_untabulated_disperser_asks_for_explicit_r(monkeypatch):
    # every NIRSpec disperser (JWST User Documentation: the prism and six gratings) has a table
    # today; a mode without one must say "pass R"
    assert {"PRISM", "G140M", "G140H", "G235M", "G235H", "G395M", "G395H"} <= set(instrument.MODES)
    # as if the resolving-power table had no G140M rows (MODES is read from that table)
    without = tuple(m for m in instrument.MODES if m != "G140M")
    monkeypatch.setattr(resolution, "_modes", lambda: without)
    assert instrument.MODES == without
    with pytest.raises(InputError, match="pass the resolving power explicitly"):
        instrument.resolving_power("G140M", [1.5])
    assert instrument.mode_from_meta({"grating": "G140M"}) is None


def _builder():
    """linelists/make_resolving_power.py, loaded as a module (it records the PAHFIT fits)."""
    import importlib.util

    path = linelists_dir() / "make_resolving_power.py"
    spec = importlib.util.spec_from_file_location("make_resolving_power", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("mode", ["G235H", "G395M", "G395H"])
def test_pahfit_fits_reproduce_the_esa_files(shared_data, mode):
    """G140M/G140H/G235M come from PAHFIT's fits; check PAHFIT (read with domain = its
    range) against the ESA files we do have, for the same family of gratings."""
    path = shared_data("jwst-nirspec-dispersion", DISPERSION_FILES[mode])
    with fits.open(path) as hdul:
        wave = np.asarray(hdul[1].data["WAVELENGTH"], float)
        rpow = np.asarray(hdul[1].data["R"], float)
    ratio = _builder().pahfit_curve(mode, wave) / rpow
    assert np.max(np.abs(ratio - 1.0)) < 0.005


@pytest.mark.parametrize("mode", ["G140M", "G140H", "G235M"])
def test_table_matches_pahfit_curve_to_2_percent(mode):
    """Consistency check: the table was built from this curve (interpolation error only).
    Independent checks of these modes: test_pahfit_fits_reproduce_the_esa_files (the same
    fits against the ESA files of the other gratings) and
    test_untabulated_gratings_have_the_esa_family_resolving_power_at_band_centre."""
    builder = _builder()
    lo, hi = builder.PAHFIT_V01[mode][0]
    wave = np.linspace(lo, hi, 2000)
    ratio = instrument.resolving_power(mode, wave) / builder.pahfit_curve(mode, wave)
    assert np.max(np.abs(ratio - 1.0)) < 0.02
    assert "PAHFIT" in instrument.mode_reference(mode)


# G140M/F100LP, G140H/F100LP and G235M/F170LP nominal bands (µm, JDox; see NOMINAL_BAND_UM).
NOMINAL_BAND_UNFILED = {"G140M": (0.97, 1.89), "G140H": (0.97, 1.89), "G235M": (1.66, 3.17)}


@pytest.mark.parametrize("mode", ["G140M", "G140H", "G235M"])
def test_untabulated_gratings_have_the_esa_family_resolving_power_at_band_centre(shared_data, mode):
    """Each grating family has one design resolving power at its band centre (M ~ 1000, H ~ 2700;
    Jakobsen et al. 2022, A&A 661, A80, quoted from memory, not re-read: the expectation below
    uses only the ESA files). The ESA files give the family value at their band centres (G395M
    1031; G235H 2783, G395H 2791); the three gratings without an ESA file must match it within 5 %."""
    def centre_r(esa_mode):
        path = shared_data("jwst-nirspec-dispersion", DISPERSION_FILES[esa_mode])
        with fits.open(path) as hdul:
            wave = np.asarray(hdul[1].data["WAVELENGTH"], float)
            rpow = np.asarray(hdul[1].data["R"], float)
        return np.interp(np.mean(NOMINAL_BAND_UM[esa_mode]), wave, rpow)

    family = [centre_r("G395M")] if mode.endswith("M") else [centre_r("G235H"), centre_r("G395H")]
    expected = float(np.mean(family))
    got = float(instrument.resolving_power(mode, [np.mean(NOMINAL_BAND_UNFILED[mode])])[0])
    assert got == pytest.approx(expected, rel=0.05)


# ------------------------------------------------------------------------------------------
# Metadata
# ------------------------------------------------------------------------------------------
def test_mode_from_real_x1d_header(shared_data):
    path = shared_data(
        "jwst-nirspec-mos-g395m-x1d-smacs0723", "jw02736-o007_s06355_nirspec_f290lp-g395m_x1d.fits"
    )
    header = fits.getheader(path, 0)
    assert instrument.mode_from_meta(header) == "G395M"
    meta = {"grating": header["GRATING"], "filter": header["FILTER"]}
    assert instrument.mode_from_meta(meta) == "G395M"
    mode_string = f"{header['INSTRUME']} {header['GRATING']}/{header['FILTER']}"
    assert instrument.mode_from_meta({"mode": mode_string}) == "G395M"


@pytest.mark.parametrize(
    "meta, expected",
    [
        ({"mode": "NIRSPEC PRISM/CLEAR"}, "PRISM"),
        ({"mode": "NIRSPEC G395H/F290LP"}, "G395H"),
        ({"MODE": "nirspec g235h/f170lp"}, "G235H"),
        ({"GRATING": "G395H", "FILTER": "F290LP"}, "G395H"),
        ({"grating": "G140M", "filter": "F100LP"}, "G140M"),
        ({"grating": "MIRROR", "filter": "CLEAR"}, None),
        ({"instrument": "NIRCAM"}, None),
        ({}, None),
        (None, None),
    ],
)
def test_mode_from_meta(meta, expected):
    assert instrument.mode_from_meta(meta) == expected


# ------------------------------------------------------------------------------------------
# Pixel edges
# ------------------------------------------------------------------------------------------
def test_pixel_edges_midpoints_and_ends():
    wave = np.array([1.0, 1.1, 1.3, 1.6])
    edges = instrument.pixel_edges(wave)
    np.testing.assert_allclose(edges, [0.95, 1.05, 1.2, 1.45, 1.75])
    np.testing.assert_allclose(instrument.pixel_edges(wave * u.um), edges)


@pytest.mark.parametrize("wave", [[1.0], [1.0, 1.0, 2.0], [2.0, 1.0], [1.0, np.nan, 3.0]])
def test_pixel_edges_bad_grid(wave):
    with pytest.raises(InputError, match="wavelength"):
        instrument.pixel_edges(np.array(wave))


# ------------------------------------------------------------------------------------------
# Gaussian LSF
# ------------------------------------------------------------------------------------------
def _uniform_grid(lo, hi, n):
    wave = np.linspace(lo, hi, n)
    return wave, instrument.pixel_edges(wave)


def test_fwhm_is_lambda_over_r():
    lsf = instrument.GaussianLSF("G395H")
    wave = np.array([3.0, 4.0, 5.0])
    np.testing.assert_allclose(lsf.fwhm_um(wave), wave / instrument.resolving_power("G395H", wave))
    np.testing.assert_allclose(instrument.GaussianLSF(1000.0).fwhm_um(wave), wave / 1000.0)
    np.testing.assert_allclose(lsf.sigma_um(wave) * FWHM_PER_SIGMA, lsf.fwhm_um(wave))


@pytest.mark.parametrize("rpow", [100.0, 1000.0, 1e5, 1e9, "PRISM", "G395H"])
def test_flux_conservation(rpow):
    _, edges = _uniform_grid(3.5, 5.0, 700)
    rng = np.random.default_rng(3)
    lines = rng.uniform(4.0, 4.5, 500)
    weights = rng.uniform(0.1, 2.0, 500)
    out = instrument.GaussianLSF(rpow).integrate_lines(lines, weights, edges)
    assert np.all(out >= 0)
    assert np.sum(out * np.diff(edges)) == pytest.approx(weights.sum(), rel=1e-4)
    # much tighter than required: only the ±6σ tails (2e-9) are dropped
    assert np.sum(out * np.diff(edges)) == pytest.approx(weights.sum(), rel=1e-8)


def test_under_sampled_line_falls_in_one_pixel_exactly():
    wave, edges = _uniform_grid(4.0, 4.1, 101)
    line = 0.5 * (edges[40] + edges[41]) + 1e-5  # inside pixel 40, off-centre
    out = instrument.GaussianLSF(1e9).integrate_lines([line], [2.5], edges)
    assert np.flatnonzero(out).tolist() == [40]
    assert out[40] * (edges[41] - edges[40]) == pytest.approx(2.5, rel=1e-12)


def test_line_on_pixel_edge_splits_evenly():
    _, edges = _uniform_grid(4.0, 4.1, 101)
    out = instrument.GaussianLSF(1e7).integrate_lines([edges[50]], [1.0], edges)
    widths = np.diff(edges)
    assert out[49] * widths[49] == pytest.approx(0.5, rel=1e-9)
    assert out[50] * widths[50] == pytest.approx(0.5, rel=1e-9)
    assert np.sum(out * widths) == pytest.approx(1.0, rel=1e-12)


def test_moments_of_well_sampled_line():
    wave, edges = _uniform_grid(3.9, 4.1, 2001)  # dλ = 1e-4 µm
    dlam = wave[1] - wave[0]
    line = 4.00003
    lsf = instrument.GaussianLSF(4000.0)  # FWHM 1e-3 µm ≈ 10 pixels
    out = lsf.integrate_lines([line], [1.0], edges)
    mass = out * dlam
    centroid = np.sum(mass * wave) / np.sum(mass)
    variance = np.sum(mass * (wave - centroid) ** 2) / np.sum(mass)
    sigma = float(lsf.sigma_um(line))
    assert centroid == pytest.approx(line, abs=1e-4 * dlam)
    # integrating over pixels adds the top-hat variance dλ²/12 (Sheppard's correction)
    assert variance == pytest.approx(sigma**2 + dlam**2 / 12, rel=1e-4)
    assert abs(variance - sigma**2) > 100 * abs(variance - sigma**2 - dlam**2 / 12)


def test_pixel_integration_matches_quad_not_point_sampling():
    wave, edges = _uniform_grid(4.0, 4.05, 51)  # dλ = 1e-3 µm
    line = wave[25] + 0.3e-3
    rpow = 8000.0  # FWHM 5e-4 µm, half a pixel: badly under-sampled
    sigma = line / rpow / FWHM_PER_SIGMA
    out = instrument.GaussianLSF(rpow).integrate_lines([line], [1.0], edges)
    gauss = stats.norm(loc=line, scale=sigma).pdf
    for i in range(22, 29):
        expected, _ = integrate.quad(gauss, edges[i], edges[i + 1], points=[line], epsabs=1e-13)
        assert out[i] == pytest.approx(expected / (edges[i + 1] - edges[i]), rel=1e-7, abs=1e-9)
    point_sampled = gauss(wave)
    assert np.max(np.abs(point_sampled - out)) > 0.1 * out.max()


def test_lines_beyond_grid_edge_lose_only_outside_flux():
    wave, edges = _uniform_grid(4.0, 4.1, 101)
    lsf = instrument.GaussianLSF(2000.0)
    out = lsf.integrate_lines([edges[0], 3.5, 4.6], [1.0, 1.0, 1.0], edges)
    assert np.sum(out * np.diff(edges)) == pytest.approx(0.5, rel=1e-8)


def test_order_and_sum_of_lines_is_linear():
    _, edges = _uniform_grid(4.0, 4.2, 300)
    lsf = instrument.GaussianLSF("G395M")
    lines = np.array([4.15, 4.05, 4.1])
    weights = np.array([1.0, 2.0, 0.5])
    together = lsf.integrate_lines(lines, weights, edges)
    apart = sum(lsf.integrate_lines([l], [w], edges) for l, w in zip(lines, weights))
    np.testing.assert_allclose(together, apart, rtol=1e-12, atol=1e-12 * together.max())


def test_large_window_chunking_matches(monkeypatch):
    """Consistency check (chunked = unchunked); the values: test_pixel_integration_matches_quad_not_point_sampling."""
    _, edges = _uniform_grid(4.0, 4.4, 4000)
    rng = np.random.default_rng(5)
    lines = rng.uniform(4.1, 4.3, 200)
    weights = rng.uniform(size=200)
    lsf = instrument.GaussianLSF(300.0)
    one = lsf.integrate_lines(lines, weights, edges)
    monkeypatch.setattr(lsf_module, "_MAX_PAIRS_PER_CHUNK", 5000)
    many = lsf.integrate_lines(lines, weights, edges)
    np.testing.assert_allclose(many, one, rtol=1e-12, atol=1e-14 * one.max())


def test_mode_lsf_line_outside_table():
    _, edges = _uniform_grid(4.0, 4.4, 400)
    lsf = instrument.GaussianLSF("G235H")  # table ends near 3.1 µm
    with pytest.raises(InputError, match="outside the G235H"):
        lsf.integrate_lines([4.2], [1.0], edges)
    _, edges_235 = _uniform_grid(2.0, 2.4, 400)
    out = lsf.integrate_lines([2.2, 4.26], [1.0, 1.0], edges_235)  # 4.26 µm is far off the grid
    assert np.sum(out * np.diff(edges_235)) == pytest.approx(1.0, rel=1e-8)


def test_callable_resolving_power():
    _, edges = _uniform_grid(4.0, 4.4, 400)
    lsf = instrument.GaussianLSF(lambda w: 500.0 * w)
    np.testing.assert_allclose(lsf.fwhm_um([4.0]), [1 / 500.0])
    bad = instrument.GaussianLSF(lambda w: -np.ones_like(w))
    with pytest.raises(InputError, match="positive"):
        bad.integrate_lines([4.2], [1.0], edges)


@pytest.mark.parametrize("bad", [0.0, -5.0, np.inf, np.nan, True, [1, 2], 3 * u.m])
def test_bad_resolving_power(bad):
    with pytest.raises(InputError, match="resolving_power"):
        instrument.GaussianLSF(bad)


def test_no_lines_and_quantity_inputs():
    _, edges = _uniform_grid(4.0, 4.1, 50)
    lsf = instrument.GaussianLSF(1000.0)
    out = lsf.integrate_lines([], [], edges)
    assert out.shape == (50,) and not out.any()
    plain = lsf.integrate_lines([4.05], [1.0], edges)
    np.testing.assert_allclose(lsf.integrate_lines([4050.0] * u.nm, [1.0], edges * u.um), plain)


def test_integrate_lines_input_checks():
    lsf = instrument.GaussianLSF(1000.0)
    with pytest.raises(InputError, match="finite"):
        lsf.integrate_lines([np.nan], [1.0], [3.9, 4.0, 4.2])
    with pytest.raises(InputError, match="callable"):
        instrument.GaussianLSF(lambda w: np.ones(3)).integrate_lines([4.0, 4.1], [1.0, 1.0], [3.9, 4.0, 4.2])
    with pytest.raises(InputError, match="weights"):
        lsf.integrate_lines([4.0, 4.1], [1.0], [3.9, 4.0, 4.2])
    with pytest.raises(InputError, match="pixel_edges"):
        lsf.integrate_lines([4.0], [1.0], [4.2, 4.0])


# ------------------------------------------------------------------------------------------
# make_lsf and custom LSFs
# ------------------------------------------------------------------------------------------
def test_make_lsf_dispatch():
    assert isinstance(instrument.make_lsf(1000), instrument.GaussianLSF)
    assert instrument.make_lsf("NIRSPEC PRISM/CLEAR").mode == "PRISM"
    assert instrument.make_lsf(1000 * u.dimensionless_unscaled).fwhm_um(4.0) == pytest.approx(0.004)

    class MyLSF:
        def integrate_lines(self, line_um, weights, pixel_edges_um):
            return np.zeros(len(pixel_edges_um) - 1)

    custom = MyLSF()
    assert instrument.make_lsf(custom) is custom
    with pytest.raises(InputError, match="no resolution given"):
        instrument.make_lsf(None)
    with pytest.raises(InputError, match="resolving_power"):
        instrument.make_lsf(object())


def _gaussian_kernel_in_fwhm(n=4001, half_width=4.0):
    x = np.linspace(-half_width, half_width, n)
    return x, np.exp(-0.5 * (x * FWHM_PER_SIGMA) ** 2)


@pytest.mark.parametrize("rpow", [1500.0, "G395M"])
def test_tabulated_gaussian_matches_erf_closed_form(rpow):
    """A Gaussian kernel tabulated in FWHM units: each pixel holds the difference of the
    normal CDF at its edges, σ = λ / (R · 2√(2 ln 2)) (G395M: R(λ) of the table, itself
    checked against the ESA file above)."""
    _, edges = _uniform_grid(4.0, 4.5, 600)
    lines = np.array([4.1, 4.2234, 4.3])
    weights = np.array([1.0, 0.5, 2.0])
    x, prof = _gaussian_kernel_in_fwhm()
    tab = instrument.TabulatedLSF(x, prof, resolving_power=rpow)
    r = rpow if isinstance(rpow, float) else instrument.resolving_power(rpow, lines)
    sigma = lines / r / FWHM_PER_SIGMA
    cdf = stats.norm.cdf((edges[:, None] - lines[None, :]) / sigma[None, :])
    ref = (np.diff(cdf, axis=0) * weights).sum(axis=1) / np.diff(edges)
    out = tab.integrate_lines(lines, weights, edges)
    # piecewise-linear sampling of the Gaussian at 0.002 FWHM, truncated at ±4 FWHM: ~1e-6
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-5 * ref.max())
    assert np.sum(out * np.diff(edges)) == pytest.approx(weights.sum(), rel=1e-4)


def test_tabulated_top_hat_in_um_is_integrated_exactly():
    # a 3-pixel-wide top hat in wavelength: each pixel gets exactly its overlap fraction
    _, edges = _uniform_grid(4.0, 4.1, 101)  # dλ = 1e-3 µm
    half = 1.5e-3
    tab = instrument.TabulatedLSF(np.array([-half, -half * (1 - 1e-12), half * (1 - 1e-12), half]) * u.um,
                                  [0.0, 1.0, 1.0, 0.0])
    line = edges[50] + 2e-4
    out = tab.integrate_lines([line], [1.0], edges)
    overlap = np.clip(np.minimum(edges[1:], line + half) - np.maximum(edges[:-1], line - half), 0, None)
    np.testing.assert_allclose(out * np.diff(edges), overlap / (2 * half), atol=1e-9)
    assert tab.cdf(-1.0) == 0.0 and tab.cdf(1.0) == pytest.approx(1.0)


def test_tabulated_triangle_cdf_is_exact():
    tab = instrument.TabulatedLSF([-1.0, 0.0, 1.0], [0.0, 1.0, 0.0], resolving_power=1000.0)
    x = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0])
    expected = np.where(x < 0, 0.5 * np.clip(x + 1, 0, 1) ** 2, 1 - 0.5 * np.clip(1 - x, 0, 1) ** 2)
    np.testing.assert_allclose(tab.cdf(x), expected, atol=1e-15)
    # scales with the local FWHM: at 4 µm, R = 1000, the support is ±4e-3 µm
    _, edges = _uniform_grid(3.98, 4.02, 401)
    out = tab.integrate_lines([4.0], [1.0], edges)
    centres = 0.5 * (edges[1:] + edges[:-1])
    assert np.all(out[np.abs(centres - 4.0) > 4.0e-3 + 1e-4] == 0)
    assert np.sum(out * np.diff(edges)) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize(
    "offset, profile, rpow, match",
    [
        ([0.0, 1.0], [1.0, 1.0], None, "needs a resolving power"),
        ([0.0, 1.0] * u.um, [1.0, 1.0], 1000.0, "not used"),
        ([0.0, 1.0] * u.s, [1.0, 1.0], None, "length"),
        ([1.0, 0.0], [1.0, 1.0], 1000.0, "increase"),
        ([0.0, 1.0], [1.0, -1.0], 1000.0, "non-negative"),
        ([0.0, 1.0], [0.0, 0.0], 1000.0, "zero area"),
        ([0.0, 1.0, 2.0], [1.0, 1.0], 1000.0, "same length"),
    ],
)
def test_tabulated_lsf_bad_input(offset, profile, rpow, match):
    with pytest.raises(InputError, match=match):
        instrument.TabulatedLSF(offset, profile, resolving_power=rpow)


def test_make_lsf_passes_tabulated_through():
    x, prof = _gaussian_kernel_in_fwhm(101)
    tab = instrument.TabulatedLSF(x, prof, resolving_power=500.0)
    assert instrument.make_lsf(tab) is tab


def test_tabulated_kernel_fwhm():
    x, prof = _gaussian_kernel_in_fwhm()
    tab = instrument.TabulatedLSF(x, prof, resolving_power=2000.0)
    assert tab.kernel_fwhm() == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(tab.fwhm_um([3.0, 5.0]), [3.0 / 2000, 5.0 / 2000], rtol=1e-5)
    box = instrument.TabulatedLSF([-2.0, -1.0, 1.0, 2.0] * u.nm, [0.0, 1.0, 1.0, 0.0])
    np.testing.assert_allclose(box.fwhm_um([4.0, 4.5]), [3e-3, 3e-3], rtol=1e-12)
    with pytest.raises(InputError, match="no R"):
        box.resolving_power_at([4.0])


@pytest.mark.parametrize("spec", [1500.0, "G395H"])
def test_lsf_pickles(spec):
    import pickle

    _, edges = _uniform_grid(4.0, 4.4, 100)
    lsf = instrument.GaussianLSF(spec)
    copy = pickle.loads(pickle.dumps(lsf))
    np.testing.assert_array_equal(copy.integrate_lines([4.2], [1.0], edges),
                                  lsf.integrate_lines([4.2], [1.0], edges))


def test_a_new_mode_is_rows_in_the_table(tmp_path, monkeypatch):
    """A mode added as rows of resolving_power.ecsv is recognised with no code change: by its
    disperser in a mode string, and an IFU mode by its instrument, channel and band."""
    table = Table.read(linelists_dir() / "resolving_power.ecsv", format="ascii.ecsv")
    reference = "a test row, not a published value"
    for mode, instrument_name, disperser, channel, band, wave, rpow in (
            ("G999X", "NIRSPEC", "G999X", "", "", 3.0, 1000.0), ("G999X", "NIRSPEC", "G999X", "", "", 4.0, 1200.0),
            ("CH1-SHORT", "MIRI", "", "1", "SHORT", 4.9, 3500.0), ("CH1-SHORT", "MIRI", "", "1", "SHORT", 5.7, 3600.0)):
        table.add_row([mode, instrument_name, disperser, channel, band, wave, rpow, reference])
    table.write(tmp_path / "resolving_power.ecsv", format="ascii.ecsv")
    monkeypatch.setattr(resolution, "linelists_dir", lambda: tmp_path)
    for cached in (resolution._tables, resolution._modes, resolution._vocabulary):
        cached.cache_clear()
    try:
        assert "G999X" in instrument.MODES and "CH1-SHORT" in instrument.MODES
        assert instrument.mode_from_meta({"mode": "NIRSPEC G999X/F290LP"}) == "G999X"
        assert instrument.mode_from_meta({"instrument": "MIRI", "channel": "1", "band": "short"}) == "CH1-SHORT"
        assert instrument.resolving_power("G999X", [3.5])[0] == pytest.approx(1100.0)
        assert instrument.mode_from_meta({"mode": "NIRSPEC G395H/F290LP"}) == "G395H"
    finally:
        for cached in (resolution._tables, resolution._modes, resolution._vocabulary):
            cached.cache_clear()
