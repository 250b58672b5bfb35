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

from .._validate import in_range, production_arguments, scalar_quantity
from ..errors import InputError
from .assumptions import Assumptions, HaserAssumptions, _aperture_km, _geometry, haser_assumptions
from .feature_weights import FeatureWeights, band_flux_per_q, split_g

__all__ = [
    "flux_per_unit_Q",
    "molecules_per_unit_Q",
    "Assumptions",
    "HaserAssumptions",
    "haser_assumptions",
    "ProductionRate",
    "production_rate",
    "band_flux",
    "FeatureWeights",
    "split_g",
]

_FLUX_UNIT = u.W / u.m**2
_FLUX_PER_Q_UNIT = u.W * u.s / u.m**2


def molecules_per_unit_Q(species, geometry, aperture, *, velocity=None, lifetime=None, assumptions=None, **kwargs):
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
        See `haser_assumptions` (``lifetime`` may be a dict by species).
    assumptions : `comaspec.Assumptions`, optional
        The same as one object (instead of ``velocity`` and ``lifetime``).
    **kwargs
        ``velocity_law``, ``lifetime_source``, ``activity`` (see `haser_assumptions`).

    Returns
    -------
    `~astropy.units.Quantity`
        N / Q in s (molecules per molecule/s).
    """
    geometry = _geometry(geometry)
    a = Assumptions.from_keywords(assumptions, velocity=velocity, lifetime=lifetime).haser(species, geometry, **kwargs)
    ap = _aperture_km(aperture, geometry)
    return ap.haser_number(1.0, a.velocity.to_value(u.km / u.s), a.lifetime.to_value(u.s)) * u.s


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
          else in_range(scalar_quantity(g_factor, 1 / u.s, "g_factor", positive=True), "g_factor"))
    n_per_q = molecules_per_unit_Q(species, geometry, aperture, velocity=velocity, lifetime=lifetime,
                                   **kwargs).to_value(u.s)
    value = band_flux_per_q(n_per_q, float(g1.to_value(1 / u.s)), float(geometry.rh.to_value(u.au)), b.center_cm,
                            float(geometry.delta.to_value(u.m)))
    return value * _FLUX_PER_Q_UNIT


def _feature_weights(species, geometry, aperture, feature, assumptions, g_source, kwargs):
    """The species' FeatureWeights with a stated g taken as the total of ``feature``; the feature name."""
    from . import molecules

    feature = molecules.bands_of(species, feature)[0].feature
    fw = FeatureWeights.build(species, geometry, aperture, assumptions, g_feature=feature, g_source=g_source,
                              **kwargs)
    for b in molecules.bands_of(species, feature):
        if fw.band_flux_per_q(b.band) is None:
            molecules.g_factor(species, b.band)  # raises the one message for a band without g
    return fw, feature


def _rel(value, name):
    if value is None:
        return 0.0
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise InputError(name, f"must be a non-negative relative error (got {value})")
    return value


def _flux_value(flux, name, allow_negative=True):
    if not isinstance(flux, u.Quantity):
        raise InputError(name, f"must be an astropy Quantity in W m^-2 (got {flux!r})")
    try:
        value = flux.to_value(_FLUX_UNIT)
    except u.UnitConversionError:
        raise InputError(name, f"needs units of W m^-2 (band-integrated flux), got {flux.unit}") from None
    if np.ndim(value) != 0 or not np.isfinite(value):
        raise InputError(name, f"must be one finite value (got {flux})")
    if not allow_negative and value < 0:
        raise InputError(name, f"must not be negative (got {flux})")
    return float(value)


@dataclass(frozen=True)
class ProductionRate:
    """A production rate derived from a band flux, with its uncertainties and assumptions.

    Attributes
    ----------
    species, feature : str
        What was measured.
    Q : `~astropy.units.Quantity`
        Production rate implied by the flux (1/s). When ``detected`` is False this is only
        the formal estimate: report ``Q_upper`` instead (``to_dict`` and ``str`` do).
    Q_err : `~astropy.units.Quantity` or None
        Statistical 1σ uncertainty from the flux uncertainty.
    Q_sys : `~astropy.units.Quantity`
        Systematic 1σ uncertainty from the stated relative errors on g, τ and v.
    detected : bool or None
        flux / flux_err ≥ ``threshold``; None when no flux uncertainty was given.
    Q_upper : `~astropy.units.Quantity` or None
        Upper limit when not detected: Q for max(flux, 0) + ``threshold`` · flux_err.
    snr : float or None
        flux / flux_err.
    threshold : float
        Detection threshold in σ.
    flux, flux_err : `~astropy.units.Quantity`
        The input band flux and its uncertainty (W m⁻²).
    g_factor_1au : `~astropy.units.Quantity`
        Total g of the feature at 1 au (1/s).
    band_center : `~astropy.units.Quantity`
        g-weighted band centre (cm⁻¹).
    bands : tuple of str
        Band labels summed into the feature.
    assumptions : HaserAssumptions
        Lifetime and velocity used.
    aperture : dict
        The aperture in km (and arcsec if given so), from ``Aperture.describe``.
    geometry : dict
        ``Geometry.to_dict()``.
    molecules_per_Q : `~astropy.units.Quantity`
        N / Q in the aperture (s).
    dlnQ_dln : dict
        Elasticities of Q with respect to g, lifetime and velocity.
    rel_err : dict
        The relative errors on g, lifetime and velocity that make ``Q_sys``.
    sources : dict
        Table keys (or ``"user"``) of g, lifetime and velocity.
    g_source : str
        ``"published"`` (tabulated or stated g) or ``"computed"`` (fluorescence model).
    band_g_1au : dict
        Band → g at 1 au (1/s) of the feature's bands, as used.
    """

    species: str
    feature: str
    Q: u.Quantity
    Q_err: u.Quantity | None
    Q_sys: u.Quantity
    detected: bool | None
    Q_upper: u.Quantity | None
    snr: float | None
    threshold: float
    flux: u.Quantity
    flux_err: u.Quantity | None
    g_factor_1au: u.Quantity
    band_center: u.Quantity
    bands: tuple
    assumptions: HaserAssumptions
    aperture: dict
    geometry: dict
    molecules_per_Q: u.Quantity
    dlnQ_dln: dict = field(default_factory=dict)
    rel_err: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    g_source: str = "published"
    band_g_1au: dict = field(default_factory=dict)

    @property
    def is_limit(self) -> bool:
        """True when only an upper limit may be reported."""
        return self.detected is False

    def to_dict(self) -> dict:
        """Plain-number summary (the JSON of ``comaspec production --json``).

        Returns
        -------
        dict
            ``Q_per_s`` is None when the flux is not a detection (use ``Q_upper_per_s``).
        """
        a = self.assumptions
        return {
            "species": self.species,
            "feature": self.feature,
            "bands": list(self.bands),
            "detected": self.detected,
            "Q_per_s": None if self.is_limit else float(self.Q.to_value(1 / u.s)),
            "Q_err_per_s": None if self.Q_err is None else float(self.Q_err.to_value(1 / u.s)),
            # null, not 0, when no relative errors on g, tau, v were stated
            "Q_sys_per_s": float(self.Q_sys.to_value(1 / u.s)) if any(self.rel_err.values()) else None,
            "Q_upper_per_s": None if self.Q_upper is None else float(self.Q_upper.to_value(1 / u.s)),
            "Q_formal_per_s": float(self.Q.to_value(1 / u.s)),
            "snr": self.snr,
            "detection_threshold_sigma": self.threshold,
            "flux_W_m-2": float(self.flux.to_value(_FLUX_UNIT)),
            "flux_err_W_m-2": None if self.flux_err is None else float(self.flux_err.to_value(_FLUX_UNIT)),
            "g_factor_1au_per_s": float(self.g_factor_1au.to_value(1 / u.s)),
            "lifetime_1au_s": float(a.lifetime_1au.to_value(u.s)),
            "lifetime_s": float(a.lifetime.to_value(u.s)),
            "velocity_km_s": float(a.velocity.to_value(u.km / u.s)),
            "scale_length_km": float(a.scale_length.to_value(u.km)),
            "band_center_cm-1": float(self.band_center.to_value(1 / u.cm)),
            "aperture_km": self.aperture,
            "geometry": self.geometry,
            "molecules_per_Q_s": float(self.molecules_per_Q.to_value(u.s)),
            "dlnQ_dln": dict(self.dlnQ_dln),
            "rel_err": dict(self.rel_err),
            "sources": dict(self.sources),
            "g_source": self.g_source,
            "band_g_factors_1au_per_s": dict(self.band_g_1au),
        }

    def __str__(self):
        d = self.to_dict()
        if self.is_limit:
            head = (f"Q({self.species}) < {d['Q_upper_per_s']:.3e} s^-1 "
                    f"(not detected: S/N = {self.snr:.2f} < {self.threshold:g})")
        else:
            err = "" if d["Q_err_per_s"] is None else f" ± {d['Q_err_per_s']:.2e} (stat)"
            if any(self.rel_err.values()):
                head = f"Q({self.species}) = {d['Q_per_s']:.3e}{err} ± {d['Q_sys_per_s']:.2e} (sys) s^-1"
            else:  # no stated errors on g, tau, v: say so rather than print a zero systematic
                head = (f"Q({self.species}) = {d['Q_per_s']:.3e}{err} s^-1; systematic error not "
                        "estimated (no relative errors stated on g, lifetime, velocity)")
        return head


def production_rate(flux, species, geometry, aperture, *, flux_err=None, feature=None, velocity=None,
                    lifetime=None, g_factor=None, rel_err_g=None, rel_err_lifetime=None,
                    rel_err_velocity=None, threshold=3.0, g_source=None, assumptions=None, T_rot=None,
                    ortho_para=None, emission=None, **kwargs):
    """Production rate of a species from the flux of one of its features.

    Parameters
    ----------
    flux : `~astropy.units.Quantity`
        Band-integrated flux of the feature (W m⁻²), summed over its bands.
    species : str
        Species name, e.g. ``"CO2"``.
    geometry : `comaspec.Geometry` or dict or sbpy Ephem
        Observing geometry.
    aperture : comaspec aperture
        The extraction aperture, in angles or km (offsets allowed).
    flux_err : `~astropy.units.Quantity`, optional
        1σ flux uncertainty (W m⁻²). Needed for a non-positive flux, which then gives an
        upper limit.
    feature : str, optional
        Feature name (default: the species' default, e.g. ``"2.7um"`` for H2O).
    velocity : `~astropy.units.Quantity`, optional
        Expansion velocity at the comet (km/s); default: the velocity law at rh.
    lifetime : `~astropy.units.Quantity`, optional
        Lifetime at 1 au (s), scaled as rh²; default from `comaspec.molecules`.
    g_factor : `~astropy.units.Quantity`, optional
        Total g of the feature at 1 au (1/s), scaled as rh⁻²; split over a multi-band
        feature in the tabulated proportions.
    rel_err_g, rel_err_lifetime, rel_err_velocity : float, optional
        Stated relative 1σ errors, propagated into ``Q_sys`` through the aperture's actual
        dependence on τ and v (default 0: no systematic term claimed).
    threshold : float
        Detection threshold in σ (default 3).
    g_source : str, optional
        Where the band g-factors come from: ``"published"`` (default, the tabulated ones), a
        g-factor table source key, or ``"computed"``: the fluorescence model's band g-factors
        at ``T_rot`` (`comaspec.physics.g_source.with_computed_g`), each band's g replaced,
        the feature's g their sum. ``"computed"`` excludes a stated ``g_factor`` (keyword or
        in ``assumptions``).
    assumptions : `comaspec.Assumptions`, optional
        ``velocity``, ``lifetime`` and ``g_factor`` as one object (not with those keywords).
    T_rot : float or `~astropy.units.Quantity`, optional
        Rotational temperature (K); required with ``g_source="computed"``, refused otherwise.
    ortho_para : float, optional
        H2O ortho/para ratio of the computed g (default 3); ``"computed"`` only.
    emission : `comaspec.physics.templates.Emission`, optional
        Sunlight pumping the computed g (default: fluorescence pumped by E490, see
        `comaspec.physics.templates.emission_model`); ``"computed"`` only (the emission
        and ortho_para of ``assumptions`` are not used here).
    **kwargs
        ``velocity_law``, ``lifetime_source``, ``activity`` (see `haser_assumptions`).

    Returns
    -------
    ProductionRate

    Raises
    ------
    InputError
        Bad units or values, or a non-positive flux without ``flux_err``.

    Examples
    --------
    >>> import astropy.units as u
    >>> from comaspec import Geometry, CircularAperture, production_rate
    >>> q = production_rate(1.2e-17 * u.W / u.m**2, "CO2", Geometry(3.32 * u.au, 2.6 * u.au),
    ...                     CircularAperture(1 * u.arcsec))
    >>> q.Q.unit
    Unit("1 / s")
    """
    from . import molecules

    production_arguments(threshold, {"rel_err_g": rel_err_g, "rel_err_lifetime": rel_err_lifetime,
                                      "rel_err_velocity": rel_err_velocity})
    f = _flux_value(flux, "flux")
    ferr = None if flux_err is None else _flux_value(flux_err, "flux_err", allow_negative=False)
    if ferr is not None and ferr == 0:
        ferr = None if f > 0 else 0.0
    threshold = float(threshold)
    if not threshold > 0:
        raise InputError("threshold", f"must be positive (got {threshold})")
    if f <= 0 and not ferr:
        raise InputError("flux", f"is not positive ({f:g} W m^-2): give flux_err to get an upper limit")
    assumptions = Assumptions.from_keywords(assumptions, velocity=velocity, lifetime=lifetime, g_factor=g_factor)
    computed = _computed_g_arguments(g_source, assumptions.g_factor, T_rot, ortho_para, emission)
    table_source = None if g_source in ("published", "computed") else g_source
    fw, feature = _feature_weights(species, geometry, aperture, feature, assumptions, table_source, kwargs)
    if computed is not None:
        from .g_source import with_computed_g

        fw = with_computed_g(fw, *computed)
    per_q = fw.flux_per_q(feature)
    q = f / per_q
    q_err = None if ferr is None else ferr / per_q
    snr = None if ferr is None else f / ferr
    detected = None if ferr is None else bool(snr >= threshold)
    q_upper = None if detected is not False else (max(f, 0.0) + threshold * ferr) / per_q
    elastic = fw.sensitivities()
    rel = {"g_factor": _rel(rel_err_g, "rel_err_g"), "lifetime": _rel(rel_err_lifetime, "rel_err_lifetime"),
           "velocity": _rel(rel_err_velocity, "rel_err_velocity")}
    rel_sys = math.sqrt(sum((elastic[k] * rel[k]) ** 2 for k in rel))
    q_scale = abs(q) if detected is not False else q_upper
    a = fw.assumptions
    return ProductionRate(
        species=species, feature=feature, Q=q / u.s, Q_err=None if q_err is None else q_err / u.s,
        Q_sys=q_scale * rel_sys / u.s, detected=detected, Q_upper=None if q_upper is None else q_upper / u.s,
        snr=snr, threshold=threshold, flux=f * _FLUX_UNIT, flux_err=None if ferr is None else ferr * _FLUX_UNIT,
        g_factor_1au=fw.g_total_1au(feature) / u.s, band_center=fw.center_cm(feature) / u.cm,
        bands=tuple(b.band for b in molecules.bands_of(species, feature)), assumptions=a,
        aperture=fw.aperture_km.describe() | _aperture_angles(aperture),
        geometry=fw.geometry.to_dict(), molecules_per_Q=fw.n_per_q * u.s,
        dlnQ_dln=elastic, rel_err=rel,
        sources={"g_factor": fw.sources(feature), "lifetime": a.lifetime_source,
                 "velocity": a.velocity_source},
        g_source="computed" if computed is not None else "published",
        band_g_1au={b.band: fw.g_1au[b.band] for b in molecules.bands_of(species, feature)},
    )


def _computed_g_arguments(g_source, g_factor, T_rot, ortho_para, emission):
    """(T_rot, ortho_para, Emission) for ``g_source="computed"``, None otherwise; bad combinations raise."""
    from .._validate import rotational_temperature

    if g_source != "computed":
        for name, value in (("T_rot", T_rot), ("ortho_para", ortho_para), ("emission", emission)):
            if value is not None:
                raise InputError(name, "is used only with g_source='computed'")
        return None
    if g_factor is not None:
        raise InputError("g_factor", "states the g-factor: it excludes g_source='computed'")
    if T_rot is None:
        raise InputError("T_rot", "is required with g_source='computed'")
    from .fluorescence import DEFAULT_ORTHO_PARA
    from .templates import emission_model

    opr = DEFAULT_ORTHO_PARA if ortho_para is None else float(ortho_para)
    if not (math.isfinite(opr) and opr > 0):
        raise InputError("ortho_para", f"must be a positive finite number (got {ortho_para!r})")
    return rotational_temperature(T_rot), opr, emission_model() if emission is None else emission_model(emission)


def _aperture_angles(aperture):
    """The arcsec entries of an angular aperture's description (none for km apertures)."""
    d = aperture.describe()
    return {k: v for k, v in d.items() if k.endswith("_arcsec")}


def band_flux(Q, species, geometry, aperture, *, feature=None, velocity=None, lifetime=None, g_factor=None,
              g_source=None, assumptions=None, **kwargs):
    """Flux of a species' feature for a given production rate (inverse of `production_rate`).

    Parameters
    ----------
    Q : `~astropy.units.Quantity`
        Production rate (1/s); array-valued allowed.
    species : str
        Species name.
    geometry : `comaspec.Geometry`
        Observing geometry.
    aperture : comaspec aperture
        In angles or km.
    feature : str, optional
        Feature name (default: the species' default feature).
    velocity, lifetime, g_factor, g_source, assumptions, **kwargs
        As for `production_rate`.

    Returns
    -------
    `~astropy.units.Quantity`
        Band-integrated flux summed over the feature's bands (W m⁻²).
    """
    if not isinstance(Q, u.Quantity):
        raise InputError("Q", f"must be an astropy Quantity in 1/s (got {Q!r})")
    try:
        q = Q.to_value(1 / u.s)
    except u.UnitConversionError:
        raise InputError("Q", f"needs units of 1/s, got {Q.unit}") from None
    assumptions = Assumptions.from_keywords(assumptions, velocity=velocity, lifetime=lifetime, g_factor=g_factor)
    fw, feature = _feature_weights(species, geometry, aperture, feature, assumptions, g_source, kwargs)
    return q * fw.flux_per_q(feature) * _FLUX_UNIT
