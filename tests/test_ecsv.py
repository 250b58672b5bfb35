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


# ----------------------------------------------------------------------------- the writer
def _columns_equal(a, b):
    """Two tables read by astropy hold the same columns: names, units, kinds, masks, values."""
    assert a.colnames == b.colnames and len(a) == len(b)
    for name in a.colnames:
        x, y = a[name], b[name]
        assert getattr(x, "unit", None) == getattr(y, "unit", None), name
        assert np.asarray(x).dtype.kind == np.asarray(y).dtype.kind, name
        mx, my = (np.ma.getmaskarray(np.ma.asarray(c)) for c in (x, y))
        np.testing.assert_array_equal(mx, my, err_msg=name)
        vx, vy = np.asarray(getattr(x, "value", x))[~mx], np.asarray(getattr(y, "value", y))[~my]
        if vx.dtype.kind == "f":
            np.testing.assert_array_equal(vx, vy, err_msg=name)  # NaN equal to NaN; bit-exact otherwise
        else:
            assert vx.tolist() == vy.tolist(), name


def _plain(value):
    """Meta as JSON would hold it (astropy keeps tuples as tuples)."""
    import json

    return json.loads(json.dumps(value, default=str))


def test_written_table_reads_back_as_it_was(tmp_path):
    import astropy.units as u
    from astropy.table import QTable

    from comaspec._ecsv import write_ecsv

    t = QTable()
    t["label"] = ["a", "with space", 'q"uote', "#not a comment", "σ ünï", "tab\tx", "a,b", "x"]
    t["ok"] = [True, False] * 4
    t["n"] = np.arange(8)
    t["flux"] = [1.5, np.nan, np.inf, -1e-300, 1 / 3, 1e300, 0.0, -0.0] * u.W / u.m**2
    t["rate"] = np.linspace(0, 1, 8) / u.s
    t["single"] = np.float32([1.1] * 8)
    t.meta.update({"a": 1, "nested": {"x": [1, 2.5, None], "y": "σ"}, "pair": (1, 2), "np": np.float64(2.5)})
    write_ecsv(t, tmp_path / "t.ecsv")
    back = QTable.read(tmp_path / "t.ecsv", format="ascii.ecsv")
    _columns_equal(back, t)
    assert back["single"].dtype == np.float32 and back["n"].dtype == np.int64
    assert dict(back.meta) == {"a": 1, "nested": {"x": [1, 2.5, None], "y": "σ"}, "pair": [1, 2], "np": 2.5}
    # and comaspec's own reader reads it too
    mine = read_ecsv(tmp_path / "t.ecsv")
    assert list(mine["label"]) == list(t["label"]) and mine["flux"].unit == u.W / u.m**2


def test_an_empty_string_reads_back_as_astropy_writes_it(tmp_path):
    from astropy.table import Table

    from comaspec._ecsv import write_ecsv

    t = Table({"reason": ["", "failed: x"], "v": [1.0, 2.0]})
    write_ecsv(t, tmp_path / "mine.ecsv")
    t.write(tmp_path / "astropy.ecsv", format="ascii.ecsv")
    _columns_equal(Table.read(tmp_path / "mine.ecsv"), Table.read(tmp_path / "astropy.ecsv"))


@pytest.mark.parametrize("column", [np.ma.MaskedArray([1.0, 2.0], mask=[True, False]), np.zeros((2, 3)),
                                    np.array([{}, {}], dtype=object)], ids=["masked", "2-d", "object"])
def test_columns_the_writer_does_not_handle_are_refused(tmp_path, column):
    from astropy.table import Table

    from comaspec._ecsv import write_ecsv

    with pytest.raises(ValueError, match="column 'c'"):
        write_ecsv(Table({"c": column}), tmp_path / "x.ecsv")


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental: the example's pump-opacity note
def test_result_ecsv_reads_back_as_astropy_wrote_it(tmp_path, example_inputs):
    from astropy.table import QTable

    from comaspec.pipeline import fit_loaded, load_inputs
    from comaspec.results.writers import meta_for, production_table

    spectrum, geometry, aperture = example_inputs
    import comaspec

    fit = fit_loaded(load_inputs([comaspec.example_path()]), geometry, aperture, ["CO2", "H2O", "CO"])
    fit.write(tmp_path / "new.ecsv")
    old = production_table(fit)  # what write() did before: astropy's writer, same metadata
    old.meta = meta_for(fit, "CO2", "H2O")
    old.write(tmp_path / "old.ecsv", format="ascii.ecsv")
    new, ref = (QTable.read(tmp_path / f"{n}.ecsv", format="ascii.ecsv") for n in ("new", "old"))
    _columns_equal(new, ref)
    assert _plain(dict(new.meta)) == _plain(dict(ref.meta)) and new.meta["ratio"]["value"] > 0
    # the JSON written beside it in one call holds the same object as a JSON written alone
    from comaspec.results.writers import write_all

    write_all(fit, [tmp_path / "both.json", tmp_path / "both.ecsv"])
    fit.write(tmp_path / "alone.json")
    assert (tmp_path / "both.json").read_text() == (tmp_path / "alone.json").read_text()
    assert (tmp_path / "both.ecsv").read_text() == (tmp_path / "new.ecsv").read_text()


def _random_json(rng, depth=0):
    """A random JSON value: nested dicts and lists of strings YAML must quote or escape,
    floats of every kind (integral, tiny, huge, NaN, infinities), integers, booleans, None."""
    import math

    texts = ["", "a", "with space", "x: y", "- a", "#c", "a #b", "σ ünï", "tab\tx", "a,b", "'q'", '"dq"', "null",
             "true", "yes", "NO", "~", "1.5", "1e3", "0x1f", "0o17", ".nan", "2025-06-01", "line\nbreak", "\\back",
             " lead", "trail ", "{a}", "[b]", "&anchor", "*alias", "!tag", "%p", "@", "`", "? q", "| l", "> f",
             "a" * 200, "é" * 130, "CO not detected; (3σ upper limit of CO) / H2O", "\x00", "\u2028", "\ufeff"]
    floats = [0.0, -0.0, 1.0, 1e17, 1e-300, 1e300, math.nan, math.inf, -math.inf, 1 / 3, 5e-324, 123456789012345678.0]
    roll = rng.uniform()
    if depth > 3 or roll < 0.5:
        pick = int(rng.integers(7))
        return [lambda: str(rng.choice(texts)), lambda: float(rng.choice(floats)),
                lambda: float(rng.uniform(-1e30, 1e30)), lambda: bool(rng.integers(2)),
                lambda: int(rng.integers(-2**62, 2**62)) * int(rng.integers(1, 10**6)), lambda: None,
                lambda: int(rng.integers(100))][pick]()
    if roll < 0.75:
        return [_random_json(rng, depth + 1) for _ in range(int(rng.integers(6)))]
    keys = texts + [f"k{i}" for i in range(20)]
    return {str(rng.choice(keys)): _random_json(rng, depth + 1) for _ in range(int(rng.integers(6)))}


def pyyaml_dumper():
    """PyYAML's own safe dumper (C emitter, its representer and resolver), without anchors."""
    import yaml

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return type("PlainDumper", (base,), {"ignore_aliases": lambda self, data: True})


def test_yaml_header_text_is_pyyamls():
    """The header's YAML (nodes made by comaspec, the C emitter) is the text of yaml.dump
    over random JSON values (a fit's real metadata: tests/test_writers_once.py)."""
    import yaml

    from comaspec._ecsv import _yaml_text

    def dumped(value):
        return yaml.dump(value, Dumper=pyyaml_dumper(), default_flow_style=None, sort_keys=False, width=120)

    rng = np.random.default_rng(7)
    values = [{"datatype": [_random_json(rng, 2)], "meta": _random_json(rng)} for _ in range(1500)]
    texts = [_yaml_text(v) for v in values]
    assert texts == [dumped(v) for v in values]
    assert texts == [_yaml_text(v) for v in values]  # again, with the tags of the texts remembered
    assert sum("\n  " in t for t in texts) > 100 and sum("? " in t or "'" in t or '"' in t for t in texts) > 100
    with pytest.raises(TypeError, match="tuple is not a JSON value"):
        _yaml_text({"pair": (1, 2)})
