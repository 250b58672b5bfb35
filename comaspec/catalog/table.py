"""The catalog table: its vocabularies, loading, selection, ratio columns and the trend sample."""

from __future__ import annotations


import numpy as np

from .._paths import data_dir
from .._validate import distance_au, names
from ..errors import InputError

#: Dynamical classes. "OCC" is an Oort-cloud comet whose new/returning status the source
#: did not give.
DYNAMICAL_CLASSES = ("JFC", "Halley-type", "OCC-new", "OCC-returning", "OCC", "main-belt",
                     "Centaur", "interstellar")
#: How CO2 was measured: "direct" (the CO2 band itself, or in situ) or "indirect" (a proxy).
METHODS = ("direct", "indirect")
#: Values of the ``*_limit`` columns: "" for a measurement.
LIMITS = ("", "upper", "lower")
#: Values of the ``*_origin`` columns of the ratios: "published" (as printed), "inverted"
#: (reciprocal of the published inverse ratio), "computed" (from the row's production rates)
#: or "derived" (from two published ratios); "" where the row has no value.
ORIGINS = ("", "published", "inverted", "computed", "derived")
#: Where a row's numbers were checked, best first: "original" (the measurement's own paper),
#: "compilation" (a published compilation, e.g. the HP22 table itself), "transcription" (a
#: third-party machine-readable transcription of a compilation), "secondary" (news or
#: review summaries), "unverified" (not found in any retrieved text).
VERIFIED = ("original", "compilation", "transcription", "secondary", "unverified")
#: Row flags: "superseded" (a preprint value replaced by the published one), "outlier"
#: (CO-dominated C/2016 R2, left out of trends as in Cordiner et al. 2025),
#: "non_simultaneous" (H2O and CO2 from different dates), "representative" (a value the
#: compilation chose to represent a time series).
FLAGS = ("superseded", "outlier", "non_simultaneous", "representative")

#: Classes left out of the trend fit by default: the trend of Cordiner et al. (2025) is for
#: long-period and Jupiter-family comets.
TREND_EXCLUDED_CLASSES = ("interstellar", "main-belt", "Centaur")
#: Flags whose rows are left out of the trend fit and percentiles by default.
TREND_EXCLUDED_FLAGS = ("outlier", "superseded")

_CATALOG_NAME = "comets.ecsv"


def catalog_path():
    """Return the path of the bundled catalog file.

    Returns
    -------
    pathlib.Path
        ``comaspec/data/comets.ecsv``.
    """
    return data_dir() / _CATALOG_NAME


def load(*, dyn_class=None, method=None, rh_range=None, limits="include", with_ratio=False,
         exclude_flags=(), ratio="CO2/H2O"):
    """Load the catalog of published measurements, optionally filtered.

    Parameters
    ----------
    dyn_class : str or sequence of str, optional
        Keep only these dynamical classes (see `DYNAMICAL_CLASSES`).
    method : {"direct", "indirect"}, optional
        Keep only rows whose CO2 was measured this way.
    rh_range : (Quantity, Quantity) or (float, float), optional
        Inclusive heliocentric-distance range (floats are au); rows without rh are dropped.
    limits : {"include", "exclude", "only"}
        What to do with rows whose ``ratio`` is an upper or lower limit.
    with_ratio : bool
        Keep only rows with a value of ``ratio`` (measurement or limit).
    exclude_flags : sequence of str
        Drop rows carrying any of these flags (see `FLAGS`).
    ratio : str
        The ratio ``limits`` and ``with_ratio`` refer to: CO2/H2O (default), CO/H2O, CO2/CO
        or an inverse (see `comaspec.ratios`).

    Returns
    -------
    astropy.table.QTable
        One row per measurement; ``rh`` in au, production rates in s^-1, ratios as plain
        (dimensionless) numbers. Missing values are masked.
    """
    from astropy.table import QTable

    table = QTable.read(catalog_path(), format="ascii.ecsv")
    for name in table.colnames:
        # ECSV reads empty strings as masked; text columns hold "" for "none" instead
        if table[name].dtype.kind == "U" and hasattr(table[name], "filled"):
            table[name] = table[name].filled("")
    return select(table, dyn_class=dyn_class, method=method, rh_range=rh_range,
                  limits=limits, with_ratio=with_ratio, exclude_flags=exclude_flags, ratio=ratio)


def select(table, *, dyn_class=None, method=None, rh_range=None, limits="include",
           with_ratio=False, exclude_flags=(), ratio="CO2/H2O"):
    """Filter a catalog table (the same filters as `load`).

    Parameters
    ----------
    table : astropy.table.QTable
        A table as returned by `load`.
    dyn_class, method, rh_range, limits, with_ratio, exclude_flags, ratio
        See `load`.

    Returns
    -------
    astropy.table.QTable
        The selected rows (a copy).
    """
    import astropy.units as u

    keep = np.ones(len(table), dtype=bool)
    if dyn_class is not None:
        classes = names(dyn_class, "dyn_class")
        unknown = [c for c in classes if c not in DYNAMICAL_CLASSES]
        if unknown:
            raise InputError("dyn_class", f"unknown dynamical class {unknown[0]!r}; "
                             f"choose from {', '.join(DYNAMICAL_CLASSES)}")
        keep &= np.isin(np.asarray(table["dyn_class"]), classes)
    if method is not None:
        if method not in METHODS:
            raise InputError("method", f"unknown method {method!r}; choose direct or indirect")
        keep &= np.asarray(table["method"]) == method
    if rh_range is not None:
        if isinstance(rh_range, str) or np.ndim(rh_range) != 1 or len(rh_range) != 2:
            raise InputError("rh_range", f"must be (low, high) in au (got {rh_range!r:.60})")
        lo, hi = (distance_au(v, "rh_range") for v in rh_range)
        if not lo <= hi:
            raise InputError("rh_range", f"empty range {lo} to {hi} au")
        rh, has_rh = _values(table["rh"], u.au)
        keep &= has_rh & (rh >= lo) & (rh <= hi)
    if limits not in ("include", "exclude", "only"):
        raise InputError("limits", f"{limits!r} is not one of include, exclude, only")
    columns = ratio_columns(table, ratio)
    is_limit = columns["limit"] != ""
    if limits == "exclude":
        keep &= ~is_limit
    elif limits == "only":
        keep &= is_limit
    if with_ratio:
        keep &= np.isfinite(columns["value"])
    for flag in exclude_flags:
        if flag not in FLAGS:
            raise InputError("exclude_flags", f"unknown flag {flag!r}; choose from {', '.join(FLAGS)}")
        keep &= np.array([flag not in str(f).split() for f in table["flags"]], dtype=bool)
    return table[keep]


def _values(column, unit):
    """Return (float64 values in ``unit`` with NaN where masked, has-value mask)."""
    mask = np.asarray(getattr(column, "mask", np.zeros(len(column), dtype=bool)), dtype=bool)
    values = np.asarray(column.to_value(unit) if hasattr(column, "to_value") else column,
                        dtype=float)
    values = np.where(mask, np.nan, values)
    return values, ~mask & np.isfinite(values)


def ratio_columns(table, ratio="CO2/H2O"):
    """One ratio of every row as plain arrays, inverses computed from the stored ratio.

    Parameters
    ----------
    table : astropy.table.QTable
        Catalog rows.
    ratio : str
        CO2/H2O, CO/H2O, CO2/CO or an inverse (H2O/CO2, H2O/CO, CO/CO2).

    Returns
    -------
    dict of ndarray
        ``value``, ``err_lo``, ``err_hi`` (plain numbers, NaN where missing), ``limit``
        ("", "upper", "lower") and ``origin`` (see `ORIGINS`). For an inverse ratio the
        values are reciprocals, the error interval is mapped exactly (its upper end is
        infinite when the stored lower error reaches zero) and upper and lower limits swap.
    """
    import astropy.units as u

    from ..ratios import parse_name

    name = parse_name(ratio)
    prefix = name.column
    one = u.dimensionless_unscaled
    value = _values(table[prefix], one)[0]
    lo = _values(table[f"{prefix}_err_lo"], one)[0]
    hi = _values(table[f"{prefix}_err_hi"], one)[0]
    limit = np.asarray(table[f"{prefix}_limit"], dtype=str)
    origin = (np.asarray(table[f"{prefix}_origin"], dtype=str) if f"{prefix}_origin" in table.colnames
              else np.full(len(table), "", dtype=str))
    limit = np.where(np.isfinite(value), limit, "")
    if name.inverted:
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / value
            new_lo = inv - 1.0 / (value + hi)
            new_hi = np.where(value - lo > 0, 1.0 / (value - lo) - inv, np.inf)
        new_hi = np.where(np.isfinite(lo), new_hi, np.nan)
        value, lo, hi = inv, new_lo, new_hi
        limit = np.select([limit == "upper", limit == "lower"], ["lower", "upper"], "")
    return {"value": value, "err_lo": lo, "err_hi": hi, "limit": limit, "origin": origin}


def trend_sample(table=None, *, ratio="CO2/H2O", exclude_classes=TREND_EXCLUDED_CLASSES,
                 exclude_flags=TREND_EXCLUDED_FLAGS, direct_only=True, limits="exclude"):
    """Rows used for the trend and the percentiles of one ratio.

    Parameters
    ----------
    table : astropy.table.QTable, optional
        Catalog (default: `load()`).
    ratio : str
        Which ratio (see `ratio_columns`).
    exclude_classes : sequence of str
        Dynamical classes to leave out (default `TREND_EXCLUDED_CLASSES`).
    exclude_flags : sequence of str
        Flags whose rows are left out (default `TREND_EXCLUDED_FLAGS`).
    direct_only : bool
        Keep only direct CO2 measurements. The ``method`` column describes the CO2
        measurement, so this applies only to ratios involving CO2; CO is measured from its
        own bands in every catalog row.
    limits : {"exclude", "include", "only"}
        Measurements only (the trend fit, default), or with the limits (percentile ranges).

    Returns
    -------
    astropy.table.QTable
    """
    from ..ratios import parse_name

    name = parse_name(ratio)
    table = load() if table is None else table
    classes = [c for c in DYNAMICAL_CLASSES if c not in tuple(exclude_classes)]
    uses_co2 = "CO2" in (name.numerator, name.denominator)
    return select(table, dyn_class=classes,
                  method="direct" if (direct_only and uses_co2) else None,
                  limits=limits, with_ratio=True, exclude_flags=tuple(exclude_flags),
                  ratio=name.name)
