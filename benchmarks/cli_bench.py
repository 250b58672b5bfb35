"""Start-up cost of ``comaspec ratio --example --json`` against a bare import of its stack.

Both commands run in fresh processes (what a user waits for), alternately, several times;
the script prints the median wall time of each and their ratio. The baseline is

    python -c "import numpy, astropy.units, astropy.io.fits, specutils, lmfit"

i.e. the libraries the command cannot avoid. Goal: ratio <= 1.3. Run:

    python benchmarks/cli_bench.py [--repeat N]

To see where the time goes: ``python -X importtime -m comaspec ratio --example --json``.
"""

import argparse
import statistics
import subprocess
import sys
import time

BASELINE = [sys.executable, "-c", "import numpy, astropy.units, astropy.io.fits, specutils, lmfit"]
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
    print(f"baseline import (numpy, astropy.units, astropy.io.fits, specutils, lmfit): {b:.3f} s median")
    print(f"comaspec ratio --example --json:                                          {c:.3f} s median")
    print(f"ratio: {c / b:.2f} (goal <= 1.3)")


if __name__ == "__main__":
    main()
