"""Monte Carlo refits and MCMC on the model's linear structure.

Both start from the best fit and a `comaspec.fit.local_model.LocalDesign`: the design as a
polynomial in the d nonlinear parameters θ (T_rot, shifts, ortho/para, continuum shape, band
origins) about the best fit, to third order along each axis, from a stencil of 1 + 4d +
2d(d−1) designs.

Monte Carlo (``mc=N``)
    Each noise realisation y_j = model + noise is refitted in (c, θ) jointly by
    Gauss–Newton on the expanded design, all draws at once; the linear amplitudes c are
    exact for the θ reached. A draw whose θ leaves ±`MAX_STEPS` stencil steps, or its
    bounds, is refitted by lmfit on the full model (`refit_draws`, the reference path).
MCMC (``mcmc=True``)
    emcee samples θ only. With a flat (improper) prior on the amplitudes c and a flat prior
    on θ within its bounds, the amplitudes integrate out analytically:

        ln p(θ | y) = −½ [yᵀWy − bᵀC⁻¹b] − ½ ln det C + const,   C = AᵀWA, b = AᵀWy,

    A = A(θ) and W = diag(1/σ²). The walkers start from the fit's covariance of θ; the chain
    runs until it is longer than `TAU_FACTOR` autocorrelation times of every parameter and
    the estimate of τ has settled (change < `TAU_SETTLED`), or until ``mcmc_steps``, and the
    notes say which. For each kept sample the amplitudes are drawn from their conditional
    Gaussian N(C⁻¹b, C⁻¹).
"""

from __future__ import annotations

import warnings

import numpy as np

from .._capture import stdout_to_notes
from .local_model import LocalDesign, nonlinear_names
from ..errors import ComaspecWarning, FitError

__all__ = ["mc_samples", "mcmc_samples", "refit_draws", "MAX_STEPS", "MC_TOLERANCE", "TAU_FACTOR", "TAU_SETTLED"]

#: Draws whose θ lands further than this many stencil steps away are refitted exactly.
MAX_STEPS = 3.0
#: The chain must be longer than this many autocorrelation times (emcee's own advice).
TAU_FACTOR = 50.0
#: ... and the τ estimate must have changed by less than this fraction since the last check.
TAU_SETTLED = 0.05
#: Steps between convergence checks.
_CHECK_EVERY = 500
#: Gauss–Newton iterations of a Monte Carlo draw (each converges quadratically).
_GN_ITERATIONS = 8
#: Monte Carlo draws solved together (memory: a few (draws, M, M, k) arrays).
_MC_CHUNK = 250
#: Draws at which the expanded refits are checked against full refits, and the band-flux
#: difference (in σ) above which every draw is refitted on the full model instead.
_CHECKED = 4
MC_TOLERANCE = 0.005


def _steps(problem, result, names, scale):
    """Stencil steps: ``scale`` × each parameter's 1σ, inside its bounds; None if impossible."""
    steps = []
    for name in names:
        p = result.params[name]
        err = p.stderr
        if err is None or not np.isfinite(err) or err <= 0:
            return None
        room = min(p.value - p.min, p.max - p.value)
        h = min(scale * err, 0.499 * room)   # the stencil reaches ±2h
        if not h > 0.1 * err:
            return None
        steps.append(h)
    return steps


def refit_draws(problem, result, y_draws, scale_covar):
    """Band fluxes of lmfit refits of each draw on the full model (the reference path).

    Parameters
    ----------
    problem : `comaspec.fit.problem.Problem`
    result : lmfit.MinimizerResult
        The best fit (its parameters start each refit).
    y_draws : ndarray, shape (N, n)
    scale_covar : bool

    Returns
    -------
    ndarray, shape (N, n_species)
    """
    import lmfit

    fitted = problem.model.fitted_species
    out = []
    for y in y_draws:
        problem_k = problem.with_data(y, problem.sigma)
        try:
            res_k = lmfit.Minimizer(problem_k.residual, result.params,
                                    scale_covar=scale_covar).minimize(method="leastsq")
        except (ValueError, np.linalg.LinAlgError) as exc:
            raise FitError(f"a Monte Carlo refit failed: {exc}") from None
        vk = res_k.params.valuesdict()
        out.append([vk[f"F_{s}"] * problem.scales[j] for j, s in enumerate(fitted)])
    return np.array(out).reshape(len(y_draws), len(fitted))


def _scaled_solve(n, r):
    """Solve batched symmetric positive systems with diagonal scaling (normal equations)."""
    s = 1.0 / np.sqrt(np.einsum("dii->di", n))
    z = np.linalg.solve(n * s[:, :, None] * s[:, None, :], (r * s)[..., None])[..., 0]
    return z * s


def _gauss_newton(local, proj, c, delta):
    """Gauss–Newton steps of min_{c,δ} |y_w − A_w(δ) c|² for a batch of draws."""
    gram = local.gram
    d, k = delta.shape[1], c.shape[1]
    for _ in range(_GN_ITERATIONS):
        g, dg = local.gamma(delta), local.dgamma(delta)
        t = np.einsum("mpab,db->dmpa", gram, c, optimize=True)          # B_mᵀ B_p c
        u = np.einsum("dp,dmpa->dma", g, t)                              # B_mᵀ A c
        cc = np.einsum("dm,dp,mpab->dab", g, g, gram, optimize=True)    # AᵀA
        x = np.einsum("dm,djp,dmpa->daj", g, dg, t, optimize=True)       # Aᵀ (∂_j A c)
        q = np.einsum("da,dmpa->dmp", c, t)
        yy = np.einsum("djm,dlp,dmp->djl", dg, dg, q, optimize=True)     # (∂_j A c)ᵀ(∂_l A c)
        r_c = np.einsum("dm,dma->da", g, proj - u)
        r_d = np.einsum("djm,da,dma->dj", dg, c, proj - u)
        n = np.zeros((c.shape[0], k + d, k + d))
        n[:, :k, :k], n[:, :k, k:], n[:, k:, :k], n[:, k:, k:] = cc, x, x.transpose(0, 2, 1), yy
        step = _scaled_solve(n, np.concatenate([r_c, r_d], axis=1))
        c, delta = c + step[:, :k], delta + step[:, k:]
    return c, delta


def mc_samples(solution, options, rng):
    """Band-flux draws of ``options.mc`` noise refits; (samples, method text, notes)."""
    problem, result = solution.problem, solution.result
    n_draw = int(options.mc)
    model_best = solution.design @ solution.linear
    y_draws = model_best + rng.normal(0.0, problem.sigma, size=(n_draw, problem.sigma.size))
    names = nonlinear_names(problem, result)
    steps = _steps(problem, result, names, 1.0)
    if steps is None:
        return (refit_draws(problem, result, y_draws, options.scale_covar), f"mc refits (N={n_draw})",
                ["Monte Carlo: a nonlinear parameter has no error or sits at its bound; every draw was "
                 "refitted on the full model"])
    local = LocalDesign(problem, solution.values, names, steps)
    c, delta = _expanded_refits(local, problem, y_draws)
    lo = np.array([result.params[n].min for n in names]) - np.array([solution.values[n] for n in names])
    hi = np.array([result.params[n].max for n in names]) - np.array([solution.values[n] for n in names])
    bad = (~np.all(np.isfinite(c), axis=1) | ~np.all(np.isfinite(delta), axis=1)
           | np.any(np.abs(delta) > MAX_STEPS * np.asarray(steps), axis=1) | np.any(delta < lo, axis=1)
           | np.any(delta > hi, axis=1))
    n_sp = len(problem.model.fitted_species)
    err = np.sqrt(np.diag(solution.linear_cov))[:n_sp]
    far, exact, worst = _expansion_check(problem, result, y_draws, c, delta, bad, steps, err, options.scale_covar)
    if worst > MC_TOLERANCE:
        return (refit_draws(problem, result, y_draws, options.scale_covar), f"mc refits (N={n_draw})",
                [f"Monte Carlo: every draw refitted on the full model (refits on the design expanded about the "
                 f"best fit were off by {worst:.2g} sigma in a band flux at the furthest draws: the model is "
                 "too nonlinear over the errors of its nonlinear parameters)"])
    samples = c[:, :n_sp].copy()
    samples[far] = exact
    notes = [f"Monte Carlo: {', '.join(names)} refitted per draw on the design expanded about the best fit "
             f"({local.n_designs} template builds; within {worst:.1g} sigma of full refits at the {far.size} "
             "furthest draws), amplitudes solved exactly"]
    if bad.any():
        samples[bad] = refit_draws(problem, result, y_draws[bad], options.scale_covar)
        notes.append(f"Monte Carlo: {int(bad.sum())} of {n_draw} draws refitted on the full model (their "
                     f"nonlinear parameters fell beyond {MAX_STEPS:g} standard errors or a bound)")
    return samples, f"mc refits (N={n_draw})", notes


def _expanded_refits(local, problem, y_draws):
    """(c, δ) of every draw by Gauss–Newton on the expanded design, in chunks with a progress bar."""
    from .._progress import progress

    n_draw, d = y_draws.shape[0], len(local.names)
    c0, _ = local.normal_equations(np.zeros((1, d)), np.zeros((1, 1, local.n_linear)))
    c, delta = np.empty((n_draw, local.n_linear)), np.empty((n_draw, d))
    for start in progress(range(0, n_draw, _MC_CHUNK), desc="Monte Carlo refits"):
        rows = slice(start, min(start + _MC_CHUNK, n_draw))
        proj = local.projections((y_draws[rows] / problem.sigma).T)
        # start: the exact linear solve of each draw at the best-fit θ (γ(0) picks the block A0)
        c_start = _scaled_solve(np.repeat(c0, proj.shape[0], axis=0), proj[:, 0, :])
        c[rows], delta[rows] = _gauss_newton(local, proj, c_start, np.zeros((proj.shape[0], d)))
    return c, delta


def _expansion_check(problem, result, y_draws, c, delta, bad, steps, err, scale_covar):
    """The `_CHECKED` draws furthest out, refitted on the full model: (their rows, fluxes, error in σ).

    The expansion is exact at the best fit and loses accuracy with distance; these refits
    (the reference path) bound its error where it is largest.
    """
    if not len(steps):   # no nonlinear parameter: the linear solve of each draw is exact
        return np.zeros(0, dtype=int), np.zeros((0, err.size)), 0.0
    reach = np.where(bad, -1.0, np.max(np.abs(delta) / np.asarray(steps), axis=1))
    far = np.array([j for j in np.argsort(reach)[::-1][:_CHECKED] if not bad[j]], dtype=int)
    if far.size == 0:
        return far, np.zeros((0, err.size)), 0.0
    exact = refit_draws(problem, result, y_draws[far], scale_covar)
    return far, exact, float(np.max(np.abs(exact - c[far, :err.size]) / err))


# --------------------------------------------------------------------------- MCMC
class _MarginalPosterior:
    """ln p(θ | y) with the amplitudes integrated out (flat priors), on a `LocalDesign`."""

    def __init__(self, local, y, sigma, lo, hi):
        self.local, self.lo, self.hi = local, lo, hi
        yw = y / sigma
        self.yy = float(yw @ yw)
        self.proj = local.projections(yw)[0]
        c0, _ = local.normal_equations(np.zeros((1, lo.size)), self.proj[None])
        self.scale = 1.0 / np.sqrt(np.diag(c0[0]))   # fixed column scaling (a constant in ln det)

    def normal(self, delta):
        """Scaled C and b at each δ of a batch."""
        g = self.local.gamma(delta)
        c = np.einsum("dm,dp,mpab->dab", g, g, self.local.gram, optimize=True)
        b = g @ self.proj
        return c * self.scale[:, None] * self.scale[None, :], b * self.scale

    def __call__(self, delta):
        delta = np.atleast_2d(delta)
        out = np.full(delta.shape[0], -np.inf)
        ok = np.all((delta >= self.lo) & (delta <= self.hi), axis=1)
        if ok.any():
            c, b = self.normal(delta[ok])
            chol = np.linalg.cholesky(c)
            z = np.linalg.solve(chol, b[..., None])[..., 0]
            logdet = 2.0 * np.log(np.einsum("dii->di", chol)).sum(axis=1)
            out[ok] = -0.5 * (self.yy - (z * z).sum(axis=1)) - 0.5 * logdet
        return out

    def amplitudes(self, delta, rng):
        """One draw of the amplitudes from N(C⁻¹b, C⁻¹) at each δ (physical units)."""
        c, b = self.normal(delta)
        chol = np.linalg.cholesky(c)
        z = np.linalg.solve(chol, b[..., None])[..., 0]
        # C = L Lᵀ: mean = L⁻ᵀ z, and L⁻ᵀ e with e ~ N(0, 1) has covariance C⁻¹
        e = z + rng.standard_normal(z.shape)
        return np.linalg.solve(chol.transpose(0, 2, 1), e[..., None])[..., 0] * self.scale


def _walker_start(cov, lo, hi, n_walkers, rng):
    """Walkers drawn from N(0, cov) (the fit's covariance of θ), redrawn until inside the bounds."""
    start = rng.multivariate_normal(np.zeros(lo.size), cov, size=n_walkers)
    for _ in range(100):
        out = np.any((start < lo) | (start > hi), axis=1)
        if not out.any():
            break
        start[out] = rng.multivariate_normal(np.zeros(lo.size), cov, size=int(out.sum()))
    return np.clip(start, lo, hi)


def _run_chain(posterior, start, max_steps, rng):
    """emcee until converged or ``max_steps``; (sampler, τ per parameter, converged)."""
    import emcee

    from .._progress import progress

    sampler = emcee.EnsembleSampler(start.shape[0], start.shape[1], posterior, vectorize=True)
    sampler.random_state = np.random.RandomState(int(rng.integers(2**31))).get_state()
    state, tau_prev, tau, converged = start, None, None, False
    chunks = -(-int(max_steps) // _CHECK_EVERY)
    for chunk in progress(range(chunks), desc="MCMC (x500 steps)"):
        n = min(_CHECK_EVERY, int(max_steps) - chunk * _CHECK_EVERY)
        state = sampler.run_mcmc(state, n, progress=False)
        tau = sampler.get_autocorr_time(tol=0)
        settled = tau_prev is not None and np.all(np.abs(tau - tau_prev) < TAU_SETTLED * tau)
        if np.all(np.isfinite(tau)) and sampler.iteration > TAU_FACTOR * tau.max() and settled:
            converged = True
            break
        tau_prev = tau
    return sampler, tau, converged


def mcmc_samples(solution, options, rng):
    """Band-flux draws from the marginal posterior; (samples, method text, notes, info dict)."""
    problem, result = solution.problem, solution.result
    names = nonlinear_names(problem, result)
    n_sp = len(problem.model.fitted_species)
    y, sigma = problem.y, problem.sigma
    if not names:
        draws = rng.multivariate_normal(solution.linear, solution.linear_cov, size=int(options.mcmc_steps))
        note = ("MCMC: no nonlinear parameter is fitted, so the posterior of the amplitudes (flat priors) is "
                "the Gaussian of the linear fit; drawn directly, no chain")
        return (draws[:, :n_sp], f"mcmc (exact Gaussian posterior, {draws.shape[0]} samples)", [note],
                {"converged": True, "steps": 0, "samples": int(draws.shape[0]), "template_builds": 0})
    steps = _steps(problem, result, names, 1.5)
    idx = [result.var_names.index(n) for n in names]
    if steps is None or result.covar is None:
        raise FitError("MCMC needs a finite error of every nonlinear parameter (T_rot, shift, ...) "
                       "within its bounds; fix the unconstrained one (e.g. T_rot=)")
    local = LocalDesign(problem, solution.values, names, steps)
    best = np.array([solution.values[n] for n in names])
    lo = np.array([result.params[n].min for n in names]) - best
    hi = np.array([result.params[n].max for n in names]) - best
    posterior = _MarginalPosterior(local, y, sigma, lo, hi)
    cov = result.covar[np.ix_(idx, idx)]
    n_walkers = int(options.mcmc_walkers or max(4 * len(names), 16))
    notes = []
    with stdout_to_notes("emcee", notes):   # keep stdout for the result
        sampler, tau, converged = _run_chain(posterior, _walker_start(cov, lo, hi, n_walkers, rng),
                                             options.mcmc_steps, rng)
    iteration = sampler.iteration
    discard = min(max(int(options.mcmc_burn), int(np.ceil(3 * tau.max()))), iteration // 2)
    thin = max(1, int(0.5 * tau.min()))
    flat = sampler.get_chain(discard=discard, thin=thin, flat=True)
    lin = posterior.amplitudes(flat, rng)
    # accuracy of the expanded design where the chain went furthest
    far = flat[np.argsort(np.einsum("di,ij,dj->d", flat, np.linalg.inv(cov), flat))[-4:]]
    check = local.check(far, y)
    info = {"converged": bool(converged), "steps": int(iteration), "walkers": n_walkers,
            "tau": {n: float(t) for n, t in zip(names, tau)}, "discard": discard, "thin": thin,
            "samples": int(flat.shape[0]), "template_builds": local.n_designs + far.shape[0],
            "expansion_chi2_error": float(check)}
    taus = ", ".join(f"{n} {t:.0f}" for n, t in zip(names, tau))
    notes += [f"MCMC over {', '.join(names)} (emcee, {n_walkers} walkers, {iteration} steps; autocorrelation "
             f"times {taus} steps); amplitudes marginalised analytically (flat priors) and drawn from "
             "their conditional Gaussian"]
    if not converged:
        message = (f"MCMC did not converge: the chain ({iteration} steps) is not longer than {TAU_FACTOR:g} "
                   "autocorrelation times with a settled estimate; raise --mcmc-steps")
        notes.append(message)
        warnings.warn(message, ComaspecWarning, stacklevel=4)
    if check > 0.5:
        notes.append(f"MCMC: the expanded design differs from the model by chi2 {check:.2g} at the "
                     "chain's edge; its tails are approximate")
    method = f"mcmc (emcee over {', '.join(names)}, amplitudes marginalised; {flat.shape[0]} samples)"
    return lin[:, :n_sp], method, notes, info
