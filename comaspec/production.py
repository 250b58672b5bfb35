"""Band flux ↔ production rate through the Haser model, with units and stated assumptions.

Public layer over the unitless kernels of :mod:`comaspec.haser`. A band b of a species
with fluorescence efficiency g_b (photons s⁻¹ molecule⁻¹) emits, for N molecules in the
aperture, the flux

    F_b = N · g_b(rh) · h c ν̃_b / (4π Δ²),   g_b(rh) = g_b(1 au) · (rh / 1 au)⁻²,

at the band centre ν̃_b; N = Q · n(aperture; v, τ) with τ(rh) = τ(1 au) · (rh / 1 au)²
and v from the velocity law at rh. A species' measured *feature* (e.g. H2O "2.7um")
is the sum over its bands.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import astropy.units as u
import numpy as np
from astropy import constants as const

from . import haser
from .apertures import AnnularAperture, Aperture, CircularAperture, RectangularAperture, SpaxelMask
from .errors import InputError
from .geometry import Geometry

__all__ = [
    "flux_per_unit_Q",
    "molecules_per_unit_Q",
    "HaserAssumptions",
    "haser_assumptions",
    "ProductionRate",
    "production_rate",
    "band_flux",
]

_FLUX_UNIT = u.W / u.m**2
_FLUX_PER_Q_UNIT = u.W * u.s / u.m**2


def _checked_quantity(value, unit, name):
    """A positive finite scalar Quantity convertible to ``unit``, else InputError."""
    if not isinstance(value, u.Quantity):
        raise InputError(name, f"must be an astropy Quantity in {unit} (got {value!r})")
    try:
        q = value.to(unit)
    except u.UnitConversionError:
        raise InputError(name, f"needs units of {u.Unit(unit).physical_type}, got {value.unit}") from None
    if q.size != 1 or not np.isfinite(q.value) or q.value <= 0:
        raise InputError(name, f"must be one positive finite value (got {value})")
    return q.reshape(())


def _geometry(geometry):
    return Geometry.from_any(geometry)


@dataclass(frozen=True)
class HaserAssumptions:
    """The Haser-model parameters used for one species at one geometry.

    Attributes
    ----------
    species : str
        Species name.
    lifetime_1au : `~astropy.units.Quantity`
        Photodestruction lifetime at 1 au (s).
    lifetime : `~astropy.units.Quantity`
        Lifetime at the comet, τ(1 au) · rh² (s).
    velocity : `~astropy.units.Quantity`
        Expansion velocity at the comet (km/s).
    scale_length : `~astropy.units.Quantity`
        L = v τ (km).
    lifetime_source, velocity_source : str
        Where the values came from (table key or ``"user"``).
    """

    species: str
    lifetime_1au: u.Quantity
    lifetime: u.Quantity
    velocity: u.Quantity
    scale_length: u.Quantity
    lifetime_source: str
    velocity_source: str


def haser_assumptions(species, geometry, *, velocity=None, lifetime=None, velocity_law=None,
                      lifetime_source=None, activity=None):
    """Resolve the lifetime and velocity used for ``species`` at ``geometry``.

    Parameters
    ----------
    species : str
        Species name (see `comaspec.molecules.SPECIES`).
    geometry : `comaspec.Geometry` or dict or sbpy Ephem
        Observing geometry.
    velocity : `~astropy.units.Quantity`, optional
        Expansion velocity at the comet (km/s); default: the velocity law at rh.
    lifetime : `~astropy.units.Quantity`, optional
        Lifetime at 1 au (s), scaled by rh²; default: `comaspec.molecules.lifetime`.
    velocity_law : str, optional
        Name of a law in `comaspec.molecules.VELOCITY_LAWS` (default: the documented one).
    lifetime_source, activity : str, optional
        Passed to `comaspec.molecules.lifetime`.

    Returns
    -------
    HaserAssumptions
    """
    from . import molecules

    geometry = _geometry(geometry)
    rh_au = float(geometry.rh.to_value(u.au))
    if lifetime is None:
        tau1 = molecules.lifetime(species, source=lifetime_source, activity=activity).to(u.s)
        tau_src = _lifetime_label(species, lifetime_source, activity)
    else:
        tau1 = _checked_quantity(lifetime, u.s, "lifetime")
        tau_src = "user"
    if velocity is None:
        v = molecules.expansion_velocity(geometry.rh, law=velocity_law).to(u.km / u.s)
        v_src = velocity_law if velocity_law is not None else _default_law_name()
    else:
        v = _checked_quantity(velocity, u.km / u.s, "velocity")
        v_src = "user"
    tau = tau1 * rh_au**2
    return HaserAssumptions(species, tau1, tau, v, (v * tau).to(u.km), tau_src, v_src)


def _lifetime_label(species, source, activity):
    from . import molecules

    pairs = molecules.lifetime_sources(species)
    if source is None and activity is None and pairs:
        s, a = pairs[0]
        return f"{s}/{a}"
    return f"{source or pairs[0][0]}/{activity or 'default'}"


def _default_law_name():
    from . import molecules

    for name, law in molecules.VELOCITY_LAWS.items():
        if getattr(law, "default", False):
            return name
    return next(iter(molecules.VELOCITY_LAWS))


def _aperture_km(aperture, geometry):
    if not isinstance(aperture, Aperture):
        raise InputError("aperture", f"must be a comaspec aperture (got {type(aperture).__name__})")
    return aperture.to_km(geometry)


def _molecules_per_q(ap_km, v_km_s, tau_s):
    """N for Q = 1/s in a km aperture (plain float)."""
    off = ap_km.offset.to_value(u.km)
    if isinstance(ap_km, CircularAperture):
        n = haser.number_circle(ap_km.radius.to_value(u.km), 1.0, v_km_s, tau_s, off)
    elif isinstance(ap_km, AnnularAperture):
        n = haser.number_annulus(ap_km.r_in.to_value(u.km), ap_km.r_out.to_value(u.km), 1.0, v_km_s, tau_s, off)
    elif isinstance(ap_km, RectangularAperture):
        n = haser.number_rectangle(ap_km.width.to_value(u.km), ap_km.height.to_value(u.km), 1.0, v_km_s,
                                   tau_s, off)
    elif isinstance(ap_km, SpaxelMask):
        n = haser.number_mask(ap_km.mask, ap_km.pixel_scale.to_value(u.km), ap_km.nucleus, 1.0, v_km_s,
                              tau_s, off)
    else:
        raise InputError("aperture", f"no Haser integral for aperture shape {getattr(ap_km, 'shape', '?')}")
    return float(n)


def molecules_per_unit_Q(species, geometry, aperture, *, velocity=None, lifetime=None, **kwargs):
    """Number of molecules in the aperture per unit production rate.

    Parameters
    ----------
    species : str
        Species name.
    geometry : `comaspec.Geometry`
        Observing geometry.
    aperture : comaspec aperture
        In angles or km.
    velocity, lifetime : `~astropy.units.Quantity`, optional
        See `haser_assumptions`.
    **kwargs
        ``velocity_law``, ``lifetime_source``, ``activity`` (see `haser_assumptions`).

    Returns
    -------
    `~astropy.units.Quantity`
        N / Q in s (molecules per molecule/s).
    """
    geometry = _geometry(geometry)
    a = haser_assumptions(species, geometry, velocity=velocity, lifetime=lifetime, **kwargs)
    ap = _aperture_km(aperture, geometry)
    return _molecules_per_q(ap, a.velocity.to_value(u.km / u.s), a.lifetime.to_value(u.s)) * u.s


def _photon_energy_j(center_cm):
    return float((const.h * const.c * (center_cm / u.cm)).to_value(u.J))


def _dilution_m2(geometry):
    return float(4 * np.pi * geometry.delta.to_value(u.m) ** 2)


def flux_per_unit_Q(species, band, geometry, aperture, *, velocity=None, lifetime=None, g_factor=None,
                    g_source=None, **kwargs):
    """Band flux produced by a production rate of one molecule per second.

    Parameters
    ----------
    species : str
        Species name, e.g. ``"CO2"``.
    band : str
        Band label, e.g. ``"nu3"``.
    geometry : `comaspec.Geometry`
        Observing geometry (rh, Δ).
    aperture : comaspec aperture
        Circular, annular, rectangular or spaxel mask, in angles or km, offsets allowed.
    velocity : `~astropy.units.Quantity`, optional
        Expansion velocity at the comet (km/s). Default: the velocity law at rh.
    lifetime : `~astropy.units.Quantity`, optional
        Lifetime at 1 au (s), scaled as rh². Default: `comaspec.molecules.lifetime`.
    g_factor : `~astropy.units.Quantity`, optional
        This band's g-factor at 1 au (1/s), scaled as rh⁻². Default:
        `comaspec.molecules.g_factor`.
    g_source : str, optional
        g-factor table source key.
    **kwargs
        ``velocity_law``, ``lifetime_source``, ``activity`` (see `haser_assumptions`).

    Returns
    -------
    `~astropy.units.Quantity`
        F_b / Q in W m⁻² s.
    """
    from . import molecules

    geometry = _geometry(geometry)
    b = molecules.get_band(species, band)
    g1 = (molecules.g_factor(species, band, source=g_source) if g_factor is None
          else _checked_quantity(g_factor, 1 / u.s, "g_factor"))
    n_per_q = molecules_per_unit_Q(species, geometry, aperture, velocity=velocity, lifetime=lifetime,
                                   **kwargs).to_value(u.s)
    rh_au = float(geometry.rh.to_value(u.au))
    g_rh = float(g1.to_value(1 / u.s)) / rh_au**2
    value = n_per_q * g_rh * _photon_energy_j(b.center_cm) / _dilution_m2(geometry)
    return value * _FLUX_PER_Q_UNIT
