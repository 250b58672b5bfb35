"""The labelled CH4 and C2H6 line lists against the shared HITRAN2020 files they are built from."""

import importlib.util
import sys

import numpy as np
import pytest
from astropy.table import Table

from comaspec._paths import linelists_dir


def _builder():
    path = linelists_dir() / "build_hitran_lines.py"
    spec = importlib.util.spec_from_file_location("build_hitran_lines", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


FOLDER = {"CH4": "hitran-ch4-h2o-2833-3246cm", "C2H6": "hitran-c2h6-2802-3071cm"}


@pytest.fixture(scope="module")
def builder():
    return _builder()


@pytest.mark.parametrize("species", ["CH4", "C2H6"])
def test_table_is_what_the_script_builds_from_the_shared_file(species, builder, shared_data):
    recipe = builder.SPECIES[species]
    path = shared_data(FOLDER[species], recipe["source"].split("/")[-1])
    rebuilt = builder.build_table(path.parents[1], species)
    shipped = Table.read(linelists_dir() / recipe["output"], format="ascii.ecsv")
    assert rebuilt.colnames == shipped.colnames
    assert len(rebuilt) == len(shipped)
    for name in rebuilt.colnames:
        a, b = np.asarray(rebuilt[name]), np.asarray(shipped[name])
        if a.dtype.kind == "f":
            np.testing.assert_allclose(a, b, rtol=1e-12, err_msg=name)
        else:
            assert np.array_equal(a.astype(str), b.astype(str)), name
    assert "107949" in shipped.meta["reference"]          # HITRAN2020, JQSRT 277, 107949
    assert "cut" in shipped.meta


@pytest.mark.parametrize("species", ["CH4", "C2H6"])
def test_every_line_of_a_kept_upper_level_is_kept(species, builder, shared_data):
    """Decay branching complete: the file's lines of each kept upper level, read here with
    a plain parser, are all in the table, with HITRAN's A, g', g''."""
    recipe = builder.SPECIES[species]
    path = shared_data(FOLDER[species], recipe["source"].split("/")[-1])
    table = Table.read(linelists_dir() / recipe["output"], format="ascii.ecsv")
    rows = [line for line in path.read_text().splitlines() if len(line) == 160]
    # kept levels: (band, HITRAN label) -> upper energies E'' + nu of the table's levels
    kept = {}
    for band, upper, e_low, nu in zip(table["band"], table["upper"], table["E_lower"], table["wavenumber"]):
        label = " ".join(str(upper).split("#")[0].split()[len(recipe["bands"][band][0].split()):])
        kept.setdefault((band, label), []).append(float(e_low) + float(nu))
    n_expected = 0
    for band, (v_up, v_low) in recipe["bands"].items():
        for line in rows:
            if line[67:82].strip() != v_up or line[82:97].strip() != v_low or not float(line[25:35]) > 0:
                continue
            energies = kept.get((band, " ".join(line[97:112].split())), [])
            e_up = float(line[45:55]) + float(line[3:15])
            n_expected += any(abs(e_up - e) < 0.05 for e in energies)
    assert len(table) == n_expected
    # spot check of the absolute A and weights of the strongest line against the file
    i = int(np.argmax(table["A"] * table["g_upper"]))
    nu = float(table["wavenumber"][i])
    (line,) = [r for r in rows if abs(float(r[3:15]) - nu) < 5e-7 and r[97:112].strip() in str(table["upper"][i])]
    assert float(line[25:35]) == pytest.approx(float(table["A"][i]), rel=1e-12)
    assert float(line[146:153]) == table["g_upper"][i] and float(line[153:160]) == table["g_lower"][i]
