"""Write ``einstein_a.ecsv``: the absolute Einstein A of each band, from HITRAN2020.

comaspec's line lists (built from published constants) give Einstein A *relative* within
a band. The fluorescence model (:mod:`comaspec.fluorescence`) needs them absolute. For each
band this script

1. reads the HITRAN2020 line subset of the isotopologue (CSV: nu, S296 per molecule of the
   isotopologue, E'', g', g''; ../shared/data/hitran-linelists-spectr, not shipped);
2. converts every HITRAN intensity to an Einstein A,
   ``A = 8 pi c nu^2 S Q(296 K) / (g' exp(-c2 E''/296 K) (1 - exp(-c2 nu/296 K)))``
   (the HITRAN definition of S, Simeckova et al. 2006, JQSRT 98, 130), with the total
   internal partition sum Q(296 K) of TIPS-2021 (Gamache et al. 2021, JQSRT 271, 107713)
   as implemented in HAPI (Kochanov et al. 2016, JQSRT 177, 15; package ``hitran-api``);
3. identifies our lines in HITRAN by position and lower-state energy;
4. takes the median of A(HITRAN) / A_rel over the strong identified lines (predicted 296 K intensity
   >= 10 % of the strongest identified) as the band's scale, and writes one number per band: the
   Einstein A summed over the lines of the band's lowest upper level
   (``A_lowest_upper``), with the number of lines used and their largest deviation.

The H2O 4.7 µm decay channels (nu3-nu2, nu1-nu2) are not in the HITRAN subset; the
fluorescence model scales them to the cited band g-ratios instead (see its docstring).
OCS has no HITRAN subset here and gets no absolute A.

tests/test_fluorescence.py re-runs this script on the shared files and compares.

Usage: python linelists/build_einstein_a.py [HITRAN_CSV_DIR]
"""

import argparse
import math
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "einstein_a.ecsv"
DEFAULT_DIR = HERE.parent.parent / "shared" / "data" / "hitran-linelists-spectr"
T_REF = 296.0
STRONG = 0.10

# (species, band) -> (HITRAN CSV, HITRAN molecule and isotopologue ids, position and
# lower-energy tolerances in cm^-1 for identifying our lines).
BANDS = {
    ("CO2", "nu3"): ("hitran_co2_626_2200-2420cm.csv", (2, 1), 0.005, 0.05),
    ("13CO2", "nu3"): ("hitran_co2_636_2200-2320cm.csv", (2, 2), 0.01, 0.05),
    ("CO", "1-0"): ("hitran_co_26_1950-2350cm.csv", (5, 1), 0.005, 0.05),
    # H2O positions from the effective Hamiltonian agree with HITRAN to ~0.2 cm^-1 for the
    # strong lines, lower-state energies (De Lucia et al. 1974 constants) to ~0.05 cm^-1
    ("H2O", "nu3"): ("hitran_h2o_161_3300-4000cm.csv", (1, 1), 0.3, 0.3),
    ("H2O", "nu1"): ("hitran_h2o_161_3300-4000cm.csv", (1, 1), 0.3, 0.3),
}
SOURCE = "HITRAN2020"
REFERENCE = ("HITRAN2020 (Gordon et al. 2022, JQSRT 277, 107949; 2022JQSRT.27707949G) line "
             "intensities at 296 K, subset downloaded with HAPI 2021-08-11 (aheays/spectr), "
             "converted to Einstein A with the TIPS-2021 Q(296 K) (Gamache et al. 2021, JQSRT "
             "271, 107713) in HAPI (hitran-api)")


def read_hitran_csv(path):
    """Columns of a HITRAN CSV subset as float arrays: nu, S, E_lower, g_upper, g_lower."""
    data = np.loadtxt(path, delimiter=",", comments="#", skiprows=3, usecols=(0, 1, 2, 3, 4))
    return dict(zip(("nu", "S", "E_lower", "g_upper", "g_lower"), data.T))


def partition_sum(molecule, isotopologue, temperature=T_REF):
    """TIPS-2021 total internal partition sum from HAPI."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # hapi prints a banner on import
        import hapi
    return float(hapi.partitionSum(molecule, isotopologue, temperature, version=2021))


def hitran_einstein_a(hitran, q296):
    """Einstein A (s^-1) of every HITRAN line from its 296 K intensity."""
    from astropy import constants as const
    from astropy import units as u

    c2 = float((const.h * const.c / const.k_B).to_value(u.cm * u.K))
    c_cm = float(const.c.to_value(u.cm / u.s))
    nu = hitran["nu"]
    boltz = np.exp(-c2 * hitran["E_lower"] / T_REF) * (1 - np.exp(-c2 * nu / T_REF))
    return 8 * math.pi * c_cm * nu * nu * hitran["S"] * q296 / (hitran["g_upper"] * boltz)


def _spin_weight(system, lines):
    """Nuclear-spin weight of each line's spin species (linelists/spin_species.ecsv)."""
    from comaspec.physics import spin

    return spin.nuclear_spin_weights(system.species)[system.lower_spin[system.lower[lines]]]


def identify(system, in_band, hitran, tol_nu, tol_e):
    """(our line index, HITRAN row) of our lines of a band found in HITRAN."""
    ours = np.flatnonzero(in_band)
    nu_ours = system.wavenumber[ours]
    e_ours = system.lower_energy[system.lower[ours]]
    order = np.argsort(hitran["nu"])
    nu_h = hitran["nu"][order]
    pairs = []
    # H2O: HITRAN's g' includes the nuclear-spin weight (3 ortho, 1 para: spin_species.ecsv)
    g_ours = None
    if system.lower_spin is not None:
        g_ours = _spin_weight(system, ours) * system.upper_g[system.upper[ours]]
    for i, (k, nu, e) in enumerate(zip(ours, nu_ours, e_ours)):
        lo, hi = np.searchsorted(nu_h, [nu - tol_nu, nu + tol_nu])
        cand = order[lo:hi]
        cand = cand[np.abs(hitran["E_lower"][cand] - e) < tol_e]
        if g_ours is not None:
            cand = cand[hitran["g_upper"][cand] == g_ours[i]]
        if cand.size:
            best = cand[np.argmax(hitran["S"][cand])]
            pairs.append((k, best))
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def predicted_strength(system, lines):
    """Relative 296 K absorption intensity of our lines (Boltzmann x g' A / nu^2)."""
    from astropy import constants as const
    from astropy import units as u

    c2 = float((const.h * const.c / const.k_B).to_value(u.cm * u.K))
    e = system.lower_energy[system.lower[lines]]
    nu = system.wavenumber[lines]
    spin = 1.0 if system.lower_spin is None else _spin_weight(system, lines)
    return (spin * system.upper_g[system.upper[lines]] * system.a_rel[lines] / nu**2
            * np.exp(-c2 * e / T_REF))


def band_scale(species, band, hitran_dir):
    """(A_lowest_upper, lines used, largest relative deviation, median |deviation|)."""
    from comaspec import fluorescence

    filename, (mol, iso), tol_nu, tol_e = BANDS[(species, band)]
    hitran = read_hitran_csv(Path(hitran_dir) / filename)
    a_hitran = hitran_einstein_a(hitran, partition_sum(mol, iso))
    system = fluorescence._system(species, band)
    in_band = system.band == band
    pairs = identify(system, in_band, hitran, tol_nu, tol_e)
    if not len(pairs):
        raise SystemExit(f"{species} {band}: no line identified in {filename}")
    # strong by our own 296 K prediction, so that a misidentified weak line cannot count
    # as strong through its HITRAN partner
    s = predicted_strength(system, pairs[:, 0])
    strong = s >= STRONG * s.max()
    ratio = a_hitran[pairs[strong, 1]] / system.a_rel[pairs[strong, 0]]
    scale = float(np.median(ratio))
    dev = np.abs(ratio / scale - 1)
    level = fluorescence._lowest_upper_level(system, in_band)
    a_low = scale * system.a_rel[in_band & (system.upper == level)].sum()
    return a_low, int(strong.sum()), float(dev.max()), float(np.median(dev))


def build(hitran_dir=DEFAULT_DIR):
    """The table written to ``einstein_a.ecsv``."""
    from astropy.table import Column, Table

    rows = []
    for (species, band) in BANDS:
        a_low, n, worst, typical = band_scale(species, band, hitran_dir)
        rows.append((species, band, float(f"{a_low:.5g}"), n, round(typical, 4), round(worst, 4)))
    names = ("species", "band", "A_lowest_upper", "n_lines", "median_dev", "max_dev")
    table = Table(rows=rows, names=names)
    table["A_lowest_upper"] = Column(table["A_lowest_upper"], unit="1/s")
    table["source"] = SOURCE
    table["reference"] = REFERENCE
    table.meta["description"] = (
        "Absolute Einstein A of each band: A summed over the band's lines from its lowest upper "
        "rotational level. The line lists' relative A are scaled by the median of "
        "A(HITRAN)/A_rel over the strong identified lines (our predicted 296 K intensity >= 10 % of the "
        "strongest identified line); "
        "n_lines of them, with median and largest |A(HITRAN)/(scale A_rel) - 1|.")
    table.meta["made_by"] = "linelists/build_einstein_a.py"
    return table


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hitran_dir", nargs="?", default=str(DEFAULT_DIR))
    args = parser.parse_args(argv)
    build(args.hitran_dir).write(OUT, format="ascii.ecsv", overwrite=True)
    print(f"wrote {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
