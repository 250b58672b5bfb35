"""The physics assumptions of a model, a fit, a map or a production rate.

`Assumptions` is the one object that carries the expansion velocity, the lifetimes, the
g-factors, the emission model and the H2O ortho/para ratio from the public keywords
(``fit_coma(velocity=...)``, ``production_rate(lifetime=...)``, the CLI options) down to the
code that uses them. `HaserAssumptions` is what one species' lifetime and velocity resolve
to at one geometry (`haser_assumptions`).

Below both the flux <-> Q object (`comaspec.physics.feature_weights`) and the unit-checked
layer (`comaspec.physics.production`), which re-exports `HaserAssumptions` and
`haser_assumptions`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import astropy.units as u

from .._validate import _quantity_or_dict, in_range, not_boolean, scalar_quantity
from ..apertures import Aperture
from ..errors import InputError, UsageError
from ..geometry import Geometry
from .fluorescence import DEFAULT_EMISSION, DEFAULT_ORTHO_PARA, EMISSION_MODELS

__all__ = ["Assumptions", "HaserAssumptions", "haser_assumptions", "ASSUMPTION_KEYWORDS"]

#: The keywords of the public functions that `Assumptions` gathers (its fields).
ASSUMPTION_KEYWORDS = ("velocity", "lifetime", "g_factor", "emission", "ortho_para")
_UNITS = {"velocity": u.km / u.s, "lifetime": u.s, "g_factor": 1 / u.s}


@dataclass(frozen=True)
class Assumptions:
    """The physics assumptions of a model, a fit, a map or a production rate.

    One object instead of five keywords passed by hand: `comaspec.fit.FitOptions`, the
    maps and the flux <-> Q layer carry it; the public functions keep their keywords
    (`Assumptions.from_keywords` gathers them).

    Attributes
    ----------
    velocity : `~astropy.units.Quantity` or None
        Gas expansion velocity at the comet (km/s), shared by all species; None: the
        velocity law at rh.
    lifetime : `~astropy.units.Quantity`, dict or None
        Photodestruction lifetime at 1 au (s), scaled as rh²; one value for all species or
        a dict by species; None (or a species missing from the dict): the tabulated one.
    g_factor : `~astropy.units.Quantity`, dict or None
        Total g-factor at 1 au (1/s) of the species' default feature (split over its bands
        in the tabulated proportions), scaled as rh⁻²; one value or a dict by species;
        None: the tabulated ones.
    emission : {"fluorescence", "thermal"} or object
        Emission model of the band templates (see :doc:`emission`), or an object naming it
        as its ``model``.
    ortho_para : float or "fit"
        H2O ortho/para ratio of the templates, or ``"fit"`` (a fit or a map fits it).

    Examples
    --------
    >>> import astropy.units as u
    >>> a = Assumptions(velocity=0.6 * u.km / u.s, lifetime={"CO2": 5e5 * u.s})
    >>> a.lifetime_of("CO2"), a.lifetime_of("H2O")
    (<Quantity 500000. s>, None)
    >>> a.replace(ortho_para="fit").ortho_para
    'fit'
    """

    velocity: u.Quantity | None = None
    lifetime: object = None
    g_factor: object = None
    emission: str = DEFAULT_EMISSION
    ortho_para: object = DEFAULT_ORTHO_PARA

    def __post_init__(self):
        for name, unit in _UNITS.items():
            value = getattr(self, name)
            if name == "velocity" and isinstance(value, dict):
                raise InputError("velocity", "one expansion velocity for all species (a dict was given)")
            _quantity_or_dict(value, unit, name)
            if isinstance(value, dict):
                object.__setattr__(self, name, dict(value))  # a copy: later edits of the caller's dict do not leak
        # a name, or an emission object that names its model (and, e.g., its sunlight)
        if getattr(self.emission, "model", self.emission) not in EMISSION_MODELS:
            raise InputError("emission", f"must be one of {', '.join(EMISSION_MODELS)}, got {self.emission!r}")
        object.__setattr__(self, "ortho_para", _ortho_para(self.ortho_para))

    @classmethod
    def from_keywords(cls, assumptions=None, **keywords):
        """The assumptions of a public function's keywords, or the object it was given.

        Parameters
        ----------
        assumptions : Assumptions, optional
            Given whole; then no keyword of `ASSUMPTION_KEYWORDS` may differ from its default.
        **keywords
            ``velocity``, ``lifetime``, ``g_factor``, ``emission``, ``ortho_para``.

        Returns
        -------
        Assumptions

        Raises
        ------
        UsageError
            ``assumptions`` and a keyword both given, or an unknown keyword.
        """
        unknown = set(keywords) - set(ASSUMPTION_KEYWORDS)
        if unknown:
            raise UsageError(f"unknown assumption keywords: {', '.join(sorted(unknown))}")
        if assumptions is None:
            return cls(**keywords)
        if not isinstance(assumptions, cls):
            raise InputError("assumptions", f"must be a comaspec Assumptions (got {type(assumptions).__name__})")
        defaults = cls()
        both = [k for k, v in keywords.items() if not _same(v, getattr(defaults, k))]
        if both:
            raise UsageError(f"give either assumptions= or {', '.join(f'{k}=' for k in both)}, not both")
        return assumptions

    def replace(self, **changes):
        """A copy with some fields changed (checked again).

        Parameters
        ----------
        **changes
            Field name -> new value.

        Returns
        -------
        Assumptions
        """
        return dataclasses.replace(self, **changes)

    def lifetime_of(self, species):
        """The stated lifetime at 1 au of ``species`` (a Quantity), or None for the tabulated one.

        Parameters
        ----------
        species : str

        Returns
        -------
        `~astropy.units.Quantity` or None
        """
        return self.lifetime.get(species) if isinstance(self.lifetime, dict) else self.lifetime

    def g_factor_of(self, species):
        """The stated total g at 1 au of ``species``' default feature, or None for the tabulated ones.

        Parameters
        ----------
        species : str

        Returns
        -------
        `~astropy.units.Quantity` or None
        """
        return self.g_factor.get(species) if isinstance(self.g_factor, dict) else self.g_factor

    @property
    def fits_ortho_para(self):
        """Whether the H2O ortho/para ratio is to be fitted (``ortho_para == "fit"``)."""
        return self.ortho_para == "fit"

    def haser(self, species, geometry, **kwargs):
        """The lifetime and velocity of ``species`` at ``geometry`` (`haser_assumptions`).

        Parameters
        ----------
        species : str
        geometry : `comaspec.Geometry`, dict or sbpy Ephem
        **kwargs
            ``velocity_law``, ``lifetime_source``, ``activity``.

        Returns
        -------
        HaserAssumptions
        """
        return haser_assumptions(species, geometry, velocity=self.velocity, lifetime=self.lifetime_of(species),
                                 **kwargs)


def _same(value, default):
    """Whether a facade keyword holds its default (None, or the default emission / ortho/para)."""
    if default is None:
        return value is None
    try:
        return bool(value == default)
    except (TypeError, ValueError):
        return False


def _ortho_para(value):
    """``"fit"``, or the ratio as a finite float > 0 (booleans refused)."""
    if isinstance(value, str):
        if value.strip().lower() == "fit":
            return "fit"
        raise InputError("ortho_para", f"must be a number or 'fit', got {value!r}")
    not_boolean(value, "ortho_para")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError("ortho_para", f"must be a number or 'fit', got {value!r}") from None
    if not (math.isfinite(number) and number > 0):
        raise InputError("ortho_para", f"must be a finite number > 0, got {number}")
    return number


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
