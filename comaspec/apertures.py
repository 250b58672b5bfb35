"""Apertures on the sky: the region a spectrum was extracted from.

Each aperture holds its dimensions either as angles (as observers give them) or as
lengths at the comet; ``to_km(geometry)`` turns one into the other. ``offset`` is the
position of the aperture centre relative to the nucleus, in the same kind of unit; it
matters for the Haser model, not for extracting spectra from cubes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import astropy.units as u
import numpy as np

from .errors import InputError

__all__ = [
    "Aperture",
    "CircularAperture",
    "AnnularAperture",
    "RectangularAperture",
    "SpaxelMask",
]


def _size(value, name):
    """Check a positive angle or length Quantity."""
    if not isinstance(value, u.Quantity) or value.unit.physical_type not in ("angle", "length"):
        raise InputError(name, f"must be an angle or a length Quantity (got {value!r})")
    if value.size != 1 or not np.isfinite(value.value) or value.value <= 0:
        raise InputError(name, f"must be one positive finite value (got {value})")
    return value.reshape(())


def _kind(q):
    return q.unit.physical_type


@dataclass(frozen=True)
class Aperture:
    """Base class: shared handling of the nucleus offset."""

    def __post_init__(self):
        sizes = [getattr(self, n) for n in self._size_fields]
        for n in self._size_fields:
            object.__setattr__(self, n, _size(getattr(self, n), n))
        kinds = {_kind(getattr(self, n)) for n in self._size_fields}
        if len(kinds) != 1:
            raise InputError("aperture", f"mixes angles and lengths: {sizes}")
        offset = self.offset
        if offset is None:
            offset = u.Quantity([0.0, 0.0], getattr(self, self._size_fields[0]).unit)
        try:
            offset = u.Quantity(offset)
        except (TypeError, ValueError):
            raise InputError("aperture offset", f"must be (dx, dy) in the aperture's units (got {offset!r})") from None
        if offset.shape != (2,) or _kind(offset) not in kinds:
            raise InputError("aperture offset", f"must be (dx, dy) in the aperture's units (got {offset})")
        object.__setattr__(self, "offset", offset)

    @property
    def is_angular(self) -> bool:
        """True when the dimensions are angles on the sky."""
        return _kind(getattr(self, self._size_fields[0])) == "angle"

    def to_km(self, geometry) -> "Aperture":
        """Return the same aperture with every dimension in km at the comet.

        Parameters
        ----------
        geometry : `comaspec.Geometry`
            Supplies the observer distance for angular apertures.

        Returns
        -------
        Aperture
            A copy of the same class with lengths in km.
        """
        changes = {n: geometry.angle_to_km(getattr(self, n)) for n in self._size_fields}
        changes["offset"] = geometry.angle_to_km(self.offset)
        return replace(self, **changes)

    def describe(self, geometry=None) -> dict:
        """Plain-number description, as in the ``aperture`` block of the JSON output.

        Parameters
        ----------
        geometry : `comaspec.Geometry`, optional
            When given, the km sizes are included too.

        Returns
        -------
        dict
            ``shape`` plus ``<dim>_arcsec`` and/or ``<dim>_km`` entries.
        """
        out = {"shape": self.shape}
        for n in self._size_fields:
            q = getattr(self, n)
            if _kind(q) == "angle":
                out[f"{n}_arcsec"] = float(q.to_value(u.arcsec))
            if geometry is not None or _kind(q) == "length":
                km = q if _kind(q) == "length" else geometry.angle_to_km(q)
                out[f"{n}_km"] = float(km.to_value(u.km))
        return out


@dataclass(frozen=True)
class CircularAperture(Aperture):
    """A circle of the given radius.

    Parameters
    ----------
    radius : `~astropy.units.Quantity`
        Angle or length.
    offset : `~astropy.units.Quantity`, optional
        (dx, dy) of the centre from the nucleus; default (0, 0).
    """

    radius: u.Quantity
    offset: u.Quantity | None = None
    shape = "circle"
    _size_fields = ("radius",)


@dataclass(frozen=True)
class AnnularAperture(Aperture):
    """An annulus between ``r_in`` and ``r_out``.

    Parameters
    ----------
    r_in, r_out : `~astropy.units.Quantity`
        Inner and outer radius, angles or lengths, ``r_in < r_out``.
    offset : `~astropy.units.Quantity`, optional
        (dx, dy) of the centre from the nucleus; default (0, 0).
    """

    r_in: u.Quantity
    r_out: u.Quantity
    offset: u.Quantity | None = None
    shape = "annulus"
    _size_fields = ("r_in", "r_out")

    def __post_init__(self):
        super().__post_init__()
        if self.r_in >= self.r_out:
            raise InputError("aperture", f"annulus inner radius {self.r_in} is not below outer {self.r_out}")


@dataclass(frozen=True)
class RectangularAperture(Aperture):
    """A rectangle ``width`` × ``height`` aligned with its own axes.

    Parameters
    ----------
    width, height : `~astropy.units.Quantity`
        Full side lengths (angles or lengths).
    offset : `~astropy.units.Quantity`, optional
        (dx, dy) of the centre from the nucleus, along width and height; default (0, 0).
    """

    width: u.Quantity
    height: u.Quantity
    offset: u.Quantity | None = None
    shape = "rectangle"
    _size_fields = ("width", "height")


@dataclass(frozen=True)
class SpaxelMask(Aperture):
    """An arbitrary set of square spaxels, e.g. the pixels summed from an IFU cube.

    Parameters
    ----------
    mask : array_like of bool, shape (ny, nx)
        True for the spaxels in the aperture.
    pixel_scale : `~astropy.units.Quantity`
        Side of one spaxel (angle or length).
    nucleus : tuple of float
        (x, y) pixel position of the nucleus (0-based, pixel centres at integers).
    """

    mask: np.ndarray = field(compare=False)
    pixel_scale: u.Quantity = None
    nucleus: tuple = (0.0, 0.0)
    offset: u.Quantity | None = None
    shape = "spaxel_mask"
    _size_fields = ("pixel_scale",)

    def __post_init__(self):
        mask = np.asarray(self.mask, dtype=bool)
        if mask.ndim != 2 or not mask.any():
            raise InputError("aperture", "a spaxel mask must be 2-D with at least one spaxel set")
        object.__setattr__(self, "mask", mask)
        try:
            nucleus = tuple(float(v) for v in self.nucleus)
        except (TypeError, ValueError):
            raise InputError("aperture", f"nucleus must be (x, y) in pixels, got {self.nucleus!r}") from None
        if len(nucleus) != 2:
            raise InputError("aperture", f"nucleus must be (x, y), got {self.nucleus}")
        object.__setattr__(self, "nucleus", nucleus)
        super().__post_init__()

    def describe(self, geometry=None) -> dict:
        out = super().describe(geometry)
        out["n_spaxels"] = int(self.mask.sum())
        return out
