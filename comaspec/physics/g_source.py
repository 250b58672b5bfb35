"""Which band g-factors turn band fluxes into production rates: published or computed.

``"published"`` (the default): the band g-factors of ``linelists/bands.ecsv`` (Ootsubo et
al. 2012 for CO2, H2O and CO). ``"computed"``: the fluorescence model's band g-factors
(`comaspec.physics.fluorescence.band_g_factor`) at the fitted rotational temperature and
H2O ortho/para ratio, pumped by the same sunlight as the fitted templates (solar spectrum
and heliocentric radial velocity, `comaspec.physics.templates.Emission`). The docs compare
the two for every band (:doc:`emission`).
"""

from __future__ import annotations

import math
from dataclasses import replace

from ..errors import InputError

__all__ = ["G_SOURCES", "DEFAULT_G_SOURCE", "check_g_source", "computed_g", "with_computed_g"]

#: Where the g-factors of production rates come from.
G_SOURCES = ("published", "computed")
#: The default: the published band g-factors, as before issue #19.
DEFAULT_G_SOURCE = "published"


def check_g_source(g_source):
    """``g_source`` if it is one of `G_SOURCES`, else InputError naming the choices."""
    if g_source not in G_SOURCES:
        raise InputError("g_source", f"must be one of {', '.join(G_SOURCES)}, got {g_source!r}")
    return g_source


def computed_g(species, band, T_rot, ortho_para, emission):
    """The fluorescence model's g-factor of one band at 1 au, 1/s (a float).

    Parameters
    ----------
    species, band : str
        As in ``linelists/bands.ecsv``.
    T_rot : float
        Rotational temperature, K.
    ortho_para : float
        H2O ortho/para ratio (ignored for other species).
    emission : `comaspec.physics.templates.Emission`
        Its solar spectrum and rdot pump the lines.

    Returns
    -------
    float

    Raises
    ------
    comaspec.InputError
        The band has no absolute Einstein A (OCS): no g-factor can be computed.
    """
    from .fluorescence import band_g_factor

    return float(band_g_factor(species, band, T_rot, ortho_para=ortho_para, solar=emission.solar,
                               rdot=emission.rdot_km_s).to_value("1/s"))


def with_computed_g(weights, T_rot, ortho_para, emission):
    """A `comaspec.production.FeatureWeights` whose band g-factors are the computed ones.

    Parameters
    ----------
    weights : `comaspec.production.FeatureWeights`
        The published (or stated) flux ↔ Q object; its Haser part (N/Q, lifetime,
        velocity) is kept.
    T_rot, ortho_para, emission
        As in `computed_g`.

    Returns
    -------
    FeatureWeights
        ``g_1au`` computed for every band that has a g-factor; ``g_sources`` say
        ``"computed (...)"`` with the temperature and the sunlight.

    Raises
    ------
    comaspec.InputError
        A band with a g-factor whose g cannot be computed (no absolute Einstein A).
    """
    sun = emission.solar + (f" at rdot {emission.rdot_km_s:g} km/s" if emission.solar != "e490" else "")
    label = f"computed (fluorescence model, T_rot {T_rot:.1f} K, {sun})"
    g, sources = dict(weights.g_1au), dict(weights.g_sources)
    for band, value in weights.g_1au.items():
        if math.isfinite(value):
            g[band] = computed_g(weights.species, band, T_rot, ortho_para, emission)
            sources[band] = label
    return replace(weights, g_1au=g, g_sources=sources)
