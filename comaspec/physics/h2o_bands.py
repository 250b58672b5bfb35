"""H2O bands of the fluorescence model: the line system pumped from (000), and the 2.7 µm hot bands.

:mod:`comaspec.physics.fluorescence` solves the equilibrium; this module says which H2O lines
it solves for and how the hot bands are made.

* **Bands pumped from (000)** (`system_fields`): nu3, nu1 and their 4.7 µm channels
  nu3-nu2, nu1-nu2 share the (001) and (100) rotational levels of
  ``linelists/h2o_lines.ecsv``; (100) and (001) are also fed by the 1.38 µm cascade
  (:mod:`comaspec.physics.h2o_cascade`).
* **The 2.7 µm hot bands from their own HITRAN lines** (`hot_band_lines`, issue #19 item 3;
  lines and A from ``linelists/h2o_cascade_lines.ecsv``, HITRAN: Gordon et al. 2022, JQSRT
  277, 107949):

  - nu1+nu3-nu1, (101) -> (100): the (101) levels are pumped from (000) by the 1.38 µm
    lines and decay through all their tabulated lines (the cascade the model computes);
    the band's lines are those that end in (100). Its g-factor is computed.
  - nu2+nu3-nu2, (011) -> (010): the (011) levels are pumped from (000) by the nu2+nu3
    band at 1.87 µm, whose lines are not in the shared HITRAN subsets. nu2+nu3 is an
    a-type band like nu3 (upper states of the same symmetry, B2), so each (011) J_KaKc
    level is taken to be pumped in proportion to the directly pumped (001) J_KaKc level of
    the model (same selection rules and Hönl-London pattern; rotational constants and the
    solar slope between 1.87 and 2.7 µm neglected). Each (011) level then decays through
    all its HITRAN lines (to (010), and near 6 µm to (001), (100), (020)); the band's lines
    are those that end in (010). Its g-factor keeps the cited ratio to nu3 (Ootsubo et al.
    2012, from Bockelée-Morvan & Crovisier 1989): without the 1.87 µm line intensities
    no absolute value can be computed.

  Pumping *from* (010) or (100) -- the lower states of these bands -- is left out: those
  states hold a fraction ~ g / A of the molecules (their g-factors, ~1e-4 s^-1, over their
  radiative decay rates, ~10-20 s^-1), so sunlight absorbed from them is ~1e-5 of that
  absorbed from (000) (`lower_state_share` computes it for (100)).

Float64 arrays in cm^-1 and s^-1 throughout.
"""

from __future__ import annotations

import math

import numpy as np

from .._paths import linelists_dir
from ..errors import InputError
from .linelists import read_table

__all__ = ["STATES", "GROUND_BANDS", "CHANNEL_PARENT", "HOT_BANDS", "system_fields", "cited_g_ratio",
           "hot_band_lines", "lower_state_share"]

#: Vibrational (upper, lower) states of each H2O band.
STATES = {
    "nu3": ("(001)", "(000)"),
    "nu1": ("(100)", "(000)"),
    "nu3-nu2": ("(001)", "(010)"),
    "nu1-nu2": ("(100)", "(010)"),
    "nu2+nu3-nu2": ("(011)", "(010)"),
    "nu1+nu3-nu1": ("(101)", "(100)"),
}
#: Bands whose upper levels are pumped from the ground state, modelled together.
GROUND_BANDS = ("nu3", "nu1", "nu3-nu2", "nu1-nu2")
#: Decay channel to (010) -> the (000) band of the same upper state (A from HITRAN, h2o_cascade).
CHANNEL_PARENT = {"nu3-nu2": "nu3", "nu1-nu2": "nu1"}
#: The 2.7 µm hot bands, built from their own HITRAN lines (`hot_band_lines`).
HOT_BANDS = ("nu2+nu3-nu2", "nu1+nu3-nu1")


def _rows(bands):
    table = read_table("h2o_lines.ecsv")
    band = np.asarray(table["band"]).astype(str)
    rows = table[np.isin(band, bands)]
    if not len(rows):
        raise InputError(linelists_dir() / "h2o_lines.ecsv", f"no lines of {', '.join(bands)}")
    return rows


def _index(keys):
    """Unique row keys -> (index per row, first row of each unique key)."""
    _, first, inverse = np.unique(np.asarray(keys), axis=0, return_index=True, return_inverse=True)
    return inverse.ravel(), first


def system_fields(bands, pump_state):
    """The fields of fluorescence's line system for the H2O ``bands`` of ``h2o_lines.ecsv``,
    pumped from ``pump_state``; levels keyed by (vibrational state, J, Ka, Kc)."""
    from . import molecules

    rows = _rows(bands)
    band = np.asarray(rows["band"]).astype(str)
    nu = np.asarray(rows["wavenumber"], dtype=np.float64)
    q = {n: np.asarray(rows[n], dtype=np.int64) for n in ("J_u", "Ka_u", "Kc_u", "J_l", "Ka_l", "Kc_l")}
    vib_up = np.array([STATES[b][0] for b in band])
    vib_low = np.array([STATES[b][1] for b in band])
    # energy of the lower level within its vibrational state: the band origin is the distance
    # between the 0_00 levels of its two states and E_rot_upper is counted from the upper 0_00
    names, which = np.unique(band, return_inverse=True)      # one look-up per band, not per line
    centre = np.array([molecules.get_band("H2O", b).center_cm for b in names])[which.ravel()]
    e_low = centre + np.asarray(rows["E_rot_upper"], dtype=np.float64) - nu
    up_key = np.stack([np.unique(vib_up, return_inverse=True)[1].ravel(), q["J_u"], q["Ka_u"], q["Kc_u"]], 1)
    low_key = np.stack([np.unique(vib_low, return_inverse=True)[1].ravel(), q["J_l"], q["Ka_l"], q["Kc_l"]], 1)
    upper, up_first = _index(up_key)
    lower, low_first = _index(low_key)
    up_label = np.array([f"{vib_up[i]}{q['J_u'][i]}{q['Ka_u'][i]}{q['Kc_u'][i]}" for i in up_first])
    low_label = np.array([f"{vib_low[i]}{q['J_l'][i]}{q['Ka_l'][i]}{q['Kc_l'][i]}" for i in low_first])
    ortho = np.asarray(rows["ortho"], dtype=bool)
    return dict(
        species="H2O", band=band, wavenumber=nu,
        a_rel=np.asarray(rows["A_rel"], dtype=np.float64),
        upper=upper, lower=lower, pump=vib_low == pump_state,
        upper_g=(2 * q["J_u"] + 1).astype(np.float64)[up_first],
        lower_g=(2 * q["J_l"] + 1).astype(np.float64)[low_first],
        lower_energy=e_low[low_first],
        lower_ortho=ortho[low_first],
        upper_label=up_label, lower_label=low_label,
        line_label=np.array([f"{up_label[u]}-{low_label[l]}" for u, l in zip(upper, lower)]),
    )


def cited_g_ratio(band, parent="nu3"):
    """g(band) / g(parent) of the cited band g-factors (``linelists/bands.ecsv``)."""
    from . import molecules

    return molecules.get_band("H2O", band).g_1au / molecules.get_band("H2O", parent).g_1au


def hot_band_lines(band, lower_labels, populations, upper_labels, direct_pumping, solar_photons):
    """Photon rates of the lines of one 2.7 µm hot band (see the module docstring).

    Parameters
    ----------
    band : {"nu1+nu3-nu1", "nu2+nu3-nu2"}
    lower_labels, populations : array_like
        The model's (000) levels and the fraction of molecules in each.
    upper_labels, direct_pumping : array_like
        The model's (001)/(100) levels and the rate (1/s per molecule) at which sunlight
        pumps each directly from (000).
    solar_photons : callable
        Solar photon flux per unit wavenumber at 1 au of an array of wavenumbers.

    Returns
    -------
    dict
        ``upper``, ``lower`` (labels), ``wavenumber`` (cm^-1) and ``rate`` per line, sorted by
        wavenumber: 1/s per molecule at 1 au for nu1+nu3-nu1; relative (shape only) for
        nu2+nu3-nu2.
    """
    from . import h2o_cascade

    if band == "nu1+nu3-nu1":
        lines = h2o_cascade.cascade_line_rates(lower_labels, populations, solar_photons)
        keep = np.char.startswith(lines["upper"], "(101)") & np.char.startswith(lines["lower"], "(100)")
    elif band == "nu2+nu3-nu2":
        lines = _011_line_rates(upper_labels, direct_pumping)
        keep = np.char.startswith(lines["lower"], "(010)")
    else:
        raise InputError(f"H2O {band}", f"not a 2.7 µm hot band ({', '.join(HOT_BANDS)})")
    order = np.argsort(lines["wavenumber"][keep], kind="stable")
    return {k: np.asarray(v)[keep][order] for k, v in lines.items()}


def _011_line_rates(upper_labels, direct_pumping):
    """Relative photon rates of every tabulated (011) line, each (011) J_KaKc level pumped
    like the (001) J_KaKc level."""
    from . import h2o_cascade

    hot = h2o_cascade.hot_lines()
    pump_001 = {str(label)[5:]: rate for label, rate in zip(upper_labels, direct_pumping)
                if str(label).startswith("(001)")}
    level = np.char.replace(hot["upper"], "(011)", "")
    pumped = np.array([pump_001.get(str(k), 0.0) for k in level])
    _, which = np.unique(hot["upper"], return_inverse=True)
    total_a = np.bincount(which.ravel(), hot["A"])[which.ravel()]
    return {"upper": hot["upper"], "lower": hot["lower"], "wavenumber": hot["wavenumber"],
            "rate": pumped * hot["A"] / total_a}


def lower_state_share(populations_100, solar_photons):
    """Rate (1/s per molecule) at which sunlight pumps (101) from (100), for given populations.

    Parameters
    ----------
    populations_100 : dict
        (100) level label -> fraction of all molecules in it.
    solar_photons : callable
        As in `hot_band_lines`.

    Returns
    -------
    float
        Sum over the tabulated (101) -> (100) lines of n_l (g_u / g_l) A Phi / (8 pi c nu^2).
    """
    from . import h2o_cascade

    lines = h2o_cascade.cascade_lines()
    keep = np.char.startswith(lines["upper"], "(101)") & np.char.startswith(lines["lower"], "(100)")
    n = np.array([populations_100.get(str(low), 0.0) for low in lines["lower"][keep]])
    nu = lines["wavenumber"][keep]
    return float(np.sum(n * lines["g_upper"][keep] / lines["g_lower"][keep] * lines["A"][keep]
                        * solar_photons(nu) / (8 * math.pi * 2.99792458e10 * nu * nu)))
