"""Line-centre optical depth of the solar-pumping lines (the CO2 ν3 band near the nucleus).

For a line l → u with Einstein A_ul, statistical weights g_u, g_l and wavelength λ, the
absorption coefficient integrated over the line is ``(λ² / 8π)(g_u / g_l) A_ul n_l`` per unit
frequency (Rybicki & Lightman 1979, *Radiative Processes in Astrophysics*, §1.6, the
Einstein relations; stimulated emission is negligible: the upper vibrational level is
nearly empty). With the thermal Doppler profile ``φ(ν) = exp(−(Δv/b)²) / (√π Δν_D)``,
``Δν_D = ν b / c``, ``b = sqrt(2 k T / m)`` (ibid. §10.6), the optical depth at line centre
through a column N of molecules, a fraction n_l of them in the lower level, is

    τ₀ = (λ³ / 8π) (g_u / g_l) A_ul n_l N / (√π b).

n_l is the Boltzmann population of the ground vibrational state at T_rot and A_ul the
absolute Einstein A of `comaspec.fluorescence` (``linelists/einstein_a.ecsv``); the mass is
in ``linelists/molecular_mass.ecsv``. Taking the Doppler width from T_rot alone is
conservative: the coma's expansion (a spread of line-of-sight velocities of ~v) widens the
lines and lowers τ₀.

The column used for a spaxel is its line-of-sight column (the map's), which measures the
escape of the emitted line photons. The pumping sunlight crosses a different column: in a
1/r² coma the line-of-sight column at ρ is Q / (4 v ρ), π times the radial column
Q / (4π v ρ) from distance ρ outward that a molecule on the sunward side sees toward the
Sun; on the anti-sunward side the sunlight has crossed the inner coma and that column can
be larger. No correction is applied: a first-order correction for pump opacity needs a
radiative-transfer model of the coma that is not sourced and validated here; the
diagnostic flags spaxels whose τ₀ exceeds a threshold and warns.
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import NamedTuple

import astropy.units as u
import numpy as np

from ..errors import ComaspecWarning, InputError
from ..physics.fluorescence import DEFAULT_ORTHO_PARA

__all__ = ["line_centre_cross_sections", "line_centre_optical_depth", "haser_optical_depth", "optical_depth_map",
           "aperture_thick_fraction", "molecular_mass", "pump_opacity", "PUMP_BANDS", "DEFAULT_TAU_THRESHOLD"]

#: τ₀ above which a spaxel is flagged: at τ₀ = 0.1 the escape/pumping of the line centre is
#: reduced by ~ τ₀/2 = 5 %, comparable to the other systematic terms of a band flux.
DEFAULT_TAU_THRESHOLD = 0.1


def molecular_mass(species):
    """Mass of the main isotopologue (kg), from ``linelists/molecular_mass.ecsv``.

    Parameters
    ----------
    species : str

    Returns
    -------
    float
    """
    masses = _masses_kg()
    if species not in masses:
        raise InputError(f"species {species!r}", "no molecular mass tabulated (linelists/molecular_mass.ecsv)")
    return masses[species]


@functools.cache
def _masses_kg():
    """Species -> mass (kg) of ``linelists/molecular_mass.ecsv`` (species listed once), read once:
    every fit asks for each species."""
    from ..physics.molecules import _read

    table = _read("molecular_mass.ecsv")
    names, masses = list(table["species"]), table["mass"].quantity.to_value(u.kg)
    return {name: float(m) for name, m in zip(names, masses) if names.count(name) == 1}


def line_centre_cross_sections(species="CO2", T_rot=50.0, *, band="nu3", ortho_para=DEFAULT_ORTHO_PARA):
    """Line-centre absorption cross-section per molecule (all levels) of each pumping line.

    Parameters
    ----------
    species, band : str
        A band with absolute Einstein A in `comaspec.fluorescence` (CO2 nu3, 13CO2 nu3, CO 1-0, H2O nu3).
    T_rot : float
        Rotational (and kinetic) temperature, K.
    ortho_para : float
        H2O ortho/para ratio.

    Returns
    -------
    astropy.table.QTable
        ``wavenumber`` (1/cm), ``sigma0`` (cm², n_l included), sorted by decreasing sigma0;
        meta ``doppler_b_km_s``.
    """
    from astropy.table import QTable

    nu, sigma0, labels, T, b_cm_s = _cross_sections(species, T_rot, band, ortho_para)
    order = np.argsort(-sigma0)
    t = QTable()
    t["wavenumber"] = nu[order] / u.cm
    t["sigma0"] = sigma0[order] * u.cm**2
    t["line"] = labels[order]
    t.meta.update(species=species, band=band, T_rot_K=T, doppler_b_km_s=b_cm_s / 1e5,
                  formula="tau0 = lambda^3/(8 pi) g_u/g_l A n_l N / (sqrt(pi) b) (Rybicki & Lightman 1979, 1.6, 10.6)")
    return t


def _cross_sections(species, T_rot, band, ortho_para):
    """(wavenumber 1/cm, sigma0 cm², line labels, T_rot K, Doppler b cm/s) of the band's pumping lines.

    Plain arrays: the optical depth needs only the largest sigma0, and building the table
    of `line_centre_cross_sections` imports ``astropy.table`` (~0.2 s of every ``comaspec ratio``).
    """
    from ..physics import fluorescence as fl

    return _checked_cross_sections(species, fl.check_temperature(T_rot), band, fl.check_ortho_para(ortho_para))


def _checked_cross_sections(species, T, band, ortho_para):
    """`_cross_sections` of a checked T (float, K) and ortho/para ratio (float)."""
    from ..physics import fluorescence as fl

    lines = _pump_lines(species, band)
    pop = fl._populations(lines.system, T, ortho_para, lines)
    b_cm_s = math.sqrt(2 * _boltzmann_j_per_k() * T / lines.mass_kg) * 100.0
    sigma0 = lines.strength * pop[lines.lower] / (math.sqrt(math.pi) * b_cm_s)
    return lines.wavenumber, sigma0, lines.label, T, b_cm_s


class _PumpLines(NamedTuple):
    """The pumping lines of a band, without their temperature-dependent part (read-only arrays)."""

    system: object  #: the fluorescence level system (`comaspec.physics.fluorescence`)
    wavenumber: np.ndarray  #: 1/cm
    strength: np.ndarray  #: λ³/(8π) (g_u/g_l) A_ul, cm³/s: sigma0 = strength n_l / (√π b)
    lower: np.ndarray  #: index of each line's lower level in the system
    label: np.ndarray
    mass_kg: float
    pumped: np.ndarray  #: the Boltzmann terms of `comaspec.physics.fluorescence._populations`
    minus_c2_de: np.ndarray


@functools.cache
def _pump_lines(species, band):
    """`_PumpLines` of (species, band), gathered once: every fit's pump-opacity check needs them."""
    from ..physics import fluorescence as fl

    system = fl._system(species, band)
    a = fl._absolute_a(species, band)
    if a is None:
        raise InputError(f"{species} {band}", "has no absolute Einstein A: no optical depth")
    sel = system.pump & (system.band == band)
    lam_cm = 1.0 / system.wavenumber[sel]
    g_u = system.upper_g[system.upper[sel]]
    g_l = system.lower_g[system.lower[sel]]
    lines = _PumpLines(system, system.wavenumber[sel], lam_cm**3 / (8 * math.pi) * (g_u / g_l) * a[sel],
                       system.lower[sel], system.line_label[sel], molecular_mass(species),
                       *fl._boltzmann_terms(system))
    for array in (*lines[1:5], *lines[6:]):
        array.flags.writeable = False
    return lines


@functools.cache
def _boltzmann_j_per_k():
    """k_B (J/K) as a float: converting the astropy constant costs more than the rest of a τ₀."""
    import astropy.constants as const

    return float(const.k_B.to_value(u.J / u.K))


@functools.lru_cache(maxsize=256)
def _strongest_sigma0(species, T, band, ortho_para):
    """Largest line-centre cross-section (cm², n_l included) of the band's pumping lines at
    ``T`` (float, K): the aperture edge and the aperture mean of a fit ask for the same one."""
    return float(np.max(_checked_cross_sections(species, T, band, ortho_para)[1]))


def line_centre_optical_depth(column, T_rot, species="CO2", *, band="nu3", ortho_para=DEFAULT_ORTHO_PARA):
    """Largest line-centre optical depth among the band's pumping lines for a column density.

    Parameters
    ----------
    column : float, ndarray or Quantity
        Column density (cm^-2 when plain).
    T_rot : float
        K.
    species, band, ortho_para
        As `line_centre_cross_sections`.

    Returns
    -------
    ndarray
        τ₀ of the strongest line (same shape as ``column``).
    """
    col = u.Quantity(column, u.cm**-2).to_value(u.cm**-2) if hasattr(column, "unit") else np.asarray(column, float)
    return col * _strongest_sigma0_of(species, T_rot, band, ortho_para)


def _strongest_sigma0_of(species, T_rot, band, ortho_para):
    """`_strongest_sigma0` for any accepted T_rot and ortho/para (checked, then as floats)."""
    from ..physics import fluorescence as fl

    return _strongest_sigma0(species, fl.check_temperature(T_rot), band, fl.check_ortho_para(ortho_para))


def haser_optical_depth(Q, rho_km, T_rot, *, velocity_km_s, lifetime_s, species="CO2", band="nu3"):
    """τ₀ of the strongest pumping line along the line of sight at projected distance ρ of a Haser coma.

    Parameters
    ----------
    Q : float
        Production rate (1/s).
    rho_km : float or ndarray
        Projected distance (km).
    T_rot : float
        K.
    velocity_km_s, lifetime_s : float
        Expansion velocity and lifetime at the comet.
    species, band : str

    Returns
    -------
    ndarray
    """
    from ..physics.haser import column_density

    n_km2 = column_density(rho_km, Q, velocity_km_s, lifetime_s)
    return line_centre_optical_depth(n_km2 * 1e-10, T_rot, species, band=band)


def optical_depth_map(maps, species="CO2", *, threshold=DEFAULT_TAU_THRESHOLD, band="nu3"):
    """Line-centre optical depth of the strongest pumping line in every spaxel, and the flagged ones.

    Uses each bin's column density and T_rot (the map's). Emits a `ComaspecWarning` when
    any spaxel exceeds ``threshold``; no correction is applied (module docstring).

    Parameters
    ----------
    maps : `comaspec.maps.ComaMaps`
    species, band : str
    threshold : float

    Returns
    -------
    dict
        ``tau0`` (image), ``flagged`` (bool image), ``threshold``, ``n_flagged``, ``max_tau0``,
        ``doppler_b_km_s`` (at the aperture T_rot), ``message``.
    """
    if species not in maps.column or not np.any(np.isfinite(maps.column[species])):
        raise InputError("species", f"{species!r} has no column-density map")
    if not threshold > 0:
        raise InputError("threshold", f"must be > 0 (got {threshold!r})")
    col = np.clip(maps.column[species], 0.0, None)
    tau = np.full(col.size, np.nan)
    for t in np.unique(maps.T_rot):
        sel = maps.T_rot == t
        tau[sel] = line_centre_optical_depth(col[sel], float(t), species, band=band)
    image = maps.image(tau)
    flagged = np.nan_to_num(image) > threshold
    b = line_centre_cross_sections(species, float(np.median(maps.T_rot)), band=band).meta["doppler_b_km_s"]
    n = int(flagged.sum())
    message = (f"{species} {band}: line-centre optical depth above {threshold:g} in {n} spaxels (max "
               f"{np.nanmax(image):.2g}); band fluxes and columns there are underestimated and not corrected"
               if n else f"{species} {band}: optically thin everywhere (max tau0 {np.nanmax(image):.2g} "
                         f"<= {threshold:g})")
    if n:
        warnings.warn(message, ComaspecWarning, stacklevel=2)
    return {"tau0": image, "flagged": flagged, "threshold": float(threshold), "n_flagged": n,
            "max_tau0": float(np.nanmax(image)), "doppler_b_km_s": float(b), "message": message}


def aperture_thick_fraction(maps, radii, species="CO2", *, threshold=DEFAULT_TAU_THRESHOLD, band="nu3"):
    """Fraction of the band flux of circular apertures that comes from flagged (τ₀ > threshold) spaxels.

    Parameters
    ----------
    maps : `comaspec.maps.ComaMaps`
    radii : Quantity
        Aperture radii around the nucleus (angles); a spaxel belongs to a circle when its
        centre does.
    species, band : str
    threshold : float

    Returns
    -------
    ndarray
        Per radius, Σ flux of flagged spaxels / Σ flux (NaN for an empty circle).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ComaspecWarning)  # the caller reports per aperture
        flagged = optical_depth_map(maps, species, threshold=threshold, band=band)["flagged"]
    flux = np.nan_to_num(maps.image(maps.flux[species], per_spaxel=True))
    rho = maps.offsets()["rho_arcsec"]
    out = []
    for r in np.atleast_1d(u.Quantity(radii).to_value(u.arcsec)):
        inside = rho <= r
        total = flux[inside].sum()
        out.append(flux[inside & flagged].sum() / total if total > 0 else np.nan)
    return np.array(out)


# ------------------------------------------------------------------ the aperture of a fit
# Are the solar-pumping lines optically thin in the fitted aperture?
#
# The fit assumes every molecule is pumped by the unattenuated Sun and that its line photons
# escape. Both fail where the line-centre optical depth τ₀ of the pumping lines nears unity
# (a dense inner coma). From each detected species' production rate the Haser column gives
# τ₀ of the band's strongest pumping line (`haser_optical_depth`,
# Doppler width at the fitted T_rot):
#
# * at the edge of the aperture centred on the nucleus (a circle's radius, an annulus's inner
#   radius, half the shorter side of a box, the equal-area radius of a spaxel mask), the
#   lowest column the aperture holds;
# * for the aperture-mean column (molecules in the aperture / its area), the column that
#   weighs the band flux; the centre itself has no finite τ₀ (the Haser column diverges).
#
# When the aperture-mean τ₀ exceeds `DEFAULT_TAU_THRESHOLD` (0.1: the
# pumping and escape of the line centre are reduced by about τ₀ / 2 = 5 %, as large as the
# other systematic terms of a band flux) a note and a warning say that Q is underestimated
# and not corrected. The numbers are in ``fit.fit_info["pump_opacity"]`` (the JSON's
# ``fit.pump_opacity``). `comaspec.pipeline.fit_loaded` (``comaspec ratio``, ``comaspec batch``)
# calls `pump_opacity` on every fit.

#: The band whose lines pump each species' measured feature.
PUMP_BANDS = {"CO2": "nu3", "13CO2": "nu3", "CO": "1-0", "H2O": "nu3"}


def _edge_km(aperture, sizes):
    """The nucleus-centred aperture's nearest edge (km): its lowest Haser column.

    ``sizes``: the aperture's `_km_floats` sizes (km, one per size field).
    """
    kind = aperture.shape
    if kind == "circle":
        return sizes[0]
    if kind == "annulus":
        return sizes[0]  # r_in
    if kind == "rectangle":
        return 0.5 * min(sizes)
    return math.sqrt(aperture._area_km2(sizes) / math.pi)


def pump_opacity(fit, threshold=None):
    """Line-centre optical depth of each detected species' pumping lines in the fit's aperture.

    Parameters
    ----------
    fit : `comaspec.results.ComaFit`
        With geometry and aperture (a fit for production rates).
    threshold : float, optional
        τ₀ above which a note is added (default
        `DEFAULT_TAU_THRESHOLD`).

    Returns
    -------
    dict
        Per species: ``band``, ``tau0_aperture_edge``, ``edge_km``, ``tau0_aperture_mean``,
        ``T_rot_K``, ``threshold``, ``optically_thin``; empty without geometry or aperture.
        A note (and a `comaspec.ComaspecWarning`) is added to ``fit.fit_info["notes"]`` for
        each species that is not optically thin.
    """
    from ..errors import ComaspecError
    from ..physics.haser import _column_density_1

    threshold = DEFAULT_TAU_THRESHOLD if threshold is None else float(threshold)
    if fit.geometry is None or fit.aperture is None:
        return {}
    aperture = fit.aperture
    sizes, offset = aperture._km_floats(fit.geometry)  # km, as floats: once per fit
    area_km2 = aperture._area_km2(sizes)
    edge = _edge_km(aperture, sizes)
    rh2 = float(fit.geometry.rh.to_value(u.au)) ** 2
    out = {}
    for name, s in fit.species.items():
        if name not in PUMP_BANDS or not s.detected or not s.Q_reported or s.T_rot is None \
                or not s.velocity_km_s or not s.lifetime_1au:
            continue
        q, v, tau_s, T = float(s.Q_reported), float(s.velocity_km_s), float(s.lifetime_1au) * rh2, float(s.T_rot)
        band = PUMP_BANDS[name]
        try:
            sigma0 = _strongest_sigma0_of(name, T, band, DEFAULT_ORTHO_PARA)
        except ComaspecError:  # no absolute Einstein A or mass tabulated for this band
            continue
        # haser_optical_depth and line_centre_optical_depth, in plain floats
        tau_edge = float(_column_density_1(edge, q, v, tau_s) * 1e-10 * sigma0)
        mean_column_cm2 = aperture._haser_number_km(sizes, offset, q, v, tau_s) / (area_km2 * 1e10)
        tau_mean = float(mean_column_cm2 * sigma0)
        thin = tau_mean <= threshold
        out[name] = {"band": band, "tau0_aperture_edge": tau_edge, "edge_km": edge, "tau0_aperture_mean": tau_mean,
                     "T_rot_K": T, "threshold": threshold, "optically_thin": thin}
        if not thin:
            note = (f"{name} {band}: the pumping lines are not optically thin in the aperture: line-centre tau0 of "
                    f"the strongest line {tau_mean:.2g} for the aperture-mean column and {tau_edge:.2g} at its edge "
                    f"({edge:.0f} km from the nucleus), above {threshold:g} (there ~tau0/2 of the line-centre "
                    f"pumping and escape is lost); Q({name}) is underestimated and not corrected")
            fit.fit_info.setdefault("notes", []).append(note)
            warnings.warn(note, ComaspecWarning, stacklevel=2)
    return out
