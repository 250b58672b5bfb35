"""Species components of the forward model: band templates tied by their flux per unit Q.

For each species X and each of its bands b,

* ``A_b`` is the band flux (W m^-2) that Q = 1 molecule/s produces in the aperture
  (`comaspec.production.FeatureWeights`: Haser model, g-factor, lifetime, velocity);
* ``S_b(λ) = templates.band_profile(X, b, λ - shift, T_rot, lsf)`` is the unit-area band
  shape on the pixel grid (µm^-1), seen through the instrument's line-spread function.

The gas spectrum is ``Σ_X Q_X Σ_b A_b S_b(λ)`` in W m^-2 µm^-1. The bands of one species
are tied by their A_b (so the H2O 4.63/4.85 µm hot bands follow the 2.7 µm complex).

Inside the fitter each species' amplitude is the band flux of one *feature* (the species'
default feature when it is covered, e.g. the H2O 2.7 µm complex): the species' column is
``Σ_b (A_b / Φ) S_b`` with ``Φ = Σ_{b in feature} A_b``, so Q = flux / Φ. Species without
a published g-factor (13CO2, OCS) are fitted as band fluxes only (Φ unknown, Q not given).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import setup_cache
from ..errors import InputError
from ..physics.assumptions import Assumptions
from ..physics.fluorescence import DEFAULT_EMISSION, DEFAULT_ORTHO_PARA
from .parameters import species_hints

__all__ = ["feature_weights", "DEFAULT_SPECIES", "SPIN_SPECIES", "species_covered", "DEFAULT_EMISSION",
           "DEFAULT_ORTHO_PARA", "band_weights", "unit_q_spectrum", "gas_spectrum", "SpeciesComponent",
           "build_component"]

#: Species fitted by default.
DEFAULT_SPECIES = ("CO2", "H2O", "CO")

#: Species whose line lists hold ortho and para levels, populated in the ratio
#: ``ortho_para`` (`comaspec.physics.fluorescence`): their components declare it.
SPIN_SPECIES = ("H2O",)


def species_covered(spans_um):
    """The species to fit when none are named: `DEFAULT_SPECIES` if the data cover a band of
    one of them, else every species (``linelists/bands.ecsv``) with a band centre in the data.

    Parameters
    ----------
    spans_um : sequence of (float, float)
        Wavelength range of each spectrum, µm.

    Returns
    -------
    tuple of str
        `DEFAULT_SPECIES` also when the data cover no band at all (the fit then says why).
    """
    mol = _molecules()

    def covered(species):
        return any(lo <= b.center_um <= hi for lo, hi in spans_um
                   for f in mol.features_of(species) for b in mol.bands_of(species, f))

    if any(covered(s) for s in DEFAULT_SPECIES):
        return DEFAULT_SPECIES
    return tuple(s for s in mol.SPECIES if covered(s)) or DEFAULT_SPECIES


def _molecules():
    from ..physics import molecules

    return molecules


def _band_profile(species, band, wavelength_um, T_rot, lsf, emission=DEFAULT_EMISSION,
                  ortho_para=DEFAULT_ORTHO_PARA):
    from ..physics.templates import band_profile

    return band_profile(species, band, wavelength_um, T_rot, lsf, ortho_para=ortho_para, emission=emission)


def feature_weights(species, geometry, aperture, assumptions=None):
    """`comaspec.production.FeatureWeights` of ``species`` under ``assumptions`` (`comaspec.Assumptions`)."""
    from ..physics.feature_weights import FeatureWeights

    return FeatureWeights.build(species, geometry, aperture, assumptions)


def band_weights(species, geometry, aperture, features=None, *, velocity=None, lifetime=None, g_factor=None,
                 assumptions=None):
    """Band flux per unit production rate, A_b, of every band of ``species``.

    Parameters
    ----------
    species : str
        Species name.
    geometry : `comaspec.Geometry`
    aperture : comaspec aperture
    features : sequence of str, optional
        Features to include (default: all of the species').
    velocity : Quantity, optional
        Expansion velocity (km/s); default the velocity law.
    lifetime, g_factor : Quantity or dict by species, optional
        Lifetime at 1 au; total g-factor at 1 au of the species' default feature (split over
        its bands in the tabulated proportions, as `comaspec.production.production_rate`).
    assumptions : `comaspec.Assumptions`, optional
        The same as one object (not with those keywords).

    Returns
    -------
    dict
        ``{(feature, band): A_b}`` in W m^-2 per (molecule/s); A_b is None for bands without
        a g-factor.
    """
    assumptions = Assumptions.from_keywords(assumptions, velocity=velocity, lifetime=lifetime, g_factor=g_factor)
    return feature_weights(species, geometry, aperture, assumptions).weights(features)


def unit_q_spectrum(species, wavelength_um, T_rot, lsf, geometry, aperture, *, shift_um=0.0,
                    features=None, velocity=None, lifetime=None, g_factor=None, emission=DEFAULT_EMISSION,
                    ortho_para=DEFAULT_ORTHO_PARA, assumptions=None):
    """Spectrum of one species for Q = 1 molecule/s: Σ_b A_b S_b(λ), W m^-2 µm^-1 per (1/s).

    Parameters
    ----------
    species : str
    wavelength_um : ndarray
        Pixel centres, µm.
    T_rot : float
        Rotational temperature, K.
    lsf : object
        Line-spread function (``integrate_lines``).
    geometry, aperture
        Observing geometry and aperture.
    shift_um : float
        Wavelength shift of the model (observed = rest + shift).
    features : sequence of str, optional
        Features to include (default all).
    velocity, lifetime, g_factor : optional
        Passed to `comaspec.production.flux_per_unit_Q`.
    emission : {"fluorescence", "thermal"}
        Emission model of the band templates.
    ortho_para : float
        H2O ortho/para ratio.
    assumptions : `comaspec.Assumptions`, optional
        ``velocity`` ... ``ortho_para`` as one object (not with those keywords).

    Returns
    -------
    ndarray
    """
    a = Assumptions.from_keywords(assumptions, velocity=velocity, lifetime=lifetime, g_factor=g_factor,
                                  emission=emission, ortho_para=ortho_para)
    wl = np.asarray(wavelength_um, dtype=float) - shift_um
    out = np.zeros_like(wl)
    for (_feature, band), weight in feature_weights(species, geometry, aperture, a).weights(features).items():
        if weight is None:
            raise InputError(f"{species} {band}", "has no published g-factor: pass g_factor= to model it")
        out += weight * _band_profile(species, band, wl, T_rot, lsf, a.emission, a.ortho_para)
    return out


def gas_spectrum(production_rates, wavelength_um, T_rot, lsf, geometry, aperture, *, shift_um=0.0,
                 velocity=None, lifetime=None, g_factor=None, emission=DEFAULT_EMISSION,
                 ortho_para=DEFAULT_ORTHO_PARA, assumptions=None):
    """Σ_X Q_X · (spectrum per unit Q of X), W m^-2 µm^-1.

    Parameters
    ----------
    production_rates : dict
        Species → Q in molecules/s (plain float or Quantity).
    wavelength_um : ndarray
    T_rot : float or dict
        One rotational temperature (K) or one per species.
    lsf, geometry, aperture, shift_um, velocity, lifetime, g_factor, emission, ortho_para, assumptions
        As in `unit_q_spectrum`.

    Returns
    -------
    ndarray
    """
    assumptions = Assumptions.from_keywords(assumptions, velocity=velocity, lifetime=lifetime, g_factor=g_factor,
                                            emission=emission, ortho_para=ortho_para)
    out = np.zeros(np.shape(wavelength_um))
    for species, q in production_rates.items():
        q = float(q.to_value("1/s")) if hasattr(q, "to_value") else float(q)
        t = T_rot[species] if isinstance(T_rot, dict) else T_rot
        out += q * unit_q_spectrum(species, wavelength_um, t, lsf, geometry, aperture, shift_um=shift_um,
                                   assumptions=assumptions)
    return out



@dataclass
class SpeciesComponent:
    """How one species enters the forward model of a set of spectra.

    Attributes
    ----------
    name : str
    covered : bool
        Whether a feature of the species is covered by fitted pixels.
    feature : str or None
        The reported feature (the first covered one, default first).
    phi : float or None
        Φ = Σ A_b over the reported feature (W m^-2 per molecule/s): Q = band flux / Φ;
        None when no g-factor is known (band flux only).
    terms : list of list of (str, float)
        Per spectrum: (band, weight relative to the reported feature's flux).
    covered_features : list of str
    notes : list of str
    why_not_covered : str or None
        For the user, when ``covered`` is False.
    origin_bands : dict
        Bands whose origin is uncertain enough to be fitted: band → centre (µm).
    origin_bound_cm : float
        Bound of the species' band-origin offset, cm^-1 (0: not fitted).
    weights : `comaspec.production.FeatureWeights` or None
        The flux ↔ Q object of the reference spectrum's aperture (None without geometry).
    spin : bool
        Whether the species has ortho and para levels (`SPIN_SPECIES`).
    """

    name: str
    covered: bool = False
    feature: str | None = None
    phi: float | None = None
    terms: list = field(default_factory=list)
    covered_features: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    why_not_covered: str | None = None
    origin_bands: dict = field(default_factory=dict)
    origin_bound_cm: float = 0.0
    weights: object = None
    spin: bool = False

    def parameters(self):
        """The nonlinear parameters this species declares (`comaspec.model.parameters`).

        Returns
        -------
        list of `comaspec.model.ParameterHint`
            ``T_rot_<name>``; ``origin_<name>`` when its band origin is uncertain;
            ``ortho_para`` when it has spin species.
        """
        return species_hints(self.name, self.origin_bound_cm, self.spin)

    def column(self, i, wavelength_um, lsf, T_rot, shift_um, origin_cm=0.0, ortho_para=DEFAULT_ORTHO_PARA,
               emission=DEFAULT_EMISSION):
        """Spectrum per unit band flux (µm^-1) on ``wavelength_um`` of spectrum i.

        ``origin_cm`` offsets the origin (cm^-1) of the bands in `origin_bands`.
        """
        from ..physics.instrument import make_lsf, pixel_edges
        from ..physics.templates import _band_profile_on_edges

        out = np.zeros(np.shape(wavelength_um))
        wl = np.asarray(wavelength_um, dtype=float) - shift_um
        if not hasattr(lsf, "integrate_lines"):
            lsf = make_lsf(lsf)
        edges = None
        for band, weight in self.terms[i]:
            centre = self.origin_bands.get(band)
            if not origin_cm or centre is None:
                band_edges = edges = pixel_edges(wl) if edges is None else edges   # shared by the bands
            else:
                # nu -> nu + d moves the band by d lambda = -lambda^2 d / 1e4 (um, cm^-1)
                band_edges = pixel_edges(wl + centre * centre * origin_cm / 1e4)
            out += weight * _band_profile_on_edges(self.name, band, band_edges, T_rot, lsf, ortho_para, emission)
        return out


def build_component(name, coverage, geometry, apertures, assumptions=None):
    """The `SpeciesComponent` of species ``name`` for spectra with this `Coverage`.

    Every band of the species is modelled in every spectrum, tied by its A_b: a band outside
    the data adds nothing, and the wings of a band next to a covered range (e.g. the 2.7 µm
    complex at the blue end of G395H) are then accounted for. Without geometry the bands keep
    their relative strengths A_b ∝ g_b / λ_b (same molecules, same distance). ``assumptions``
    (`comaspec.Assumptions`) states the velocity, lifetimes and g-factors.
    """
    mol = _molecules()
    comp = SpeciesComponent(name, spin=name in SPIN_SPECIES)
    n_spectra = len(coverage.spectra)
    cov_by_spec = [[f for f in mol.features_of(name)
                    if all(coverage.covers(i, b.center_um) for b in mol.bands_of(name, f))]
                   for i in range(n_spectra)]
    covered = [f for f in mol.features_of(name) if any(f in c for c in cov_by_spec)]
    if not covered:
        comp.why_not_covered = coverage.why_not_covered(name, mol)
        return comp
    comp.covered = True
    comp.covered_features = covered
    comp.feature = covered[0]  # features_of lists the default first
    from ..physics.templates import approximation

    for band in sorted({b.band for f in covered for b in mol.bands_of(name, f)}):
        note = approximation(name, band)
        if note:
            comp.notes.append(f"{name} {band}: approximate template ({note})")
    uncertain = [b for f in mol.features_of(name) for b in mol.bands_of(name, f)
                 if np.isfinite(b.center_err_cm) and b.center_err_cm > 0]
    comp.origin_bands = {b.band: b.center_um for b in uncertain}
    comp.origin_bound_cm = max((b.center_err_cm for b in uncertain), default=0.0)
    if geometry is None:
        return _flux_only(comp, n_spectra, mol)
    ref = next(i for i, c in enumerate(cov_by_spec) if comp.feature in c)
    by_aperture, per_spectrum = {}, []
    for ap in apertures:
        key = setup_cache.aperture_key(ap, geometry)   # both kept for the next model of these inputs
        if key not in by_aperture:
            by_aperture[key] = setup_cache.feature_weights(feature_weights, name, geometry, ap,
                                                           assumptions=assumptions)
        per_spectrum.append(by_aperture[key])
    comp.weights = per_spectrum[ref]
    weights = [setup_cache.band_weights(fw) for fw in per_spectrum]
    rep = [a for (f, _b), a in weights[ref].items() if f == comp.feature]
    if all(a is not None for a in rep):
        comp.phi = float(sum(rep))
    if comp.phi is None:
        if len(weights[ref]) > 1 or any(a is not None for a in weights[ref].values()):
            raise InputError(name, "some bands have g-factors and others not: pass g_factor= for all")
        comp.notes.append(f"{name}: no published g-factor; fitted as a band flux only (no Q)")
        for w in weights:
            comp.terms.append([(b, 1.0) for (_f, b) in w])
        if sum(1 for c in cov_by_spec if c) > 1:
            comp.notes.append(f"{name}: the same band flux is assumed in every spectrum")
    else:
        for w in weights:
            comp.terms.append([(b, a / comp.phi) for (_f, b), a in w.items()])
    return comp


def _flux_only(comp, n_spectra, mol):
    """No geometry: band fluxes only, the bands tied by A_b ∝ g_b h c / λ_b."""
    rel = {}
    for feature in mol.features_of(comp.name):
        for b in mol.bands_of(comp.name, feature):
            rel[(feature, b.band)] = b.g_1au / b.center_um
    rep = [a for (f, _b), a in rel.items() if f == comp.feature]
    if len(rel) > 1 and not all(np.isfinite(a) for a in rel.values()):
        raise InputError(comp.name, "some bands have no g-factor: their relative strengths are unknown")
    norm = float(sum(rep)) if len(rel) > 1 else None
    for _ in range(n_spectra):
        comp.terms.append([(b, (a / norm if norm else 1.0)) for (_f, b), a in rel.items()])
    comp.notes.append(f"{comp.name}: no geometry given, band flux only (no Q)")
    return comp
