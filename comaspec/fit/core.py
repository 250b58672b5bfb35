"""Fit the forward model to one or several spectra of a coma: `fit_coma`.

The model (:mod:`comaspec.model`) is linear in the band fluxes and the continuum amplitudes
once the rotational temperature, the wavelength shift and the continuum shape are fixed.
The fit therefore runs in two steps:

1. a weighted linear least-squares solve (`linear_solve`) at starting values of the
   nonlinear parameters (a coarse T_rot grid when T_rot is free) gives starting values;
2. lmfit (Levenberg–Marquardt) fits everything together with weights 1/σ from the data.
   The covariance is *not* rescaled by the reduced χ² unless ``scale_covar=True``; the
   output says which (``fit.fit_info["covariance_scaled"]``).

Several spectra of the same coma (e.g. G235H + G395H) are fitted jointly: they share the
production rates (the band flux of each spectrum follows from its own aperture), the
rotational temperature, and have their own continuum and wavelength shift.

Optional error estimates (`comaspec._samplers`): ``mc=N`` refits N noise realisations of
the best-fit model; ``mcmc=True`` samples the nonlinear parameters with emcee (optional extra
``mcmc``), the amplitudes marginalised analytically.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from .linear import LinearSolution, _chi2_only, linear_solve
from .misfit import inflate_errors, window_groups
from .observed import _as_list, as_observed
from .problem import NonlinearState, Problem, origin_name
from .._ranges import DEFAULT_TROT_BOUNDS_K
from ..errors import FitError, InputError, UsageError
from ..physics.assumptions import Assumptions
from ..physics.fluorescence import check_temperature
from ..physics.g_source import DEFAULT_G_SOURCE, check_g_source
from ..physics.solar import DEFAULT_SOLAR
from ..model import DEFAULT_EMISSION, DEFAULT_ORTHO_PARA, DEFAULT_SPECIES, ForwardModel
from ..model.columns import sharing_columns
from ..model.parameters import ORTHO_PARA, SHARED_T_ROT, T_ROT_START_K, ParameterHint, shift_name, t_rot_name

__all__ = ["fit_coma", "fit_model", "FitOptions", "FitSolution", "linear_solve", "LinearSolution", "as_observed",
           "DEFAULT_TROT_BOUNDS_K"]

#: Starting grid of T_rot (K) searched with the linear solve when T_rot is free.
_TROT_GRID_K = (15.0, 25.0, 40.0, 65.0, 100.0, 160.0)


# --------------------------------------------------------------------------- fitting
def fit_coma(spectrum_or_list, geometry, aperture, species=DEFAULT_SPECIES, *, T_rot=None,
             per_species_T_rot=False, T_rot_bounds=DEFAULT_TROT_BOUNDS_K, fit_shift=True, max_shift_um=None,
             windows=None, continuum="polynomial", velocity=None, lifetime=None, g_factor=None, lsf=None,
             scale_covar=False, detect_sigma=3.0, limit_sigma=3.0, mc=0, mcmc=False, mcmc_steps=20000,
             mcmc_burn=200, mcmc_walkers=None, seed=None, systematics=None, inputs=None,
             emission=DEFAULT_EMISSION, ortho_para=DEFAULT_ORTHO_PARA, solar=DEFAULT_SOLAR,
             g_source=DEFAULT_G_SOURCE, assumptions=None):
    """Fit continuum + molecular bands to spectra of a coma; production rates and ratios.

    Parameters
    ----------
    spectrum_or_list : specutils.Spectrum, SpectrumList or list
        One or several spectra of one coma (flux density with uncertainties). Several are
        fitted jointly with shared production rates.
    geometry : `comaspec.Geometry`, dict or None
        Heliocentric and observer distances (phase optional). None: band fluxes only, no
        production rates (e.g. laboratory spectra).
    aperture : comaspec aperture or list of apertures
        The extraction aperture (one per spectrum, or one for all); ignored without geometry.
    species : sequence of str
        Species to fit (default CO2, H2O, CO). Species whose bands are not in the data
        are reported as not covered.
    T_rot : float, Quantity or dict, optional
        Fix the rotational temperature (K; one value or one per species). Default: fitted,
        one T_rot shared by all species.
    per_species_T_rot : bool
        Fit one T_rot per species instead of a shared one (when ``T_rot`` is None).
    T_rot_bounds : (float, float)
        Allowed range of a fitted T_rot, K.
    fit_shift : bool
        Fit a wavelength shift per spectrum (bounded by ``max_shift_um``, default half the
        median resolution element).
    windows : sequence of `comaspec.model.Window`, optional
        Continuum windows (default `comaspec.model.default_windows` of ``species``, whose
        polynomial degrees are raised where the data decisively ask for it: see
        `comaspec.fit.continuum_choice`; given windows keep their degrees).
    continuum : {"polynomial", "physical"}
        Polynomials per window, or scattered sunlight with a slope + dust thermal emission.
    velocity : Quantity, optional
        Gas expansion velocity (km/s), shared by all species; default the velocity law at rh.
    lifetime, g_factor : Quantity or dict, optional
        Override the lifetime at 1 au, or the total g-factor at 1 au of the species' default
        feature (split over its bands in the tabulated proportions, as
        `comaspec.production.production_rate`); one value for all species or a dict by species.
    lsf : optional
        LSF, mode name or resolving power for every spectrum (default: from the metadata).
    scale_covar : bool
        Rescale the covariance by the reduced χ² (default False: uncertainties from σ).
    detect_sigma, limit_sigma : float
        Detection threshold and significance of upper limits. A detected species whose
        tabulated band origin is uncertain (``center_err_cm`` in ``linelists/bands.ecsv``;
        OCS) also has that origin fitted within its uncertainty (a second minimisation).
    mc : int
        Refit this many noise realisations of the best-fit model; the ratio interval and the
        ``*_mc`` errors then come from these refits.
    mcmc : bool
        Sample the posterior with emcee (needs the ``mcmc`` extra): T_rot, shifts and the
        other nonlinear parameters, the amplitudes marginalised analytically (flat priors).
    mcmc_steps, mcmc_burn, mcmc_walkers : int
        Most steps of the chain (it stops earlier once longer than 50 autocorrelation
        times), fewest steps discarded as burn-in (at least 3 τ are), walkers (default
        max(4 d, 16) for d nonlinear parameters).
    seed : int, optional
        Seed for MC noise and MCMC.
    systematics : dict, optional
        Relative 1σ errors of the model assumptions, keys ``g_factor``, ``lifetime``,
        ``velocity`` (e.g. ``{"g_factor": 0.1}``): each species' ``Q_sys`` is then computed by
        `comaspec.production.production_rate`. Default: no systematic error claimed.
    inputs : dict, optional
        ``paths``/``instrument``/``mode``/``target`` for the output (default: from metadata).
    emission : {"fluorescence", "thermal"} or Emission
        Emission model of the band templates: solar-pumped fluorescence equilibrium from a
        thermal ground state (default), or a thermal upper state (the pre-0.2 model, kept for
        comparison); see :doc:`emission`. A `comaspec.physics.templates.Emission` also names
        its sunlight (then ``solar`` and ``geometry.rdot`` are not used for the templates).
    ortho_para : float or "fit"
        H2O ortho/para ratio of the templates (default 3), or ``"fit"`` to fit it (within
        `OPR_BOUNDS`) when H2O is fitted; its value and error are in
        ``fit.fit_info["ortho_para"]`` / ``["ortho_para_err"]``.
    solar : {"e490", "meftah2023"}
        Solar spectrum that pumps the fluorescence templates (and the computed g-factors):
        the smooth E490 continuum (default) or Meftah et al. 2023 seen at ``geometry.rdot``
        (the Swings effect, :ref:`swings`).
    g_source : {"published", "computed"}
        Band g-factors of the production rates: the published ones (default) or the
        fluorescence model's at the fitted T_rot with the same sunlight
        (`comaspec.physics.g_source`); the JSON records which, per band.
    assumptions : `comaspec.Assumptions`, optional
        ``velocity``, ``lifetime``, ``g_factor``, ``emission`` and ``ortho_para`` as one object
        (not with those keywords).

    Returns
    -------
    `comaspec.results.ComaFit`

    Raises
    ------
    FitError
        Too few usable pixels, no band covered, or a fit that cannot be computed.
    InputError
        Unusable input (no uncertainties, unknown mode, bad geometry).
    """
    from .arguments import fit_coma_arguments
    from ..geometry import Geometry

    fit_coma_arguments(locals())  # types, units and ranges of every argument, before any work
    assumptions = Assumptions.from_keywords(assumptions, velocity=velocity, lifetime=lifetime, g_factor=g_factor,
                                            emission=emission, ortho_para=ortho_para)
    spectra = [as_observed(s, lsf=lsf) for s in _as_list(spectrum_or_list)]
    if not spectra:
        raise InputError("spectrum", "no spectrum given")
    apertures = list(aperture) if isinstance(aperture, (list, tuple)) else [aperture] * len(spectra)
    if geometry is not None:
        geometry = Geometry.from_any(geometry)
        if len(apertures) != len(spectra) or any(a is None for a in apertures):
            raise UsageError("give one aperture, or one per spectrum (production rates need the aperture)")
    species = [species] if isinstance(species, str) else list(species)
    # the templates' Emission: the stated model pumped by the sunlight at the geometry's rdot
    assumptions = assumptions.replace(emission=_emission(assumptions.emission, solar, geometry,
                                                         check_g_source(g_source), assumptions.g_factor))
    options = FitOptions(T_rot=T_rot, per_species_T_rot=per_species_T_rot, T_rot_bounds=T_rot_bounds,
                         fit_shift=fit_shift, max_shift_um=max_shift_um, scale_covar=scale_covar,
                         detect_sigma=detect_sigma, limit_sigma=limit_sigma, mc=mc, mcmc=mcmc,
                         mcmc_steps=mcmc_steps, mcmc_burn=mcmc_burn, mcmc_walkers=mcmc_walkers, seed=seed,
                         systematics=systematics, inputs=inputs, assumptions=assumptions, g_source=g_source)
    options.check()
    def build(windows, continuum=continuum):
        return ForwardModel(spectra, species, geometry, apertures, windows=windows, continuum=continuum,
                            assumptions=assumptions)

    model = build(windows)
    if windows is not None or continuum != "polynomial":
        return fit_model(model, options)
    from .continuum_choice import fit_with_chosen_degrees

    return fit_with_chosen_degrees(model, options, build, fit_model)  # the default windows' degrees from the data


def _emission(emission, solar, geometry, g_source, g_factor):
    """The templates' `Emission` (sunlight at the geometry's rdot); refuses stated g with computed g."""
    from ..physics.templates import emission_model

    if g_source == "computed" and g_factor is not None:
        raise UsageError("g_factor states the g-factors: it excludes g_source='computed'")
    return emission_model(emission, solar, None if geometry is None else geometry.rdot)


@dataclass(frozen=True)
class FitOptions:
    """How `fit_model` fits a `ForwardModel` (everything of `fit_coma` that is not the model).

    Attributes
    ----------
    T_rot : float, Quantity, dict or None
        Fixed rotational temperature(s), K; None: fitted.
    per_species_T_rot : bool
        One fitted T_rot per species instead of a shared one.
    T_rot_bounds : (float, float)
        Range of a fitted T_rot, K.
    fit_shift : bool
        Fit a wavelength shift per spectrum.
    max_shift_um : float or None
        Bound of the shift (default half the median resolution element of each spectrum).
    scale_covar : bool
        Rescale the covariance by the reduced χ².
    detect_sigma, limit_sigma : float
        Detection threshold and significance of upper limits.
    mc : int
        Noise refits for the errors (0: none).
    mcmc : bool
        Sample the posterior with emcee.
    mcmc_steps, mcmc_burn, mcmc_walkers : int
        Most steps, fewest burn-in steps and walkers of the chain (see `fit_coma`).
    seed : int or None
        Seed of MC noise and MCMC.
    systematics : dict or None
        Relative 1σ errors of ``g_factor``, ``lifetime``, ``velocity``.
    inputs : dict or None
        ``paths``/``instrument``/``mode``/``target`` for the output.
    assumptions : `comaspec.Assumptions`
        The physics assumptions; the model's (`ForwardModel.assumptions`) where ``fit_coma``
        builds it.
    ortho_para : float, "fit" or None
        H2O ortho/para ratio, or ``"fit"``: ``assumptions.ortho_para`` (a value other than
        the default given here replaces a default one there).
    g_source : {"published", "computed"}
        Band g-factors of the production rates (`comaspec.physics.g_source`).
    """

    T_rot: object = None
    per_species_T_rot: bool = False
    T_rot_bounds: tuple = DEFAULT_TROT_BOUNDS_K
    fit_shift: bool = True
    max_shift_um: float | None = None
    scale_covar: bool = False
    detect_sigma: float = 3.0
    limit_sigma: float = 3.0
    mc: int = 0
    mcmc: bool = False
    mcmc_steps: int = 20000
    mcmc_burn: int = 200
    mcmc_walkers: int | None = None
    seed: int | None = None
    systematics: dict | None = None
    inputs: dict | None = None
    assumptions: Assumptions = field(default_factory=Assumptions)
    ortho_para: object = None
    g_source: str = DEFAULT_G_SOURCE

    def __post_init__(self):
        # ortho_para= is a facade of assumptions.ortho_para: one value, said once (a default
        # one, e.g. re-passed by dataclasses.replace, is not a second statement)
        stated = self.assumptions
        if self.ortho_para is not None and self.ortho_para != DEFAULT_ORTHO_PARA:
            if stated.ortho_para not in (DEFAULT_ORTHO_PARA, self.ortho_para):
                raise UsageError("give the H2O ortho/para ratio once: in assumptions= or ortho_para=, not both")
            stated = stated.replace(ortho_para=self.ortho_para)
        object.__setattr__(self, "assumptions", stated)
        object.__setattr__(self, "ortho_para", stated.ortho_para)

    def check(self):
        """Raise UsageError for options that exclude each other or need a missing extra."""
        check_g_source(self.g_source)
        if self.mc and self.mcmc:
            raise UsageError("choose either mc (noise refits) or mcmc, not both")
        if self.per_species_T_rot and self.T_rot is not None:
            # a held T_rot leaves nothing to fit per species: one of the two would be ignored
            raise UsageError("choose either a fixed T_rot or per_species_T_rot (a fitted T_rot per species), not both")
        if self.mcmc:
            try:
                import emcee  # noqa: F401
            except ImportError:
                raise UsageError("MCMC needs emcee: pip install 'comaspec[mcmc]'") from None
        _ortho_para_option(self.ortho_para)
        if self.systematics:
            unknown = set(self.systematics) - {"g_factor", "lifetime", "velocity"}
            if unknown:
                raise UsageError(f"systematics: unknown keys {', '.join(sorted(unknown))} "
                                 "(g_factor, lifetime, velocity)")


def fit_model(model, options=None):
    """Fit a built `ForwardModel` (e.g. one spaxel's ``model.with_data(y, sigma)``).

    The driver of `fit_coma`: parameters → start values (linear solves on a T_rot grid) →
    Levenberg-Marquardt → optional MC refits or MCMC → `ComaFit`. BLAS runs single-threaded
    meanwhile (these matrices are small; threads only contend on a shared machine).

    Parameters
    ----------
    model : `comaspec.model.ForwardModel`
    options : FitOptions, optional
        Default: ``FitOptions()``.

    Returns
    -------
    `comaspec.results.ComaFit`
    """
    from .._threads import single_threaded_blas

    options = FitOptions() if options is None else options
    options.check()
    with single_threaded_blas():
        problem, params = _parameters(model, options)
        result, notes = _minimise(problem, params, options)
        solution = _solution(problem, result, options, notes)
        _sample(solution, options)
        from .assemble import coma_fit_from_solution
        from .g_factors import record_g, with_chosen_g

        solution = with_chosen_g(solution)
        return record_g(coma_fit_from_solution(solution), solution)


# --------------------------------------------------------------------------- stages
def _parameters(model, options):
    """The Problem and its lmfit Parameters: the parameters the model declares, free or held
    as the options say, with start values from linear solves."""
    import lmfit

    max_shift = _max_shifts(model, options)
    free, fixed, T_names = _free_parameters(model, options, max_shift)
    n_params = model.n_linear + len(free) + len(model.origin_bounds)
    if model.n_points <= n_params + 2:
        raise FitError(f"too few usable pixels ({model.n_points}) for {n_params} parameters")
    problem = Problem(model, T_names, fixed, any(h.role == "ortho_para" for h in free))
    start_vals, a0 = _start_values(problem, free, options, max_shift)
    sol0 = linear_solve(a0, problem.y, problem.sigma)   # the start values: one careful solve
    problem.scales = 1.0 / np.sqrt(((a0 / problem.sigma[:, None]) ** 2).sum(axis=0))

    params = lmfit.Parameters()
    for name, c, s in zip(problem.lin_names, sol0.coef, problem.scales):
        params.add(name, value=c / s)
    for hint in free:
        params.add(hint.name, value=start_vals.get(hint.name, hint.value), min=hint.min, max=hint.max)
    return problem, params


def _max_shifts(model, options):
    """Bound of each spectrum's shift: ``max_shift_um``, else the spectrum's declared one."""
    if options.max_shift_um is not None:
        return [float(options.max_shift_um)] * len(model.spectra)
    return [h.max for h in model.parameters() if h.role == "shift"]


def _free_parameters(model, options, max_shift):
    """The model's declared nonlinear parameters the options leave free (in the order lmfit
    gets them: T_rot, shifts, continuum shape, ortho/para), the values held by name, and
    each fitted species' T_rot parameter. Band origins are freed later (`_minimise`)."""
    declared = model.parameters()
    fit_opr, opr0 = _ortho_para_option(options.ortho_para)
    fixed, T_names = {ORTHO_PARA: opr0}, {}
    if options.T_rot is None:
        T_names = {s: t_rot_name(s) if options.per_species_T_rot else SHARED_T_ROT for s in model.fitted_species}
    elif isinstance(options.T_rot, dict):
        for s in model.fitted_species:
            if s not in options.T_rot:
                raise UsageError(f"T_rot given per species but not for {s}")
            fixed[t_rot_name(s)] = check_temperature(options.T_rot[s])
    else:
        fixed.update({t_rot_name(s): check_temperature(options.T_rot) for s in model.fitted_species})
    free = [ParameterHint(n, T_ROT_START_K, *options.T_rot_bounds, role="T_rot") for n in sorted(set(T_names.values()))]
    if options.fit_shift:
        free += [replace(h, min=-m, max=m) for h, m in zip((h for h in declared if h.role == "shift"), max_shift)
                 if m > 0]
    free += [h for h in declared if h.role == "continuum"]
    if fit_opr:
        free += [replace(h, value=opr0) for h in declared if h.role == "ortho_para"]
    return free, fixed, T_names


def _start_values(problem, free, options, max_shift):
    """Start values of the free nonlinear parameters and their design: the best linear solve
    on a T_rot grid, and on a shift grid when the allowed shift exceeds the resolution
    element (one offset for all spectra: a start only)."""
    model = problem.model
    bounds = options.T_rot_bounds
    # hottest first: its lines include (nearly) all those of the cooler ones, so each band's
    # cached pixel structure is built once (`comaspec.model.line_pixels`)
    t_grid = [t for t in _TROT_GRID_K[::-1] if bounds[0] <= t <= bounds[1]] or [sum(bounds) / 2]
    t_names = [h.name for h in free if h.role == "T_rot"]
    shift_grid = [0.0]
    if options.fit_shift:
        ratio = max(m / max(model.median_fwhm_um(i), 1e-12) for i, m in enumerate(max_shift))
        if ratio > 1.0:
            n = int(min(np.ceil(2 * ratio), 10))
            shift_grid = list(np.linspace(-1.0, 1.0, 2 * n + 1))
    start = {h.name: h.value for h in free if h.role == "continuum"}
    best = None
    with sharing_columns(model):   # the grid's values do not depend on the data: kept for later fits
        for t in (t_grid if t_names else [None]):
            for frac in shift_grid:
                vals = dict(start, **({n: t for n in t_names} if t is not None else {}))
                if frac:
                    vals.update({shift_name(i): frac * m for i, m in enumerate(max_shift)})
                a = problem.design(problem.state(vals))
                chi2 = _chi2_only(a, problem.y, problem.sigma)
                if best is None or chi2 < best[1]:
                    best = (vals, chi2, a)
    return best[0], best[2]


def _leastsq(problem, params, scale_covar, what="the fit"):
    """lmfit's Levenberg-Marquardt on ``params`` (fitted in place; `comaspec.fit.lm`: lmfit's
    arithmetic without its per-call bookkeeping)."""
    from .lm import leastsq

    try:
        return leastsq(problem.residual_values, params, scale_covar)
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise FitError(f"{what} failed: {exc}") from None


def _minimise(problem, params, options):
    """Levenberg-Marquardt; then, for a detected band with an uncertain origin, again with it free."""
    model = problem.model
    result = _leastsq(problem, params, options.scale_covar)
    notes = list(model.notes)
    for sp in model.species.values():
        notes += sp.notes
    # A band origin known only roughly (OCS) is freed, within its uncertainty, once the band
    # is detected: undetected, the offset is unconstrained and would spoil the covariance.
    if model.origin_bounds:
        snr = _snr(problem, result.params.valuesdict())
        free = {s: b for s, b in model.origin_bounds.items() if snr[s] >= options.detect_sigma}
        for s, b in model.origin_bounds.items():
            notes.append(f"{s}: band origin fitted within +-{b:g} cm-1 (the uncertainty of its tabulated centre)"
                         if s in free else
                         f"{s}: band origin kept at its tabulated centre (band not detected; that centre is "
                         f"uncertain by +-{b:g} cm-1)")
        if free:
            params = result.params.copy()
            for s, b in free.items():
                params.add(origin_name(s), value=0.0, min=-b, max=b)
            result = _leastsq(problem, params, options.scale_covar)
    if not result.success:
        notes.append(f"lmfit did not report convergence: {result.message}")
    return result, notes


@dataclass
class FitSolution:
    """Everything a `ComaFit` is made from (the output of the fitting stages).

    Attributes
    ----------
    model : ForwardModel
    problem : Problem
    options : FitOptions
    result : lmfit.MinimizerResult
    values : dict
        Best-fit lmfit values by name.
    state : NonlinearState
        Best-fit nonlinear parameters.
    design : ndarray
        Design matrix of the fitted pixels at ``state``.
    linear : ndarray
        Best-fit linear parameters (band fluxes W m^-2, continuum amplitudes).
    linear_cov : ndarray
        Their covariance (inflated for an improbable χ²).
    chi2 : float
    dof : int
    nonlinear_err : dict
        lmfit's 1σ error of each nonlinear parameter by name (None where not estimated).
    notes : list of str
    band_flux_samples : ndarray or None
        (n, n_fitted_species) band fluxes from MC refits or MCMC.
    sample_method : str or None
    inflation : dict or None
        Error inflation applied for an improbable χ² (see `comaspec._misfit`).
    sampling : dict or None
        MCMC diagnostics (steps, walkers, autocorrelation times, convergence).
    """

    model: object
    problem: object
    options: FitOptions
    result: object
    values: dict
    state: NonlinearState
    design: np.ndarray
    linear: np.ndarray
    linear_cov: np.ndarray
    chi2: float
    dof: int
    nonlinear_err: dict
    notes: list
    band_flux_samples: np.ndarray | None = None
    sample_method: str | None = None
    inflation: dict | None = None
    sampling: dict | None = None


def _solution(problem, result, options, notes):
    """Best-fit values, χ², the covariance of the linear parameters and lmfit's other errors."""
    model = problem.model
    y, sigma = problem.y, problem.sigma
    values = result.params.valuesdict()
    state = problem.state(values)
    a_best = problem.design(state)
    lin = problem.linear_values(values)
    chi2 = float(np.sum(((y - a_best @ lin) / sigma) ** 2))
    dof = int(model.n_points - result.nvarys)
    lin_cov = None
    if result.covar is not None and np.all(np.isfinite(result.covar)):
        idx = [result.var_names.index(n) for n in problem.lin_names]
        lin_cov = result.covar[np.ix_(idx, idx)] * np.outer(problem.scales, problem.scales)
        if np.any(np.diag(lin_cov) <= 0):
            lin_cov = None
    if lin_cov is None:
        sol = linear_solve(a_best, y, sigma)
        lin_cov = sol.covariance * (chi2 / max(dof, 1) if options.scale_covar else 1.0)
        notes.append("lmfit could not estimate the full covariance (T_rot or shift unconstrained); "
                     "uncertainties are those at the best-fit T_rot and shift")
    nonlin_err = {name: result.params[name].stderr for name in result.var_names if name not in problem.lin_names}
    lo, hi = options.T_rot_bounds
    for name in set(problem.T_names.values()):
        v = values[name]
        if min(v - lo, hi - v) < 1e-3 * v:
            notes.append(f"{name} ran to its bound ({v:.0f} K): the band shapes do not constrain it; "
                         "consider fixing it (T_rot= in Python, --trot on the command line)")
    return FitSolution(model, problem, options, result, values, state, a_best, lin, lin_cov, chi2, dof,
                       nonlin_err, notes)


def _sample(solution, options):
    """MC refits of noise realisations or MCMC (`comaspec.fit.samplers`); then the error inflation."""
    problem = solution.problem
    fitted = problem.model.fitted_species
    if options.mc or options.mcmc:
        from .samplers import mc_samples, mcmc_samples

        rng = np.random.default_rng(options.seed)
        if options.mc:
            samples, method, notes = mc_samples(solution, options, rng)
        else:
            samples, method, notes, solution.sampling = mcmc_samples(solution, options, rng)
        solution.band_flux_samples, solution.sample_method = samples, method
        solution.notes.extend(notes)
    # an improbable chi2: errors inflated by the residuals, so a misfit never makes a detection
    solution.linear_cov, solution.band_flux_samples, solution.inflation = inflate_errors(
        solution.chi2, solution.dof, options.scale_covar, solution.design, problem.y, problem.sigma,
        solution.linear, solution.linear_cov, fitted, solution.notes, solution.band_flux_samples,
        groups=window_groups(problem.model.coverage))
    if solution.inflation is not None:
        # T_rot, shifts, band origins and OPR take the global term sqrt(chi2_nu), as --scale-covar
        # would give them: an improbable fit never reports the curvature errors of a good one
        scale = math.sqrt(max(1.0, solution.chi2 / solution.dof))
        solution.nonlinear_err = {name: None if err is None else err * scale
                                  for name, err in solution.nonlinear_err.items()}


def _snr(problem, values):
    """Band-flux SNR of each fitted species at fixed nonlinear parameters (linear solve)."""
    sol = linear_solve(problem.design(problem.state(values)), problem.y, problem.sigma)
    n = len(problem.model.fitted_species)
    err = np.sqrt(np.diag(sol.covariance)[:n])
    return dict(zip(problem.model.fitted_species, sol.coef[:n] / err))


def _ortho_para_option(ortho_para):
    """(fit it?, starting or fixed value) from ``ortho_para`` (a number or "fit")."""
    if isinstance(ortho_para, str):
        if ortho_para.strip().lower() == "fit":
            return True, DEFAULT_ORTHO_PARA
        raise InputError("ortho_para", f"must be a number or 'fit', got {ortho_para!r}")
    try:
        value = float(ortho_para)
    except (TypeError, ValueError):
        raise InputError("ortho_para", f"must be a number or 'fit', got {ortho_para!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise InputError("ortho_para", f"must be a finite number > 0, got {value}")
    return False, value
