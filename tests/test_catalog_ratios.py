"""Every ratio (CO2/H2O, CO/H2O, CO2/CO and inverses): catalog rows, trends, percentiles, time series."""

import math

import astropy.units as u
import numpy as np
import pytest
from astropy.table import QTable

from comaspec import catalog, ratios
from comaspec.errors import InputError


@pytest.fixture(scope="module")
def table():
    return catalog.load()


def _f(cell):
    """A cell as a float in its column's unit (NaN if masked)."""
    if cell is np.ma.masked or bool(np.all(getattr(cell, "mask", False))):
        return math.nan
    return float(getattr(cell, "value", cell))


# ------------------------------------------------------------------------ catalog rows
def test_3i_december_epoch_keeps_published_numbers(table):
    """arXiv:2603.20460: H2O/CO = 44.4 +- 0.7 %, CO2/CO = 42.4 +- 0.9 % at rH 2.37-2.41 au."""
    rows = table[(table["designation"] == "3I") & (table["date"] == "2025-12-22/2025-12-23")
                 & (table["flags"] == "")]
    assert len(rows) == 1
    row = rows[0]
    assert _f(row["co2_co"]) == 0.424 and _f(row["co2_co_err_lo"]) == 0.009
    assert row["co2_co_origin"] == "published"
    # CO/H2O is the reciprocal of the published H2O/CO, its interval mapped exactly
    assert row["co_h2o_origin"] == "inverted"
    assert 1 / _f(row["co_h2o"]) == pytest.approx(0.444, rel=1e-3)
    assert 1 / (_f(row["co_h2o"]) - _f(row["co_h2o_err_lo"])) == pytest.approx(0.451, rel=1e-3)
    assert 1 / (_f(row["co_h2o"]) + _f(row["co_h2o_err_hi"])) == pytest.approx(0.437, rel=1e-3)
    # CO2/H2O is derived from the two published ratios and says so
    assert row["co2_h2o_origin"] == "derived"
    assert _f(row["co2_h2o"]) == pytest.approx(0.424 / 0.444, rel=1e-3)
    assert 2.37 <= _f(row["rh"]) <= 2.41 and row["verified"] == "original"
    assert row["ref_arxiv"] == "2603.20460"
    earlier = table[(table["designation"] == "3I") & (table["flags"] == "superseded")
                    & (table["date"] == "2025-12-22/2025-12-23")]
    assert len(earlier) == 1 and _f(earlier["co2_co"][0]) == 0.416


def test_3i_li_et_al_co_h2o(table):
    """Li et al. 2026 (arXiv:2602.14218): CO/H2O = 28 +- 11 %, Q(CO) = (5.75 +- 1.91)e27."""
    row = table[table["ref_arxiv"] == "2602.14218"][0]
    assert _f(row["co_h2o"]) == 0.28 and _f(row["co_h2o_err_hi"]) == 0.11
    assert row["co_h2o_origin"] == "published"
    assert float(row["q_co"].to_value(1 / u.s)) == pytest.approx(5.75e27)
    assert 1.75 <= _f(row["rh"]) <= 2.33


def test_every_ratio_follows_its_production_rates(table):
    """Where a row has both rates, each stored ratio is their quotient, limits included."""
    checked = 0
    for prefix, num, den in (("co2_h2o", "co2", "h2o"), ("co_h2o", "co", "h2o"),
                             ("co2_co", "co2", "co")):
        for row in table:
            qn, qd, value = _f(row[f"q_{num}"]), _f(row[f"q_{den}"]), _f(row[prefix])
            if not (np.isfinite(qn) and np.isfinite(qd) and np.isfinite(value)):
                continue
            n_up, d_up = row[f"q_{num}_limit"] == "upper", row[f"q_{den}_limit"] == "upper"
            # HP22 print ratios with one or two significant digits
            assert value == pytest.approx(qn / qd, rel=0.25, abs=0.006), (prefix, row["designation"])
            expected = "upper" if n_up and not d_up else "lower" if d_up and not n_up else ""
            assert row[f"{prefix}_limit"] == expected, (prefix, row["designation"], row["date"])
            checked += 1
    assert checked >= 60


def test_inverse_ratio_is_the_reciprocal_with_limits_swapped(table):
    direct = catalog.ratio_columns(table, "CO/H2O")
    inverse = catalog.ratio_columns(table, "h2o/co")
    has = np.isfinite(direct["value"])
    np.testing.assert_allclose(inverse["value"][has], 1 / direct["value"][has])
    swap = {"": "", "upper": "lower", "lower": "upper"}
    assert [swap[k] for k in direct["limit"][has]] == list(inverse["limit"][has])
    assert "upper" in set(direct["limit"])


def test_ratio_names():
    assert ratios.parse_name("co2/co").name == "CO2/CO"
    assert ratios.parse_name("H2O/CO2").inverted
    for bad in ("CO2/CO2", "CH4/H2O", "CO2", "CO2/H2O/CO"):
        with pytest.raises(InputError):
            ratios.parse_name(bad)


# ---------------------------------------------------------------- synthetic catalog
def _synthetic(slopes, n, seed, limits=0):
    """A catalog with three ratios following known power laws in rh, some rows limits."""
    rng = np.random.default_rng(seed)
    t = QTable()
    t["designation"] = [f"C/{i}" for i in range(n)]
    t["dyn_class"] = ["JFC"] * n
    t["method"] = ["direct"] * n
    t["flags"] = [""] * n
    rh = 10 ** rng.uniform(-0.2, 0.7, n)
    t["rh"] = rh * u.au
    for prefix, (slope, intercept) in slopes.items():
        value = 10 ** (intercept + slope * np.log10(rh) + rng.normal(0, 0.15, n))
        t[prefix] = value * u.one
        t[f"{prefix}_err_lo"] = t[f"{prefix}_err_hi"] = 0.05 * value * u.one
        kinds = np.array([""] * n, dtype="<U5")
        kinds[:limits] = ["upper", "lower"] * (limits // 2)
        t[f"{prefix}_limit"] = kinds
    return t


@pytest.mark.parametrize("name, prefix, sign", [("CO2/H2O", "co2_h2o", 1), ("CO/H2O", "co_h2o", 1),
                                                ("CO2/CO", "co2_co", 1), ("H2O/CO", "co_h2o", -1)])
def test_trend_recovers_injected_slope_for_every_ratio(name, prefix, sign):
    truth = {"co2_h2o": (1.5, -1.0), "co_h2o": (-0.8, -1.4), "co2_co": (2.2, 0.3)}
    t = _synthetic(truth, n=300, seed=5, limits=40)
    fit = catalog.fit_trend(t, ratio=name)
    slope, intercept = (sign * v for v in truth[prefix])
    assert fit.ratio_name == name and fit.n == 260 and fit.n_limits == 40
    assert abs(fit.slope - slope) < 3 * fit.slope_err
    assert abs(fit.intercept - intercept) < 3 * fit.intercept_err
    assert fit.scatter_dex == pytest.approx(0.15, rel=0.2)


def test_percentile_range_counts_limits_independently():
    t = _synthetic({"co_h2o": (0.0, -1.0)}, n=50, seed=9, limits=20)
    probe = 0.1
    result = catalog.compare(probe, 1.5, ratio="CO/H2O", table=t)
    cols = catalog.ratio_columns(t, "CO/H2O")
    v, k = cols["value"], cols["limit"]
    measured = v[k == ""]
    assert result.n_sample == 30 and result.n_limits == 20
    assert result.percentile == pytest.approx(100 * np.mean(measured < probe))
    sure = np.sum(measured < probe) + np.sum((k == "upper") & (v <= probe))
    either = np.sum((k == "upper") & (v > probe)) + np.sum((k == "lower") & (v < probe))
    assert result.percentile_range == pytest.approx((100 * sure / 50, 100 * (sure + either) / 50))
    assert result.percentile_range[0] <= result.percentile_range[1]
    # limits far below / above the probe are certain: the range collapses
    t2 = _synthetic({"co_h2o": (0.0, -1.0)}, n=50, seed=9, limits=20)
    t2["co_h2o"][:20] = np.where(t2["co_h2o_limit"][:20] == "upper", 1e-4, 1e3) * u.one
    r2 = catalog.compare(probe, 1.5, ratio="CO/H2O", table=t2)
    assert r2.percentile_range[0] == pytest.approx(r2.percentile_range[1])


def test_direct_only_applies_to_ratios_with_co2(table):
    co = catalog.trend_sample(table, ratio="CO/H2O")
    assert "indirect" in set(co["method"])
    assert set(catalog.trend_sample(table, ratio="CO2/CO")["method"]) == {"direct"}


def test_compare_any_ratio(table):
    result = catalog.compare(0.424, 2.39, 0.009, ratio="CO2/CO", table=table)
    assert result.ratio_name == "CO2/CO" and result.fit.ratio_name == "CO2/CO"
    assert "CO2/CO = 0.4240 ± 0.0090" in result.summary()
    assert result.to_dict()["ratio_name"] == "CO2/CO"
    with pytest.raises(InputError):
        catalog.compare(1.0, 2.0, ratio="CO2/CH4", table=table)


# ----------------------------------------------------------------------- time series
def test_time_series_orders_3i_by_date_and_rh(table):
    by_date = catalog.time_series("3I", table=table)
    dates = [d for d in by_date["date"] if d]
    assert dates == sorted(dates) and "superseded" not in set(by_date["flags"])
    assert len(by_date) >= 4
    by_rh = catalog.time_series("3I", order="rh", table=table)
    rh = by_rh["rh"].to_value(u.au)
    assert list(rh) == sorted(rh)
    with pytest.raises(InputError):
        catalog.time_series("no such comet", table=table)
    with pytest.raises(InputError):
        catalog.time_series("3I", order="phase", table=table)


def test_perihelion_of_3i():
    peri = catalog.perihelion("3I")
    assert peri.q == pytest.approx(1.357) and peri.date.startswith("2025-10-")
    assert catalog.perihelion("1P") is None
