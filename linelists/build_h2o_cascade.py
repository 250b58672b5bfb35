"""Build ``h2o_cascade_lines.ecsv``: the HITRAN lines of the H2O 4.7 µm branching and the 1.38 µm cascade.

The H2O fluorescence model (:mod:`comaspec.physics.fluorescence`) takes from this table

* ``branch``: every (001) -> (010) and (100) -> (010) line (4.63/4.85 µm) with HITRAN's
  absolute Einstein A; with the model's (000) lines (A from ``einstein_a.ecsv``, also from
  HITRAN) each (001) and (100) level's vibrational branching is that of its real line A
  (item 1 of issue #19);
* ``pump``: the (000) -> (101), (200), (002) lines at 1.38 µm (6900-7600 cm^-1) with A
  derived from HITRAN's S, and ``cascade``: the lines by which those levels decay to
  (100), (001) and (020) near 2.7-2.9 µm, with HITRAN's A (item 2); the (101) -> (100)
  lines of this role are the 2.7 µm hot band nu1+nu3-nu1 (item 3);
* ``hot``: every line of the (011) levels (to (010): the 2.7 µm hot band nu2+nu3-nu2; to
  (001), (100), (020) near 6 µm: the rest of each level's decay) with HITRAN's A (item 3).

Sources (``../shared/data``, read each SOURCE.md):

* ``hitran-h2o-161-1500-3500cm``: labelled HITRAN H2O lines with A (HITRANonline, 2026);
* ``hitran-h2o-161-3400-4100cm``: labelled HITRAN2016 lines with A; the statistical weights
  that are not (2J+1) x {1, 3} (a placeholder in that download) are recomputed: g = (2J+1)
  g_ns, g_ns = 3 for ortho levels ((Ka + Kc + v3) odd), 1 for para;
* ``hitran-h2o-161-6900-7600cm``: the complete 1.38 µm list (nu, S, E'', g', g''; no labels,
  no A) and a labelled 7170-7190 cm^-1 sample.

Level identification at 1.38 µm: a line's lower level is the (000) level whose HITRAN
energy equals E'' (within `E_TOL_CM`) and whose weight equals g''; its upper level is the
(101), (200) or (002) level whose energy, E'' + nu of the labelled lines that reach it from
(100), (001) or (020) in the 2.7-2.9 µm files (and of the labelled 1.38 µm sample), equals
E'' + nu of the line within `E_TOL_CM` with weight g'. Lines matched to no level, or to two,
are left out and counted in the table's metadata. A from S (S per molecule of H2(16)O in
that file, HITRAN's definition at 296 K, Q(296 K) = 174.58, Gordon et al. 2022):
``A = 8 pi c nu^2 S Q / (g' exp(-c2 E''/T) (1 - exp(-c2 nu/T)))``.

Kept: levels with J' <= `J_MAX` (the rotational range of ``h2o_lines.ecsv``).

Line data: HITRAN (Gordon, I. E.; Rothman, L. S.; Hargreaves, R. J.; et al. 2022, JQSRT
277, 107949). Run::

    python linelists/build_h2o_cascade.py [SHARED_DATA_DIR]   # default ../shared/data

``tests/test_h2o_cascade.py`` rebuilds the table from the shared files and compares.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUTPUT = "h2o_cascade_lines.ecsv"
J_MAX = 12
E_TOL_CM = 0.03
Q_296 = 174.58
C2_CM_K = 1.4387769
C_CM_S = 2.99792458e10
FILES_LABELLED = ("hitran-h2o-161-1500-3500cm/H2O_161_2000-3500cm.data",
                  "hitran-h2o-161-1500-3500cm/H2O_161_1500-2500cm.data",
                  "hitran-h2o-161-3400-4100cm/H2O_161_3400-4100cm.data",
                  "hitran-h2o-161-6900-7600cm/H2O_161_7170-7190cm.data")
FILE_138 = "hitran-h2o-161-6900-7600cm/hitran_h2o_161_6900-7600cm.csv"
BRANCH_UPPER = ((0, 0, 1), (1, 0, 0))
CASCADE_UPPER = ((1, 0, 1), (2, 0, 0), (0, 0, 2))
CASCADE_LOWER = ((1, 0, 0), (0, 0, 1), (0, 2, 0))
HOT_UPPER = (0, 1, 1)


def vib_label(v):
    return "({}{}{})".format(*v)


def level_label(v, q):
    return vib_label(v) + "{}{}{}".format(*q)


def nuclear_weight(v, q):
    """3 for ortho levels ((Ka + Kc + v3) odd), 1 for para."""
    return 3.0 if (q[1] + q[2] + v[2]) % 2 else 1.0


def read_labelled(path):
    """Records of a HITRAN 160-char H2O file as dicts (records with unreadable quanta skipped)."""
    out = []
    for line in open(path):
        if len(line.rstrip("\n")) < 160 or line[:3] != " 11":
            continue
        try:
            vu = tuple(int(x) for x in line[67:82].split())
            vl = tuple(int(x) for x in line[82:97].split())
            qu = tuple(int(x) for x in line[97:106].split())
            ql = tuple(int(x) for x in line[112:121].split())
        except ValueError:
            continue
        if len(vu) != 3 or len(vl) != 3 or len(qu) != 3 or len(ql) != 3:
            continue
        out.append(dict(nu=float(line[3:15]), A=float(line[25:35]), E=float(line[45:55]),
                        vu=vu, vl=vl, qu=qu, ql=ql,
                        gu=(2 * qu[0] + 1) * nuclear_weight(vu, qu),
                        gl=(2 * ql[0] + 1) * nuclear_weight(vl, ql)))
    return out


def labelled_lines(shared, files=FILES_LABELLED):
    """Unique labelled lines of ``files`` (the first file listing a line wins: 2026 before 2016)."""
    seen, lines = set(), []
    for name in files:
        for rec in read_labelled(shared / name):
            key = (rec["vu"], rec["vl"], rec["qu"], rec["ql"])
            if key not in seen:
                seen.add(key)
                lines.append(rec)
    return lines


def level_energies(lines):
    """Level label -> (energy cm^-1, weight, vib, quanta), from E'' (lower) and E'' + nu (upper)."""
    energies = {}
    for rec in lines:
        for v, q, e, g in ((rec["vl"], rec["ql"], rec["E"], rec["gl"]),
                           (rec["vu"], rec["qu"], rec["E"] + rec["nu"], rec["gu"])):
            energies.setdefault(level_label(v, q), []).append((e, g, v, q))
    return {k: (float(np.median([x[0] for x in vals])), vals[0][1], vals[0][2], vals[0][3])
            for k, vals in energies.items()}


def _matcher(levels, vibs):
    keys = [k for k, val in levels.items() if val[2] in vibs and val[3][0] <= J_MAX + 1]
    energy = np.array([levels[k][0] for k in keys])
    weight = np.array([levels[k][1] for k in keys])

    def match(e, g):
        hit = np.flatnonzero((np.abs(energy - e) < E_TOL_CM) & (weight == g))
        return keys[hit[0]] if hit.size == 1 else (None if hit.size == 0 else "ambiguous")
    return match


def pump_lines(shared, levels):
    """(rows of the identified 1.38 µm (000) -> (101)/(200)/(002) lines, counts)."""
    # two comment lines, then the column names: nu, S296K (per molecule of H2(16)O), E'', g', g''
    data = np.loadtxt(shared / FILE_138, delimiter=",", skiprows=3, usecols=range(5)).T
    lower_of = _matcher(levels, [(0, 0, 0)])
    upper_of = _matcher(levels, list(CASCADE_UPPER))
    rows, counts = [], {"lines": 0, "S_total": 0.0, "S_identified": 0.0, "ambiguous": 0}
    for nu, s, e, gu, gl in zip(*data):
        counts["lines"] += 1
        counts["S_total"] += s
        low, up = lower_of(e, gl), upper_of(e + nu, gu)
        if "ambiguous" in (low, up):
            counts["ambiguous"] += 1
            continue
        if low is None or up is None:
            continue
        counts["S_identified"] += s
        t = 296.0
        a = (8 * math.pi * C_CM_S * nu * nu * s * Q_296
             / (gu * math.exp(-C2_CM_K * e / t) * (1 - math.exp(-C2_CM_K * nu / t))))
        rows.append(("pump", up, low, nu, a, gu, gl, e))
    return rows, counts


def build(shared, labelled_files=FILES_LABELLED):
    """The table (astropy Table) of every line the H2O cascade and branching use
    (``labelled_files``: the labelled files whose levels identify the 1.38 µm lines)."""
    from astropy.table import Table

    lines = labelled_lines(shared, labelled_files)
    levels = level_energies(lines)
    rows = []
    for rec in lines:
        if rec["qu"][0] > J_MAX:
            continue
        role = None
        if rec["vu"] in BRANCH_UPPER:
            role = "branch" if rec["vl"] == (0, 1, 0) else None
        elif rec["vu"] in CASCADE_UPPER and rec["vl"] in CASCADE_LOWER:
            role = "cascade"
        elif rec["vu"] == HOT_UPPER:
            role = "hot"
        if role:
            rows.append((role, level_label(rec["vu"], rec["qu"]), level_label(rec["vl"], rec["ql"]),
                         rec["nu"], rec["A"], rec["gu"], rec["gl"], rec["E"]))
    pumps, counts = pump_lines(shared, levels)
    rows += [r for r in pumps if int(r[1][5:-2]) <= J_MAX]
    table = Table(rows=rows, names=("role", "upper", "lower", "wavenumber", "A", "g_upper", "g_lower",
                                    "E_lower"))
    table["wavenumber"].unit = table["E_lower"].unit = "1 / cm"
    table["A"].unit = "1 / s"
    table.sort(["role", "upper", "wavenumber"])
    for name in ("wavenumber", "E_lower"):
        table[name] = np.round(table[name], 6)
    table["A"] = np.array([float(f"{a:.4e}") for a in table["A"]])
    table["A"].unit = "1 / s"
    table.meta.update(
        made_by="linelists/build_h2o_cascade.py from ../shared/data (HITRAN H2O 161 subsets)",
        roles="branch: (001)/(100)->(010); pump: (000)->(101)/(200)/(002) "
              "at 1.38 um, A from S; cascade: (101)/(200)/(002)->(100)/(001)/(020); "
              "hot: (011)->(010)/(001)/(100)/(020)",
        pump_identified=f"{counts['S_identified'] / counts['S_total']:.4f} of the 6900-7600 cm-1 "
                        f"intensity ({counts['lines']} lines, {counts['ambiguous']} ambiguous left out)",
        J_max=J_MAX,
        reference="HITRAN: Gordon, I. E.; Rothman, L. S.; Hargreaves, R. J.; et al. 2022, JQSRT 277, "
                  "107949 (2022JQSRT.27707949G); 3400-4100 cm-1 lines HITRAN2016 as downloaded 2019",
    )
    return table


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    shared = Path(argv[0]) if argv else HERE.parent.parent / "shared" / "data"
    table = build(shared)
    table.write(HERE / OUTPUT, format="ascii.ecsv", overwrite=True)
    print(f"{OUTPUT}: {len(table)} lines; pump {table.meta['pump_identified']}")


if __name__ == "__main__":
    main()
