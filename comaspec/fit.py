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

Optional error estimates: ``mc=N`` refits N noise realisations of the best-fit model;
``mcmc=True`` samples the posterior with emcee through lmfit (optional extra ``mcmc``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._misfit import inflate_errors
from .errors import FitError, InputError, UsageError
from .model import (DEFAULT_EMISSION, DEFAULT_ORTHO_PARA, DEFAULT_SPECIES, ForwardModel, ObservedSpectrum,
                    equilibrium_temperature)

__all__ = ["fit_coma", "linear_solve", "LinearSolution", "as_observed", "DEFAULT_TROT_BOUNDS_K"]

#: Range allowed for a fitted rotational temperature, K (the templates' sensible range).
DEFAULT_TROT_BOUNDS_K = (10.0, 300.0)
#: Range allowed for a fitted H2O ortho/para ratio (3 is the high-temperature limit; the
#: range leaves room for noise on either side).
OPR_BOUNDS = (0.5, 4.5)
#: Starting grid of T_rot (K) searched with the linear solve when T_rot is free.
_TROT_GRID_K = (15.0, 25.0, 40.0, 65.0, 100.0, 160.0)


@dataclass
class LinearSolution:
    """Result of a weighted linear least-squares solve.

    Attributes
    ----------
    coef : ndarray
        Best-fit coefficients.
    covariance : ndarray
        Their covariance (AᵀWA)⁻¹, not rescaled.
    chi2 : float
        Σ ((y − A coef)/σ)².
    dof : int
        Number of points minus number of coefficients.
    """

    coef: np.ndarray
    covariance: np.ndarray
    chi2: float
    dof: int


def linear_solve(design, y, sigma) -> LinearSolution:
    """Weighted linear least squares with column scaling (numerically safe for W m^-2 units).

    Parameters
    ----------
    design : ndarray, shape (n, k)
        Model columns.
    y : ndarray, shape (n,) or (n, m)
        Data; with m columns, m data sets are solved at once (e.g. noise realisations).
    sigma : ndarray, shape (n,)
        1σ errors.

    Returns
    -------
    LinearSolution
        ``coef`` has shape (k,) or (k, m), ``chi2`` is a float or an (m,) array.

    Raises
    ------
    FitError
        When the system is singular (a parameter the data do not constrain).
    """
    sigma = np.asarray(sigma, dtype=float)
    a = np.asarray(design, dtype=float) / sigma[:, None]
    y = np.asarray(y, dtype=float)
    b = y / (sigma if y.ndim == 1 else sigma[:, None])
    norms = np.sqrt((a * a).sum(axis=0))
    if np.any(norms == 0) or not np.all(np.isfinite(norms)):
        raise FitError("a model component is zero over all fitted pixels (nothing constrains it)")
    a = a / norms
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    if s[-1] <= s[0] * 1e-12:
        raise FitError("the fit is degenerate: two model components cannot be told apart in these data")
    proj = u.T @ b
    coef_scaled = vt.T @ (proj / (s if b.ndim == 1 else s[:, None]))
    cov_scaled = (vt.T / s**2) @ vt
    coef = coef_scaled / (norms if b.ndim == 1 else norms[:, None])
    cov = cov_scaled / np.outer(norms, norms)
    resid = b - a @ coef_scaled
    chi2 = (resid * resid).sum(axis=0)
    return LinearSolution(coef, cov, float(chi2) if b.ndim == 1 else chi2, int(b.shape[0] - coef.shape[0]))


# --------------------------------------------------------------------------- input
def as_observed(spectrum, *, lsf=None, label=None) -> ObservedSpectrum:
    """Turn a `specutils.Spectrum` (or an ObservedSpectrum) into model units.

    Parameters
    ----------
    spectrum : specutils.Spectrum or ObservedSpectrum
        Flux density (any spectral flux-density unit) with a StdDevUncertainty.
    lsf : optional
        Line-spread function or anything `comaspec.instrument.make_lsf` accepts (a mode
        name, a resolving power); default: the mode named in the spectrum's metadata.
    label : str, optional
        Name for messages (default: the source file).

    Returns
    -------
    ObservedSpectrum
    """
    from . import instrument

    if isinstance(spectrum, ObservedSpectrum):
        return spectrum
    import astropy.units as u

    meta = dict(getattr(spectrum, "meta", {}) or {})
    label = label or str(meta.get("source_file", "spectrum"))
    try:
        wl = spectrum.spectral_axis.to_value(u.um, equivalencies=u.spectral())
        flux_q = spectrum.flux
    except AttributeError:
        raise InputError(label, f"is not a spectrum (got {type(spectrum).__name__})") from None
    if spectrum.uncertainty is None:
        raise InputError(label, "has no flux uncertainties; the fit needs 1-sigma errors")
    err_q = spectrum.uncertainty.represent_as(_stddev_class()).quantity \
        if type(spectrum.uncertainty).__name__ != "StdDevUncertainty" else spectrum.uncertainty.quantity
    out_unit = u.W / u.m**2 / u.um
    equiv = u.spectral_density(wl * u.um)
    try:
        flux = flux_q.to_value(out_unit, equivalencies=equiv)
        err = err_q.to_value(out_unit, equivalencies=equiv)
    except u.UnitConversionError:
        if flux_q.unit.is_equivalent(u.MJy / u.sr):
            raise InputError(label, "holds surface brightness (per steradian); extract an aperture "
                                    "spectrum (flux density) first, e.g. from a cube with --aperture-radius") from None
        raise InputError(label, f"flux unit {flux_q.unit} is not a spectral flux density") from None
    order = np.argsort(wl)
    mask = getattr(spectrum, "mask", None)
    good = np.ones(wl.size, dtype=bool) if mask is None else ~np.asarray(mask, dtype=bool)
    mode = instrument.mode_from_meta(meta)
    if lsf is None:
        if mode is None:
            raise InputError(label, "the instrument mode is unknown (no MODE/GRATING in the metadata); "
                                    "pass the mode or resolving power (--mode, lsf=)")
        lsf = mode
    lsf_obj = instrument.make_lsf(lsf)
    if getattr(lsf_obj, "mode", None):
        mode = lsf_obj.mode
    # pixels outside the LSF's table cannot be modelled: leave them out
    fwhm_ok = np.ones(wl.size, dtype=bool)
    if mode is not None:
        lo, hi = instrument.mode_range(mode)
        fwhm_ok = (wl >= lo - instrument.RANGE_MARGIN_UM) & (wl <= hi + instrument.RANGE_MARGIN_UM)
    keep_meta = {k: meta.get(k) for k in ("instrument", "mode", "target", "source_file", "product", "grating",
                                           "filter", "epoch") if meta.get(k) is not None}
    return ObservedSpectrum(wl[order], flux[order], err[order], (good & fwhm_ok)[order], lsf_obj,
                            label=label, mode=mode, meta=keep_meta)


def _stddev_class():
    from astropy.nddata import StdDevUncertainty

    return StdDevUncertainty


def _as_list(spectrum_or_list):
    if isinstance(spectrum_or_list, (list, tuple)):
        return list(spectrum_or_list)
    if type(spectrum_or_list).__name__ == "SpectrumList":
        return list(spectrum_or_list)
    return [spectrum_or_list]


# --------------------------------------------------------------------------- fitting
class _Problem:
    """The model, its data and the mapping between lmfit parameters and the linear system."""

    def __init__(self, model: ForwardModel, T_names, fixed_T, fit_shift, max_shift, ortho_para=DEFAULT_ORTHO_PARA):
        self.model = model
        self.ortho_para = ortho_para    # fixed H2O ortho/para ratio (used unless "ortho_para" is fitted)
        self.y, self.sigma = model.data()
        self.T_names = T_names          # species -> lmfit parameter name (or None if fixed)
        self.fixed_T = fixed_T          # species -> K for fixed temperatures
        self.fit_shift = fit_shift
        self.max_shift = max_shift
        self.lin_names = model.linear_names()
        self.scales = None
        self._cache = {}

    def nonlinear(self, values):
        T = {s: (values[self.T_names[s]] if self.T_names.get(s) else self.fixed_T[s])
             for s in self.model.fitted_species}
        shifts = [values.get(f"shift_{i}", 0.0) for i in range(len(self.model.spectra))]
        slope = values.get("cont_slope", 0.0)
        dust_T = values.get("cont_dust_T", None)
        origins = {s: values[_origin_name(s)] for s in self.model.origin_bounds if _origin_name(s) in values}
        opr = values.get("ortho_para", self.ortho_para)
        return T, shifts, slope, dust_T, origins, opr

    def design(self, T, shifts, slope, dust_T, origins=None, opr=DEFAULT_ORTHO_PARA):
        origins = origins or {}
        key = (tuple(round(T[s], 12) for s in self.model.fitted_species), tuple(shifts), slope, dust_T,
               tuple(sorted(origins.items())), opr)
        a = self._cache.get(key)
        if a is None:
            if len(self._cache) > 16:
                self._cache.clear()
            a = self.model.design(T, shifts, slope, dust_T, origins=origins, ortho_para=opr)
            self._cache[key] = a
        return a

    def residual(self, params):
        values = params.valuesdict()
        a = self.design(*self.nonlinear(values))
        p = np.array([values[n] for n in self.lin_names]) * self.scales
        return (self.y - a @ p) / self.sigma


def _origin_name(species):
    """lmfit parameter name of a species' band-origin offset (cm^-1)."""
    return f"origin_{species}"


def _snr(problem, values):
    """Band-flux SNR of each fitted species at fixed nonlinear parameters (linear solve)."""
    sol = linear_solve(problem.design(*problem.nonlinear(values)), problem.y, problem.sigma)
    n = len(problem.model.fitted_species)
    err = np.sqrt(np.diag(sol.covariance)[:n])
    return dict(zip(problem.model.fitted_species, sol.coef[:n] / err))


def _t_value(T_rot):
    if T_rot is None:
        return None
    value = float(getattr(T_rot, "to_value", lambda unit: T_rot)("K"))
    if not (math.isfinite(value) and value > 0):
        raise InputError("T_rot", f"must be a positive temperature in K (got {T_rot!r})")
    return value


def fit_coma(spectrum_or_list, geometry, aperture, species=DEFAULT_SPECIES, *, T_rot=None,
             per_species_T_rot=False, T_rot_bounds=DEFAULT_TROT_BOUNDS_K, fit_shift=True, max_shift_um=None,
             windows=None, continuum="polynomial", velocity=None, lifetime=None, g_factor=None, lsf=None,
             scale_covar=False, detect_sigma=3.0, limit_sigma=3.0, mc=0, mcmc=False, mcmc_steps=600,
             mcmc_burn=200, mcmc_walkers=None, seed=None, systematics=None, inputs=None,
             emission=DEFAULT_EMISSION, ortho_para=DEFAULT_ORTHO_PARA):
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
        Continuum windows (default `comaspec.model.DEFAULT_WINDOWS`).
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
        Sample the posterior with emcee (needs the ``mcmc`` extra).
    mcmc_steps, mcmc_burn, mcmc_walkers : int
        emcee settings.
    seed : int, optional
        Seed for MC noise and MCMC.
    systematics : dict, optional
        Relative 1σ errors of the model assumptions, keys ``g_factor``, ``lifetime``,
        ``velocity`` (e.g. ``{"g_factor": 0.1}``): each species' ``Q_sys`` is then computed by
        `comaspec.production.production_rate`. Default: no systematic error claimed.
    inputs : dict, optional
        ``paths``/``instrument``/``mode``/``target`` for the output (default: from metadata).
    emission : {"fluorescence", "thermal"}
        Emission model of the band templates: solar-pumped fluorescence equilibrium from a
        thermal ground state (default), or a thermal upper state (the pre-0.2 model, kept for
        comparison); see :doc:`emission`.
    ortho_para : float or "fit"
        H2O ortho/para ratio of the templates (default 3), or ``"fit"`` to fit it (within
        `OPR_BOUNDS`) when H2O is fitted; its value and error are in
        ``fit.fit_info["ortho_para"]`` / ``["ortho_para_err"]``.

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
    from ._validate import fit_coma_arguments
    from .geometry import Geometry

    fit_coma_arguments(locals())  # types, units and ranges of every argument, before any work
    spectra = [as_observed(s, lsf=lsf) for s in _as_list(spectrum_or_list)]
    if not spectra:
        raise InputError("spectrum", "no spectrum given")
    apertures = list(aperture) if isinstance(aperture, (list, tuple)) else [aperture] * len(spectra)
    if geometry is not None:
        geometry = Geometry.from_any(geometry)
        if len(apertures) != len(spectra) or any(a is None for a in apertures):
            raise UsageError("give one aperture, or one per spectrum (production rates need the aperture)")
    species = [species] if isinstance(species, str) else list(species)
    if mc and mcmc:
        raise UsageError("choose either mc (noise refits) or mcmc, not both")
    if mcmc:
        try:
            import emcee  # noqa: F401
        except ImportError:
            raise UsageError("MCMC needs emcee: pip install 'comaspec[mcmc]'") from None

    fit_opr, opr0 = _ortho_para_option(ortho_para)
    model = ForwardModel(spectra, species, geometry, apertures, windows=windows, continuum=continuum,
                         velocity=velocity, lifetime=lifetime, g_factor=g_factor, emission=emission)
    fitted = model.fitted_species
    fit_opr = fit_opr and "H2O" in fitted

    # ---- which nonlinear parameters vary
    fixed_T, T_names = {}, {}
    if T_rot is None:
        for s in fitted:
            T_names[s] = f"T_rot_{s}" if per_species_T_rot else "T_rot"
    elif isinstance(T_rot, dict):
        for s in fitted:
            if s not in T_rot:
                raise UsageError(f"T_rot given per species but not for {s}")
            fixed_T[s] = _t_value(T_rot[s])
    else:
        fixed_T = {s: _t_value(T_rot) for s in fitted}
    if max_shift_um is None:
        max_shift_um = [0.5 * model.median_fwhm_um(i) for i in range(len(spectra))]
    else:
        max_shift_um = [float(max_shift_um)] * len(spectra)
    problem = _Problem(model, T_names, fixed_T, fit_shift, max_shift_um, opr0)
    n_nonlin = (len(set(T_names.values())) + (len(spectra) if fit_shift else 0) + (2 if continuum == "physical" else 0)
                + len(model.origin_bounds) + int(fit_opr))
    n_params = model.n_linear + n_nonlin
    if model.n_points <= n_params + 2:
        raise FitError(f"too few usable pixels ({model.n_points}) for {n_params} parameters")

    # ---- starting values: linear solves on a T_rot grid
    if continuum == "physical" and geometry is None:
        raise UsageError("the physical continuum needs the heliocentric distance (geometry)")
    dust_T0 = equilibrium_temperature(geometry.rh.to_value("au")) if continuum == "physical" else None
    start = {"cont_slope": 0.0, "cont_dust_T": dust_T0} if continuum == "physical" else {}
    y, sigma = problem.y, problem.sigma
    t_grid = [t for t in _TROT_GRID_K if T_rot_bounds[0] <= t <= T_rot_bounds[1]] or [sum(T_rot_bounds) / 2]
    # shifts larger than the resolution element are searched on a grid too (one per spectrum,
    # the same offset for all: a starting point only)
    shift_grid = [0.0]
    if fit_shift:
        ratio = max(m / max(model.median_fwhm_um(i), 1e-12) for i, m in enumerate(max_shift_um))
        if ratio > 1.0:
            n = int(min(np.ceil(2 * ratio), 10))
            shift_grid = list(np.linspace(-1.0, 1.0, 2 * n + 1))
    best = None
    for t in (t_grid if T_names else [None]):
        for frac in shift_grid:
            vals = dict(start, **({n: t for n in set(T_names.values())} if t is not None else {}))
            if frac:
                vals.update({f"shift_{i}": frac * m for i, m in enumerate(max_shift_um)})
            a = problem.design(*problem.nonlinear(vals))
            sol = linear_solve(a, y, sigma)
            if best is None or sol.chi2 < best[1].chi2:
                best = (vals, sol, a)
    start_vals, sol0, a0 = best
    problem.scales = 1.0 / np.sqrt(((a0 / sigma[:, None]) ** 2).sum(axis=0))

    import lmfit

    params = lmfit.Parameters()
    for name, c, s in zip(problem.lin_names, sol0.coef, problem.scales):
        params.add(name, value=c / s)
    for name in sorted(set(T_names.values())):
        params.add(name, value=start_vals[name], min=T_rot_bounds[0], max=T_rot_bounds[1])
    if fit_shift:
        for i, m in enumerate(max_shift_um):
            if m > 0:
                params.add(f"shift_{i}", value=start_vals.get(f"shift_{i}", 0.0), min=-m, max=m)
    if continuum == "physical":
        params.add("cont_slope", value=0.0, min=-4.0, max=4.0)
        params.add("cont_dust_T", value=dust_T0, min=0.5 * dust_T0, max=3.0 * dust_T0)
    if fit_opr:
        params.add("ortho_para", value=opr0, min=OPR_BOUNDS[0], max=OPR_BOUNDS[1])

    minimizer = lmfit.Minimizer(problem.residual, params, scale_covar=scale_covar, nan_policy="raise")
    try:
        result = minimizer.minimize(method="leastsq")
    except (ValueError, np.linalg.LinAlgError) as exc:
        raise FitError(f"the fit failed: {exc}") from None
    notes = list(model.notes)
    for sp in model.species.values():
        notes += sp.notes
    # A band origin known only roughly (OCS) is freed, within its uncertainty, once the band
    # is detected: undetected, the offset is unconstrained and would spoil the covariance.
    if model.origin_bounds:
        snr = _snr(problem, result.params.valuesdict())
        free = {s: b for s, b in model.origin_bounds.items() if snr[s] >= detect_sigma}
        for s, b in model.origin_bounds.items():
            notes.append(f"{s}: band origin fitted within +-{b:g} cm-1 (the uncertainty of its tabulated centre)"
                         if s in free else
                         f"{s}: band origin kept at its tabulated centre (band not detected; that centre is "
                         f"uncertain by +-{b:g} cm-1)")
        if free:
            params = result.params.copy()
            for s, b in free.items():
                params.add(_origin_name(s), value=0.0, min=-b, max=b)
            minimizer = lmfit.Minimizer(problem.residual, params, scale_covar=scale_covar, nan_policy="raise")
            try:
                result = minimizer.minimize(method="leastsq")
            except (ValueError, np.linalg.LinAlgError) as exc:
                raise FitError(f"the fit failed: {exc}") from None
    if not result.success:
        notes.append(f"lmfit did not report convergence: {result.message}")

    best_vals = result.params.valuesdict()
    T, shifts, slope, dust_T, origins, opr = problem.nonlinear(best_vals)
    a_best = problem.design(T, shifts, slope, dust_T, origins, opr)
    lin = np.array([best_vals[n] for n in problem.lin_names]) * problem.scales
    chi2 = float(np.sum(((y - a_best @ lin) / sigma) ** 2))
    dof = int(model.n_points - result.nvarys)
    # covariance of the linear parameters (physical units)
    lin_cov = None
    if result.covar is not None and np.all(np.isfinite(result.covar)):
        idx = [result.var_names.index(n) for n in problem.lin_names]
        lin_cov = result.covar[np.ix_(idx, idx)] * np.outer(problem.scales, problem.scales)
        if np.any(np.diag(lin_cov) <= 0):
            lin_cov = None
    if lin_cov is None:
        sol = linear_solve(a_best, y, sigma)
        lin_cov = sol.covariance * (chi2 / max(dof, 1) if scale_covar else 1.0)
        notes.append("lmfit could not estimate the full covariance (T_rot or shift unconstrained); "
                     "uncertainties are those at the best-fit T_rot and shift")
    nonlin_err = {}
    for name in result.var_names:
        if name not in problem.lin_names:
            nonlin_err[name] = result.params[name].stderr
    for name in set(T_names.values()):
        v = best_vals[name]
        if min(v - T_rot_bounds[0], T_rot_bounds[1] - v) < 1e-3 * v:
            notes.append(f"{name} ran to its bound ({v:.0f} K): the band shapes do not constrain it; "
                         "consider fixing it with T_rot=")

    # ---- samples
    q_samples_F, sample_method = None, None
    rng = np.random.default_rng(seed)
    n_sp = len(fitted)
    if mc:
        model_best = a_best @ lin
        draws = []
        from ._progress import progress

        for _ in progress(range(int(mc)), desc="Monte Carlo refits"):
            problem_k = _Problem(model, T_names, fixed_T, fit_shift, max_shift_um, opr0)
            problem_k.scales, problem_k._cache = problem.scales, problem._cache
            problem_k.y = model_best + rng.normal(0.0, sigma)
            try:
                res_k = lmfit.Minimizer(problem_k.residual, result.params,
                                        scale_covar=scale_covar).minimize(method="leastsq")
            except (ValueError, np.linalg.LinAlgError) as exc:
                raise FitError(f"a Monte Carlo refit failed: {exc}") from None
            vk = res_k.params.valuesdict()
            draws.append([vk[f"F_{s}"] * problem.scales[j] for j, s in enumerate(fitted)])
        q_samples_F = np.array(draws)
        sample_method = f"mc refits (N={int(mc)})"
    elif mcmc:
        nwalkers = mcmc_walkers or max(2 * result.nvarys + 2, 20)
        from ._capture import stdout_to_notes
        from ._progress import wanted

        with stdout_to_notes("emcee", notes):  # lmfit prints emcee's advice: keep stdout clean
            emc = lmfit.Minimizer(problem.residual, result.params, scale_covar=False).minimize(
                method="emcee", steps=int(mcmc_steps), burn=int(mcmc_burn), nwalkers=int(nwalkers),
                is_weighted=True, seed=seed, progress=wanted(), params=result.params)
        chain = np.asarray(emc.chain).reshape(-1, len(emc.var_names))
        cols = [emc.var_names.index(f"F_{s}") for s in fitted]
        q_samples_F = chain[:, cols] * problem.scales[:n_sp]
        sample_method = f"mcmc (emcee, {chain.shape[0]} samples)"

    # an improbable chi2: errors inflated by the residuals, so a misfit never makes a detection
    lin_cov, q_samples_F, inflation = inflate_errors(chi2, dof, scale_covar, a_best, y, sigma, lin, lin_cov,
                                                     fitted, notes, q_samples_F)
    fit = _build_result(model, problem, species, geometry, apertures, best_vals, lin, lin_cov, T, shifts,
                        slope, dust_T, chi2, dof, result, scale_covar, detect_sigma, limit_sigma, notes,
                        nonlin_err, q_samples_F, sample_method, inputs, velocity, lifetime, g_factor, systematics,
                        origins, opr)
    fit.fit_info["error_inflation"] = inflation
    fit.fit_info["emission"] = model.emission
    if "H2O" in fitted:
        fit.fit_info["ortho_para"] = float(opr)
        fit.fit_info["ortho_para_fitted"] = bool(fit_opr)
        fit.fit_info["ortho_para_err"] = nonlin_err.get("ortho_para") if fit_opr else None
        if fit_opr and min(abs(opr - OPR_BOUNDS[0]), abs(opr - OPR_BOUNDS[1])) < 1e-3:
            notes.append(f"ortho_para ran to its bound ({opr:.2f}): the H2O lines do not constrain it at "
                         "this resolution and SNR; fix it (ortho_para=3)")
    return fit


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


def _assumptions(name, feature, geometry, velocity, lifetime, g_factor):
    """g (1 au, summed over the feature), lifetime (1 au) and velocity used for Q, and sources."""
    import astropy.units as u

    from . import molecules

    out = {"g": None, "tau": None, "v": None, "sources": {}}
    if geometry is None:
        return out
    g_user = g_factor.get(name) if isinstance(g_factor, dict) else g_factor
    bands = molecules.bands_of(name, feature)
    try:
        if g_user is not None:
            from .model import _band_g_factors

            g_bands = _band_g_factors(name, g_user)
            out["g"] = float(sum(g_bands[b.band].to_value(1 / u.s) for b in bands))
            out["sources"]["g_factor_source"] = "user"
        else:
            out["g"] = float(sum(molecules.g_factor(name, b.band).to_value(1 / u.s) for b in bands))
            out["sources"]["g_factor_source"] = ", ".join(sorted({b.g_source for b in bands}))
    except InputError:
        pass
    tau_user = lifetime.get(name) if isinstance(lifetime, dict) else lifetime
    try:
        from .production import haser_assumptions

        h = haser_assumptions(name, geometry, velocity=velocity, lifetime=tau_user)
        out["tau"] = float(h.lifetime_1au.to_value(u.s))
        out["v"] = float(h.velocity.to_value(u.km / u.s))
        out["sources"].update(lifetime_source=h.lifetime_source, velocity_source=h.velocity_source)
    except InputError:
        pass
    return out


def _systematic_error(name, feature, flux, err, geometry, aperture, velocity, lifetime, g_factor, systematics,
                      detect_sigma):
    """Q_sys from `comaspec.production.production_rate` for stated relative errors (None without)."""
    if not systematics:
        return None
    import astropy.units as u

    from .production import production_rate

    unknown = set(systematics) - {"g_factor", "lifetime", "velocity"}
    if unknown:
        raise UsageError(f"systematics: unknown keys {', '.join(sorted(unknown))} (g_factor, lifetime, velocity)")
    flam = u.W / u.m**2
    pr = production_rate(flux * flam, name, geometry, aperture, flux_err=err * flam, feature=feature,
                         velocity=velocity, lifetime=_per(lifetime, name), g_factor=_per(g_factor, name),
                         rel_err_g=systematics.get("g_factor"), rel_err_lifetime=systematics.get("lifetime"),
                         rel_err_velocity=systematics.get("velocity"), threshold=detect_sigma)
    return float(pr.Q_sys.to_value(1 / u.s))


def _per(value, name):
    return value.get(name) if isinstance(value, dict) else value


def _build_result(model, problem, species, geometry, apertures, best_vals, lin, lin_cov, T, shifts, slope,
                  dust_T, chi2, dof, result, scale_covar, detect_sigma, limit_sigma, notes, nonlin_err,
                  q_samples_F, sample_method, inputs, velocity, lifetime, g_factor, systematics, origins, opr):
    from .results import ComaFit, SpeciesResult

    fitted = model.fitted_species
    n_sp = len(fitted)
    f_vals = lin[:n_sp]
    f_cov = lin_cov[:n_sp, :n_sp]
    phis = np.array([model.species[s].phi if model.species[s].phi is not None else np.nan for s in fitted])
    out = {}
    for name in species:
        setup = model.species[name]
        if not setup.covered:
            out[name] = SpeciesResult(name, False, detect_sigma=detect_sigma, limit_sigma=limit_sigma,
                                      extra={"not_covered_because": setup.why_not_covered})
            continue
        j = fitted.index(name)
        flux, err = float(f_vals[j]), float(math.sqrt(f_cov[j, j]))
        phi = setup.phi
        a = _assumptions(name, setup.feature, geometry, velocity, lifetime, g_factor)
        extra = {"features_fitted": list(setup.covered_features), **a["sources"]}
        if q_samples_F is not None:
            extra["band_flux_err_samples_W_m2"] = float(np.std(q_samples_F[:, j], ddof=1))
            if phi:
                extra["Q_err_samples_per_s"] = float(np.std(q_samples_F[:, j], ddof=1) / phi)
        q_sys = _systematic_error(name, setup.feature, flux, err, geometry, apertures[0], velocity, lifetime,
                                  g_factor, systematics, detect_sigma) if phi is not None else None
        name_T = problem.T_names.get(name)
        if name_T and nonlin_err.get(name_T) is not None:
            extra["T_rot_err_K"] = float(nonlin_err[name_T])
        extra["T_rot_fitted"] = bool(name_T)
        if name in origins:
            extra["band_origin_offset_cm"] = float(origins[name])
            if nonlin_err.get(_origin_name(name)) is not None:
                extra["band_origin_offset_err_cm"] = float(nonlin_err[_origin_name(name)])
        out[name] = SpeciesResult(
            name, True, setup.feature, flux, err,
            Q=None if phi is None else flux / phi, Q_err=None if phi is None else err / phi,
            detect_sigma=detect_sigma, limit_sigma=limit_sigma,
            g_factor_1au=a["g"], lifetime_1au=a["tau"], velocity_km_s=a["v"], T_rot=float(T[name]),
            Q_sys=q_sys, extra=extra)
    q_names = [s for s in fitted if model.species[s].phi is not None]
    qi = [fitted.index(s) for s in q_names]
    q_vals = f_vals[qi] / phis[qi]
    q_cov = f_cov[np.ix_(qi, qi)] / np.outer(phis[qi], phis[qi])
    q_samples = None if q_samples_F is None else q_samples_F[:, qi] / phis[qi]

    # components on every pixel, for plots and residuals
    blocks = model.design(T, shifts, slope, dust_T, pixels="all", origins=origins, ortho_para=opr)
    components = []
    for i, (sp, block) in enumerate(zip(model.spectra, blocks)):
        in_win = np.zeros(sp.wavelength_um.size, dtype=bool)
        for w, _ in model.win_pix[i]:
            in_win |= (sp.wavelength_um >= w.lo_um) & (sp.wavelength_um <= w.hi_um)
        cont = block[:, n_sp:] @ lin[n_sp:]
        cont = np.where(in_win, cont, np.nan) if model.continuum == "polynomial" else cont
        comps = {s: block[:, j] * lin[j] for j, s in enumerate(fitted) if model.species[s].terms[i]}
        total = cont + sum(comps.values()) if comps else cont
        components.append({"label": sp.label, "mode": sp.mode, "wavelength_um": sp.wavelength_um,
                           "flux": sp.flux, "error": sp.error, "used": model.used[i], "good": sp.good,
                           "model": total, "continuum": cont, "species": comps,
                           "windows": [(w.name, w.lo_um, w.hi_um) for w, _ in model.win_pix[i]]})
    first = model.spectra[0]
    if inputs is None:
        inputs = {"paths": [sp.meta.get("source_file", sp.label) for sp in model.spectra],
                  "instrument": first.meta.get("instrument"),
                  "mode": "+".join(dict.fromkeys(sp.mode or "?" for sp in model.spectra)),
                  "target": first.meta.get("target")}
    fit_info = {
        "chi2": chi2, "dof": dof, "n_points": model.n_points, "n_params": int(result.nvarys),
        "covariance_scaled": bool(scale_covar), "method": "lmfit leastsq (Levenberg-Marquardt), weights 1/sigma",
        "detect_sigma": detect_sigma, "limit_sigma": limit_sigma,
        "windows": [[w.name, w.lo_um, w.hi_um, w.degree] for w in model.windows],
        "continuum": model.continuum,
        "wavelength_shift_um": [float(s) for s in shifts],
        "nfev": int(result.nfev), "notes": notes, "systematics": dict(systematics or {}),
    }
    if model.continuum == "physical":
        fit_info["continuum_slope"] = float(slope)
        fit_info["dust_temperature_K"] = float(dust_T)
    # the first spectrum's aperture is the reference of the band fluxes
    aperture = apertures[0] if geometry is not None else None
    if aperture is not None and any(a.describe() != aperture.describe() for a in apertures[1:]):
        notes.append("the spectra have different apertures; band fluxes refer to the first one")
    return ComaFit(out, q_names, q_vals, q_cov, geometry=geometry, aperture=aperture, inputs=inputs,
                   fit_info=fit_info, components=components, q_samples=q_samples, sample_method=sample_method,
                   params=result.params)
