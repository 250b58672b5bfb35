"""Solar-pumped fluorescence equilibrium: line and band g-factors, template line weights.

In a coma the infrared bands are fluorescence. Sunlight pumps molecules out of the ground
vibrational state, whose rotational levels are in Boltzmann equilibrium at ``T_rot``
(collisions in the inner coma); each excited rotational level decays radiatively
(A ~ 1e2-1e3 s^-1, far faster than collisions) through all its lines, in proportion to
their Einstein A. For a molecule in the ground state (per molecule, at r_h = 1 au):

* population of lower level l: ``n_l = g_l exp(-c2 E_l / T) / Z`` (H2O: ortho and para
  normalised separately to ``ortho_para / (1 + ortho_para)`` and ``1 / (1 + ortho_para)``);
* pumping rate of upper level u:
  ``P_u = sum_l n_l (g_u / g_l) A_ul Phi(nu_ul) / (8 pi c nu_ul^2)``, where
  ``Phi`` is the solar photon flux per unit wavenumber at 1 au (photons s^-1 cm^-2 (cm^-1)^-1)
  from the ASTM E490-00a spectrum (``linelists/solar_irradiance.ecsv``) and
  ``g_u A_ul / (8 pi c nu^2 g_l)`` is the integrated absorption cross-section;
* photon emission rate (line g-factor) of line u -> l': ``g_ul' = P_u A_ul' / sum_l A_ul``.

The upper level's decay channels include the lines to excited lower states that the line
lists hold: H2O (001) -> (010) (nu3-nu2, 4.63 µm) and (100) -> (010) (nu1-nu2, 4.85 µm),
with HITRAN's absolute A line by line (:mod:`comaspec.physics.h2o_cascade`), so each level's
vibrational branching is HITRAN's. H2O (100) and (001) levels are also fed by the cascade
from (101), (200), (002), pumped from the ground state at 1.38 µm (same module). The CO2
(00011) -> (10002)/(10001) laser channels (A < 1 s^-1 against several hundred for nu3,
Rothman & Young 1981 constants) are below 0.1 % and are left out.

Absolute Einstein A come from ``linelists/einstein_a.ecsv`` (one number per band, derived
from HITRAN2020 line intensities by ``linelists/build_einstein_a.py``); the line lists give
relative A within a band. Bands pumped from a *vibrationally excited* state (the H2O
2.7 µm hot bands nu2+nu3-nu2 and nu1+nu3-nu1, whose lower states are fed by the cascade)
are not modelled from first principles: their band strength keeps the cited ratio to the
nu3 band, and their line shape is fluorescence pumped from a lower vibrational state whose
rotational levels are taken to be thermal at ``T_rot`` (nu1+nu3-nu1: the nu3 pattern moved
to its centre, as in :mod:`comaspec.templates`).

Everything here works on float64 arrays in cm^-1 and s^-1; the public functions return
astropy Quantities and tables.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from .._paths import linelists_dir
from ..errors import InputError
from .linelists import line_lists, read_table
# the Sun: E490 continuum (default) or Meftah et al. 2023 at the comet's rdot
from .solar import photon_flux as _solar_photons
from .solar import solar_photon_flux

__all__ = ["line_g_factors", "band_g_factor", "emission_weights", "solar_photon_flux",
           "EMISSION_MODELS", "DEFAULT_EMISSION", "DEFAULT_ORTHO_PARA"]

#: Emission models understood by the templates and the fitter.
EMISSION_MODELS = ("fluorescence", "thermal")
#: The default emission model.
DEFAULT_EMISSION = "fluorescence"
#: H2O ortho/para ratio used unless given or fitted: the high-temperature limit, the ratio
#: of the nuclear-spin weights of the ortho and para levels, 3 : 1 (Herzberg 1945, ch. I).
DEFAULT_ORTHO_PARA = 3.0

# H2O: vibrational (upper, lower) states of each band of linelists/h2o_lines.ecsv.
_H2O_STATES = {
    "nu3": ("(001)", "(000)"),
    "nu1": ("(100)", "(000)"),
    "nu3-nu2": ("(001)", "(010)"),
    "nu1-nu2": ("(100)", "(010)"),
    "nu2+nu3-nu2": ("(011)", "(010)"),
    "nu1+nu3-nu1": ("(101)", "(100)"),
}
# H2O bands whose upper levels are pumped from the ground state, and its decay channels to
# (010) (their A from HITRAN, h2o_cascade) with the (000) band of the same upper state.
_H2O_GROUND_BANDS = ("nu3", "nu1", "nu3-nu2", "nu1-nu2")
_H2O_CHANNEL_PARENT = {"nu3-nu2": "nu3", "nu1-nu2": "nu1"}
# H2O bands pumped from an excited vibrational state: band -> band whose computed g-factor
# their cited g-ratio refers to.
_H2O_HOT_PARENT = {"nu2+nu3-nu2": "nu3", "nu1+nu3-nu1": "nu3"}


# ----------------------------------------------------------------------------- constants
@functools.cache
def _constants():
    """(c2 = h c / k_B in cm K, c in cm/s, h c in J cm) from astropy.constants (CODATA)."""
    from astropy import constants as const
    from astropy import units as u

    return (float((const.h * const.c / const.k_B).to_value(u.cm * u.K)),
            float(const.c.to_value(u.cm / u.s)),
            float((const.h * const.c).to_value(u.J * u.cm)))


# ----------------------------------------------------------------------------- line systems
@dataclass(frozen=True)
class _System:
    """The lines of one species that share rotational levels, as float64 arrays.

    Levels are indices: ``upper``/``lower`` map each line to its levels. Only lines whose
    lower level is in the pumped (thermal) vibrational state (``pump``) absorb sunlight;
    every line of an upper level is a decay channel.
    """

    species: str
    band: np.ndarray            # str, per line
    wavenumber: np.ndarray      # cm^-1, per line
    a_rel: np.ndarray           # Einstein A within a band, relative (line list)
    upper: np.ndarray           # int, per line
    lower: np.ndarray           # int, per line
    pump: np.ndarray            # bool, per line
    upper_g: np.ndarray         # per upper level
    lower_g: np.ndarray         # per lower level (rotational degeneracy)
    lower_energy: np.ndarray    # per lower level, cm^-1 within its vibrational state
    lower_ortho: np.ndarray | None   # per lower level (H2O)
    upper_label: np.ndarray     # str, per upper level
    lower_label: np.ndarray     # str, per lower level
    line_label: np.ndarray      # str, per line
    # True when a_rel holds absolute Einstein A from the line list (labelled lists,
    # comaspec.physics.levels)
    a_is_absolute: bool = False


def _line_list_file(species, band):
    """The line-list file of (species, band) (the registry, comaspec.physics.linelists), or None."""
    return line_lists().get((species, band))


def _read_lines(filename):
    return read_table(filename)


def _index(keys):
    """Unique row keys -> (index per row, first row of each unique key).

    The same as ``np.unique(keys, axis=0, return_index=True, return_inverse=True)`` (keys
    numbered in lexicographic order of their rows, first = earliest row), with a stable
    lexsort of the columns instead of a sort of the rows as opaque records, which took
    most of the first H2O fluorescence set-up of every command.
    """
    keys = np.asarray(keys)
    keys = keys[:, None] if keys.ndim == 1 else keys
    order = np.lexsort(keys.T[::-1])  # np.lexsort sorts by its last key first
    ordered = keys[order]
    starts = np.ones(len(keys), dtype=bool)
    starts[1:] = np.any(ordered[1:] != ordered[:-1], axis=1)
    inverse = np.empty(len(keys), dtype=np.intp)
    inverse[order] = np.cumsum(starts) - 1
    return inverse, order[starts]


def _linear_system(species, band):
    filename = _line_list_file(species, band)
    table = _read_lines(filename)
    for name in ("J_lower", "J_upper", "E_lower", "branch"):
        if name not in table.colnames:
            raise InputError(linelists_dir() / filename, f"missing column {name}")
    j_up = np.asarray(table["J_upper"], dtype=np.int64)
    j_low = np.asarray(table["J_lower"], dtype=np.int64)
    g_up = np.asarray(table["g_upper"], dtype=np.float64)
    upper, up_first = _index(j_up[:, None])
    lower, low_first = _index(j_low[:, None])
    # nuclear-spin weight of the pair (same for both levels of an allowed line)
    spin = g_up / (2 * j_up + 1)
    branch = np.asarray(table["branch"]).astype(str)
    return _System(
        species=species,
        band=np.full(len(table), band),
        wavenumber=np.asarray(table["wavenumber"], dtype=np.float64),
        a_rel=np.asarray(table["A_rel"], dtype=np.float64),
        upper=upper, lower=lower, pump=np.ones(len(table), dtype=bool),
        upper_g=g_up[up_first],
        lower_g=(spin * (2 * j_low + 1))[low_first],
        lower_energy=np.asarray(table["E_lower"], dtype=np.float64)[low_first],
        lower_ortho=None,
        upper_label=np.array([f"J={j}" for j in j_up[up_first]]),
        lower_label=np.array([f"J={j}" for j in j_low[low_first]]),
        line_label=np.array([f"{b}{j}" for b, j in zip(branch, j_low)]),
    )


def _h2o_rows(bands):
    table = _read_lines("h2o_lines.ecsv")
    band = np.asarray(table["band"]).astype(str)
    rows = table[np.isin(band, bands)]
    if not len(rows):
        raise InputError(linelists_dir() / "h2o_lines.ecsv", f"no lines of {', '.join(bands)}")
    return rows


def _h2o_system(bands, pump_state):
    """H2O lines of ``bands``; levels keyed by (vibrational state, J, Ka, Kc)."""
    from . import molecules

    rows = _h2o_rows(bands)
    band = np.asarray(rows["band"]).astype(str)
    nu = np.asarray(rows["wavenumber"], dtype=np.float64)
    q = {n: np.asarray(rows[n], dtype=np.int64) for n in ("J_u", "Ka_u", "Kc_u", "J_l", "Ka_l", "Kc_l")}
    vib_up = np.array([_H2O_STATES[b][0] for b in band])
    vib_low = np.array([_H2O_STATES[b][1] for b in band])
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
    return _System(
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


@functools.cache
def _system(species, band):
    """The _System that holds (species, band), and the bands it models together."""
    if species == "H2O":
        if band in _H2O_GROUND_BANDS:
            return _h2o_system(_H2O_GROUND_BANDS, "(000)")
        if band == "nu2+nu3-nu2":
            return _h2o_system(("nu2+nu3-nu2",), "(010)")
        raise InputError(f"H2O {band}", "no line list of its own (see comaspec.templates)")
    filename = _line_list_file(species, band)
    if filename is not None:
        from . import levels

        table = _read_lines(filename)
        if levels.is_labelled(table):
            return _System(**levels.labelled_system(species, filename, table))
        return _linear_system(species, band)
    raise InputError(f"{species} {band}", "no fluorescence model (unknown species or band)")


# ----------------------------------------------------------------------------- Einstein A
@functools.cache
def _einstein_a_table():
    from .molecules import _read

    table = _read("einstein_a.ecsv")
    a_v = table["A_lowest_upper"].quantity.to_value("1/s")
    return {(str(r["species"]), str(r["band"])): {"A": float(a), "source": str(r["source"])}
            for r, a in zip(table, a_v)}


def band_einstein_a(species, band):
    """Einstein A (s^-1) summed over a band's lines from its lowest upper level, or None."""
    row = _einstein_a_table().get((species, band))
    return None if row is None else row["A"]


@functools.cache
def _absolute_a(species, band):
    """Absolute Einstein A per line of _system(species, band) (s^-1), or None if unknown.

    Each band with a tabulated A is scaled so that the A summed over the lines of its
    lowest upper level equals the table's value; an H2O decay channel to (010) is scaled,
    level by level, to the cited branching ratio of its parent band.
    """
    system = _system(species, band)
    if system.a_is_absolute:
        return system.a_rel
    a = np.full(system.a_rel.size, np.nan)
    for b in np.unique(system.band):
        in_band = system.band == b
        a_v = band_einstein_a(species, b)
        if a_v is None:
            continue
        level = _lowest_upper_level(system, in_band)
        a[in_band] = system.a_rel[in_band] * a_v / system.a_rel[in_band & (system.upper == level)].sum()
    if species == "H2O":
        from . import h2o_cascade

        # the 4.7 um channels with HITRAN's absolute A, line by line (h2o_cascade)
        for channel in _H2O_CHANNEL_PARENT:
            in_channel = system.band == channel
            if in_channel.any():
                a[in_channel] = h2o_cascade.channel_a(system.upper_label[system.upper[in_channel]],
                                                      system.lower_label[system.lower[in_channel]])
    if not np.all(np.isfinite(a)):
        return None
    a.flags.writeable = False
    return a


def _lowest_upper_level(system, in_band):
    """Index of the band's upper level that has the lowest energy (lowest J, then most lines)."""
    levels = np.unique(system.upper[in_band])
    # level energy is not stored for upper levels; the lowest level has the smallest
    # degeneracy among those decaying to the lowest lower level
    energy = np.full(system.upper_g.size, np.inf)
    e_up = system.lower_energy[system.lower] + system.wavenumber
    np.minimum.at(energy, system.upper[in_band], e_up[in_band])
    return int(levels[np.argmin(energy[levels])])


def _cited_g_ratio(band, parent):
    from . import molecules

    return molecules.get_band("H2O", band).g_1au / molecules.get_band("H2O", parent).g_1au


# ----------------------------------------------------------------------------- equilibrium
class _PumpTerms:
    """The temperature-independent factors of `_line_rates` for one system and its A.

    Gathered once: the forward model evaluates the rates at a new T_rot many times per fit.
    The arithmetic at each T_rot is the same, term by term and in the same order.
    """

    def __init__(self, system, a, solar="e490", rdot_km_s=0.0):
        _, c_cm, _ = _constants()
        self.pumped, self.minus_c2_de = _boltzmann_terms(system)
        p = system.pump
        nu = system.wavenumber[p]
        self.lower_p = system.lower[p]
        self.upper_p = system.upper[p]
        self.upper_g_p = system.upper_g[self.upper_p]
        self.lower_g_p = system.lower_g[self.lower_p]
        self.a_p = a[p]
        photons = functools.partial(_solar_photons, solar=solar, rdot_km_s=rdot_km_s)
        self.solar_p = photons(nu)
        self.denominator = 8 * math.pi * c_cm * nu * nu
        self.n_up = system.upper_g.size
        self.decay_line = np.bincount(system.upper, a, minlength=self.n_up)[system.upper]
        self.cascade = None
        if system.species == "H2O" and "nu1" in system.band:
            from . import h2o_cascade

            self.cascade = h2o_cascade.cascade_matrix(system.upper_label, system.lower_label, photons)


def _boltzmann_terms(system):
    """(lower levels of the pumped state, -c2 (E - E_min) per lower level): the
    temperature-independent part of the Boltzmann factors."""
    c2, _, _ = _constants()
    e = system.lower_energy
    pumped = np.zeros(e.size, dtype=bool)
    pumped[system.lower[system.pump]] = True
    return pumped, -c2 * (e - e[pumped].min())


def _populations(system, T_rot, ortho_para, terms=None):
    """Fraction of molecules in each lower level of the pumped state (sums to 1).

    ``terms``: the system's `_PumpTerms`, if already gathered.
    """
    pumped, minus_c2_de = _boltzmann_terms(system) if terms is None else (terms.pumped, terms.minus_c2_de)
    w = np.where(pumped, system.lower_g * np.exp(minus_c2_de / T_rot), 0.0)
    if system.lower_ortho is None:
        return w / w.sum()
    ortho = system.lower_ortho
    z_o, z_p = w[ortho].sum(), w[~ortho].sum()
    f_o = ortho_para / (1.0 + ortho_para)
    return np.where(ortho, w * f_o / z_o if z_o > 0 else 0.0, w * (1 - f_o) / z_p if z_p > 0 else 0.0)


def _line_rates(system, a, T_rot, ortho_para, terms=None):
    """Photon emission rate per molecule of every line at 1 au (1/s), for Einstein A ``a``.

    With relative A the rates are relative too (the band shapes are unchanged). ``terms``:
    the `_PumpTerms` of (system, a), if already gathered.
    """
    t = _PumpTerms(system, a) if terms is None else terms
    n = _populations(system, T_rot, ortho_para, t)
    absorb = n[t.lower_p] * t.upper_g_p / t.lower_g_p * t.a_p * t.solar_p / t.denominator
    pumping = np.bincount(t.upper_p, absorb, minlength=t.n_up)
    if t.cascade is not None:
        # H2O: (100) and (001) levels also fed by the 1.38 um cascade (h2o_cascade)
        pumping = pumping + t.cascade @ n
    return pumping[system.upper] * a / t.decay_line


def check_temperature(T_rot, *, bounded=True):
    """T_rot in K as a float (see `comaspec._validate.rotational_temperature`); InputError else."""
    from .._validate import rotational_temperature

    return rotational_temperature(T_rot, bounded=bounded)


def check_ortho_para(ortho_para):
    """The H2O ortho/para ratio as a finite float >= 0 (booleans refused); InputError else."""
    from .._validate import not_boolean

    not_boolean(ortho_para, "ortho_para")
    try:
        value = float(ortho_para)
    except (TypeError, ValueError):
        raise InputError("ortho_para", f"must be a number, got {ortho_para!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise InputError("ortho_para", f"must be a finite number >= 0, got {value}")
    return value


def _rates(species, band, T_rot, ortho_para, solar="e490", rdot_km_s=0.0):
    """(system, per-line photon rates, absolute?) at 1 au.

    Computed once per system and temperature: the bands a system models together (the
    four H2O bands from (000)) share the result, which does not depend on the band asked for.
    """
    return _system_rates(species, str(_system(species, band).band[0]), T_rot, ortho_para, solar, rdot_km_s)


@functools.lru_cache(maxsize=64)
def _system_a(species, band, solar="e490", rdot_km_s=0.0):
    """(system, Einstein A per line, absolute?) of the system that holds ``band``, with its
    `_PumpTerms`."""
    system = _system(species, band)
    a = _absolute_a(species, band)
    absolute = a is not None
    if not absolute:
        a = system.a_rel
    return system, a, absolute, _PumpTerms(system, a, solar, rdot_km_s)


@functools.lru_cache(maxsize=256)
def _system_rates(species, band, T_rot, ortho_para, solar="e490", rdot_km_s=0.0):
    """`_rates` of the system that holds ``band``."""
    system, a, absolute, terms = _system_a(species, band, solar, rdot_km_s)
    rates = _line_rates(system, a, T_rot, ortho_para, terms)
    rates.flags.writeable = False
    return system, rates, absolute


def emission_weights(species, band, T_rot, *, ortho_para=DEFAULT_ORTHO_PARA):
    """Lines of one band in fluorescence equilibrium, as fractions of the band's energy.

    The hot band ``nu1+nu3-nu1`` of H2O, which has no lines of its own, is the nu3 pattern
    moved to its centre (as in :mod:`comaspec.templates`).

    Parameters
    ----------
    species, band : str
        As in ``linelists/bands.ecsv``.
    T_rot : float or `~astropy.units.Quantity`
        Rotational temperature of the pumped vibrational state, K.
    ortho_para : float, optional
        H2O ortho/para ratio of the pumped state (default 3).

    Returns
    -------
    wavenumber_cm : ndarray
        Line positions, cm^-1.
    weight : ndarray
        Fraction of the band's emitted energy in each line (sums to 1).

    Raises
    ------
    comaspec.InputError
        Unknown band, no line list, bad ``T_rot`` or ``ortho_para``.
    """
    return band_emission_weights(species, band, check_temperature(T_rot), check_ortho_para(ortho_para))


def band_emission_weights(species, band, T, opr):
    """`emission_weights` at a checked T (K, any positive value: the templates' fits) and o/p."""
    shift = 0.0
    if species == "H2O" and band == "nu1+nu3-nu1":
        from . import molecules

        shift = molecules.get_band("H2O", band).center_cm - molecules.get_band("H2O", "nu3").center_cm
        band = "nu3"
    _, rates, _ = _rates(species, band, T, opr)
    in_band, wavenumber = _band_lines(species, band)
    energy = rates[in_band] * wavenumber
    total = energy.sum()
    if not total > 0:
        raise InputError(f"{species} {band}", f"no line is pumped at T_rot = {T} K")
    return wavenumber + shift, energy / total


@functools.cache
def _band_lines(species, band):
    """(mask of the band's lines in its system, their wavenumbers), read-only."""
    system = _system(species, band)
    in_band = system.band == band
    wavenumber = system.wavenumber[in_band]
    in_band.flags.writeable = wavenumber.flags.writeable = False
    return in_band, wavenumber


def _band_photon_rate(species, band, T, opr, solar="e490", rdot_km_s=0.0):
    """Photon g-factor (1/s at 1 au) of one band; (value, origin)."""
    if species == "H2O" and band == "nu1+nu3-nu1":
        return _h2o_101_to_100(T, opr, solar, rdot_km_s), "computed: (101) -> (100) lines of the 1.38 um cascade"
    if species == "H2O" and band in _H2O_HOT_PARENT:
        parent = _H2O_HOT_PARENT[band]
        g_parent, _ = _band_photon_rate(species, parent, T, opr, solar, rdot_km_s)
        return (g_parent * _cited_g_ratio(band, parent),
                f"shape computed, band g from the cited ratio to {parent}")
    system, rates, absolute = _rates(species, band, T, opr, solar, rdot_km_s)
    if not absolute:
        raise InputError(f"{species} {band}", "no absolute Einstein A (linelists/einstein_a.ecsv): "
                                              "no g-factor can be computed")
    origin = "computed"
    return float(rates[system.band == band].sum()), origin


def _h2o_101_to_100(T, opr, solar, rdot_km_s):
    """Photons of the (101) -> (100) lines (1/s at 1 au): the cascade that feeds (100)."""
    from . import h2o_cascade

    system = _system("H2O", "nu3")
    photons = functools.partial(_solar_photons, solar=solar, rdot_km_s=rdot_km_s)
    lines = h2o_cascade.cascade_line_rates(system.lower_label, _populations(system, T, opr), photons)
    keep = np.char.startswith(lines["upper"], "(101)") & np.char.startswith(lines["lower"], "(100)")
    return float(lines["rate"][keep].sum())


def band_g_factor(species, band, T_rot, *, ortho_para=DEFAULT_ORTHO_PARA, solar="e490", rdot=0.0):
    """Band g-factor at r_h = 1 au from the fluorescence-equilibrium model.

    Parameters
    ----------
    species, band : str
        As in ``linelists/bands.ecsv``.
    T_rot : float or `~astropy.units.Quantity`
        Rotational temperature of the ground vibrational state, K.
    ortho_para : float, optional
        H2O ortho/para ratio (default 3).
    solar : {"e490", "meftah2023"}, optional
        Solar spectrum: the smooth E490 continuum (default) or the high-resolution Meftah et
        al. 2023 spectrum seen at ``rdot`` (:mod:`comaspec.physics.solar`).
    rdot : float or `~astropy.units.Quantity`, optional
        Heliocentric radial velocity (km/s if no unit; positive away from the Sun); used
        with ``solar="meftah2023"``.

    Returns
    -------
    `~astropy.units.Quantity`
        Photons s^-1 per molecule at 1 au (scale as r_h^-2). H2O nu1+nu3-nu1 is the sum of
        the (101) -> (100) lines of the 1.38 µm cascade; nu2+nu3-nu2, pumped from (010), is
        the computed nu3 value times its cited g-ratio.

    Raises
    ------
    comaspec.InputError
        No line list or no absolute Einstein A for the band (OCS), bad arguments.
    """
    from astropy import units as u

    value, _ = _band_photon_rate(species, band, check_temperature(T_rot), check_ortho_para(ortho_para),
                                 *_solar_args(solar, rdot))
    return value / u.s


def _solar_args(solar, rdot):
    """(solar, rdot in km/s) checked; rdot is 0 for E490 (a continuum: no Doppler effect)."""
    from . import solar as _solar

    name, v = _solar.check_solar(solar), _solar.check_rdot(rdot)
    return name, (v if name == "meftah2023" else 0.0)


def line_g_factors(species, T_rot, *, ortho_para=DEFAULT_ORTHO_PARA, solar="e490", rdot=0.0):
    """Line g-factors of every modelled band of a species in fluorescence equilibrium.

    Parameters
    ----------
    species : str
        "CO2", "13CO2", "CO" or "H2O".
    T_rot : float or `~astropy.units.Quantity`
        Rotational temperature of the ground vibrational state, K.
    ortho_para : float, optional
        H2O ortho/para ratio of the ground state (default 3).
    solar, rdot : optional
        Solar spectrum and heliocentric radial velocity, as in `band_g_factor`.

    Returns
    -------
    `~astropy.table.QTable`
        One row per line, sorted by wavenumber: ``wavenumber`` (1/cm), ``wavelength`` (µm),
        ``g`` (1/s per molecule at 1 au), ``band``, ``upper`` and ``lower`` (quantum labels:
        H2O ``(001)111``; linear molecules ``J=2``), ``line`` (H2O ``(001)111-(010)110``,
        linear ``R1``/``P2``), and ``origin`` ("computed", or how a cited ratio enters).
        H2O nu1+nu3-nu1 has no lines of its own and is not listed.

    Raises
    ------
    comaspec.InputError
        Unknown species, no absolute Einstein A (OCS), bad arguments.
    """
    return line_table(species, check_temperature(T_rot), check_ortho_para(ortho_para), _solar_args(solar, rdot))


def line_table(species, T, opr, sun=("e490", 0.0)):
    """`line_g_factors` at a checked T (K; any positive value, e.g. the T -> 0 limit) and o/p;
    ``sun``: (solar spectrum, rdot in km/s) as checked by `_solar_args`."""
    from astropy import units as u
    from astropy.table import QTable, vstack

    from . import molecules

    try:
        bands = [b.band for feature in molecules.features_of(species)
                 for b in molecules.bands_of(species, feature)]
    except InputError:
        raise InputError(f"species {species!r}", "unknown species") from None
    parts = []
    for band in bands:
        if species == "H2O" and band == "nu1+nu3-nu1":
            continue
        system, rates, _ = _rates(species, band, T, opr, *sun)
        in_band = system.band == band
        # the band's g-factor (and where it comes from) scales its lines; a no-op for bands
        # with absolute A, the cited ratio for the hot bands pumped from excited states
        band_g, origin = _band_photon_rate(species, band, T, opr, *sun)
        scale = band_g / rates[in_band].sum()
        nu = system.wavenumber[in_band]
        part = QTable()
        part["wavenumber"] = nu / u.cm
        part["wavelength"] = (1e4 / nu) * u.um
        part["g"] = rates[in_band] * scale / u.s
        part["band"] = system.band[in_band]
        part["upper"] = system.upper_label[system.upper[in_band]]
        part["lower"] = system.lower_label[system.lower[in_band]]
        part["line"] = system.line_label[in_band]
        part["origin"] = np.full(int(in_band.sum()), origin)
        parts.append(part)
    table = vstack(parts)
    table.sort("wavenumber")
    table.meta.update(species=species, T_rot_K=T, ortho_para=opr if species == "H2O" else None,
                      r_h="1 au (g scales as r_h^-2)",
                      solar_spectrum=("ASTM E490-00a (2014), linelists/solar_irradiance.ecsv" if sun[0] == "e490"
                                      else f"Meftah et al. 2023 at rdot = {sun[1]:g} km/s, "
                                           "linelists/solar_meftah2023.ecsv"),
                      einstein_a="linelists/einstein_a.ecsv")
    return table
