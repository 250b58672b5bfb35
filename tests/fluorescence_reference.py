"""An independent solar-pumped fluorescence-equilibrium generator, for validation only.

Written from the textbook radiative-transfer relations, with HITRAN line data from
``../shared/data`` and the ASTM E490-00a solar spectrum bundled with sbpy; it imports
nothing from comaspec's physics (``comaspec.physics.instrument`` LSFs may be passed in for the
convolution only). The tests compare comaspec's fluorescence model with what this
module computes.

Physics (per molecule, at r_h = 1 au)
-------------------------------------
* Ground vibrational state: its rotational levels ``l`` are populated as
  ``n_l = g_l exp(-c2 E_l / T) / Z``. For H2O, ortho and para levels are normalised
  separately, ``n_ortho = OPR / (1 + OPR)`` and ``n_para = 1 / (1 + OPR)`` in total. The
  ground-state levels are the lower levels of the file with ``E'' <`` the lowest excited
  vibrational level (H2O 1594.7 cm^-1, CO2 667.4 cm^-1, CO 2143 cm^-1; these thresholds
  are only used to tell ground-state levels apart, and at T_rot <= 150 K levels above
  them carry < 1e-6 of the population).
* Pumping: the absorption rate from ``l`` to ``u`` in sunlight of photon flux
  ``Phi(nu)`` (photons s^-1 cm^-2 per cm^-1) is ``B_lu J_nu`` with ``J = F / 4 pi``, i.e.
  ``(g_u / g_l) A_ul Phi(nu) / (8 pi c nu^2)`` (nu in cm^-1, c in cm/s).
  The pump rate of ``u`` is the sum over its ground-state lower levels of ``n_l`` times that.
* Decay: each pumped upper level decays through all its lines in the file, each line
  taking the fraction ``A_ul / sum_l' A_ul'`` of the pump rate: that photon rate per
  molecule is the line's g-factor.
* CH4: all 25126 lines of the 2833-3246 cm^-1 file, every band; ground-state lines are
  those whose lower global quanta are ``0 0 0 0 1A1``. Its ground levels have E'' up to
  ~1300 cm^-1 in the file (all of them thermal).
* Upper levels are identified by ``E' = E'' + nu`` (clustered within 3e-4 cm^-1; CH4:
  1e-3 cm^-1 and its global label) and ``g'``; lower levels by ``E''`` and ``g''``.
* Einstein A: read from the 160-character ``.par`` files; derived for the CSV subsets
  (which store S(296 K) per molecule of the isotopologue and no A) from
  ``S = g' A / (8 pi c nu^2) exp(-c2 E''/T0) (1 - exp(-c2 nu / T0)) / Q(T0)`` with
  ``Q(296 K)`` from HAPI's TIPS (``hapi.partitionSum``).
* H2O ortho/para: HITRAN's g includes the nuclear-spin weight (ortho 3(2J+1), para
  2J+1). A line with ``|g' - g''| = 6`` is ortho, ``2`` para; ``g''`` not divisible by 3 is
  para; the remaining (Q-branch, g divisible by 3) lines take the spin of a level they
  share with a decided line.

What it does NOT model (say so wherever it is used)
---------------------------------------------------
* The H2O CSV covers 3300-4000 cm^-1 only: the (001)->(010) and (100)->(010) channels at
  4.6-4.9 um are absent, so those lines cannot be produced and the (001)/(100) levels decay
  only through their 2.7 um lines (their 2.7 um g-factors are then too high by the
  missing branching fraction, a few per cent). Lines of (020) upper levels are likewise
  missing their (020)->(010) channel.
* No cascade in `line_g_factors`. The H2O cascade and hot bands are in
  `h2o_cascade_g_factors` (issue #19 item 7): every labelled line of the shared HITRAN H2O
  files and the unlabelled 1.38 um list (levels by E'', E'' + nu and g), pumped from (000),
  each level passing its molecules down through all its lines. The 1.87 um nu2+nu3 lines
  that pump (011) are not in the files (optionally: (011) pumped like (001)).
* Solar spectrum: E490-00a is tabulated every 0.02 um near 2.7-5 um (averaged over a
  small bandwidth), so solar absorption lines (Swings effect) are not resolved.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PAR_DIR = SHARED_DATA / "hitran-co2-co-radis"
CSV_DIR = SHARED_DATA / "hitran-linelists-spectr"
VILLANUEVA_CSV = SHARED_DATA / "comet-gfactors-published" / "villanueva_gfactor_validation_targets.csv"

#: Reference temperature of HITRAN line intensities, K.
T_REF = 296.0

#: (CSV file or PAR file, HITRAN molecule id, isotopologue id, lowest excited vibrational
#: level in cm^-1 (HITRAN/JPL band origins: H2O nu2 1594.75, CO2 nu2 667.38, CO v=1 2143.27))
SOURCES = {
    "H2O": ("csv", "hitran_h2o_161_3300-4000cm.csv", 1, 1, 1594.7),
    "CO2": ("csv", "hitran_co2_626_2200-2420cm.csv", 2, 1, 667.3),
    "13CO2": ("csv", "hitran_co2_636_2200-2320cm.csv", 2, 2, 648.4),
    "CO": ("par", "hitran_co_3iso_2000_2300cm.par", 5, 1, 2143.0),
    # 12CH4: the whole 2833-3246 cm^-1 file (nu3 and the other pentad bands); nu4 at 1310.76
    "CH4": ("par-polyatomic", "CH4_12CH4_2833-3246cm.data", 6, 1, 1310.0),
}
#: Folder of the CH4 file, and the label of its ground vibrational state (HITRAN global quanta).
CH4_DIR = SHARED_DATA / "hitran-ch4-h2o-2833-3246cm"
CH4_GROUND = "0 0 0 0 1A1"

_UPPER_TOL_CM = 3e-4


@functools.cache
def _constants():
    import astropy.constants as const
    import astropy.units as u

    c_cm = float(const.c.to_value(u.cm / u.s))
    c2 = float((const.h * const.c / const.k_B).to_value(u.cm * u.K))
    hc = float((const.h * const.c).to_value(u.J * u.cm))
    return c_cm, c2, hc


# ------------------------------------------------------------------------- solar spectrum
def solar_table_path():
    """Path of sbpy's bundled E490-00a (2014) high-resolution table."""
    import importlib.util

    # located without importing sbpy (its import is slow and warns): data file only
    origin = importlib.util.find_spec("sbpy").origin
    return Path(origin).resolve().parent / "calib" / "data" / "e490-00a_2014_hires.csv"


@functools.cache
def _solar_table():
    from astropy.table import Table

    t = Table.read(solar_table_path(), format="ascii.ecsv")
    wl = np.asarray(t["wavelength"].quantity.to_value("um"), dtype=float)
    flam = np.asarray(t["spectral irradiance"].quantity.to_value("W / (m2 um)"), dtype=float)
    return wl, flam


def solar_photon_flux(nu_cm):
    """Solar photon flux at 1 au per unit wavenumber, photons s^-1 cm^-2 (cm^-1)^-1.

    ASTM E490-00a (2000) air-mass-zero spectrum (the 2014 table bundled with sbpy),
    interpolated linearly in wavelength.
    """
    _, _, hc = _constants()
    wl, flam = _solar_table()
    nu_cm = np.asarray(nu_cm, dtype=float)
    lam_um = 1e4 / nu_cm
    f_lam = np.interp(lam_um, wl, flam)          # W m^-2 um^-1
    f_nu = f_lam * lam_um**2 / 1e4               # W m^-2 (cm^-1)^-1
    return f_nu / (hc * nu_cm) * 1e-4            # photons s^-1 cm^-2 (cm^-1)^-1


# ------------------------------------------------------------------------- line data
@dataclass
class Lines:
    """Line data of one isotopologue (float64 arrays; labels where the source has them)."""

    nu: np.ndarray
    A: np.ndarray
    E_low: np.ndarray
    g_up: np.ndarray
    g_low: np.ndarray
    ground_max_cm: float
    label: np.ndarray | None = None   # "R1", "P2" for linear molecules from .par quanta
    v_up: np.ndarray | None = None
    v_low: np.ndarray | None = None


def read_par(path, molecule, isotopologue):
    """Rows of a 160-character HITRAN .par file for one isotopologue, as a dict of arrays."""
    rows = []
    for line in Path(path).read_text().splitlines():
        if len(line) < 160 or int(line[0:2]) != molecule or line[2] != str(isotopologue):
            continue
        rows.append(line)
    if not rows:
        raise ValueError(f"{path}: no lines of molecule {molecule} isotopologue {isotopologue}")

    def col(a, b, conv=float):
        return np.array([conv(r[a:b]) for r in rows])

    return {
        "nu": col(3, 15), "S": col(15, 25), "A": col(25, 35), "E_low": col(45, 55),
        "global_up": col(67, 82, str), "global_low": col(82, 97, str),
        "local_up": col(97, 112, str), "local_low": col(112, 127, str),
        "g_up": col(145, 153), "g_low": col(153, 160),
    }


def read_csv(path):
    """The spectr CSV subsets: dict of nu, S (per molecule of the isotopologue, 296 K), E_low, g_up, g_low."""
    d = np.genfromtxt(path, delimiter=",", comments="#", skip_header=3)
    return {"nu": d[:, 0], "S": d[:, 1], "E_low": d[:, 2], "g_up": d[:, 3], "g_low": d[:, 4]}


def tips_q(molecule, isotopologue, T=T_REF):
    """Total internal partition function from HAPI's TIPS."""
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # HAPI prints a banner on import
        import hapi

    return float(hapi.partitionSum(molecule, isotopologue, T))


def einstein_a(nu, S, E_low, g_up, Q, T=T_REF):
    """Einstein A (s^-1) from a HITRAN intensity S(T) per molecule of the isotopologue.

    S = g' A / (8 pi c nu^2) exp(-c2 E''/T) (1 - exp(-c2 nu/T)) / Q(T)  (cm/molecule).
    """
    c_cm, c2, _ = _constants()
    nu = np.asarray(nu, dtype=float)
    return (np.asarray(S) * 8 * math.pi * c_cm * nu**2 * Q
            / (np.asarray(g_up) * np.exp(-c2 * np.asarray(E_low) / T) * -np.expm1(-c2 * nu / T)))


def _linear_label(local_low):
    """'R1' / 'P2' / 'Q3' from the lower-state local quanta of a linear molecule."""
    text = local_low.strip()
    return f"{text[0]}{int(text[1:].split()[0])}"


@functools.cache
def load_lines(species):
    """`Lines` of one species from the shared HITRAN files (see `SOURCES`)."""
    kind, name, mol, iso, ground_max = SOURCES[species]
    if kind == "par-polyatomic":
        # levels from energies and weights, as for the others; only the ground state is
        # recognised by its global label (its rotational levels reach above nu4)
        d = read_par(CH4_DIR / name, mol, iso)
        return Lines(d["nu"], d["A"], d["E_low"], d["g_up"], d["g_low"], ground_max,
                     label=np.array([s.strip() for s in d["global_up"]]),
                     v_up=np.unique(d["global_up"], return_inverse=True)[1].ravel(),
                     v_low=np.array([0 if s.strip() == CH4_GROUND else 1 for s in d["global_low"]]))
    if kind == "par":
        d = read_par(PAR_DIR / name, mol, iso)
        return Lines(d["nu"], d["A"], d["E_low"], d["g_up"], d["g_low"], ground_max,
                     label=np.array([_linear_label(s) for s in d["local_low"]]),
                     v_up=np.array([int(s.strip()) for s in d["global_up"]]),
                     v_low=np.array([int(s.strip()) for s in d["global_low"]]))
    d = read_csv(CSV_DIR / name)
    a = einstein_a(d["nu"], d["S"], d["E_low"], d["g_up"], tips_q(mol, iso))
    return Lines(d["nu"], a, d["E_low"], d["g_up"], d["g_low"], ground_max)


# ------------------------------------------------------------------------- levels
def _cluster(energy, degeneracy, tol):
    """Level index per entry: same degeneracy and energies chained within ``tol``."""
    order = np.lexsort((energy, degeneracy))
    e, g = energy[order], degeneracy[order]
    new = np.ones(e.size, dtype=bool)
    new[1:] = (np.diff(e) > tol) | (np.diff(g) != 0)
    ids = np.cumsum(new) - 1
    out = np.empty(e.size, dtype=int)
    out[order] = ids
    return out


def h2o_spin(lines, lower, upper):
    """Ortho (True) / para (False) of each line of H2O from HITRAN's spin-weighted g."""
    gu, gl = lines.g_up.astype(int), lines.g_low.astype(int)
    spin = np.full(gu.size, -1)
    dg = np.abs(gu - gl)
    # Delta J = +-1, +-2: g changes by 6, 12 (ortho) or 2, 4 (para)
    spin[(dg == 6) | (dg == 12)] = 1
    spin[(dg == 2) | (dg == 4) | (gl % 3 != 0) | (gu % 3 != 0)] = 0
    # the rest (Q branch with g divisible by 3): propagate through shared levels
    for _ in range(20):
        unknown = spin < 0
        if not unknown.any():
            break
        for level in (lower, upper):
            known = np.full(level.max() + 1, -1)
            known[level[~unknown]] = spin[~unknown]
            spin[unknown] = np.maximum(spin[unknown], known[level[unknown]])
    # a few Q-branch lines between isolated, highly excited levels stay undecided; they
    # must not start from the ground state (they would need a population)
    undecided_ground = (spin < 0) & (lines.E_low < lines.ground_max_cm)
    if np.any(undecided_ground):
        raise RuntimeError(f"{int(undecided_ground.sum())} ground-state H2O lines of undetermined spin")
    return spin == 1


@dataclass
class Levels:
    """Level bookkeeping of a `Lines` set."""

    lower: np.ndarray        # lower-level index per line
    upper: np.ndarray        # upper-level index per line
    ground: np.ndarray       # line starts from the ground vibrational state
    ortho: np.ndarray | None  # H2O: spin per line


@functools.cache
def levels_of(species):
    """`Levels` of a species' lines."""
    lines = load_lines(species)
    lower = _cluster(lines.E_low, lines.g_low, _UPPER_TOL_CM)
    # CH4: upper levels of different vibrational states can coincide within the tolerance
    # (nu3 and nu2+2nu4 levels, 2 of the pumped ones): keep them apart by their global label
    key = lines.g_up + (1e4 * lines.v_up if species == "CH4" else 0.0)
    # CH4: E'' and nu of one level's lines add up within ~3e-4 cm^-1 only
    upper = _cluster(lines.E_low + lines.nu, key, 1e-3 if species == "CH4" else _UPPER_TOL_CM)
    ground = lines.E_low < lines.ground_max_cm
    if lines.v_low is not None:
        ground &= lines.v_low == 0
    ortho = h2o_spin(lines, lower, upper) if species == "H2O" else None
    return Levels(lower, upper, ground, ortho)


#: H2O upper vibrational state from the total Einstein A of a level (sum over its lines in the
#: 3300-4000 cm^-1 subset): in the HITRAN data the (001) levels decay at 86-91 s^-1, the
#: (100) levels at 4.5-7 s^-1 and the (020) levels below 1 s^-1 (checked on the pumped levels;
#: a few strongly mixed high-J levels fall in between and are classed by the nearer limit).
H2O_A_TOTAL_LIMITS = (("(020)", 0.0, 2.0), ("(100)", 2.0, 30.0), ("(001)", 30.0, np.inf))


def h2o_upper_state(lines=None, lev=None):
    """Vibrational label of each H2O line's upper level, "(001)", "(100)" or "(020)".

    Identified from the data alone, by the level's total decay rate (`H2O_A_TOTAL_LIMITS`).
    """
    lines = load_lines("H2O") if lines is None else lines
    lev = levels_of("H2O") if lev is None else lev
    a_tot = np.bincount(lev.upper, weights=lines.A)[lev.upper]
    out = np.empty(a_tot.size, dtype="<U5")
    for label, lo, hi in H2O_A_TOTAL_LIMITS:
        out[(a_tot >= lo) & (a_tot < hi)] = label
    return out


def ground_partition(species, T, ortho=None):
    """Sum of g'' exp(-c2 E''/T) over the distinct ground-state levels in the file.

    ``ortho``: H2O only, True/False for one spin species, None for all.
    """
    _, c2, _ = _constants()
    lines, lev = load_lines(species), levels_of(species)
    sel = lev.ground.copy()
    if ortho is not None:
        sel &= lev.ortho == ortho
    _, first = np.unique(lev.lower[sel], return_index=True)
    idx = np.flatnonzero(sel)[first]
    return float(np.sum(lines.g_low[idx] * np.exp(-c2 * lines.E_low[idx] / T)))


# ------------------------------------------------------------------------- fluorescence
def line_g_factors(species, T_rot, ortho_para=3.0):
    """Fluorescence-equilibrium g-factor of every line (photons s^-1 molecule^-1 at 1 au).

    Returns
    -------
    nu : ndarray
        Line positions, cm^-1 (all lines of the file; g = 0 for lines of unpumped levels).
    g : ndarray
        Line g-factors, s^-1.
    """
    c_cm, c2, _ = _constants()
    lines, lev = load_lines(species), levels_of(species)
    boltz = lines.g_low * np.exp(-c2 * lines.E_low / T_rot)
    if lev.ortho is None:
        n_low = np.where(lev.ground, boltz / ground_partition(species, T_rot), 0.0)
    else:
        f_o = ortho_para / (1.0 + ortho_para)
        z_o, z_p = ground_partition(species, T_rot, True), ground_partition(species, T_rot, False)
        n_low = np.where(lev.ground, boltz * np.where(lev.ortho, f_o / z_o, (1.0 - f_o) / z_p), 0.0)
    pump_line = n_low * (lines.g_up / lines.g_low) * lines.A * solar_photon_flux(lines.nu) / (
        8 * math.pi * c_cm * lines.nu**2)
    n_up = lev.upper.max() + 1
    pump = np.bincount(lev.upper, weights=pump_line, minlength=n_up)
    a_tot = np.bincount(lev.upper, weights=lines.A, minlength=n_up)
    g = pump[lev.upper] * lines.A / a_tot[lev.upper]
    return lines.nu.copy(), g


def band_g_factor(species, T_rot, lo_cm=-np.inf, hi_cm=np.inf, ortho_para=3.0):
    """Sum of line g-factors between ``lo_cm`` and ``hi_cm`` (s^-1 at 1 au)."""
    nu, g = line_g_factors(species, T_rot, ortho_para)
    return float(g[(nu >= lo_cm) & (nu <= hi_cm)].sum())


def sticks(species, T_rot, ortho_para=3.0, lo_cm=-np.inf, hi_cm=np.inf, floor=1e-7, upper_state=None):
    """(nu_cm, g) of the lines with g above ``floor`` times the strongest, in a range.

    ``upper_state``: keep the lines of one upper vibrational state: H2O "(001)", ... (found
    from the decay rates); CH4 its HITRAN global label, e.g. "0 0 1 0 1F2" (nu3).
    """
    nu, g = line_g_factors(species, T_rot, ortho_para)
    keep = (nu >= lo_cm) & (nu <= hi_cm) & (g > floor * g.max())
    if upper_state is not None:
        keep &= (h2o_upper_state() if species == "H2O" else load_lines(species).label) == upper_state
    return nu[keep], g[keep]


# ------------------------------------------------------------------------- spectra
def line_fluxes(nu_cm, g, n_molecules, rh_au, delta_au):
    """Line fluxes (W m^-2) of ``n_molecules`` in the beam: N g / rh^2 h c nu / (4 pi Delta^2)."""
    import astropy.units as u

    _, _, hc = _constants()
    delta_m = float((delta_au * u.au).to_value(u.m))
    return n_molecules * np.asarray(g) / rh_au**2 * hc * np.asarray(nu_cm) / (4 * math.pi * delta_m**2)


def spectrum(wavelength_um, nu_cm, line_flux_W_m2, lsf):
    """Mean flux density per pixel (W m^-2 um^-1) of lines seen through ``lsf``.

    ``lsf`` is any object with ``integrate_lines(line_um, weights, pixel_edges_um)``
    returning the per-pixel mean of unit-area profiles (e.g. `comaspec.physics.instrument.GaussianLSF`).
    """
    wl = np.asarray(wavelength_um, dtype=float)
    mid = 0.5 * (wl[1:] + wl[:-1])
    edges = np.concatenate(([2 * wl[0] - mid[0]], mid, [2 * wl[-1] - mid[-1]]))
    return lsf.integrate_lines(1e4 / np.asarray(nu_cm), np.asarray(line_flux_W_m2, dtype=float), edges)


def band_spectrum(wavelength_um, nu_cm, g, band_flux_W_m2, lsf):
    """Spectrum of a set of sticks scaled so their total flux is ``band_flux_W_m2``."""
    energy = np.asarray(g) * np.asarray(nu_cm)
    return spectrum(wavelength_um, nu_cm, band_flux_W_m2 * energy / energy.sum(), lsf)


# ------------------------------------------------------------------------- published values
#: Labelled HITRAN H2O files with A (issue #19): 4.7 um channels and the 2.7 um fundamentals.
H2O_PAR_FILES = (SHARED_DATA / "hitran-h2o-161-1500-3500cm" / "H2O_161_1500-2500cm.data",
                 SHARED_DATA / "hitran-h2o-161-1500-3500cm" / "H2O_161_2000-3500cm.data",
                 SHARED_DATA / "hitran-h2o-161-3400-4100cm" / "H2O_161_3400-4100cm.data")


def _h2o_level(global_q, local_q):
    """'(001)111' from HITRAN H2O global ('          0 0 1') and local ('  1  1  1...') quanta."""
    v = global_q.split()
    return "(" + "".join(v) + ")" + "".join(str(int(local_q[k:k + 3])) for k in (0, 3, 6))


def h2o_branching_to_010():
    """Fraction of each (001)/(100) level's decays (by Einstein A) that go to (010).

    From the labelled HITRAN files alone (every line of a level to (000) and to (010), the
    first file that lists a line wins). Returns {level label: fraction}.
    """
    to = {}
    seen = set()
    for path in H2O_PAR_FILES:
        d = read_par(path, 1, 1)
        for gu, gl, lu, ll, a in zip(d["global_up"], d["global_low"], d["local_up"], d["local_low"], d["A"]):
            vu, vl = gu.split(), gl.split()
            if vu not in (["0", "0", "1"], ["1", "0", "0"]) or vl not in (["0", "0", "0"], ["0", "1", "0"]):
                continue
            key = (gu, gl, lu[:9], ll[:9])
            if key in seen:
                continue
            seen.add(key)
            level = _h2o_level(gu, lu)
            ground, excited = to.get(level, (0.0, 0.0))
            to[level] = (ground + a, excited) if vl == ["0", "0", "0"] else (ground, excited + a)
    return {k: e / (g + e) for k, (g, e) in to.items() if g > 0}


def villanueva_table():
    """Villanueva et al. 2011 (Icarus 216, 227) Table 2 rows, g in s^-1 at 1 au."""
    from astropy.table import Table

    t = Table.read(VILLANUEVA_CSV, format="ascii.csv")
    t["g"] = np.asarray(t["g_published"], dtype=float) * np.asarray(t["unit_scale"], dtype=float)
    return t


# ------------------------------------------------------------------------- H2O radiative cascade
# Issue #19 item 7: every labelled H2O line of the shared files with its A, plus the unlabelled
# 1.38 um list (A from S), as one set of levels; sunlight pumps every level from (000) and
# each level passes its molecules down through all its lines (a radiative cascade: no
# collisions, no stimulated emission).
H2O_LABELLED = (H2O_PAR_FILES[:2]                       # HITRAN 2026 download first: it wins
                + (SHARED_DATA / "hitran-h2o-161-6900-7600cm" / "H2O_161_7170-7190cm.data",)
                + H2O_PAR_FILES[2:])
H2O_138_CSV = SHARED_DATA / "hitran-h2o-161-6900-7600cm" / "hitran_h2o_161_6900-7600cm.csv"
#: Tolerance (cm^-1) for the energy of a level of the unlabelled list (files of 2016-2026).
H2O_LEVEL_TOL = 0.03


def h2o_spin_weight(v3, ka, kc):
    """Nuclear-spin weight of an H2O level: 3 (ortho) when Ka + Kc + v3 is odd, else 1.

    Two equivalent protons (I = 1/2): the total wavefunction is antisymmetric under their
    exchange, so rovibrational levels antisymmetric under C2(b) take the three symmetric spin
    functions; the rotational part changes sign with Ka + Kc, the vibrational part (B2) with v3.
    """
    return 3 if (ka + kc + v3) % 2 else 1


def h2o_key(global_q, local_q):
    """'(001)1.1.1': an unambiguous level key from HITRAN H2O global and local quanta."""
    return "(" + "".join(global_q.split()) + ")" + ".".join(str(int(local_q[k:k + 3])) for k in (0, 3, 6))


def _h2o_labelled_records():
    """(upper key, lower key, nu, A, g', g'', E'', lower spin weight) of the labelled files,
    each line once."""
    out, seen = [], set()
    for path in H2O_LABELLED:
        d = read_par(path, 1, 1)
        for gu, gl, lu, ll, nu, a, e in zip(d["global_up"], d["global_low"], d["local_up"], d["local_low"],
                                            d["nu"], d["A"], d["E_low"]):
            try:
                up, low = h2o_key(gu, lu), h2o_key(gl, ll)
                # g from the labels: the 3400-4100 cm-1 file carries placeholder weights (SOURCE.md)
                spin = [h2o_spin_weight(int(v.split()[2]), int(q[3:6]), int(q[6:9]))
                        for v, q in ((gu, lu), (gl, ll))]
            except (ValueError, IndexError):
                continue
            if (up, low) in seen:
                continue
            seen.add((up, low))
            out.append((up, low, nu, a, (2 * int(lu[0:3]) + 1) * spin[0], (2 * int(ll[0:3]) + 1) * spin[1], e,
                        spin[1]))
    return out


def _unique_match(energies, labels, weights, e, g):
    lo, hi = np.searchsorted(energies, [e - H2O_LEVEL_TOL, e + H2O_LEVEL_TOL])
    hit = [k for k in range(lo, hi) if weights[k] == g]
    return labels[hit[0]] if len(hit) == 1 else None


@functools.cache
def h2o_cascade_lines():
    """All H2O lines of the shared files with A and level labels, as a dict of arrays:
    ``up``, ``low`` (keys ``(v1v2v3)J.Ka.Kc``), ``nu``, ``A``, ``g_up``, ``g_low``, ``E_low``,
    ``spin_low`` (nuclear-spin weight of the lower level), and the
    level energies ``energy`` (label -> cm^-1, from E'' and E'' + nu)."""
    rec = _h2o_labelled_records()
    energy = {}
    for up, low, nu, _, gu, gl, e, _ in rec:
        energy.setdefault(low, (e, gl))
        energy.setdefault(up, (e + nu, gu))
    labels = np.array(sorted(energy, key=lambda k: energy[k][0]))
    e_sorted = np.array([energy[k][0] for k in labels])
    g_sorted = np.array([energy[k][1] for k in labels])
    known = {(r[0], r[1]) for r in rec}
    d = read_csv(H2O_138_CSV)
    a = einstein_a(d["nu"], d["S"], d["E_low"], d["g_up"], tips_q(1, 1))
    for nu, ai, e, gu, gl in zip(d["nu"], a, d["E_low"], d["g_up"], d["g_low"]):
        low = _unique_match(e_sorted, labels, g_sorted, e, gl)
        up = _unique_match(e_sorted, labels, g_sorted, e + nu, gu)
        if low is None or up is None or (up, low) in known or not low.startswith("(000)"):
            continue
        known.add((up, low))
        j, ka, kc = (int(x) for x in low[5:].split("."))
        rec.append((up, low, nu, ai, gu, gl, e, h2o_spin_weight(0, ka, kc)))
    cols = list(zip(*rec))
    names = ("up", "low", "nu", "A", "g_up", "g_low", "E_low", "spin_low")
    out = {name: np.array(cols[k]) for k, name in enumerate(names)}
    out["energy"] = {k: v[0] for k, v in energy.items()}
    return out


def h2o_cascade_g_factors(T_rot, ortho_para=3.0, pump_011_like_001=0.0):
    """g-factor (s^-1 at 1 au) of every line of `h2o_cascade_lines` in the radiative cascade.

    (000) levels are thermal at ``T_rot`` (ortho and para normalised apart); every other
    level receives what sunlight pumps into it from (000) plus what the levels above it
    send down, and sends that on through its lines in proportion to their A.
    ``pump_011_like_001``: the nu2+nu3 lines that pump (011) from (000) at 1.87 um are not in
    the shared files; if > 0, each (011) J_KaKc level is pumped at this factor times the
    direct pumping of (001) J_KaKc (the approximation comaspec makes, issue #19 item 3).
    """
    c_cm, c2, _ = _constants()
    d = h2o_cascade_lines()
    ground = np.char.startswith(d["low"].astype(str), "(000)")
    e_low = np.array([d["energy"][k] for k in d["low"]])
    ortho = d["spin_low"] == 3
    boltz = np.where(ground, d["g_low"] * np.exp(-c2 * e_low / T_rot), 0.0)
    _, first = np.unique(d["low"][ground], return_index=True)
    idx = np.flatnonzero(ground)[first]
    z_o, z_p = boltz[idx][ortho[idx]].sum(), boltz[idx][~ortho[idx]].sum()
    f_o = ortho_para / (1.0 + ortho_para)
    n_low = boltz * np.where(ortho, f_o / z_o, (1.0 - f_o) / z_p)
    pump = n_low * d["g_up"] / d["g_low"] * d["A"] * solar_photon_flux(d["nu"]) / (8 * math.pi * c_cm * d["nu"] ** 2)
    arrive = {}
    for u, p in zip(d["up"], pump):
        arrive[u] = arrive.get(u, 0.0) + p
    pump_of = dict(arrive)
    if pump_011_like_001 > 0:
        for u in list(pump_of):
            if u.startswith("(001)"):
                arrive["(011)" + u[5:]] = arrive.get("(011)" + u[5:], 0.0) + pump_011_like_001 * pump_of[u]
    return d["nu"].copy(), _cascade_down(d, arrive)


def _cascade_down(d, arrive):
    """Line photon rates: levels from the highest down, each passing on what it receives."""
    by_upper = {}
    for k, u in enumerate(d["up"]):
        by_upper.setdefault(u, []).append(k)
    g = np.zeros(d["nu"].size)
    for u in sorted(by_upper, key=lambda k: -d["energy"][k]):
        rate = arrive.get(u, 0.0)
        if rate == 0.0:
            continue
        k = np.array(by_upper[u])
        g[k] = rate * d["A"][k] / d["A"][k].sum()
        for low, r in zip(d["low"][k], g[k]):
            if not low.startswith("(000)"):
                arrive[low] = arrive.get(low, 0.0) + r
    return g


def h2o_band_mask(upper_state, lower_state):
    """Lines of `h2o_cascade_lines` from ``upper_state`` to ``lower_state`` (e.g. "(101)", "(100)")."""
    d = h2o_cascade_lines()
    return np.char.startswith(d["up"].astype(str), upper_state) & np.char.startswith(d["low"].astype(str), lower_state)
