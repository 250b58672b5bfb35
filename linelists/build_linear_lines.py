"""Build the rovibrational line lists of the linear molecules from published constants.

Run from anywhere::

    python linelists/build_linear_lines.py          # rewrites linelists/*_lines.ecsv

The constants (with their references) are in ``linelists/linear_constants.ecsv``; nothing
here is a physical number except the quantum-mechanical rules of a Sigma-Sigma band:

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

import sys
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
    {"file": "co_1-0_lines.ecsv", "species": "CO", "band": "1-0",
     "upper": "X v=1", "lower": "X v=0", "j_max": 60},
)


def read_constants(directory=HERE):
    """Return the table of constants (``linear_constants.ecsv``) in ``directory``."""
    return Table.read(Path(directory) / CONSTANTS_FILE, format="ascii.ecsv")


def _states(constants):
    """{(species, state): {parameter: value}} from the constants table."""
    states = {}
    for row in constants:
        states.setdefault((str(row["species"]), str(row["state"])), {})[
            str(row["parameter"])] = float(row["value"])
    return states


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
    upper = states[(species, up_name)]
    lower = states[(species, lo_name)]

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


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    for path in build_all(out):
        print(path)
