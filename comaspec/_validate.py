"""Checks of Quantity arguments at the public boundary, with one-line errors."""

import astropy.units as u
import numpy as np

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
