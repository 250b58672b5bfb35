"""Checks of Quantity arguments at the public boundary, with one-line errors."""

import astropy.units as u
import numpy as np

from ._ranges import RANGES
from .errors import InputError


def scalar_quantity(value, unit, name, *, positive=False):
    """Return ``value`` as a finite scalar Quantity in ``unit``, or raise InputError.

    Parameters
    ----------
    value : `~astropy.units.Quantity`
        The argument to check; a bare number is refused (units are never guessed).
    unit : `~astropy.units.Unit` or str
        Unit to convert to.
    name : str
        Name of the argument, used in the error message.
    positive : bool
        Also require a value above zero.

    Returns
    -------
    `~astropy.units.Quantity`
        A 0-d Quantity in ``unit``.
    """
    unit = u.Unit(unit)
    if not isinstance(value, u.Quantity):
        raise InputError(name, f"must be an astropy Quantity in {unit} (got {value!r})")
    try:
        q = value.to(unit)
    except u.UnitConversionError:
        raise InputError(name, f"needs units of {unit.physical_type}, got {value.unit}") from None
    if q.size != 1 or not np.isfinite(q.value):
        raise InputError(name, f"must be one finite value (got {value})")
    if positive and q.value <= 0:
        raise InputError(name, f"must be one positive finite value (got {value})")
    return q.reshape(())


# --------------------------------------------------------------------------- plain values
#: Rotational temperatures accepted at the public boundary, K (the templates' useful range).
T_ROT_RANGE_K = RANGES["trot"][:2]
#: Largest number of Monte Carlo refits (``mc=``), as for ``comaspec ratio --mc``.
MC_MAX = 100_000


def _describe(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def is_boolean(value):
    """Whether ``value`` is a boolean or holds booleans (True would otherwise pass as 1).

    Parameters
    ----------
    value : object

    Returns
    -------
    bool
    """
    if isinstance(value, (bool, np.bool_)):
        return True
    if isinstance(value, (list, tuple)):
        return any(isinstance(v, (bool, np.bool_)) for v in value)
    return getattr(getattr(value, "dtype", None), "kind", None) == "b"


def not_boolean(value, name):
    """Refuse a boolean where a number is expected (one InputError line naming ``name``).

    Parameters
    ----------
    value : object
    name : str
        Argument name for the message.

    Returns
    -------
    object
        ``value`` unchanged.
    """
    if is_boolean(value):
        raise InputError(name, f"must be a number, not a boolean (got {_describe(value)})")
    return value


def number(value, name, *, low=None, high=None, low_open=False):
    """Return ``value`` as a finite float within [low, high], or raise InputError.

    Parameters
    ----------
    value : float or int
        A plain number (a Quantity or a string is refused).
    name : str
        Argument name for the message.
    low, high : float, optional
        Bounds (inclusive, except ``low`` when ``low_open``).
    low_open : bool
        Require ``value > low``.

    Returns
    -------
    float
    """
    if is_boolean(value) or isinstance(value, (str, bytes)) or isinstance(value, u.Quantity) or np.ndim(value) != 0:
        raise InputError(name, f"must be a plain number (got {_describe(value)})")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(name, f"must be a plain number (got {_describe(value)})") from None
    below = low is not None and (v <= low if low_open else v < low)
    if not np.isfinite(v) or below or (high is not None and v > high):
        lo_text = "" if low is None else f"{'>' if low_open else '>='} {low:g}"
        hi_text = "" if high is None else f"<= {high:g}"
        span = " and ".join(t for t in (lo_text, hi_text) if t) or "finite"
        raise InputError(name, f"must be {span} (got {_describe(value)})")
    return v


def integer(value, name, *, low=0, high=None):
    """Return ``value`` as an int within [low, high], or raise InputError.

    Parameters
    ----------
    value : int
        An integer (bool, float and strings refused).
    name : str
        Argument name for the message.
    low, high : int, optional
        Inclusive bounds.

    Returns
    -------
    int
    """
    if is_boolean(value) or not isinstance(value, (int, np.integer)):
        raise InputError(name, f"must be an integer (got {_describe(value)})")
    if (low is not None and value < low) or (high is not None and value > high):
        span = f"from {low} to {high}" if high is not None else f">= {low}"
        raise InputError(name, f"must be an integer {span} (got {value})")
    return int(value)


def temperature(value, name="T_rot"):
    """Return a rotational temperature in K as a float, checked against `T_ROT_RANGE_K`.

    Parameters
    ----------
    value : float or `~astropy.units.Quantity`
        K when a plain number.
    name : str
        Argument name for the message.

    Returns
    -------
    float
    """
    lo, hi = T_ROT_RANGE_K
    if isinstance(value, u.Quantity):
        try:
            value = value.to_value(u.K, equivalencies=u.temperature())
        except u.UnitsError:
            raise InputError(name, f"needs units of temperature, got {value.unit}") from None
    return number(value, name, low=lo, high=hi)


def rotational_temperature(T_rot, *, bounded=True):
    """T_rot as a finite float in K, for the fluorescence and template functions.

    Parameters
    ----------
    T_rot : float or `~astropy.units.Quantity`
        K when a plain number; booleans are refused.
    bounded : bool
        Require the range of comae, `T_ROT_RANGE_K` (the public fluorescence functions);
        False only requires T_rot > 0 (thermal templates of laboratory spectra, fitted up to
        thousands of K).

    Returns
    -------
    float
    """
    not_boolean(T_rot, "T_rot")
    try:
        value = float(getattr(T_rot, "to_value", lambda unit: T_rot)("K"))
    except Exception as exc:
        raise InputError("T_rot", f"must be a temperature in K, got {T_rot!r}") from exc
    if not (np.isfinite(value) and value > 0):
        raise InputError("T_rot", f"must be a positive finite temperature in K, got {value}")
    lo, hi = T_ROT_RANGE_K
    if bounded and not lo <= value <= hi:
        raise InputError("T_rot", f"must be between {lo:g} and {hi:g} K for a coma, got {value:g}")
    return value


def _quantity_or_dict(value, unit, name):
    """None, a positive scalar Quantity, or a dict of those by species."""
    if value is None:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            scalar_quantity(item, unit, f"{name}[{key!r}]", positive=True)
        return
    scalar_quantity(value, unit, name, positive=True)


def production_arguments(threshold, rel_errors):
    """Check the plain-number arguments of `comaspec.production_rate`.

    Parameters
    ----------
    threshold : float
        Detection threshold in sigma.
    rel_errors : dict
        Argument name -> stated relative error (or None).

    Raises
    ------
    InputError
    """
    number(threshold, "threshold", low=0.0, low_open=True)
    for key, value in rel_errors.items():
        if value is not None:
            number(value, key, low=0.0, high=10.0)


def in_range(quantity, name, kind=None):
    """Check a scalar Quantity against its physical range in `comaspec._ranges.RANGES`.

    Parameters
    ----------
    quantity : `~astropy.units.Quantity`
        Already checked by `scalar_quantity`.
    name : str
        Argument name for the message.
    kind : str, optional
        Key of the range (default ``name``).

    Returns
    -------
    `~astropy.units.Quantity`
        ``quantity`` unchanged.
    """
    lo, hi, unit, _ = RANGES[kind or name]
    value = quantity.to_value(u.Unit(unit.replace("^", "")) if unit else u.one)
    if not lo <= value <= hi:
        raise InputError(name, f"must lie between {lo:g} and {hi:g} {unit} (got {quantity})")
    return quantity


def distance_au(value, name):
    """A distance in au from a plain number (au) or a length Quantity, or InputError.

    Parameters
    ----------
    value : float or `~astropy.units.Quantity`
    name : str
        Argument name for the message.

    Returns
    -------
    float
    """
    if isinstance(value, u.Quantity):
        return float(scalar_quantity(value, u.au, name).value)
    return number(value, name)


def names(value, name):
    """A tuple of strings from one string or an iterable of strings, or InputError.

    Parameters
    ----------
    value : str or iterable of str
    name : str
        Argument name for the message.

    Returns
    -------
    tuple of str
    """
    items = (value,) if isinstance(value, str) else value
    if not isinstance(items, (list, tuple, set)) or not all(isinstance(v, str) for v in items):
        raise InputError(name, f"must be a name or a list of names (got {_describe(value)})")
    return tuple(items)


def fraction(value, name):
    """A plain number between 0 and 1, or InputError.

    Parameters
    ----------
    value : float
    name : str

    Returns
    -------
    float
    """
    return number(value, name, low=0.0, high=1.0)
