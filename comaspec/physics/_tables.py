"""The molecular data tables of ``linelists/``, read once, on first use, as plain Python.

:mod:`comaspec.physics.molecules` (and the line-list registry, the spin species and the fit
windows) look numbers up here; each table is read by one function, converted through its
columns' units, so the tables may be edited in any consistent unit.
"""

from __future__ import annotations

from functools import cache

import astropy.units as u
import numpy as np

from .._paths import linelists_dir
from ..errors import InputError


def _read(name):
    from .._ecsv import read_ecsv

    path = linelists_dir() / name
    try:
        return read_ecsv(path)   # not astropy.table: its import alone slowed every command's start
    except (OSError, ValueError) as exc:  # a broken installation, not user input
        raise InputError(path, f"cannot read molecular data table: {exc}") from None


def _s(value):
    """Plain str of a table cell (masked/empty cells become "")."""
    if value is np.ma.masked:
        return ""
    return str(value)


@cache
def _bands():
    """{(species, band): {source: row dict}}, {(species, band): default source}."""
    table = _read("bands.ecsv")
    # convert through the columns' units, so the tables may be edited in any consistent unit
    center_cm = table["center_cm"].quantity.to_value(1 / u.cm)
    center_um = table["center_um"].quantity.to_value(u.um)
    center_err = table["center_err_cm"].quantity.to_value(1 / u.cm)
    g_1au = table["g_1au"].quantity.to_value(1 / u.s)
    rows, defaults = {}, {}
    for i, r in enumerate(table):
        key = (_s(r["species"]), _s(r["band"]))
        source = _s(r["source"])
        rows.setdefault(key, {})[source] = {
            "feature": _s(r["feature"]),
            "center_cm": float(center_cm[i]),
            "center_um": float(center_um[i]),
            "center_err_cm": float(center_err[i]),
            "g_1au": float(g_1au[i]),
            "source": source,
            "verified": _s(r["verified"]),
            "reference": _s(r["reference"]),
            "note": _s(r["note"]),
            "line_list": _s(r["line_list"]),
            "fit_window": _s(r["fit_window"]),
            "level_system": _s(r["level_system"]),
        }
        if bool(r["default"]):
            defaults[key] = source
    return rows, defaults


@cache
def _lifetimes():
    """{species: {(source, activity): row dict}}, {species: (source, activity)}."""
    table = _read("lifetimes.ecsv")
    tau = table["tau_1au"].quantity.to_value(u.s)
    rows, defaults = {}, {}
    for r, value in zip(table, tau):
        species = _s(r["species"])
        key = (_s(r["source"]), _s(r["activity"]))
        rows.setdefault(species, {})[key] = {
            "tau_1au": float(value),
            "verified": _s(r["verified"]),
            "reference": _s(r["reference"]),
            "note": _s(r["note"]),
        }
        if bool(r["default"]):
            defaults[species] = key
    return rows, defaults



@cache
def _references():
    table = _read("references.ecsv")
    return {_s(r["key"]): {c: _s(r[c]) for c in table.colnames} for r in table}


@cache
def _fit_windows():
    """Rows of fit_windows.ecsv as dicts (name, lo_um, hi_um, degree, always), in table order."""
    table = _read("fit_windows.ecsv")
    lo = table["lo"].quantity.to_value(u.um)
    hi = table["hi"].quantity.to_value(u.um)
    return tuple({"name": _s(r["name"]), "lo_um": float(a), "hi_um": float(b), "degree": int(r["degree"]),
                  "always": bool(r["always"])} for r, a, b in zip(table, lo, hi))


@cache
def _spin_species():
    """{species: tuple of row dicts (spin_species, nuclear_spin_weight, column, value)} of spin_species.ecsv."""
    table = _read("spin_species.ecsv")
    out = {}
    for r in table:
        out.setdefault(_s(r["species"]), []).append({
            "spin_species": _s(r["spin_species"]),
            "nuclear_spin_weight": float(r["nuclear_spin_weight"]),
            "column": _s(r["column"]),
            "value": _s(r["value"]),
        })
    return {species: tuple(rows) for species, rows in out.items()}
