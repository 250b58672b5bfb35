"""The g-factors of a fit's production rates (``g_source``) and their record in the output.

With ``g_source="computed"`` the fluorescence model's band g-factors at the fitted T_rot
(and H2O ortho/para ratio), pumped by the model's sunlight, replace the published ones in
each species' flux ↔ Q object after the fit: Q = F / Φ with Φ from the computed g. The
band fluxes and the templates (their band mix included) are those of the fit.
"""

from __future__ import annotations

import copy
from dataclasses import replace

__all__ = ["with_chosen_g", "record_g"]


def with_chosen_g(solution):
    """``solution`` with every species' Φ from the g-factors of ``options.g_source``.

    Parameters
    ----------
    solution : `comaspec.fit.FitSolution`

    Returns
    -------
    FitSolution
        Unchanged for ``"published"``; else a copy whose model (a shallow copy) holds
        species components with computed g-factors.
    """
    if solution.options.g_source != "computed":
        return solution
    from ..physics.g_source import with_computed_g

    model, state = solution.model, solution.state
    species = dict(model.species)
    for name in model.fitted_species:
        comp = species[name]
        if comp.weights is None or comp.phi is None:
            continue
        fw = with_computed_g(comp.weights, float(state.T_rot[name]), float(state.ortho_para), model.emission)
        species[name] = replace(comp, weights=fw, phi=fw.flux_per_q(comp.feature))
    model = copy.copy(model)
    model.species = species
    return replace(solution, model=model)


def record_g(fit, solution):
    """Write the sunlight and the g-factors used into ``fit`` (its JSON) and return it.

    ``fit_info``: ``emission``, ``solar_spectrum``, ``solar_rdot_km_s``, ``g_source``. Each
    species with a Q: ``extra["g_source"]`` and ``extra["band_g_factors_1au_per_s"]`` (band →
    g of the reported feature's bands).
    """
    model, options = solution.model, solution.options
    fit.fit_info.update(model.emission.describe())
    fit.fit_info["g_source"] = options.g_source
    geometry = model.geometry
    if model.emission.solar == "meftah2023" and model.emission.model == "fluorescence" and (
            geometry is None or geometry.rdot is None):
        fit.fit_info.setdefault("notes", []).append(
            "the heliocentric radial velocity is not given (rdot): the solar lines are taken at rest (0 km/s)")
    from ..physics import molecules

    for name in model.fitted_species:
        comp, result = model.species[name], fit.species.get(name)
        if comp.weights is None or comp.phi is None or result is None:
            continue
        result.extra["g_source"] = options.g_source
        result.extra["band_g_factors_1au_per_s"] = {
            b.band: comp.weights.g_1au[b.band] for b in molecules.bands_of(name, comp.feature)}
    return fit
