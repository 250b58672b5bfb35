"""Haser-model kernels: column densities and numbers of molecules in apertures.

Plain float64, vectorised, fixed units: lengths in km, times in s, velocities in km/s,
production rates in molecules/s. The public layer with astropy Quantities is
:mod:`comaspec.production`.

The parent-only Haser (1957) coma has the number density::

    n(r) = Q / (4 π v r²) · exp(−r / L),   L = v τ,

whose column density at projected distance ρ is (x = ρ / L)::

    σ(ρ) = Q / (2 π v ρ) · Ki1(x),   Ki1(x) = ∫_x^∞ K0(y) dy = π/2 − ∫_0^x K0(y) dy,

and the number of molecules inside a circle of radius ρ centred on the nucleus is
(Newburn & Johnson 1978; Yamamoto 1981)::

    N(ρ) = Q τ f1(x),   f1(x) = x g(x),   g(x) = 1/x − K1(x) + Ki1(x).

Any other region D is handled through the boundary integral (nucleus anywhere,
signed angle θ seen from the nucleus)::

    N(D) = Q τ / (2π) ∮_∂D f1(|P| / L) dθ(P),

because f1(R) = ∫_0^R Ki1(r) dr, so f1/(2π) is the radial integral of σ r / (Q τ). Along a straight
edge at distance d from the nucleus the substitution s = d sinh u (s: position along
the edge from the foot of the perpendicular) turns dθ into du / cosh u and the
integrand into the smooth d · g(d cosh u); along a circle the same kind of sinh map
spreads the peak that appears when the nucleus lies near the boundary. Both are
integrated with composite Gauss–Legendre rules. The accuracy (relative error below
1e-9 in the tests, the goal is 1e-6) is documented in docs/haser.rst.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = [
    "kernel_tail",
    "circle_fraction",
    "column_density",
    "number_circle",
    "number_annulus",
    "number_rectangle",
    "number_mask",
    "corner_fraction",
]

# --- Ki1(x) = ∫_x^∞ K0 ----------------------------------------------------------------
# Below _TAIL_CLOSED the closed form π/2 − ∫_0^x K0 (scipy.special.iti0k0) loses less
# than ~1e-12 relative; above it the Bickley integral Ki1(x) = ∫_0^∞ exp(−x cosh t)/cosh t dt
# is summed by the trapezoid rule (spectrally accurate for this analytic, even integrand).
_TAIL_CLOSED = 4.0
_TAIL_NODES = 48
# Above _G_SKIP_TAIL, Ki1 < 1e-17 relative to 1/x, so inside g(x) it can be dropped.
_G_SKIP_TAIL = 40.0
# Below _G_SERIES the two-term series of g is used; its first omitted term is
# O(x³ ln x), < 1e-11 relative at 1e-4 (derivation in docs/haser.rst).
_G_SERIES = 1e-4

# Gauss–Legendre nodes on [0, 1] for composite rules.
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(12)
_GL_NODES = 0.5 * (_GL_NODES + 1.0)
_GL_WEIGHTS = 0.5 * _GL_WEIGHTS
# Panel width in the sinh-mapped variable: the integrands are analytic in a strip of
# half-width π/2 around the real axis, so 12 nodes on a panel of width 2 converge to
# ~1e-13 (checked against mpmath in tests/test_haser.py).
_PANEL_WIDTH = 2.0


def _as_float(x):
    return np.asarray(x, dtype=np.float64)


def kernel_tail(x):
    """Return Ki1(x) = ∫_x^∞ K0(y) dy, the Bickley function of order 1.

    Parameters
    ----------
    x : array_like
        Non-negative argument(s).

    Returns
    -------
    numpy.ndarray
        Ki1(x); π/2 at x = 0. Relative error below 1e-12 for all x ≥ 0 (until it
        underflows, near x ≈ 700).
    """
    x = _as_float(x)
    out = np.empty(x.shape)
    small = x <= _TAIL_CLOSED
    out[small] = np.pi / 2 - special.iti0k0(x[small])[1]
    big = ~small
    if big.any():
        xb = x[big][..., None]
        # The integrand exp(−x (cosh t − 1)) / cosh t is negligible (< e^-46) beyond t_max.
        t_max = np.arccosh(1.0 + 46.0 / xb)
        h = t_max / _TAIL_NODES
        t = h * np.arange(_TAIL_NODES + 1)
        w = np.full(_TAIL_NODES + 1, 1.0)
        w[0] = 0.5
        f = np.exp(-xb * (np.cosh(t) - 1.0)) / np.cosh(t)
        out[big] = np.exp(-x[big]) * h[..., 0] * (f * w).sum(axis=-1)
    return out


def _g(x):
    """g(x) = 1/x − K1(x) + Ki1(x) = N(ρ) v / (Q ρ) for the centred circle, x = ρ/L > 0."""
    x = _as_float(x)
    out = np.empty(x.shape)
    s = x < _G_SERIES
    xs = x[s]
    # Series: g = π/2 + x [½ ln(x/2) + γ/2 − ¾] + O(x³ ln x) (derived in docs/haser.rst).
    out[s] = np.pi / 2 + xs * (0.5 * np.log(0.5 * xs) + 0.5 * np.euler_gamma - 0.75)
    m = (~s) & (x < _G_SKIP_TAIL)
    xm = x[m]
    out[m] = 1.0 / xm - special.k1(xm) + kernel_tail(xm)
    b = x >= _G_SKIP_TAIL
    xb = x[b]
    out[b] = 1.0 / xb - special.k1(xb)
    return out


def circle_fraction(x):
    """Fraction of the molecules ever released that are inside a centred circle.

    Parameters
    ----------
    x : array_like
        Aperture radius over the scale length, ρ / (v τ); x ≥ 0.

    Returns
    -------
    numpy.ndarray
        f1(x) = N(ρ) / (Q τ); f1 → π x / 2 for x → 0 and f1 → 1 for x → ∞.
    """
    x = _as_float(x)
    out = np.zeros(x.shape)
    pos = x > 0
    out[pos] = x[pos] * _g(x[pos])
    return out


def column_density(rho, Q, v, tau):
    """Column density of a parent-only Haser coma.

    Parameters
    ----------
    rho : array_like
        Projected distance from the nucleus (km), > 0.
    Q : array_like
        Production rate (molecules/s).
    v : array_like
        Expansion velocity (km/s).
    tau : array_like
        Lifetime at the comet's heliocentric distance (s).

    Returns
    -------
    numpy.ndarray
        Column density σ(ρ) = Q / (2π v ρ) · Ki1(ρ / (v τ)) in molecules / km².
    """
    rho, Q, v, tau = np.broadcast_arrays(*map(_as_float, (rho, Q, v, tau)))
    return Q / (2 * np.pi * v * rho) * kernel_tail(rho / (v * tau))


# --- one float at a time: the pump-opacity check of every fit (comaspec.maps.opacity) needs
# a few numbers, for which numpy's per-call overhead costs more than the arithmetic. The same
# operations in the same order as the array kernels above: equal to the last bit (tested).
def _kernel_tail_1(x):
    """`kernel_tail` of one float x >= 0."""
    if x <= _TAIL_CLOSED:
        return np.pi / 2 - special.iti0k0(x)[1]
    return kernel_tail(np.array([x]))[0]


def _circle_fraction_1(x):
    """`circle_fraction` of one float."""
    if not x > 0:
        return 0.0
    if x < _G_SERIES:
        g = np.pi / 2 + x * (0.5 * np.log(0.5 * x) + 0.5 * np.euler_gamma - 0.75)
    elif x < _G_SKIP_TAIL:
        g = 1.0 / x - special.k1(x) + _kernel_tail_1(x)
    else:
        g = 1.0 / x - special.k1(x)
    return x * g


def _column_density_1(rho, Q, v, tau):
    """`column_density` of floats (km, 1/s, km/s, s), as a float (molecules / km²)."""
    return float(Q / (2 * np.pi * v * rho) * _kernel_tail_1(rho / (v * tau)))


def _number_circle_centred_1(radius, Q, v, tau):
    """`number_circle` of floats for a circle centred on the nucleus, as a float."""
    return float(Q * tau * _circle_fraction_1(radius / (v * tau)))


def _composite_gl(upper):
    """Nodes and weights of a composite Gauss–Legendre rule on [0, upper] (elementwise).

    All elements get the same number of panels (enough for the widest interval), so the
    result has shape upper.shape + (n_panels * n_nodes,).
    """
    upper = _as_float(upper)
    n_panels = max(1, int(np.ceil(np.max(upper, initial=0.0) / _PANEL_WIDTH)))
    width = upper[..., None] / n_panels
    starts = np.arange(n_panels)[:, None] + _GL_NODES[None, :]  # in panel units
    nodes = width[..., None] * starts.ravel()
    weights = width[..., None] * np.tile(_GL_WEIGHTS, n_panels)
    return nodes.reshape(upper.shape + (-1,)), weights.reshape(upper.shape + (-1,))


def _edge_fraction(d, s):
    """(1/2π) ∫ f1 dθ over the triangle (nucleus, foot (d, 0), corner (d, s)); d, s ≥ 0.

    Lengths in units of the scale length. Equals (d / 2π) ∫_0^{asinh(s/d)} g(d cosh u) du.
    """
    d, s = np.broadcast_arrays(_as_float(d), _as_float(s))
    out = np.zeros(d.shape)
    ok = (d > 0) & (s > 0)
    if ok.any():
        dd, ss = d[ok], s[ok]
        upper = np.arcsinh(ss / dd)
        u, w = _composite_gl(upper)
        vals = _g(dd[:, None] * np.cosh(u))
        out[ok] = dd / (2 * np.pi) * (vals * w).sum(axis=-1)
    return out


def corner_fraction(X, Y):
    """Fraction N / (Q τ) in the rectangle between the nucleus and the corner (X, Y).

    Parameters
    ----------
    X, Y : array_like
        Corner coordinates in units of the scale length L = v τ (any sign).

    Returns
    -------
    numpy.ndarray
        G(X, Y) = (1 / Qτ) ∫_0^X ∫_0^Y σ dy dx, odd in X and in Y. Any axis-aligned
        rectangle [x1, x2] × [y1, y2] holds Q τ [G(x2, y2) − G(x1, y2) − G(x2, y1) + G(x1, y1)].
    """
    X, Y = np.broadcast_arrays(_as_float(X), _as_float(Y))
    ax, ay = np.abs(X), np.abs(Y)
    return np.sign(X) * np.sign(Y) * (_edge_fraction(ax, ay) + _edge_fraction(ay, ax))


def _rectangle_fraction(x1, x2, y1, y2):
    # All four corners in one vectorised call.
    G = corner_fraction(np.stack([x2, x1, x2, x1]), np.stack([y2, y2, y1, y1]))
    return G[0] - G[1] - G[2] + G[3]


def _offset_circle_fraction(a, b):
    """N / (Q τ) in a circle of radius a whose centre is at distance b > 0 from the nucleus.

    Boundary integral (1/2π) ∮ f1(R) dθ with the boundary point at angle β around the
    circle's centre: R² = a² + b² + 2ab cos β, dθ/dβ = (a² + ab cos β) / R². The peak near
    β = π (nucleus close to the boundary) is spread by β = π + w sinh t, w = |a − b| / √(ab).
    """
    a, b = np.broadcast_arrays(_as_float(a), _as_float(b))
    w = np.abs(a - b) / np.sqrt(a * b)
    if np.any(w == 0):
        # Nucleus exactly on the circle: the peak is integrable (f1 ~ R), use a tiny w.
        w = np.where(w == 0, 1e-12, w)
    t_max = np.arcsinh(np.pi / w)
    t, wt = _composite_gl(2 * t_max)
    t = t - t_max[..., None]
    beta = np.pi + w[..., None] * np.sinh(t)
    dbeta = w[..., None] * np.cosh(t) * wt
    A, B = a[..., None], b[..., None]
    # 1 + cos(beta) as 2 cos^2(beta/2): no cancellation near beta = pi, so R2 >= 0 and the
    # nucleus-on-the-boundary case (a == b) stays finite instead of 0/0 = nan
    half = 2 * np.cos(beta / 2) ** 2
    R2 = (A - B) ** 2 + 2 * A * B * half
    R = np.sqrt(R2)
    with np.errstate(invalid="ignore", divide="ignore"):
        jacobian = np.where(R2 > 0, A * ((A - B) + B * half) / R2, 0.0)
    integrand = circle_fraction(R) * jacobian  # f1(0) = 0 where R2 = 0
    return (integrand * dbeta).sum(axis=-1) / (2 * np.pi)


def number_circle(radius, Q, v, tau, offset=(0.0, 0.0)):
    """Number of molecules in a circular aperture.

    Parameters
    ----------
    radius : array_like
        Aperture radius (km).
    Q, v, tau : array_like
        Production rate (1/s), expansion velocity (km/s), lifetime at the comet (s).
    offset : array_like, shape (..., 2)
        (dx, dy) of the aperture centre from the nucleus (km).

    Returns
    -------
    numpy.ndarray
        N (molecules). Centred: Q τ f1(ρ / vτ).
    """
    L = _as_float(v) * _as_float(tau)
    offset = _as_float(offset)
    b = np.hypot(offset[..., 0], offset[..., 1])
    radius, b, L, Qt = np.broadcast_arrays(_as_float(radius), b, L, _as_float(Q) * _as_float(tau))
    out = np.empty(radius.shape)
    centred = b == 0
    out[centred] = circle_fraction(radius[centred] / L[centred])
    if (~centred).any():
        out[~centred] = _offset_circle_fraction(radius[~centred] / L[~centred], b[~centred] / L[~centred])
    return Qt * out


def number_annulus(r_in, r_out, Q, v, tau, offset=(0.0, 0.0)):
    """Number of molecules in an annulus (km; see :func:`number_circle`).

    Returns
    -------
    numpy.ndarray
        N(r_out) − N(r_in).
    """
    return number_circle(r_out, Q, v, tau, offset) - number_circle(r_in, Q, v, tau, offset)


def number_rectangle(width, height, Q, v, tau, offset=(0.0, 0.0)):
    """Number of molecules in an axis-aligned rectangle.

    Parameters
    ----------
    width, height : array_like
        Full side lengths (km).
    Q, v, tau : array_like
        Production rate (1/s), expansion velocity (km/s), lifetime at the comet (s).
    offset : array_like, shape (..., 2)
        (dx, dy) of the rectangle centre from the nucleus (km).

    Returns
    -------
    numpy.ndarray
        N (molecules).
    """
    L = _as_float(v) * _as_float(tau)
    offset = _as_float(offset)
    width, height, dx, dy, L, Qt = np.broadcast_arrays(
        _as_float(width), _as_float(height), offset[..., 0], offset[..., 1], L,
        _as_float(Q) * _as_float(tau))
    x1, x2 = (dx - width / 2) / L, (dx + width / 2) / L
    y1, y2 = (dy - height / 2) / L, (dy + height / 2) / L
    return Qt * _rectangle_fraction(x1, x2, y1, y2)


def number_mask(mask, pixel, nucleus, Q, v, tau, offset=(0.0, 0.0)):
    """Number of molecules in a set of square spaxels.

    Parameters
    ----------
    mask : array_like of bool, shape (ny, nx)
        True for the spaxels summed.
    pixel : float
        Side of one spaxel (km).
    nucleus : tuple of float
        (x, y) position of the nucleus in pixel coordinates (pixel centres at integers).
    Q, v, tau : float
        Production rate (1/s), expansion velocity (km/s), lifetime at the comet (s).
    offset : tuple of float
        Extra (dx, dy) shift of the whole mask relative to the nucleus (km).

    Returns
    -------
    float
        N (molecules), the exact sum over spaxels (each one a rectangle, evaluated through
        the corner function :func:`corner_fraction` on the grid of spaxel corners).
    """
    mask = np.asarray(mask, dtype=bool)
    L = float(v) * float(tau)
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        return 0.0
    r0, r1, c0, c1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    sub = mask[r0:r1, c0:c1]
    xe = ((np.arange(c0, c1 + 1) - 0.5 - nucleus[0]) * pixel + offset[0]) / L
    ye = ((np.arange(r0, r1 + 1) - 0.5 - nucleus[1]) * pixel + offset[1]) / L
    # Integer weight of each grid corner in Σ_spaxels [G(x2,y2) − G(x1,y2) − G(x2,y1) + G(x1,y1)].
    cw = np.zeros((sub.shape[0] + 1, sub.shape[1] + 1))
    m = sub.astype(float)
    cw[1:, 1:] += m
    cw[:-1, 1:] -= m
    cw[1:, :-1] -= m
    cw[:-1, :-1] += m
    iy, ix = np.nonzero(cw)
    G = corner_fraction(xe[ix], ye[iy])
    return float(Q) * float(tau) * float(np.sum(cw[iy, ix] * G))
