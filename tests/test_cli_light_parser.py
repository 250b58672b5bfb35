"""The command's parser is built from names alone: ``--help``, ``--version`` and usage errors
load neither numpy, astropy nor the model (issue #22 item 5: the CLI imports only what its job uses).

Each check runs in a fresh interpreter, so that modules imported by other tests do not count.
"""

import json
import subprocess
import sys

import pytest
from conftest import REPO_ROOT

_PROBE = """
import json, runpy, sys
sys.argv = ["comaspec", *json.loads(sys.argv[1])]
try:
    runpy.run_module("comaspec", run_name="__main__")
except SystemExit as exc:
    code = exc.code
print(json.dumps([code, sorted({m.split(".")[0] for m in sys.modules} & {"numpy", "astropy", "scipy", "lmfit"}),
                  "comaspec.model" in sys.modules]), file=sys.stderr)
"""


def _imports(args):
    out = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(args)], capture_output=True, text=True,
                         cwd=REPO_ROOT, env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"})
    return json.loads(out.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["ratio", "--help"], ["map", "--help"],
                                  ["ratio", "--emission", "nonsense"]])
def test_parsing_loads_no_numpy_astropy_or_model(args):
    code, heavy, model = _imports(args)
    assert code in (0, 2) and heavy == [] and model is False


def test_the_probe_sees_them_when_the_command_works():
    # the check above can fail: the same probe sees numpy and astropy once a command runs
    code, heavy, model = _imports(["ratio", "--example", "--json", "-q"])
    assert code == 0 and {"numpy", "astropy", "lmfit"} <= set(heavy) and model is True


def test_the_names_are_those_of_the_models():
    from comaspec import _choices
    from comaspec.model.continuum import CONTINUA
    from comaspec.physics import fluorescence, solar, templates

    assert fluorescence.EMISSION_MODELS is _choices.EMISSION_MODELS
    assert fluorescence.DEFAULT_EMISSION == _choices.DEFAULT_EMISSION in _choices.EMISSION_MODELS
    assert solar.SOLAR_SPECTRA is _choices.SOLAR_SPECTRA and solar.DEFAULT_SOLAR in solar.SOLAR_SPECTRA
    assert tuple(CONTINUA) == _choices.CONTINUUM_MODELS
    for name in _choices.EMISSION_MODELS:  # each name is one the templates accept
        assert templates.emission_model(name) is not None
    for name in _choices.SOLAR_SPECTRA:
        assert templates.emission_model(solar=name, rdot=10.0) is not None
