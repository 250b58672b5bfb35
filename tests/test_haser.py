"""Tests of the Haser kernels against limits, high-precision references and independent integrals."""

import numpy as np
import pytest
from scipy import integrate, special

from comaspec.physics import haser

try:  # the high-precision references; the other tests run without it
    import mpmath as mp
except ImportError:  # pragma: no cover
    mp = None
needs_mpmath = pytest.mark.skipif(mp is None, reason="mpmath (test extra) not installed")

# Scales used throughout: Q = 1e27 /s, v = 0.5 km/s, tau = 5e5 s  ->  L = 2.5e5 km.
Q, V, TAU = 1e27, 0.5, 5e5
L = V * TAU


def _mp_ki1(x):
    """Ki1(x) = ∫_0^∞ exp(−x cosh t)/cosh t dt at 30 digits (Bickley form, independent of iti0k0)."""
    with mp.workdps(30):
        x = mp.mpf(x)
        # beyond t_max the integrand is below e^-100; panels resolve the peak of width ~x^-1/2
        t_max = mp.acosh(1 + 100 / x)
        pts = sorted({t for t in (0, 0.05, 0.1, 0.3, 1, 3, 6, 12, 24) if t < t_max} | set(mp.linspace(0, t_max, 12)))
        return mp.quad(lambda t: mp.exp(-x * mp.cosh(t)) / mp.cosh(t), pts)


def _mp_f1(x):
    """f1(x) = 1 − x K1(x) + x Ki1(x) at 30 digits."""
    with mp.workdps(30):
        x = mp.mpf(x)
        return 1 - x * mp.besselk(1, x) + x * _mp_ki1(x)


XS = np.logspace(-6, 3, 28)


@needs_mpmath
def test_kernel_tail_matches_mpmath_over_full_range():
    got = haser.kernel_tail(XS[XS < 600])
    ref = np.array([float(_mp_ki1(x)) for x in XS[XS < 600]])
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=0)


@needs_mpmath
def test_circle_fraction_matches_mpmath_1e6_to_1e3():
    got = haser.circle_fraction(XS)
    ref = np.array([float(_mp_f1(x)) for x in XS])
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=0)


def test_series_and_closed_form_agree_at_switch():
    """Consistency check of two internal branches (no jump where the series hands over); the
    values themselves are tested against mpmath in test_circle_fraction_matches_mpmath_1e6_to_1e3."""
    x = np.array([haser._G_SERIES * (1 - 1e-9), haser._G_SERIES * (1 + 1e-9)])
    g = haser._g(x)
    assert g[0] == pytest.approx(g[1], rel=1e-10)


def test_small_aperture_limit_pi_q_rho_over_2v():
    rho = 1e-6 * L
    n = haser.number_circle(rho, Q, V, TAU)
    assert n == pytest.approx(np.pi * Q * rho / (2 * V), rel=2e-5)  # next term ~ x ln x


def test_large_aperture_limit_q_tau():
    n = haser.number_circle(1e3 * L, Q, V, TAU)
    assert n == pytest.approx(Q * TAU, rel=2e-3)  # f1 = 1 − 1/x... tail: N = Qτ(1 − ~1e-3)
    # the exact large-x behaviour f1 → 1 − x K1 + x Ki1 → 1 (both terms ~e^-x)
    assert haser.circle_fraction(50.0) == pytest.approx(1.0, abs=1e-18)


def test_column_density_small_rho_limit_and_integral_equals_circle():
    x = 1e-7
    rho = x * L
    # Ki1(x) = π/2 + x (ln(x/2) + γ − 1) + O(x³ ln x)  (∫_0^x K0 with K0 ≈ −ln(y/2) − γ)
    ki1 = np.pi / 2 + x * (np.log(x / 2) + np.euler_gamma - 1)
    assert haser.column_density(rho, Q, V, TAU) == pytest.approx(Q / (4 * V * rho), rel=2e-6)
    assert haser.column_density(rho, Q, V, TAU) == pytest.approx(Q / (2 * np.pi * V * rho) * ki1, rel=1e-12)
    R = 0.3 * L
    num, _ = integrate.quad(lambda r: 2 * np.pi * r * haser.column_density(r, Q, V, TAU), 0, R,
                            epsabs=0, epsrel=1e-12, limit=200)
    assert num == pytest.approx(haser.number_circle(R, Q, V, TAU), rel=1e-9)


def test_column_density_follows_iti0k0_form_where_it_is_accurate():
    rho = np.array([0.01, 0.5, 2.0, 3.9]) * L
    sbpy_form = Q / (2 * np.pi * V * rho) * (np.pi / 2 - special.iti0k0(rho / L)[1])
    np.testing.assert_allclose(haser.column_density(rho, Q, V, TAU), sbpy_form, rtol=1e-12)


@pytest.mark.parametrize("w,h,off", [
    (0.2, 0.2, (0.0, 0.0)),
    (1.0, 3.0, (0.0, 0.0)),
    (0.4, 0.1, (0.3, -0.05)),    # nucleus outside the rectangle
    (0.4, 0.4, (0.1, 0.15)),     # nucleus inside, off centre
    (5.0, 2.0, (-1.0, 0.5)),
])
def test_rectangle_matches_independent_cartesian_integration(w, h, off):
    """Independent check: scipy dblquad of σ(√(x²+y²)) in Cartesian coordinates (lengths in L)."""
    x1, x2 = off[0] - w / 2, off[0] + w / 2
    y1, y2 = off[1] - h / 2, off[1] + h / 2

    def sigma(y, x):
        r = np.hypot(x, y)
        return (np.pi / 2 - special.iti0k0(r)[1]) / (2 * np.pi * r)  # N/(Qτ) per unit area (L²)

    # Split at the nucleus' coordinates so the 1/r peak sits on panel corners.
    xs = sorted({x1, x2, *([0.0] if x1 < 0 < x2 else [])})
    ys = sorted({y1, y2, *([0.0] if y1 < 0 < y2 else [])})
    ref = sum(integrate.dblquad(sigma, a, b, c, d, epsabs=1e-13, epsrel=1e-10)[0]
              for a, b in zip(xs[:-1], xs[1:]) for c, d in zip(ys[:-1], ys[1:]))
    got = haser.number_rectangle(w * L, h * L, Q, V, TAU, (off[0] * L, off[1] * L)) / (Q * TAU)
    assert got == pytest.approx(ref, rel=1e-9)


@pytest.mark.parametrize("x", [1e-5, 1e-2, 0.3, 3.0, 30.0])
def test_square_between_inscribed_and_circumscribed_circles(x):
    side = 2 * x * L
    n_sq = haser.number_rectangle(side, side, Q, V, TAU)
    assert haser.number_circle(x * L, Q, V, TAU) < n_sq < haser.number_circle(np.sqrt(2) * x * L, Q, V, TAU)


def test_small_square_limit_closed_form():
    """σ = Q/(4vρ) ⇒ N(square of side 2a) = (Q a / v) · 2 asinh(1) (≈ 1.7627 Q a / v)."""
    a = 1e-6 * L
    n = haser.number_rectangle(2 * a, 2 * a, Q, V, TAU)
    assert n == pytest.approx(Q * a / V * 2 * np.arcsinh(1.0), rel=3e-5)


@pytest.mark.parametrize("radius,b", [(0.3, 0.1), (0.3, 0.299), (0.3, 0.301), (0.3, 2.0), (1e-4, 5e-5), (5.0, 3.0)])
def test_offset_circle_matches_polar_integration_about_the_nucleus(radius, b):
    """Independent: scipy dblquad of ρ σ(ρ) = Qτ Ki1(ρ)/(2π) over the circle in polar coordinates
    about the nucleus (ρ between the two intersections of each ray with the circle)."""
    def integrand(rho, theta):
        return (np.pi / 2 - special.iti0k0(rho)[1]) / (2 * np.pi)

    def chord(theta):
        return np.sqrt(np.maximum(radius**2 - (b * np.sin(theta)) ** 2, 0.0))

    if b < radius:  # nucleus inside: every ray leaves the circle once
        ref = 2 * integrate.dblquad(integrand, 0, np.pi, 0, lambda t: b * np.cos(t) + chord(t),
                                    epsabs=0, epsrel=1e-11)[0]
    else:  # nucleus outside: rays within asin(a/b) cross the circle
        t_max = np.arcsin(radius / b)
        ref = 2 * integrate.dblquad(integrand, 0, t_max, lambda t: b * np.cos(t) - chord(t),
                                    lambda t: b * np.cos(t) + chord(t), epsabs=0, epsrel=1e-11)[0]
    got = haser.number_circle(radius * L, Q, V, TAU, (b * L, 0.0)) / (Q * TAU)
    assert got == pytest.approx(ref, rel=1e-9)


def test_offset_circle_is_rotation_invariant_and_continuous_at_zero_offset():
    r = 0.2 * L
    n0 = haser.number_circle(r, Q, V, TAU)
    a = haser.number_circle(r, Q, V, TAU, (0.05 * L, 0.0))
    b = haser.number_circle(r, Q, V, TAU, (0.0, -0.05 * L))
    assert a == pytest.approx(b, rel=1e-12)
    assert haser.number_circle(r, Q, V, TAU, (1e-9 * L, 0)) == pytest.approx(n0, rel=1e-9)


def _column_over_q_tau(r):
    """σ(ρ)/(Qτ) per unit area in L², ρ = r L: the textbook form Ki1(r)/(2π r), Ki1 = π/2 − ∫_0^r K0."""
    return (np.pi / 2 - special.iti0k0(r)[1]) / (2 * np.pi * r)


@pytest.mark.parametrize("r_in,r_out", [(0.1, 0.2), (1e-4, 3e-4), (0.5, 4.0)])
def test_annulus_matches_radial_integral_of_the_column(r_in, r_out):
    """Independent: scipy quad of 2πρ σ(ρ) between the radii (lengths in L)."""
    ref, _ = integrate.quad(lambda r: 2 * np.pi * r * _column_over_q_tau(r), r_in, r_out,
                            epsabs=0, epsrel=1e-12, limit=200)
    n = haser.number_annulus(r_in * L, r_out * L, Q, V, TAU)
    assert n > 0
    assert n / (Q * TAU) == pytest.approx(ref, rel=1e-9)


def test_mask_of_full_grid_equals_rectangle_and_spaxels_add_up():
    """Consistency of number_mask with number_rectangle (tested against dblquad above) and
    additivity; number_mask's own values: test_single_*_spaxel_* below."""
    mask = np.ones((5, 7), bool)
    p = 0.01 * L
    nuc = (2.3, 1.6)
    n_mask = haser.number_mask(mask, p, nuc, Q, V, TAU)
    # rectangle spanning pixels -0.5..6.5, -0.5..4.5 with centre offset from the nucleus
    off = ((3.0 - nuc[0]) * p, (2.0 - nuc[1]) * p)
    n_rect = haser.number_rectangle(7 * p, 5 * p, Q, V, TAU, off)
    assert n_mask == pytest.approx(n_rect, rel=1e-12)
    # additivity: a checkerboard and its complement sum to the whole
    chk = (np.add.outer(np.arange(5), np.arange(7)) % 2).astype(bool)
    total = haser.number_mask(chk, p, nuc, Q, V, TAU) + haser.number_mask(~chk, p, nuc, Q, V, TAU)
    assert total == pytest.approx(n_mask, rel=1e-12)


def test_single_far_spaxel_matches_point_estimate():
    """A spaxel far from the nucleus holds ≈ σ(ρ_centre) · area (σ from the textbook form)."""
    p = 1e-3 * L
    mask = np.zeros((1, 1), bool)
    mask[0, 0] = True
    nuc = (-100.0, -50.0)
    n = haser.number_mask(mask, p, nuc, Q, V, TAU)
    rho = np.hypot(100.0, 50.0) * p
    assert n == pytest.approx(Q * TAU * _column_over_q_tau(rho / L) * (p / L) ** 2, rel=1e-4)


def test_single_small_spaxel_on_the_nucleus_closed_form():
    """Spaxel of side p << L centred on the nucleus: σ = Q/(4vρ) ⇒ N = (Q p / v) asinh(1)."""
    p = 1e-6 * L
    mask = np.zeros((3, 3), bool)
    mask[1, 1] = True
    n = haser.number_mask(mask, p, (1.0, 1.0), Q, V, TAU)
    assert n == pytest.approx(Q * p / V * np.arcsinh(1.0), rel=3e-5)


def test_kernels_are_vectorised():
    r = np.array([0.1, 1.0, 10.0]) * L
    n = haser.number_circle(r, Q, V, TAU)
    assert n.shape == (3,)
    assert np.all(np.diff(n) > 0)
    nr = haser.number_rectangle(r, r[::-1], Q, V, TAU, np.zeros((3, 2)))
    assert nr.shape == (3,)
    assert nr[0] == pytest.approx(nr[2], rel=1e-12)  # w×h and h×w


# A'Hearn & Cowan (1975): narrowband photometry of C3, reduced with a one-component Haser
# model, v = 1 km/s, scale length 4.0e4 km at 1 au. Rows (rh au, Delta au, log10 rho km,
# log10 flux erg cm^-2 s^-1, log10 Q published, N published) and the flux -> N conversion
# N = 10**(13.6 + log10 L + 2 log10 rh), L = 4 pi (Delta 1.49e13 cm)^2 F, as transcribed in
# sbpy's test suite (sbpy/activity/gas/tests/test_core.py, test_total_number_rho_AC75; the
# paper itself was not retrieved). These are the two C3 rows: C3 has no parent, so they are a
# parent-only Haser conversion like comaspec's.
AC75_C3 = [
    (1.053, 1.535, 4.638, -10.44, 26.5, 1.054e31),
    (0.893, 1.383, 4.592, -9.85, 27.0, 2.393e31),
]


@pytest.mark.parametrize("rh, delta, log_rho, log_flux, log_q, n_published", AC75_C3)
def test_published_conversion_ahearn_cowan_1975(rh, delta, log_rho, log_flux, log_q, n_published):
    """Flux -> N -> Q reproduces AC75's published log Q to its rounding (0.1 dex).

    The scale length is taken to grow as rh^2 (the usual convention; AC75's text was not
    read): with a fixed 4.0e4 km the second row gives 26.92, outside the rounding of 27.0.
    """
    luminosity = 4 * np.pi * (delta * 1.49e13) ** 2 * 10**log_flux
    n = 10 ** (13.6 + np.log10(luminosity) + 2 * np.log10(rh))
    assert n == pytest.approx(n_published, rel=2e-3)  # the transcription is self-consistent
    v = 1.0
    tau = 4.0e4 * rh**2 / v
    q = n / haser.number_circle(10**log_rho, 1.0, v, tau)
    assert abs(np.log10(q) - log_q) <= 0.05
