"""Speed of a full nonlinear `fit_coma` against its floor: a weighted linear solve.

For PRISM, G395H and a joint G235H + G395H fit of synthetic comae (fixed seed), the script
times, in the same process,

* ``fit_coma`` with T_rot and wavelength shift free (what a user runs), and
* the floor: a weighted ``numpy.linalg.lstsq`` on the *same* design matrix at the best-fit
  T_rot and shift (the problem is linear there), design built once beforehand;
* for context, the same lstsq including the build of that design (templates integrated over
  the pixels at one T_rot, on a model whose cache is empty, every line integrated directly)
  - one evaluation of the model.

It prints the median of each over ``--repeat`` runs and the ratios of the fit to both (goal
<= 10 against the second, issue 22; the fit and the design + lstsq are timed in turn, at
least 15 of each, so that the load of a shared machine moves both alike), and where a fit's
time goes: the evaluations of the design (how many, and their total), and the rest (model
set-up, start values' linear solves, lmfit's bookkeeping, uncertainties, the result object).
The rest alone, divided by the floor, is the best ratio a fit could reach if every design
evaluation were free. A line of stages splits the same fits further (milliseconds per fit):
model set-up (the first model), start values (of which the T_rot grid), Levenberg-Marquardt
(of which design evaluations, and of those the stick spectra of new temperatures), errors,
continuum-degree choice, result object, and the rest (argument checks, reading).
Last, lmfit's own floor: ``lmfit.Minimizer.leastsq`` on the same
parameters with a residual that is just the fixed weighted design times the linear ones (no
model at all). The first call of each case is a warm-up (line lists read, caches filled), as
for a user fitting more than one spectrum in a session; what is kept between fits
(`comaspec.model.setup_cache`) does not depend on the data (model set-up, the start grid),
so a fit of another spectrum of the same grid costs the same (``--fresh`` fits a new noise
realisation each time). BLAS is limited to one
thread for all timings, as `fit_coma` does. Times are CPU time of this process
(``time.process_time``): on a shared machine wall time mostly measures the other jobs. A
second line times the same fit with every template integrated directly
(``ForwardModel.cache_line_pixels = False``, the path before the cached pixel structure).
Last, when ``../shared/data`` is there, a CH4 + C2H6 fit of the real C/2017 K2 beam
(NIRSpec G395M, 41 pixels) against the G395H CO2/H2O/CO fit above, the two timed in turn
(goal: ratio <= 1), and
where its time goes: each fit the continuum choice makes (`comaspec.fit.continuum_choice`:
the first fit, then, the degrees being raised, the trial fits of the polynomials and of the
physical continuum, the winner being the result), with its nfev and design evaluations, the
physical continuum's screen (`comaspec.fit.physical_screen`: its evaluations, and whether it
ruled the physical trial fit out), and the rest. Run:

    python benchmarks/fit_bench.py [--repeat N] [--fresh] [--k2-only]

(``--k2-only``: the K2 line and its stages alone, against the same G395H fit.)
"""

import argparse
import statistics
import time
import warnings

import astropy.units as u
import numpy as np

from comaspec._threads import single_threaded_blas
from comaspec.apertures import CircularAperture
from comaspec.fit import as_observed, fit_coma
from comaspec.geometry import Geometry
from comaspec.model import ForwardModel
from comaspec.synthetic import synthetic_spectrum

GEO = Geometry(3.32 * u.au, 2.61 * u.au, 17 * u.deg)
AP = CircularAperture(0.5 * u.arcsec)
Q = {"CO2": 1.7e27, "H2O": 2.2e26, "CO": 1e26}
CONT = {"scattered": 1.2e-16, "slope": 0.5, "thermal": 2e-19}
CASES = {"PRISM": ["PRISM"], "G395H": ["G395H"], "G235H+G395H": ["G235H", "G395H"]}


def _spectra(modes, seed=0):
    return [synthetic_spectrum(m, Q, GEO, AP, T_rot=50.0, error=2e-19 * u.W / u.m**2 / u.um, continuum=CONT,
                               seed=seed + k, shift_um=2e-4) for k, m in enumerate(modes)]


def _fit_runner(spectra, modes, n_fresh):
    """A fit of ``spectra`` each call, or (``n_fresh`` > 0) of a new noise realisation each call."""
    if not n_fresh:
        return lambda: fit_coma(spectra, GEO, AP, list(Q))
    sets = iter([_spectra(modes, seed=1000 + 10 * j) for j in range(n_fresh)])
    return lambda: fit_coma(next(sets), GEO, AP, list(Q))


def _median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = _clock()
        fn()
        times.append(_clock() - t0)
    return statistics.median(times)


def _paired_median_times(fn_a, fn_b, repeat):
    """Medians of ``fn_a`` and ``fn_b`` timed alternately ``repeat`` times each."""
    times_a, times_b = [], []
    for _ in range(repeat):
        for fn, times in ((fn_a, times_a), (fn_b, times_b)):
            t0 = _clock()
            fn()
            times.append(_clock() - t0)
    return statistics.median(times_a), statistics.median(times_b)


#: CPU time of this process: on a machine shared with other work, wall time measures the others
_clock = time.process_time


def _model(spectra):
    return ForwardModel([as_observed(s) for s in spectra], list(Q), GEO, [AP] * len(spectra))


def _fit_values(fit, model):
    """The fit's T_rot per species and shifts, by parameter name."""
    return {**{f"T_rot_{s}": fit.species[s].T_rot for s in model.fitted_species},
            **{f"shift_{i}": v for i, v in enumerate(fit.fit_info["wavelength_shift_um"])}}


def _floor(spectra, fit):
    """A weighted lstsq on the design at the fit's T_rot and shifts (design built outside the timing)."""
    model = _model(spectra)
    a = model.design(_fit_values(fit, model))
    y, e = model.data()
    aw, yw = a / e[:, None], y / e
    return lambda: np.linalg.lstsq(aw, yw, rcond=None)


def _lmfit_floor(spectra, fit):
    """lmfit's leastsq on the fit's parameters with a residual that is a fixed matrix product."""
    import lmfit

    model = _model(spectra)
    a = model.design(_fit_values(fit, model))
    y, e = model.data()
    scale = 1.0 / np.sqrt(((a / e[:, None]) ** 2).sum(axis=0))
    aw, yw = a / e[:, None] * scale, y / e
    start = np.linalg.lstsq(aw, yw, rcond=None)[0] * 1.01
    n_lin = a.shape[1]

    def residual(params):
        v = params.valuesdict()
        return aw @ np.array([v[f"c{i}"] for i in range(n_lin)]) - yw

    def run():
        params = lmfit.Parameters()
        for i in range(n_lin):
            params.add(f"c{i}", value=start[i])
        params.add("T_rot", value=50.0, min=5.0, max=500.0)
        for i in range(len(spectra)):
            params.add(f"shift_{i}", value=0.0, min=-1e-3, max=1e-3)
        return lmfit.Minimizer(residual, params).minimize(method="leastsq")

    return run


def _design_and_floor(spectra, fit, repeat):
    """The same lstsq with the design built in the timing, each time on a fresh model (empty cache)."""
    models = [_model(spectra) for _ in range(repeat)]
    for model in models:   # one evaluation integrates every line directly (no structure to build)
        model.cache_line_pixels = False
    models = iter(models)
    T = {s: fit.species[s].T_rot for s in fit.q_names}
    shifts = fit.fit_info["wavelength_shift_um"]

    def run():
        model = next(models)
        a = model.design({**{f"T_rot_{s}": T.get(s, 50.0) for s in model.fitted_species},
                          **{f"shift_{i}": v for i, v in enumerate(shifts)}})
        y, e = model.data()
        return np.linalg.lstsq(a / e[:, None], y / e, rcond=None)

    return run


def _direct_fit(spectra):
    """A whole fit (model built in the timing, as fit_coma) with the direct template integration."""
    from comaspec.fit import FitOptions, fit_model

    def run():
        model = _model(spectra)
        model.cache_line_pixels = False
        return fit_model(model, FitOptions())

    return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each (default 5)")
    parser.add_argument("--fresh", action="store_true", help="fit a new noise realisation of the same grid "
                        "each time (default: the same spectrum, as a user refitting it)")
    parser.add_argument("--k2-only", action="store_true", help="only the K2 CH4+C2H6 fit against the G395H fit")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    with single_threaded_blas():
        if args.k2_only:
            _print_k2(args.repeat, _g395h_fit(_spectra(CASES["G395H"])))
        else:
            _run(args.repeat, args.fresh)


class _StageTimer:
    """CPU time per fit of each stage of `fit_coma` (wrapped functions) while active."""

    #: (label, module, attribute path); stages below another are counted inside it too
    STAGES = (("model set-up", "comaspec.model.forward", "ForwardModel.__init__"),
              ("start values", "comaspec.fit.core", "_parameters"),
              ("T_rot grid", "comaspec.fit.core", "_start_values"),
              ("Levenberg-Marquardt", "comaspec.fit.core", "_minimise"),
              ("designs", "comaspec.model.forward", "ForwardModel.design"),
              ("stick spectra", "comaspec.physics.templates", "stick_spectrum"),
              ("errors", "comaspec.fit.core", "_solution"), ("errors", "comaspec.fit.core", "_sample"),
              ("degree choice", "comaspec.fit.continuum_choice", "choose_degrees"),
              ("result object", "comaspec.fit.assemble", "coma_fit_from_solution"))

    def __enter__(self):
        import importlib

        self.seconds, self._undo, self._inside = {}, [], []
        for label, module, path in self.STAGES:
            owner = importlib.import_module(module)
            *outer, name = path.split(".")
            for part in outer:
                owner = getattr(owner, part)
            original = getattr(owner, name, None)
            if original is not None:
                setattr(owner, name, self._timed(label, original))
                self._undo.append((owner, name, original))
        return self

    def _timed(self, label, original):
        def timed(*args, **kwargs):
            # the designs and stick spectra of the optimiser only (not of the start grid); the
            # models built by the degree choice count in it
            counted = (label not in ("designs", "stick spectra") or "Levenberg-Marquardt" in self._inside) \
                and (label != "model set-up" or not self._inside)
            self._inside.append(label)
            t0 = _clock()
            try:
                return original(*args, **kwargs)
            finally:
                self._inside.pop()
                if counted:
                    self.seconds[label] = self.seconds.get(label, 0.0) + _clock() - t0
        return timed

    def __exit__(self, *exc):
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)

    def line(self, t_fit, n_fits):
        """The stages in ms per fit, and the rest of ``t_fit`` (s per fit)."""
        ms = {k: 1e3 * v / n_fits for k, v in self.seconds.items()}
        get = lambda k: ms.get(k, 0.0)  # noqa: E731
        top = ("model set-up", "start values", "Levenberg-Marquardt", "errors", "degree choice", "result object")
        return (f"model set-up {get('model set-up'):4.1f}, start values {get('start values'):4.1f} (T_rot grid "
                f"{get('T_rot grid'):3.1f}), Levenberg-Marquardt {get('Levenberg-Marquardt'):4.1f} (designs "
                f"{get('designs'):4.1f}, of which stick spectra {get('stick spectra'):3.1f}), errors "
                f"{get('errors'):3.1f}, degree choice {get('degree choice'):3.1f}, result object "
                f"{get('result object'):3.1f}, the rest {1e3 * t_fit - sum(get(k) for k in top):3.1f}")


class _DesignTimer:
    """Counts and times `ForwardModel.design` (every design evaluation of a fit) while active."""

    def __enter__(self):
        self.calls, self.seconds = 0, 0.0
        self._orig = ForwardModel.design
        timer = self

        def timed(model, *args, **kwargs):
            t0 = _clock()
            try:
                return timer._orig(model, *args, **kwargs)
            finally:
                timer.calls += 1
                timer.seconds += _clock() - t0

        ForwardModel.design = timed
        return self

    def __exit__(self, *exc):
        ForwardModel.design = self._orig


def _k2_fit(repeat, reference):
    """(median time, median time of ``reference``, stages) of a CH4 + C2H6 fit of the real K2
    beam timed in turn with ``reference`` (at least 15 of each), or None without the shared file."""
    from pathlib import Path

    from comaspec.pipeline import load_inputs, spectra_to_fit

    path = (Path(__file__).resolve().parents[2] / "shared" / "data" / "c2017k2-jwst-nirspec-ch4"
            / "c2017k2_nirspec_g395m_beam0.75arcsec_3.25-3.33um.txt")
    if not path.is_file():
        return None
    geometry, aperture = Geometry(2.34 * u.au, 2.04 * u.au), CircularAperture(0.75 * u.arcsec)
    spectra = spectra_to_fit(load_inputs([str(path)]), aperture, None)
    run = lambda: fit_coma(spectra, geometry, aperture, ["CH4", "C2H6"])  # noqa: E731
    run()  # warm-up
    return (*_paired_median_times(run, reference, max(repeat, 15)), _fit_stages(run, repeat))


def _fit_stages(run, repeat):
    """Each `fit_model` call of ``run`` (the continuum choice's fits): the median of its time,
    nfev, design evaluations and their time; the physical continuum's screen (median time,
    evaluations, whether it ruled the trial out); and the median time of ``run`` outside them."""
    import comaspec.fit.continuum_choice as choice
    import comaspec.fit.core as core
    import comaspec.fit.physical_screen as screen

    fit_model, screened_out, residual = core.fit_model, choice._screened_out, screen._Projected.residual
    runs, screens, rest, calls = [], [], [], [0]

    def timed(model, options):
        with _DesignTimer() as timer:
            t0 = _clock()
            fit = fit_model(model, options)
            seconds = _clock() - t0
        runs[-1].append((model.continuum.name, seconds, fit.fit_info["nfev"], timer.calls, timer.seconds))
        return fit

    def timed_screen(*args):
        calls[0], t0 = 0, _clock()
        out = screened_out(*args)
        screens[-1].append((_clock() - t0, calls[0], out))
        return out

    def counted(self, x):
        calls[0] += 1
        return residual(self, x)

    core.fit_model, choice._screened_out, screen._Projected.residual = timed, timed_screen, counted
    try:   # fit_coma passes the module's fit_model on to the continuum choice
        for _ in range(repeat):
            runs.append([])
            screens.append([])
            t0 = _clock()
            run()
            rest.append(_clock() - t0 - sum(stage[1] for stage in runs[-1]) - sum(s[0] for s in screens[-1]))
    finally:
        core.fit_model, choice._screened_out, screen._Projected.residual = fit_model, screened_out, residual
    stages = [(runs[0][j][0], *(statistics.median(r[j][k] for r in runs) for k in range(1, 5)))
              for j in range(len(runs[0]))]
    screened = [(statistics.median(s[j][0] for s in screens), screens[0][j][1], screens[0][j][2])
                for j in range(len(screens[0]))]
    return stages, screened, statistics.median(rest)


def _print_stages(stages, screened, rest, t_reference):
    """Where the K2 fit's time goes: its fits, their design evaluations, the screen, and the rest."""
    for j, (continuum, seconds, nfev, n_eval, t_eval) in enumerate(stages):
        what = "the first fit (default degrees)" if j == 0 else f"trial fit {j} ({continuum})"
        print(f"{'':12s}   {what}: {1e3 * seconds:5.1f} ms, nfev {nfev:.0f}, {n_eval:.0f} design evaluations "
              f"{1e3 * t_eval:5.1f} ms")
    for seconds, n_eval, out in screened:
        print(f"{'':12s}   the physical continuum's screen: {1e3 * seconds:5.1f} ms, {n_eval} evaluations "
              f"(variable projection), {'trial not fitted' if out else 'trial fitted'}")
    free = sum(s[1] - s[4] for s in stages) + sum(s[0] for s in screened) + rest
    print(f"{'':12s}   the rest (degree choice, model builds) {1e3 * rest:4.1f} ms; with free designs (the "
          f"screen's included) the K2 fit would cost {1e3 * free:5.1f} ms = {free / t_reference:4.2f}x the G395H fit")


def _run(repeat, fresh=False):
    times, g395h = {}, None
    for name, modes in CASES.items():
        spectra = _spectra(modes)
        fit = fit_coma(spectra, GEO, AP, list(Q))  # warm-up
        if name == "G395H":
            g395h = _g395h_fit(spectra)
        # the goal's ratio: fits and design + lstsq timed in turn (a change of the machine's load
        # then moves both alike), each the median of at least 15 (3 moved the ratio by 30 %)
        n_pairs = max(repeat, 15)
        run = _fit_runner(spectra, modes, n_pairs + 2 * repeat if fresh else 0)
        t_fit, t_design = _paired_median_times(run, _design_and_floor(spectra, fit, n_pairs), n_pairs)
        times[name] = t_fit
        t_floor = _median_time(_floor(spectra, fit), max(repeat, 50))
        with _DesignTimer() as timer:
            t0 = _clock()
            for _ in range(repeat):
                run()
            t_all = (_clock() - t0) / repeat
        t_eval, n_eval = timer.seconds / repeat, timer.calls / repeat
        print(f"{name:12s} fit {1e3 * t_fit:7.1f} ms (nfev {fit.fit_info['nfev']}) | lstsq at fixed T_rot "
              f"{1e3 * t_floor:6.3f} ms: ratio {t_fit / t_floor:6.0f} | design + lstsq "
              f"{1e3 * t_design:5.1f} ms: ratio {t_fit / t_design:5.1f} (goal <= 10)")
        t_direct = _median_time(_direct_fit(spectra), repeat)
        print(f"{'':12s}   the same fit with every template integrated directly (no cached pixel "
              f"structure): {1e3 * t_direct:5.1f} ms, ratio {t_direct / t_design:5.1f}")
        with _StageTimer() as stages:
            t0 = _clock()
            for _ in range(repeat):
                run()
            t_staged = (_clock() - t0) / repeat
        print(f"{'':12s}   stages, ms per fit: {stages.line(t_staged, repeat)}")
        t_lmfit = _median_time(_lmfit_floor(spectra, fit), repeat)
        print(f"{'':12s}   of which {n_eval:.0f} design evaluations {1e3 * t_eval:5.1f} ms and the rest "
              f"{1e3 * (t_all - t_eval):5.1f} ms: with free designs the ratio would be "
              f"{(t_all - t_eval) / t_floor:5.0f}")
        print(f"{'':12s}   lmfit alone (same parameters, residual a fixed matrix product): "
              f"{1e3 * t_lmfit:5.2f} ms = {t_lmfit / t_floor:4.0f}x the floor")
    _print_k2(repeat, g395h)


def _g395h_fit(spectra):
    """The G395H CO2/H2O/CO fit the K2 fit is set against."""
    return lambda: fit_coma(spectra, GEO, AP, list(Q))


def _print_k2(repeat, g395h):
    """The K2 line: its fit against ``g395h`` (timed in turn, of the same spectrum each time)."""
    g395h()   # warm-up
    k2 = _k2_fit(repeat, g395h)
    if k2 is not None:
        t_k2, t_g395h, (stages, screened, rest) = k2
        print(f"{'K2 CH4+C2H6':12s} fit {1e3 * t_k2:7.1f} ms (real G395M beam): {t_k2 / t_g395h:4.2f}x the "
              f"G395H CO2/H2O/CO fit (goal <= 1)")
        _print_stages(stages, screened, rest, t_g395h)


if __name__ == "__main__":
    main()
