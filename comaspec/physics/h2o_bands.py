"""H2O bands of the fluorescence model: the line system pumped from (000), and the 2.7 µm hot bands.

:mod:`comaspec.physics.fluorescence` solves the equilibrium; this module says which H2O lines
it solves for and how the hot bands are made.

* **Bands pumped from (000)** (`system_fields`): nu3, nu1 and their 4.7 µm channels
  nu3-nu2, nu1-nu2 share the (001) and (100) rotational levels of
  ``linelists/h2o_lines.ecsv``; (100) and (001) are also fed by the 1.38 µm cascade
  (:mod:`comaspec.physics.h2o_cascade`).
* **The 2.7 µm hot bands from their own HITRAN lines** (`hot_band_terms`, issue #19 item 3;
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
  radiative decay rates, ~10-20 s^-1): 1.3e-5 in (010) and 5.6e-6 in (100), so the light
  they would pump into (011) and (101) is 1.5e-4 and 6.4e-5 of each published hot-band g
  (``tests/test_h2o_hot_bands.py``).

Float64 arrays in cm^-1 and s^-1 throughout.
"""

from __future__ import annotations

import functools

import numpy as np

from .._paths import linelists_dir
from ..errors import InputError
from . import levels
from .linelists import read_table
from .spin import level_spin

__all__ = ["STATES", "GROUND_BANDS", "CHANNEL_PARENT", "HOT_BANDS", "system_fields", "cited_g_ratio",
           "hot_band_terms"]

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


def system_fields(bands, pump_state):
    """The fields of fluorescence's line system for the H2O ``bands`` of ``h2o_lines.ecsv``,
    pumped from ``pump_state``; levels keyed by (vibrational state, J, Ka, Kc).

    Built once per process and (bands, pump state): the four bands pumped from (000) share
    one system, which each of them asked for again (~10 ms a time at every start). A new
    dict each call; its arrays are shared and read-only.
    """
    return dict(_system_fields(tuple(bands), pump_state))


@functools.cache
def _system_fields(bands, pump_state):
    """`system_fields`, computed once (the uncached build is ``_system_fields.__wrapped__``)."""
    fields = _build_system_fields(bands, pump_state)
    for value in fields.values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return fields


def _build_system_fields(bands, pump_state):
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
    upper, up_first = levels.unique_rows(up_key)
    lower, low_first = levels.unique_rows(low_key)
    up_label = np.array(_labels(vib_up, q["J_u"], q["Ka_u"], q["Kc_u"], up_first))
    low_label = np.array(_labels(vib_low, q["J_l"], q["Ka_l"], q["Kc_l"], low_first))
    spin = level_spin("H2O", rows)
    return dict(
        species="H2O", band=band, wavenumber=nu,
        a_rel=np.asarray(rows["A_rel"], dtype=np.float64),
        upper=upper, lower=lower, pump=vib_low == pump_state,
        upper_g=(2 * q["J_u"] + 1).astype(np.float64)[up_first],
        lower_g=(2 * q["J_l"] + 1).astype(np.float64)[low_first],
        lower_energy=e_low[low_first],
        lower_spin=spin[low_first],
        upper_label=up_label, lower_label=low_label,
        line_label=np.array([f"{up}-{low}" for up, low in zip(up_label[upper].tolist(), low_label[lower].tolist())]),
    )


def _labels(vib, j, ka, kc, rows):
    """Level labels such as ``(001)111`` of the given line rows (Python values: formatting
    numpy scalars one by one took most of the system's build)."""
    return [f"{v}{a}{b}{c}" for v, a, b, c in zip(vib[rows].tolist(), j[rows].tolist(), ka[rows].tolist(),
                                                 kc[rows].tolist())]


def cited_g_ratio(band, parent="nu3"):
    """g(band) / g(parent) of the cited band g-factors (``linelists/bands.ecsv``)."""
    from . import molecules

    return molecules.get_band("H2O", band).g_1au / molecules.get_band("H2O", parent).g_1au


def hot_band_terms(band, lower_labels, upper_labels, solar_photons):
    """The lines of one 2.7 µm hot band and the matrix that gives their photon rates.

    Gathered once per solar spectrum; at each T_rot the rates are one product (see the
    module docstring for the physics).

    Parameters
    ----------
    band : {"nu1+nu3-nu1", "nu2+nu3-nu2"}
    lower_labels : sequence of str
        The model's (000) levels.
    upper_labels : sequence of str
        The model's (001)/(100) levels.
    solar_photons : callable
        Solar photon flux per unit wavenumber at 1 au of an array of wavenumbers.

    Returns
    -------
    lines : dict
        ``upper``, ``lower`` (labels) and ``wavenumber`` (cm^-1) per line, by wavenumber.
    matrix : ndarray
        nu1+nu3-nu1: the photon rates (1/s per molecule at 1 au) are ``matrix @ n``, ``n``
        the fraction of molecules in each (000) level. nu2+nu3-nu2: relative rates (shape
        only) ``matrix @ p``, ``p`` the direct pump rate of each (001)/(100) level.
    """
    from . import h2o_cascade

    if band == "nu1+nu3-nu1":
        lines = h2o_cascade.cascade_lines()
        keep = np.char.startswith(lines["upper"], "(101)") & np.char.startswith(lines["lower"], "(100)")
        source = _pumped_per_population(lower_labels, solar_photons)
        # each (101) level's decays: its 1.38 µm lines and its 2.7-2.9 µm lines
        total = h2o_cascade.decay_totals()
        share = lines["A"] / np.array([total[u] for u in lines["upper"].tolist()])
    elif band == "nu2+nu3-nu2":
        lines = h2o_cascade.hot_lines()
        keep = np.char.startswith(lines["lower"], "(010)")
        # each (011) J_KaKc level pumped like the (001) J_KaKc level of the model, decaying
        # through all its tabulated lines
        source = {f"(011){str(label)[5:]}": i for i, label in enumerate(upper_labels)
                  if str(label).startswith("(001)")}
        _, which = np.unique(lines["upper"], return_inverse=True)
        share = lines["A"] / np.bincount(which.ravel(), lines["A"])[which.ravel()]
    else:
        raise InputError(f"H2O {band}", f"not a 2.7 µm hot band ({', '.join(HOT_BANDS)})")
    width = len(lower_labels) if band == "nu1+nu3-nu1" else len(upper_labels)
    matrix = np.zeros((int(keep.sum()), width))
    for row, (u, f) in enumerate(zip(lines["upper"][keep].tolist(), share[keep].tolist())):
        pumped = source.get(u)
        if isinstance(pumped, int):             # nu2+nu3-nu2: the index of the (001) level
            matrix[row, pumped] = f
        elif pumped is not None:                # nu1+nu3-nu1: pump rates per (000) level
            matrix[row] = pumped * f
    order = np.argsort(lines["wavenumber"][keep], kind="stable")
    selected = {name: np.asarray(lines[name])[keep][order] for name in ("upper", "lower", "wavenumber")}
    return selected, matrix[order]


def _pumped_per_population(lower_labels, solar_photons):
    """(101)/(200)/(002) level -> its pump rate per unit population of each model (000) level."""
    from . import h2o_cascade

    pump = h2o_cascade.pump_lines()
    index = {str(label): i for i, label in enumerate(lower_labels)}
    out = {}
    rates = h2o_cascade.pump_rates(solar_photons).tolist()
    for u, low, r in zip(pump["upper"].tolist(), pump["lower"].tolist(), rates):
        if low in index:
            out.setdefault(u, np.zeros(len(lower_labels)))[index[low]] += r
    return out
