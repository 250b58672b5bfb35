"""Which columns of a generic table hold wavelength, flux and error, and in what units.

Names are matched case-insensitively, either exactly (``wave``, ``Flux``) or as a
name followed by ``_`` and a unit (``wavelength_nm``, ``flux_mJy``,
``radiance_uW_cm2_sr_nm``). A unit in brackets, ``Wave (micron)`` or
``flux [Jy]``, is split off before matching.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import astropy.units as u

from ..errors import InputError
from ._units import parse_unit, unit_from_suffix

__all__ = ["WAVELENGTH_NAMES", "FLUX_NAMES", "ERROR_NAMES", "split_name_unit", "match_columns", "ColumnChoice"]

WAVELENGTH_NAMES = ("wavelength", "wave", "lambda", "wavelen", "lam", "wl")
FLUX_NAMES = ("flux", "fnu", "flux_density", "flam", "flambda", "radiance", "intensity", "surf_bright")
ERROR_NAMES = (
    "error", "err", "uncertainty", "unc", "sigma", "noise", "flux_error", "flux_err", "fluxerr",
    "e_flux", "eflux", "flux_unc", "flux_uncertainty", "sb_error", "stddev", "std",
)

_BRACKET = re.compile(r"^(.*?)\s*[\(\[]\s*([^\)\]]*?)\s*[\)\]]\s*$")


def split_name_unit(header_name: str):
    """Split ``"Wave (micron)"`` or ``"flux [Jy]"`` into (name, unit text or None)."""
    m = _BRACKET.match(header_name.strip())
    if m and m.group(1):
        return m.group(1).strip(), m.group(2).strip() or None
    return header_name.strip(), None


def _classify(name):
    """(role, unit from the name suffix or None, exact match?) for a bare column name."""
    low = name.lower().replace(" ", "_").replace("-", "_")
    for role, names in (("error", ERROR_NAMES), ("wavelength", WAVELENGTH_NAMES), ("flux", FLUX_NAMES)):
        if low in names:
            return role, None, True
    for role, names in (("error", ERROR_NAMES), ("wavelength", WAVELENGTH_NAMES), ("flux", FLUX_NAMES)):
        for base in sorted(names, key=len, reverse=True):
            if low.startswith(base + "_"):
                suffix = name.replace(" ", "_").replace("-", "_")[len(base) + 1:]
                unit = unit_from_suffix(suffix)
                if unit is not None:
                    return role, unit, False
    return None, None, False


@dataclass
class ColumnChoice:
    """The columns chosen in a table, with their units (None where unknown)."""

    wavelength: str
    flux: str
    error: str | None
    wavelength_unit: u.UnitBase | None
    flux_unit: u.UnitBase | None
    error_unit: u.UnitBase | None
    unit_from: dict


def _listing(columns, name_columns, most=8):
    """'columns are a, b, ...' or, where names may not be quoted, how many there are."""
    if not name_columns:
        return f"{len(columns)} column{'s' if len(columns) != 1 else ''}"
    return f"columns are {', '.join(columns[:most])}{', ...' if len(columns) > most else ''}"


def match_columns(source, columns, units, flux_column=None, unit=None, *, name_columns=True) -> ColumnChoice:
    """Choose wavelength, flux and error columns and their units.

    Parameters
    ----------
    source : str
        The file, for messages.
    columns : list of str
        Column names as they appear (brackets already split off).
    units : dict of str to (str or UnitBase or None)
        Unit each column declares (from brackets, ECSV or TUNIT), if any.
    flux_column : str, optional
        Name of the flux column to use (case-insensitive).
    unit : str, UnitBase or dict, optional
        Override: a flux unit, or ``{"wavelength": ..., "flux": ...}``.
    name_columns : bool
        Whether messages may list the column names (FITS tables); a text file's header
        line is its content, and is not quoted (any file may be named by a manifest).

    Returns
    -------
    ColumnChoice
    """
    roles = {"wavelength": [], "flux": [], "error": []}
    suffix_units = {}
    for name in columns:
        role, sunit, exact = _classify(name)
        if role is not None:
            roles[role].append((not exact, name))
            suffix_units[name] = sunit

    if not roles["wavelength"]:
        raise InputError(
            source,
            f"is not a spectrum table: no wavelength column (looked for {'/'.join(WAVELENGTH_NAMES[:3])}; "
            f"{_listing(columns, name_columns)})",
        )
    if flux_column is not None:
        wanted = [c for c in columns if c.lower() == str(flux_column).lower()]
        if not wanted:
            raise InputError(source, f"has no column {flux_column!r} ({_listing(columns, name_columns, 99)})")
        fname = wanted[0]
        if fname not in suffix_units:
            suffix_units[fname] = None
    else:
        if not roles["flux"]:
            raise InputError(
                source,
                f"is not a spectrum table: no flux column (looked for {'/'.join(FLUX_NAMES[:2])}; "
                f"{_listing(columns, name_columns)})",
            )
        best = sorted(roles["flux"])
        if len(best) > 1 and best[0][0] == best[1][0]:
            raise InputError(
                source, f"has several flux columns ({', '.join(n for _, n in best)}); choose one with flux_column"
            )
        fname = best[0][1]
    wname = sorted(roles["wavelength"])[0][1]
    ename = None
    if roles["error"]:
        # The error column that belongs to the chosen flux: "flux_err" for "flux", else the best match.
        ename = sorted(roles["error"])[0][1]

    override = unit if isinstance(unit, dict) else ({} if unit is None else {"flux": unit})
    unknown = set(override) - {"wavelength", "flux"}
    if unknown:
        raise InputError("unit", f"keys must be 'wavelength' and/or 'flux' (got {sorted(unknown)})")

    def pick(col, role):
        if role in override:
            flag = "--unit" if role == "flux" else "--wavelength-unit"
            return parse_unit(override[role], "unit", f"the {role} override ({flag})"), "unit= argument"
        declared = units.get(col)
        if declared not in (None, ""):
            return parse_unit(declared, source, f"column {col!r}", quote=name_columns), "header"
        if suffix_units.get(col) is not None:
            return suffix_units[col], "column name"
        return None, None

    wunit, wfrom = pick(wname, "wavelength")
    funit, ffrom = pick(fname, "flux")
    eunit, efrom = (None, None) if ename is None else pick(ename, "flux")
    if ename is not None and eunit is None:
        eunit, efrom = funit, ffrom
    return ColumnChoice(wname, fname, ename, wunit, funit, eunit, {"wavelength": wfrom, "flux": ffrom, "error": efrom})
