"""Observing geometry of a comet: heliocentric and geocentric distance, phase angle, epoch,
heliocentric radial velocity."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import astropy.units as u
import numpy as np
from astropy.time import Time

from ._validate import in_range
from ._validate import scalar_quantity as _quantity
from .errors import InputError

__all__ = ["Geometry"]


@functools.cache
def _tan_arcsec():
    """tan(1 arcsec) as `Geometry.km_per_arcsec` computes it (astropy's arcsec -> rad)."""
    return float(np.tan(1 * u.arcsec).value)


@dataclass(frozen=True)
class Geometry:
    """Where the comet is when it is observed.

    Parameters
    ----------
    rh : `~astropy.units.Quantity`
        Heliocentric distance (length).
    delta : `~astropy.units.Quantity`
        Distance from the observer (length).
    phase : `~astropy.units.Quantity`, optional
        Sun–comet–observer phase angle.
    epoch : `~astropy.time.Time`, optional
        Time of the observation.
    rdot : `~astropy.units.Quantity`, optional
        Heliocentric radial velocity (positive away from the Sun), within ±300 km/s. It
        Doppler-shifts the solar lines that pump fluorescence (the Swings effect,
        :ref:`swings`). None (default): not known; the solar spectrum is then taken at rest
        (rdot = 0), and a fit that pumps with the high-resolution spectrum says so.

    Examples
    --------
    >>> import astropy.units as u
    >>> g = Geometry(3.32 * u.au, 2.61 * u.au)
    >>> print(round(g.km_per_arcsec.to_value(u.km / u.arcsec), 1))
    1893.0
    """

    rh: u.Quantity
    delta: u.Quantity
    phase: u.Quantity | None = None
    epoch: Time | None = None
    rdot: u.Quantity | None = None

    def __post_init__(self):
        rh = _quantity(self.rh, u.au, "rh")
        delta = _quantity(self.delta, u.au, "delta")
        if rh <= 0 * u.au:
            raise InputError("rh", f"must be positive (got {rh})")
        if delta <= 0 * u.au:
            raise InputError("delta", f"must be positive (got {delta})")
        in_range(rh, "rh")
        in_range(delta, "delta")
        object.__setattr__(self, "rh", rh)
        object.__setattr__(self, "delta", delta)
        if self.phase is not None:
            phase = _quantity(self.phase, u.deg, "phase")
            if not 0 * u.deg <= phase <= 180 * u.deg:
                raise InputError("phase", f"must lie between 0 and 180 deg (got {phase})")
            object.__setattr__(self, "phase", phase)
        if self.epoch is not None and not isinstance(self.epoch, Time):
            try:
                object.__setattr__(self, "epoch", Time(self.epoch))
            except ValueError as exc:
                raise InputError("epoch", f"is not a time: {exc}") from None
        if self.rdot is not None:
            object.__setattr__(self, "rdot", in_range(_quantity(self.rdot, u.km / u.s, "rdot"), "rdot"))

    @property
    def rdot_km_s(self) -> float:
        """Heliocentric radial velocity in km/s as a float (0 when not known)."""
        return 0.0 if self.rdot is None else float(self.rdot.to_value(u.km / u.s))

    @property
    def km_per_arcsec(self) -> u.Quantity:
        """Projected length of one arcsecond at the comet (km per arcsec)."""
        return (self.delta.to(u.km) * np.tan(1 * u.arcsec).value) / u.arcsec

    def _km_per_arcsec_value(self) -> float:
        """`km_per_arcsec` in km/arcsec as a float, the same number without its Quantity arithmetic."""
        return float(self.delta.to_value(u.km) * _tan_arcsec())

    def angle_to_km(self, angle: u.Quantity) -> u.Quantity:
        """Project an angle on the sky to a length at the comet.

        Parameters
        ----------
        angle : `~astropy.units.Quantity`
            Angle (or a length, returned in km unchanged).

        Returns
        -------
        `~astropy.units.Quantity`
            Length in km.
        """
        angle = u.Quantity(angle)
        if angle.unit.physical_type == "length":
            return angle.to(u.km)
        return (angle.to(u.arcsec) * self.km_per_arcsec).to(u.km)

    @classmethod
    def from_any(cls, value) -> "Geometry":
        """Build a Geometry from a Geometry, a dict or an sbpy ``Ephem``.

        Parameters
        ----------
        value : Geometry, dict or `sbpy.data.Ephem`
            A dict may use the keys ``rh``/``delta``/``phase`` (Quantities) or
            ``rh_au``/``delta_au``/``phase_deg`` (plain numbers), ``rdot`` or ``rdot_km_s``,
            and ``epoch``. An ``Ephem`` must hold exactly one row with ``rh`` and ``delta``
            (``alpha``, ``rdot`` and ``epoch`` are used when present).

        Returns
        -------
        Geometry
        """
        if isinstance(value, cls):
            return value
        if isinstance(value, dict):
            return cls._from_dict(value)
        if type(value).__name__ == "Ephem":
            return cls._from_ephem(value)
        raise InputError("geometry", f"cannot be built from {type(value).__name__}")

    @classmethod
    def _from_dict(cls, d):
        def pick(qkey, plainkey, unit):
            if d.get(qkey) is not None:
                return d[qkey]
            if d.get(plainkey) is not None:
                return float(d[plainkey]) * unit
            return None

        rh = pick("rh", "rh_au", u.au)
        delta = pick("delta", "delta_au", u.au)
        if rh is None or delta is None:
            raise InputError("geometry", "needs both rh and delta (keys rh/delta or rh_au/delta_au)")
        return cls(rh, delta, pick("phase", "phase_deg", u.deg), d.get("epoch"), pick("rdot", "rdot_km_s", u.km / u.s))

    @classmethod
    def _from_ephem(cls, eph):
        if len(eph) != 1:
            raise InputError("geometry", f"an Ephem with {len(eph)} rows is ambiguous; pass one row")

        def field(name):
            try:
                return u.Quantity(eph[name][0])
            except (KeyError, ValueError):
                return None

        rh, delta = field("rh"), field("delta")
        if rh is None or delta is None:
            raise InputError("geometry", "the Ephem lacks rh or delta")
        phase = field("alpha")
        try:
            epoch = eph["epoch"][0]
        except (KeyError, ValueError):
            epoch = None
        return cls(rh, delta, phase, epoch, field("rdot"))

    def to_dict(self) -> dict:
        """Plain-number summary (the ``geometry`` block of the JSON output).

        Returns
        -------
        dict
            Keys ``rh_au``, ``delta_au``, ``phase_deg``, ``rdot_km_s`` (None when unknown)
            and ``epoch`` (ISO string or None).
        """
        return {
            "rh_au": float(self.rh.to_value(u.au)),
            "delta_au": float(self.delta.to_value(u.au)),
            "phase_deg": None if self.phase is None else float(self.phase.to_value(u.deg)),
            "epoch": None if self.epoch is None else self.epoch.isot,
            "rdot_km_s": None if self.rdot is None else float(self.rdot.to_value(u.km / u.s)),
        }
