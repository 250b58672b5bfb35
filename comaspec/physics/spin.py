"""Nuclear-spin species as data: N weighted species, not an ortho flag.

A molecule whose line list names each level's spin species (H2O: ortho and para) has rows
in ``linelists/spin_species.ecsv``: the species' names, their nuclear-spin weights, and the
line-list column and value that mark a level of each. The levels of one spin species are
thermal at T_rot among themselves; the spin species are not converted into each other in a
coma, so each is normalised alone and they combine with population fractions (summing to
1). The fractions are the data of the fit: the ``ortho_para`` keyword of the public
functions is a facade that maps an ortho/para ratio to them (`fractions`).

Molecules without rows (CO2, CO, CH4, C2H6, ...) carry their nuclear-spin weights in the
line list's g and have all spin species at T_rot: `level_spin` returns None for them.
"""

from __future__ import annotations

import functools

import numpy as np

from ..errors import InputError
from ._tables import _spin_species

__all__ = ["spin_species", "nuclear_spin_weights", "fractions", "level_spin", "species_scale", "combine_populations"]


def spin_species(species):
    """Return the names of the spin species of ``species`` (table order), or ``()``.

    Parameters
    ----------
    species : str
        A species of ``linelists/bands.ecsv``.

    Returns
    -------
    tuple of str
        e.g. ``("ortho", "para")`` for H2O; empty for a molecule without spin-species rows.
    """
    return tuple(r["spin_species"] for r in _spin_species().get(species, ()))


def nuclear_spin_weights(species):
    """Return the nuclear-spin statistical weights of the spin species of ``species``.

    Parameters
    ----------
    species : str
        A species of ``linelists/bands.ecsv``.

    Returns
    -------
    numpy.ndarray
        One weight per `spin_species` (H2O: 3 ortho, 1 para); empty if none.
    """
    return np.array([r["nuclear_spin_weight"] for r in _spin_species().get(species, ())], dtype=np.float64)


def fractions(species, ortho_para=None):
    """Population fraction of each spin species of ``species`` (sum 1), in `spin_species` order.

    Parameters
    ----------
    species : str
        A species of ``linelists/bands.ecsv``.
    ortho_para : float, optional
        For a species with exactly the spin species ``ortho`` and ``para``: the ratio
        N(ortho) / N(para) (a finite number >= 0). Default: fractions proportional to the
        nuclear-spin weights, the high-temperature limit of spin species with equally many
        rotational levels, as H2O's ortho and para (3 : 1).

    Returns
    -------
    numpy.ndarray
        Empty for a species without spin species (``ortho_para`` is then ignored).

    Raises
    ------
    InputError
        ``ortho_para`` given for a species whose spin species are not ortho and para.

    Examples
    --------
    >>> fractions("H2O", 3.0)
    array([0.75, 0.25])
    """
    return _fractions(species, None if ortho_para is None else float(ortho_para))


@functools.lru_cache(maxsize=256)
def _fractions(species, ortho_para):
    """`fractions`, read-only and computed once per (species, ratio): the fit asks at every T_rot."""
    names = spin_species(species)
    if not names:
        return _read_only(np.zeros(0))
    if ortho_para is None:
        weights = nuclear_spin_weights(species)
        return _read_only(weights / weights.sum())
    if sorted(names) != ["ortho", "para"]:
        raise InputError("ortho_para", f"{species} has the spin species {', '.join(names)}, not ortho and para")
    f_ortho = ortho_para / (1.0 + ortho_para)
    return _read_only(np.array([f_ortho if name == "ortho" else 1 - f_ortho for name in names]))


def _read_only(array):
    array.flags.writeable = False
    return array


def level_spin(species, rows):
    """Index of each line's (or level's) spin species in `spin_species`, from a line list.

    Parameters
    ----------
    species : str
        A species of ``linelists/bands.ecsv``.
    rows : table
        Rows of the species' line list (anything indexable by column name).

    Returns
    -------
    numpy.ndarray of int, or None
        None for a species without spin species.

    Raises
    ------
    InputError
        The line list lacks the spin species' column, or a row matches no spin species.
    """
    table_rows = _spin_species().get(species, ())
    if not table_rows:
        return None
    index = np.full(len(rows), -1, dtype=np.int64)
    for i, r in enumerate(table_rows):
        if r["column"] not in rows.colnames:
            raise InputError(f"line list of {species}", f"has no column {r['column']!r} (linelists/spin_species.ecsv)")
        index[np.asarray(rows[r["column"]]).astype(str) == r["value"]] = i
    if np.any(index < 0):
        raise InputError(f"line list of {species}", "has lines of no spin species of linelists/spin_species.ecsv")
    return index


def species_scale(boltzmann, spin, weights):
    """Factor of each spin species that normalises it alone and gives it its fraction.

    Parameters
    ----------
    boltzmann : numpy.ndarray
        Unnormalised population of each level (``g exp(-E / kT)``; 0 for levels not counted).
    spin : numpy.ndarray of int
        Spin species of each level (`level_spin`).
    weights : numpy.ndarray
        Fraction of the molecules in each spin species (`fractions`).

    Returns
    -------
    numpy.ndarray
        ``weights / (sum of boltzmann over the species' levels)``; 0 for a spin species with
        no populated level.
    """
    totals = _totals(boltzmann, spin, weights.size)
    return np.divide(weights, totals, out=np.zeros(weights.size), where=totals > 0)


def _totals(boltzmann, spin, n):
    """Sum of ``boltzmann`` over the levels of each spin species (numpy's pairwise sums)."""
    return np.array([boltzmann[mask].sum() for mask in _masks(np.asarray(spin, dtype=np.int64).tobytes(), n)])


@functools.lru_cache(maxsize=64)
def _masks(spin_bytes, n):
    """The levels of each spin species, once per level system (called at every T_rot)."""
    spin = np.frombuffer(spin_bytes, dtype=np.int64)
    return tuple(spin == i for i in range(n))


def combine_populations(boltzmann, spin, weights):
    """Per-spin-species populations, each normalised alone, combined with their fractions.

    Parameters
    ----------
    boltzmann, spin, weights
        As for `species_scale`.

    Returns
    -------
    numpy.ndarray
        Fraction of the molecules in each level; a spin species with no populated level
        contributes nothing.
    """
    totals = _totals(boltzmann, spin, weights.size)
    counted = totals > 0
    # (w f) / Z in this order: the populations of the former ortho flag, to the last bit
    return boltzmann * np.where(counted, weights, 0.0)[spin] / np.where(counted, totals, 1.0)[spin]
