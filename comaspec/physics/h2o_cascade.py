"""H2O from HITRAN's line A: the 4.7 µm branching of (001)/(100) and the 1.38 µm cascade.

Both use ``linelists/h2o_cascade_lines.ecsv`` (built by ``linelists/build_h2o_cascade.py``
from the shared HITRAN subsets; HITRAN: Gordon et al. 2022, JQSRT 277, 107949).

* **Branching** (`channel_a`): each (001) and (100) level of the model decays to (010)
  through its real lines, with HITRAN's absolute Einstein A (role ``branch``). The model's
  (000) lines keep their A (``linelists/einstein_a.ecsv``, also from HITRAN), so the
  fraction of a level's photons at 4.7 µm is HITRAN's, level by level. A model line of
  nu3-nu2 or nu1-nu2 that HITRAN does not list gets A = 0.
* **Cascade** (`cascade_matrix`): the ground state pumps (101), (200) and (002) through the
  1.38 µm lines (role ``pump``: A from HITRAN's S, levels identified from E'' and
  E'' + nu, see the builder); each of those levels decays through its 1.38 µm lines to
  (000) and its 2.7-2.9 µm lines (role ``cascade``) to (100), (001) and (020) in
  proportion to their A. Every photon to a (100) or (001) level brings a molecule there,
  which then fluoresces like one pumped directly. Decays of the cascade levels outside
  the tabulated windows (e.g. to (010) near 1.9 µm) are missing, which overestimates the
  feed by their share of the level's A.

Float64 arrays in cm^-1 and s^-1 throughout.
"""

from __future__ import annotations

import functools
import math

import numpy as np

__all__ = ["channel_a", "cascade_matrix", "cascade_line_rates", "cascade_lines", "hot_lines", "pump_lines",
           "pump_rates", "decay_totals", "CASCADE_FILE"]

#: The derived HITRAN table (in linelists/).
CASCADE_FILE = "h2o_cascade_lines.ecsv"


@functools.cache
def _table():
    from .molecules import _read

    table = _read(CASCADE_FILE)
    role = np.asarray(table["role"]).astype(str)
    cols = {name: np.asarray(table[name]) for name in ("upper", "lower")}
    num = {name: np.asarray(table[name], dtype=np.float64)
           for name in ("wavenumber", "A", "g_upper", "g_lower")}
    return {r: {**{k: v[role == r].astype(str) for k, v in cols.items()},
                **{k: v[role == r] for k, v in num.items()}} for r in np.unique(role)}


def cascade_lines():
    """The (101)/(200)/(002) -> (100)/(001)/(020) lines (role ``cascade``): dict of arrays
    ``upper``, ``lower``, ``wavenumber`` (cm^-1), ``A`` (1/s), ``g_upper``, ``g_lower``."""
    return _table()["cascade"]


def pump_lines():
    """The (000) -> (101)/(200)/(002) lines at 1.38 µm (role ``pump``), as `cascade_lines`."""
    return _table()["pump"]


def pump_rates(solar_photons):
    """Absorption rate (1/s) of each line of `pump_lines` per molecule in its lower level."""
    return _pump_rates(_table()["pump"], solar_photons)


def hot_lines():
    """Every tabulated line of the (011) levels (role ``hot``), as `cascade_lines`."""
    return _table()["hot"]


def channel_a(upper_label, lower_label):
    """HITRAN's Einstein A (1/s) of (001)/(100) -> (010) lines given by their level labels.

    Parameters
    ----------
    upper_label, lower_label : array_like of str
        Level labels as the fluorescence model writes them, e.g. ``(001)111``, ``(010)110``.

    Returns
    -------
    a : ndarray
        A per line; 0 where HITRAN lists no such line.
    """
    lookup = _branch_a()
    pairs = zip(np.asarray(upper_label).tolist(), np.asarray(lower_label).tolist())
    return np.array([lookup.get(pair, 0.0) for pair in pairs], dtype=np.float64)


@functools.cache
def _branch_a():
    """(upper label, lower label) -> A of the ``branch`` lines, built once (Python str keys)."""
    t = _table()["branch"]
    return dict(zip(zip(t["upper"].tolist(), t["lower"].tolist()), t["A"].tolist()))


def decay_totals():
    """Cascade level -> total A (1/s) over its tabulated lines (1.38 µm and 2.7-2.9 µm)."""
    return dict(_decay_totals())


@functools.cache
def _decay_totals():
    tables = _table()
    total = {}
    for role in ("pump", "cascade"):
        # Python values: the loops over numpy scalars took most of the H2O set-up
        for label, a in zip(tables[role]["upper"].tolist(), tables[role]["A"].tolist()):
            total[label] = total.get(label, 0.0) + a
    return total


def cascade_matrix(upper_labels, lower_labels, solar_photons):
    """Feed of the model's upper levels per unit population of its ground levels.

    Parameters
    ----------
    upper_labels, lower_labels : sequence of str
        The model's upper levels ((001)..., (100)...) and lower levels ((000)...).
    solar_photons : callable
        Solar photon flux per unit wavenumber at 1 au, photons s^-1 cm^-2 (cm^-1)^-1, of an
        array of wavenumbers.

    Returns
    -------
    ndarray, shape (n_upper, n_lower)
        ``B``: the arrival rate (1/s per molecule) in upper level X is ``B @ n``, with
        ``n`` the fraction of molecules in each lower level.
    """
    tables = _table()
    pump, cascade = tables["pump"], tables["cascade"]
    up_index = {label: i for i, label in enumerate(np.asarray(upper_labels).tolist())}
    low_index = {label: i for i, label in enumerate(np.asarray(lower_labels).tolist())}
    rate = _pump_rates(pump, solar_photons)          # per unit population of the lower level
    total = _decay_totals()
    # share of each cascade level's decays that ends in each model upper level
    share = {}
    for u, low, a in zip(cascade["upper"].tolist(), cascade["lower"].tolist(), cascade["A"].tolist()):
        if low in up_index:
            share.setdefault(u, []).append((up_index[low], a / total[u]))
    matrix = np.zeros((len(upper_labels), len(lower_labels)))
    for u, low, r in zip(pump["upper"].tolist(), pump["lower"].tolist(), rate.tolist()):
        j = low_index.get(low)
        if j is None:
            continue
        for i, fraction in share.get(u, ()):
            matrix[i, j] += r * fraction
    return matrix


def _pump_rates(pump, solar_photons):
    """Absorption rate of each 1.38 µm line per molecule in its lower level (1/s)."""
    c_cm = 2.99792458e10
    nu = pump["wavenumber"]
    return (pump["g_upper"] / pump["g_lower"] * pump["A"] * solar_photons(nu)
            / (8 * math.pi * c_cm * nu * nu))


def cascade_line_rates(lower_labels, populations, solar_photons):
    """Photon rates (1/s per molecule at 1 au) of the cascade levels' 2.7-2.9 µm lines.

    Parameters
    ----------
    lower_labels : sequence of str
        The model's (000) level labels.
    populations : ndarray
        Fraction of molecules in each of them.
    solar_photons : callable
        As in `cascade_matrix`.

    Returns
    -------
    dict
        ``upper``, ``lower`` (labels), ``wavenumber`` (cm^-1) and ``rate`` (1/s) per line.
    """
    tables = _table()
    pump, cascade = tables["pump"], tables["cascade"]
    low_index = {label: i for i, label in enumerate(lower_labels)}
    n = np.array([populations[low_index[low]] if low in low_index else 0.0 for low in pump["lower"]])
    pumped = {}
    for u, r in zip(pump["upper"], _pump_rates(pump, solar_photons) * n):
        pumped[u] = pumped.get(u, 0.0) + r
    total = decay_totals()
    rate = np.array([pumped.get(u, 0.0) * a / total[u] for u, a in zip(cascade["upper"], cascade["A"])])
    return {"upper": cascade["upper"], "lower": cascade["lower"],
            "wavenumber": cascade["wavenumber"], "rate": rate}
