"""Cached pixel integration of one band's lines on one spectrum's pixel grid.

A band profile at rotational temperature T and wavelength shift s is

    S(pixel p) = Σ_l w_l(T) [K((e_p+1(s) − c_l)/σ_l) − K((e_p(s) − c_l)/σ_l)] / (e_p+1 − e_p)

(`comaspec.physics.lsf`: each line broadened by the LSF and integrated over the pixel; K is
the kernel's cdf, evaluated only on the pixels a line's window touches). Within one fit the
pixel grid, the line positions c_l and widths σ_l do not change, only T (the weights w_l)
and s (the edges). `SpeciesPixels` therefore works out once, for all bands of one species,
which (line, pixel) pairs any shift within a range can touch, keeps the bracketed cdf
differences of each shift it has seen (``M(s)``, one number per pair), and makes a profile
with one weighted sum over the pairs:

* a new T at a known shift costs the weights and that sum;
* a new shift costs one cdf evaluation per pair (no searches or index building).

Pairs outside a line's window at the current shift are zeroed exactly as the direct
integration leaves them out, and the weights are the same ``stick_spectrum`` weights
(the weak-line cut included), so the profile equals `comaspec.physics.templates.band_profile` up to
the order of the floating-point sums (tested to 1e-12 relative).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

__all__ = ["SpeciesPixels", "supports"]

#: Shifts whose cdf differences are kept per band (a Levenberg–Marquardt step visits a few).
_SHIFTS_KEPT = 8
#: A structure holding more than this many times the lines needed now is rebuilt smaller.
_SPARE = 1.5
#: A rebuilt structure also holds the lines kept at this many times the current T_rot.
_T_MARGIN = 1.3


def supports(lsf):
    """Whether `SpeciesPixels` can integrate lines with this LSF (comaspec's own LSF classes)."""
    return callable(getattr(lsf, "_kernel", None))


class SpeciesPixels:
    """Pixel-integration structure of one species' bands on one pixel grid (module docstring).

    Parameters
    ----------
    species : str
    terms : list of (str, float)
        The species' bands on this spectrum and their weights (`SpeciesComponent.terms`).
    wavelength_um : ndarray
        The spectrum's pixel centres (its whole grid), µm.
    lsf : GaussianLSF or TabulatedLSF
    emission : str
        Emission model of the line weights (`comaspec.physics.templates.stick_spectrum`).
    """

    def __init__(self, species, terms, wavelength_um, lsf, emission):
        self.species, self.emission = species, emission
        self.terms = list(terms)
        self.wavelength_um = wavelength_um
        self.lsf = lsf
        self._wavenumbers = [np.zeros(0) for _ in self.terms]   # per band: sorted distinct lines, cm^-1
        self._offsets = np.zeros(len(self.terms) + 1, dtype=int)
        self._shift_range = None
        self._cdf_diffs = OrderedDict()
        self._line_weights = OrderedDict()   # (T_rot, ortho/para) -> weights on this structure
        self._last_positions = {}   # band -> (its last stick lines, their index in the structure)
        #: Called with this object after each (re)build (`comaspec.model.setup_cache` keeps a copy).
        self.on_build = None

    # ------------------------------------------------------------------ structure
    def _build(self, wavenumbers, shift_range):
        """Pairs of (line, pixel) any shift in ``shift_range`` can touch."""
        from ..physics.lsf import pixel_edges

        self._wavenumbers = wavenumbers
        self._offsets = np.cumsum([0] + [w.size for w in wavenumbers])
        self._shift_range = shift_range
        self._cdf_diffs.clear()
        self._line_weights.clear()
        self._last_positions = {}   # its own: a copy of the structure before this build keeps its answers
        edges0 = pixel_edges(self.wavelength_um)
        lines = 1e4 / np.concatenate(wavenumbers)
        s_lo, s_hi = shift_range
        # the kernel's use-mask on the edges widened by the shift range (lines whose window
        # cannot reach the grid at any of these shifts are left out, as the direct path does)
        wide = np.concatenate(([edges0[0] - s_hi], edges0[1:-1], [edges0[-1] - s_lo]))
        use, scale, x_lo, x_hi, self._cdf = self.lsf._kernel(lines, wide)
        idx = np.flatnonzero(use)
        centre, scale = lines[idx], scale[idx]
        lo, hi = centre + x_lo * scale, centre + x_hi * scale
        n_pix = edges0.size - 1
        # edges shift by -s: pixel p is touched at some s in range if e_p+1 - s_lo > lo, e_p - s_hi < hi
        first = np.clip(np.searchsorted(edges0, lo + s_lo, side="right") - 1, 0, n_pix)
        last = np.clip(np.searchsorted(edges0, hi + s_hi, side="left"), 0, n_pix)
        n_edges = np.where(last > first, last - first + 1, 0)   # each line's edges, once
        line_of = np.repeat(np.arange(idx.size), n_edges)
        start = np.cumsum(n_edges) - n_edges
        self._edge = np.arange(line_of.size) - np.repeat(start, n_edges) + np.repeat(first, n_edges)
        self._edge_centre, self._edge_scale = centre[line_of], scale[line_of]
        # pairs of consecutive edges of one line = the (line, pixel) pairs
        pair = np.ones(max(line_of.size - 1, 0), dtype=bool)
        pair[(start + n_edges - 1)[n_edges > 0][:-1]] = False
        self._pair = np.flatnonzero(pair)                 # index of the pair's lower edge
        self._pair_next = self._pair + 1
        self._pixel = self._edge[self._pair]
        self._pair_lo, self._pair_hi = lo[line_of[self._pair]], hi[line_of[self._pair]]
        self._pair_line = idx[line_of[self._pair]]
        if self.on_build is not None:
            self.on_build(self)

    def _positions(self, sticks, shift, shift_pad, warmer):
        """Index of each stick line in the structure.

        Rebuilt with the union of lines when one is missing or the shift is out of range, and
        with only the lines needed now when it holds more than `_SPARE` times those and a new
        shift has to be integrated anyway (a hot start-grid point made it large). A rebuild
        also takes the lines of ``warmer()`` (the sticks at `_T_MARGIN` × T_rot), so that the
        small steps of T_rot in a fit do not each add a line and rebuild.
        """
        inside = self._shift_range is not None and self._shift_range[0] <= shift <= self._shift_range[1]
        needed = sum(wn.size for wn, _w in sticks)
        if inside and shift not in self._cdf_diffs and self._offsets[-1] > _SPARE * needed:
            self._build([np.union1d(wn, hot) for (wn, _w), (hot, _h) in zip(sticks, warmer())],
                        self._shift_range)
        elif inside:
            positions = []
            for b, (known, (wavenumber, _w)) in enumerate(zip(self._wavenumbers, sticks)):
                pos = self._known_positions(b, known, wavenumber)
                if pos is None:
                    break
                positions.append(pos)
            else:
                return positions
            self._build(self._union(sticks, warmer()), self._shift_range)
        elif self._shift_range is None:   # the first build (a fit's start grid begins hottest)
            self._build([np.unique(wn) for wn, _w in sticks], (shift - shift_pad, shift + shift_pad))
        else:
            lo, hi = self._shift_range
            self._build(self._union(sticks, warmer()), (min(lo, shift - shift_pad), max(hi, shift + shift_pad)))
        return [np.searchsorted(known, wn) for known, (wn, _w) in zip(self._wavenumbers, sticks)]

    def _known_positions(self, b, known, wavenumber):
        """Index of band b's stick lines ``wavenumber`` in ``known`` (its lines in the
        structure), None if one is missing; the last answer is kept: the lines kept at
        nearby temperatures are mostly the same (their weights differ, not their set)."""
        last = self._last_positions.get(b)
        if last is not None and last[0].size == wavenumber.size and np.array_equal(last[0], wavenumber):
            return last[1]
        pos = np.minimum(np.searchsorted(known, wavenumber), max(known.size - 1, 0))
        if not (known.size and np.array_equal(known[pos], wavenumber)):
            return None
        self._last_positions[b] = (wavenumber, pos)
        return pos

    def _union(self, sticks, warmer):
        return [np.union1d(np.union1d(k, wn), hot) for k, (wn, _w), (hot, _h) in
                zip(self._wavenumbers, sticks, warmer)]

    # ------------------------------------------------------------------ evaluation
    def _differences(self, shift, edges):
        """M(s): each pair's bracketed cdf difference at this shift (0 outside the line's window)."""
        diffs = self._cdf_diffs.get(shift)
        if diffs is not None:
            self._cdf_diffs.move_to_end(shift)
            return diffs
        at_edge = edges[self._edge]
        cum = self._cdf((at_edge - self._edge_centre) / self._edge_scale)
        # a pair's pixel edges are the line's edges at pair and pair + 1 (the same numbers
        # as edges[pixel], edges[pixel + 1], gathered from the shorter array)
        lo, hi = self._pair, self._pair_next
        touched = (at_edge[hi] > self._pair_lo) & (at_edge[lo] < self._pair_hi)
        diffs = np.where(touched, cum[hi] - cum[lo], 0.0)
        self._cdf_diffs[shift] = diffs
        if len(self._cdf_diffs) > _SHIFTS_KEPT:
            self._cdf_diffs.popitem(last=False)
        return diffs

    def column(self, T_rot, shift, ortho_para, edges, shift_pad=0.0):
        """Σ_b weight_b × unit-area profile of band b on the grid (µm^-1), as `SpeciesComponent.column`.

        Parameters
        ----------
        T_rot : float
            Rotational temperature, K.
        shift : float
            Wavelength shift, µm (the grid is read at λ − shift).
        ortho_para : float
            H2O ortho/para ratio.
        edges : ndarray
            ``comaspec.physics.lsf.pixel_edges(wavelength_um - shift)``.
        shift_pad : float
            When the structure must be (re)built, cover shifts within ± this of ``shift``
            too (e.g. the fit's shift bound), so that later shifts reuse it.

        Returns
        -------
        ndarray
        """
        shift = float(shift)
        kept = self._line_weights.get((float(T_rot), float(ortho_para)))
        if kept is None or not self._holds(shift, kept[1]):
            kept = self._weights_of_lines(T_rot, shift, ortho_para, shift_pad)
        diffs = self._differences(shift, edges)
        out = np.bincount(self._pixel, weights=diffs * kept[0][self._pair_line], minlength=edges.size - 1)
        return out / np.diff(edges)

    def _holds(self, shift, needed):
        """Whether `_positions` would use the structure as it is at this shift (no rebuild),
        for sticks of ``needed`` lines that it holds."""
        lo, hi = self._shift_range
        return lo <= shift <= hi and not (shift not in self._cdf_diffs and self._offsets[-1] > _SPARE * needed)

    def _weights_of_lines(self, T_rot, shift, ortho_para, shift_pad):
        """(weight of every line of the structure at this T_rot and ortho/para, lines needed),
        kept until the structure is rebuilt: a new shift at a known T_rot skips the sticks."""
        from ..physics.templates import stick_spectrum

        sticks = [stick_spectrum(self.species, band, T_rot, ortho_para=ortho_para, emission=self.emission)
                  for band, _weight in self.terms]
        def warmer():
            return [stick_spectrum(self.species, band, _T_MARGIN * T_rot, ortho_para=ortho_para,
                                   emission=self.emission) for band, _weight in self.terms]

        positions = self._positions(sticks, shift, float(shift_pad), warmer)   # may rebuild
        full = np.empty(self._offsets[-1])
        for b, ((_band, weight), (_wn, w), pos) in enumerate(zip(self.terms, sticks, positions)):
            n = self._offsets[b + 1] - self._offsets[b]
            full[self._offsets[b]:self._offsets[b + 1]] = weight * np.bincount(pos, weights=w, minlength=n)
        kept = self._line_weights[(float(T_rot), float(ortho_para))] = (full, sum(wn.size for wn, _w in sticks))
        if len(self._line_weights) > _SHIFTS_KEPT:
            self._line_weights.popitem(last=False)
        return kept
