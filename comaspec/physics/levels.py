"""Level systems built from a line list with no code per molecule: labelled lists (CH4, C2H6
and the next molecule, `labelled_levels`) and linear rotors (CO2, 13CO2, CO, OCS, `linear_rotor`).

The ``level_system`` column of ``linelists/bands.ecsv`` names each band's system; the registry
of systems is ``comaspec.physics.fluorescence.LEVEL_SYSTEMS``.

A *labelled* line list (``linelists/build_hitran_lines.py``) gives, per line, the labels of
its upper and lower levels, HITRAN's absolute Einstein A and its statistical weights g', g''
(which include the nuclear-spin weights) and the lower-level energy E''. That is all the
fluorescence equilibrium of :mod:`comaspec.physics.fluorescence` needs, whatever the molecule's
symmetry: a spherical top such as CH4 (A/E/F levels) or C2H6 (torsional species) alike.

* every lower level is in the ground vibrational state, populated by a Boltzmann law at
  T_rot with HITRAN's g'' (so every nuclear-spin species is at T_rot: no separate spin
  temperature);
* every upper level is pumped by the solar spectrum through all its lines from the ground
  state and decays through all its lines in the list by their absolute A (decay channels
  not in the list, e.g. CH4 nu3 -> nu4, are missing: see :doc:`emission`).

A line list is *labelled* when it has the columns of `LABELLED_COLUMNS`.

A *linear-rotor* list gives J'' and J' per line (``J_lower``, ``J_upper``), the branch, E''
and g' including the nuclear-spin weight of the pair; its levels are keyed by J.
"""

from __future__ import annotations

import functools

import numpy as np

from .._paths import linelists_dir
from ..errors import InputError
from .linelists import line_lists, read_table

__all__ = ["LABELLED_COLUMNS", "is_labelled", "labelled_system", "labelled_levels", "linear_rotor", "unique_rows"]

#: Columns that make a line list *labelled* (one level system built from its labels).
LABELLED_COLUMNS = ("wavenumber", "band", "A", "E_lower", "g_upper", "g_lower", "upper", "lower", "line")

# One lower-level label must have one energy: E'' of its lines may differ by rounding only.
_ENERGY_TOLERANCE_CM = 0.05


def is_labelled(table):
    """Whether an astropy table is a labelled line list (has every `LABELLED_COLUMNS`)."""
    return all(name in table.colnames for name in LABELLED_COLUMNS)


def _levels(labels):
    """(index per line, labels of the unique levels)."""
    unique, index = np.unique(np.asarray(labels).astype(str), return_inverse=True)
    return index.ravel(), unique


def _per_level(index, values, n_levels, what, path):
    """One value per level from per-line values; InputError if a level has two."""
    out = np.full(n_levels, np.nan)
    out[index] = values
    spread = np.zeros(n_levels)
    np.maximum.at(spread, index, np.abs(values - out[index]))
    if np.any(spread > _ENERGY_TOLERANCE_CM):
        raise InputError(path, f"one {what} label has lines with different values")
    return out


def labelled_system(species, filename, table):
    """The level system of a labelled line list, as the fields of the fluorescence model's
    line system (``comaspec.physics.fluorescence`` builds its ``_System`` from them).

    Parameters
    ----------
    species : str
        Species name (as in ``linelists/bands.ecsv``).
    filename : str
        The line list's file in ``linelists/`` (for messages).
    table : `~astropy.table.Table`
        The line list (every band in it shares the ground state and is modelled together).

    Returns
    -------
    dict
        Per line: ``band``, ``wavenumber``, ``a_rel`` (HITRAN's absolute A, with
        ``a_is_absolute`` True), ``upper``, ``lower`` (level indices), ``pump``,
        ``line_label``; per level: ``upper_g``, ``lower_g``, ``lower_energy``,
        ``upper_label``, ``lower_label``; ``species`` and ``lower_spin`` (None: the nuclear-spin weights are in g).

    Raises
    ------
    comaspec.InputError
        Missing columns, non-positive A or weights, or a level label with two energies or
        two weights.
    """
    path = linelists_dir() / filename
    missing = [name for name in LABELLED_COLUMNS if name not in table.colnames]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}")
    nu = np.asarray(table["wavenumber"], dtype=np.float64)
    a = np.asarray(table["A"], dtype=np.float64)
    g_up = np.asarray(table["g_upper"], dtype=np.float64)
    g_low = np.asarray(table["g_lower"], dtype=np.float64)
    if not (np.all(a > 0) and np.all(g_up > 0) and np.all(g_low > 0) and np.all(nu > 0)):
        raise InputError(path, "needs positive wavenumber, A, g_upper and g_lower on every line")
    upper, upper_label = _levels(table["upper"])
    lower, lower_label = _levels(table["lower"])
    e_low = _per_level(lower, np.asarray(table["E_lower"], dtype=np.float64), lower_label.size, "lower-level", path)
    g_upper = _per_level(upper, g_up, upper_label.size, "upper-level weight", path)
    g_lower = _per_level(lower, g_low, lower_label.size, "lower-level weight", path)
    a = a.copy()
    a.flags.writeable = False
    return dict(
        species=species,
        band=np.asarray(table["band"]).astype(str),
        wavenumber=nu, a_rel=a, upper=upper, lower=lower,
        pump=np.ones(nu.size, dtype=bool),
        upper_g=g_upper, lower_g=g_lower, lower_energy=e_low, lower_spin=None,
        upper_label=upper_label, lower_label=lower_label,
        line_label=np.asarray(table["line"]).astype(str),
        a_is_absolute=True,
    )


def _line_list(species, band):
    """The line-list file of (species, band); InputError if ``bands.ecsv`` names none."""
    filename = line_lists().get((species, band))
    if not filename:
        raise InputError(f"{species} {band}", "no fluorescence model: no line list in linelists/bands.ecsv")
    return filename


def labelled_levels(species, band):
    """The `labelled_system` of the line list of (species, band) (``linelists/bands.ecsv``).

    Parameters
    ----------
    species, band : str
        As in ``linelists/bands.ecsv``.

    Returns
    -------
    dict
        As for `labelled_system`. Built once per process and line list (the bands of one
        list, C2H6 nu7 and nu5, share it): a new dict each call, its arrays shared and
        read-only.
    """
    return dict(_labelled_levels(species, _line_list(species, band)))


@functools.cache
def _labelled_levels(species, filename):
    """`labelled_levels` of one line list, computed once (uncached: ``_labelled_levels.__wrapped__``)."""
    fields = labelled_system(species, filename, read_table(filename))
    for value in fields.values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return fields


def unique_rows(keys):
    """Unique row keys -> (index per row, first row of each unique key).

    The same as ``np.unique(keys, axis=0, return_index=True, return_inverse=True)`` (keys
    numbered in lexicographic order of their rows, first = earliest row), with a stable
    lexsort of the columns instead of a sort of the rows as opaque records, which took
    most of the first H2O fluorescence set-up of every command. Every level system numbers
    its levels with it.
    """
    keys = np.asarray(keys)
    keys = keys[:, None] if keys.ndim == 1 else keys
    order = np.lexsort(keys.T[::-1])  # np.lexsort sorts by its last key first
    ordered = keys[order]
    starts = np.ones(len(keys), dtype=bool)
    starts[1:] = np.any(ordered[1:] != ordered[:-1], axis=1)
    inverse = np.empty(len(keys), dtype=np.intp)
    inverse[order] = np.cumsum(starts) - 1
    return inverse, order[starts]


def linear_rotor(species, band):
    """The level system of a linear molecule's band from its J-labelled line list.

    Parameters
    ----------
    species, band : str
        As in ``linelists/bands.ecsv``.

    Returns
    -------
    dict
        The fields of the fluorescence model's line system, as for `labelled_system`
        (relative A; levels keyed by J; the nuclear-spin weight of g' in both levels' g).

    Raises
    ------
    comaspec.InputError
        The line list lacks ``J_lower``, ``J_upper``, ``E_lower`` or ``branch``.
    """
    filename = _line_list(species, band)
    table = read_table(filename)
    for name in ("J_lower", "J_upper", "E_lower", "branch"):
        if name not in table.colnames:
            raise InputError(linelists_dir() / filename, f"missing column {name}")
    j_up = np.asarray(table["J_upper"], dtype=np.int64)
    j_low = np.asarray(table["J_lower"], dtype=np.int64)
    g_up = np.asarray(table["g_upper"], dtype=np.float64)
    upper, up_first = unique_rows(j_up[:, None])
    lower, low_first = unique_rows(j_low[:, None])
    # nuclear-spin weight of the pair (same for both levels of an allowed line)
    spin = g_up / (2 * j_up + 1)
    branch = np.asarray(table["branch"]).astype(str)
    return dict(
        species=species,
        band=np.full(len(table), band),
        wavenumber=np.asarray(table["wavenumber"], dtype=np.float64),
        a_rel=np.asarray(table["A_rel"], dtype=np.float64),
        upper=upper, lower=lower, pump=np.ones(len(table), dtype=bool),
        upper_g=g_up[up_first],
        lower_g=(spin * (2 * j_low + 1))[low_first],
        lower_energy=np.asarray(table["E_lower"], dtype=np.float64)[low_first],
        lower_spin=None,
        upper_label=np.array([f"J={j}" for j in j_up[up_first]]),
        lower_label=np.array([f"J={j}" for j in j_low[low_first]]),
        line_label=np.array([f"{b}{j}" for b, j in zip(branch, j_low)]),
    )
