"""Start-up cost of ``comaspec ratio --example --json`` against a bare import of its stack.

Both commands run in fresh processes (what a user waits for), alternately, several times;
the script prints the median wall time of each and their ratio, and the ratio of their CPU
times, which other programs on a shared machine disturb less. The baseline is

    python -c "import numpy, astropy, lmfit, scipy, matplotlib"

the stack the command is built on (issue #22: the fit itself takes ~35 ms, the rest is
imports). Goal: ratio <= 1.5. The script also says whether the command imported specutils,
ndcube, gwcs, matplotlib.pyplot or astropy.table (it should not: plotting is not asked for,
and the package reads its own tables without astropy.table). Run:

    python benchmarks/cli_bench.py [--repeat N]

The commands run with Python's bytecode cache on (``PYTHONDONTWRITEBYTECODE`` removed from
their environment), as an installed package runs: without ``.pyc`` files every run compiles
comaspec's modules again, which measured ~0.1 s more per command. Each round runs the two
commands one after the other, in alternating order, so that both see the same load from
other programs; the ratio printed is the median of the per-round ratios.

The command has OpenBLAS start with one thread (``OPENBLAS_NUM_THREADS=1``, issue #22 item 5):
the baseline, a plain import, starts a thread per core whose busy waiting costs CPU but
little wall time on an idle machine. The script therefore also runs the baseline with one
BLAS thread and prints the ratios against it, the like-for-like comparison of CPU time.

To see where the time goes: ``python -X importtime -m comaspec ratio --example --json``.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

BASELINE = [sys.executable, "-c", "import numpy, astropy, lmfit, scipy, matplotlib"]
HEAVY = ("specutils", "ndcube", "gwcs", "matplotlib.pyplot", "astropy.table")
_MARK = "heavy modules: "
#: the command run in-process after recording which modules it imported
_IMPORTED = (
    "import runpy, sys\n"
    "sys.argv = ['comaspec', 'ratio', '--example', '--json']\n"
    "try:\n"
    "    runpy.run_module('comaspec', run_name='__main__')\n"
    "except SystemExit:\n"
    "    pass\n"
    f"print({_MARK!r} + ','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
)
COMMAND = [sys.executable, "-m", "comaspec", "ratio", "--example", "--json"]


#: the children write and read .pyc files, as an installed package does
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


#: the baseline with OpenBLAS started on one thread, as the command starts it
BASELINE_ONE_THREAD = ("one BLAS thread", BASELINE)
_ENV_ONE_THREAD = dict(_ENV, OPENBLAS_NUM_THREADS="1")


def wall_time(cmd):
    """(wall, CPU) seconds to run ``cmd`` to completion (it must succeed); ``cmd`` may be
    `BASELINE_ONE_THREAD`."""
    env = _ENV_ONE_THREAD if cmd is BASELINE_ONE_THREAD else _ENV
    cmd = cmd[1] if cmd is BASELINE_ONE_THREAD else cmd
    cpu, start = _children_cpu(), time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    return time.perf_counter() - start, _children_cpu() - cpu


def heavy_modules():
    """The `HEAVY` modules the command imported (comma-separated, '' for none)."""
    err = subprocess.run([sys.executable, "-c", _IMPORTED], check=True, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, env=_ENV).stderr
    # the command's own warnings come first on stderr: take the marked line
    return next(line[len(_MARK):] for line in err.splitlines() if line.startswith(_MARK))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="rounds, each running both commands (default 7, "
                        "at least 5)")
    args = parser.parse_args(argv)
    if args.repeat < 5:
        parser.error("--repeat: at least 5 rounds (the median of fewer is too noisy on a shared machine)")
    wall_time(COMMAND)  # warm the file cache and write the .pyc files
    wall_time(BASELINE)
    base, cmd, one = [], [], []
    for r in range(args.repeat):
        trio = (BASELINE, COMMAND, BASELINE_ONE_THREAD)
        trio = trio if r % 2 == 0 else trio[::-1]  # alternate which runs first
        times = {id(c): wall_time(c) for c in trio}
        base.append(times[id(BASELINE)])
        cmd.append(times[id(COMMAND)])
        one.append(times[id(BASELINE_ONE_THREAD)])
    b, c = (statistics.median(w for w, _ in runs) for runs in (base, cmd))
    ratio = statistics.median(y[0] / x[0] for x, y in zip(base, cmd))
    cpu_ratio = statistics.median(y[1] / x[1] for x, y in zip(base, cmd))
    one_ratio = statistics.median(y[0] / x[0] for x, y in zip(one, cmd))
    one_cpu_ratio = statistics.median(y[1] / x[1] for x, y in zip(one, cmd))
    heavy = heavy_modules()
    print(f"baseline import (numpy, astropy, lmfit, scipy, matplotlib): {b:.3f} s median of {args.repeat} "
          f"(runs: {', '.join(f'{w:.2f}' for w, _ in base)})")
    print(f"comaspec ratio --example --json:                            {c:.3f} s median of {args.repeat} "
          f"(runs: {', '.join(f'{w:.2f}' for w, _ in cmd)})")
    print(f"ratio: {ratio:.2f} (wall time, median of the per-round ratios; goal <= 1.5)")
    print(f"ratio of CPU time (user + system): {cpu_ratio:.2f} (less disturbed by other programs on the machine; "
          f"load average {os.getloadavg()[0]:.1f})")
    print(f"against the baseline with one BLAS thread (OPENBLAS_NUM_THREADS=1, as the command starts): "
          f"{one_ratio:.2f} wall, {one_cpu_ratio:.2f} CPU")
    print(f"heavy modules imported by the command: {heavy or 'none'} (of {', '.join(HEAVY)})")


if __name__ == "__main__":
    main()
