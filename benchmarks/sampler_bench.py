"""Cost of ``--mc`` and ``--mcmc`` against a plain fit, as ratios measured in one session.

1. The CLI: ``comaspec ratio --example --mc 1000`` against ``comaspec ratio --example`` (goal
   <= 2), each run ``--repeat`` times in a subprocess; the CPU time of the child (user + system,
   robust to other load on the machine) and the wall time, medians.
2. In process, on the example's fit: 1000 Monte Carlo draws on the local expanded design
   against the reference path (an lmfit refit of each draw on the full model), timed on
   ``--ref-draws`` draws and scaled to 1000.
3. MCMC on the example with T_rot and the shift free: design evaluations (template builds)
   of the whole fit + chain, whether the chain converged, its length and autocorrelation
   times, and each band-flux spread against the covariance error. Before this change the
   chain made 18 050 template builds and was never converged.

Run:

    python benchmarks/sampler_bench.py [--repeat N] [--ref-draws N]
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np


def _cli_cost(args, repeat):
    env = dict(os.environ, PYTHONPATH=os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cpu, wall = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "comaspec", "ratio", "--example", "--quiet", *args], check=True,
                       env=env, stdout=subprocess.DEVNULL)
        wall.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(cpu), statistics.median(wall)


def _example_fit(options):
    import comaspec as c
    from comaspec.fit import core as fitmod
    from comaspec.model import ForwardModel
    from comaspec.synthetic import aperture_from_header, geometry_from_header

    spec = c.read_spectrum(c.example_path())
    header = spec.meta["primary_header"]
    geo, ap = geometry_from_header(header, "example"), aperture_from_header(header, "example")
    model = ForwardModel([fitmod.as_observed(spec)], ["CO2", "H2O", "CO"], geo, [ap])
    problem, params = fitmod._parameters(model, options)
    result, notes = fitmod._minimise(problem, params, options)
    return model, fitmod._solution(problem, result, options, notes)


def _mc_in_process(ref_draws):
    from comaspec.fit.samplers import mc_samples, refit_draws
    from comaspec.fit import FitOptions

    options = FitOptions(mc=1000, seed=1)
    _model, solution = _example_fit(options)
    t0 = time.process_time()
    mc_samples(solution, options, np.random.default_rng(1))
    t_fast = time.process_time() - t0
    rng = np.random.default_rng(1)
    y = solution.design @ solution.linear + rng.normal(0.0, solution.problem.sigma,
                                                       size=(ref_draws, solution.problem.sigma.size))
    t0 = time.process_time()
    refit_draws(solution.problem, solution.result, y, False)
    t_ref = (time.process_time() - t0) * 1000 / ref_draws
    print(f"MC, 1000 draws in process: local expanded design {t_fast:.2f} s CPU, reference refits "
          f"{t_ref:.1f} s (from {ref_draws} draws): {t_ref / t_fast:.0f}x faster")


def _mcmc():
    import comaspec.model.forward as forward
    from comaspec.fit import FitOptions, fit_model

    calls = []
    original = forward.ForwardModel.design

    def counted(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    model, _ = _example_fit(FitOptions())
    model = model.with_data(*model.data())
    forward.ForwardModel.design = counted
    try:
        t0 = time.process_time()
        fit = fit_model(model, FitOptions(mcmc=True, seed=1))
        seconds = time.process_time() - t0
    finally:
        forward.ForwardModel.design = original
    info = fit.fit_info["mcmc"]
    taus = ", ".join(f"{k} {v:.0f}" for k, v in info["tau"].items())
    print(f"MCMC on the example: {len(calls)} design evaluations (fit + stencil + check; before: 18050), "
          f"{seconds:.2f} s CPU; converged {info['converged']} after {info['steps']} steps x {info['walkers']} "
          f"walkers (tau {taus})")
    for s in fit.q_names:
        sp = fit.species[s]
        print(f"   {s:4s} band-flux spread / covariance error = "
              f"{sp.extra['band_flux_err_samples_W_m2'] / sp.band_flux_err:.3f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="CLI runs of each (default 3)")
    parser.add_argument("--ref-draws", type=int, default=20, help="reference refits timed (default 20)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    base_cpu, base_wall = _cli_cost([], args.repeat)
    mc_cpu, mc_wall = _cli_cost(["--mc", "1000", "--seed", "1"], args.repeat)
    print(f"comaspec ratio --example: {base_cpu:.2f} s CPU ({base_wall:.2f} s wall); with --mc 1000: "
          f"{mc_cpu:.2f} s CPU ({mc_wall:.2f} s wall); ratio {mc_cpu / base_cpu:.2f} CPU, "
          f"{mc_wall / base_wall:.2f} wall (goal <= 2)")
    from comaspec._threads import single_threaded_blas

    with single_threaded_blas():
        _mc_in_process(args.ref_draws)
        _mcmc()


if __name__ == "__main__":
    main()
