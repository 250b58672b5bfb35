"""Generate the catalog pages' data-driven parts (and, on request, the gallery images).

    python docs/make_catalog_page.py            # docs/_generated/catalog_*.inc
    python docs/make_catalog_page.py --gallery  # also docs/_static/gallery/*.png

``docs/conf.py`` runs the first form at every Sphinx build, so the catalog table and the
numbers quoted on the catalog page always come from ``comaspec/data/comets.ecsv``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import astropy.units as u
import numpy as np

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))

from comaspec import catalog  # noqa: E402

GENERATED = DOCS / "_generated"
GALLERY = DOCS / "_static" / "gallery"

# Cordiner et al. 2025 published values for 3I/ATLAS (also rows of the catalog); plain ratios
ATLAS = {"published": (7.6, 0.3), "arXiv v1": (8.0, 1.0)}
ATLAS_RH = 3.32
RATIOS = ("CO2/H2O", "CO/H2O", "CO2/CO")


def _value(cell, unit):
    if cell is np.ma.masked or bool(np.all(getattr(cell, "mask", False))):
        return None
    if hasattr(cell, "unmasked"):
        cell = cell.unmasked
    return float(u.Quantity(cell).to_value(unit))


def _q(row, species):
    value = _value(row[f"q_{species}"], 1 / u.s)
    if value is None:
        return ""
    sign = "<" if row[f"q_{species}_limit"] == "upper" else ""
    err = _value(row[f"q_{species}_err"], 1 / u.s)
    text = f"{sign}{value / 1e26:.4g}"
    return text + (f" ± {err / 1e26:.2g}" if err and not sign else "")


def _ratio(row, prefix):
    from comaspec.cli.catalog import _ratio_text

    return _ratio_text(row, prefix)


def _reference(row):
    year = row["ref_year"]
    year = "" if year is np.ma.masked else str(year)
    text = row["ref_authors"] + (f" {year}" if year and year not in row["ref_authors"] else "")
    parts = [text]
    journal = " ".join(x for x in (row["ref_journal"], row["ref_volume"], row["ref_page"]) if x)
    if journal:
        parts.append(journal)
    if row["ref_bibcode"]:
        parts.append(f"`{row['ref_bibcode']} <https://ui.adsabs.harvard.edu/abs/"
                     f"{row['ref_bibcode']}>`__")
    if row["ref_arxiv"]:
        parts.append(f"`arXiv:{row['ref_arxiv']} <https://arxiv.org/abs/{row['ref_arxiv']}>`__")
    if row["compiled_in"]:
        parts.append(f"via HP22 {row['compiled_in'].rsplit(', ', 1)[-1]}")
    return ", ".join(parts)


def _csv_cell(text):
    return '"' + str(text).replace('"', '""') + '"'


def catalog_table():
    """Return the reStructuredText of the full catalog table."""
    table = catalog.load()
    header = ["Comet", "Class", "r_h (au)", "Date", "CO2/H2O", "CO/H2O", "CO2/CO", "Q(H2O)",
              "Q(CO2)", "Q(CO)", "Method", "Facility", "Reference", "Checked", "Flags"]
    lines = [
        ".. csv-table:: Published measurements in ``comaspec/data/comets.ecsv`` "
        f"({len(table)} rows). Ratios are plain numbers (7.6 = 760 %); (i) inverted from the "
        "published inverse, (c) computed from the Q, (d) derived from two published ratios. "
        "Q in 10\\ :sup:`26` s\\ :sup:`−1`; < upper, > lower limit.",
        "   :header: " + ", ".join(_csv_cell(h) for h in header),
        "   :widths: auto",
        "",
    ]
    for row in table:
        rh = _value(row["rh"], u.au)
        name = f"{row['designation']} ({row['name']})" if row["name"] else row["designation"]
        cells = [name, row["dyn_class"], "" if rh is None else f"{rh:g}", row["date"],
                 _ratio(row, "co2_h2o"), _ratio(row, "co_h2o"), _ratio(row, "co2_co"),
                 _q(row, "h2o"), _q(row, "co2"), _q(row, "co"), row["method"],
                 row["facility"], _reference(row), row["verified"], row["flags"]]
        lines.append("   " + ", ".join(_csv_cell(c) for c in cells))
    return "\n".join(lines) + "\n"


def catalog_stats():
    """Return (substitution definitions, table of trend fits) as reStructuredText."""
    table = catalog.load()
    counts = {v: int(np.sum(np.asarray(table["verified"]) == v)) for v in catalog.VERIFIED}
    hp22 = table[np.char.startswith(np.asarray(table["compiled_in"], dtype=str), "Harrington")]
    near = catalog.select(hp22, rh_range=(0, 2.5) * u.au, limits="exclude", with_ratio=True)
    near_direct = catalog.select(near, method="direct")
    everywhere = catalog.select(hp22, limits="exclude", with_ratio=True)
    fit = catalog.fit_trend(table)
    fit_all = catalog.fit_trend(table, direct_only=False)
    fit_r2 = catalog.fit_trend(table, direct_only=False, exclude_flags=("superseded",))

    out = [f".. |n_rows| replace:: {len(table)}"]
    for v, n in counts.items():
        out.append(f".. |n_{v}| replace:: {n}")
    fits = []
    out += [
        f".. |hp22_n| replace:: {len(near)}",
        f".. |hp22_median| replace:: {_median(near)}",
        f".. |hp22_direct_n| replace:: {len(near_direct)}",
        f".. |hp22_all_median| replace:: {_median(everywhere)}",
        f".. |hp22_direct_median| replace:: {_median(near_direct)}",
    ]
    fits += [
        ".. list-table:: Trend fits of CO2/H2O, log10(CO2/H2O) = a + b log10(r_h / au)",
        "   :header-rows: 1",
        "",
        "   * - sample",
        "     - N",
        "     - a (intercept)",
        "     - b (slope)",
        "     - intrinsic scatter (dex)",
        "     - 3I/ATLAS published (7.6 ± 0.3)",
        "     - 3I/ATLAS arXiv v1 (8.0 ± 1.0)",
    ]
    variants = [
        ("direct, non-limit; LPCs, Halley-type and JFCs; C/2016 R2 excluded (default)", fit, {}),
        ("direct and indirect; C/2016 R2 excluded", fit_all, {"direct_only": False}),
        ("direct and indirect; C/2016 R2 included", fit_r2,
         {"direct_only": False, "exclude_flags": ("superseded",)}),
    ]
    for label, f, options in variants:
        sig = [catalog.compare(r, ATLAS_RH, e, table=table, **options) for r, e in ATLAS.values()]
        fits += [
            f"   * - {label}",
            f"     - {f.n}",
            f"     - {f.intercept:.3f} ± {f.intercept_err:.3f}",
            f"     - {f.slope:.2f} ± {f.slope_err:.2f}",
            f"     - {f.scatter_dex:.3f}",
            f"     - {sig[0].n_sigma:.1f} σ (percentile {sig[0].percentile:.0f})",
            f"     - {sig[1].n_sigma:.1f} σ (percentile {sig[1].percentile:.0f})",
        ]
    pub = catalog.compare(ATLAS["published"][0], ATLAS_RH, ATLAS["published"][1], table=table)
    out += [
        f".. |atlas_trend| replace:: {pub.trend_ratio:.3g}",
        f".. |atlas_offset| replace:: {pub.offset_dex:.2f} dex",
        f".. |atlas_sigma| replace:: {pub.n_sigma:.1f}",
        f".. |atlas_sigma_meas| replace:: {pub.n_sigma_measurement:.0f}",
        f".. |fit_scatter| replace:: {fit.scatter_dex:.2f} dex",
    ]
    fits += [""] + _ratio_fits(table)
    return "\n".join(out) + "\n", "\n".join(fits) + "\n"


def _median(rows):
    m = float(np.median(rows["co2_h2o"].to_value(u.one)))
    return f"{m:.3g} ({100 * m:.3g} %)"


def _ratio_fits(table):
    """Default trend of each ratio, and where the 3I/ATLAS December 2025 epoch stands."""
    december = table[(table["designation"] == "3I") & (table["date"] == "2025-12-22/2025-12-23")
                     & (table["flags"] == "")]
    lines = [
        ".. list-table:: Default trend of each ratio, log10(ratio) = a + b log10(r_h / au), "
        "and the 3I/ATLAS epoch of 2025 December 22-23 (r_h = 2.39 au) against it",
        "   :header-rows: 1",
        "",
        "   * - ratio",
        "     - N (limits not fitted)",
        "     - a (intercept)",
        "     - b (slope)",
        "     - intrinsic scatter (dex)",
        "     - 3I/ATLAS, December 2025",
    ]
    for name in RATIOS:
        f = catalog.fit_trend(table, ratio=name)
        col = catalog.ratio_columns(december, name)
        value, err = float(col["value"][0]), float(col["err_lo"][0])
        c = catalog.compare(value, 2.39, err, ratio=name, table=table)
        lines += [
            f"   * - {name}",
            f"     - {f.n} ({f.n_limits})",
            f"     - {f.intercept:.3f} ± {f.intercept_err:.3f}",
            f"     - {f.slope:.2f} ± {f.slope_err:.2f}",
            f"     - {f.scatter_dex:.3f}",
            f"     - {_fmt(value, err)} ({col['origin'][0]}): {c.n_sigma:+.1f} σ, percentile "
            f"{c.percentile:.0f} ({c.percentile_range[0]:.0f}-{c.percentile_range[1]:.0f} "
            "with limits)",
        ]
    return lines


def _fmt(value, err):
    from comaspec.ratios import format_value

    return format_value(value, err)


def gallery():
    """Render the gallery images (PNG) of the comparison figures."""
    import matplotlib

    matplotlib.use("Agg")
    from comaspec.plotting import compare, comet_track, save_figure, two_ratio_diagram

    GALLERY.mkdir(parents=True, exist_ok=True)
    label = "3I/ATLAS (Cordiner et al. 2025)"
    figures = {
        "ratio_vs_rh_single.png": compare.ratio_vs_rh(7.6, 0.3, ATLAS_RH, label=label),
        "ratio_vs_rh_double.png": compare.ratio_vs_rh(7.6, 0.3, ATLAS_RH, label=label,
                                                      width="double", aspect=0.45),
        "ratio_by_class_single.png": compare.ratio_by_class(7.6, 0.3, label=label),
        "atlas_track_rh.png": comet_track("3I"),
        "atlas_track_date.png": comet_track("3I", x="date", width="double"),
        "two_ratio_diagram.png": two_ratio_diagram(
            0.955, 2.252, x_err=0.025, y_err=(0.035, 0.036),
            label="3I/ATLAS 2025 Dec (arXiv:2603.20460)"),
    }
    for name, fig in figures.items():
        save_figure(fig, GALLERY / name, dpi=150)
        print(f"wrote {(GALLERY / name).relative_to(DOCS.parent)}")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    GENERATED.mkdir(exist_ok=True)
    stats, fits = catalog_stats()
    for name, text in (("catalog_table.inc", catalog_table()), ("catalog_stats.inc", stats),
                       ("catalog_fits.inc", fits)):
        path = GENERATED / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    if "--gallery" in argv:
        gallery()


if __name__ == "__main__":
    main()
