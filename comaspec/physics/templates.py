"""Band templates: the spectral shape of one molecular band at a rotational temperature.

A band template is built from a line list in ``linelists/`` (computed from published
constants, see :doc:`templates`), never from a copied database. Two emission models give
the share of the band's energy in each line:

* ``emission="fluorescence"`` (default): solar-pumped fluorescence equilibrium. The ground
  vibrational state's rotational levels are thermal at ``T_rot``; sunlight pumps every line,
  each excited level decays through all its lines in proportion to their Einstein A
  (:mod:`comaspec.fluorescence`, :doc:`emission`);
* ``emission="thermal"``: the upper-state rotational levels are in Boltzmann equilibrium at
  ``T_rot`` and each line emits energy in proportion to
  ``g_u A_ul nu exp(-c2 E'_rot / T_rot)`` (``E'_rot``: rotational energy within the upper
  vibrational state; ``c2 = h c / k_B`` from :mod:`astropy.constants`). Kept for
  comparison: in a coma this is wrong where rotational energies are comparable to k T_rot
  (H2O at 20-50 K);
* the sunlight that pumps fluorescence: the smooth E490 continuum (default) or the
  high-resolution Meftah et al. 2023 spectrum seen at the comet's heliocentric radial
  velocity (:mod:`comaspec.physics.solar`, :ref:`swings`); an `Emission` carries the
  emission model with its sunlight through the forward model to these templates;
* H2O: the ortho and para levels are normalised separately so that the total ortho/para
  ratio is ``ortho_para`` (default 3, the high-temperature limit);
* H2O: nu3, nu1, nu2+nu3-nu2, nu3-nu2 and nu1-nu2 have lines of their own in
  ``linelists/h2o_lines.ecsv``. A hot band without lines in the list (now only
  nu1+nu3-nu1) is a copy of its parent band (nu3 for the a-type bands, nu1 for the b-type
  nu1-nu2) shifted to the hot band's centre from :func:`comaspec.molecules.get_band`: its
  rotational constants are taken equal to the parent's. That applies to the thermal model:
  with fluorescence the 2.7 µm hot bands nu1+nu3-nu1 and nu2+nu3-nu2 are their own HITRAN
  lines (:mod:`comaspec.physics.h2o_bands`).

The results are plain float64 arrays (hot path of the fitter).
"""

import functools
from dataclasses import dataclass

import numpy as np

from .._paths import linelists_dir
from ..errors import InputError
from .linelists import line_lists as _line_lists
from .linelists import read_table as _read_table
from .spin import fractions as _spin_fractions
from .spin import level_spin as _level_spin
from .spin import species_scale as _species_scale
from .fluorescence import (DEFAULT_EMISSION, DEFAULT_ORTHO_PARA, EMISSION_MODELS, check_ortho_para,
                           check_temperature)
from .solar import DEFAULT_SOLAR

__all__ = ["stick_spectrum", "band_profile", "available_bands", "approximation", "Emission", "emission_model"]

# H2O hot band -> parent band whose rotational pattern it borrows when the line list has no
# lines of its own: a change of v3 makes an a-type band (like nu3), nu1-nu2 is b-type (like nu1).
_HOT_BAND_PARENT = {
    "nu1+nu3-nu1": "nu3",
    "nu2+nu3-nu2": "nu3",
    "nu3-nu2": "nu3",
    "nu1-nu2": "nu1",
}

# Quantum labels of an asymmetric-rotor upper level (H2O line list), when present.
_UPPER_LEVEL_LABELS = ("J_u", "Ka_u", "Kc_u")

# Lines weaker than this fraction of the strongest are dropped (speed; < 1e-6 of the flux).
_WEIGHT_FLOOR = 1e-6


def available_bands():
    """Return the (species, band) pairs that have a template.

    Returns
    -------
    tuple of (str, str)
        Species and band labels, as in ``linelists/bands.ecsv``. A pair is listed even if
        its line-list file has not been built; using it then raises `InputError`.
    """
    return tuple(_line_lists())


def approximation(species, band):
    """Return what is approximate about a band's template, or None if nothing is declared.

    Line lists built with a stated approximation (e.g. OCS nu3, whose upper-state rotational
    constants are taken equal to the ground state's) say so in their ``approximation``
    metadata; the fitter repeats it in its notes.

    Parameters
    ----------
    species, band : str
        As in ``linelists/bands.ecsv``.

    Returns
    -------
    str or None

    Raises
    ------
    InputError
        Unknown species or band, or a missing or unreadable line-list file.
    """
    _check_band(species, band)
    return _read_table(_line_lists()[(species, band)]).meta.get("approximation")


@functools.cache
def _c2_cm_k():
    """Second radiation constant h c / k_B in cm K (CODATA, from astropy)."""
    from astropy import constants as const
    from astropy import units as u

    return float((const.h * const.c / const.k_B).to_value(u.cm * u.K))


class _Lines:
    """Float64 arrays of one band's lines (read-only) plus upper-level bookkeeping."""

    __slots__ = ("wavenumber", "g_a_nu", "e_rot", "e_rot_min", "g_upper", "spin",
                 "level_index", "n_levels")

    def __init__(self, wavenumber, e_rot, g_upper, a_rel, spin, level_labels=None):
        self.wavenumber = wavenumber
        self.e_rot = e_rot
        self.e_rot_min = float(e_rot.min())
        self.g_upper = g_upper
        # T-independent part of the emitted energy per line: g_u A_ul nu.
        self.g_a_nu = g_upper * a_rel * wavenumber
        self.spin = spin   # index of each line's spin species (comaspec.physics.spin), or None
        # Distinct upper levels, for the per-spin-species partition sums (several lines share
        # one upper level): by their quantum labels when the list has them, else by (energy,
        # degeneracy, spin species).
        if level_labels is None:
            level_labels = [np.round(e_rot, 4), g_upper]
            if spin is not None:
                level_labels.append(spin)
        keys = np.stack([np.asarray(k, dtype=np.float64) for k in level_labels], axis=1)
        _, first, self.level_index = np.unique(keys, axis=0, return_index=True,
                                               return_inverse=True)
        self.level_index = self.level_index.ravel()
        self.n_levels = first.size
        for array in (self.wavenumber, self.e_rot, self.g_upper, self.g_a_nu):
            array.flags.writeable = False


def _check_band(species, band):
    if (species, band) not in _line_lists():
        known_species = sorted({s for s, _ in _line_lists()})
        if species not in known_species:
            raise InputError(f"species {species!r}",
                             f"no band template; known species: {', '.join(known_species)}")
        bands = [b for s, b in _line_lists() if s == species]
        raise InputError(f"band {band!r} of {species}",
                         f"no band template; known bands: {', '.join(bands)}")


def _select(table, species, band):
    """Rows of ``band``; a numpy boolean mask."""
    return np.asarray(table["band"]).astype(str) == band


@functools.cache
def _line_list(species, band):
    """The _Lines of (species, band), read once and cached."""
    _check_band(species, band)
    filename = _line_lists()[(species, band)]
    table = _read_table(filename)
    path = linelists_dir() / filename
    mask = _select(table, species, band)
    shift = 0.0
    if not mask.any() and band in _HOT_BAND_PARENT:
        parent = _HOT_BAND_PARENT[band]
        mask = _select(table, species, parent)
        shift = _hot_band_shift(species, band, parent)
    if not mask.any():
        raise InputError(path, f"no lines of band {band!r}")
    rows = table[mask]
    arrays = [np.array(rows[name], dtype=np.float64)
              for name in ("wavenumber", "E_rot_upper", "g_upper", "A_rel")]
    for name, values in zip(("wavenumber", "E_rot_upper", "g_upper", "A_rel"), arrays):
        if not np.all(np.isfinite(values)):
            raise InputError(path, f"column {name} has non-finite values in band {band!r}")
    wavenumber, e_rot, g_upper, a_rel = arrays
    if np.any(wavenumber <= 0) or np.any(g_upper <= 0) or np.any(a_rel < 0):
        raise InputError(path, f"band {band!r} has non-positive wavenumber or g_upper, or "
                               "negative A_rel")
    spin = _level_spin(species, rows)
    labels = None
    if all(name in table.colnames for name in _UPPER_LEVEL_LABELS):
        labels = [np.asarray(rows[name]) for name in _UPPER_LEVEL_LABELS]
    return _Lines(wavenumber + shift, e_rot, g_upper, a_rel, spin, labels)


def _hot_band_shift(species, band, parent):
    """Wavenumber shift (1/cm) from the parent band's centre to the hot band's centre."""
    from . import molecules

    return (molecules.get_band(species, band).center_cm
            - molecules.get_band(species, parent).center_cm)


@dataclass(frozen=True)
class Emission:
    """An emission model with the sunlight that pumps it (hashable: a key of the template caches).

    Build it with `emission_model`, which checks the values.

    Attributes
    ----------
    model : {"fluorescence", "thermal"}
        Emission model of the band templates.
    solar : {"e490", "meftah2023"}
        Solar spectrum that pumps fluorescence (unused by ``"thermal"``).
    rdot_km_s : float
        Heliocentric radial velocity at which the solar lines are seen, km/s (0 for E490,
        a continuum without lines to shift).
    """

    model: str = DEFAULT_EMISSION
    solar: str = DEFAULT_SOLAR
    rdot_km_s: float = 0.0

    def __str__(self):
        return self.model

    def describe(self):
        """The JSON record: ``emission``, ``solar_spectrum`` and ``solar_rdot_km_s`` (None
        where not used: no solar spectrum for thermal emission, no Doppler shift for E490)."""
        fluorescence = self.model == "fluorescence"
        return {"emission": self.model, "solar_spectrum": self.solar if fluorescence else None,
                "solar_rdot_km_s": self.rdot_km_s if fluorescence and self.solar != "e490" else None}


def emission_model(emission=DEFAULT_EMISSION, solar=DEFAULT_SOLAR, rdot=None):
    """A checked `Emission`: the emission model, the solar spectrum and the comet's velocity.

    Parameters
    ----------
    emission : {"fluorescence", "thermal"} or Emission
        Emission model (an `Emission` is returned unchanged).
    solar : {"e490", "meftah2023"}
        Solar spectrum (:mod:`comaspec.physics.solar`).
    rdot : float, `~astropy.units.Quantity` or None
        Heliocentric radial velocity (km/s if a plain number); None: 0 (the solar lines at
        rest). Used with ``solar="meftah2023"`` only.

    Returns
    -------
    Emission
    """
    from .solar import check_rdot, check_solar

    if isinstance(emission, Emission):
        return emission
    if emission not in EMISSION_MODELS:
        raise InputError("emission", f"must be one of {', '.join(EMISSION_MODELS)}, got {emission!r}")
    solar = check_solar(solar)
    v = 0.0 if rdot is None or solar == "e490" else check_rdot(rdot)
    return Emission(str(emission), solar, v)


# the emission models with E490 sunlight, built once (`stick_spectrum` runs in the fit's hot path)
_E490_EMISSION = {name: Emission(name) for name in EMISSION_MODELS}


def _check_emission(emission):
    """An `Emission` from a model name (E490 sunlight) or an `Emission`."""
    if isinstance(emission, Emission):
        return emission
    known = _E490_EMISSION.get(emission) if isinstance(emission, str) else None
    return emission_model(emission) if known is None else known


@functools.lru_cache(maxsize=1024)
def _sticks(species, band, T_rot, ortho_para, emission=Emission("thermal")):
    if emission.model == "fluorescence":
        from .fluorescence import band_emission_weights

        wavenumber, weight = band_emission_weights(species, band, T_rot, ortho_para, emission.solar,
                                                   emission.rdot_km_s)
        return _drop_weak(wavenumber, weight)
    lines = _line_list(species, band)
    # Counted from the lowest upper level: a common factor that cancels in the
    # normalisations, and keeps exp() from underflowing to all zeros at very low T_rot.
    boltzmann = np.exp(-_c2_cm_k() / T_rot * (lines.e_rot - lines.e_rot_min))
    weight = lines.g_a_nu * boltzmann
    if lines.spin is not None:
        weight = weight * _spin_scale(species, lines, boltzmann, ortho_para)
    if not weight.max() > 0:
        raise InputError(f"{species} {band}", f"no line carries any weight at T_rot = {T_rot} K "
                                              f"and ortho_para = {ortho_para}")
    return _drop_weak(lines.wavenumber, weight)


def _spin_scale(species, lines, boltzmann, ortho_para):
    """Per line: its spin species' population fraction over that species' partition sum of
    the upper levels (each spin species normalised alone, then weighted)."""
    level_pop = np.zeros(lines.n_levels)
    level_pop[lines.level_index] = lines.g_upper * boltzmann  # once per level, not per line
    level_spin = np.zeros(lines.n_levels, dtype=np.int64)
    level_spin[lines.level_index] = lines.spin
    return _species_scale(level_pop, level_spin, _spin_fractions(species, ortho_para))[lines.spin]


def _drop_weak(wavenumber, weight):
    """Lines above _WEIGHT_FLOOR of the strongest, weights renormalised; read-only copies."""
    keep = weight >= _WEIGHT_FLOOR * weight.max()
    wavenumber = np.array(wavenumber[keep])
    kept = weight[keep]
    weight = kept / kept.sum()
    wavenumber.flags.writeable = False
    weight.flags.writeable = False
    return wavenumber, weight


def stick_spectrum(species, band, T_rot, *, ortho_para=DEFAULT_ORTHO_PARA, emission=DEFAULT_EMISSION):
    """Emission lines of one band at rotational temperature ``T_rot``.

    Parameters
    ----------
    species : str
        "CO2", "13CO2", "H2O", "CO" or "OCS".
    band : str
        Band label as in ``linelists/bands.ecsv`` (e.g. "nu3", "1-0", "nu1-nu2").
    T_rot : float or `~astropy.units.Quantity`
        Rotational temperature, K: of the ground vibrational state (fluorescence) or of the
        upper vibrational state (thermal).
    ortho_para : float, optional
        H2O only: total ortho/para population ratio (default 3). Ignored for the linear
        molecules, whose nuclear-spin weights are in the line list.
    emission : {"fluorescence", "thermal"} or Emission, optional
        Emission model (default fluorescence equilibrium pumped by E490; see the module
        docstring); an `Emission` (`emission_model`) also names the solar spectrum and rdot.

    Returns
    -------
    wavenumber_cm : numpy.ndarray
        Line positions, cm^-1 (float64, read-only).
    weight : numpy.ndarray
        Fraction of the band's emitted energy in each line (float64, read-only; sums to 1).
        Lines below 1e-6 of the strongest are left out.

    Raises
    ------
    comaspec.InputError
        Unknown species or band, missing or malformed line list, bad ``T_rot``.
    """
    if type(T_rot) is float and type(ortho_para) is float and (species, band) in _KNOWN_BANDS \
            and 0.0 < T_rot < np.inf and 0.0 <= ortho_para < np.inf:
        # what the checks below return for plain floats in range (an optimiser's every step)
        return _sticks(species, band, T_rot, ortho_para, _check_emission(emission))
    T = check_temperature(T_rot, bounded=False)  # thermal templates of lab spectra go far above comae
    op = check_ortho_para(ortho_para)
    _check_band(species, band)
    if type(species) is str and type(band) is str:
        _KNOWN_BANDS.add((species, band))
    return _sticks(str(species), str(band), T, op, _check_emission(emission))


#: (species, band) pairs `_check_band` accepted (the line lists are read once per session)
_KNOWN_BANDS = set()


def band_profile(species, band, wavelength_um, T_rot, lsf, *, ortho_para=DEFAULT_ORTHO_PARA,
                 emission=DEFAULT_EMISSION):
    """Unit-area band profile on a pixel grid, seen through a line-spread function.

    Parameters
    ----------
    species, band : str
        As in `stick_spectrum`.
    wavelength_um : array_like or `~astropy.units.Quantity`
        Pixel centres (µm, increasing).
    T_rot : float or `~astropy.units.Quantity`
        Rotational temperature, K.
    lsf : object
        Anything with ``integrate_lines(line_um, weights, pixel_edges_um)`` (e.g.
        `comaspec.instrument.GaussianLSF`), or a specification accepted by
        `comaspec.instrument.make_lsf` (a resolving power or a mode name).
    ortho_para : float, optional
        H2O only: ortho/para ratio (default 3).
    emission : {"fluorescence", "thermal"} or Emission, optional
        Emission model (default fluorescence equilibrium pumped by E490), as in `stick_spectrum`.

    Returns
    -------
    numpy.ndarray
        Mean profile per pixel, µm^-1 (float64): its sum times the pixel widths is 1 when
        the band lies inside the grid (less for the part outside).
    """
    from . import instrument

    wavelength = _as_micron(wavelength_um)
    if not hasattr(lsf, "integrate_lines"):
        lsf = instrument.make_lsf(lsf)
    return _band_profile_on_edges(species, band, instrument.pixel_edges(wavelength), T_rot, lsf, ortho_para,
                                  emission)


def _band_profile_on_edges(species, band, edges, T_rot, lsf, ortho_para, emission):
    """`band_profile` on pixel edges (`comaspec.instrument.pixel_edges`) with an LSF object.

    The forward model calls it once per band with the edges of the whole grid computed
    once per species; comaspec's own LSFs then skip re-validating lines that come from the
    tables (``_integrate_checked``).
    """
    wavenumber, weight = stick_spectrum(species, band, T_rot, ortho_para=ortho_para, emission=emission)
    integrate = getattr(lsf, "_integrate_checked", None)
    if integrate is None:
        return lsf.integrate_lines(1e4 / wavenumber, weight, edges)
    return integrate(1e4 / wavenumber, np.asarray(weight, dtype=np.float64), edges)


def _as_micron(wavelength_um):
    from .._validate import not_boolean

    not_boolean(wavelength_um, "wavelength_um")
    if hasattr(wavelength_um, "unit"):
        from astropy import units as u

        wavelength_um = wavelength_um.to_value(u.um, equivalencies=u.spectral())
    wavelength = np.asarray(wavelength_um, dtype=np.float64)
    if wavelength.ndim != 1 or wavelength.size < 2:
        raise InputError("wavelength_um", "must be a 1-d grid of at least 2 pixels")
    return wavelength
