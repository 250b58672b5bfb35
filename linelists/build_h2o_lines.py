"""Build the H2O line list (linelists/h2o_lines.ecsv) from Watson-Hamiltonian constants.

Method
------
Rotational levels of each vibrational state of H2(16)O are the eigenvalues of Watson's
A-reduced Hamiltonian in the I^r representation (z = a, x = b, y = c), set up per J in
the symmetric-top basis |J, K> (K = -J..J) and diagonalised with ``numpy.linalg.eigh``::

    H = (B+C)/2 J^2 + (A-(B+C)/2) Jz^2 - DJ J^4 - DJK J^2 Jz^2 - DK Jz^4
        + HJ J^6 + HJK J^4 Jz^2 + HKJ J^2 Jz^4 + HK Jz^6
        + [(B-C)/4 - dJ J^2 + hJ J^4] (J+^2 + J-^2)
        - dK/2 {Jz^2, J+^2 + J-^2} + hJK/2 J^2 {Jz^2, J+^2 + J-^2} + hK/2 {Jz^4, J+^2 + J-^2}

Each eigenvector has only even or only odd K (Ka parity) and is symmetric or
antisymmetric under K -> -K (the Wang symmetry); inside each of the four symmetry
blocks the levels keep the energy order of the rigid rotor of the same A, B, C
(no crossing inside a block), which gives the J_{Ka,Kc} labels.

Line strengths are the squared direction-cosine matrix elements between the
asymmetric-rotor eigenvectors of the upper and lower state (the vibrational
transition moment along one principal axis: a for the a-type bands nu3 and
nu3-nu2, b for the b-type bands nu1 and nu1-nu2), summed over M::

    S = (2J'+1)(2J''+1) | sum_{K',K''} c'_{K'} c''_{K''} (-1)^{K'} (J' 1 J''; -K' q K'') mu_q |^2

with mu_0 = 1 (a axis = z) or mu_{+-1} = -+ 1/sqrt(2) (b axis = x). The relative Einstein
coefficient within a band is A_rel = nu^3 S / (2J'+1), normalised to 1 for the
strongest line of the band. No Herman-Wallis / Coriolis intensity corrections are
applied (rigid-rotor transition moment).

Nuclear spin: the two H nuclei make the rotational-vibrational levels ortho (weight 3)
or para (weight 1). In a vibrational state of symmetry A1 ((000), (100), (010)) the
levels with Ka + Kc odd are ortho; in a B2 state ((001)) those with Ka + Kc even are
ortho. The list holds a boolean ``ortho`` column and ``g_upper = 2J'+1`` without the
spin weight; comaspec.templates applies the ortho:para ratio.

``E_rot_upper`` is the rotational energy of the upper level measured from the 0_00
level of its own vibrational state (the same zero for ortho and para).

Constants
---------
All constants are read from ``linelists/h2o_constants.ecsv`` (one row per vibrational
state) with their references; the script holds no physical constant.

Usage
-----
``python linelists/build_h2o_lines.py`` rewrites ``linelists/h2o_lines.ecsv``.
``python linelists/build_h2o_lines.py --check`` exits 1 if the committed file differs.
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
}
# vibrational states of B2 symmetry (odd v3): ortho/para assignment of K-levels flips
B2_STATES = ("001",)

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


def _symmetry(vectors, J):
    """Return (K parity, Wang sign) of each eigenvector column."""
    K = np.arange(-J, J + 1)
    weights = vectors**2
    kpar = (weights[K % 2 == 1].sum(axis=0) > 0.5).astype(int)
    mirror = vectors[::-1]          # c_{-K}
    overlap = np.sum(vectors * mirror, axis=0)
    wang = np.where(overlap >= 0, 1, -1)
    return kpar, wang


def levels_of_J(J, c):
    """Return energies, eigenvectors and (Ka, Kc) labels of one J.

    Parameters
    ----------
    J : int
        Rotational quantum number.
    c : dict
        Watson constants (cm^-1).

    Returns
    -------
    energy : numpy.ndarray
        Rotational energies (cm^-1), ascending within the labelling used.
    vectors : numpy.ndarray
        Eigenvectors as columns (basis K = -J..J).
    ka, kc : numpy.ndarray of int
        Asymmetric-rotor labels.
    """
    energy, vectors = np.linalg.eigh(watson_matrix(J, c))
    rigid = {name: 0.0 for name in PARAMETERS}
    rigid.update(A=c["A"], B=c["B"], C=c["C"])
    r_energy, r_vectors = np.linalg.eigh(watson_matrix(J, rigid))
    # rigid rotor: energy order is tau = Ka - Kc = -J..J
    tau = np.arange(-J, J + 1)
    r_ka = (tau + J + 1) // 2
    r_kc = r_ka - tau
    r_kpar, r_wang = _symmetry(r_vectors, J)
    kpar, wang = _symmetry(vectors, J)
    ka = np.empty(2 * J + 1, dtype=int)
    kc = np.empty(2 * J + 1, dtype=int)
    for p in (0, 1):
        for w in (-1, 1):
            mine = np.flatnonzero((kpar == p) & (wang == w))
            ref = np.flatnonzero((r_kpar == p) & (r_wang == w))
            if len(mine) != len(ref):
                raise RuntimeError(f"symmetry blocks disagree at J={J}")
            mine = mine[np.argsort(energy[mine])]
            ref = ref[np.argsort(r_energy[ref])]
            ka[mine] = r_ka[ref]
            kc[mine] = r_kc[ref]
    return energy, vectors, ka, kc


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


def line_strength(upper_key, upper_vec, lower_key, lower_vec, axis):
    """Rotational line strength (sum over M) of one transition, unit transition moment."""
    Ju, Jl = upper_key[0], lower_key[0]
    amp = upper_vec @ _coupling(Ju, Jl, axis) @ lower_vec
    return (2 * Ju + 1) * (2 * Jl + 1) * amp**2


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


def band_lines(band, states, j_max=J_MAX):
    """Compute all lines of one band as a list of dicts."""
    up_name, low_name, axis = BANDS[band]
    up, low = states[up_name], states[low_name]
    rows = []
    for ukey, (ue, uvec) in up.levels.items():
        if ukey[0] > j_max or up.e_rot(ukey) > E_ROT_MAX:
            continue
        for lkey, (le, lvec) in low.levels.items():
            if abs(lkey[0] - ukey[0]) > 1 or not allowed(ukey, lkey, axis):
                continue
            if up.ortho(ukey) != low.ortho(lkey):
                raise RuntimeError(f"{band}: ortho/para violated {ukey} -> {lkey}")
            s = line_strength(ukey, uvec, lkey, lvec, axis)
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
    states = {name: State(name, c, J_MAX + 1) for name, c in constants.items()}
    rows = []
    for band, (u, l, _) in BANDS.items():
        if bands is not None and band not in bands:
            continue
        if u in states and l in states:
            rows.extend(band_lines(band, states))
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
        "Watson A-reduced Hamiltonian (I^r) diagonalised per J; line strengths from the "
        "asymmetric-rotor eigenvectors (a-type: nu3, nu3-nu2; b-type: nu1, nu1-nu2), rigid "
        "transition moment; A_rel = nu^3 S / (2J'+1) normalised per band; g_upper = 2J'+1 "
        "without nuclear spin; ortho column (weight 3 ortho, 1 para applied by templates); "
        "E_rot_upper from the 0_00 level of the upper vibrational state.")
    table.meta["references"] = dict(meta.get("references", {}))
    return table


def write(table, path=LINES_FILE):
    """Write the table as ECSV (deterministic text)."""
    table.write(path, format="ascii.ecsv", overwrite=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed file instead of writing it")
    args = parser.parse_args(argv)
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
