"""Molecular data: band centres, fluorescence efficiencies, lifetimes, expansion velocities.

Every number is read from the cited tables in ``linelists/`` (``bands.ecsv``,
``lifetimes.ecsv``, ``velocity_laws.ecsv``, ``references.ecsv``); this module only
looks them up and attaches units. The tables are read once, on first use.

Heliocentric scalings (g ∝ rh⁻², τ ∝ rh²) are applied by the callers
(:mod:`comaspec.production`); the values here are at 1 au.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

import astropy.units as u
import numpy as np

from ..errors import InputError
# the tables, read once (the line-list registry and fluorescence read _bands and _read here)
from . import _tables
from ._tables import _bands, _lifetimes, _read, _references, _s

__all__ = [
    "SPECIES",
    "Band",
    "VelocityLaw",
    "VELOCITY_LAWS",
    "DEFAULT_VELOCITY_LAW",
    "get_band",
    "bands_of",
    "features_of",
    "default_feature",
    "g_factor",
    "g_factor_sources",
    "lifetime",
    "lifetime_sources",
    "expansion_velocity",
    "reference",
    "fit_windows",
]

# SPECIES (the species comaspec knows, in the order of linelists/bands.ecsv) is read from
# that table on first access (module __getattr__ below). A species' default feature (a
# feature is a named group of bands measured as one flux) is the first one listed for it
# there: a new species or band is rows in bands.ecsv (and its line list), nothing in the code.


@dataclass(frozen=True)
class Band:
    """One vibrational band of one species, with its default fluorescence efficiency.

    Attributes
    ----------
    species : str
        Species name, one of `SPECIES`.
    band : str
        Band label, e.g. ``"nu3"`` or ``"nu1+nu3-nu1"``.
    feature : str
        The feature (group of bands measured as one flux) this band belongs to.
    center_cm : float
        Vibrational band origin in cm⁻¹.
    center_um : float
        The same in µm (1e4 / ``center_cm``).
    g_1au : float
        Default fluorescence efficiency at 1 au in photons s⁻¹ molecule⁻¹; NaN where no
        published value exists (then `g_factor` raises and a value must be supplied).
    g_source : str
        Key of the source of ``g_1au`` (see ``linelists/references.ecsv``).
    reference : str
        Full citation of ``g_1au``.
    verified : str
        How well ``g_1au`` was checked: ``"paper"``, ``"code"``, ``"data"``,
        ``"secondary"``, ``"unverified"``, or ``"computed"`` (not published: the
        fluorescence model's value, :doc:`emission`).
    note : str
        Remarks on the value.
    center_err_cm : float
        Uncertainty of ``center_cm`` where its source leaves it large enough to matter at
        JWST resolution (OCS: 1 cm⁻¹); NaN where the origin is checked against HITRAN lines.
        The fitter frees the band origin within ± this value.
    fit_window : str
        Name of the default fit window that holds the band (`fit_windows`).
    level_system : str
        The level system that models the band's lines in fluorescence equilibrium
        (``"linear_rotor"``, ``"h2o_asymmetric_top"`` or ``"labelled_levels"``; the registry is
        in :mod:`comaspec.physics.fluorescence`).
    """

    species: str
    band: str
    feature: str
    center_cm: float
    center_um: float
    g_1au: float
    g_source: str
    reference: str
    verified: str = ""
    note: str = ""
    center_err_cm: float = float("nan")
    fit_window: str = ""
    level_system: str = ""


@dataclass(frozen=True)
class VelocityLaw:
    """A gas expansion-velocity law ``v = v0 · (rh / 1 au) ** exponent``.

    Attributes
    ----------
    name : str
        Key of the law in ``VELOCITY_LAWS`` (name -> `VelocityLaw`, read-only, from
        ``linelists/velocity_laws.ecsv``).
    v0 : float
        Velocity at 1 au in km/s.
    exponent : float
        Power of the heliocentric distance.
    reference : str
        Full citation.
    verified : str
        How well the law and its attribution were checked.
    note : str
        Remarks (range of validity, who uses it).
    """

    name: str
    v0: float
    exponent: float
    reference: str
    verified: str = ""
    note: str = ""

    def __call__(self, rh):
        """Return the velocity at heliocentric distance ``rh`` (Quantity, km/s)."""
        rh_au = _rh_au(rh)
        return self.v0 * rh_au**self.exponent * (u.km / u.s)


# ---------------------------------------------------------------------------------------
# Table loading (lazy, once)


@cache
def _velocity_laws():
    """({name: VelocityLaw}, name of the default law)."""
    table = _read("velocity_laws.ecsv")
    v0 = table["v0"].quantity.to_value(u.km / u.s)
    (default,) = [_s(r["name"]) for r in table if bool(r["default"])]
    laws = {
        _s(r["name"]): VelocityLaw(
            name=_s(r["name"]),
            v0=float(v),
            exponent=float(r["exponent"]),
            reference=_s(r["reference"]),
            verified=_s(r["verified"]),
            note=_s(r["note"]),
        )
        for r, v in zip(table, v0)
    }
    return laws, default


def __getattr__(name):
    # VELOCITY_LAWS and DEFAULT_VELOCITY_LAW come from velocity_laws.ecsv on first access
    # (PEP 562), so that importing this module reads no file.
    if name == "VELOCITY_LAWS":
        return MappingProxyType(_velocity_laws()[0])
    if name == "DEFAULT_VELOCITY_LAW":
        return _velocity_laws()[1]
    if name == "SPECIES":
        return _species()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---------------------------------------------------------------------------------------
# Public look-ups


@cache
def _species():
    """Species in the order of their first row in bands.ecsv."""
    return tuple(dict.fromkeys(s for s, _b in _bands()[0]))


@cache
def _default_features():
    """Species → its default feature: the first feature listed for it in bands.ecsv."""
    out = {}
    for (s, _b), by_source in _bands()[0].items():
        out.setdefault(s, next(iter(by_source.values()))["feature"])
    return out


def _check_species(species):
    if species not in _species():
        raise InputError(f"species {species!r}", f"unknown species; known: {', '.join(_species())}")


def _band_rows(species, band):
    _check_species(species)
    rows, _ = _bands()
    if (species, band) not in rows:
        known = [b for (s, b) in rows if s == species]
        raise InputError(f"band {band!r}", f"unknown band of {species}; known: {', '.join(known)}")
    return rows[(species, band)]


def get_band(species, band):
    """Return the `Band` record of one band with its default g-factor.

    Parameters
    ----------
    species : str
        One of `SPECIES`.
    band : str
        Band label, e.g. ``"nu3"`` (see ``linelists/bands.ecsv``).

    Returns
    -------
    Band

    Raises
    ------
    InputError
        Unknown species or band (the message lists the known ones).

    Examples
    --------
    >>> b = get_band("CO2", "nu3")
    >>> round(b.center_um, 3)
    4.257
    """
    rows = _band_rows(species, band)
    _, defaults = _bands()
    row = rows[defaults[(species, band)]]
    return Band(
        species=species,
        band=band,
        feature=row["feature"],
        center_cm=row["center_cm"],
        center_um=row["center_um"],
        g_1au=row["g_1au"],
        g_source=row["source"],
        reference=row["reference"],
        verified=row["verified"],
        note=row["note"],
        center_err_cm=row["center_err_cm"],
        fit_window=row["fit_window"],
        level_system=row["level_system"],
    )


def features_of(species):
    """Return the names of all features of ``species`` (default first).

    Parameters
    ----------
    species : str
        One of `SPECIES`.

    Returns
    -------
    tuple of str
    """
    _check_species(species)
    rows, _ = _bands()
    found = []
    for (s, _b), by_source in rows.items():
        feature = next(iter(by_source.values()))["feature"]
        if s == species and feature not in found:
            found.append(feature)
    default = _default_features()[species]
    return (default, *[f for f in found if f != default])


def default_feature(species):
    """Return the feature measured for ``species`` when none is named.

    Parameters
    ----------
    species : str
        One of `SPECIES`.

    Returns
    -------
    str
        e.g. ``"2.7um"`` for H2O, ``"4.26um"`` for CO2.
    """
    _check_species(species)
    return _default_features()[species]


def bands_of(species, feature=None):
    """Return the bands that make up one feature of a species.

    Parameters
    ----------
    species : str
        One of `SPECIES`.
    feature : str, optional
        Feature name (e.g. ``"2.7um"``, ``"4.7um"``); default: `default_feature`.

    Returns
    -------
    tuple of Band
        In table order.

    Raises
    ------
    InputError
        Unknown species or feature.
    """
    _check_species(species)
    if feature is None:
        feature = _default_features()[species]
    rows, _ = _bands()
    kept = _BANDS_OF.get((species, feature))
    if kept is not None and kept[0] is rows:   # the table read once; model set-up asks often
        return kept[1]
    out = tuple(get_band(s, b) for (s, b) in rows if s == species)
    out = tuple(b for b in out if b.feature == feature)
    if out:
        _BANDS_OF[(species, feature)] = (rows, out)   # frozen records in a tuple
    if not out:
        raise InputError(
            f"feature {feature!r}", f"unknown feature of {species}; known: {', '.join(features_of(species))}"
        )
    return out


#: (species, feature) -> (the table's rows it was read from, `bands_of`)
_BANDS_OF = {}


def g_factor_sources(species, band):
    """Return the source keys tabulated for one band's g-factor (default first).

    Parameters
    ----------
    species, band : str
        As for `get_band`.

    Returns
    -------
    tuple of str
    """
    rows = _band_rows(species, band)
    _, defaults = _bands()
    default = defaults[(species, band)]
    return (default, *[s for s in rows if s != default])


def g_factor(species, band, source=None):
    """Fluorescence efficiency of one band at 1 au.

    Parameters
    ----------
    species : str
        One of `SPECIES`.
    band : str
        Band label.
    source : str, optional
        Source key (e.g. ``"CE83"``, ``"O12"``); default: the documented default row.

    Returns
    -------
    `~astropy.units.Quantity`
        g at rh = 1 au in photons s⁻¹ molecule⁻¹ (unit ``1/s``); scale by rh⁻².

    Raises
    ------
    InputError
        Unknown species, band or source, or no published value tabulated (13CO2, OCS: pass
        ``g_factor=`` to the production-rate functions instead).

    Examples
    --------
    >>> g_factor("CO2", "nu3", source="O12")
    <Quantity 0.0029 1 / s>
    """
    rows = _band_rows(species, band)
    if source is None:
        source = _bands()[1][(species, band)]
    if source not in rows:
        raise InputError(
            f"g-factor source {source!r}",
            f"not tabulated for {species} {band}; known: {', '.join(g_factor_sources(species, band))}",
        )
    value = rows[source]["g_1au"]
    if not math.isfinite(value):
        raise InputError(
            f"g-factor of {species} {band}",
            "no published value is tabulated in comaspec (see docs: molecular data); "
            "pass g_factor= (CLI: --g-factor) with a value you can cite",
        )
    return value * (1 / u.s)


def lifetime_sources(species):
    """Return the (source, activity) pairs tabulated for ``species`` (default first).

    Parameters
    ----------
    species : str
        One of `SPECIES`.

    Returns
    -------
    tuple of (str, str)
    """
    _check_species(species)
    rows, defaults = _lifetimes()
    if species not in rows:
        return ()
    default = defaults[species]
    return (default, *[k for k in rows[species] if k != default])


def lifetime(species, source=None, activity=None):
    """Photodestruction lifetime of a parent molecule at 1 au.

    Parameters
    ----------
    species : str
        One of `SPECIES`.
    source : str, optional
        Source key (``"HM15"``, ``"CE83"``, ``"CS93"``, ...); default: the source of the
        documented default row.
    activity : {"quiet", "active", "mean"}, optional
        Solar activity. ``"mean"`` marks single values given for an average Sun. Default:
        the default row's activity if the source has it, else the source's only row.

    Returns
    -------
    `~astropy.units.Quantity`
        Lifetime τ at rh = 1 au (s); scale by rh².

    Raises
    ------
    InputError
        Unknown species, or no row for that source/activity (the message lists the rows).

    Examples
    --------
    >>> lifetime("H2O", source="HM15", activity="quiet")
    <Quantity 82940. s>
    """
    _check_species(species)
    rows, defaults = _lifetimes()
    if species not in rows:
        raise InputError(
            f"lifetime of {species}",
            "no published value is tabulated in comaspec; pass lifetime= (CLI: --lifetime)",
        )
    available = rows[species]
    def_source, def_activity = defaults[species]
    source = def_source if source is None else source
    candidates = {a: row for (s, a), row in available.items() if s == source}
    listing = ", ".join(f"{s}/{a}" for s, a in lifetime_sources(species))
    if not candidates:
        raise InputError(f"lifetime source {source!r}", f"not tabulated for {species}; known: {listing}")
    if activity is None:
        if len(candidates) == 1:
            activity = next(iter(candidates))
        elif def_activity in candidates:
            activity = def_activity
        else:
            raise InputError(
                f"lifetime of {species} from {source}", f"name the solar activity; known: {listing}"
            )
    if activity not in candidates:
        raise InputError(f"solar activity {activity!r}", f"not tabulated for {species} {source}; known: {listing}")
    return candidates[activity]["tau_1au"] * u.s


def _rh_au(rh):
    if not isinstance(rh, u.Quantity):
        raise InputError("rh", f"must be an astropy Quantity with length units (got {rh!r})")
    try:
        value = rh.to_value(u.au)
    except u.UnitConversionError:
        raise InputError("rh", f"needs units of length, got {rh.unit}") from None
    if np.any(~np.isfinite(value)) or np.any(value <= 0):
        raise InputError("rh", f"must be positive and finite (got {rh})")
    return value


def expansion_velocity(rh, law=None):
    """Gas expansion velocity at heliocentric distance ``rh``.

    Parameters
    ----------
    rh : `~astropy.units.Quantity`
        Heliocentric distance(s), length units.
    law : str, `VelocityLaw` or `~astropy.units.Quantity`, optional
        A name in ``VELOCITY_LAWS``, a law object, or a fixed velocity (Quantity with speed
        units, returned unchanged whatever ``rh``). Default: ``DEFAULT_VELOCITY_LAW``, the row
        marked default in ``velocity_laws.ecsv`` (``"cs93"``, 0.85 rh⁻⁰·⁵ km/s).

    Returns
    -------
    `~astropy.units.Quantity`
        Velocity in km/s, same shape as ``rh``.

    Raises
    ------
    InputError
        Unknown law name, a fixed velocity that is not a positive speed, or a bad ``rh``.

    Examples
    --------
    >>> import astropy.units as u
    >>> expansion_velocity(4 * u.au, law="cs93")
    <Quantity 0.425 km / s>
    """
    rh_au = _rh_au(rh)
    if law is None:
        law = _velocity_laws()[1]
    if isinstance(law, u.Quantity):
        try:
            v = law.to(u.km / u.s)
        except u.UnitConversionError:
            raise InputError("velocity", f"needs units of speed, got {law.unit}") from None
        if v.size != 1 or not np.isfinite(v.value) or v.value <= 0:
            raise InputError("velocity", f"must be one positive finite speed (got {law})")
        return np.full(np.shape(rh_au), v.value) * (u.km / u.s)
    if isinstance(law, VelocityLaw):
        return law(rh)
    laws = _velocity_laws()[0]
    if not isinstance(law, str) or law not in laws:
        raise InputError(
            f"velocity law {law!r}",
            f"unknown; known: {', '.join(laws)} (or give a fixed speed as a Quantity)",
        )
    return laws[law](rh)


def reference(key):
    """Return the bibliographic record of a source key.

    Parameters
    ----------
    key : str
        A source key used in the tables (e.g. ``"HM15"``).

    Returns
    -------
    dict
        ``authors, year, title, journal, volume, page, bibcode`` (all str).

    Raises
    ------
    InputError
        Unknown key.
    """
    refs = _references()
    if key not in refs:
        raise InputError(f"reference {key!r}", f"unknown source key; known: {', '.join(refs)}")
    return dict(refs[key])


def fit_windows():
    """Return the default fit windows of ``linelists/fit_windows.ecsv``, in table order.

    Each band names its window in the ``fit_window`` column of ``linelists/bands.ecsv``
    (`Band.fit_window`); :mod:`comaspec.model.continuum` makes its ``Window`` objects from
    these rows.

    Returns
    -------
    tuple of dict
        ``name`` (str), ``lo_um`` and ``hi_um`` (float, µm), ``degree`` (int: the default
        degree of the window's continuum polynomial) and ``always`` (bool: used in every fit,
        not only when a fitted species has a band in it).

    Raises
    ------
    InputError
        A band names a window that the table does not have.
    """
    rows = _tables._fit_windows()
    names = {w["name"] for w in rows}
    for (species, band), by_source in _bands()[0].items():
        window = next(iter(by_source.values()))["fit_window"]
        if window not in names:
            raise InputError(f"fit window {window!r} of {species} {band} (linelists/bands.ecsv)",
                             f"not in linelists/fit_windows.ecsv; known: {', '.join(sorted(names))}")
    return tuple(dict(w) for w in rows)
