"""Spatial binning of a cube's spaxels: none, square n × n, or adaptive Voronoi to a target SNR.

Voronoi binning uses the ``vorbin`` package (Cappellari & Copin 2003, MNRAS 342, 345;
optional extra ``maps``): bins accrete spaxels until the band SNR ``Σ F / sqrt(Σ σ²)``
reaches the target. The per-spaxel SNR it needs comes from an unbinned solve at the
aperture's nonlinear parameters; negative band fluxes (noise) enter as zero signal.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError, UsageError

__all__ = ["Bins", "make_bins", "is_unbinned"]


@dataclass
class Bins:
    """Spaxel bins.

    Attributes
    ----------
    bin_id : ndarray of int, shape (ny, nx)
        Bin of each spaxel, -1 for spaxels not used.
    members : list of ndarray
        Flat spaxel indices of each bin.
    describe : str
        "none", "square 3x3", "voronoi (target SNR 10 in CO2)".
    notes : list of str
    """

    bin_id: np.ndarray
    members: list
    describe: str
    notes: list = field(default_factory=list)


def _from_labels(labels, usable, describe, notes=None):
    """Bins from a label image (any ints; -1 = unused), keeping only usable spaxels."""
    labels = np.where(usable.reshape(labels.shape), labels, -1)
    flat = labels.ravel()
    used = np.flatnonzero(flat >= 0)
    uniq, inverse = np.unique(flat[used], return_inverse=True)
    bin_id = np.full(flat.size, -1)
    bin_id[used] = inverse
    order = np.argsort(inverse, kind="stable")
    if uniq.size == used.size:          # one spaxel a bin: row views (np.split loops in Python)
        members = list(used[order].reshape(-1, 1))
    else:
        members = np.split(used[order], np.cumsum(np.bincount(inverse, minlength=uniq.size))[:-1])
    return Bins(bin_id.reshape(labels.shape), members, describe, list(notes or []))


def is_unbinned(binning):
    """Whether ``binning`` asks for one bin a spaxel: None, "none" or 1.

    Parameters
    ----------
    binning : object
        The ``binning`` argument of `comaspec.map_cube`.

    Returns
    -------
    bool
    """
    return binning is None or (isinstance(binning, str) and binning == "none") or \
        (isinstance(binning, (int, np.integer)) and not isinstance(binning, bool) and binning == 1)


def make_bins(binning, shape, usable, *, target_snr=None, unbinned=None, snr_column=None, species=None):
    """Group spaxels into bins.

    Parameters
    ----------
    binning : None, "none", int or "voronoi"
    shape : (int, int)
        (ny, nx).
    usable : ndarray of bool, shape (ny * nx,)
        Spaxels with data.
    target_snr : float, optional
        Voronoi target.
    unbinned : callable, optional
        Returns the unbinned solve (``coef`` and ``var`` per spaxel), for Voronoi.
    snr_column : int, optional
        Column of the species whose SNR drives Voronoi binning. Default: the first species
        whose summed band SNR over the whole cube reaches the target (a note says which).
    species : list of str, optional
        Names of the columns, for messages (default ``column 0``...).

    Returns
    -------
    Bins
    """
    ny, nx = shape
    if not usable.any():
        raise InputError("cube", "no spaxel has usable data in the fitted wavelength windows")
    if is_unbinned(binning):
        if target_snr is not None:
            raise UsageError("target_snr needs binning='voronoi'")
        return _from_labels(np.arange(ny * nx).reshape(ny, nx), usable, "none")
    if isinstance(binning, (int, np.integer)) and not isinstance(binning, bool):
        n = int(binning)
        if not 1 <= n <= min(ny, nx):
            raise InputError("binning", f"square bins must be 1..{min(ny, nx)} spaxels on a side (got {n})")
        yy, xx = np.mgrid[0:ny, 0:nx]
        labels = (yy // n) * ((nx + n - 1) // n) + xx // n
        return _from_labels(labels, usable, f"square {n}x{n}")
    if binning == "voronoi":
        return _voronoi(shape, usable, target_snr, unbinned, snr_column, species)
    raise InputError("binning", f"must be None, a bin size n or 'voronoi' (got {binning!r})")


def _snr_inputs(sol, usable, column):
    """(spaxel indices, signal, noise) of one species for vorbin: usable spaxels with a finite
    positive error; negative fluxes (noise) count as zero signal."""
    signal = sol["coef"][:, column]
    noise = np.sqrt(sol["var"][:, column])
    ok = usable & sol["ok"] & np.isfinite(signal) & np.isfinite(noise) & (noise > 0)
    idx = np.flatnonzero(ok)
    return idx, np.clip(signal[idx], 0.0, None), noise[idx]


def _whole_snr(sol, usable, column):
    """Band SNR of all the usable spaxels summed, negative fluxes included (zeroed, noise alone
    would add up to any SNR): the most any binning can honestly reach."""
    idx = _snr_inputs(sol, usable, column)[0]
    signal, var = sol["coef"][idx, column], sol["var"][idx, column]
    return float(signal.sum() / np.sqrt(var.sum())) if idx.size else 0.0


def _driving_column(sol, usable, target_snr, snr_column, species):
    """The column whose SNR drives the bins: the given one, refused if even the whole cube
    stays below the target, else the first that reaches it."""
    names = list(species) if species is not None else [f"column {j}" for j in range(sol["coef"].shape[1])]
    columns = [snr_column] if snr_column is not None else range(len(names))
    reach = {}
    for j in columns:
        reach[names[j]] = _whole_snr(sol, usable, j)
        if reach[names[j]] >= target_snr:
            return j
    best = ", ".join(f"{name} {snr:.3g}" for name, snr in reach.items())
    raise InputError("target_snr", f"{target_snr:g} is out of reach: even all spaxels together give band "
                                   f"SNR {best}; ask for a lower target" +
                     ("" if snr_column is None else " or bin on another species (snr_species)"))


def _voronoi(shape, usable, target_snr, unbinned, snr_column, species):
    try:
        from vorbin.voronoi_2d_binning import voronoi_2d_binning
    except ImportError:
        raise UsageError("Voronoi binning needs vorbin: pip install 'comaspec[maps]'") from None
    if target_snr is None or not target_snr > 0:
        raise InputError("target_snr", f"Voronoi binning needs a target SNR > 0 (got {target_snr!r})")
    ny, nx = shape
    sol = unbinned()
    column = _driving_column(sol, usable, target_snr, snr_column, species)
    name = species[column] if species is not None else f"column {column}"
    idx, sig, noise = _snr_inputs(sol, usable, column)
    yy, xx = np.mgrid[0:ny, 0:nx]
    describe = f"voronoi (target SNR {target_snr:g} in {name})"
    notes = [f"Voronoi bins from per-spaxel {name} band SNR at the aperture's T_rot and shift; negative fluxes "
             "counted as zero signal"]
    if snr_column is None and column > 0:
        notes.append(f"bins driven by {name}, the first mapped species whose whole-cube SNR reaches "
                     f"{target_snr:g} ({', '.join(species[:column])} cannot)")
    ok = np.zeros(ny * nx, dtype=bool)
    ok[idx] = True
    if np.all(sig / noise >= target_snr):
        notes.append(f"every spaxel reaches SNR {target_snr:g}: no binning needed")
        return _from_labels(np.arange(ny * nx).reshape(ny, nx), ok, describe, notes)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # vorbin's deprecation notice (it still works)
            result = voronoi_2d_binning(xx.ravel()[idx].astype(float), yy.ravel()[idx].astype(float), sig,
                                        noise, target_snr, plot=False, quiet=True, pixelsize=1.0)
    except (ValueError, ArithmeticError, IndexError) as exc:  # vorbin's own refusals, e.g. too few spaxels
        raise InputError("target_snr", f"Voronoi binning of {name} to SNR {target_snr:g} failed "
                                       f"({' '.join(str(exc).split())[:100]})") from None
    labels = np.full(ny * nx, -1)
    labels[idx] = result[0]
    return _from_labels(labels.reshape(ny, nx), ok, describe, notes)
