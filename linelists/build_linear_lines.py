"""Build the rovibrational line lists of the linear molecules from tabulated constants.

OCS nu3 is built the same way from fewer numbers: only the ground-state B, D (NIST Triatomic
Spectral Database, microwave) and the band centre (Shimanouchi 1972, +-1 cm^-1) could be
retrieved, so the upper state's rotational constants are taken equal to the ground state's
(``rigid_upper`` in `BANDS`) and the line list says so in its ``approximation`` metadata.
The resulting band-flux errors are measured in tests/test_ocs.py and given in
docs/templates.rst.

Run from anywhere::

    python linelists/build_linear_lines.py          # rewrites linelists/*_lines.ecsv
    python linelists/build_linear_lines.py --refit HITRAN_CSV   # 13CO2: refit, then rebuild

The constants (with their references) are in ``linelists/linear_constants.ecsv``; the normal
build reads nothing else. 12C16O2 and 12C16O use published constants. For 13C16O2 no
published B, D could be retrieved for this work, so its constants are *effective* values
fitted by this script (``--refit``, see `refit`) to the HITRAN2020 (Gordon et al. 2022,
JQSRT 277, 107949) 00011-00001 lines of a CSV subset of HITRAN (nu, S, E'', g', g''; no
quantum labels). Nothing here is a physical number except the quantum-mechanical rules of
a Sigma-Sigma band:

* term values: polyatomic state ``F(J) = G + B x - D x^2 + H x^3`` with ``x = J(J+1)``;
  diatomic CO from its Dunham expansion ``E(v, J) = sum_kl Y_kl (v + 1/2)^k x^l``;
* selection rule of a parallel (Sigma-Sigma) band: Delta J = +-1 only (R and P branches, no Q);
* Honl-London factors (Herzberg 1945, ch. IV; the HITRAN convention of Simeckova et al.
  2006, JQSRT 98, 130, sums them to 2J''+1 over the branches): R(J''): L = J''+1,
  P(J''): L = J'';
* Einstein A of one line, up to a band constant: ``A = nu^3 L / (2J'+1)`` (the vibrational
  transition moment is taken as J-independent: no Herman-Wallis factor);
* nuclear-spin statistics: ground-state levels of a parity whose weight is 0 do not exist
  (12C16O2, 13C16O2: odd J''), others carry weight ``gns`` in ``g_upper``.

The output ECSV tables are T-independent. Their columns are the contract read by
``comaspec.templates``: ``wavenumber`` [1/cm], ``band``, ``E_rot_upper`` [1/cm] (rotational
energy within the upper vibrational state, above its J = 0 term value), ``g_upper``
(``gns (2J'+1)``), ``A_rel`` (Einstein A relative to the band's strongest line), ``J_lower``,
``J_upper``, ``branch``, and ``E_lower`` [1/cm] (lower-level term value above the ground
vibrational state, for absorption-strength checks against HITRAN).
"""

import argparse
from pathlib import Path

import numpy as np
from astropy.table import Table

HERE = Path(__file__).resolve().parent
CONSTANTS_FILE = "linear_constants.ecsv"

# One entry per band: which states of which species, and how far in J'' to go. J''_max is
# chosen so that the highest level is > 20 e-foldings above the ground at 300 K (CO2:
# E(100) ~ 3900 1/cm; CO: E(60) ~ 7000 1/cm), far beyond any coma temperature.
BANDS = (
    {"file": "co2_nu3_lines.ecsv", "species": "CO2", "band": "nu3",
     "upper": "00011", "lower": "00001", "j_max": 100},
    {"file": "13co2_nu3_lines.ecsv", "species": "13CO2", "band": "nu3",
     "upper": "00011", "lower": "00001", "j_max": 100},
    {"file": "co_1-0_lines.ecsv", "species": "CO", "band": "1-0",
     "upper": "X v=1", "lower": "X v=0", "j_max": 60},
    # OCS: only the ground-state B, D and the band centre could be retrieved, so the upper
    # state's rotational constants are taken equal to the ground state's (``rigid_upper``)
    # and its term value is the band centre of bands.ecsv (``origin_from_bands``, so that
    # the number lives in one place): an approximate template (see the module docstring).
    # E(150) ~ 4600 1/cm.
    {"file": "ocs_nu3_lines.ecsv", "species": "OCS", "band": "nu3",
     "upper": "0001", "lower": "0000", "j_max": 150, "rigid_upper": True,
     "origin_from_bands": True},
)

# Rotational constants an upper state borrows from the lower one when ``rigid_upper`` is set.
_ROTATIONAL = ("B", "D", "H")


def read_constants(directory=HERE):
    """Return the table of constants (``linear_constants.ecsv``) in ``directory``."""
    return Table.read(Path(directory) / CONSTANTS_FILE, format="ascii.ecsv")


def _states(constants):
    """{(species, state): {parameter: value}} from the constants table.

    Values are converted to cm^-1 from the unit in the table's ``unit`` column (constants
    are kept in the unit their source prints, e.g. MHz for microwave B, D).
    """
    from astropy import units as u

    states = {}
    for row in constants:
        value = float(row["value"])
        if str(row["unit"]) != "dimensionless":
            value = (value * u.Unit(str(row["unit"]))).to_value(1 / u.cm, equivalencies=u.spectral())
        states.setdefault((str(row["species"]), str(row["state"])), {})[
            str(row["parameter"])] = value
    return states


def _band_centre(species, band, directory=HERE):
    """Band centre (1/cm) of ``species``/``band`` in ``bands.ecsv`` (with its reference there)."""
    bands = Table.read(Path(directory) / "bands.ecsv", format="ascii.ecsv")
    row = bands[(bands["species"] == species) & (bands["band"] == band)]
    if len(row) != 1:
        raise ValueError(f"bands.ecsv has {len(row)} rows for {species} {band}")
    return float(row["center_cm"][0])


def _split_state(state):
    """'X v=1' -> ('X', 1); '00011' -> ('00011', None)."""
    if " v=" in state:
        name, v = state.split(" v=")
        return name, int(v)
    return state, None


def term_values(params, v, j):
    """Term values (1/cm) of rotational levels ``j`` of one vibrational state.

    ``v`` is None for a polyatomic state given by G, B, D, H, or the vibrational quantum
    number for a diatomic Dunham expansion (parameters ``Ykl``).
    """
    x = j * (j + 1.0)
    if v is None:
        return (params["G"] + params["B"] * x - params["D"] * x**2
                + params.get("H", 0.0) * x**3)
    energy = np.zeros_like(x)
    for name, value in params.items():
        if name.startswith("Y") and len(name) == 3:
            k, l = int(name[1]), int(name[2])
            energy = energy + value * (v + 0.5) ** k * x**l
    return energy


def band_lines(band, constants):
    """Compute the line table of one band (see the module docstring for the physics).

    ``constants`` is the table read from ``linear_constants.ecsv``.
    """
    states = _states(constants)
    references = constants.meta["references"]
    species = band["species"]
    up_name, v_up = _split_state(band["upper"])
    lo_name, v_lo = _split_state(band["lower"])
    lower = states[(species, lo_name)]
    upper = states.get((species, up_name), {})
    if band.get("origin_from_bands"):
        if "G" in upper:
            raise ValueError(f"{species} {up_name}: origin_from_bands set but the table gives G")
        upper = {**upper, "G": _band_centre(species, band["band"])}
    if band.get("rigid_upper"):
        borrowed = set(_ROTATIONAL) & set(upper)
        if borrowed:
            raise ValueError(f"{species} {up_name}: rigid_upper set but the table gives {sorted(borrowed)}")
        upper = {**upper, **{k: lower[k] for k in _ROTATIONAL if k in lower}}

    j_lower = np.arange(band["j_max"] + 1)
    gns = np.where(j_lower % 2 == 0, lower["gns_even"], lower["gns_odd"])
    rows = []
    for branch, dj in (("P", -1), ("R", +1)):
        j_up = j_lower + dj
        keep = (j_up >= 0) & (gns > 0)
        jl, ju, g_ns = j_lower[keep], j_up[keep], gns[keep]
        e_low = term_values(lower, v_lo, jl.astype(float))
        e_up = term_values(upper, v_up, ju.astype(float))
        e_up0 = term_values(upper, v_up, np.zeros(1))[0]
        # Every band here starts from the ground vibrational level: E_lower is counted from
        # its J = 0 level (for CO this removes the Dunham zero-point energy).
        e_low0 = term_values(lower, v_lo, np.zeros(1))[0]
        honl_london = np.where(dj > 0, jl + 1.0, jl.astype(float))
        nu = e_up - e_low
        rows.append({
            "wavenumber": nu, "E_rot_upper": e_up - e_up0, "E_lower": e_low - e_low0,
            "g_upper": g_ns * (2 * ju + 1.0),
            "A_rel": nu**3 * honl_london / (2 * ju + 1.0), "J_lower": jl, "J_upper": ju,
            "branch": np.full(jl.size, branch),
        })
    columns = {name: np.concatenate([r[name] for r in rows]) for name in rows[0]}
    order = np.argsort(columns["wavenumber"])
    columns = {name: values[order] for name, values in columns.items()}
    columns["A_rel"] = columns["A_rel"] / columns["A_rel"].max()

    table = Table()
    table["wavenumber"] = columns["wavenumber"]
    table["wavenumber"].unit = "1/cm"
    table["band"] = np.full(order.size, band["band"])
    table["E_rot_upper"] = columns["E_rot_upper"]
    table["E_rot_upper"].unit = "1/cm"
    table["E_lower"] = columns["E_lower"]
    table["E_lower"].unit = "1/cm"
    table["g_upper"] = columns["g_upper"]
    table["A_rel"] = columns["A_rel"]
    table["J_lower"] = columns["J_lower"].astype(np.int32)
    table["J_upper"] = columns["J_upper"].astype(np.int32)
    table["branch"] = columns["branch"]
    used = sorted(set(constants["reference"][constants["species"] == species]))
    table.meta["species"] = species
    table.meta["band"] = band["band"]
    table.meta["transition"] = f"{band['upper']} - {band['lower']}"
    table.meta["made_by"] = "linelists/build_linear_lines.py from linelists/linear_constants.ecsv"
    table.meta["temperature_independent"] = True
    table.meta["physics"] = (
        "Sigma-Sigma band, P and R branches; Honl-London R: J''+1, P: J''; "
        "A_rel = nu^3 L / (2J'+1) normalised to the strongest line; no Herman-Wallis factor; "
        "g_upper = gns (2J'+1); E_rot_upper = F'(J') - F'(0); E_lower = F''(J'') - F''(0) (the "
        "lower state is the ground vibrational level).")
    if band.get("origin_from_bands"):
        table.meta["origin"] = f"band centre {upper['G']} cm-1 from linelists/bands.ecsv"
    if band.get("rigid_upper"):
        table.meta["approximation"] = (
            "upper-state B, D taken equal to the ground state's and the band centre known to "
            "the precision of its source only; made for band fluxes, not for line-by-line "
            "work or T_rot; its systematic errors are in docs/templates.rst")
    table.meta["references"] = {key: references[key] for key in used}
    return table


def build_all(out_dir=HERE, constants_dir=HERE):
    """Compute every band of ``BANDS`` and write its ECSV into ``out_dir``.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    constants = read_constants(constants_dir)
    written = []
    for band in BANDS:
        lines = band_lines(band, constants)
        path = Path(out_dir) / band["file"]
        lines.write(path, format="ascii.ecsv", overwrite=True)
        written.append(path)
    return written


# ---------------------------------------------------------------------------------------------
# Effective constants fitted to HITRAN (--refit): 13C16O2 00011-00001
# ---------------------------------------------------------------------------------------------
#
# The HITRAN CSV subset has no quantum labels. A line of 00011-00001 is recognised by its
# lower level: J'' from g'' = g_spin (2J''+1), a J'' parity that exists in the ground state
# (even), E'' on the ground-state term values F''(J''), and J' = J'' +- 1 from g'. Hot bands
# start from levels >= the 01101 origin (~650 cm^-1 above the ground), so they cannot sit on
# F''(J'') of the same J''; where several lines still qualify, the strongest one is taken.
# The fit then runs in two linear least-squares steps: F''(J'') = B x - D x^2 + H x^3 to the
# tabulated E'' of the identified levels, and F'(J') = G + B x - D x^2 + H x^3 to E'' + nu.

REFIT = {"species": "13CO2", "upper": "00011", "lower": "00001",
         "start_from": "CO2"}   # start value of B'': 12C16O2 (C sits at the centre of mass)
REFIT_REFERENCE = "HITRAN2020fit"
REFIT_REFERENCE_TEXT = (
    "HITRAN2020 (Gordon et al. 2022, JQSRT 277, 107949), effective constants fitted by "
    "linelists/build_linear_lines.py --refit to the 00011-00001 lines of the HITRAN CSV subset "
    "(lower-state energies E'' for the 00001 constants, upper-state energies E'' + nu for the "
    "00011 constants). Verification: effective constants fitted to HITRAN2020, not published "
    "constants; no published B, D of 13C16O2 could be retrieved for this work.")
REFIT_NOTE = "effective, fitted to HITRAN2020 by build_linear_lines.py --refit"
# (J''_max, tolerance in cm^-1, number of distortion terms) of the iterated ground-state
# identification: low J first, where E'' ~ B x is unambiguous with any B near 12C16O2's.
_GROUND_SCHEDULE = ((20, 2.0, 1), (40, 0.5, 1), (70, 0.2, 2), (None, 0.05, 2))
_LINE_TOLERANCE = 0.05   # cm^-1: |E'' - F''(J'')| of an identified 00011-00001 line


def read_hitran_csv(path):
    """Columns nu, S(296 K), E'', g', g'' of a HITRAN CSV subset (shared-data format)."""
    with open(path) as handle:
        body = [line for line in handle if not line.startswith("#")][1:]   # drop header
    data = np.loadtxt(body, delimiter=",", usecols=(0, 1, 2, 3, 4), ndmin=2)
    return {name: data[:, k] for k, name in enumerate(("nu", "S", "E_lower", "g_upper",
                                                       "g_lower"))}


def _polynomial_design(j, n_distortion, origin):
    """Columns [1,] x, -x^2, x^3 (first n_distortion of -x^2, x^3) with x = J(J+1)."""
    x = j * (j + 1.0)
    columns = ([np.ones_like(x)] if origin else []) + [x, -x**2, x**3][:1 + n_distortion]
    return np.column_stack(columns)


def _linear_fit(design, values):
    """Least-squares coefficients, with columns scaled for conditioning."""
    scale = np.linalg.norm(design, axis=0)
    coef = np.linalg.lstsq(design / scale, values, rcond=None)[0]
    return coef / scale


def identify_band_lines(hitran, lower, ground_b):
    """Identify the lines of a band from the ground vibrational state (see above).

    Parameters
    ----------
    hitran : dict
        Columns from `read_hitran_csv`.
    lower : dict
        Ground-state parameters; only ``gns_even`` / ``gns_odd`` are used.
    ground_b : float
        Start value of B'' (1/cm) for the iterated identification.

    Returns
    -------
    ground : dict
        Fitted ground-state ``B``, ``D``, ``H`` and the levels used (``J``, ``E``).
    index : numpy.ndarray
        Indices into ``hitran`` of the identified lines, ordered by wavenumber.
    j_lower, j_upper : numpy.ndarray
        Their rotational quantum numbers.
    """
    e_low, g_low, g_up = hitran["E_lower"], hitran["g_lower"], hitran["g_upper"]
    # HITRAN includes the nuclear-spin factor of every level in g (13C: 2I+1 = 2); the
    # J'' = 0 level (lowest E'') gives it directly.
    g_spin = g_low[np.argmin(e_low)]
    j_low, j_up = (g_low / g_spin - 1) / 2, (g_up / g_spin - 1) / 2
    parity_ok = np.where(np.rint(j_low) % 2 == 0, lower["gns_even"], lower["gns_odd"]) > 0
    usable = ((j_low == np.rint(j_low)) & (j_up == np.rint(j_up)) & parity_ok
              & (np.abs(j_up - j_low) == 1))
    j_low, j_up = np.rint(j_low).astype(int), np.rint(j_up).astype(int)

    coef = np.array([ground_b, 0.0, 0.0])
    for j_max, tol, n_dist in _GROUND_SCHEDULE:
        model = _polynomial_design(j_low.astype(float), 2, origin=False) @ coef
        pick = usable & (np.abs(e_low - model) < tol)
        if j_max is not None:
            pick &= j_low <= j_max
        levels, first = np.unique(j_low[pick], return_index=True)
        energies = e_low[pick][first]
        coef = np.zeros(3)
        coef[:1 + n_dist] = _linear_fit(
            _polynomial_design(levels.astype(float), n_dist, origin=False), energies)
    model = _polynomial_design(j_low.astype(float), 2, origin=False) @ coef
    candidates = np.flatnonzero(usable & (np.abs(e_low - model) < _LINE_TOLERANCE))
    best = {}
    for k in candidates:
        key = (j_low[k], j_up[k])
        if key not in best or hitran["S"][k] > hitran["S"][best[key]]:
            best[key] = k
    index = np.array(sorted(best.values(), key=lambda k: hitran["nu"][k]))
    ground = {"B": coef[0], "D": coef[1], "H": coef[2], "J": levels, "E": energies}
    return ground, index, j_low[index], j_up[index]


def fit_effective_constants(hitran, lower, ground_b):
    """Fit effective G, B, D, H of both states of a band from the ground state.

    Returns
    -------
    constants : dict
        ``{"lower": {B, D, H}, "upper": {G, B, D, H}}`` (1/cm).
    summary : dict
        Numbers of levels and lines used, their J ranges and the fit residuals (1/cm).
    """
    ground, index, j_low, j_up = identify_band_lines(hitran, lower, ground_b)
    e_up = hitran["E_lower"][index] + hitran["nu"][index]
    coef = _linear_fit(_polynomial_design(j_up.astype(float), 2, origin=True), e_up)
    upper = dict(zip(("G", "B", "D", "H"), coef))
    res_low = (_polynomial_design(ground["J"].astype(float), 2, origin=False)
               @ np.array([ground["B"], ground["D"], ground["H"]]) - ground["E"])
    res_up = _polynomial_design(j_up.astype(float), 2, origin=True) @ coef - e_up
    summary = {
        "lower_levels": int(ground["J"].size),
        "lower_J_max": int(ground["J"].max()),
        "lines": int(index.size),
        "P_J_lower_max": int(j_low[j_up < j_low].max()),
        "R_J_lower_max": int(j_low[j_up > j_low].max()),
        "max_abs_residual_lower_cm": float(f"{np.max(np.abs(res_low)):.2g}"),
        "max_abs_residual_upper_cm": float(f"{np.max(np.abs(res_up)):.2g}"),
    }
    lower_fit = {name: ground[name] for name in ("B", "D", "H")}
    return {"lower": lower_fit, "upper": upper}, summary


def refit(hitran_path, constants_dir=HERE):
    """Refit the 13C16O2 constants to a HITRAN CSV and rewrite ``linear_constants.ecsv``.

    The 13CO2 rows of the table are replaced; every other row is kept as it is.

    Parameters
    ----------
    hitran_path : str or pathlib.Path
        HITRAN CSV subset of 13C16O2 (e.g. ``hitran_co2_636_2200-2320cm.csv``).
    constants_dir : str or pathlib.Path
        Directory of ``linear_constants.ecsv``.

    Returns
    -------
    dict
        The fit summary (also stored in the table's metadata).
    """
    from astropy.table import vstack

    constants = read_constants(constants_dir)
    states = _states(constants)
    species = REFIT["species"]
    lower = states[(species, REFIT["lower"])]
    ground_b = states[(REFIT["start_from"], REFIT["lower"])]["B"]
    fitted, summary = fit_effective_constants(read_hitran_csv(hitran_path), lower, ground_b)

    rows = []
    for state, key in ((REFIT["lower"], "lower"), (REFIT["upper"], "upper")):
        params = fitted[key] if key == "upper" else {"G": 0.0, **fitted[key]}
        for name in ("G", "B", "D", "H"):
            note = REFIT_NOTE if name != "G" or key == "upper" else "ground state"
            rows.append((species, state, name, float(f"{params[name]:.10g}"), "1/cm",
                         REFIT_REFERENCE, note))
        if key == "lower":   # spin weights (not fitted) stay as they are
            for name in ("gns_even", "gns_odd"):
                old = constants[(constants["species"] == species)
                                & (constants["state"] == state)
                                & (constants["parameter"] == name)][0]
                rows.append(tuple(old[c] for c in constants.colnames))
    new = constants[:0].copy()
    for row in rows:
        new.add_row(row)
    keep = constants[constants["species"] != species]
    after = np.flatnonzero(keep["species"] == REFIT["start_from"]).max() + 1
    table = vstack([keep[:after], new, keep[after:]], metadata_conflicts="silent")
    table.meta = constants.meta
    table.meta["references"][REFIT_REFERENCE] = REFIT_REFERENCE_TEXT
    table.meta["refit_summary"] = {species: summary}
    table.write(Path(constants_dir) / CONSTANTS_FILE, format="ascii.ecsv", overwrite=True)
    return summary


def main(argv=None):
    """Command line: optionally refit the 13CO2 constants, then rebuild every line list."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", nargs="?", default=str(HERE),
                        help="where to write the line lists (default: linelists/)")
    parser.add_argument("--refit", metavar="HITRAN_CSV",
                        help="first refit the 13C16O2 constants in linear_constants.ecsv to "
                             "the 00011-00001 lines of this HITRAN CSV subset")
    args = parser.parse_args(argv)
    if args.refit:
        print(refit(args.refit))
    for path in build_all(Path(args.out_dir)):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
