"""Start-up cost of ``comaspec ratio --example --json`` against a bare import of its stack.

Both commands run in fresh processes (what a user waits for), alternately, several times;
the script prints the median wall time of each and their ratio. The baseline is

    python -c "import numpy, astropy, lmfit, scipy, matplotlib"

the stack the command is built on (issue #22: the fit itself takes ~35 ms, the rest is
imports). Goal: ratio <= 1.5. The script also says whether the command imported specutils,
ndcube, gwcs or matplotlib.pyplot (it should not: plotting is not asked for). Run:

    python benchmarks/cli_bench.py [--repeat N]

To see where the time goes: ``python -X importtime -m comaspec ratio --example --json``.
"""

import argparse
import statistics
import subprocess
import sys
import time

BASELINE = [sys.executable, "-c", "import numpy, astropy, lmfit, scipy, matplotlib"]
HEAVY = ("specutils", "ndcube", "gwcs", "matplotlib.pyplot")
#: the command run in-process after recording which modules it imported
_IMPORTED = (
    "import runpy, sys\n"
    "sys.argv = ['comaspec', 'ratio', '--example', '--json']\n"
    "try:\n"
    "    runpy.run_module('comaspec', run_name='__main__')\n"
    "except SystemExit:\n"
    "    pass\n"
    f"print(','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
)
COMMAND = [sys.executable, "-m", "comaspec", "ratio", "--example", "--json"]


def wall_time(cmd):
    """Seconds to run ``cmd`` to completion (it must succeed)."""
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs of each command (default 7)")
    args = parser.parse_args(argv)
    wall_time(COMMAND)  # warm the file cache and .pyc files
    wall_time(BASELINE)
    base, cmd = [], []
    for _ in range(args.repeat):
        base.append(wall_time(BASELINE))
        cmd.append(wall_time(COMMAND))
    b, c = statistics.median(base), statistics.median(cmd)
    heavy = subprocess.run([sys.executable, "-c", _IMPORTED], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True).stderr.strip().splitlines()[-1:]
    print(f"baseline import (numpy, astropy, lmfit, scipy, matplotlib): {b:.3f} s median of {args.repeat}")
    print(f"comaspec ratio --example --json:                            {c:.3f} s median of {args.repeat}")
    print(f"ratio: {c / b:.2f} (goal <= 1.5)")
    print(f"heavy modules imported by the command: {heavy[0] if heavy and heavy[0] else 'none'} "
          f"(of {', '.join(HEAVY)})")


if __name__ == "__main__":
    main()
