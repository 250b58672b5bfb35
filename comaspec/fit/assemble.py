"""Turn a `comaspec.fit.FitSolution` into a `comaspec.results.ComaFit`.

Band flux → Q with each species' flux ↔ Q object (`comaspec.production.FeatureWeights`):
Q = F / Φ, its systematic error from the same object's sensitivities, and the assumptions
(g, lifetime, velocity and their sources) it used.
"""

from __future__ import annotations

import math

import numpy as np

from .problem import origin_name

__all__ = ["coma_fit_from_solution"]


def _assumptions(comp, geometry):
    """g (1 au, over the reported feature), lifetime (1 au) and velocity used for Q, and sources."""
    fw = comp.weights
    if geometry is None or fw is None:
        return {"g": None, "tau": None, "v": None, "sources": {}}
    from ..model import setup_cache

    # kept with the flux <-> Q object (frozen, shared by the models of the same inputs): the
    # unit conversions are the same for every fit of them
    kept = setup_cache.kept_with(fw, ("assumptions", comp.feature), lambda: _assumptions_of(fw, comp.feature))
    return dict(kept, sources=dict(kept["sources"]))


def _assumptions_of(fw, feature):
    """`_assumptions` of a `FeatureWeights` and the reported feature."""
    import astropy.units as u

    out = {"g": None, "tau": None, "v": None, "sources": {}}
    g = fw.g_total_1au(feature)
    if math.isfinite(g):
        out["g"] = g
        out["sources"]["g_factor_source"] = ", ".join(fw.sources(feature))
    if fw.assumptions is not None:
        h = fw.assumptions
        out["tau"] = float(h.lifetime_1au.to_value(u.s))
        out["v"] = float(h.velocity.to_value(u.km / u.s))
        out["sources"].update(lifetime_source=h.lifetime_source, velocity_source=h.velocity_source)
    return out


def _systematic_error(comp, flux, err, systematics, detect_sigma):
    """Q_sys for stated relative errors of g, lifetime, velocity (None without, or without Q).

    Scaled from |Q| for a detection and from the upper limit otherwise, with Q = F / Φ of the
    same flux ↔ Q object that gives the reported Q.
    """
    if not systematics or comp.phi is None:
        return None
    from ..physics.production import _rel

    rel = {k: _rel(systematics.get(k), f"systematics[{k!r}]") for k in ("g_factor", "lifetime", "velocity")}
    detected = err > 0 and flux / err >= detect_sigma
    q_scale = abs(flux) / comp.phi if detected else (max(flux, 0.0) + detect_sigma * err) / comp.phi
    return float(q_scale * comp.weights.relative_systematic(rel))


def _elasticities(comp, assumptions, geometry):
    """d ln Q / d ln x for x = g_factor, lifetime, velocity (None without the Haser assumptions)."""
    if geometry is None or None in (assumptions["g"], assumptions["tau"], assumptions["v"]):
        return None
    from ..model import setup_cache

    return setup_cache.sensitivities(comp.weights)


def _components(solution):
    """Per spectrum: data, model, continuum and species components on every pixel (for plots)."""
    from ..results.core import SpectrumComponents

    model, lin = solution.model, solution.linear
    fitted = model.fitted_species
    n_sp = len(fitted)
    blocks = solution.state.design(model, pixels="all")
    out = []
    for i, (sp, block) in enumerate(zip(model.spectra, blocks)):
        cont = block[:, n_sp:] @ lin[n_sp:]
        cont = np.where(model.continuum.defined(model.coverage, i, sp.wavelength_um), cont, np.nan)
        comps = {s: block[:, j] * lin[j] for j, s in enumerate(fitted) if model.species[s].terms[i]}
        total = cont + sum(comps.values()) if comps else cont
        out.append(SpectrumComponents(
            label=sp.label, mode=sp.mode, wavelength_um=sp.wavelength_um, flux=sp.flux, error=sp.error,
            used=model.used[i], good=sp.good, model=total, continuum=cont, species=comps,
            windows=[(w.name, w.lo_um, w.hi_um) for w, _ in model.win_pix[i]]))
    return out


def coma_fit_from_solution(solution):
    """The `ComaFit` of a `FitSolution`: band fluxes to Q, the assumptions and the elasticities of Q
    (stored here, at fit time, so that writing a result never recomputes physics)."""
    from ..results.core import ComaFit

    model, options = solution.model, solution.options
    geometry = model.geometry
    fitted = model.fitted_species
    species = {name: _species_result(solution, name, comp) for name, comp in model.species.items()}
    q_names, q_vals, q_cov, q_samples = _production_rates(solution)
    notes = solution.notes
    inputs = _with_cube_centres(_inputs(options, model.spectra), model.spectra, notes)
    fit_info = _fit_info(solution)
    aperture = _reference_aperture(model, notes)
    fit_info["error_inflation"] = solution.inflation
    if solution.sampling is not None:
        fit_info["mcmc"] = solution.sampling
    fit_info.update(model.emission.describe())
    if "H2O" in fitted:
        fit_info.update(_ortho_para_info(solution))
    return ComaFit(species, q_names, q_vals, q_cov, geometry=geometry, aperture=aperture, inputs=inputs,
                   fit_info=fit_info, components=_components(solution), q_samples=q_samples,
                   sample_method=solution.sample_method, params=solution.result.params)


def _species_result(solution, name, comp):
    """The `SpeciesResult` of one species: not covered, or its band flux, Q and their errors."""
    from ..results.core import SpeciesResult

    model, options = solution.model, solution.options
    if not comp.covered:
        return SpeciesResult(name, False, detect_sigma=options.detect_sigma, limit_sigma=options.limit_sigma,
                             extra={"not_covered_because": comp.why_not_covered})
    j = model.fitted_species.index(name)
    flux, err = float(solution.linear[j]), float(math.sqrt(solution.linear_cov[j, j]))
    phi = comp.phi
    a = _assumptions(comp, model.geometry)
    extra = {"features_fitted": list(comp.covered_features), **a["sources"]}
    samples = solution.band_flux_samples
    if samples is not None:
        extra["band_flux_err_samples_W_m2"] = float(np.std(samples[:, j], ddof=1))
        if phi:
            extra["Q_err_samples_per_s"] = float(np.std(samples[:, j], ddof=1) / phi)
    extra.update(_nonlinear_extras(solution, name))
    return SpeciesResult(
        name, True, comp.feature, flux, err,
        Q=None if phi is None else flux / phi, Q_err=None if phi is None else err / phi,
        detect_sigma=options.detect_sigma, limit_sigma=options.limit_sigma,
        g_factor_1au=a["g"], lifetime_1au=a["tau"], velocity_km_s=a["v"], T_rot=float(solution.state.T_rot[name]),
        Q_sys=_systematic_error(comp, flux, err, options.systematics, options.detect_sigma), extra=extra,
        elasticities=_elasticities(comp, a, model.geometry))


def _nonlinear_extras(solution, name):
    """A species' fitted T_rot error and band-origin offset (with its error), where fitted."""
    extra = {}
    name_T = solution.problem.T_names.get(name)
    if name_T and solution.nonlinear_err.get(name_T) is not None:
        extra["T_rot_err_K"] = float(solution.nonlinear_err[name_T])
    extra["T_rot_fitted"] = bool(name_T)
    origins = solution.state.origins
    if name in origins:
        extra["band_origin_offset_cm"] = float(origins[name])
        if solution.nonlinear_err.get(origin_name(name)) is not None:
            extra["band_origin_offset_err_cm"] = float(solution.nonlinear_err[origin_name(name)])
    return extra


def _production_rates(solution):
    """(names, Q, covariance of Q, Monte Carlo samples of Q or None) of the species with a flux ↔ Q
    factor, from the band fluxes: Q = F / Φ."""
    model = solution.model
    fitted = model.fitted_species
    n_sp = len(fitted)
    f_vals = solution.linear[:n_sp]
    f_cov = solution.linear_cov[:n_sp, :n_sp]
    samples = solution.band_flux_samples
    q_names = [s for s in fitted if model.species[s].phi is not None]
    qi = [fitted.index(s) for s in q_names]
    phis = np.array([model.species[s].phi for s in q_names], dtype=float)
    q_vals = f_vals[qi] / phis
    q_cov = f_cov[np.ix_(qi, qi)] / np.outer(phis, phis)
    q_samples = None if samples is None else samples[:, qi] / phis
    return q_names, q_vals, q_cov, q_samples


def _inputs(options, spectra):
    """The inputs the caller stated, or those the spectra say: paths, instrument, mode(s), target."""
    if options.inputs is not None:
        return options.inputs
    first = spectra[0]
    return {"paths": [sp.meta.get("source_file", sp.label) for sp in spectra],
            "instrument": first.meta.get("instrument"),
            "mode": "+".join(dict.fromkeys(sp.mode or "?" for sp in spectra)),
            "target": first.meta.get("target")}


def _fit_info(solution):
    """How the fit went: chi-square, sizes, method, thresholds, windows, continuum, shifts, notes."""
    model, options, result = solution.model, solution.options, solution.result
    fit_info = {
        "chi2": solution.chi2, "dof": solution.dof, "n_points": model.n_points, "n_params": int(result.nvarys),
        "covariance_scaled": bool(options.scale_covar),
        "method": "lmfit leastsq (Levenberg-Marquardt), weights 1/sigma",
        "detect_sigma": options.detect_sigma, "limit_sigma": options.limit_sigma,
        "windows": [[w.name, w.lo_um, w.hi_um, w.degree] for w in model.windows],
        "continuum": model.continuum.name,
        "wavelength_shift_um": [float(s) for s in solution.state.shifts],
        "nfev": int(result.nfev), "notes": solution.notes, "systematics": dict(options.systematics or {}),
    }
    fit_info.update(model.continuum.info(solution.state.shape))
    return fit_info


def _reference_aperture(model, notes):
    """The first spectrum's aperture, the reference of the band fluxes (None without a geometry);
    a note when the spectra's apertures differ."""
    apertures = model.apertures
    aperture = apertures[0] if model.geometry is not None else None
    if aperture is not None and any(a.describe() != aperture.describe() for a in apertures[1:]):
        notes.append("the spectra have different apertures; band fluxes refer to the first one")
    return aperture


def _ortho_para_info(solution):
    """H2O's ortho/para ratio, whether fitted and its error; a note when it ran to a bound."""
    from .problem import OPR_BOUNDS

    fit_opr = solution.problem.fit_opr
    opr = solution.state.ortho_para
    info = {"ortho_para": float(opr), "ortho_para_fitted": bool(fit_opr),
            "ortho_para_err": solution.nonlinear_err.get("ortho_para") if fit_opr else None}
    if fit_opr and min(abs(opr - OPR_BOUNDS[0]), abs(opr - OPR_BOUNDS[1])) < 1e-3:
        solution.notes.append(f"ortho_para ran to its bound ({opr:.2f}): the H2O lines do not constrain it at "
                              "this resolution and SNR; fix it (ortho_para=3)")
    return info


def _with_cube_centres(inputs, spectra, notes):
    """``inputs`` plus ``cube_centres``: for each spectrum extracted from a cube, where the
    nucleus and the aperture were and how the nucleus was found; the search's notes join the
    fit's (a weak continuum, gas and dust centres that disagree)."""
    centres = []
    for sp in spectra:
        search = sp.meta.get("nucleus_search")
        if sp.meta.get("nucleus_pix") is None or search is None:
            continue
        nucleus, centre = sp.meta["nucleus_pix"], sp.meta["center_pix"]
        centres.append({"file": str(sp.meta.get("source_file", "")),
                        "nucleus_pix": [round(float(v), 3) for v in nucleus],
                        "aperture_center_pix": [round(float(v), 3) for v in centre],
                        "aperture_offset_pix": [round(float(c - n), 3) for c, n in zip(centre, nucleus)],
                        **{k: v for k, v in search.items() if k != "notes"}})
        notes.extend(n for n in search.get("notes", []) if n not in notes)
    return dict(inputs, cube_centres=centres) if centres else inputs
