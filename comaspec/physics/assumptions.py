"""The Haser-model assumptions of one species at one geometry: lifetime and expansion velocity.

Below both the flux <-> Q object (`comaspec.physics.feature_weights`) and the unit-checked
layer (`comaspec.physics.production`), which re-exports `HaserAssumptions` and
`haser_assumptions`.
"""

from __future__ import annotations

from dataclasses import dataclass

import astropy.units as u

from .._validate import in_range, scalar_quantity
from ..apertures import Aperture
from ..errors import InputError
from ..geometry import Geometry

__all__ = ["HaserAssumptions", "haser_assumptions"]


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
        tau1 = in_range(scalar_quantity(lifetime, u.s, "lifetime", positive=True), "lifetime")
        tau_src = "user"
    if velocity is None:
        v = molecules.expansion_velocity(geometry.rh, law=velocity_law).to(u.km / u.s)
        v_src = velocity_law if velocity_law is not None else _default_law_name()
    else:
        v = in_range(scalar_quantity(velocity, u.km / u.s, "velocity", positive=True), "velocity")
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

    return molecules.DEFAULT_VELOCITY_LAW


def _aperture_km(aperture, geometry):
    if not isinstance(aperture, Aperture):
        raise InputError("aperture", f"must be a comaspec aperture (got {type(aperture).__name__})")
    return aperture.to_km(geometry)
