"""Build labelled fluorescence line lists (CH4 nu3, C2H6 nu7/nu5) from HITRAN .par subsets.

Reads a HITRAN 2004+ 160-character record file (the shared subsets in
``../shared/data/hitran-ch4-h2o-2833-3246cm`` and ``../shared/data/hitran-c2h6-2802-3071cm``),
keeps the bands of `SPECIES` (selected by their upper and lower global quanta) and, in them,
the upper levels whose energy above the band's lowest upper level is at most
``e_upper_max`` (cm^-1); **every** line of a kept upper level is kept, so that the decay
branching of each kept level is complete within the band(s). Writes a small ECSV with, per
line: ``wavenumber`` [1/cm], ``band``, ``A`` [1/s] (HITRAN's absolute Einstein A),
``E_lower`` [1/cm] (HITRAN's E''), ``g_upper``, ``g_lower`` (HITRAN's g', g'', which include
the nuclear-spin weights), ``upper`` and ``lower`` (level labels: vibrational label and
HITRAN's local quanta), ``line`` (a name: branch, J'' and the upper symmetry), and, for the
thermal templates, ``E_rot_upper`` [1/cm] (upper-level energy above the band's lowest
upper level) and ``A_rel`` (A over the band's largest A).

Line data: HITRAN2020, Gordon, I. E.; Rothman, L. S.; Hargreaves, R. J.; et al. 2022,
JQSRT 277, 107949.

Run::

    python linelists/build_hitran_lines.py [SHARED_DATA_DIR]   # default ../shared/data

``tests/test_hitran_lines.py`` rebuilds the tables from the shared files and compares.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
HITRAN_REFERENCE = ("HITRAN2020: Gordon, I. E.; Rothman, L. S.; Hargreaves, R. J.; et al. 2022, "
                    "JQSRT 277, 107949 (2022JQSRT.27707949G)")

#: species -> build recipe. ``bands``: band label -> (upper global quanta, lower global
#: quanta) as they appear (stripped) in the file. ``e_upper_max``: kept upper levels
#: (cm^-1 above the band's lowest upper level): populations of the ground levels that pump
#: them are below ~1e-4 of the total at 150 K.
SPECIES = {
    "CH4": {
        "source": "hitran-ch4-h2o-2833-3246cm/CH4_12CH4_2833-3246cm.data",
        "output": "ch4_nu3_lines.ecsv",
        "molecule_id": 6,
        "bands": {"nu3": ("0 0 1 0 1F2", "0 0 0 0 1A1")},
        "e_upper_max": 1000.0,
    },
    "C2H6": {
        "source": "hitran-c2h6-2802-3071cm/C2H6_2802-3071cm.data",
        "output": "c2h6_lines.ecsv",
        "molecule_id": 27,
        "bands": {"nu7": ("V7", "GROUND"), "nu5": ("V5", "GROUND")},
        "e_upper_max": 800.0,
    },
}


def read_par(path):
    """The fields used here from a HITRAN 160-char file, as a dict of numpy arrays."""
    lines = [line.rstrip("\n") for line in Path(path).read_text().splitlines() if line.strip()]
    bad = [i for i, line in enumerate(lines) if len(line) != 160]
    if bad:
        raise ValueError(f"{path}: line {bad[0] + 1} is not a 160-character HITRAN record")

    def col(a, b, kind=str):
        values = [line[a - 1:b] for line in lines]
        return np.array([kind(v) for v in values]) if kind is not str else np.array([v.strip() for v in values])

    def raw(a, b):
        return np.array([line[a - 1:b] for line in lines])

    return {
        "molecule": col(1, 2, int), "nu": col(4, 15, float), "S": col(16, 25, float),
        "A": col(26, 35, float), "E_lower": col(46, 55, float),
        "v_upper": col(68, 82), "v_lower": col(83, 97),
        "q_upper": col(98, 112), "q_lower": col(113, 127),
        "q_upper_raw": raw(98, 112), "q_lower_raw": raw(113, 127),
        "g_upper": col(147, 153, float), "g_lower": col(154, 160, float),
    }


def _ch4_j_and_symmetry(local):
    """(J, symmetry) from CH4 local quanta ``J C alpha`` (e.g. ``6F2 23``)."""
    text = local.split()[0]
    n = len(text) - len(text.lstrip("0123456789"))
    return int(text[:n]), text[n:]


def _c2h6_j_k_symmetry(local):
    """(J, K, symmetry) from C2H6 local quanta, fixed columns ``J`` (3) ``K`` (3) ``l`` (2)
    ``sym`` (e.g. `` 11  1 1 A4``)."""
    return int(local[0:3]), int(local[3:6]), local[8:12].strip()


def _line_name(upper, lower, species):
    """CH4: branch, J'' and the upper symmetry (``R2(F1)``, as Villanueva et al. 2011 name
    them); C2H6: the perpendicular-band sub-branch, Delta K, Delta J and K'' (``rQ0``, their
    ``RQ0``), then J'' and the upper symmetry (``rQ0(11,A4)``)."""
    if species == "CH4":
        (j_up, sym_up), (j_low, _) = _ch4_j_and_symmetry(upper), _ch4_j_and_symmetry(lower)
        return f"{_BRANCH[j_up - j_low]}{j_low}({sym_up})"
    (j_up, k_up, sym_up), (j_low, k_low, _) = _c2h6_j_k_symmetry(upper), _c2h6_j_k_symmetry(lower)
    return f"{_BRANCH[k_up - k_low].lower()}{_BRANCH[j_up - j_low]}{k_low}({j_low},{sym_up})"


# branch letters by Delta J (Delta K, in lower case): O P Q R S for -2..+2
_BRANCH = {-2: "O", -1: "P", 0: "Q", 1: "R", 2: "S"}


def split_levels(labels, energy, tolerance=0.05):
    """Level keys: the label, plus ``#2``, ``#3``... where one label holds lines whose upper
    energies (E'' + nu) differ by more than ``tolerance`` cm^-1 (HITRAN's C2H6 local quanta
    do not tell every level apart)."""
    keys = np.array(labels, dtype=object)
    for label in np.unique(labels):
        idx = np.flatnonzero(labels == label)
        order = idx[np.argsort(energy[idx])]
        cluster = np.concatenate([[0], np.cumsum(np.diff(energy[order]) > tolerance)])
        for i, c in zip(order, cluster):
            keys[i] = label if c == 0 else f"{label} #{c + 1}"
    return keys.astype(str)


def select(par, recipe, species):
    """Per band: (band, kept rows, upper-level keys of those rows, band's lowest upper energy)."""
    keep = []
    e_upper = par["E_lower"] + par["nu"]
    for band, (v_up, v_low) in recipe["bands"].items():
        # a line without A (one C2H6 record) can be neither pumped nor a decay channel
        rows = np.flatnonzero((par["v_upper"] == v_up) & (par["v_lower"] == v_low)
                              & (par["molecule"] == recipe["molecule_id"]) & (par["A"] > 0))
        if not rows.size:
            raise ValueError(f"{species} {band}: no lines {v_up} <- {v_low} in the file")
        keys = split_levels(par["q_upper"][rows], e_upper[rows])
        e_min = e_upper[rows].min()
        level_min = {k: e_upper[rows][keys == k].min() for k in np.unique(keys)}
        kept = np.array([level_min[k] - e_min <= recipe["e_upper_max"] for k in keys])
        keep.append((band, rows[kept], keys[kept], e_min))
    return keep, e_upper


def build_table(shared_dir, species):
    """The line-list table of ``species`` (`SPECIES`) from the shared HITRAN file."""
    from astropy import units as u
    from astropy.table import Table

    recipe = SPECIES[species]
    path = Path(shared_dir) / recipe["source"]
    par = read_par(path)
    kept, e_upper = select(par, recipe, species)
    parts = []
    for band, rows, keys, e_min in kept:
        v_up, v_low = recipe["bands"][band]
        part = Table()
        part["wavenumber"] = par["nu"][rows] * u.cm**-1
        part["band"] = np.full(rows.size, band)
        part["A"] = par["A"][rows] / u.s
        part["E_lower"] = par["E_lower"][rows] * u.cm**-1
        part["g_upper"] = par["g_upper"][rows]
        part["g_lower"] = par["g_lower"][rows]
        part["upper"] = [f"{v_up} {k}" for k in keys]
        part["lower"] = [f"{v_low} {q}" for q in par["q_lower"][rows]]
        part["line"] = [_line_name(a, b, species) for a, b in zip(par["q_upper_raw"][rows], par["q_lower_raw"][rows])]
        part["E_rot_upper"] = np.round(e_upper[rows] - e_min, 6) * u.cm**-1
        part["A_rel"] = par["A"][rows] / par["A"][rows].max()
        parts.append(part)
    from astropy.table import vstack

    table = vstack(parts)
    # the bands share the ground state: tell its levels apart over all of them at once
    table["lower"] = split_levels(np.asarray(table["lower"]).astype(str), np.asarray(table["E_lower"]))
    table.sort("wavenumber")
    table.meta.update({
        "species": species,
        "reference": HITRAN_REFERENCE,
        "source_file": f"../shared/data/{recipe['source']}",
        "bands": {b: f"{up} <- {low}" for b, (up, low) in recipe["bands"].items()},
        "cut": (f"upper levels more than {recipe['e_upper_max']:g} cm-1 above the band's lowest "
                "upper level are left out; every line of a kept upper level is kept; lines "
                "with A = 0 are left out"),
        "lines_in_file": {b: int(((par['v_upper'] == up) & (par['v_lower'] == low)).sum())
                          for b, (up, low) in recipe["bands"].items()},
        "built_by": "linelists/build_hitran_lines.py",
        "A": "absolute Einstein A from HITRAN (s^-1); g_upper, g_lower include nuclear-spin weights",
    })
    return table


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    shared = Path(argv[0]) if argv else HERE.parent.parent / "shared" / "data"
    for species, recipe in SPECIES.items():
        table = build_table(shared, species)
        table.write(HERE / recipe["output"], format="ascii.ecsv", overwrite=True)
        print(f"{recipe['output']}: {len(table)} lines")


if __name__ == "__main__":
    main()
