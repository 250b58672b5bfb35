"""A light start: what ``import comaspec`` exposes, and what the command imports.

Each check runs in a fresh interpreter, so that modules imported by other tests do not
make an attribute or a module appear.
"""

import json
import re
import subprocess
import sys

from conftest import REPO_ROOT

# comaspec.<name>[.<name>...] as the README and the docs spell public names
_DOTTED = re.compile(r"\bcomaspec(?:\.[A-Za-z][A-Za-z0-9_]*)+")

_RESOLVE = """
import importlib.util, json, sys
import comaspec
failed = []
for dotted in json.loads(sys.argv[1]):
    parts = dotted.split(".")
    obj = comaspec
    for i, part in enumerate(parts[1:], start=1):
        prefix = ".".join(parts[:i + 1])
        try:
            obj = getattr(obj, part)
        except AttributeError:
            failed.append(prefix)
            break
print(json.dumps(failed))
"""


def _fresh(code, *args):
    env_code = [sys.executable, "-c", code, *args]
    out = subprocess.run(env_code, capture_output=True, text=True, cwd=REPO_ROOT,
                         env={"PYTHONPATH": str(REPO_ROOT), "MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    return out.stdout


def _documented_names():
    texts = [(REPO_ROOT / "README.md").read_text()]
    texts += [p.read_text() for p in sorted((REPO_ROOT / "docs").glob("*.rst"))]
    names = set()
    for text in texts:
        names.update(_DOTTED.findall(text))
    # private modules (comaspec._problem, comaspec.io._sanity) are named in the architecture
    # notes but are not attributes of their package
    return sorted(n for n in names if not any(p.startswith("_") for p in n.split(".")))


def test_every_documented_name_resolves_after_import_comaspec():
    names = _documented_names()
    # the README names these two, which raised AttributeError after `import comaspec`
    assert {"comaspec.fluorescence", "comaspec.batch"} <= set(names) and len(names) > 50
    failed = json.loads(_fresh(_RESOLVE, json.dumps(names)).strip().splitlines()[-1])
    assert failed == [], f"named in README/docs but not reachable from `import comaspec`: {failed}"


def test_every_public_submodule_is_an_attribute():
    # the list is read from the package directory: a module added later is reachable too
    code = ("import json, pkgutil, comaspec, comaspec.maps, comaspec.plotting\n"
            "out = []\n"
            "for pkg in (comaspec, comaspec.maps, comaspec.plotting):\n"
            "    for m in pkgutil.iter_modules(pkg.__path__):\n"
            "        if not m.name.startswith('_'):\n"
            "            out.append([pkg.__name__ + '.' + m.name, getattr(pkg, m.name).__name__])\n"
            "print(json.dumps(out))")
    pairs = json.loads(_fresh(code).strip().splitlines()[-1])
    assert len(pairs) > 20
    assert all(expected == got for expected, got in pairs), pairs


# astropy.table: the package's own tables are read by comaspec._ecsv; ratio needs no table
# (its import, with the io connectors of every installed package, cost ~0.2 s)
_HEAVY = ("specutils", "ndcube", "gwcs", "matplotlib.pyplot", "astropy.table")

_RUN_COMMAND = """
import json, runpy, sys
sys.argv = ["comaspec", *json.loads(sys.argv[1])]
try:
    runpy.run_module("comaspec", run_name="__main__")
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "heavy": [m for m in %r if m in sys.modules]}), file=sys.stderr)
""" % (_HEAVY,)


def _command_imports(args):
    env = {"PYTHONPATH": str(REPO_ROOT), "MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", _RUN_COMMAND, json.dumps(args)], capture_output=True, text=True,
                         cwd=REPO_ROOT, env=env)
    return json.loads(out.stderr.strip().splitlines()[-1])


def test_ratio_example_imports_no_specutils_ndcube_gwcs_or_pyplot():
    result = _command_imports(["ratio", "--example", "--json"])
    assert result == {"code": 0, "heavy": []}


def test_the_probe_sees_astropy_table_where_a_command_reads_a_table():
    # the check above can fail: the catalog is a user-editable ECSV read with astropy
    result = _command_imports(["catalog"])
    assert result["code"] == 0 and "astropy.table" in result["heavy"]


def test_pyplot_is_imported_when_a_plot_is_asked_for(tmp_path):
    # the check above can fail: the same probe sees pyplot when the command draws
    result = _command_imports(["ratio", "--example", "--json", "--plot", str(tmp_path / "fit.png")])
    assert result["code"] == 0 and "matplotlib.pyplot" in result["heavy"]
    assert (tmp_path / "fit.png").stat().st_size > 0


def test_public_readers_still_return_specutils_objects(tmp_path):
    code = ("import json, comaspec\n"
            "from comaspec.io import read_any\n"
            "s = comaspec.read_spectrum(comaspec.example_path())\n"
            "light = read_any(comaspec.example_path())\n"
            "print(json.dumps([type(s).__module__.split('.')[0], type(s).__name__, type(light).__name__,\n"
            "                  bool((s.flux.value == light.flux.value).all()),\n"
            "                  bool((s.uncertainty.array == light.uncertainty.array).all()),\n"
            "                  bool((s.mask == light.mask).all()), sorted(s.meta) == sorted(light.meta)]))")
    assert json.loads(_fresh(code).strip().splitlines()[-1]) == ["specutils", "Spectrum", "LightSpectrum",
                                                                  True, True, True, True]


def test_a_batch_run_in_its_own_process_imports_no_dask_distributed(tmp_path):
    # --workers 1 runs every job here: importing dask.distributed (~0.5 s) would be paid for nothing
    code = ("import json, sys\n"
            "from comaspec.batch import run_batch\n"
            f"result = run_batch([], {str(tmp_path / 'out')!r}, workers=1)\n"
            "print(json.dumps([len(result.summary), [m for m in ('distributed', 'dask') if m in sys.modules]]))")
    assert json.loads(_fresh(code).strip().splitlines()[-1]) == [0, []]
    # the probe can fail: a cluster's module does import it
    assert json.loads(_fresh("import json, sys, comaspec.batch._worker\n"
                             "print(json.dumps('distributed' in sys.modules))").strip().splitlines()[-1]) is True
