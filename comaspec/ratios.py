"""Names, values and printing of production-rate ratios (CO2/H2O, CO/H2O, CO2/CO).

One convention everywhere in comaspec: **a ratio is a plain number**, Q(numerator) divided by
Q(denominator). ``7.6`` means Q(CO2) = 7.6 Q(H2O), i.e. 760 %; ``0.12`` means 12 %. A value
is read as percent only when it says so: a trailing ``%`` sign on the command line
(``760%``) or an astropy Quantity in ``u.percent`` in Python. The catalog stores ratios as
plain numbers too, and the API, the command-line tables, the JSON output and the figures all
print them as plain numbers.

The catalog stores three ratios (`STORED`); their inverses (e.g. H2O/CO) are available
everywhere too, as reciprocals with limits turned round.
"""

from __future__ import annotations

import math

from .errors import InputError

__all__ = ["SPECIES", "STORED", "NAMES", "RatioName", "parse_name", "parse_value",
           "as_number", "format_value", "axis_label", "reading_note"]

#: Species between which ratios are formed.
SPECIES = ("H2O", "CO2", "CO")
#: The ratios stored in the catalog, with their column prefix.
STORED = {"CO2/H2O": "co2_h2o", "CO/H2O": "co_h2o", "CO2/CO": "co2_co"}
#: Every accepted ratio name: the stored ones and their inverses.
NAMES = tuple(STORED) + tuple("/".join(reversed(n.split("/"))) for n in STORED)

_SUBSCRIPT = {"H2O": r"H$_2$O", "CO2": r"CO$_2$", "CO": "CO"}


class RatioName:
    """A parsed ratio name.

    Attributes
    ----------
    name : str
        Canonical spelling, e.g. ``"CO/H2O"``.
    numerator, denominator : str
        Species.
    column : str
        Prefix of the catalog columns holding this ratio or its inverse (``"co_h2o"``).
    inverted : bool
        True if the catalog stores the inverse (the values are reciprocals of the column).
    """

    def __init__(self, numerator, denominator):
        self.numerator, self.denominator = numerator, denominator
        self.name = f"{numerator}/{denominator}"
        inverse = f"{denominator}/{numerator}"
        self.inverted = self.name not in STORED
        self.column = STORED[inverse if self.inverted else self.name]

    def __repr__(self):
        return f"RatioName({self.name!r})"

    def __eq__(self, other):
        return isinstance(other, RatioName) and other.name == self.name

    def __hash__(self):
        return hash(self.name)


def parse_name(name, what="ratio"):
    """Parse a ratio name such as ``"CO2/H2O"`` or ``"h2o/co"`` (case-insensitive).

    Parameters
    ----------
    name : str or RatioName
        Two of H2O, CO2 and CO separated by ``/``.
    what : str
        Argument name used in the error message.

    Returns
    -------
    RatioName

    Raises
    ------
    InputError
        If the name is not a ratio of two different species among `SPECIES`.
    """
    if isinstance(name, RatioName):
        return name
    parts = [p.strip().upper() for p in str(name).split("/")]
    if len(parts) != 2 or not all(p in SPECIES for p in parts) or parts[0] == parts[1]:
        raise InputError(what, f"{name!r} is not a ratio of two of {', '.join(SPECIES)}; "
                               f"choose from {', '.join(NAMES)}")
    return RatioName(*parts)


def parse_value(text, what="ratio"):
    """Read a ratio typed by a user: a plain number, or a percentage with a ``%`` sign.

    Parameters
    ----------
    text : str or float
        ``"7.6"`` (a plain ratio), ``"760%"`` or ``"760 %"`` (percent).
    what : str
        Argument name used in error messages.

    Returns
    -------
    (float, str)
        The ratio as a plain number and how it was read: ``"number"`` or ``"percent"``.

    Raises
    ------
    InputError
        If the text is not a finite number.
    """
    raw = str(text).strip()
    unit = "number"
    if raw.endswith("%"):
        raw, unit = raw[:-1].strip(), "percent"
    try:
        value = float(raw)
    except ValueError:
        raise InputError(what, f"{text!r} is not a number (write 7.6 or 760%)") from None
    if not math.isfinite(value):
        raise InputError(what, f"{text!r} is not a finite number")
    return (value / 100.0 if unit == "percent" else value), unit


def as_number(value, what="ratio"):
    """Convert an API ratio argument to a plain float.

    Parameters
    ----------
    value : float or astropy.units.Quantity
        A plain number is taken as the ratio itself (7.6 = 760 %); a dimensionless Quantity
        (e.g. ``760 * u.percent``) is converted.
    what : str
        Argument name used in error messages.

    Returns
    -------
    float
    """
    import astropy.units as u

    if isinstance(value, u.Quantity):
        try:
            return float(value.to_value(u.dimensionless_unscaled))
        except u.UnitConversionError:
            raise InputError(what, f"{value} is not a dimensionless ratio") from None
    if isinstance(value, str):
        return parse_value(value, what)[0]
    from ._validate import not_boolean

    not_boolean(value, what)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(what, f"{value!r} is not a number") from None


def _decimals(*errors):
    """Decimal places showing the smallest positive error with two significant digits."""
    positive = [e for e in errors if e is not None and math.isfinite(e) and e > 0]
    if not positive:
        return None
    return int(min(max(0, 1 - math.floor(math.log10(min(positive)))), 12))


def format_value(value, err_lo=None, err_hi=None, limit=""):
    """Print a ratio the comaspec way: a plain number with its errors, or a limit.

    Parameters
    ----------
    value : float or None
        The ratio (a plain number, not percent).
    err_lo, err_hi : float, optional
        Lower and upper 1-sigma errors (one given: symmetric).
    limit : {"", "upper", "lower"}
        Print as ``< value`` or ``> value``.

    Returns
    -------
    str
        ``"7.6 ± 0.3"``, ``"7.74 -0.30 +0.32"``, ``"< 0.05"``, ``"0.12"``; ``""`` if no value.

    Examples
    --------
    >>> format_value(7.6, 0.3)
    '7.60 ± 0.30'
    >>> format_value(0.0121, limit="lower")
    '> 0.0121'
    """
    if value is None or not math.isfinite(value):
        return ""
    if limit:
        return f"{'<' if limit == 'upper' else '>'} {value:.3g}"
    if err_hi is None:
        err_hi = err_lo
    if err_lo is None:
        err_lo = err_hi
    d = _decimals(err_lo, err_hi)
    if d is None:
        return f"{value:.3g}"
    if math.isclose(err_lo, err_hi, rel_tol=1e-6):
        return f"{value:.{d}f} ± {err_lo:.{d}f}"
    return f"{value:.{d}f} -{err_lo:.{d}f} +{err_hi:.{d}f}"


def axis_label(name):
    """Axis label of a ratio for figures, e.g. ``CO$_2$/H$_2$O`` (a plain number, no unit).

    Parameters
    ----------
    name : str or RatioName

    Returns
    -------
    str
    """
    r = parse_name(name)
    return f"Q({_SUBSCRIPT[r.numerator]}) / Q({_SUBSCRIPT[r.denominator]})"


def reading_note(flag, text, value, unit, name):
    """The one-line note saying how a typed ratio was read (printed on stderr by the CLI).

    Parameters
    ----------
    flag : str
        The option, e.g. ``"--ratio"``.
    text : str
        What the user typed.
    value : float
        The ratio as read (a plain number).
    unit : {"number", "percent"}
        How it was read (from `parse_value`).
    name : str
        The ratio's name.

    Returns
    -------
    str
    """
    if unit == "percent":
        return f"note: {flag} {text} read as percent: {name} = {value:g}"
    return (f"note: {flag} {text} read as a plain ratio: {name} = {value:g} "
            f"(= {100 * value:g} %); write {100 * value:g}% to give percent")
