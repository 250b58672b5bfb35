"""Where a batch job's time goes besides the read and the fit (issue #22, item 6).

One synthetic PRISM job (``batch_small_bench.dated_jobs``) is read and fitted once; then,
in this process, each part of what `comaspec.batch.jobs.run_job` adds is timed alone (CPU
time, best of ``--repeat`` rounds): the three ratios (20 000 Gaussian draws for a detected
pair), the ``result.json`` and ``result.ecsv`` texts, the ``ratios.json`` and ``job.json``
texts, and the file steps (the hidden directory, four files, the rename). Each is printed
with its baseline measured here too: numpy's own ``multivariate_normal`` for the draws,
``yaml.dump`` for the ECSV header, atomic writes of result.json and result.ecsv each through
a temporary file for the file steps (as before); and the sum
against the job's read + fit. The file steps depend on the file system and on what else
runs on the machine (creating a file costs 0.03-0.8 ms here, with the load).

    python benchmarks/batch_job_parts.py [--repeat 7]
"""

import argparse
import json
import os
import shutil
import tempfile
import time
import timeit
import warnings
from pathlib import Path


def best_ms(function, number, repeat):
    """Best CPU time of one call, ms."""
    return 1e3 * min(timeit.Timer(function, timer=time.process_time).repeat(number=number, repeat=repeat)) / number


def file_steps(out, texts, atomic_names):
    """A job's file steps: hidden directory, its files (those of ``atomic_names`` through a
    temporary of their own, as before; the others straight in), the rename into place."""
    from comaspec._output import atomic_path
    from comaspec.batch.jobs import _commit, _new_tmp

    class Label:
        label = "job"

    counter = [0]

    def steps():
        counter[0] += 1
        tmp = _new_tmp(Label, out)
        for name, text in texts.items():
            if name in atomic_names:
                with atomic_path(tmp / name) as part:
                    part.write_text(text)
            else:
                with open(tmp / name, "w", encoding="utf-8") as fh:
                    fh.write(text)
        _commit(tmp, out / f"{len(atomic_names)}-{counter[0]}")

    return steps


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="rounds; the best is printed (default 7)")
    args = parser.parse_args(argv)
    import numpy as np
    import yaml
    from batch_small_bench import dated_jobs

    from comaspec._ecsv import _yaml_text
    from comaspec._threads import single_threaded_blas
    from comaspec.batch.jobs import RATIO_PAIRS, _epoch
    from comaspec.errors import ComaspecWarning
    from comaspec.pipeline import fit_loaded, load_inputs
    from comaspec.results.values import gaussian_draws
    from comaspec.results.writers import _META_KEYS, RatioMemo, result_texts

    warnings.filterwarnings("ignore", category=ComaspecWarning)  # the synthetic comae's pump-opacity notes
    root = Path(tempfile.mkdtemp(prefix="comaspec-job-parts-"))
    n, r = 20, args.repeat
    try:
        (root / "inputs").mkdir()
        (root / "out").mkdir()
        job = dated_jobs(root / "inputs", 1, "PRISM")[0]
        with single_threaded_blas():  # as the batch runs its jobs
            loaded = load_inputs(job.files, species=list(job.species))
            fit = fit_loaded(loaded, job.geometry, job.aperture, list(job.species))
            read_fit = best_ms(lambda: fit_loaded(load_inputs(job.files, species=list(job.species)), job.geometry,
                                                  job.aperture, list(job.species)), 5, r)
            ratios = best_ms(lambda: [RatioMemo(fit)(a, b) for a, b in RATIO_PAIRS], n, r)
            memo = RatioMemo(fit)
            texts = result_texts(fit, (".json", ".ecsv"), ratio_of=memo)
            results = best_ms(lambda: result_texts(fit, (".json", ".ecsv"), ratio_of=memo), n, r)
            small = best_ms(lambda: (json.dumps({f"{a}/{b}": memo(a, b).to_dict() for a, b in RATIO_PAIRS}, indent=1),
                                     json.dumps({"job": job.to_dict(), "epoch": _epoch(loaded)}, indent=2)), n, r)
            files = {"result.json": texts[".json"], "result.ecsv": texts[".ecsv"], "ratios.json": "x" * 850,
                     "job.json": "x" * 540}
            straight = best_ms(file_steps(root / "out", files, ()), n, r)
            atomic = best_ms(file_steps(root / "out", files, ("result.json", "result.ecsv")), n, r)
            values, cov = [8.0e26, 1.33e27], np.array([[4.4e45, 1.9e46], [1.9e46, 9.0e47]])
            draws = best_ms(lambda: gaussian_draws(values, cov, 20000, 12345), n, r)
            numpy_draws = best_ms(lambda: np.random.default_rng(12345).multivariate_normal(
                values, cov, size=20000, method="eigh"), n, r)
            plain = json.loads(texts[".json"])
            header = {"datatype": [{"name": "Q", "unit": "1 / s", "datatype": "float64"}] * 11,
                      "meta": {k: plain[k] for k in _META_KEYS}}
            ours = best_ms(lambda: _yaml_text(header), n, r)
            base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # PyYAML's own, no anchors (as before)
            dumper = type("PlainDumper", (base,), {"ignore_aliases": lambda self, data: True})
            pyyaml = best_ms(lambda: yaml.dump(header, Dumper=dumper, default_flow_style=None, sort_keys=False,
                                               width=120), n, r)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    added = ratios + results + small + straight
    print(f"one synthetic PRISM job; CPU ms, best of {r}; load average {os.getloadavg()[0]:.1f}")
    print(f"read + fit (load_inputs + fit_loaded, incl. the pump-opacity check): {read_fit:6.2f}")
    print(f"three ratios (one detected pair: 20 000 draws):                       {ratios:6.2f}")
    print(f"  the draws {draws:.3f} ms against numpy's multivariate_normal {numpy_draws:.3f} ms "
          f"(ratio {draws / numpy_draws:.2f}; bit for bit the same)")
    print(f"result.json + result.ecsv texts (ratios known):                       {results:6.2f}")
    print(f"  the ECSV header's YAML {ours:.3f} ms against yaml.dump {pyyaml:.3f} ms (ratio {ours / pyyaml:.2f})")
    print(f"ratios.json + job.json texts:                                         {small:6.2f}")
    print(f"file steps (hidden directory, 4 files, rename):                       {straight:6.2f}"
          f"  (result.* through temporaries of their own, as before: {atomic:.2f}, ratio {straight / atomic:.2f})")
    print(f"added by the job's files: {added:.2f} ms = {added / read_fit:.2f} x its read + fit")


if __name__ == "__main__":
    main()
