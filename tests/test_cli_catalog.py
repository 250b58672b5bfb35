"""``comaspec catalog`` and ``comaspec compare``.

Row counts and selections are checked against the bundled data file (comaspec/data/comets.ecsv)
read directly with astropy and filtered with numpy here, not through `comaspec.catalog`; the HP22
rows of the command's output against the third-party transcription in ../shared. Tests that
compare the command with the `comaspec.catalog` API say so (consistency checks).
"""

import json
import subprocess
import sys

import astropy.units as u
import numpy as np
import pytest
from astropy.table import QTable

from comaspec import catalog
from comaspec.cli import main


def _raw():
    """comets.ecsv as astropy reads it, text columns with "" for none, no comaspec code."""
    from astropy.table import Table

    from comaspec._paths import data_dir

    t = Table.read(data_dir() / "comets.ecsv", format="ascii.ecsv")
    for name in t.colnames:
        if t[name].dtype.kind == "U":
            t[name] = np.asarray(t[name].filled("") if hasattr(t[name], "filled") else t[name], dtype=str)
    return t


def _finite(column):
    return np.isfinite(np.asarray(np.ma.filled(column, np.nan), dtype=float))


def _sample(column, direct):
    """Measured values of a ratio column in the documented trend sample (docs/catalog.rst): no
    interstellar, main-belt or Centaur objects, no outlier or superseded rows, no limits, and
    (ratios with CO2) direct CO2 measurements only."""
    raw = _raw()
    keep = _finite(raw[column]) & (raw[f"{column}_limit"] == "")
    keep &= ~np.isin(raw["dyn_class"], ["interstellar", "main-belt", "Centaur"])
    keep &= np.array([not {"outlier", "superseded"} & set(f.split()) for f in raw["flags"]])
    if direct:
        keep &= raw["method"] == "direct"
    return np.asarray(raw[column][keep], dtype=float)


def _percentile(value, sample):
    """Share of the sample below ``value``, ties counting half (docs/catalog.rst), in per cent."""
    return 100.0 * (np.sum(sample < value) + 0.5 * np.sum(sample == value)) / sample.size


def run_main(capsys, *args):
    status = main(list(args))
    out = capsys.readouterr()
    return status, out.out, out.err


# ------------------------------------------------------------------------- catalog
def test_catalog_table_lists_every_row(capsys):
    status, out, err = run_main(capsys, "catalog")
    assert status == 0 and err == ""
    assert f"{len(_raw())} rows" in out
    assert "3I" in out and "> 6.27 (c)" in out and "< 0.007" in out  # limits are marked
    assert "7.60 ± 0.30" in out and "0.955 ± 0.025 (d)" in out  # plain numbers, origin marked


def test_catalog_class_and_direct_filters(capsys):
    status, out, _ = run_main(capsys, "catalog", "--class", "JFC", "--direct-only", "--format", "csv")
    assert status == 0
    rows = QTable.read(out, format="ascii.csv")
    raw = _raw()
    assert len(rows) == np.sum((raw["dyn_class"] == "JFC") & (raw["method"] == "direct")) > 0
    assert set(rows["dyn_class"]) == {"JFC"} and set(rows["method"]) == {"direct"}


def test_catalog_repeated_class(capsys):
    _, out, _ = run_main(capsys, "catalog", "--class", "main-belt", "--class", "interstellar",
                         "--format", "json")
    rows = json.loads(out)["rows"]
    assert {r["dyn_class"] for r in rows} == {"main-belt", "interstellar"}


def test_catalog_ecsv_round_trip_keeps_units(capsys):
    _, out, _ = run_main(capsys, "catalog", "--format", "ecsv", "--with-ratio")
    table = QTable.read(out, format="ascii.ecsv")
    assert table["co2_h2o"].unit == u.dimensionless_unscaled and str(table["rh"].unit) == "AU"
    assert len(table) == np.sum(_finite(_raw()["co2_h2o"]))


def test_catalog_json_values_and_units(capsys):
    _, out, _ = run_main(capsys, "catalog", "--format", "json", "--class", "main-belt")
    data = json.loads(out)
    assert data["units"]["q_h2o"] == "1 / s"
    (read,) = data["rows"]
    assert read["designation"] == "238P" and read["q_h2o"] == pytest.approx(9.9e24)
    assert read["q_co2"] is None and read["co2_h2o_limit"] == "upper"


def test_catalog_rh_range(capsys):
    _, out, _ = run_main(capsys, "catalog", "--rh-min", "3", "--rh-max", "4", "--format", "json")
    rh = [r["rh"] for r in json.loads(out)["rows"]]
    raw = np.asarray(np.ma.filled(_raw()["rh"], np.nan), dtype=float)
    assert rh and all(3 <= x <= 4 for x in rh) and len(rh) == np.sum((raw >= 3) & (raw <= 4))


def test_catalog_output_file(tmp_path, capsys):
    target = tmp_path / "cat.csv"
    status, out, _ = run_main(capsys, "catalog", "--format", "csv", "-o", str(target))
    assert status == 0 and out == ""
    assert len(QTable.read(target, format="ascii.csv")) == len(_raw())


def test_catalog_hp22_rows_are_the_published_transcription(tmp_path, capsys, shared_data):
    """Each row the command attributes to HP22 carries production rates of the same comet at the
    same rh in the third-party transcription of HP22's Tables 2-3 (read here directly)."""
    source = QTable.read(shared_data("comet-production-rates-hp22", "harrington_pinto2022_gas_production_rates.csv"),
                         format="ascii.csv")
    target = tmp_path / "cat.csv"
    assert main(["catalog", "--format", "csv", "-o", str(target)]) == 0
    rows = QTable.read(target, format="ascii.csv")
    hp22 = rows[[str(c).startswith("Harrington Pinto") for c in rows["compiled_in"]]]
    assert len(hp22) >= 85
    for row in hp22:
        same_comet = source[[str(d).split("/")[0] == row["designation"] or str(d).startswith(row["designation"] + " ")
                             or str(d) == row["designation"] for d in source["designation"]]]
        assert len(same_comet), row["designation"]

        same_epoch = same_comet[np.isclose(np.asarray(same_comet["r_hel"], float), float(row["rh"]), atol=0.006)]
        for species in ("h2o", "co2", "co"):  # (HP22 splits some epochs into companion rows)
            ours = row[f"q_{species}"]
            if not np.ma.is_masked(ours) and np.isfinite(ours):
                theirs = np.ma.filled(np.ma.asarray(same_epoch[f"q_{species}"]).astype(float), np.nan)
                assert np.isclose(theirs, float(ours), rtol=1e-9).any(), (row["designation"], row["date"], species)


@pytest.mark.parametrize("args", [("--class", "comet"), ("--rh-min", "5", "--rh-max", "1"),
                                  ("--format", "xml"), ("--class", "JFC", "--rh-min", "50")])
def test_catalog_bad_arguments_exit_2(args, capsys):
    try:
        status = main(["catalog", *args])
    except SystemExit as exc:  # argparse errors
        status = exc.code
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and "Traceback" not in err


# ------------------------------------------------------------------------- compare
def test_compare_3i_atlas_figure_and_summary(tmp_path, capsys):
    fig = tmp_path / "atlas.pdf"
    status, out, err = run_main(capsys, "compare", "--ratio", "7.6", "--ratio-err", "0.3",
                                "--rh", "3.32", "--label", "3I/ATLAS", "-o", str(fig))
    assert status == 0 and err.startswith("note: --ratio 7.6 read as a plain ratio")
    assert err.count("\n") == 1
    assert fig.read_bytes()[:5] == b"%PDF-"
    assert "sigma" in out and "percentile" in out


def test_compare_json_matches_the_api(capsys):
    """Consistency check: the command reports what `catalog.compare` returns (n_sigma is tested
    independently in test_catalog.py::test_compare_n_sigma_closed_form, the percentile below)."""
    _, out, _ = run_main(capsys, "compare", "--ratio", "7.6", "--ratio-err", "0.3", "--rh", "3.32",
                         "--json")
    data = json.loads(out)
    api = catalog.compare(7.6, 3.32, 0.3)
    assert data["n_sigma"] == pytest.approx(api.n_sigma)
    assert data["percentile"] == pytest.approx(api.percentile)
    assert data["fit"]["n"] == api.fit.n


def test_compare_without_error_gives_strict_json(capsys):
    _, out, _ = run_main(capsys, "compare", "--ratio", "0.5", "--rh", "2", "--json")
    assert "Infinity" not in out and "NaN" not in out
    assert json.loads(out)["n_sigma_measurement"] is None


def test_compare_class_figure_png(tmp_path, capsys):
    fig = tmp_path / "by_class.png"
    status, _, _ = run_main(capsys, "compare", "--ratio", "0.12", "--ratio-err", "0.02", "--rh", "1.5",
                            "--figure", "class", "--width", "double", "-o", str(fig))
    assert status == 0 and fig.read_bytes()[:4] == b"\x89PNG"
    import matplotlib.image

    img = matplotlib.image.imread(fig)[..., :3]
    assert img.shape[1] > img.shape[0] and len(np.unique(img.reshape(-1, 3), axis=0)) > 20  # double width, drawn


@pytest.mark.parametrize("args", [
    ("--ratio", "-5", "--rh", "3"),
    ("--ratio", "5", "--rh", "0"),
    ("--ratio", "5", "--ratio-err", "-1", "--rh", "3"),
    ("--ratio", "5", "--rh", "3", "-o", "{tmp}/fig.jpg"),
    ("--ratio", "5", "--rh", "3", "-o", "{tmp}/missing/fig.pdf"),
    ("--ratio", "abc", "--rh", "3", "-o", "{tmp}/fig.pdf"),
    ("--rh", "3", "-o", "{tmp}/fig.pdf"),
])
def test_compare_bad_arguments_exit_2_and_write_nothing(args, tmp_path):
    args = [a.format(tmp=tmp_path) for a in args]
    out = subprocess.run([sys.executable, "-m", "comaspec", "compare", *args],
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert list(tmp_path.rglob("*")) == []


def test_compare_percentile_is_a_count_of_the_sample(capsys):
    """Independent re-derivation: percentile = share of direct measured values below, the
    sample selected from the data file here by the documented rules."""
    values = np.sort(_sample("co2_h2o", direct=True))  # plain ratios
    assert values.size > 20
    for probe in (float(values[len(values) // 2]) * 1.0001, float(values[3]) * 0.9999):
        _, out, _ = run_main(capsys, "compare", "--ratio", str(probe), "--rh", "1.5", "--json")
        assert json.loads(out)["percentile"] == pytest.approx(_percentile(probe, values))


# ------------------------------------------------------------- one ratio convention
def test_compare_percent_sign_and_plain_number_agree(capsys):
    """7.6 and 760% are the same ratio; the note on stderr says how each was read."""
    _, plain, err_plain = run_main(capsys, "compare", "--ratio", "7.6", "--ratio-err", "0.3",
                                   "--rh", "3.32", "--json")
    _, pct, err_pct = run_main(capsys, "compare", "--ratio", "760%", "--ratio-err", "30%",
                               "--rh", "3.32", "--json")
    a, b = json.loads(plain), json.loads(pct)
    assert a["ratio"] == pytest.approx(7.6) == pytest.approx(b["ratio"])
    assert a["n_sigma"] == pytest.approx(b["n_sigma"]) and a["n_sigma"] > 3  # above the trend
    assert "read as a plain ratio" in err_plain and "760%" in err_plain
    assert "read as percent" in err_pct


def test_ratio_prints_the_same_number_compare_reads(capsys):
    """The value `comaspec ratio` prints (a plain ratio) is what `compare --ratio` expects."""
    _, out, _ = run_main(capsys, "ratio", "--example", "--json")
    printed = json.loads(out)["ratio"]["value"]
    _, out, _ = run_main(capsys, "compare", "--ratio", str(printed), "--rh", "3.32", "--json")
    assert json.loads(out)["ratio"] == pytest.approx(printed)
    assert json.loads(out)["n_sigma"] > 3  # a 3I/ATLAS-like ratio lies far above the trend


@pytest.mark.parametrize("name", ["CO/H2O", "CO2/CO", "H2O/CO"])
def test_compare_any_ratio_name_matches_the_api(name, capsys):
    """Consistency with `catalog.compare` for other ratios; the percentile is re-derived here
    from the data file (inverse ratios as reciprocals; direct-only applies to ratios with CO2)."""
    status, out, _ = run_main(capsys, "compare", "--ratio-name", name, "--ratio", "0.4",
                              "--ratio-err", "0.02", "--rh", "2.39", "--json")
    assert status == 0
    column = {"CO/H2O": "co_h2o", "CO2/CO": "co2_co", "H2O/CO": "co_h2o"}[name]
    sample = _sample(column, direct="CO2" in name)
    sample = 1.0 / sample if name == "H2O/CO" else sample
    assert json.loads(out)["percentile"] == pytest.approx(_percentile(0.4, sample))
    api = catalog.compare(0.4, 2.39, 0.02, ratio=name)
    data = json.loads(out)
    assert data["ratio_name"] == name and data["n_sigma"] == pytest.approx(api.n_sigma)
    assert data["percentile_range"] == pytest.approx(list(api.percentile_range))


def test_compare_bad_ratio_name_exit_2(tmp_path):
    out = subprocess.run([sys.executable, "-m", "comaspec", "compare", "--ratio-name", "CO2/CH4",
                          "--ratio", "1", "--rh", "2"], capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "--ratio-name" in out.stderr


def test_catalog_comet_time_series(capsys):
    status, out, _ = run_main(capsys, "catalog", "--comet", "3I", "--format", "json")
    rows = json.loads(out)["rows"]
    dates = [r["date"] for r in rows if r["date"]]
    raw = _raw()
    n_3i = np.sum((raw["designation"] == "3I") & np.array(["superseded" not in f.split() for f in raw["flags"]]))
    assert status == 0 and dates == sorted(dates) and len(rows) == n_3i > 3
    assert {r["co2_co_origin"] for r in rows} >= {"published", "computed"}
    status = main(["catalog", "--comet", "no-such-comet"])
    assert status == 2


def test_catalog_ratio_name_filters(capsys):
    _, out, _ = run_main(capsys, "catalog", "--ratio-name", "CO2/CO", "--with-ratio",
                         "--no-limits", "--format", "json")
    rows = json.loads(out)["rows"]
    raw = _raw()
    assert len(rows) == np.sum(_finite(raw["co2_co"]) & (raw["co2_co_limit"] == "")) > 0
    assert all(r["co2_co"] is not None and r["co2_co_limit"] == "" for r in rows)
