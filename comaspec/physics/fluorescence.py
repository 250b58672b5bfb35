"""Solar-pumped fluorescence equilibrium: line and band g-factors, template line weights.

In a coma the infrared bands are fluorescence. Sunlight pumps molecules out of the ground
vibrational state, whose rotational levels are in Boltzmann equilibrium at ``T_rot``
(collisions in the inner coma); each excited rotational level decays radiatively
(A ~ 1e2-1e3 s^-1, far faster than collisions) through all its lines, in proportion to
their Einstein A. For a molecule in the ground state (per molecule, at r_h = 1 au):

* population of lower level l: ``n_l = g_l exp(-c2 E_l / T) / Z`` (a molecule with spin
  species in ``linelists/spin_species.ecsv``, H2O: each spin species normalised alone and
  weighted by its population fraction, :mod:`comaspec.physics.spin`; for H2O ortho and para
  ``ortho_para / (1 + ortho_para)`` and ``1 / (1 + ortho_para)``);
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
relative A within a band. The H2O 2.7 µm hot bands nu1+nu3-nu1 ((101) -> (100)) and
nu2+nu3-nu2 ((011) -> (010)) are built from their own HITRAN lines, their upper levels
pumped from (000) (:mod:`comaspec.physics.h2o_bands`): nu1+nu3-nu1 by the 1.38 µm cascade
(g computed), nu2+nu3-nu2 like the (001) levels (its 1.87 µm pump lines are not in the
data; g from the cited ratio to nu3).

Everything here works on float64 arrays in cm^-1 and s^-1; the public functions return
astropy Quantities and tables.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from .._choices import DEFAULT_EMISSION, EMISSION_MODELS
from ..errors import InputError
from . import levels
from .h2o_bands import CHANNEL_PARENT as _H2O_CHANNEL_PARENT
from .h2o_bands import GROUND_BANDS as _H2O_GROUND_BANDS
from .h2o_bands import HOT_BANDS as _H2O_HOT_BANDS
from .linelists import read_table
from .spin import combine_populations, fractions

# the Sun: E490 continuum (default) or Meftah et al. 2023 at the comet's rdot
from .solar import photon_flux as _solar_photons
from .solar import solar_photon_flux

__all__ = ["line_g_factors", "band_g_factor", "emission_weights", "solar_photon_flux",
           "EMISSION_MODELS", "DEFAULT_EMISSION", "DEFAULT_ORTHO_PARA"]

# EMISSION_MODELS (understood by the templates and the fitter) and DEFAULT_EMISSION are
# named in comaspec._choices, which the command line reads without importing this module.
#: H2O ortho/para ratio used unless given or fitted: the high-temperature limit, the ratio
#: of the nuclear-spin weights of the ortho and para levels, 3 : 1 (Herzberg 1945, ch. I).
DEFAULT_ORTHO_PARA = 3.0

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
    lower_spin: np.ndarray | None    # per lower level: index of its spin species (comaspec.physics.spin)
    upper_label: np.ndarray     # str, per upper level
    lower_label: np.ndarray     # str, per lower level
    line_label: np.ndarray      # str, per line
    # True when a_rel holds absolute Einstein A from the line list (labelled lists,
    # comaspec.physics.levels)
    a_is_absolute: bool = False


def _read_lines(filename):
    return read_table(filename)


def _h2o_band_system(species, band):
    """Fields of the H2O system of ``band``: the four bands pumped from (000) (the 2.7 µm hot
    bands are their own lines, `comaspec.physics.h2o_bands.hot_band_terms`)."""
    if band in _H2O_GROUND_BANDS:
        from . import h2o_bands

        return h2o_bands.system_fields(_H2O_GROUND_BANDS, "(000)")
    raise InputError(f"H2O {band}", "not pumped from (000): see comaspec.physics.h2o_bands")


#: Level systems by the name in the ``level_system`` column of ``linelists/bands.ecsv``, each a
#: function (species, band) -> the fields of `_System`: a new molecule of an existing kind is
#: rows in the tables; a new kind is one builder (the generic ones are in levels.py).
LEVEL_SYSTEMS = {
    "linear_rotor": levels.linear_rotor,
    "h2o_asymmetric_top": _h2o_band_system,
    "labelled_levels": levels.labelled_levels,
}


@functools.cache
def _system(species, band):
    """The _System that holds (species, band), and the bands it models together."""
    from . import molecules

    try:
        kind = molecules.get_band(species, band).level_system
    except InputError:
        raise InputError(f"{species} {band}", "no fluorescence model (unknown species or band)") from None
    if kind not in LEVEL_SYSTEMS:
        raise InputError(f"level system {kind!r} of {species} {band} (linelists/bands.ecsv)",
                         f"unknown; known: {', '.join(LEVEL_SYSTEMS)}")
    return _System(**LEVEL_SYSTEMS[kind](species, band))


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
    if system.lower_spin is None:
        return w / w.sum()
    # spin species (H2O ortho, para): each normalised alone, weighted by its fraction
    return combine_populations(w, system.lower_spin, fractions(system.species, ortho_para))


def _line_rates(system, a, T_rot, ortho_para, terms=None, pumped=None):
    """Photon emission rate per molecule of every line at 1 au (1/s), for Einstein A ``a``.

    With relative A the rates are relative too (the band shapes are unchanged). ``terms``:
    the `_PumpTerms` of (system, a), if already gathered; ``pumped``: `_pumped_by` of them.
    """
    t = _PumpTerms(system, a) if terms is None else terms
    n, pumping = _pumped_by(system, T_rot, ortho_para, t) if pumped is None else pumped
    if t.cascade is not None:
        # H2O: (100) and (001) levels also fed by the 1.38 um cascade (h2o_cascade)
        pumping = pumping + t.cascade @ n
    return pumping[system.upper] * a / t.decay_line


def _pumped_by(system, T_rot, ortho_para, t):
    """(populations of the pumped state's levels, direct pumping rate of each upper level)."""
    n = _populations(system, T_rot, ortho_para, t)
    return n, _direct_pumping(n, t)


@functools.lru_cache(maxsize=64)
def _pumped(species, band, T, opr, solar="e490", rdot_km_s=0.0):
    """`_pumped_by` of the system `_system_a` gives for ``band``, read-only: computed once per
    temperature for the system's line rates and the H2O hot bands alike."""
    system, _, _, terms = _system_a(species, band, solar, rdot_km_s)
    n, pumping = _pumped_by(system, T, opr, terms)
    n.flags.writeable = pumping.flags.writeable = False
    return n, pumping


def _direct_pumping(n, t):
    """Rate (1/s per molecule) at which sunlight pumps each upper level from the populations
    ``n`` of the pumped state's levels (`_PumpTerms` ``t``)."""
    absorb = n[t.lower_p] * t.upper_g_p / t.lower_g_p * t.a_p * t.solar_p / t.denominator
    return np.bincount(t.upper_p, absorb, minlength=t.n_up)


@functools.lru_cache(maxsize=16)
def _hot_terms(band, solar="e490", rdot_km_s=0.0):
    """`comaspec.physics.h2o_bands.hot_band_terms` of an H2O 2.7 µm hot band."""
    from . import h2o_bands

    system, _, _, terms = _system_a("H2O", "nu3", solar, rdot_km_s)
    photons = functools.partial(_solar_photons, solar=solar, rdot_km_s=rdot_km_s)
    return h2o_bands.hot_band_terms(band, system.lower_label, system.upper_label, photons)


@functools.lru_cache(maxsize=64)
def _hot_lines(band, T, opr, solar="e490", rdot_km_s=0.0):
    """Lines of an H2O 2.7 µm hot band (``upper``, ``lower``, ``wavenumber``) and their photon
    ``rate`` (1/s at 1 au; nu2+nu3-nu2 relative), read-only."""
    lines, matrix = _hot_terms(band, solar, rdot_km_s)
    n, pumping = _pumped("H2O", "nu3", T, opr, solar, rdot_km_s)
    # nu1+nu3-nu1 from the (000) populations, nu2+nu3-nu2 from the direct (001) pumping
    rate = matrix @ (n if band == "nu1+nu3-nu1" else pumping)
    rate.flags.writeable = False
    return {**lines, "rate": rate}


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
    rates = _line_rates(system, a, T_rot, ortho_para, terms, _pumped(species, band, T_rot, ortho_para, solar,
                                                                      rdot_km_s))
    rates.flags.writeable = False
    return system, rates, absolute


def emission_weights(species, band, T_rot, *, ortho_para=DEFAULT_ORTHO_PARA):
    """Lines of one band in fluorescence equilibrium, as fractions of the band's energy.

    The H2O 2.7 µm hot bands ``nu1+nu3-nu1`` and ``nu2+nu3-nu2`` are their own HITRAN lines
    (:mod:`comaspec.physics.h2o_bands`).

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


def band_emission_weights(species, band, T, opr, solar="e490", rdot_km_s=0.0):
    """`emission_weights` at a checked T (K, any > 0: the templates' fits), o/p, ``solar`` and ``rdot_km_s``."""
    if species == "H2O" and band in _H2O_HOT_BANDS:
        lines = _hot_lines(band, T, opr, solar, rdot_km_s)
        wavenumber, energy = lines["wavenumber"], lines["rate"] * lines["wavenumber"]
    else:
        _, rates, _ = _rates(species, band, T, opr, solar, rdot_km_s)
        in_band, wavenumber = _band_lines(species, band)
        energy = rates[in_band] * wavenumber
    total = energy.sum()
    if not total > 0:
        raise InputError(f"{species} {band}", f"no line is pumped at T_rot = {T} K")
    return wavenumber, energy / total


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
        return (float(_hot_lines(band, T, opr, solar, rdot_km_s)["rate"].sum()),
                "computed: (101) -> (100) lines of the 1.38 um cascade")
    if species == "H2O" and band == "nu2+nu3-nu2":
        from . import h2o_bands

        g_parent, _ = _band_photon_rate(species, "nu3", T, opr, solar, rdot_km_s)
        return (g_parent * h2o_bands.cited_g_ratio(band, "nu3"),
                "shape computed, band g from the cited ratio to nu3")
    system, rates, absolute = _rates(species, band, T, opr, solar, rdot_km_s)
    if not absolute:
        raise InputError(f"{species} {band}", "no absolute Einstein A (linelists/einstein_a.ecsv): "
                                              "no g-factor can be computed")
    origin = "computed"
    return float(rates[system.band == band].sum()), origin


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

    Raises
    ------
    comaspec.InputError
        Unknown species, no absolute Einstein A (OCS), bad arguments.
    """
    return line_table(species, check_temperature(T_rot), check_ortho_para(ortho_para), _solar_args(solar, rdot))


def _band_line_rates(species, band, T, opr, sun):
    """Lines of one band: dict of ``wavenumber``, ``rate`` (per-line photon rates, in scale
    or relative), ``upper``, ``lower`` and ``line`` labels."""
    if species == "H2O" and band in _H2O_HOT_BANDS:
        lines = _hot_lines(band, T, opr, *sun)
        return {**lines, "line": np.char.add(np.char.add(lines["upper"], "-"), lines["lower"])}
    system, rates, _ = _rates(species, band, T, opr, *sun)
    in_band = system.band == band
    return {"wavenumber": system.wavenumber[in_band], "rate": rates[in_band],
            "upper": system.upper_label[system.upper[in_band]],
            "lower": system.lower_label[system.lower[in_band]], "line": system.line_label[in_band]}


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
        lines = _band_line_rates(species, band, T, opr, sun)
        # the band's g-factor (and where it comes from) scales its lines; a no-op for bands
        # with absolute A, the cited ratio for nu2+nu3-nu2
        band_g, origin = _band_photon_rate(species, band, T, opr, *sun)
        nu = lines["wavenumber"]
        part = QTable()
        part["wavenumber"] = nu / u.cm
        part["wavelength"] = (1e4 / nu) * u.um
        part["g"] = lines["rate"] * (band_g / lines["rate"].sum()) / u.s
        part["band"] = np.full(nu.size, band)
        for name in ("upper", "lower", "line"):
            part[name] = lines[name]
        part["origin"] = np.full(nu.size, origin)
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
