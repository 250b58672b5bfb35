"""Apertures on the sky: the region a spectrum was extracted from.

Each aperture holds its dimensions either as angles (as observers give them) or as
lengths at the comet; ``to_km(geometry)`` turns one into the other. ``offset`` is the
position of the aperture centre relative to the nucleus, in the same kind of unit; it
matters for the Haser model, not for extracting spectra from cubes.
"""

from __future__ import annotations

import math
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


def _pixels(q, pixel_scale):
    """An angle in pixels of ``pixel_scale``."""
    return float((q / pixel_scale).to_value(u.dimensionless_unscaled))


def _plain(value):
    """A float, or a list of floats for a pair (the offset)."""
    return float(value) if np.ndim(value) == 0 else [float(v) for v in value]


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

    def _km_floats(self, geometry):
        """`to_km` as plain floats: (sizes in km, one per ``_size_fields``; offset (dx, dy) in km).

        The same numbers as ``to_km(geometry)`` without its Quantity arithmetic, which costs
        more than the Haser kernels in the pump-opacity check of every fit
        (`comaspec.maps.opacity.pump_opacity`).
        """
        if self.is_angular:
            scale = geometry._km_per_arcsec_value()

            def km(q):
                return q.to_value(u.arcsec) * scale
        else:
            def km(q):
                return q.to_value(u.km)
        sizes = tuple(float(km(getattr(self, n))) for n in self._size_fields)
        return sizes, tuple(float(v) for v in km(self.offset))

    def _haser_number_km(self, sizes, offset, q, v_km_s, tau_s):
        """`haser_number` of the km aperture given as `_km_floats` (``sizes``, ``offset``)."""
        raise NotImplementedError

    def _area_km2(self, sizes):
        """`area` (km², a float) of the km aperture whose `_km_floats` sizes are ``sizes``."""
        raise NotImplementedError

    def _km(self, value):
        """A length of this aperture in km (plain float); angles need `to_km` first."""
        if _kind(value) != "length":
            raise InputError("aperture", "the Haser number needs the aperture in km: call to_km(geometry) first")
        return float(value.to_value(u.km))

    def haser_number(self, q, v_km_s, tau_s):
        """Molecules in this (km) aperture for a Haser coma (production rate ``q``, 1/s).

        Parameters
        ----------
        q, v_km_s, tau_s : float
            Production rate (1/s), expansion velocity (km/s) and lifetime at the comet (s).

        Returns
        -------
        float
        """
        raise NotImplementedError

    def area(self):
        """Area of the aperture, in the square of its own unit (arcsec² or km²).

        Returns
        -------
        `~astropy.units.Quantity`
        """
        raise NotImplementedError

    def photocentre_radius(self):
        """Radius (its unit) of the region searched for the continuum photocentre of a cube
        before extracting with this aperture; None: the whole cube."""
        return None

    def photutils_aperture(self, center_xy, pixel_scale):
        """The photutils aperture on a pixel grid of ``pixel_scale`` (angle per pixel).

        Returns
        -------
        photutils aperture
        """
        raise InputError("aperture", f"cannot extract with a {type(self).__name__}")

    # --- extraction from a cube (comaspec.io.extract)
    def cube_nucleus(self):
        """(x, y) pixel position of the nucleus this aperture fixes on a cube, and how it was
        found; None when it is to be found from the data (given, or the photocentre)."""
        return None

    def cube_offset_pixels(self, pixel_scale):
        """The aperture's offset from the nucleus in cube pixels (angular apertures only)."""
        if not self.is_angular:
            raise InputError("aperture", "extraction from a cube needs angular sizes (arcsec), not km")
        return tuple(float(v) for v in (self.offset / pixel_scale).decompose().value)

    def cube_weights(self, center_xy, pixel_scale, shape):
        """(weights image (ny, nx), area in spaxels) of this aperture centred at ``center_xy``."""
        ap = self.photutils_aperture(center_xy, pixel_scale)
        image = ap.to_mask(method="exact").to_image(shape)  # None when wholly off the cube
        return (np.zeros(shape) if image is None else image), float(ap.area)

    def describe(self, geometry=None) -> dict:
        """Plain-number description, as in the ``aperture`` block of the JSON output.

        Parameters
        ----------
        geometry : `comaspec.Geometry`, optional
            When given, the km sizes are included too.

        Returns
        -------
        dict
            ``shape`` plus ``<dim>_arcsec`` and/or ``<dim>_km`` entries, and
            ``offset_arcsec`` / ``offset_km`` ([dx, dy] from the nucleus) when the
            aperture is not centred on the nucleus.
        """
        out = {"shape": self.shape}
        sizes = [(n, getattr(self, n)) for n in self._size_fields]
        if np.any(self.offset.value != 0):
            sizes.append(("offset", self.offset))
        for n, q in sizes:
            if _kind(q) == "angle":
                out[f"{n}_arcsec"] = _plain(q.to_value(u.arcsec))
            if geometry is not None or _kind(q) == "length":
                km = q if _kind(q) == "length" else geometry.angle_to_km(q)
                out[f"{n}_km"] = _plain(km.to_value(u.km))
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

    def haser_number(self, q, v_km_s, tau_s):
        from .physics import haser

        return float(haser.number_circle(self._km(self.radius), q, v_km_s, tau_s, self.offset.to_value(u.km)))

    def area(self):
        return np.pi * self.radius**2

    def _haser_number_km(self, sizes, offset, q, v_km_s, tau_s):
        from .physics import haser

        if math.hypot(*offset) == 0:  # centred, as number_circle decides
            return haser._number_circle_centred_1(sizes[0], q, v_km_s, tau_s)
        return float(haser.number_circle(sizes[0], q, v_km_s, tau_s, offset))

    def _area_km2(self, sizes):
        return float(np.pi * np.square(sizes[0]))

    def photocentre_radius(self):
        return self.radius

    def photutils_aperture(self, center_xy, pixel_scale):
        from photutils import aperture as pa

        return pa.CircularAperture(center_xy, r=_pixels(self.radius, pixel_scale))


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

    def haser_number(self, q, v_km_s, tau_s):
        from .physics import haser

        return float(haser.number_annulus(self._km(self.r_in), self._km(self.r_out), q, v_km_s, tau_s,
                                          self.offset.to_value(u.km)))

    def area(self):
        return np.pi * (self.r_out**2 - self.r_in**2)

    def _haser_number_km(self, sizes, offset, q, v_km_s, tau_s):
        from .physics import haser

        if math.hypot(*offset) == 0:  # centred, as number_circle decides
            return (haser._number_circle_centred_1(sizes[1], q, v_km_s, tau_s)
                    - haser._number_circle_centred_1(sizes[0], q, v_km_s, tau_s))
        return float(haser.number_annulus(sizes[0], sizes[1], q, v_km_s, tau_s, offset))

    def _area_km2(self, sizes):
        return float(np.pi * (np.square(sizes[1]) - np.square(sizes[0])))

    def photocentre_radius(self):
        return self.r_out

    def photutils_aperture(self, center_xy, pixel_scale):
        from photutils import aperture as pa

        return pa.CircularAnnulus(center_xy, r_in=_pixels(self.r_in, pixel_scale),
                                  r_out=_pixels(self.r_out, pixel_scale))

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

    def haser_number(self, q, v_km_s, tau_s):
        from .physics import haser

        return float(haser.number_rectangle(self._km(self.width), self._km(self.height), q, v_km_s, tau_s,
                                            self.offset.to_value(u.km)))

    def area(self):
        return self.width * self.height

    def _haser_number_km(self, sizes, offset, q, v_km_s, tau_s):
        from .physics import haser

        return float(haser.number_rectangle(sizes[0], sizes[1], q, v_km_s, tau_s, offset))

    def _area_km2(self, sizes):
        return sizes[0] * sizes[1]

    def photutils_aperture(self, center_xy, pixel_scale):
        from photutils import aperture as pa

        return pa.RectangularAperture(center_xy, w=_pixels(self.width, pixel_scale),
                                      h=_pixels(self.height, pixel_scale))


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

    def haser_number(self, q, v_km_s, tau_s):
        from .physics import haser

        return float(haser.number_mask(self.mask, self._km(self.pixel_scale), self.nucleus, q, v_km_s, tau_s,
                                       self.offset.to_value(u.km)))

    def area(self):
        return int(self.mask.sum()) * self.pixel_scale**2

    def _haser_number_km(self, sizes, offset, q, v_km_s, tau_s):
        from .physics import haser

        return float(haser.number_mask(self.mask, sizes[0], self.nucleus, q, v_km_s, tau_s, offset))

    def _area_km2(self, sizes):
        return float(int(self.mask.sum()) * np.square(sizes[0]))

    def cube_nucleus(self):
        return self.nucleus, "spaxel mask nucleus"

    def cube_offset_pixels(self, pixel_scale):
        return (0.0, 0.0)  # the mask fixes its spaxels

    def cube_weights(self, center_xy, pixel_scale, shape):
        if self.mask.shape != shape:
            raise InputError("aperture", f"spaxel mask shape {self.mask.shape} differs from the cube's {shape}")
        w = self.mask.astype(float)
        return w, float(w.sum())

    def describe(self, geometry=None) -> dict:
        out = super().describe(geometry)
        out["n_spaxels"] = int(self.mask.sum())
        return out
