"""Perihelia of the catalog's comets, and the measurements of one comet as a time series."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._paths import data_dir
from ..errors import InputError
from .table import _values, load, select

_PERIHELIA_NAME = "perihelia.ecsv"


@dataclass(frozen=True)
class Perihelion:
    """Perihelion of a comet, where the package knows it (``comaspec/data/perihelia.ecsv``).

    Attributes
    ----------
    designation : str
        IAU designation.
    q : float
        Perihelion distance (au).
    date : str
        UT date of perihelion (ISO).
    reference : str
        Where the values were read.
    verified : str
        Verification level of ``q`` and of ``date`` (see `VERIFIED`), space-separated.
    """

    designation: str
    q: float
    date: str
    reference: str
    verified: str


def perihelion(designation):
    """Return the perihelion of a comet, or None if the package does not know it.

    Parameters
    ----------
    designation : str
        IAU designation as in the catalog (e.g. "3I").

    Returns
    -------
    Perihelion or None
    """
    import astropy.units as u
    from astropy.table import Table

    table = Table.read(data_dir() / _PERIHELIA_NAME, format="ascii.ecsv")
    for row in table:
        if row["designation"] == designation:
            return Perihelion(designation=str(row["designation"]),
                              q=float(u.Quantity(row["q"], table["q"].unit).to_value(u.au)),
                              date=str(row["date"]), reference=str(row["reference"]),
                              verified=str(row["verified"]))
    return None


def time_series(designation, *, order="date", table=None, exclude_flags=("superseded",)):
    """All catalog measurements of one comet, in order of date or of heliocentric distance.

    Parameters
    ----------
    designation : str
        IAU designation as in the catalog (e.g. "3I", "67P", "C/1995 O1").
    order : {"date", "rh"}
        Sort by the (start) date of each measurement, or by rh. Rows without the sort key
        come last.
    table : astropy.table.QTable, optional
        Catalog (default `load()`).
    exclude_flags : sequence of str
        Flags whose rows are dropped (default: superseded preprint values).

    Returns
    -------
    astropy.table.QTable
        The comet's rows, with the three ratios in their columns; an added ``epoch`` column
        holds the start date as an astropy Time (masked where the source gives no date).

    Raises
    ------
    InputError
        If the comet is not in the catalog, or ``order`` is unknown.
    """
    import astropy.units as u
    from astropy.time import Time

    if order not in ("date", "rh"):
        raise InputError("order", f"{order!r} is not one of date, rh")
    table = load() if table is None else table
    rows = select(table, exclude_flags=tuple(exclude_flags))
    rows = rows[np.asarray(rows["designation"], dtype=str) == designation]
    if len(rows) == 0:
        known = sorted(set(np.asarray(table["designation"], dtype=str)))
        raise InputError("designation", f"{designation!r} is not in the catalog "
                                         f"({len(known)} comets, e.g. {', '.join(known[:5])})")
    starts = [str(d).split("/")[0] for d in rows["date"]]
    has_date = np.array([bool(s) for s in starts])
    epoch = Time([s if s else "2000-01-01" for s in starts], format="iso", scale="utc")
    if not has_date.all():
        epoch[~has_date] = np.ma.masked
    rows["epoch"] = epoch
    if order == "date":
        key = np.where(has_date, epoch.jd, np.inf)
    else:
        key = np.nan_to_num(_values(rows["rh"], u.au)[0], nan=np.inf)
    return rows[np.argsort(key, kind="stable")]
