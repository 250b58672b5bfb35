"""The command has OpenBLAS start with one thread (comaspec._threads.start_blas_single_threaded).

Each check runs in a fresh interpreter: the variable only acts before numpy is imported.
"""

import json
import os
import subprocess
import sys

from conftest import REPO_ROOT

_PROBE = """
import json, os, runpy, sys
%s
sys.argv = ["comaspec", "--version"]
try:
    runpy.run_module("comaspec", run_name="__main__")
except SystemExit:
    pass
import numpy, scipy.linalg  # loaded after the command started: --version itself needs neither
from threadpoolctl import threadpool_info
blas = [i["num_threads"] for i in threadpool_info() if i["internal_api"] == "openblas"]
print(json.dumps([os.environ.get("OPENBLAS_NUM_THREADS"), blas]))
"""


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    return dict(env, PYTHONPATH=str(REPO_ROOT), MPLBACKEND="Agg", **extra)


def _probe(before="", **extra):
    out = subprocess.run([sys.executable, "-c", _PROBE % before], capture_output=True, text=True, cwd=REPO_ROOT,
                         env=_env(**extra))
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_command_starts_openblas_with_one_thread():
    variable, threads = _probe()
    assert variable == "1" and threads and set(threads) == {1}


def test_a_user_s_setting_is_kept():
    variable, threads = _probe(OPENBLAS_NUM_THREADS="2")
    assert variable == "2" and set(threads) == {2}  # the probe sees the thread count: it can fail


def test_nothing_is_set_when_numpy_is_already_imported():
    variable, threads = _probe(before="import numpy")
    assert variable is None and threads


def test_ratio_results_are_the_same_with_more_blas_threads():
    def run(**extra):
        out = subprocess.run([sys.executable, "-m", "comaspec", "ratio", "--example", "--json", "-q"],
                             capture_output=True, text=True, cwd=REPO_ROOT, env=_env(**extra))
        assert out.returncode == 0, out.stderr
        return out.stdout

    assert run() == run(OPENBLAS_NUM_THREADS="2")
