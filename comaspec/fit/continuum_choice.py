"""The continuum of a default fit, chosen from the data: each window's polynomial degree,
and the physical continuum where the polynomials have to bend.

The default windows' degrees (3 at 2.7 µm, 4 at 4.5 µm) follow a scattered-light continuum.
A dust continuum rising steeply through 4–5 µm (thermal emission at a few au, high S/N)
bends more than a quartic can follow, and the misfit is read as CO and as a CO2 bias. So,
after the fit with the default degrees, each window's degree is raised, one window at a
time, up to `MAX_DEGREE`, at the fitted T_rot, shift and ortho/para (the model is then
linear: one design, column subsets, one solve each). The Bayesian information criterion,

    BIC = χ² + k ln n     (Schwarz 1978, Ann. Stat. 6, 461),

with k the linear parameters and n the fitted pixels, picks each window's degree; the new
degrees are kept only when they lower the BIC of the default degrees by more than
`DECISIVE_BIC` = 10, "very strong" evidence on the scale of Kass & Raftery (1995, J. Am.
Stat. Assoc. 90, 773, §3.2). For a continuum the defaults already describe, one more
term lowers χ² by a χ²₁ variable, and a drop of ln n + 10 ≈ 15 happens by chance about once
in 10⁴ fits: a clean spectrum keeps its defaults and its results, exactly.

When the degrees were raised, the continuum is curved enough to be thermal dust emission,
and the physical continuum (scattered sunlight with a slope + a dust blackbody, both shape
parameters fitted) is fitted too; it replaces the polynomials when its BIC (χ² + k ln n,
k counting every fitted parameter) is lower by more than `DECISIVE_BIC`. Where that
continuum's best shape lies on the bounds of its parameters, `comaspec.fit.physical_screen`
finds its best χ² directly first; when the BIC of that is no lower than the polynomials', the
physical fit, which could only win from another optimum lower by more than `DECISIVE_BIC`
in χ², is not made (`_screened_out`). The note of the fit and
``fit_info["continuum_choice"]`` say what was chosen and the BIC values.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from ..model.columns import sharing_columns
from ..model.parameters import ORTHO_PARA, SHARED_T_ROT, shift_name, t_rot_name

__all__ = ["choose_degrees", "MAX_DEGREE", "DECISIVE_BIC"]

#: Highest degree tried (the largest a `comaspec.model.Window` allows).
MAX_DEGREE = 6
#: BIC drop needed to leave the default degrees.
DECISIVE_BIC = 10.0


def _values(fit, model):
    """The nonlinear parameters of a fit by name: T_rot per fitted species, shifts, ortho/para."""
    values = {t_rot_name(s): float(fit.species[s].T_rot) for s in model.fitted_species}
    values.update({shift_name(i): float(v) for i, v in enumerate(fit.fit_info.get("wavelength_shift_um", []))})
    if fit.fit_info.get("ortho_para") is not None:
        values[ORTHO_PARA] = float(fit.fit_info["ortho_para"])
    return values


def _bic(design, y, sigma, keep):
    """BIC of the weighted least-squares fit of the columns ``keep`` (a direct lstsq)."""
    a, b = design[:, keep] / sigma[:, None], y / sigma
    coef = np.linalg.lstsq(a, b, rcond=None)[0]
    chi2 = float(np.sum((b - a @ coef) ** 2))
    return chi2 + int(keep.sum()) * math.log(y.size)


class _SubsetBic:
    """`_bic` of many column subsets of one design from one QR factorisation.

    The R factor of [A/σ | y/σ] is [[R, z], [0, ρ]]: z = Qᵀ y/σ and ρ² the part of χ² outside
    the span of all the columns. The χ² of the columns ``keep`` is then ρ² plus the same
    quantity for [R[:, keep] | z] (a k × k problem, again one R factor). Householder
    reflections only, no normal equations: the same χ² as a direct lstsq to rounding (tested
    against `_bic`).
    """

    def __init__(self, design, y, sigma):
        k = design.shape[1]
        r = np.linalg.qr(np.column_stack([design / sigma[:, None], y / sigma]), mode="r")
        self._r, self._z = r[:k, :k], r[:k, k]
        self._outside = float(r[k, k] ** 2) if r.shape[0] > k else 0.0
        self._log_n = math.log(y.size)

    def __call__(self, keep):
        m = int(keep.sum())
        r = np.linalg.qr(np.column_stack([self._r[:, keep], self._z]), mode="r")
        inside = float(r[m, m] ** 2) if r.shape[0] > m else 0.0
        return inside + self._outside + m * self._log_n


def choose_degrees(model, fit, build):
    """Windows with the degrees the data ask for, or None when the defaults stand.

    Parameters
    ----------
    model : `comaspec.model.ForwardModel`
        The model fitted, with polynomial windows.
    fit : `comaspec.results.ComaFit`
        Its fit (the nonlinear parameters are held at its values).
    build : callable
        ``build(windows)`` -> a `ForwardModel` of the same spectra with these windows.

    Returns
    -------
    (tuple of Window, dict) or None
        The windows and ``{"bic_default", "bic_chosen", "degrees"}``.
    """
    from ..errors import ComaspecError

    windows = tuple(model.windows)
    if not any(w.degree < MAX_DEGREE for w in windows):
        return None
    widest = build(tuple(replace(w, degree=MAX_DEGREE) for w in windows))
    if widest.n_points != model.n_points:
        return None  # a window lost its pixels at a higher degree: keep the defaults
    try:
        values = _values(fit, model)
        with sharing_columns(model):   # the fitted model's templates at this state, for the widest
            model.design(values)
        with sharing_columns(widest):
            design = widest.design(values)
    except ComaspecError:
        return None
    y, sigma = widest.data()
    names = widest.linear_names()
    n_sp = len(widest.fitted_species)

    def keep_for(degrees):
        keep = np.zeros(len(names), dtype=bool)
        keep[:n_sp] = True
        for j, name in enumerate(names[n_sp:], start=n_sp):
            window, order = name.rsplit("_", 1)
            keep[j] = int(order) <= degrees[window.split("_", 1)[1]]
        return keep

    from ..model.continuum import _ident

    default = {_ident(w.name): w.degree for w in windows}
    try:
        bic = _SubsetBic(design, y, sigma)
        bic0 = bic(keep_for(default))
        chosen = dict(default)
        for w in windows:
            key = _ident(w.name)
            trials = {d: bic(keep_for(dict(default, **{key: d}))) for d in range(w.degree, MAX_DEGREE + 1)}
            chosen[key] = min(trials, key=trials.get)
        bic1 = bic(keep_for(chosen))
    except ComaspecError:  # a degenerate design at some degree
        return None
    if not bic0 - bic1 > DECISIVE_BIC:
        return None
    new = tuple(replace(w, degree=chosen[_ident(w.name)]) for w in windows)
    return new, {"bic_default": bic0, "bic_chosen": bic1, "degrees": {w.name: w.degree for w in new}}


def fit_with_chosen_degrees(model, options, build, fit_model):
    """`comaspec.fit.fit_model` with each default window's degree chosen by `choose_degrees`.

    The first fit runs without MC/MCMC; its warnings are held back and re-issued only when
    it stands. With new degrees the model is rebuilt at them and fitted (a trial, warnings
    held back), and so is the physical continuum (`_trial_fits`); the winner is the
    result, its warnings re-issued. A trial fit is the final fit itself: the same model,
    options and data give the same numbers (tested), so it is only fitted again when MC or
    MCMC are asked (with ``options``). ``fit_info["continuum_choice"]`` and a note record the
    choice.

    Parameters
    ----------
    model : `comaspec.model.ForwardModel`
    options : `comaspec.fit.FitOptions`
    build : callable
        ``build(windows)`` -> a `ForwardModel` of the same spectra with these windows.
    fit_model : callable
        `comaspec.fit.fit_model` (passed in: this module sits below the fitter's core).

    Returns
    -------
    `comaspec.results.ComaFit`
    """
    first_options = replace(options, mc=0, mcmc=False)
    fit, caught = _held_back(fit_model, model, first_options)
    choice = choose_degrees(model, fit, build)
    if choice is None:
        if first_options != options:
            return fit_model(model, options)
        _reissue(caught)
        return fit
    windows, info = choice
    old = {w.name: w.degree for w in model.windows}
    info = dict(info, default_degrees=old, continuum="polynomial")
    changed = ", ".join(f"{name} {old[name]} -> {d}" for name, d in info["degrees"].items() if d != old[name])
    note = (f"continuum: polynomial degree raised by the data ({changed}; BIC lower by "
            f"{info['bic_default'] - info['bic_chosen']:.1f} > {DECISIVE_BIC:g})")
    final, trial = build(windows), None
    trials = _trial_fits(model, final, windows, first_options, build, fit_model)
    if trials is not None and trials["physical_wins"]:
        final, trial = trials["physical"]
        info.update(continuum="physical", bic_polynomial=trials["bic_polynomial"], bic_physical=trials["bic_physical"])
        note += (f", and the physical continuum (scattered sunlight + dust thermal emission) describes it better "
                 f"still (BIC {trials['bic_physical']:.1f} against {trials['bic_polynomial']:.1f} for the "
                 f"polynomials): it is used")
    else:
        trial = None if trials is None else trials["polynomial"][1]
        note += "; a continuum this curved is often thermal dust emission: compare --continuum physical"
    if trial is None or first_options != options:
        result = fit_model(final, options)
    else:
        result, caught = trial
        _reissue(caught)
    result.fit_info["continuum_choice"] = info
    result.fit_info.setdefault("notes", []).append(note)
    return result


def _held_back(fit_model, model, options):
    """``fit_model(model, options)`` and the warnings it issued, held back (not shown)."""
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = fit_model(model, options)
    return fit, caught


def _reissue(caught):
    """Issue warnings held back by `_held_back`, as their fit would have."""
    import warnings

    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def _bic_of(fit):
    info = fit.fit_info
    return float(info["chi2"]) + int(info["n_params"]) * math.log(int(info["n_points"]))


def _trial_fits(model, polynomial, windows, options, build, fit_model):
    """The trial fits of the chosen polynomial degrees (of the model ``polynomial``) and of the
    physical continuum; None without geometry or when the polynomial fit cannot be made.

    Returns ``{"polynomial": (model, (fit, warnings)), "physical": (model, (fit, warnings)),
    "bic_polynomial", "bic_physical", "physical_wins"}`` ("physical" None when its fit
    cannot be made or is screened out, `_screened_out`): the physical continuum wins when
    its BIC is lower by more than `DECISIVE_BIC`. The warnings are held back (`_held_back`):
    only the fit used speaks.
    """
    from ..errors import ComaspecError

    if model.geometry is None:
        return None
    try:
        poly = _held_back(fit_model, polynomial, options)
    except ComaspecError:
        return None   # the final fit (of the same model) says what is wrong
    trials = {"polynomial": (polynomial, poly), "physical": None, "bic_polynomial": _bic_of(poly[0]),
              "bic_physical": None, "physical_wins": False}
    try:
        physical_model = build(windows, "physical")
        if _screened_out(physical_model, polynomial, poly[0], trials["bic_polynomial"]):
            return trials
        physical = _held_back(fit_model, physical_model, options)
    except ComaspecError:
        return trials
    trials.update(physical=(physical_model, physical), bic_physical=_bic_of(physical[0]))
    trials["physical_wins"] = trials["bic_polynomial"] - trials["bic_physical"] > DECISIVE_BIC
    return trials


def _screened_out(physical_model, polynomial, poly_fit, bic_polynomial):
    """Whether the physical continuum's best fit, found by `comaspec.fit.physical_screen` with
    its shape on a bound, has a BIC no lower than the polynomials' (then it cannot win by
    `DECISIVE_BIC`, and its trial fit is not made)."""
    from .physical_screen import screened_chi2

    if poly_fit.params is None:
        return False
    screened = screened_chi2(physical_model, *screen_start(polynomial, poly_fit), species_model=polynomial)
    if screened is None:
        return False
    chi2, n_params = screened
    return chi2 + n_params * math.log(physical_model.n_points) >= bic_polynomial


def screen_start(polynomial, poly_fit):
    """Start values and bounds of the physical continuum's screen: the polynomial trial's
    T_rot, shifts and ortho/para (varied within the same bounds, or held as they were).

    Parameters
    ----------
    polynomial : `comaspec.model.ForwardModel`
        The polynomial trial's model.
    poly_fit : `comaspec.results.ComaFit`
        Its fit.

    Returns
    -------
    (dict, dict)
        Every nonlinear value by name, and ``name -> (lo, hi)`` of the varied ones.
    """
    linear = set(polynomial.linear_names())
    varied = {n: p for n, p in poly_fit.params.items() if p.vary and n not in linear}
    start = _values(poly_fit, polynomial)
    if SHARED_T_ROT in varied:   # a species' own T_rot would win over the shared one
        start = {n: v for n, v in start.items() if n not in {t_rot_name(s) for s in polynomial.fitted_species}}
    start.update({n: float(p.value) for n, p in varied.items()})
    return start, {n: (float(p.min), float(p.max)) for n, p in varied.items()}
