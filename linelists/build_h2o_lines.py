"""Build the H2O line list (linelists/h2o_lines.ecsv) from effective Watson-Hamiltonian constants.

Method (for docs/templates.rst)
-------------------------------
Rotational levels of each vibrational state of H2(16)O are eigenvalues of Watson's
A-reduced Hamiltonian in the I^r representation (z = a, x = b, y = c), set up per J in the
symmetric-top basis |J, K> (K = -J..J) and diagonalised with ``numpy.linalg.eigh`` in the
four Wang symmetry blocks (K parity x sign of the |K> +- |-K> combination)::

    H = (B+C)/2 J^2 + (A-(B+C)/2) Jz^2 - DJ J^4 - DJK J^2 Jz^2 - DK Jz^4
        + HJ J^6 + HJK J^4 Jz^2 + HKJ J^2 Jz^4 + HK Jz^6
        + [(B-C)/4 - dJ J^2 + hJ J^4] (J+^2 + J-^2)
        - dK/2 {Jz^2, J+^2 + J-^2} + hJK/2 J^2 {Jz^2, J+^2 + J-^2} + hK/2 {Jz^4, J+^2 + J-^2}

Inside one block the energy order is the order of tau = Ka - Kc, which gives the
J_{Ka,Kc} labels. (000) and (010) are single states. (100) and (001) are strongly mixed by
Coriolis coupling (the (001) K levels lie near the (100) K+1 levels), so they are treated
as a dyad (as are (110) and (011), upper states of the 2.7 um hot bands from (010)): both
Watson matrices plus the coupling operators of B2 symmetry
(xi + xi_J J^2) i J_c + xi_K {Jz^2, i J_c}/2 + (eta + eta_J J^2) {J_a, J_b} (dK = +-1),
diagonalised together; each eigenvector keeps the label of the uncoupled level it overlaps
most. Levels of (020), the Fermi partner of (100), are not included (up to J = 6 the
effective constants absorb their effect).

Line strengths come from the eigenvectors: sum over M of the squared matrix element of the
lab-frame dipole, with a b-axis transition moment mu_100 on the (100) part and an a-axis
moment mu_001 on the (001) part of each upper eigenvector (nu3 and nu3-nu2 are a-type,
nu1 and nu1-nu2 b-type; the mixing lends nu1 a-type intensity and vice versa)::

    S = (2J'+1)(2J''+1) | sum_v mu_v F_v sum_{K',K''} c'_{v,K'} c''_{K''} (-1)^{K'}
                          (J' 1 J''; -K' q K'') e_q(axis_v) |^2

with F_v = 1 + kappa_v [J'(J'+1) - J''(J''+1)]/2 a Herman-Wallis factor (operator
[J^2, phi]), and two K-dependent corrections applied to each symmetric-top matrix
element: for the b-axis (100) moment 1 + kappa_K (K'^2 - K''^2) + kappa_Ks_100
(K'^2 + K''^2)/2 (operators [Jz^2, phi_b] and {Jz^2, phi_b}/2), for the a-axis (001)
moment 1 + kappa_Ks_001 K^2 ({Jz^2, phi_a}/2): low-order rotational terms of the
transformed dipole moment of an asymmetric top. Without the two K^2 terms the nu3
Q-branch lines with Ka = 3-5 came out 3-11 % too strong (nu3 worst strong line 7.3 %
even after the joint fit described below). The line list gives A_rel = nu^3 S / (2J'+1)
normalised to 1 for the strongest line of each band; the band of a line is the vibrational
label of its upper level. The hot bands nu3-nu2 and nu1-nu2 use the same upper dyad,
moment ratio and corrections with (010) as lower state; the hot band nu2+nu3-nu2
((011)-(010), a-type) uses the (110)+(011) dyad with the same moment ratio and
corrections. The hot band nu1+nu3-nu1 ((101)-(100)) is not computed (its lines are not in
the 296 K HITRAN data used for the fit); comaspec.templates places it from the nu3
pattern.

Nuclear spin: ortho (weight 3) levels have Ka + Kc odd in the A1 states (000), (010), (100)
and Ka + Kc even in the B2 state (001). The list holds a boolean ``ortho`` column and
``g_upper = 2J'+1`` without spin weight; comaspec.templates applies ortho:para.
``E_rot_upper`` is measured from the 0_00 level of the upper vibrational state.

Constants and their provenance (linelists/h2o_constants.ecsv): (000) A, B, C and the
quartic constants are De Lucia, Helminger & Kirchhoff (1974, J. Phys. Chem. Ref. Data 3,
211), held fixed. Everything else -- (000) sextic terms, all (010), (100), (001)
constants, (110), (011), the two dyad couplings, mu_100/mu_001 and the five moment
corrections -- are *effective* values fitted by this script (``--refit``) to HITRAN2020
(Gordon et al. 2022, JQSRT 277, 107949): the lower level of each line is identified from
its E'' and g'' = g_ns (2J''+1), J' from g', the upper level from the a/b-type selection
rules and the energy E'' + nu; assignment and fit are iterated in increasing Ka. In the
(100)+(001) fit each level's residual is weighted by sqrt((2J'+1) exp(-c2 E'_rot / 50 K) +
0.01) (``_level_weight``), so the levels that emit in a cold coma dominate; unweighted,
the fit settled on a compromise (rms 0.13 cm-1, (100) 0_00 0.22 cm-1 high), weighted it
assigns 98 levels with rms 0.008 cm-1. The moment ratio and corrections are then fitted to
the 296 K strengths of the assigned lines (S > 1e-21, J' <= 6; log residuals weighted by
sqrt(S / S_max), a free scale per band), and finally the (100)+(001) constants, coupling
and moments are fitted to positions and strengths together (``_fit_dyad_and_moments``):
positions alone leave the split of the coupling between its i J_c and {J_a, J_b} terms --
hence the mixing of resonant levels such as (100) 5_32 / (001) 5_24 -- poorly determined,
and the strengths of the mixed levels' lines measure it (the joint fit moves xi from -0.34
to -1.51 cm-1 and keeps the position rms at 0.009 cm-1). ``--refit --holdout
even|odd|jl4`` repeats the fit with the strengths of only even J'', odd J'' or J'' <= 4
and prints the deviations of the other strong lines. No published upper-state constants
could be retrieved for this work (searches recorded in the commit report).

Accuracy against HITRAN (tests/test_h2o_lines.py): positions of all strong (>= 5 % of the
band maximum at 296 K) nu3 and nu1 lines with J <= 6 within 0.2 cm-1 (median 0.005), those
with J <= 3 within 0.02 cm-1. Relative 296 K strengths of the strong lines (>= 20 % of the
strongest, J <= 6): median 1.1 % (nu3, 45 lines) and 1.3 % (nu1, 32), worst 4.0 % and
4.7 %; lines down to 5 %: median 1-2 %, worst 2.4 % (nu1, J <= 3), 15 % (nu3) and 25 %
(nu1, J <= 6; weak lines of mixed levels). Held out (strengths fitted on one half, strong
lines of the other half predicted): even -> odd J'' worst 4.1 % (nu3) and 3.7 % (nu1),
odd -> even 3.3 % and 4.1 %; J'' <= 4 -> J'' = 5-6: nu3 4.4 %, but nu1 11.5 % (3 of 9
lines beyond 5 %: the J-dependence of the b-type moment and of the coupling is not
constrained by J'' <= 4 alone).
nu2+nu3-nu2: all strong J <= 6 lines within 0.5 cm-1 (worst 0.11); relative strengths (not
fitted to this band) median 1.8 %, worst 7.3 % (lines >= 20 %). Hot-band (nu3-nu2,
nu1-nu2) positions agree with Villanueva et al. (2011, Icarus 216, 227) within 0.2 cm-1.
Upper levels with J > 6 are extrapolations of the effective model (strong lines with
J' = 7-10 within 0.1 (nu3) and 0.25 cm-1 (nu1); weaker ones may be further off; they
carry little weight below ~100 K).

Usage
-----
``python linelists/build_h2o_lines.py`` rewrites ``linelists/h2o_lines.ecsv`` from
``h2o_constants.ecsv``; ``--check`` compares instead of writing (exit 1 on difference);
``--refit HITRAN_CSV`` first refits the effective constants (about 25 s).
"""

import argparse
import sys
from pathlib import Path

import numpy as np
from astropy.table import Table

HERE = Path(__file__).resolve().parent
CONSTANTS_FILE = HERE / "h2o_constants.ecsv"
LINES_FILE = HERE / "h2o_lines.ecsv"

# Watson A-reduction constants in the order they appear in h2o_constants.ecsv.
PARAMETERS = ("E_v", "A", "B", "C", "DJ", "DJK", "DK", "dJ", "dK",
              "HJ", "HJK", "HKJ", "HK", "hJ", "hJK", "hK")

# band label -> (upper state, lower state, transition-moment axis)
BANDS = {
    "nu3": ("001", "000", "a"),
    "nu1": ("100", "000", "b"),
    "nu3-nu2": ("001", "010", "a"),
    "nu1-nu2": ("100", "010", "b"),
    "nu2+nu3-nu2": ("011", "010", "a"),
}
# Coriolis-coupled pairs (A1 state, B2 state) and the meta key of their coupling constants
DYADS = {("100", "001"): "coupling_100_001", ("110", "011"): "coupling_110_011"}
# transition-moment axis of each upper state (b: A1 states, a: B2 states)
AXIS = {"100": "b", "001": "a", "110": "b", "011": "a"}
# vibrational states of B2 symmetry (odd v3): ortho/para assignment of K-levels flips
B2_STATES = ("001", "011")

J_MAX = 12            # highest J' written to the list
E_ROT_MAX = 2500.0    # cm^-1: upper levels above this are irrelevant below ~150 K
A_REL_MIN = 1e-6      # drop lines weaker than this fraction of the band's strongest


# ---------------------------------------------------------------------------
# asymmetric rotor
# ---------------------------------------------------------------------------

def watson_matrix(J, c):
    """Return the (2J+1)x(2J+1) A-reduced Watson Hamiltonian in the |J,K> basis.

    Parameters
    ----------
    J : int
        Rotational quantum number.
    c : dict
        Constants (cm^-1) keyed by the names in ``PARAMETERS`` (E_v is ignored).

    Returns
    -------
    numpy.ndarray
        Real symmetric matrix, rows/columns ordered K = -J..J.
    """
    K = np.arange(-J, J + 1, dtype=float)
    x = J * (J + 1.0)
    bc = 0.5 * (c["B"] + c["C"])
    diag = (bc * x + (c["A"] - bc) * K**2
            - c["DJ"] * x**2 - c["DJK"] * x * K**2 - c["DK"] * K**4
            + c["HJ"] * x**3 + c["HJK"] * x**2 * K**2 + c["HKJ"] * x * K**4 + c["HK"] * K**6)
    H = np.diag(diag)
    for i in range(2 * J - 1):
        k = K[i]
        k2 = k + 2.0
        f = np.sqrt((x - k * (k + 1.0)) * (x - (k + 1.0) * (k + 2.0)))
        off = (0.25 * (c["B"] - c["C"]) - c["dJ"] * x + c["hJ"] * x**2
               - 0.5 * c["dK"] * (k2**2 + k**2)
               + 0.5 * c["hJK"] * x * (k2**2 + k**2)
               + 0.5 * c["hK"] * (k2**4 + k**4))
        H[i, i + 2] = H[i + 2, i] = off * f
    return H


def _wang_blocks(J):
    """Yield (Ka parity, Kc parity, U) for the four Wang blocks of one J.

    U has orthonormal columns (|K> + s|-K>)/sqrt(2) (K > 0) or |0> in the basis
    K = -J..J. In the I^r representation the + block of even K holds the levels with
    Kc of the parity of J (it contains J_{0,J}); the + block of odd K holds Kc of the
    other parity (it contains J_{1,J-1}, the upper level of the K = 1 doublet).
    """
    for kpar in (0, 1):
        for sign in (1, -1):
            columns = []
            for K in range(kpar, J + 1, 2):
                vec = np.zeros(2 * J + 1)
                if K == 0:
                    if sign < 0:
                        continue
                    vec[J] = 1.0
                else:
                    vec[J + K] = vec[J - K] = np.sqrt(0.5)
                    vec[J - K] *= sign
                columns.append(vec)
            if not columns:
                continue
            kc_par = (J + (0 if sign > 0 else 1) + kpar) % 2
            yield kpar, sign, kc_par, np.array(columns).T


def levels_of_J(J, c):
    """Return energies, eigenvectors and (Ka, Kc) labels of one J.

    The Hamiltonian is diagonalised separately in each Wang symmetry block, so
    near-degenerate K-doublets never mix; inside a block the energy order is the
    order of tau = Ka - Kc (no crossing between levels of one symmetry).

    Parameters
    ----------
    J : int
        Rotational quantum number.
    c : dict
        Watson constants (cm^-1).

    Returns
    -------
    energy : numpy.ndarray
        Rotational energies (cm^-1).
    vectors : numpy.ndarray
        Eigenvectors as columns (basis K = -J..J).
    ka, kc : numpy.ndarray of int
        Asymmetric-rotor labels.
    """
    H = watson_matrix(J, c)
    energies, vectors, kas, kcs = [], [], [], []
    for kpar, _, kc_par, U in _wang_blocks(J):
        e, v, labels = _block_levels(H, J, kpar, kc_par, U)
        energies.extend(e)
        vectors.append(U @ v)
        kas.extend(lab[0] for lab in labels)
        kcs.extend(lab[1] for lab in labels)
    return (np.array(energies), np.hstack(vectors), np.array(kas), np.array(kcs))


def _block_levels(H, J, kpar, kc_par, U):
    """Diagonalise H in one Wang block; return energies, block eigenvectors, (Ka, Kc) labels."""
    e, v = np.linalg.eigh(U.T @ H @ U)
    labels = []
    for ka in range(kpar, J + 1, 2):
        for kc in (J - ka, J - ka + 1):
            if 0 <= kc <= J and kc % 2 == kc_par:
                labels.append((ka - kc, ka, kc))
    labels.sort()
    if len(labels) != len(e):
        raise RuntimeError(f"Wang block size mismatch at J={J}")
    return e, v, [lab[1:] for lab in labels]


class State:
    """Rotational levels (J <= j_max) of one vibrational state.

    Parameters
    ----------
    name : str
        Vibrational label "v1v2v3", e.g. "001".
    constants : dict
        Watson constants (cm^-1) including E_v, the J=0 level above (000) 0_00.
    j_max : int
        Highest J computed.
    """

    def __init__(self, name, constants, j_max):
        self.name = name
        self.constants = constants
        self.levels = {}        # (J, Ka, Kc) -> (E_rot, eigenvector)
        for J in range(j_max + 1):
            energy, vectors, ka, kc = levels_of_J(J, constants)
            for i in range(2 * J + 1):
                self.levels[(J, int(ka[i]), int(kc[i]))] = (float(energy[i]), vectors[:, i])
        self.zero = self.levels[(0, 0, 0)][0]

    def e_rot(self, key):
        """Rotational energy (cm^-1) of level ``key`` above this state's 0_00."""
        return self.levels[key][0] - self.zero

    def e_term(self, key):
        """Term value (cm^-1) of level ``key`` above the (000) 0_00 level."""
        return self.constants["E_v"] + self.e_rot(key)

    def ortho(self, key):
        """True if level ``key`` = (J, Ka, Kc) belongs to ortho-H2O."""
        odd = (key[1] + key[2]) % 2 == 1
        return (not odd) if self.name in B2_STATES else odd


class _View:
    """Levels of one vibrational state of a coupled set (same interface as State)."""

    def __init__(self, name, constants):
        self.name = name
        self.constants = constants
        self.levels = {}        # (J, Ka, Kc) -> (term value, eigenvector over both states)
        self.zero = None

    def e_rot(self, key):
        """Rotational energy (cm^-1) of level ``key`` above this state's 0_00."""
        return self.levels[key][0] - self.zero

    def e_term(self, key):
        """Term value (cm^-1) of level ``key`` above the (000) 0_00 level."""
        return self.levels[key][0]

    def ortho(self, key):
        """True if level ``key`` = (J, Ka, Kc) belongs to ortho-H2O."""
        odd = (key[1] + key[2]) % 2 == 1
        return (not odd) if self.name in B2_STATES else odd


def coriolis_matrix(J, coupling):
    """c-axis Coriolis operator between an A1 and a B2 state in the |J,K> basis.

    xi (J+ - J-)/2 + xi_J J^2 (J+ - J-)/2 + xi_K {Jz^2, (J+ - J-)/2}/2
    + (eta + eta_J J^2) {Jz, Jx}: the operators of B2 symmetry i J_c and {J_a, J_b}
    coupling K with K +- 1 (in the molecule-fixed frame J+ lowers K).
    """
    x = J * (J + 1.0)
    n = 2 * J + 1
    O = np.zeros((n, n))
    for i, K in enumerate(range(-J, J + 1)):
        if K - 1 >= -J:
            O[i - 1, i] = 0.5 * np.sqrt(x - K * (K - 1.0))
        if K + 1 <= J:
            O[i + 1, i] = -0.5 * np.sqrt(x - K * (K + 1.0))
    X = np.abs(O)                                   # J_b = (J+ + J-)/2
    Kz = np.diag(np.arange(-J, J + 1, dtype=float))
    Kz2 = Kz @ Kz
    return (coupling["xi"] * O + coupling["xi_J"] * x * O
            + 0.5 * coupling["xi_K"] * (Kz2 @ O + O @ Kz2)
            + coupling.get("eta", 0.0) * (Kz @ X + X @ Kz)
            + coupling.get("eta_J", 0.0) * x * (Kz @ X + X @ Kz))


class Dyad:
    """A Coriolis-coupled pair of an A1 and a B2 state, e.g. (100) and (001).

    Per J the two Watson Hamiltonians (plus band origins) are coupled by
    ``coriolis_matrix`` and diagonalised in the four symmetry blocks
    {(100): Ka parity p, Wang sign s} + {(001): parity 1-p, sign -s}. Each eigenvector
    takes the (state, Ka, Kc) label of the uncoupled level it overlaps most (a
    one-to-one assignment, scipy.optimize.linear_sum_assignment).

    Parameters
    ----------
    constants : dict
        {state: {...}} Watson constants with E_v (must hold both ``names``).
    coupling : dict
        Coriolis constants xi, xi_J, xi_K (cm^-1).
    j_max : int
        Highest J computed.
    names : tuple of str
        (A1 state, B2 state).
    """

    def __init__(self, constants, coupling, j_max, names=("100", "001")):
        from scipy.optimize import linear_sum_assignment
        a1, b2 = names
        self.names = names
        self.views = {n: _View(n, constants[n]) for n in names}
        c1, c3 = constants[a1], constants[b2]
        for J in range(j_max + 1):
            n = 2 * J + 1
            H1 = watson_matrix(J, c1) + c1["E_v"] * np.eye(n)
            H3 = watson_matrix(J, c3) + c3["E_v"] * np.eye(n)
            C = coriolis_matrix(J, coupling)
            H = np.block([[H1, C], [C.T, H3]])
            blocks1 = {(p, s): (kc, U) for p, s, kc, U in _wang_blocks(J)}
            blocks3 = {(p, s): (kc, U) for p, s, kc, U in _wang_blocks(J)}
            for (p, s), (kc1, U1) in blocks1.items():
                part3 = blocks3.get((1 - p, -s))
                e1, v1, lab1 = _block_levels(H1, J, p, kc1, U1)
                if part3 is None:
                    e3, v3, lab3, U3 = np.zeros(0), np.zeros((0, 0)), [], np.zeros((n, 0))
                else:
                    kc3, U3 = part3
                    e3, v3, lab3 = _block_levels(H3, J, 1 - p, kc3, U3)
                n1, n3 = U1.shape[1], U3.shape[1]
                U = np.zeros((2 * n, n1 + n3))
                U[:n, :n1] = U1
                U[n:, n1:] = U3
                e, v = np.linalg.eigh(U.T @ H @ U)
                ref = np.zeros((n1 + n3, n1 + n3))
                ref[:n1, :n1] = v1
                ref[n1:, n1:] = v3
                overlap = (ref.T @ v) ** 2           # [unperturbed, perturbed]
                rows, cols = linear_sum_assignment(-overlap)
                labels = [(a1,) + tuple(l) for l in lab1] + [(b2,) + tuple(l) for l in lab3]
                for r, col in zip(rows, cols):
                    name, ka, kc = labels[r]
                    self.views[name].levels[(J, ka, kc)] = (float(e[col]), U @ v[:, col])
            # blocks of (001) not reached above are those paired with absent (100) blocks
            for (p, s), (kc3, U3) in blocks3.items():
                if (1 - p, -s) in blocks1:
                    continue
                e3, v3, lab3 = _block_levels(H3, J, p, kc3, U3)
                for i, (ka, kc) in enumerate(lab3):
                    vec = np.zeros(2 * n)
                    vec[n:] = U3 @ v3[:, i]
                    self.views[b2].levels[(J, ka, kc)] = (float(e3[i]), vec)
        for view in self.views.values():
            view.zero = view.levels[(0, 0, 0)][0]


# ---------------------------------------------------------------------------
# line strengths
# ---------------------------------------------------------------------------

def _three_j_row(J1, J2, K1, q, K2):
    """Wigner 3j (J1 1 J2; -K1 q K2) for scalar integer arguments (closed forms)."""
    from math import sqrt
    # use the general Racah formula; J1, J2 <= ~15 so factorials are exact in float
    from math import factorial as f
    m1, m2, m3 = -K1, q, K2
    j1, j2, j3 = J1, 1, J2
    if m1 + m2 + m3 != 0 or abs(m1) > j1 or abs(m2) > j2 or abs(m3) > j3:
        return 0.0
    if j3 < abs(j1 - j2) or j3 > j1 + j2:
        return 0.0
    tri = sqrt(f(j1 + j2 - j3) * f(j1 - j2 + j3) * f(-j1 + j2 + j3) / f(j1 + j2 + j3 + 1))
    pre = sqrt(f(j1 + m1) * f(j1 - m1) * f(j2 + m2) * f(j2 - m2) * f(j3 + m3) * f(j3 - m3))
    total = 0.0
    for t in range(0, j1 + j2 + j3 + 2):
        d = (t, j3 - j2 + t + m1, j3 - j1 + t - m2, j1 + j2 - j3 - t, j1 - t - m1, j2 - t + m2)
        if min(d) < 0:
            continue
        total += (-1) ** t / (f(d[0]) * f(d[1]) * f(d[2]) * f(d[3]) * f(d[4]) * f(d[5]))
    return (-1) ** (j1 - j2 - m3) * tri * pre * total


_TJ_CACHE = {}


def _coupling(Ju, Jl, axis):
    """Matrix M[K'+Ju, K''+Jl] of (-1)^K' (Ju 1 Jl; -K' q K'') mu_q for the given axis."""
    key = (Ju, Jl, axis)
    if key in _TJ_CACHE:
        return _TJ_CACHE[key]
    M = np.zeros((2 * Ju + 1, 2 * Jl + 1))
    if axis == "a":
        mus = {0: 1.0}
    else:  # b = x in I^r: mu_{+1} = -1/sqrt2, mu_{-1} = +1/sqrt2
        mus = {1: -1.0 / np.sqrt(2.0), -1: 1.0 / np.sqrt(2.0)}
    for iu, Ku in enumerate(range(-Ju, Ju + 1)):
        for q, mu in mus.items():
            Kl = Ku - q
            if abs(Kl) > Jl:
                continue
            M[iu, Kl + Jl] += (-1) ** Ku * _three_j_row(Ju, Jl, Ku, q, Kl) * mu
    _TJ_CACHE[key] = M
    return M


def _k_difference(Ju, Jl):
    """Matrix of K'^2 - K''^2 over the basis K' = -Ju..Ju (rows), K'' = -Jl..Jl (columns)."""
    ku = np.arange(-Ju, Ju + 1, dtype=float) ** 2
    kl = np.arange(-Jl, Jl + 1, dtype=float) ** 2
    return ku[:, None] - kl[None, :]


def _k_mean(Ju, Jl):
    """Matrix of (K'^2 + K''^2)/2 over the basis K' = -Ju..Ju (rows), K'' = -Jl..Jl (columns)."""
    ku = np.arange(-Ju, Ju + 1, dtype=float) ** 2
    kl = np.arange(-Jl, Jl + 1, dtype=float) ** 2
    return 0.5 * (ku[:, None] + kl[None, :])


# names of the transition-moment correction constants, in the order of the ``kappa`` tuple
KAPPA_NAMES = ("kappa_100", "kappa_001", "kappa_K_100", "kappa_Ks_100", "kappa_Ks_001")


def _amplitude_terms(upper_key, upper_vec, lower_key, lower_vec):
    """Matrix elements from which the amplitude of a dyad line is built (see line_strength).

    Returns (b0, bK, bKs, a0, aKs, delta): the (100) part with the b-axis operator, with
    it times K'^2 - K''^2 and times (K'^2 + K''^2)/2; the (001) part with the a-axis
    operator and with it times (K'^2 + K''^2)/2; delta = [J'(J'+1) - J''(J''+1)]/2.
    """
    Ju, Jl = upper_key[0], lower_key[0]
    n = 2 * Ju + 1
    b_op, a_op = _coupling(Ju, Jl, "b"), _coupling(Ju, Jl, "a")
    kd, ks = _k_difference(Ju, Jl), _k_mean(Ju, Jl)
    u1, u3 = upper_vec[:n], upper_vec[n:]
    return (u1 @ b_op @ lower_vec, u1 @ (b_op * kd) @ lower_vec, u1 @ (b_op * ks) @ lower_vec,
            u3 @ a_op @ lower_vec, u3 @ (a_op * ks) @ lower_vec,
            0.5 * (Ju * (Ju + 1) - Jl * (Jl + 1)))


def _dyad_amplitude(terms, mu_ratio, kappa):
    """Transition amplitude of a dyad line from ``_amplitude_terms`` (arrays allowed)."""
    b0, bK, bKs, a0, aKs, delta = terms
    k = tuple(kappa) + (0.0,) * (len(KAPPA_NAMES) - len(kappa))
    return (mu_ratio * (1 + k[0] * delta) * (b0 + k[2] * bK + k[3] * bKs)
            + (1 + k[1] * delta) * (a0 + k[4] * aKs))


def line_strength(upper_key, upper_vec, lower_key, lower_vec, axis, mu_ratio=None,
                  kappa=(0.0, 0.0, 0.0, 0.0, 0.0)):
    """Rotational line strength (sum over M) of one transition.

    For a single-state upper vector the transition moment is 1 along ``axis``. For a
    (100)+(001) Dyad vector (twice as long) the (100) part carries a b-axis moment
    ``mu_ratio`` and the (001) part an a-axis moment 1 (``axis`` is then ignored). Both
    moments carry a Herman-Wallis factor 1 + kappa_v [J'(J'+1) - J''(J''+1)]/2. Each
    symmetric-top matrix element of the b-axis moment is multiplied by
    1 + kappa_K (K'^2 - K''^2) + kappa_Ks_100 (K'^2 + K''^2)/2 (operators
    kappa_K [Jz^2, phi_b] and kappa_Ks_100 {Jz^2, phi_b}/2), each of the a-axis moment by
    1 + kappa_Ks_001 (K'^2 + K''^2)/2 (= 1 + kappa_Ks_001 K^2, operator
    kappa_Ks_001 {Jz^2, phi_a}/2). ``kappa`` = (kappa_100, kappa_001, kappa_K_100,
    kappa_Ks_100, kappa_Ks_001); missing trailing values count as 0.
    """
    Ju, Jl = upper_key[0], lower_key[0]
    n = 2 * Ju + 1
    if len(upper_vec) == 2 * n:
        amp = _dyad_amplitude(_amplitude_terms(upper_key, upper_vec, lower_key, lower_vec),
                              mu_ratio, kappa)
    else:
        amp = upper_vec @ _coupling(Ju, Jl, axis) @ lower_vec
    return n * (2 * Jl + 1) * amp**2


def allowed(upper_key, lower_key, axis):
    """Asymmetric-rotor selection rules for an a- or b-type band."""
    dJ = abs(upper_key[0] - lower_key[0])
    if dJ > 1 or (upper_key[0] == 0 and lower_key[0] == 0):
        return False
    dka = (upper_key[1] - lower_key[1]) % 2
    dkc = (upper_key[2] - lower_key[2]) % 2
    return (dka, dkc) == ((0, 1) if axis == "a" else (1, 1))


# ---------------------------------------------------------------------------
# band line lists
# ---------------------------------------------------------------------------

def read_constants(path=CONSTANTS_FILE):
    """Read h2o_constants.ecsv into {state: {parameter: value}} plus the table meta."""
    table = Table.read(path, format="ascii.ecsv")
    states = {}
    for row in table:
        states[str(row["state"])] = {name: float(row[name]) for name in PARAMETERS}
    return states, table.meta


def band_lines(band, states, j_max=J_MAX, mu_ratio=0.0, kappa=(0.0,) * 5):
    """Compute all lines of one band as a list of dicts."""
    up_name, low_name, axis = BANDS[band]
    up, low = states[up_name], states[low_name]
    rows = []
    for ukey, (_, uvec) in up.levels.items():
        if ukey[0] > j_max or up.e_rot(ukey) > E_ROT_MAX:
            continue
        for lkey, (_, lvec) in low.levels.items():
            if abs(lkey[0] - ukey[0]) > 1 or not allowed(ukey, lkey, axis):
                continue
            if up.ortho(ukey) != low.ortho(lkey):
                raise RuntimeError(f"{band}: ortho/para violated {ukey} -> {lkey}")
            s = line_strength(ukey, uvec, lkey, lvec, axis, mu_ratio, kappa)
            if s <= 0.0:
                continue
            nu = up.e_term(ukey) - low.e_term(lkey)
            rows.append(dict(wavenumber=nu, band=band, E_rot_upper=up.e_rot(ukey),
                             g_upper=2.0 * ukey[0] + 1.0, ortho=up.ortho(ukey),
                             S=s, E_lower=low.e_term(lkey),
                             J_u=ukey[0], Ka_u=ukey[1], Kc_u=ukey[2],
                             J_l=lkey[0], Ka_l=lkey[1], Kc_l=lkey[2]))
    a = np.array([r["wavenumber"] ** 3 * r["S"] / r["g_upper"] for r in rows])
    a /= a.max()
    keep = []
    for r, value in zip(rows, a):
        if value >= A_REL_MIN:
            r["A_rel"] = float(value)
            keep.append(r)
    keep.sort(key=lambda r: r["wavenumber"])
    return keep


def build_table(constants_path=CONSTANTS_FILE, bands=None):
    """Return the full line-list Table (all bands whose states have constants)."""
    constants, meta = read_constants(constants_path)
    coupled = {n for pair in DYADS for n in pair}
    states = {name: State(name, c, J_MAX + 1) for name, c in constants.items()
              if name not in coupled}
    for pair, key in DYADS.items():
        if key in meta and all(n in constants for n in pair):
            states.update(Dyad(constants, meta[key], J_MAX + 1, pair).views)
    mu_ratio = meta.get("mu_100_over_mu_001", 0.0)
    hw = meta.get("herman_wallis", {})
    kappa = tuple(hw.get(name, 0.0) for name in KAPPA_NAMES)
    rows = []
    for band, (u, l, _) in BANDS.items():
        if bands is not None and band not in bands:
            continue
        if u in states and l in states:
            rows.extend(band_lines(band, states, mu_ratio=mu_ratio, kappa=kappa))
    names = ("wavenumber", "band", "E_rot_upper", "g_upper", "ortho", "A_rel",
             "J_u", "Ka_u", "Kc_u", "J_l", "Ka_l", "Kc_l")
    table = Table(rows=[[r[n] for n in names] for r in rows], names=names)
    table["wavenumber"].unit = "1 / cm"
    table["E_rot_upper"].unit = "1 / cm"
    for name in ("wavenumber", "E_rot_upper", "A_rel"):
        table[name] = np.round(np.asarray(table[name], dtype=float), 6)
        if name != "A_rel":
            table[name].unit = "1 / cm"
    table["A_rel"] = np.array([float(f"{v:.6e}") for v in table["A_rel"]])
    for name in ("J_u", "Ka_u", "Kc_u", "J_l", "Ka_l", "Kc_l"):
        table[name] = np.asarray(table[name], dtype=np.int32)
    table.meta["species"] = "H2O"
    table.meta["bands"] = [b for b in BANDS if b in set(table["band"])]
    table.meta["made_by"] = "linelists/build_h2o_lines.py from linelists/h2o_constants.ecsv"
    table.meta["physics"] = (
        "Watson A-reduced Hamiltonian (I^r) diagonalised per J; (100)+(001) as a "
        "Coriolis-coupled dyad; line strengths from the eigenvectors with a b-axis moment on "
        "(100) and an a-axis moment on (001) (ratio and Herman-Wallis factors in "
        "h2o_constants.ecsv); A_rel = nu^3 S / (2J'+1) normalised per band; band = "
        "vibrational label of the upper level; g_upper = 2J'+1 without nuclear spin; ortho "
        "column (weight 3 ortho, 1 para applied by templates); E_rot_upper from the 0_00 "
        "level of the upper vibrational state.")
    table.meta["constants"] = (
        "h2o_constants.ecsv: (000) quartic set De Lucia et al. 1974; all other constants "
        "effective values fitted to HITRAN2020 positions and strengths (see its provenance)")
    table.meta["references"] = dict(meta.get("references", {}))
    return table


def write(table, path=LINES_FILE):
    """Write the table as ECSV (deterministic text)."""
    table.write(path, format="ascii.ecsv", overwrite=True)



# ---------------------------------------------------------------------------
# refit of the effective constants to assigned HITRAN line positions (--refit)
# ---------------------------------------------------------------------------
#
# Which constants are held at their published values and which are fitted, per state.
# The (000) quartic set is De Lucia et al. (1974); the sextic terms of (000) and all
# constants of (010), (100) and (001) are effective values fitted here.
_UPPER = ("E_v", "A", "B", "C", "DJ", "DJK", "DK", "dJ", "dK", "HJK", "HKJ", "HK")
FREE = {
    "000": ("HJ", "HJK", "HKJ", "HK"),
    "110": _UPPER,
    "011": _UPPER,
    "010": ("E_v", "A", "B", "C", "DJ", "DJK", "DK", "dJ", "dK", "HJK", "HKJ", "HK"),
    "100": ("E_v", "A", "B", "C", "DJ", "DJK", "DK", "dJ", "dK", "HJK", "HKJ", "HK"),
    "001": ("E_v", "A", "B", "C", "DJ", "DJK", "DK", "dJ", "dK", "HJK", "HKJ", "HK"),
}
FIT_J_MAX = 6            # levels used in the fits (lines that matter in comae have J' <= ~7)
# (100)+(001) fit: residuals weighted by the upper level's population at WEIGHT_T (K), see
# _level_weight. Unweighted, the Ka-progressive fit settled on a compromise (rms 0.13 cm-1,
# (100) 0_00 0.2 cm-1 high, a fifth of the strong J' = 4-6 nu1 lines > 0.5 cm-1 off);
# weighted it assigns 98 levels, rms 0.008 cm-1 (tried: T = 30, 50, 80 K with floor 1e-3 and
# 50 K with 1e-2 all give 98 levels, rms <= 0.01 cm-1; without the 2J'+1 factor the fit
# stays near the compromise, rms 0.12-0.13 cm-1).
WEIGHT_T = 50.0
WEIGHT_FLOOR = 0.01
# Final (100)+(001) stage (_fit_dyad_and_moments): scales dividing the weighted position
# (cm^-1) and log-strength residuals. 0.01 cm-1 is the rms of the positions-only fit;
# 0.03 the median strength residual of the strengths-only fit. Tried 0.015 and 0.06 for
# the strength scale: the same strengths (worst strong line 4.0 % nu3, 4.7-4.8 % nu1),
# position rms 0.012 and 0.008 cm-1.
SIGMA_POSITION = 0.01
SIGMA_STRENGTH = 0.03


def _least_squares(state, constants, observed, free, j_max):
    """Fit ``free`` constants of one state to observed term values.

    Returns the fitted constants and the residuals {level: model - observed}.
    """
    from scipy.optimize import least_squares
    keys = sorted(observed)
    target = np.array([observed[k] for k in keys])
    x0 = np.array([constants[p] for p in free])

    def residuals(x):
        c = dict(constants)
        c.update(zip(free, x))
        st = State(state, c, j_max)
        return np.array([st.e_term(k) for k in keys]) - target

    result = least_squares(residuals, x0, x_scale=np.abs(x0) + 1e-7)
    fitted = dict(constants)
    fitted.update(zip(free, result.x))
    return fitted, dict(zip(keys, residuals(result.x)))


def _fit_dyad(constants, coupling, observed, free, names, weights=None):
    """Jointly fit (state, parameter) pairs of a dyad to observed term values.

    ``weights`` ({state: {level: w}}; default 1 for every level) multiply the residuals;
    the returned residuals are unweighted (model - observed, cm^-1).
    """
    from scipy.optimize import least_squares
    targets = [(n, k, e) for n in names for k, e in sorted(observed[n].items())]
    w = np.array([1.0 if weights is None else weights[n][k] for n, k, _ in targets])

    def unpack(x):
        cons = {n: dict(c) for n, c in constants.items()}
        coup = dict(coupling)
        for (n, p), value in zip(free, x):
            if n == "c":
                coup[p] = value
            else:
                cons[n][p] = value
        return cons, coup

    def residuals(x):
        cons, coup = unpack(x)
        dyad = Dyad(cons, coup, FIT_J_MAX + 1, names)
        return w * np.array([dyad.views[n].e_term(k) - e for n, k, e in targets])

    x0 = np.array([coupling[p] if n == "c" else constants[n][p] for n, p in free])
    scale = np.abs(x0) + np.array([0.1 if n == "c" else 1e-7 for n, _ in free])
    result = least_squares(residuals, x0, x_scale=scale)
    cons, coup = unpack(result.x)
    return cons, coup, residuals(result.x) / w


def _fit_moments(pairs, temperature=296.0, use=None):
    """Fit mu(100)/mu(001) and the five transition-moment corrections to 296 K strengths.

    ``pairs`` holds (upper key, dyad vector, lower key, lower vector, S(296 K), nu, E'',
    ortho, upper state) of assigned HITRAN lines; ``use`` (boolean array, default all)
    selects the lines fitted (held-out validation). Least squares on log strengths with a
    free scale per band (lines from (100) and from (001) upper levels), so only the line
    patterns within each band constrain the parameters. Each log residual is weighted by
    sqrt(S / S_max of its band) (``_strength_weight``): the relative error of a line
    counts in proportion to the square root of its strength, so the strong lines that
    carry a coma's emission set the parameters. Returns (ratio, kappa) with kappa ordered
    as ``KAPPA_NAMES``.
    """
    from scipy.optimize import least_squares
    terms = np.array([_amplitude_terms(uk, uv, lk, lv) for uk, uv, lk, lv, *_ in pairs]).T
    prefactor = np.array([(2 * uk[0] + 1) * (2 * lk[0] + 1) for uk, _, lk, *_ in pairs])
    boltz = _boltzmann_factor(pairs, temperature)
    band = np.array([p[8] == "100" for p in pairs])
    strength = np.array([p[4] for p in pairs])
    weight = _strength_weight(strength, band)
    use = np.ones(len(pairs), bool) if use is None else np.asarray(use, bool)

    def residuals(x, ratio=None):
        r = x[0] if ratio is None else ratio
        model = prefactor * _dyad_amplitude(terms, r, x[1:]) ** 2 * boltz
        d = np.log(np.maximum(model, 1e-300)) - np.log(strength)
        out = np.zeros_like(d)
        for m in (band & use, ~band & use):
            # a free scale per band: only the within-band patterns constrain the fit
            out[m] = weight[m] * (d[m] - np.sum(weight[m] * d[m]) / np.sum(weight[m]))
        return out[use]

    n_par = 1 + len(KAPPA_NAMES)
    grid = np.linspace(-1.0, 1.0, 41)
    start = grid[np.argmin([np.sum(residuals(np.zeros(n_par), r) ** 2) for r in grid])]
    best = least_squares(residuals, np.concatenate([[start], np.zeros(n_par - 1)]))
    return float(best.x[0]), tuple(float(v) for v in best.x[1:])


def _fit_dyad_and_moments(constants, coupling, lines, pairs, mu_ratio, kappa, log=print,
                          use=None):
    """Final (100)+(001) stage: positions and 296 K strengths fitted together.

    Positions alone fix the Coriolis matrix elements only near resonances and leave the
    split between the i J_c (xi) and {J_a, J_b} (eta) couplings, hence the mixing of
    the resonant levels, poorly determined; the strengths of the lines of mixed levels
    measure it. All constants of both states, the coupling, the moment ratio and the
    five moment corrections are fitted to the population-weighted term values
    (``_level_weight``, divided by SIGMA_POSITION) and the strength-weighted log
    strengths of ``pairs`` (as in ``_fit_moments``, divided by SIGMA_STRENGTH). Upper
    levels keep the assignment of the positions-only fit. ``use`` (boolean array,
    default all) selects the strengths fitted (held-out validation). Returns
    (constants, coupling, mu_ratio, kappa).
    """
    from scipy.optimize import least_squares
    names = ("100", "001")
    dyad = Dyad(constants, coupling, FIT_J_MAX + 1, names)
    observed = _assign_upper(dyad, lines, FIT_J_MAX, 0.5)
    targets = [(n, k, e) for n in names for k, e in sorted(observed[n].items())]
    w_pos = np.array([_level_weight(k, e - constants[n]["E_v"], WEIGHT_T)
                      for n, k, e in targets]) / SIGMA_POSITION
    use = np.ones(len(pairs), bool) if use is None else np.asarray(use, bool)
    pairs = [p for p, keep in zip(pairs, use) if keep]
    band = np.array([p[8] == "100" for p in pairs])
    strength = np.array([p[4] for p in pairs])
    w_str = _strength_weight(strength, band) / SIGMA_STRENGTH
    free = ([(n, p) for n in names for p in FREE[n]]
            + [("c", p) for p in ("xi", "xi_J", "xi_K", "eta", "eta_J")])
    n_free = len(free)

    def unpack(x):
        cons = {n: dict(c) for n, c in constants.items()}
        coup = dict(coupling)
        for (n, p), value in zip(free, x[:n_free]):
            if n == "c":
                coup[p] = value
            else:
                cons[n][p] = value
        return cons, coup, x[n_free], tuple(x[n_free + 1:])

    def parts(x):
        cons, coup, ratio, kap = unpack(x)
        model = Dyad(cons, coup, FIT_J_MAX + 1, names)
        d_pos = np.array([model.views[n].e_term(k) - e for n, k, e in targets])
        s = pair_strengths(model, pairs, ratio, kap)
        d = np.log(np.maximum(s, 1e-300)) - np.log(strength)
        d_str = np.zeros_like(d)
        for m in (band, ~band):
            # a free scale per band, as in _fit_moments
            d_str[m] = d[m] - np.sum(w_str[m] * d[m]) / np.sum(w_str[m])
        return d_pos, d_str

    def residuals(x):
        d_pos, d_str = parts(x)
        return np.concatenate([w_pos * d_pos, w_str * d_str])

    x0 = np.array([coupling[p] if n == "c" else constants[n][p] for n, p in free]
                  + [mu_ratio] + list(kappa))
    scale = np.abs(x0) + np.array([0.1 if n == "c" else 1e-7 for n, _ in free]
                                  + [0.01] * (1 + len(kappa)))
    result = least_squares(residuals, x0, x_scale=scale)
    d_pos, d_str = parts(result.x)
    log(f"(100)+(001) positions + strengths: {len(d_pos)} levels, rms "
        f"{np.sqrt(np.mean(d_pos ** 2)):.3f} cm-1, max {np.max(np.abs(d_pos)):.3f}; "
        f"{len(d_str)} strengths, weighted rms {np.sqrt(np.mean((w_str * d_str) ** 2)):.2f} "
        f"sigma")
    cons, coup, ratio, kap = unpack(result.x)
    return cons, coup, float(ratio), tuple(float(v) for v in kap)


def pair_strengths(dyad, pairs, mu_ratio, kappa, temperature=296.0):
    """Model strengths (up to one common factor) of ``pairs`` with the levels of ``dyad``.

    Each upper level keeps its (state, J, Ka, Kc) label from ``pairs``; its eigenvector
    is taken from ``dyad``. Returns (2J'+1)(2J''+1) amplitude^2 times
    ``_boltzmann_factor``.
    """
    terms = np.array([_amplitude_terms(uk, dyad.views[n].levels[uk][1], lk, lv)
                      for uk, _, lk, lv, _, _, _, _, n in pairs]).T
    prefactor = np.array([(2 * uk[0] + 1) * (2 * lk[0] + 1) for uk, _, lk, *_ in pairs])
    return (prefactor * _dyad_amplitude(terms, mu_ratio, kappa) ** 2
            * _boltzmann_factor(pairs, temperature))


def strong_line_deviation(pairs, model, select=None, fraction=0.2, j_max=6):
    """|model/HITRAN - 1| per band for the strong lines of ``pairs``.

    Strong: J', J'' <= j_max and S(296 K) >= ``fraction`` of the band's strongest such
    line; both sets normalised on their sum over the strong lines (as
    tests/test_h2o_lines.py). ``select`` (boolean array) restricts the lines reported.
    Returns {"nu3": deviations, "nu1": deviations}.
    """
    band = np.array([p[8] == "100" for p in pairs])
    s = np.array([p[4] for p in pairs])
    low_j = np.array([p[0][0] <= j_max and p[2][0] <= j_max for p in pairs])
    select = np.ones(len(pairs), bool) if select is None else np.asarray(select, bool)
    out = {}
    for name, mine in (("nu1", band & low_j), ("nu3", ~band & low_j)):
        strong = mine & (s >= fraction * s[mine].max())
        ratio = (model[strong] / model[strong].sum()) / (s[strong] / s[strong].sum())
        out[name] = np.abs(ratio - 1)[select[strong]]
    return out


def _boltzmann_factor(pairs, temperature):
    """g_ns nu exp(-c2 E''/T) (1 - exp(-c2 nu/T)) of each line of ``pairs``."""
    from astropy import constants as const
    c2 = (const.h * const.c / const.k_B).to_value("cm K")
    return np.array([(3 if o else 1) * n * np.exp(-c2 * e / temperature)
                     * (1 - np.exp(-c2 * n / temperature))
                     for (_, _, _, _, _, n, e, o, _) in pairs])


def _strength_weight(strength, band):
    """sqrt(S / strongest S of the same band) for each line (``band``: True = (100))."""
    top = np.where(band, strength[band].max(), strength[~band].max())
    return np.sqrt(strength / top)


def _fit_dyad_to_lines(constants, coupling, names, lines, log=print, weight_T=None):
    """Assign lines to the levels of a dyad and fit it, Ka-progressively.

    ``lines`` holds (lower level, ortho, J', E'' + nu) of lines whose lower level is
    known; the upper level is the dyad level of J', same spin and allowed by the a/b
    selection rules of its state that is nearest in energy (within the tolerance).
    With ``weight_T`` (K) each level's residual is weighted by ``_level_weight`` (its
    population at that temperature), else all levels weigh the same.
    """
    for name in names:
        constants[name] = dict(constants[name])
    for ka_max, tol in ((1, 3.0), (2, 3.0), (3, 2.0), (4, 2.0), (5, 2.0), (6, 2.0),
                        (FIT_J_MAX, 1.0), (FIT_J_MAX, 0.5)):
        dyad = Dyad(constants, coupling, FIT_J_MAX + 1, names)
        observed = _assign_upper(dyad, lines, ka_max, tol)
        weights = None
        if weight_T is not None:
            # weights from the observed term values (fixed during each least-squares fit)
            weights = {n: {k: _level_weight(k, e - dyad.views[n].constants["E_v"], weight_T)
                           for k, e in observed[n].items()} for n in names}
        if ka_max <= 2:
            free = ([(n, p) for n in names for p in ("E_v", "A", "B", "C", "DJ", "DJK", "dJ")]
                    + [("c", "xi"), ("c", "eta")])
        elif ka_max == 3:
            free = [(n, p) for n in names for p in FREE[n][:9]] + [("c", "xi"), ("c", "eta")]
        else:
            free = ([(n, p) for n in names for p in FREE[n]]
                    + [("c", "xi"), ("c", "xi_J"), ("c", "xi_K"), ("c", "eta"), ("c", "eta_J")])
        constants, coupling, res = _fit_dyad(constants, coupling, observed, free, names,
                                             weights)
        log(f"{names} Ka<={ka_max} tol {tol}: {len(res)} levels, rms "
            f"{np.sqrt(np.mean(np.square(res))):.3f} cm-1, max {np.max(np.abs(res)):.3f}")
    return constants, coupling


def _level_weight(key, e_rot, temperature):
    """Fit weight of an upper level: sqrt of its relative population plus a floor.

    sqrt((2J'+1) exp(-c2 E'_rot / T) + WEIGHT_FLOOR): the levels that carry the emission
    of a cold coma dominate the fit, while the floor keeps every assigned level
    (J' <= FIT_J_MAX) in it. E'_rot (cm^-1) is measured from the state's origin.
    """
    from astropy import constants as const
    c2 = (const.h * const.c / const.k_B).to_value("cm K")
    population = (2 * key[0] + 1) * np.exp(-c2 * max(e_rot, 0.0) / temperature)
    return float(np.sqrt(population + WEIGHT_FLOOR))


def _assign_upper(dyad, lines, ka_max, tol):
    """{state: {level: E'' + nu}} for the lines whose nearest allowed dyad level is within tol."""
    observed = {n: {} for n in dyad.names}
    for key, ortho, j_up, e_up in lines:
        if j_up > FIT_J_MAX:
            continue
        best = None
        for name, st in dyad.views.items():
            for ukey in st.levels:
                if (ukey[0] != j_up or ukey[1] > ka_max or st.ortho(ukey) != ortho
                        or not allowed(ukey, key, AXIS[name])):
                    continue
                dev = abs(st.e_term(ukey) - e_up)
                if dev < tol and (best is None or dev < best[0]):
                    best = (dev, name, ukey)
        if best:
            observed[best[1]][best[2]] = e_up
    return observed


def _band_origins():
    """H2O band origins (cm^-1) from linelists/bands.ecsv, used only as fit start values."""
    bands = Table.read(HERE / "bands.ecsv", format="ascii.ecsv")
    out = {}
    for row in bands:
        if row["species"] == "H2O" and str(row["band"]) not in out:
            out[str(row["band"])] = float(row["center_cm"])
    return out


def read_hitran_csv(path):
    """Read the HITRAN CSV subset (nu, S296, E'', g', g'') used by --refit and the tests."""
    with open(path) as handle:
        body = [line for line in handle if not line.startswith("#")][1:]   # drop header
    data = np.loadtxt(body, delimiter=",", usecols=(0, 1, 2, 3, 4), ndmin=2)
    return data.T


def _spin_weight(ortho):
    return 3 if ortho else 1


def assign_lower(states, e_lower, g_lower, tol):
    """Return (state, level) of the model level nearest to E'' with matching g'' (or None)."""
    best = None
    for name, st in states.items():
        for key in st.levels:
            if _spin_weight(st.ortho(key)) * (2 * key[0] + 1) != g_lower:
                continue
            dev = abs(st.e_term(key) - e_lower)
            if dev < tol and (best is None or dev < best[0]):
                best = (dev, name, key)
    return None if best is None else best[1:]


def _ground_state_lines(hitran, ground, s_min):
    """HITRAN lines from an identified (000) level: (nu, S296, E'', lower key, ortho, J').

    The lower level is the (000) level nearest E'' (0.3 cm-1, E'' <= 1500 cm-1) with
    matching g''; J' follows from g' (lines whose g' gives no integer J' are skipped).
    """
    nu, s296, e_low, g_up, g_low = hitran
    for n, s, e, gu, gl in zip(nu, s296, e_low, g_up, g_low):
        if s < s_min or e > 1500.0:
            continue
        hit = assign_lower({"000": ground}, e, gl, 0.3)
        if hit is None:
            continue
        key = hit[1]
        ortho = ground.ortho(key)
        j_up = (gu / _spin_weight(ortho) - 1) / 2
        if j_up == int(j_up):
            yield n, s, e, key, ortho, int(j_up)


def moment_pairs(constants, coupling, hitran, s_min=1e-21):
    """Assigned (000) -> (100)/(001) lines with J' <= FIT_J_MAX for the strength fit.

    ``hitran`` = (nu, S296, E'', g', g'') arrays (``read_hitran_csv``). The lower level is
    the (000) level nearest E'' (0.3 cm-1) with matching g''; J' follows from g'; the
    upper level is each dyad level of J', same spin, allowed by its state's selection
    rules, within 0.3 cm-1 of E'' + nu. Returns tuples (upper key, dyad vector, lower
    key, lower vector, S296, nu, E'', ortho, upper state) as used by ``_fit_moments``.
    """
    ground = State("000", constants["000"], FIT_J_MAX + 2)
    dyad = Dyad(constants, coupling, FIT_J_MAX + 1)
    pairs = []
    for n, s, e, key, ortho, j_up in _ground_state_lines(hitran, ground, s_min):
        if j_up > FIT_J_MAX:
            continue
        for name, view in dyad.views.items():
            for ukey, (energy, vec) in view.levels.items():
                if (ukey[0] == j_up and view.ortho(ukey) == ortho
                        and allowed(ukey, key, AXIS[name]) and abs(energy - e - n) < 0.3):
                    pairs.append((ukey, vec, key, ground.levels[key][1], s, n, e, ortho, name))
    return pairs


HOLDOUT = {"even": lambda j: j % 2 == 0, "odd": lambda j: j % 2 == 1,
           "jl4": lambda j: j <= 4}


def refit(hitran_path, constants_path=CONSTANTS_FILE, holdout=None):
    """Refit the effective constants to HITRAN positions and rewrite h2o_constants.ecsv.

    Assignment: the lower level of each line is the model level whose energy is
    nearest to the tabulated E'' with matching g'' = g_ns (2J''+1); J' follows from g';
    the upper level is the model level of J', same nuclear-spin species and a- or
    b-type selection rules nearest to E'' + nu. Assignments and fits are iterated from
    low J with shrinking tolerances. Then the moment ratio and corrections are fitted to
    the 296 K strengths, and finally the (100)+(001) constants, coupling and moments to
    positions and strengths together (``_fit_dyad_and_moments``).

    With ``holdout`` (a key of HOLDOUT: "even", "odd" or "jl4" = J'' <= 4) the
    strengths are fitted only on the lines whose J'' passes that test; the deviations
    of the other strong lines (``strong_line_deviation``) are printed and returned as
    {"nu3": ..., "nu1": ...}; nothing is written.
    """
    table = Table.read(constants_path, format="ascii.ecsv")
    constants, meta = read_constants(constants_path)
    nu, s296, e_low, g_up, g_low = read_hitran_csv(hitran_path)
    # Starting point independent of earlier fits (so a refit is reproducible): the
    # published (000) quartic set, zero sextic terms, and for (010), (100), (001) the
    # ground-state constants at the band origins of linelists/bands.ecsv.
    origins = _band_origins()
    constants["000"].update(HJ=0.0, HJK=0.0, HKJ=0.0, HK=0.0)
    for name, e_v in (("100", origins["nu1"]), ("001", origins["nu3"]),
                      ("010", origins["nu3"] - origins["nu3-nu2"])):
        constants[name] = dict(constants["000"], E_v=e_v)
    # 1. (000): E'' of the fundamental-band lines
    schedule = ((4, 1.0), (6, 1.0), (FIT_J_MAX + 2, 0.6), (FIT_J_MAX + 2, 0.3))
    for j_max, tol in schedule:
        ground = State("000", constants["000"], j_max + 1)
        observed = {}
        for e, g in zip(e_low, g_low):
            hit = assign_lower({"000": ground}, e, g, tol if e < 1000 else 10 * tol)
            if hit and hit[1][0] <= j_max:
                observed[hit[1]] = e
        constants["000"], _ = _least_squares("000", constants["000"], observed, FREE["000"],
                                             j_max + 1)
    # 2. (010): E'' of the hot-band lines (E'' above the (010) origin)
    for j_max, tol in ((1, 15.0), (2, 8.0), (3, 4.0), (4, 2.0), (6, 1.0), (FIT_J_MAX, 0.5),
                       (FIT_J_MAX, 0.3)):
        states = {n: State(n, constants[n], j_max + 2) for n in ("000", "010")}
        observed = {}
        for e, g in zip(e_low, g_low):
            if e < constants["010"]["E_v"] - 1.0:
                continue
            hit = assign_lower(states, e, g, tol)
            if hit and hit[0] == "010" and hit[1][0] <= j_max:
                observed[hit[1]] = e
        free = FREE["010"] if j_max >= 4 else ("E_v", "A", "B", "C")
        constants["010"], _ = _least_squares("010", constants["010"], observed, free, j_max + 1)
    # 3. (100) and (001): upper levels E'' + nu of lines from (000)
    ground = State("000", constants["000"], FIT_J_MAX + 2)
    lines = [(key, ortho, j_up, e + n)
             for n, _s, e, key, ortho, j_up in _ground_state_lines((nu, s296, e_low, g_up, g_low), ground, 1e-23)]
    # (100) + (001) as a Coriolis-coupled dyad, fitted jointly; Ka-progressive assignment
    # start: fitted ground-state constants at the band origins, trial Coriolis constants
    # (energies are even in xi, so the start must not be 0)
    for name in ("100", "001"):
        constants[name] = dict(constants["000"], E_v=constants[name]["E_v"])
    coupling = {"xi": 1.0, "xi_J": 0.0, "xi_K": 0.0, "eta": 0.01, "eta_J": 0.0}
    constants, coupling = _fit_dyad_to_lines(constants, coupling, ("100", "001"), lines,
                                             weight_T=WEIGHT_T)
    table.meta["coupling_100_001"] = {k: float(f"{v:.10g}") for k, v in coupling.items()}
    # 4. ratio of the (100) b-axis to the (001) a-axis transition moment and the moment
    #    corrections: fitted to the 296 K strengths of the assigned lines > 1e-21
    pairs = moment_pairs(constants, coupling, (nu, s296, e_low, g_up, g_low))
    use = None
    if holdout is not None:
        use = np.array([HOLDOUT[holdout](p[2][0]) for p in pairs])
    mu_ratio, kappa = _fit_moments(pairs, use=use)
    print(f"strengths alone: mu(100)/mu(001) = {mu_ratio:.4f}, kappa = {kappa} "
          f"from {len(pairs) if use is None else int(use.sum())} lines")
    # 4b. positions and strengths together (the strengths fix the Coriolis mixing)
    constants, coupling, mu_ratio, kappa = _fit_dyad_and_moments(
        constants, coupling, lines, pairs, mu_ratio, kappa, use=use)
    if holdout is not None:
        model = pair_strengths(Dyad(constants, coupling, FIT_J_MAX + 1), pairs, mu_ratio, kappa)
        held_out = strong_line_deviation(pairs, model, select=~use)
        for name, dev in held_out.items():
            print(f"strengths fitted on J'' {holdout}; {name}, other J'': {len(dev)} "
                  f"strong lines, median "
                  f"{100 * np.median(dev):.1f} %, worst {100 * dev.max():.1f} %, "
                  f"{int(np.sum(dev > 0.05))} > 5 %")
        return held_out
    table.meta["coupling_100_001"] = {k: float(f"{v:.10g}") for k, v in coupling.items()}
    print(f"joint: mu(100)/mu(001) = {mu_ratio:.4f}, kappa = {kappa}")
    table.meta["mu_100_over_mu_001"] = float(f"{mu_ratio:.6g}")
    table.meta["herman_wallis"] = {name: float(f"{value:.6g}")
                                   for name, value in zip(KAPPA_NAMES, kappa)}
    # 5. (110) + (011): upper levels E'' + nu of the hot-band lines from (010)
    lower = {"000": State("000", constants["000"], FIT_J_MAX + 4),
             "010": State("010", constants["010"], FIT_J_MAX + 2)}
    hot = []
    for n, s, e, gu, gl in zip(nu, s296, e_low, g_up, g_low):
        if s < 1e-25 or e < constants["010"]["E_v"] - 1.0:
            continue
        hit = assign_lower(lower, e, gl, 0.3)
        if hit is None or hit[0] != "010":
            continue
        ortho = lower["010"].ortho(hit[1])
        j_up = (gu / _spin_weight(ortho) - 1) / 2
        if j_up == int(j_up):
            hot.append((hit[1], ortho, int(j_up), e + n))
    # start: (100)/(001) constants plus the (010)-(000) differences; the (011) origin from
    # the nu2+nu3-nu2 band of bands.ecsv; the (110) origin by a scan that maximises the
    # number of assigned J' <= 2 levels
    step = {p: constants["010"][p] - constants["000"][p] for p in PARAMETERS}
    for name, parent in (("110", "100"), ("011", "001")):
        constants[name] = {p: constants[parent][p] + step[p] for p in PARAMETERS}
    constants["011"]["E_v"] = constants["010"]["E_v"] + origins["nu2+nu3-nu2"]
    base = constants["110"]["E_v"]
    low_j = [h for h in hot if h[2] <= 2]
    counts = []
    for shift in np.arange(-40.0, 10.01, 0.5):
        constants["110"]["E_v"] = base + shift
        obs = _assign_upper(Dyad(constants, coupling, 3, ("110", "011")), low_j, 1, 1.0)
        counts.append((len(obs["110"]), -abs(shift), shift))
    constants["110"]["E_v"] = base + max(counts)[2]
    hot_coupling = dict(coupling)
    constants, hot_coupling = _fit_dyad_to_lines(constants, hot_coupling, ("110", "011"), hot)
    table.meta["coupling_110_011"] = {k: float(f"{v:.10g}") for k, v in hot_coupling.items()}
    for name in ("110", "011"):
        if name not in table["state"]:
            table.add_row([name] + [0.0] * len(PARAMETERS))
    for row in table:
        for p in PARAMETERS:
            row[p] = float(f"{constants[str(row['state'])][p]:.10g}")
    table.write(constants_path, format="ascii.ecsv", overwrite=True)
    return constants


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed file instead of writing it")
    parser.add_argument("--holdout", choices=sorted(HOLDOUT),
                        help="with --refit: fit the strengths only on lines of even J'', "
                             "odd J'' or J'' <= 4, print the deviations of the other "
                             "strong lines and write nothing")
    parser.add_argument("--refit", metavar="HITRAN_CSV",
                        help="first refit the effective constants in h2o_constants.ecsv to "
                             "the HITRAN line positions in this CSV")
    args = parser.parse_args(argv)
    if args.holdout:
        if not args.refit:
            parser.error("--holdout needs --refit HITRAN_CSV")
        refit(args.refit, holdout=args.holdout)
        return 0
    if args.refit:
        refit(args.refit)
    table = build_table()
    if args.check:
        import io
        buf = io.StringIO()
        table.write(buf, format="ascii.ecsv")
        same = buf.getvalue() == LINES_FILE.read_text()
        print("h2o_lines.ecsv is up to date" if same else "h2o_lines.ecsv differs")
        return 0 if same else 1
    write(table)
    print(f"wrote {LINES_FILE} ({len(table)} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
