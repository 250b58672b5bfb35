"""One flux ↔ Q object per species and aperture: `FeatureWeights`.

For one species at one geometry and aperture, the band flux (W m^-2) that a production rate
of one molecule per second gives in band b is

    A_b = (N/Q) · g_b(1 au) / rh² · h c ν̃_b / (4π Δ²)

with N/Q the Haser number of molecules in the aperture per unit Q (one integral per species
and aperture, whatever the number of bands). The flux of a *feature* (a named group of bands
measured as one flux) per unit Q is Σ_{b in feature} A_b. The fitter (through
`comaspec.model`) and `comaspec.production.production_rate` / `band_flux` all take these
numbers from this one object, with one rule for a user-given g-factor (`split_g`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import astropy.constants as const
import astropy.units as u

from ..errors import InputError

__all__ = ["FeatureWeights", "split_g", "band_flux_per_q"]


@functools.cache
def _hc_j_cm():
    """h c in J cm (CODATA, from astropy), converted once: a fit asks for it per band."""
    return float((const.h * const.c / u.cm).to_value(u.J))


def photon_energy_j(center_cm):
    """h c ν̃ in J for a wavenumber in cm^-1."""
    return _hc_j_cm() * float(center_cm)


def dilution_m2(delta_m):
    """4π Δ² in m² for Δ in m."""
    return float(4 * math.pi * delta_m ** 2)


def band_flux_per_q(n_per_q_s, g_1au, rh_au, center_cm, delta_m):
    """A_b in W m^-2 per (molecule/s), plain floats: (N/Q) · g/rh² · h c ν̃ / (4π Δ²)."""
    return n_per_q_s * (g_1au / rh_au**2) * photon_energy_j(center_cm) / dilution_m2(delta_m)


def split_g(species, g_total, feature=None):
    """Per-band g (1/s at 1 au) of every band of ``species`` for a stated total g of ``feature``.

    The one rule for a user-given g-factor: it is the total of ``feature`` (default: the
    species' default feature), split over that feature's bands in the tabulated proportions;
    every other band of the species keeps its tabulated ratio to that feature (e.g. the H2O
    4.7 µm hot bands to the 2.7 µm complex), or is unknown (NaN) without a tabulated value.

    Parameters
    ----------
    species : str
    g_total : float
        Total g of ``feature`` at 1 au, 1/s.
    feature : str, optional

    Returns
    -------
    dict
        band → g at 1 au (1/s), NaN where unknown.

    Raises
    ------
    InputError
        A multi-band feature whose bands have no tabulated g-factors to split the total over.
    """
    from . import molecules

    feature = molecules.default_feature(species) if feature is None else feature
    own = molecules.bands_of(species, feature)
    tab = [b.g_1au for b in own]
    if len(own) == 1:
        ref = tab[0]
        out = {own[0].band: float(g_total)}
    else:
        if not all(math.isfinite(x) for x in tab):
            raise InputError(f"g_factor for {species} {feature}",
                             "the feature has several bands without tabulated g-factors to split a total over")
        ref = sum(tab)
        out = {b.band: g_total * b.g_1au / ref for b in own}
    for b in (b for f in molecules.features_of(species) for b in molecules.bands_of(species, f)):
        if b.band not in out:
            out[b.band] = g_total * b.g_1au / ref if math.isfinite(ref) and math.isfinite(b.g_1au) else math.nan
    return out


@dataclass(frozen=True)
class FeatureWeights:
    """Band flux per unit production rate of every band of one species in one aperture.

    Build it with `FeatureWeights.build`. All numbers are plain floats (SI, km, s).

    Attributes
    ----------
    species : str
    geometry : `comaspec.Geometry`
    aperture_km : comaspec aperture
        The aperture in km at the comet.
    assumptions : `comaspec.production.HaserAssumptions` or None
        Lifetime and velocity used, with their sources (None when no band has a g-factor).
    n_per_q : float
        Molecules in the aperture per unit Q, s (one Haser integral; NaN when no band has a
        g-factor).
    bands : tuple of `comaspec.molecules.Band`
        Every band of the species, default feature first.
    g_1au : dict
        band → g at 1 au (1/s), NaN where no value is known.
    g_sources : dict
        band → source of its g (a table key, ``"user"``).
    """

    species: str
    geometry: object
    aperture_km: object
    assumptions: object
    n_per_q: float
    bands: tuple
    g_1au: dict
    g_sources: dict

    @classmethod
    def build(cls, species, geometry, aperture, assumptions=None, *, g_feature=None, g_source=None, **kwargs):
        """N/Q and per-band g of ``species`` at ``geometry`` in ``aperture``.

        Parameters
        ----------
        species : str
        geometry : `comaspec.Geometry`, dict or sbpy Ephem
        aperture : comaspec aperture
        assumptions : `comaspec.Assumptions`, optional
            The stated velocity, lifetime (see `comaspec.production.haser_assumptions`) and
            g-factor of the species (``g_factor_of``: total g at 1 au of ``g_feature``, split
            by `split_g`); default: the tabulated values and the velocity law.
        g_feature : str, optional
            The feature a stated g-factor refers to (default: the species' default feature).
        g_source : str, optional
            g-factor table source key.
        **kwargs
            ``velocity_law``, ``lifetime_source``, ``activity``.

        Returns
        -------
        FeatureWeights
        """
        from . import molecules
        from .._validate import in_range, scalar_quantity
        from ..geometry import Geometry
        from .assumptions import Assumptions, _aperture_km

        assumptions = Assumptions() if assumptions is None else assumptions
        g_factor = assumptions.g_factor_of(species)
        geometry = Geometry.from_any(geometry)
        bands = tuple(b for f in molecules.features_of(species) for b in molecules.bands_of(species, f))
        if g_factor is None:
            g, sources = {}, {}
            for b in bands:
                if g_source is None and not math.isfinite(b.g_1au):
                    g[b.band], sources[b.band] = math.nan, "none"
                else:
                    g[b.band] = float(molecules.g_factor(species, b.band, source=g_source).to_value(1 / u.s))
                    sources[b.band] = g_source or b.g_source
        else:
            total = in_range(scalar_quantity(g_factor, 1 / u.s, "g_factor", positive=True), "g_factor")
            g = split_g(species, float(total.to_value(1 / u.s)), g_feature)
            sources = {b: "user" for b in g}
        ap = _aperture_km(aperture, geometry)
        if not any(math.isfinite(x) for x in g.values()):
            # no band flux can be predicted: the Haser set-up (which may lack a lifetime, OCS) is not needed
            return cls(species, geometry, ap, None, math.nan, bands, g, sources)
        a = assumptions.haser(species, geometry, **kwargs)
        n = ap.haser_number(1.0, a.velocity.to_value(u.km / u.s), a.lifetime.to_value(u.s))
        return cls(species, geometry, ap, a, float(n), bands, g, sources)

    # ------------------------------------------------------------------ numbers
    def _bands_of(self, feature):
        from . import molecules

        return molecules.bands_of(self.species, feature)

    def band_flux_per_q(self, band):
        """A_b of one band, W m^-2 per (molecule/s); None without a g-factor."""
        g = self.g_1au[band]
        if not math.isfinite(g):
            return None
        b = next(x for x in self.bands if x.band == band)
        return band_flux_per_q(self.n_per_q, g, float(self.geometry.rh.to_value(u.au)), b.center_cm,
                               float(self.geometry.delta.to_value(u.m)))

    def weights(self, features=None):
        """``{(feature, band): A_b}`` for the bands of ``features`` (default all), None where unknown."""
        from . import molecules

        features = molecules.features_of(self.species) if features is None else features
        return {(f, b.band): self.band_flux_per_q(b.band) for f in features for b in self._bands_of(f)}

    def flux_per_q(self, feature=None):
        """Σ A_b over the bands of ``feature`` (default: the species' default), W m^-2 s; None if unknown."""
        values = [self.band_flux_per_q(b.band) for b in self._bands_of(feature)]
        return None if any(v is None for v in values) else float(sum(values))

    def g_total_1au(self, feature=None):
        """Σ g over the bands of ``feature``, 1/s at 1 au (NaN if one is unknown)."""
        return float(sum(self.g_1au[b.band] for b in self._bands_of(feature)))

    def center_cm(self, feature=None):
        """g-weighted mean band centre of ``feature`` (the band's centre for one band), cm^-1."""
        bands = self._bands_of(feature)
        g = [self.g_1au[b.band] for b in bands]
        return float(sum(x * b.center_cm for x, b in zip(g, bands)) / sum(g))

    def sources(self, feature=None):
        """Sorted distinct g-factor sources of the bands of ``feature``."""
        return sorted({self.g_sources[b.band] for b in self._bands_of(feature)})

    def sensitivities(self):
        """d ln Q / d ln x at fixed flux for x = g_factor, lifetime, velocity.

        Q = F / (g · N/Q(τ, v)): −1 for g; −d ln N / d ln τ and −d ln N / d ln v, from central
        differences of the aperture's Haser integral (step 1e-4 in ln).
        """
        v = self.assumptions.velocity.to_value(u.km / u.s)
        tau = self.assumptions.lifetime.to_value(u.s)
        h = 1e-4
        f = (math.exp(h), math.exp(-h))

        def dln(nplus, nminus):
            return float((math.log(nplus) - math.log(nminus)) / (2 * h))

        d_tau = dln(*(self.aperture_km.haser_number(1.0, v, tau * k) for k in f))
        d_v = dln(*(self.aperture_km.haser_number(1.0, v * k, tau) for k in f))
        return {"g_factor": -1.0, "lifetime": -d_tau, "velocity": -d_v}

    def relative_systematic(self, rel_err):
        """Relative 1σ systematic error of Q for stated relative errors ``{name: value}``."""
        sens = self.sensitivities()
        return math.sqrt(sum((sens[k] * float(rel_err.get(k) or 0.0)) ** 2 for k in sens))
