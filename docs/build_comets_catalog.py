"""Build ``comaspec/data/comets.ecsv``, the bundled catalog of published CO2/H2O measurements.

Run from the repository root::

    python docs/build_comets_catalog.py [PATH_TO_HP22_TRANSCRIPTION_CSV]

Inputs
------
1. Harrington Pinto, Womack, Fernández & Bauer (2022), PSJ 3, 247, Tables 2 and 3, read
   from a third-party machine-readable transcription (bumhooLIM/spherex-comet,
   ``data/reference/harrington_pinto2022_gas_production_rates.csv``; default path:
   ``../shared/data/comet-production-rates-hp22/`` beside the repository). The file is
   *read*, never copied: this script reorganises it (one row per publication and epoch,
   companion rows of the same epoch merged, production rates in s^-1, ratios in %),
   assigns dynamical classes and adds provenance columns.
2. The rows in ``EXTRA_ROWS`` below, typed in by hand from the papers cited in each row
   (JWST, SPHEREx, Spitzer results not in HP22).

Every row carries a ``verified`` value saying where its numbers were checked; see
``comaspec/data/README.md``.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.table import MaskedColumn, Table

REPO = Path(__file__).resolve().parents[1]
DEFAULT_HP22 = (REPO.parent / "shared" / "data" / "comet-production-rates-hp22"
                / "harrington_pinto2022_gas_production_rates.csv")
OUT = REPO / "comaspec" / "data" / "comets.ecsv"

HP22 = "Harrington Pinto et al. 2022, PSJ 3, 247"
HP22_BIBCODE = "2022PSJ.....3..247H"

# Journal, volume, first page (and arXiv id) of original papers cited by HP22; ADS bibcodes
# are formed from them by the ADS rule (year, journal abbreviation, volume, page, initial).
# Where each was checked:
#   A'Hearn 2011: a copy of the article ("Science 332, 1396 (2011)");
#   Combes 1988: the NASA PDS Vega-1 IKS data-set page ("Icarus, 76, 404");
#   Feaga 2007: a library record (Icarus, Nov 2007 Deep Impact supplement, pp. 134-145,
#     i.e. volume 191; the project's literature note had "Icarus 190 345", which is wrong);
#   McKay 2019: arXiv:1907.07208 ("accepted for publication in AJ"); AJ 158, 128 only from
#     the literature note (secondary);
#   Ootsubo 2012: ApJ 752, 15 only from the literature note (secondary).
KNOWN_REFS = {
    "Ootsubo et al. 2012": ("ApJ", "752", "15", "2012ApJ...752...15O", ""),
    "Feaga et al. 2007": ("Icarus", "191", "134", "2007Icar..191..134F", ""),
    "A'Hearn et al. 2011": ("Science", "332", "1396", "2011Sci...332.1396A", ""),
    "Combes et al. 1988": ("Icarus", "76", "404", "1988Icar...76..404C", ""),
    "McKay et al. 2019": ("AJ", "158", "128", "2019AJ....158..128M", "1907.07208"),
}

HALLEY_TYPE = {"1P", "8P", "153P"}
CENTAURS = {"29P"}

COLUMNS = [
    # name, dtype, unit, description
    ("designation", str, None, "IAU designation (e.g. 9P, C/2006 OF2, 3I)"),
    ("name", str, None, "comet name"),
    ("dyn_class", str, None, "dynamical class (comaspec.catalog.DYNAMICAL_CLASSES)"),
    ("rh", float, u.au, "heliocentric distance at the measurement"),
    ("date", str, None, "UT date of the measurement (ISO; ranges as start/end)"),
    ("q_h2o", float, 1 / u.s, "H2O production rate"),
    ("q_h2o_err", float, 1 / u.s, "1-sigma error of q_h2o"),
    ("q_h2o_limit", str, None, "'' (measurement) or 'upper' (q_h2o is an upper limit)"),
    ("q_co2", float, 1 / u.s, "CO2 production rate"),
    ("q_co2_err", float, 1 / u.s, "1-sigma error of q_co2"),
    ("q_co2_limit", str, None, "'' or 'upper'"),
    ("q_co", float, 1 / u.s, "CO production rate"),
    ("q_co_err", float, 1 / u.s, "1-sigma error of q_co"),
    ("q_co_limit", str, None, "'' or 'upper'"),
] + [col for prefix, name in (("co2_h2o", "CO2/H2O"), ("co_h2o", "CO/H2O"), ("co2_co", "CO2/CO"))
       for col in (
    (prefix, float, u.dimensionless_unscaled,
     f"{name} production-rate ratio, a plain number (0.12 = 12 %)"),
    (f"{prefix}_err_lo", float, u.dimensionless_unscaled, f"lower 1-sigma error of {prefix}"),
    (f"{prefix}_err_hi", float, u.dimensionless_unscaled, f"upper 1-sigma error of {prefix}"),
    (f"{prefix}_limit", str, None, "'' (measurement), 'upper' or 'lower' limit"),
    (f"{prefix}_origin", str, None, "'published' (as printed), 'inverted' (reciprocal of the "
                                    "published inverse ratio), 'computed' (from the row's "
                                    "production rates, here) or 'derived' (from two published "
                                    "ratios, here)"),
)] + [
    ("method", str, None, "'direct' (CO2 band itself observed, or in situ) or 'indirect' "
                          "(CO Cameron bands, [O I] lines, broadband CO+CO2 photometry); "
                          "for rows without CO2 it describes the CO measurement"),
    ("facility", str, None, "facility / instrument"),
    ("ref_authors", str, None, "authors of the measurement"),
    ("ref_year", int, None, "year of the measurement's publication"),
    ("ref_journal", str, None, "journal (empty where not verified)"),
    ("ref_volume", str, None, "volume"),
    ("ref_page", str, None, "first page or article id"),
    ("ref_bibcode", str, None, "ADS bibcode of the measurement's paper"),
    ("ref_arxiv", str, None, "arXiv identifier"),
    ("compiled_in", str, None, "compilation the row was taken from (with table)"),
    ("compiled_bibcode", str, None, "ADS bibcode of the compilation"),
    ("verified", str, None, "where the numbers were checked (comaspec.catalog.VERIFIED)"),
    ("flags", str, None, "space-separated flags (comaspec.catalog.FLAGS)"),
    ("note", str, None, "note"),
]


def _split_designation(text):
    """'9P/Tempel 1' -> ('9P', 'Tempel 1'); 'C/2006 OF2 (Broughton)' -> ('C/2006 OF2', 'Broughton')."""
    text = text.strip()
    if text.startswith(("C/", "P/")):
        if "(" in text:
            desig, name = text.split("(", 1)
            return desig.strip(), name.rstrip(")").strip()
        return text, ""
    desig, _, name = text.partition("/")
    return desig.strip(), name.strip()


def _num(value):
    if value is None or (hasattr(value, "mask") and value is np.ma.masked):
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def _set_inverse(row, prefix, value, err):
    """Store 1/value (a published inverse ratio) with its exact asymmetric error interval."""
    row[prefix] = _sig(1.0 / value)
    row[f"{prefix}_origin"] = "inverted"
    if err is not None and err > 0:
        row[f"{prefix}_err_lo"] = _sig(1.0 / value - 1.0 / (value + err))
        # the interval's upper end is unbounded when the error reaches zero
        row[f"{prefix}_err_hi"] = _sig(1.0 / (value - err) - 1.0 / value) if err < value else None


def _sig(x, digits=4):
    """Round a value computed here to ``digits`` significant digits (inputs have fewer)."""
    return None if x is None else float(f"{x:.{digits}g}")


def _date(text):
    text = str(text).strip()
    if "," in text:  # "2019/12/19-22, 2020/01/13"
        first, last = (part.strip() for part in text.split(","))
        return f"{first[:10].replace('/', '-')}/{last.replace('/', '-')}"
    return text.replace("/", "-")


def _hp22_class(desig, a0):
    if desig in HALLEY_TYPE:
        return "Halley-type"
    if desig in CENTAURS:
        return "Centaur"
    if desig.endswith("I"):
        return "interstellar"
    if desig[0].isdigit():
        return "JFC"
    if a0 is None:
        return None  # filled from another epoch of the same comet, else "OCC"
    # HP22's split: their six dynamically new comets are exactly those with a tabulated
    # 1/a0 below 1 (in the table's units of 1e-4 au^-1).
    return "OCC-new" if a0 < 1.0 else "OCC-returning"


def _blank_row():
    row = {name: None for name, *_ in COLUMNS}
    for name, dtype, *_ in COLUMNS:
        if dtype is str:
            row[name] = ""
    return row


def _hp22_rows(path):
    src = Table.read(path, format="ascii.csv")
    by_epoch = {}
    order = []
    for rec in src:
        key = rec["epoch_id"]
        if key not in by_epoch:
            by_epoch[key] = []
            order.append(key)
        by_epoch[key].append(rec)

    rows = []
    for key in order:
        recs = by_epoch[key]
        refs = {str(r["reference"]) for r in recs}
        dates = {str(r["date"]) for r in recs}
        # Companion rows (same epoch, reference and date: CO direct / CO2 indirect) are one
        # published measurement: merge them. Other multi-row epochs stay separate rows.
        groups = [recs] if (len(refs) == 1 and len(dates) == 1) else [[r] for r in recs]
        for group in groups:
            rows.append(_merge_hp22(group))
    # classes of C/ comets without a tabulated 1/a0: take them from another epoch
    known = {r["designation"]: r["dyn_class"] for r in rows if r["dyn_class"]}
    for r in rows:
        if not r["dyn_class"]:
            r["dyn_class"] = known.get(r["designation"], "OCC")
    return rows


def _merge_hp22(group):
    row = _blank_row()
    first = group[0]
    desig, name = _split_designation(str(first["designation"]))
    row["designation"], row["name"] = desig, name
    a0 = _num(first["one_over_a0"])
    row["dyn_class"] = _hp22_class(desig, a0) or ""
    row["rh"] = _num(first["r_hel"])
    row["date"] = _date(first["date"])
    methods, facilities, notes = [], [], []
    for rec in group:
        for species in ("h2o", "co2", "co"):
            q = _num(rec[f"q_{species}"])
            if q is not None:
                row[f"q_{species}"] = q
                row[f"q_{species}_limit"] = "upper" if str(rec[f"q_{species}_limit"]) == "<" else ""
        ratio = _num(rec["q_co2_q_h2o"])
        if ratio is not None:
            row["co2_h2o"] = ratio
            err = _num(rec["q_co2_q_h2o_err"])
            if err is not None:
                row["co2_h2o_err_lo"] = row["co2_h2o_err_hi"] = err
            row["co2_h2o_origin"] = "published"
            if _num(rec["q_co2"]) is not None and str(rec["q_co2_limit"]) == "<":
                row["co2_h2o_limit"] = "upper"
        co_ratio = _num(rec["q_co_q_h2o"])
        if co_ratio is not None and row["co_h2o"] is None:
            row["co_h2o"] = co_ratio
            err = _num(rec["q_co_q_h2o_err"])
            if err is not None:
                row["co_h2o_err_lo"] = row["co_h2o_err_hi"] = err
            row["co_h2o_origin"] = "published"
            # HP22: "CO upper limit; ratios involving CO are upper limits"
            if str(rec["q_co_limit"]) == "<":
                row["co_h2o_limit"] = "upper"
            elif str(rec["q_h2o_limit"]) == "<":
                row["co_h2o_limit"] = "lower"
        co_co2 = _num(rec["q_co_q_co2"])
        if co_co2 is not None and row["co2_co"] is None:
            # HP22 print CO/CO2; the catalog stores CO2/CO, its reciprocal
            _set_inverse(row, "co2_co", co_co2, _num(rec["q_co_q_co2_err"]))
            note = str(rec["notes"])
            co_upper = str(rec["q_co_limit"]) == "<" or "CO/CO2 is an upper limit" in note
            co2_upper = str(rec["q_co2_limit"]) == "<" or "CO/CO2 is a lower limit" in note
            row["co2_co_limit"] = ("lower" if co_upper and not co2_upper
                                   else "upper" if co2_upper and not co_upper else "")
        meth = str(rec["methodology"]) if rec["methodology"] is not np.ma.masked else ""
        if meth and meth != "--":
            methods.append((_num(rec["q_co2"]) is not None, meth))
        inst = str(rec["instrument"]) if rec["instrument"] is not np.ma.masked else ""
        if inst and inst != "--" and inst not in facilities:
            facilities.append(inst)
        note = str(rec["notes"]) if rec["notes"] is not np.ma.masked else ""
        if note and note != "--":
            notes.append(note.split(" Instrument, regime")[0].replace(
                "Instrument, regime and methodology are not specified in Harrington Pinto "
                "et al. 2022; see the original reference", "").strip())
    # method of the CO2 measurement if the row has CO2, else of the row's measurement
    co2_methods = [m for has_co2, m in methods if has_co2]
    row["method"] = (co2_methods or [m for _, m in methods] or ["direct"])[0]
    ref = str(first["reference"])
    if ref == "Ootsubo et al. 2012" and not facilities:
        facilities.append("AKARI IRC/NC")
    row["facility"] = "; ".join(facilities)
    row["ref_authors"], row["ref_year"] = _split_reference(ref)
    if ref in KNOWN_REFS:
        (row["ref_journal"], row["ref_volume"], row["ref_page"], row["ref_bibcode"],
         row["ref_arxiv"]) = KNOWN_REFS[ref]
    row["compiled_in"] = f"{HP22}, {first['source_table']}"
    row["compiled_bibcode"] = HP22_BIBCODE
    row["verified"] = "transcription"
    flags = []
    if desig == "C/2016 R2":
        flags.append("outlier")
    if desig == "67P":
        flags.append("representative")
    row["flags"] = " ".join(flags)
    row["note"] = "; ".join(n for n in notes if n)
    return row


def _split_reference(ref):
    """'Mumma et al. 2001c' -> ('Mumma et al.', 2001); several references stay whole."""
    years = [int(tok.rstrip("abc;,")) for tok in ref.split()
             if tok.rstrip("abc;,").isdigit() and len(tok.rstrip("abc;,")) == 4]
    if ";" in ref or not years:
        return ref, (years[0] if years else None)
    return ref.rsplit(" ", 1)[0], years[0]


def _extra(**fields):
    row = _blank_row()
    row.update(fields)
    return row


def _inverted(prefix, value, err):
    """Columns of a ratio stored as the reciprocal of a published inverse ratio."""
    row = {}
    _set_inverse(row, prefix, value, err)
    return row


def _derived_quotient(prefix, numerator, denominator):
    """Columns of a ratio derived here as the quotient of two published ratios (value, err)."""
    (a, ea), (b, eb) = numerator, denominator
    value = a / b
    err = _sig(value * math.hypot(ea / a, eb / b))
    return {prefix: _sig(value), f"{prefix}_err_lo": err, f"{prefix}_err_hi": err,
            f"{prefix}_origin": "derived"}


def _jwst_3i_december(h2o_co, co2_co, **fields):
    """A row of arXiv:2603.20460: published H2O/CO and CO2/CO, each (value, error).

    CO2/CO is stored as published, CO/H2O as the reciprocal of H2O/CO and CO2/H2O derived
    as their quotient.
    """
    return _extra(designation="3I", name="ATLAS", dyn_class="interstellar", rh=2.39,
                  date="2025-12-22/2025-12-23", method="direct", facility="JWST NIRSpec",
                  co2_co=co2_co[0], co2_co_err_lo=co2_co[1], co2_co_err_hi=co2_co[1],
                  co2_co_origin="published", **_inverted("co_h2o", *h2o_co),
                  **_derived_quotient("co2_h2o", co2_co, h2o_co),
                  ref_authors="Cordiner, Roth, Milam + 17 (author order not retrieved)",
                  ref_year=2026, verified="original", **fields)


#: Measurements not in HP22, typed in from the cited papers. Only numbers found in a
#: retrieved source are entered; production rates that could not be checked are left out.
EXTRA_ROWS = [
    # McKay et al. 2016 (arXiv:1510.02165): CO2/H2O from Spitzer IRAC 4.5 um imaging,
    # "derived under the assumption that contamination from CO emission is negligible".
    _extra(designation="C/2012 K1", name="PanSTARRS", dyn_class="OCC-new",
           co2_h2o=0.126, co2_h2o_err_lo=0.013, co2_h2o_err_hi=0.013, co2_h2o_origin="published",
           method="indirect", facility="Spitzer IRAC 4.5 um (CO2+CO band; CO assumed negligible)",
           ref_authors="McKay, Kelley, Cochran, et al.", ref_year=2016, ref_journal="Icarus",
           ref_arxiv="1510.02165", verified="original",
           note="ratio from the paper's abstract; rh and date not retrieved; dynamically new "
                "per Woodward et al. 2015, ApJ 809, 181"),
    _extra(designation="C/2012 K5", name="LINEAR", dyn_class="OCC",
           co2_h2o=0.289, co2_h2o_err_lo=0.036, co2_h2o_err_hi=0.036, co2_h2o_origin="published",
           method="indirect", facility="Spitzer IRAC 4.5 um (CO2+CO band; CO assumed negligible)",
           ref_authors="McKay, Kelley, Cochran, et al.", ref_year=2016, ref_journal="Icarus",
           ref_arxiv="1510.02165", verified="original",
           note="ratio from the paper's abstract; rh and date not retrieved"),
    _extra(designation="290P", name="Jäger", dyn_class="JFC",
           co2_h2o=0.313, co2_h2o_err_lo=0.042, co2_h2o_err_hi=0.042, co2_h2o_origin="published",
           method="indirect", facility="Spitzer IRAC 4.5 um (CO2+CO band; CO assumed negligible)",
           ref_authors="McKay, Kelley, Cochran, et al.", ref_year=2016, ref_journal="Icarus",
           ref_arxiv="1510.02165", verified="original",
           note="ratio from the paper's abstract; rh and date not retrieved"),
    # Kelley et al. 2023, Nature 619, 720: water detected, no CO2.
    _extra(designation="238P", name="Read", dyn_class="main-belt", rh=2.428,
           date="2022-09-08", q_h2o=9.9e24, q_h2o_err=1.0e24,
           co2_h2o=0.007, co2_h2o_limit="upper", co2_h2o_origin="published",
           method="direct", facility="JWST NIRSpec",
           ref_authors="Kelley, Hsieh, Bodewits, et al.", ref_year=2023, ref_journal="Nature",
           ref_volume="619", ref_page="720", ref_bibcode="2023Natur.619..720K",
           verified="secondary",
           note="Q(H2O), rh and date read in the paper (doi:10.1038/s41586-023-06152-y); "
                "the CO2/H2O < 0.7 % limit only in secondary summaries; Q(CO2) limit not "
                "retrieved, left out"),
    # Snodgrass et al. 2025 (arXiv:2503.14071): CO2-driven activity at 7 au, no H2O gas.
    _extra(designation="C/2024 E1", name="Wierzchos", dyn_class="OCC-new", rh=7.0,
           q_co2=2.546e25, q_co2_err=0.019e25, method="direct",
           facility="JWST NIRSpec IFU",
           ref_authors="Snodgrass, Holt, Kelley, et al.", ref_year=2025,
           ref_arxiv="2503.14071", verified="original",
           note="'new Long Period Comet, inbound at 7 au' (rh approximate, as in the abstract); "
                "no H2O gas measured, so no ratio; observation date not retrieved"),
    # Harrington Pinto et al. 2023 (arXiv:2309.11486): first CO2 in a Centaur, H2O and CO
    # not detected, so the ratio is a published lower limit.
    _extra(designation="39P", name="Oterma", dyn_class="Centaur", rh=5.82, date="2022-07-27",
           q_co2=5.96e23, q_co2_err=0.80e23, co2_h2o=0.60, co2_h2o_limit="lower",
           co2_h2o_origin="published", co2_co=_sig(1 / 2.03), co2_co_limit="lower",
           co2_co_origin="inverted", method="direct", facility="JWST NIRSpec",
           ref_authors="Harrington Pinto et al.", ref_year=2023, ref_arxiv="2309.11486",
           verified="original",
           note="'First detection of CO2 emission in a Centaur: JWST NIRSpec observations of "
                "39P/Oterma'; Q(CO2), rh, date and 'Q_CO2/Q_H2O >= 0.60' (and 'Q_CO/Q_CO2 <= "
                "2.03', stored as CO2/CO >= 1/2.03) from the arXiv abstract, read in a mirror; "
                "the H2O and CO upper limits "
                "themselves and the journal reference were not retrieved"),
    # Cordiner et al. 2025: the published ratio and the arXiv v1 ratio, both kept.
    _extra(designation="3I", name="ATLAS", dyn_class="interstellar", rh=3.32,
           date="2025-08-06", co2_h2o=7.6, co2_h2o_err_lo=0.3, co2_h2o_err_hi=0.3,
           co2_h2o_origin="published", method="direct",
           facility="JWST NIRSpec IFU PRISM (0.6-5.3 um)",
           ref_authors="Cordiner, Roth, Kelley, et al.", ref_year=2025, ref_journal="ApJL",
           ref_arxiv="2508.18209", verified="original",
           note="published version: CO2/H2O = 7.6 +- 0.3, '4.5 sigma above the trend ... for "
                "long-period and Jupiter-family comets (excluding the outlier C/2016 R2)'; "
                "the paper's production rates were not retrieved and are left out (a "
                "secondary summary quotes Q(CO2) = 1.70e27, Q(H2O) = 2.23e26, Q(CO) = 3.7e26 "
                "s^-1, consistent with 7.6); 3I = C/2025 N1"),
    _extra(designation="3I", name="ATLAS", dyn_class="interstellar", rh=3.32,
           date="2025-08-06", co2_h2o=8.0, co2_h2o_err_lo=1.0, co2_h2o_err_hi=1.0,
           co2_h2o_origin="published", method="direct",
           facility="JWST NIRSpec IFU PRISM (0.6-5.3 um)",
           ref_authors="Cordiner, Roth, Kelley, et al.", ref_year=2025,
           ref_arxiv="2508.18209v1", verified="secondary", flags="superseded",
           note="arXiv v1 value 8.0 +- 1.0 ('6.1 sigma above the trend'), superseded by the "
                "published 7.6 +- 0.3; checked in news summaries of v1 only ('8 +- 1, more "
                "than six standard deviations higher than the trend')"),
    # SPHEREx, RNAAS 2025: CO2 detected, H2O and CO 3-sigma upper limits.
    _extra(designation="3I", name="ATLAS", dyn_class="interstellar", rh=3.2,
           date="2025-08-08/2025-08-12", q_h2o=1.5e26, q_h2o_limit="upper",
           q_co2=9.4e26, q_co=2.8e26, q_co_limit="upper",
           method="direct",
           facility="SPHEREx spectrophotometry (+ IRTF SpeX)",
           ref_authors="Lisse et al.", ref_year=2025, ref_journal="RNAAS",
           verified="original",
           note="'SPHEREx discovery of strong water ice absorption and an extended carbon "
                "dioxide coma in 3I/ATLAS'; Q values and 3-sigma limits from the abstract; "
                "rh and dates from secondary summaries; author list not checked; volume/page "
                "not retrieved; CO2/CO is a lower limit computed here from the CO limit"),
    # JWST NIRSpec mapping of 3I/ATLAS outbound, arXiv:2603.20460 (abstract read at
    # arxiv.org/abs, which shows the newest version; a pith.science record lists v3). The
    # abstract gives H2O and CO2 "with respect to CO": H2O/CO and CO2/CO. CO/H2O is stored
    # as the reciprocal of H2O/CO ('inverted'); CO2/H2O = (CO2/CO)/(H2O/CO) is 'derived'
    # here, its error from the two published errors in quadrature (their correlation
    # through the common CO is not published, so it is ignored).
    _jwst_3i_december(
        (0.444, 0.007), (0.424, 0.009), ref_arxiv="2603.20460",
        note="'Coma Physics of an Interstellar Object: JWST Spatial-Spectral Mapping of "
             "3I/ATLAS'; UT 2025 December 22 and 23 at rH = 2.37-2.41 au (rh here is the "
             "middle of that range); 'CO was the most abundant molecule, followed by H2O and "
             "CO2, whose molecular abundances with respect to CO were (44.4 +- 0.7) % and "
             "(42.4 +- 0.9) %'; coma-averaged H2O ortho/para 2.7 +- 0.1; production rates "
             "not in the abstract and not retrieved; the 20 authors from a pith.science record "
             "(alphabetical there), so the author order is not known"),
    _jwst_3i_december(
        (0.405, 0.031), (0.416, 0.003), ref_arxiv="2603.20460 (earlier version)",
        flags="superseded",
        note="an earlier version of the same abstract (read in the arcxiv.org mirror, "
             "plus-minus signs lost there; errors as quoted in comaspec issue 14): H2O/CO = "
             "(40.5 +- 3.1) %, CO2/CO = (41.6 +- 0.3) %, OPR 2.7 +- 0.2; arxiv.org/abs now "
             "shows the values of the previous row"),
    # Li, Shi, Hui & Shi 2026 (arXiv:2602.14218v1, 'accepted for publication in ApJL' per
    # arxivlens): radio OH (1665/1667 MHz) and CO(1-0) of 3I/ATLAS before perihelion.
    _extra(designation="3I", name="ATLAS", dyn_class="interstellar", rh=2.04,
           q_co=5.75e27, q_co_err=1.91e27,
           co_h2o=0.28, co_h2o_err_lo=0.11, co_h2o_err_hi=0.11, co_h2o_origin="published",
           method="direct", facility="radio OH 18 cm + CO J=1-0 at 115 GHz",
           ref_authors="Li, Shi, Hui & Shi", ref_year=2026, ref_arxiv="2602.14218",
           verified="original",
           note="'Pre-perihelion Volatile Evolution of Interstellar Comet 3I/ATLAS Indicating "
                "Significant Contribution from Extended Source in the Coma'; Q(CO) averaged "
                "'between 2.33 and 1.75 au' (rh here is the middle of that range), H2O from "
                "Q(OH) = (1.32 +- 0.47)e28 at 2.27 au and (1.89 +- 0.37)e28 at 1.96 au (OH, "
                "not stored as Q(H2O)); extended source 'accounting for up to 80 % from 3 au "
                "to 2 au' of the water; dates and telescopes not retrieved"),
]


#: (column prefix, numerator species, denominator species) of the stored ratios
RATIOS = (("co2_h2o", "co2", "h2o"), ("co_h2o", "co", "h2o"), ("co2_co", "co2", "co"))


def _computed_ratios(r):
    """Fill each missing ratio from the row's own production rates (origin 'computed').

    An upper limit on the numerator makes the ratio an upper limit, one on the denominator
    a lower limit; with both, nothing is known. Errors follow in quadrature where both rates
    have one (none of the HP22 rates do).
    """
    for prefix, num, den in RATIOS:
        qn, qd = r[f"q_{num}"], r[f"q_{den}"]
        if r[prefix] is not None or qn is None or qd is None:
            continue
        n_up, d_up = r[f"q_{num}_limit"] == "upper", r[f"q_{den}_limit"] == "upper"
        if n_up and d_up:
            continue
        value = qn / qd
        r[prefix] = _sig(value)
        r[f"{prefix}_limit"] = "upper" if n_up else "lower" if d_up else ""
        r[f"{prefix}_origin"] = "computed"
        en, ed = r[f"q_{num}_err"], r[f"q_{den}_err"]
        if not (n_up or d_up) and en is not None and ed is not None:
            err = _sig(value * math.hypot(en / qn, ed / qd))
            r[f"{prefix}_err_lo"] = r[f"{prefix}_err_hi"] = err


def _postprocess(rows):
    for r in rows:
        # e.g. C/2012 S1 (ISON) 2013-06-13: CO2 with an H2O upper limit -> CO2/H2O lower limit
        _computed_ratios(r)
        if r["designation"] == "46P" and r["date"] == "2019-01-11":
            # HP22 print the same CO/CO2 (< 0.04) beside both 46P epochs; it is the
            # combination of the two, kept once, on the CO2 row of 2019-01-08
            for key in ("co2_co", "co2_co_err_lo", "co2_co_err_hi", "co2_co_limit", "co2_co_origin"):
                r[key] = "" if isinstance(r[key], str) else None
        if r["designation"] == "46P" and r["co2_h2o"] is not None:
            r["flags"] = " ".join(filter(None, [r["flags"], "non_simultaneous"]))
            r["note"] = "; ".join(filter(None, [r["note"], "ratio uses the H2O of 2019-01-11 "
                                                 "(IRTF iSHELL, next row)"]))
        if r["designation"] == "C/2016 R2" and r["date"] == "2018-02-21":
            # HP22 print CO2/H2O beside the DCT water; put it on the CO2 row instead.
            r["_ratio_to_move"] = True
    moving = [r for r in rows if r.pop("_ratio_to_move", False)]
    for r in moving:
        target = next(t for t in rows if t["designation"] == "C/2016 R2"
                      and t["date"] == "2018-02-12")
        for key in ("co2_h2o", "co2_h2o_err_lo", "co2_h2o_err_hi", "co2_h2o_limit",
                    "co2_h2o_origin"):
            target[key] = r[key]
            r[key] = "" if isinstance(r[key], str) else None
        target["flags"] = "outlier non_simultaneous"
        target["note"] = "; ".join(filter(None, [target["note"], "ratio uses the H2O of "
                                                 "2018-02-21 (DCT OH imaging, 3.1e26 s^-1)"]))
    return rows


def build(hp22_path=DEFAULT_HP22):
    """Return the catalog as an astropy Table (units attached, limits as flags)."""
    rows = _postprocess(_hp22_rows(hp22_path)) + EXTRA_ROWS
    for row in EXTRA_ROWS:
        _computed_ratios(row)
    table = Table()
    for name, dtype, unit, desc in COLUMNS:
        values = [r[name] for r in rows]
        if dtype is str:
            table[name] = np.array([v if v is not None else "" for v in values], dtype=str)
        else:
            mask = [v is None for v in values]
            data = np.array([0 if v is None else v for v in values], dtype=dtype)
            table[name] = MaskedColumn(data, mask=mask) if any(mask) else data
        table[name].description = desc
        if unit is not None:
            table[name].unit = unit
    table.meta["title"] = "comaspec catalog of published CO2/H2O measurements in comets"
    table.meta["built_by"] = "docs/build_comets_catalog.py"
    table.meta["sources"] = [
        f"{HP22}, Tables 2 and 3 (read from a third-party transcription)",
        "papers cited per row (ref_* columns)",
    ]
    return table


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0]) if argv else DEFAULT_HP22
    table = build(path)
    table.write(OUT, format="ascii.ecsv", overwrite=True)
    print(f"wrote {OUT.relative_to(REPO)}: {len(table)} rows")


if __name__ == "__main__":
    main()
