"""Which pixels are fitted, and whether (or why not) each band is covered by them.

A `Coverage` is built once for a set of spectra and fit windows: the pixels of each window
that are good (at least 8, and twice the polynomial size), and for a band centre either
None (usable) or a short phrase saying why not, which the fit reports for a species that
is not covered.
"""

from __future__ import annotations

import numpy as np

from . import setup_cache
from ..errors import FitError
from .kernels import lsf_fwhm_um

__all__ = ["Coverage"]

#: Fewest good pixels for a window to be fitted.
MIN_WINDOW_PIXELS = 8


class Coverage:
    """Fitted pixels of each spectrum and band coverage.

    Parameters
    ----------
    spectra : list of ObservedSpectrum
    windows : sequence of Window

    Attributes
    ----------
    used : list of ndarray of bool
        Fitted pixels of each spectrum.
    win_pix : list of list of (Window, ndarray)
        Per spectrum, the windows with enough good pixels and the indices of those pixels.
    n_points : int
        Number of fitted pixels over all spectra.

    Raises
    ------
    FitError
        When no window of any spectrum has enough good pixels (the message says whether the
        uncertainties or the wavelength range are the reason).
    """

    def __init__(self, spectra, windows):
        self.spectra = list(spectra)
        self.windows = tuple(windows)
        self.used, self.win_pix = [], []
        for sp in self.spectra:
            wl = sp.wavelength_um
            used = np.zeros(wl.size, dtype=bool)
            per_win = []
            for w in self.windows:
                idx = np.flatnonzero(sp.good & (wl >= w.lo_um) & (wl <= w.hi_um))
                if idx.size >= max(MIN_WINDOW_PIXELS, 2 * (w.degree + 1)):
                    used[idx] = True
                    per_win.append((w, idx))
            self.used.append(used)
            self.win_pix.append(per_win)
        if not any(u.any() for u in self.used):
            self._raise_no_pixels()
        self.n_points = int(sum(u.sum() for u in self.used))
        self._memo = {}   # band centres' problems and median FWHMs: asked for by every model component

    def _raise_no_pixels(self):
        ranges = ", ".join(f"{w.lo_um}-{w.hi_um} um" for w in self.windows)
        label = self.spectra[0].label if len(self.spectra) == 1 else "the spectra"
        in_windows = sum(int(np.sum(self.in_windows(sp.wavelength_um))) for sp in self.spectra)
        bad_errors = sum(int(np.sum(self.in_windows(sp.wavelength_um) & ~(np.isfinite(sp.error) & (sp.error > 0))))
                         for sp in self.spectra)
        if in_windows and bad_errors > in_windows // 2:
            raise FitError(f"{label}: {bad_errors} of {in_windows} pixels in the fit windows ({ranges}) have no "
                           "valid uncertainty (NaN, zero or negative): cannot weight a fit")
        span = ", ".join(f"{sp.wavelength_um[0]:.2f}-{sp.wavelength_um[-1]:.2f} um" for sp in self.spectra)
        raise FitError(f"{label}: too few valid pixels in the fit windows ({ranges}) to fit "
                       f"({in_windows} pixels there, at least {MIN_WINDOW_PIXELS} per window needed; "
                       f"the data span {span})")

    def in_windows(self, wavelength_um):
        """Whether each wavelength lies in one of the fit windows (used or not)."""
        inside = np.zeros(np.shape(wavelength_um), dtype=bool)
        for w in self.windows:
            inside |= (wavelength_um >= w.lo_um) & (wavelength_um <= w.hi_um)
        return inside

    def covers(self, i, center_um):
        """Whether a band centre lies well inside a used window of spectrum i with data near it."""
        return self.problem(i, center_um) is None

    def problem(self, i, center_um):
        """Why a band centre is not usable in spectrum i (a short phrase), or None if it is."""
        key = ("problem", i, float(center_um))
        if key not in self._memo:
            self._memo[key] = self._problem(i, center_um)
        return self._memo[key]

    def _problem(self, i, center_um):
        sp = self.spectra[i]
        if not sp.wavelength_um[0] <= center_um <= sp.wavelength_um[-1]:
            # outside the data: the LSF need not (and may not) be defined there
            return f"outside the data ({sp.wavelength_um[0]:.2f}-{sp.wavelength_um[-1]:.2f} um)"
        fwhm = setup_cache.lsf_fwhm_at(sp.lsf, sp.wavelength_um, center_um, lsf_fwhm_um)
        in_window = False
        for _w, idx in self.win_pix[i]:
            wl = sp.wavelength_um[idx]
            if wl[0] + fwhm <= center_um <= wl[-1] - fwhm:
                in_window = True
                near = np.abs(wl - center_um) <= max(fwhm, np.median(np.diff(wl)) * 1.5)
                if near.sum() >= 2:
                    return None
        if in_window:
            return "in masked or missing pixels"
        return "outside the fit windows (or too close to their edges)"

    def why_not_covered(self, name, mol):
        """One phrase per spectrum and feature of species ``name`` saying which of its bands is
        not usable and why, e.g. "4.7um has nu1-nu2 at 4.849 um in masked or missing pixels"."""
        per_spectrum = []
        for i, sp in enumerate(self.spectra):
            parts = []
            for feature in mol.features_of(name):
                bands = mol.bands_of(name, feature)
                bad = [(b, self.problem(i, b.center_um)) for b in bands]
                bad = [(b, why) for b, why in bad if why is not None]
                reasons = {why for _b, why in bad}
                if len(bad) == len(bands) and len(reasons) == 1:
                    parts.append(f"{feature} {reasons.pop()}")
                else:
                    parts.append(f"{feature} has " + ", ".join(f"{b.band} at {b.center_um:.3f} um {why}"
                                                           for b, why in bad))
            prefix = f"{sp.label}: " if len(self.spectra) > 1 else ""
            per_spectrum.append(prefix + "; ".join(parts))
        return " | ".join(per_spectrum)

    def median_fwhm_um(self, i):
        """Median LSF FWHM over the fitted pixels of spectrum i, µm (0 without fitted pixels)."""
        key = ("median_fwhm", i)
        if key not in self._memo:
            sp = self.spectra[i]
            wl = sp.wavelength_um[self.used[i]]
            self._memo[key] = float(np.median(lsf_fwhm_um(sp.lsf, sp.wavelength_um, wl))) if wl.size else 0.0
        return self._memo[key]
