"""Check an installed comaspec wheel from outside the source tree.

Usage: python wheel_check.py REPO_ROOT  (run with cwd outside the repository)
"""

import sys
from pathlib import Path

import comaspec
from comaspec._paths import data_dir, linelists_dir

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

# one reader from outside the source tree, on the bundled example if there is one
example = sorted(data_dir().glob("example/*.fits"))
if example:
    spec = comaspec.read_spectrum(example[0])
    assert spec.spectral_axis.size > 10
print(f"wheel ok: {pkg.parent}, {len(shipped)} linelists files, {len(data_shipped)} data files")
