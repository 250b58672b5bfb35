"""Line-spread functions (LSF) and the exact integration of LSF-broadened emission lines over
detector pixels.

An LSF object turns a list of emission lines (wavelength, weight) into the per-pixel mean flux
density on an observed wavelength grid, integrating the LSF over each pixel rather than
sampling it at the pixel centre. Any object with an ``integrate_lines(line_um, weights,
pixel_edges_um)`` method can be used as an LSF (see :func:`make_lsf`); :class:`GaussianLSF`
and :class:`TabulatedLSF` are provided. Re-exported by `comaspec.physics.instrument`.
"""

import functools
import math
import numbers

import numpy as np
from scipy.special import ndtr

from ..errors import InputError
from .resolution import RANGE_MARGIN_UM, _as_um, _interp_r, _known_mode, _modes, _tables, resolving_power

__all__ = ["pixel_edges", "GaussianLSF", "TabulatedLSF", "make_lsf"]

# FWHM = _FWHM_PER_SIGMA * sigma for a Gaussian (exact, not a physical constant).
_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
# The Gaussian is integrated over ±_GAUSS_HALF_WIDTH sigma; the mass outside is 2e-9.
_GAUSS_HALF_WIDTH = 6.0
# Above this many (line, pixel-edge) pairs the lines are processed in chunks (memory bound).
_MAX_PAIRS_PER_CHUNK = 2_000_000


# ---------------------------------------------------------------------------------------------
# Pixels
# ---------------------------------------------------------------------------------------------
def pixel_edges(wavelength_um):
    """Pixel edges of a wavelength grid given by its pixel centres.

    Inner edges are the midpoints between neighbouring centres; the two outer edges are
    placed so that the first and last pixels are symmetric about their centres.

    Parameters
    ----------
    wavelength_um : array_like or astropy.units.Quantity
        Strictly increasing pixel-centre wavelengths (µm if plain numbers), at least 2.

    Returns
    -------
    numpy.ndarray
        ``n + 1`` edges in µm (float64).

    Raises
    ------
    InputError
        Fewer than 2 pixels, non-finite values, or a grid that does not strictly increase.
    """
    wave = _as_um(wavelength_um, "wavelength")
    if wave.ndim != 1 or wave.size < 2:
        raise InputError("wavelength", "pixel edges need a 1-D grid of at least 2 wavelengths")
    if np.any(np.diff(wave) <= 0):
        raise InputError("wavelength", "the wavelength grid must increase strictly")
    mid = 0.5 * (wave[1:] + wave[:-1])
    return np.concatenate(([2.0 * wave[0] - mid[0]], mid, [2.0 * wave[-1] - mid[-1]]))


def _check_lines(line_um, weights, pixel_edges_um):
    """Validated flat float64 copies of the integrate_lines inputs (Quantities → µm)."""
    lines = np.ravel(_as_um(line_um, "line_um") if hasattr(line_um, "unit") else
                     np.asarray(line_um, dtype=np.float64))
    edges = np.ravel(_as_um(pixel_edges_um, "pixel_edges_um") if hasattr(pixel_edges_um, "unit")
                     else np.asarray(pixel_edges_um, dtype=np.float64))
    wts = np.ravel(np.asarray(weights, dtype=np.float64))
    if lines.shape != wts.shape:
        raise InputError("weights", f"{wts.size} weights for {lines.size} lines")
    if not (np.all(np.isfinite(lines)) and np.all(np.isfinite(wts)) and np.all(np.isfinite(edges))):
        raise InputError("line_um", "line wavelengths, weights and pixel edges must be finite")
    if edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise InputError("pixel_edges_um", "needs >= 2 strictly increasing edges")
    return lines, wts, edges


def _integrate_windowed(centre, weights, scale, x_lo, x_hi, cdf, edges):
    """Per-pixel mean of Σ_k w_k K((λ - c_k)/s_k)/s_k, integrated exactly over each pixel.

    ``cdf(x, k)`` is the cumulative integral of the unit-area kernel K at standardised
    offsets ``x`` for lines ``k``; K vanishes outside [x_lo, x_hi]. Only the pixels a line's
    window [c + x_lo s, c + x_hi s] touches are evaluated (flattened, no Python loop per line).
    """
    n_pix = edges.size - 1
    out = np.zeros(n_pix)
    first = np.searchsorted(edges, centre + x_lo * scale, side="right") - 1
    last = np.searchsorted(edges, centre + x_hi * scale, side="left")
    first = np.clip(first, 0, n_pix)
    last = np.clip(last, 0, n_pix)
    touching = np.flatnonzero(last > first)
    if touching.size == 0:
        return out
    n_edges = last[touching] - first[touching] + 1
    # chunks of lines bounded by the number of (line, edge) pairs
    bounds = np.searchsorted(np.cumsum(n_edges), np.arange(0, n_edges.sum(), _MAX_PAIRS_PER_CHUNK),
                             side="right")
    bounds = np.unique(np.concatenate(([0], bounds, [touching.size])))
    for start, stop in zip(bounds[:-1], bounds[1:]):
        idx = touching[start:stop]
        counts = n_edges[start:stop]
        total = int(counts.sum())
        line_of = np.repeat(np.arange(idx.size), counts)
        seg_start = np.cumsum(counts) - counts
        edge_idx = np.arange(total) - np.repeat(seg_start, counts) + np.repeat(first[idx], counts)
        x = (edges[edge_idx] - centre[idx][line_of]) / scale[idx][line_of]
        cum = cdf(x, idx[line_of])
        # differences between consecutive edges of the same line only
        valid = np.ones(total - 1, dtype=bool)
        valid[(seg_start + counts - 1)[:-1]] = False
        contrib = (cum[1:] - cum[:-1])[valid] * weights[idx][line_of[:-1][valid]]
        out += np.bincount(edge_idx[:-1][valid], weights=contrib, minlength=n_pix)
    return out / np.diff(edges)


# ---------------------------------------------------------------------------------------------
# LSFs
# ---------------------------------------------------------------------------------------------
def _constant_r(value, wave_um):
    """A constant R on the shape of ``wave_um`` (module level so that LSFs pickle)."""
    return np.full(np.shape(wave_um), value)


def _resolving_power_function(spec):
    """(callable R(λ_um) -> ndarray, mode name or None) from a number, a mode or a callable."""
    if isinstance(spec, str):
        mode = _known_mode(spec)
        return functools.partial(_interp_r, mode), mode
    if getattr(spec, "unit", None) is not None:
        from astropy import units as u

        try:
            spec = spec.to_value(u.dimensionless_unscaled)
        except u.UnitConversionError as exc:
            raise InputError("resolving_power", f"must be dimensionless, got {spec.unit}") from exc
    is_number = isinstance(spec, numbers.Real) and not isinstance(spec, (bool, np.bool_))
    is_scalar_array = isinstance(spec, np.ndarray) and spec.ndim == 0 and spec.dtype.kind in "iuf"
    if is_number or is_scalar_array:
        value = float(spec)
        if not (np.isfinite(value) and value > 0):
            raise InputError("resolving_power", f"must be a finite positive number, got {value}")
        return functools.partial(_constant_r, value), None
    if callable(spec):
        return spec, None
    raise InputError(
        "resolving_power",
        f"expected a number R, a mode name ({', '.join(_modes())}) or a callable R(wavelength_um), "
        f"got {type(spec).__name__}",
    )


class _ResolvingPowerMixin:
    """R(λ) handling shared by the LSFs that scale with the local FWHM λ/R."""

    def _init_resolving_power(self, resolving_power):
        self._r_func, self.mode = _resolving_power_function(resolving_power)
        self.resolving_power = self.mode if self.mode is not None else resolving_power

    def _r_checked(self, wave_um):
        try:
            rpow = np.broadcast_to(np.asarray(self._r_func(wave_um), dtype=np.float64),
                                   np.shape(wave_um))
        except (TypeError, ValueError) as exc:
            raise InputError("resolving_power", f"the R(wavelength) callable failed: {exc}") from exc
        if self.mode is None and not np.all(np.isfinite(rpow) & (rpow > 0)):
            raise InputError("resolving_power", "R(wavelength) must be finite and positive")
        return rpow

    def resolving_power_at(self, wavelength_um):
        """Resolving power R used at the given wavelengths.

        Parameters
        ----------
        wavelength_um : array_like
            Wavelengths in µm.

        Returns
        -------
        numpy.ndarray
            R (float64).
        """
        wave = np.asarray(wavelength_um, dtype=np.float64)
        if self.mode is not None:
            return resolving_power(self.mode, wave)
        return np.array(self._r_checked(wave), dtype=np.float64)

    def fwhm_um(self, wavelength_um):
        """Full width at half maximum λ/R(λ) of the LSF.

        Parameters
        ----------
        wavelength_um : array_like
            Wavelengths in µm.

        Returns
        -------
        numpy.ndarray
            FWHM in µm (float64, same shape as the input).
        """
        wave = np.asarray(wavelength_um, dtype=np.float64)
        return wave / self.resolving_power_at(wave)

    def _line_fwhm(self, lines, edges, half_width_fwhm):
        """FWHM of each line, and a mask of the lines to integrate.

        For a tabulated mode, lines outside the table's range (+ margin) are skipped when
        their window, computed with R extended at the table's nearest end, cannot reach the
        pixel grid (their contribution is then zero); otherwise that is an InputError.
        """
        if self.mode is None:
            return lines / self._r_checked(lines), np.ones(lines.size, dtype=bool)
        rpow = _interp_r(self.mode, lines.copy())
        outside = np.isnan(rpow)
        if np.any(outside):
            wave, rtab, _ = _tables()[self.mode]
            r_end = np.where(lines[outside] < wave[0], rtab[0], rtab[-1])
            reach = half_width_fwhm * lines[outside] / r_end
            touches = (lines[outside] + reach > edges[0]) & (lines[outside] - reach < edges[-1])
            if np.any(touches):
                bad = lines[outside][touches][0]
                lo, hi = wave[0], wave[-1]
                raise InputError(
                    "lines",
                    f"a line at {bad:.4g} um falls on the pixel grid but outside the {self.mode} "
                    f"resolving-power table ({lo:.3f}-{hi:.3f} um, +/- {RANGE_MARGIN_UM} um)",
                )
            rpow[outside] = 1.0  # placeholder, those lines are masked out below
        return lines / rpow, ~outside


class GaussianLSF(_ResolvingPowerMixin):
    """Gaussian line-spread function of FWHM λ/R(λ).

    Parameters
    ----------
    resolving_power : float, str or callable
        A constant R; a name in :data:`MODES` (R(λ) from the mode's table); or a callable
        returning R for an array of wavelengths in µm.

    Attributes
    ----------
    mode : str or None
        The mode name when R comes from a table.
    resolving_power : float, str or callable
        What was given (the normalised mode name for a mode).

    Notes
    -----
    A line at λ0 with weight w adds to pixel [e_i, e_i+1] the mean flux density
    ``w [Φ((e_i+1 - λ0)/σ) - Φ((e_i - λ0)/σ)] / (e_i+1 - e_i)`` with
    σ = λ0 / (R(λ0) 2√(2 ln 2)) and Φ the standard normal CDF: the Gaussian is integrated
    exactly over the pixel, however narrow it is. Each line is evaluated only over the pixels
    within ±6σ of its centre (the Gaussian mass outside is 2e-9).
    """

    def __init__(self, resolving_power):
        self._init_resolving_power(resolving_power)

    def __repr__(self):
        return f"GaussianLSF({self.resolving_power!r})"

    def sigma_um(self, wavelength_um):
        """Gaussian standard deviation FWHM / (2√(2 ln 2)).

        Parameters
        ----------
        wavelength_um : array_like
            Wavelengths in µm.

        Returns
        -------
        numpy.ndarray
            σ in µm (float64).
        """
        return self.fwhm_um(wavelength_um) / _FWHM_PER_SIGMA

    def integrate_lines(self, line_um, weights, pixel_edges_um):
        """Broaden emission lines by the LSF and integrate them over each pixel.

        Parameters
        ----------
        line_um : array_like
            Line wavelengths in µm (any order).
        weights : array_like
            Line weights (e.g. fluxes), same length as ``line_um``.
        pixel_edges_um : array_like
            ``n + 1`` strictly increasing pixel edges in µm (see :func:`pixel_edges`).

        Returns
        -------
        numpy.ndarray
            ``n`` per-pixel mean flux densities (weight per µm), so that
            ``sum(out * diff(edges))`` equals the weight falling on the grid
            (``sum(weights)`` for lines well inside it).
        """
        return self._integrate_checked(*_check_lines(line_um, weights, pixel_edges_um))

    def _kernel(self, lines, edges):
        """(lines used, their scale, kernel support x_lo..x_hi, its cdf) for these lines and edges."""
        fwhm, use = self._line_fwhm(lines, edges, _GAUSS_HALF_WIDTH / _FWHM_PER_SIGMA)
        return use, fwhm / _FWHM_PER_SIGMA, -_GAUSS_HALF_WIDTH, _GAUSS_HALF_WIDTH, ndtr

    def _integrate_checked(self, lines, wts, edges):
        """`integrate_lines` on inputs known to be valid (flat float64, increasing edges)."""
        use, scale, x_lo, x_hi, cdf = self._kernel(lines, edges)
        return _integrate_windowed(lines[use], wts[use], scale[use], x_lo, x_hi, lambda x, _k: cdf(x), edges)


class TabulatedLSF(_ResolvingPowerMixin):
    """A user-given LSF shape, tabulated and linearly interpolated.

    Parameters
    ----------
    offset : array_like or astropy.units.Quantity
        Strictly increasing offsets from the line centre. Plain numbers are in units of the
        local FWHM λ/R(λ) (the kernel then widens with λ/R, and ``resolving_power`` is
        required); a length Quantity (e.g. ``u.nm``) gives a fixed kernel in wavelength
        (``resolving_power`` must then be None).
    profile : array_like
        Kernel values (≥ 0) at ``offset``; normalised here to unit area. The kernel is zero
        outside ``[offset[0], offset[-1]]`` and is not re-centred: its centroid is where
        the offsets put it.
    resolving_power : float, str or callable, optional
        As in :class:`GaussianLSF`; needed when ``offset`` is in FWHM units.

    Notes
    -----
    The profile is taken as piecewise linear between the tabulated points, so its
    cumulative integral is piecewise quadratic and is evaluated in closed form at the pixel
    edges: the pixel integration is exact for the tabulated kernel.
    """

    def __init__(self, offset, profile, resolving_power=None):
        unit = getattr(offset, "unit", None)
        if unit is not None:
            from astropy import units as u

            if unit.physical_type != "length":
                raise InputError("offset", f"expected plain numbers (FWHM units) or a length, got {unit}")
            if resolving_power is not None:
                raise InputError("resolving_power", "not used when offset is a length; pass None")
            self.offset_unit = "um"
            offset = offset.to_value(u.um)
            self.mode = None
            self.resolving_power = None
        else:
            if resolving_power is None:
                raise InputError("resolving_power", "an offset in FWHM units needs a resolving power")
            self.offset_unit = "fwhm"
            self._init_resolving_power(resolving_power)
        x = np.asarray(offset, dtype=np.float64).ravel()
        p = np.asarray(profile, dtype=np.float64).ravel()
        if x.size < 2 or x.shape != p.shape:
            raise InputError("profile", "offset and profile need the same length (>= 2)")
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(p))):
            raise InputError("profile", "offset and profile must be finite")
        if np.any(np.diff(x) <= 0):
            raise InputError("offset", "offsets must increase strictly")
        if np.any(p < 0):
            raise InputError("profile", "the kernel must be non-negative")
        widths = np.diff(x)
        area = np.sum(0.5 * (p[1:] + p[:-1]) * widths)
        if not area > 0:
            raise InputError("profile", "the kernel has zero area")
        self._x = x
        self._p = p / area
        self._h = widths
        self._cum = np.concatenate(([0.0], np.cumsum(0.5 * (self._p[1:] + self._p[:-1]) * widths)))

    def __repr__(self):
        return f"TabulatedLSF({self._x.size} points, offset in {self.offset_unit})"

    def kernel_fwhm(self):
        """Full width at half maximum of the tabulated kernel, in its own units.

        Returns
        -------
        float
            Distance between the outermost half-maximum crossings of the (piecewise-linear)
            profile: in FWHM units (λ/R) or in µm, as ``offset``.
        """
        x, p = self._x, self._p
        half = 0.5 * p.max()
        above = np.flatnonzero(p >= half)
        i, j = above[0], above[-1]
        left = x[i] if i == 0 else x[i - 1] + (half - p[i - 1]) * (x[i] - x[i - 1]) / (p[i] - p[i - 1])
        right = x[j] if j == x.size - 1 else x[j] + (p[j] - half) * (x[j + 1] - x[j]) / (p[j] - p[j + 1])
        return float(right - left)

    def resolving_power_at(self, wavelength_um):
        """Resolving power R(λ) that scales a kernel given in FWHM units.

        Parameters
        ----------
        wavelength_um : array_like
            Wavelengths in µm.

        Returns
        -------
        numpy.ndarray
            R (float64).

        Raises
        ------
        InputError
            For a kernel given in µm, which has no R.
        """
        if self.offset_unit == "um":
            raise InputError("TabulatedLSF", "a kernel given in wavelength units has no R(wavelength)")
        return super().resolving_power_at(wavelength_um)

    def fwhm_um(self, wavelength_um):
        """Full width at half maximum of the kernel at the given wavelengths.

        Parameters
        ----------
        wavelength_um : array_like
            Wavelengths in µm.

        Returns
        -------
        numpy.ndarray
            :meth:`kernel_fwhm` times λ/R(λ) for a kernel in FWHM units, or the constant
            kernel FWHM for a kernel given in µm.
        """
        wave = np.asarray(wavelength_um, dtype=np.float64)
        if self.offset_unit == "um":
            return np.full(wave.shape, self.kernel_fwhm())
        return self.kernel_fwhm() * super().fwhm_um(wave)

    def cdf(self, x):
        """Cumulative integral of the unit-area kernel.

        Parameters
        ----------
        x : array_like
            Offsets in the kernel's units (FWHM or µm).

        Returns
        -------
        numpy.ndarray
            Integral of the kernel from ``-inf`` to ``x`` (0 below, 1 above the support).
        """
        x = np.asarray(x, dtype=np.float64)
        j = np.clip(np.searchsorted(self._x, x, side="right") - 1, 0, self._x.size - 2)
        t = np.clip(x - self._x[j], 0.0, self._h[j])
        slope = (self._p[j + 1] - self._p[j]) / self._h[j]
        return self._cum[j] + self._p[j] * t + 0.5 * slope * t * t

    def integrate_lines(self, line_um, weights, pixel_edges_um):
        """Broaden emission lines by the kernel and integrate them over each pixel.

        Parameters
        ----------
        line_um : array_like
            Line wavelengths in µm.
        weights : array_like
            Line weights, same length as ``line_um``.
        pixel_edges_um : array_like
            ``n + 1`` strictly increasing pixel edges in µm.

        Returns
        -------
        numpy.ndarray
            ``n`` per-pixel mean flux densities (weight per µm), as
            :meth:`GaussianLSF.integrate_lines`.
        """
        return self._integrate_checked(*_check_lines(line_um, weights, pixel_edges_um))

    def _kernel(self, lines, edges):
        """(lines used, their scale, kernel support x_lo..x_hi, its cdf) for these lines and edges."""
        if self.offset_unit == "um":
            scale, use = np.ones(lines.size), np.ones(lines.size, dtype=bool)
        else:
            reach = max(abs(self._x[0]), abs(self._x[-1]))
            scale, use = self._line_fwhm(lines, edges, reach)
        return use, scale, self._x[0], self._x[-1], self.cdf

    def _integrate_checked(self, lines, wts, edges):
        """`integrate_lines` on inputs known to be valid (flat float64, increasing edges)."""
        use, scale, x_lo, x_hi, cdf = self._kernel(lines, edges)
        return _integrate_windowed(lines[use], wts[use], scale[use], x_lo, x_hi, lambda x, _k: cdf(x), edges)


def make_lsf(spec):
    """Build an LSF from what the user gave.

    Parameters
    ----------
    spec : float, str, callable or LSF object
        A constant resolving power R; a mode name in :data:`MODES` (or a JWST mode string
        such as ``"NIRSPEC PRISM/CLEAR"``); a callable R(wavelength_um); or any object with an
        ``integrate_lines(line_um, weights, pixel_edges_um)`` method (returned unchanged, e.g.
        a :class:`TabulatedLSF` or your own class).

    Returns
    -------
    object
        An LSF with ``integrate_lines``.

    Raises
    ------
    InputError
        ``spec`` is None, of an unusable type, an unknown mode or a non-positive R.
    """
    if spec is None:
        raise InputError(
            "lsf",
            "no resolution given: pass R (a number), a mode name "
            f"({', '.join(_modes())}), a callable R(wavelength_um) or an LSF object",
        )
    if callable(getattr(spec, "integrate_lines", None)):
        return spec
    return GaussianLSF(spec)
