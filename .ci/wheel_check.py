"""Check an installed comaspec wheel from outside the source tree.

Usage: python wheel_check.py REPO_ROOT  (run with cwd outside the repository)

Asserts that comaspec is imported from site-packages, that linelists/ and comaspec/data/ were
shipped whole, that the main job runs on the bundled example, and that ``comaspec info``
reads every spectrum in ../shared/data (when present; required when COMASPEC_REQUIRE_SHARED=1).
"""

import contextlib
import io
import json
import os
import sys
from pathlib import Path

import comaspec
from comaspec._paths import data_dir, linelists_dir
from comaspec.cli import main

repo = Path(sys.argv[1]).resolve()
pkg = Path(comaspec.__file__).resolve()
assert repo not in pkg.parents, f"comaspec imported from the source tree ({pkg}), not the wheel"
assert linelists_dir().is_relative_to(pkg.parent), linelists_dir()
shipped = sorted(p.name for p in linelists_dir().iterdir())
expected = sorted(p.name for p in (repo / "linelists").iterdir() if not p.name.startswith((".", "__pycache__")))
missing = set(expected) - set(shipped)
assert not missing, f"linelists files missing from the wheel: {missing}"
data_expected = sorted(p.name for p in (repo / "comaspec" / "data").rglob("*") if p.is_file())
data_shipped = sorted(p.name for p in data_dir().rglob("*") if p.is_file())
assert set(data_expected) <= set(data_shipped), set(data_expected) - set(data_shipped)


def run_cli(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(args))
    return status, out.getvalue(), err.getvalue()


# the main job on the bundled example, through the installed package
status, out, err = run_cli("ratio", "--example", "--json")
assert status == 0, err
result = json.loads(out)
assert result["ratio"]["value"] > 1 and result["species"]["CO2"]["detected"], result["ratio"]

# comaspec info on every real spectrum in ../shared/data
shared = repo.parent / "shared" / "data"
spectra = [
    *shared.glob("jwst-nirspec-mos-g395m-x1d-smacs0723/*_x1d.fits"),
    *shared.glob("jwst-nirspec-g395-planetary-nebula-msaexp/*.spec.fits.gz"),
    *shared.glob("c2017k2-jwst-nirspec-ch4/*3.25-3.33um.txt"),
    *shared.glob("c2017k2-jwst-nirspec-ch4/*psg_retrieval_results.txt"),
    *shared.glob("c2017k2-jwst-nirspec-ch4/annulus/*.txt"),
    *shared.glob("co2-lab-emission-4-5um-radis/*.csv"),
]
if not spectra and os.environ.get("COMASPEC_REQUIRE_SHARED") == "1":
    sys.exit(f"wheel check: no shared spectra found under {shared}")
for path in spectra:
    status, out, err = run_cli("info", str(path))
    assert status == 0, f"comaspec info {path}: {err.strip()}"
print(f"wheel ok: {pkg.parent}; {len(shipped)} linelists files, {len(data_shipped)} data files; "
      f"ratio --example = {result['ratio']['value']:.2f}; info read {len(spectra)} shared spectra")
