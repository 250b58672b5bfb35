"""The package's small ECSV reader against astropy's, on every table in linelists/."""

import numpy as np
import pytest
from astropy.table import Table
from conftest import REPO_ROOT

from comaspec._ecsv import read_ecsv

TABLES = sorted((REPO_ROOT / "linelists").glob("*.ecsv"))


def test_there_are_tables():
    assert len(TABLES) >= 10


@pytest.mark.parametrize("path", TABLES, ids=[p.name for p in TABLES])
def test_every_linelists_table_reads_as_astropy_reads_it(path):
    mine = read_ecsv(path)
    ref = Table.read(path, format="ascii.ecsv")
    assert mine.colnames == ref.colnames
    assert len(mine) == len(ref)
    assert dict(mine.meta) == dict(ref.meta)
    for name in ref.colnames:
        a, b = mine[name], ref[name]
        assert a.unit == b.unit, name
        assert np.asarray(a).dtype.kind == b.dtype.kind, name
        mask_b = np.asarray(getattr(b, "mask", np.zeros(len(b), bool)))
        mask_a = np.ma.getmaskarray(a)
        np.testing.assert_array_equal(mask_a, mask_b)
        good = ~mask_b
        if b.dtype.kind == "f":
            np.testing.assert_array_equal(np.asarray(a)[good], np.asarray(b)[good])
        else:
            assert list(np.asarray(a)[good]) == list(np.asarray(b)[good]), name
        if b.unit is not None:
            assert np.array_equal(a.quantity, b.quantity, equal_nan=True)


def test_rows_selection_and_missing_cells():
    refs = read_ecsv(REPO_ROOT / "linelists" / "references.ecsv")
    cells = [row["volume"] for row in refs]
    assert any(c is np.ma.masked for c in cells) and any(c is not np.ma.masked for c in cells)
    bands = read_ecsv(REPO_ROOT / "linelists" / "bands.ecsv")
    co2 = bands[bands["species"] == "CO2"]
    assert 0 < len(co2) < len(bands) and set(np.asarray(co2["species"])) == {"CO2"}
    assert co2["g_1au"].quantity.unit == bands["g_1au"].unit


def test_not_ecsv_is_refused(tmp_path):
    path = tmp_path / "x.ecsv"
    path.write_text("a b\n1 2\n")
    with pytest.raises(ValueError, match="not ECSV"):
        read_ecsv(path)
