"""`map_cube`: band fluxes, column densities, T_rot and CO2/H2O maps from an IFU cube.

The work, in order:

1. the nucleus (continuum photocentre, or given) and an aperture spectrum around it
   (radius ``aperture_radius``), fitted with `comaspec.fit_coma`: its T_rot (unless given)
   and wavelength shift are the nonlinear parameters held for every spaxel or bin;
2. the forward model is built once for the cube's grid (`comaspec.maps._adapter`);
3. spaxels are grouped into bins (none, n × n, or Voronoi to a target SNR,
   `comaspec.maps.binning`); a bin's spectrum is the sum of its spaxels;
4. every bin is solved at those parameters in one batched weighted least squares
   (`comaspec.maps._bins.solve_bins` over `comaspec.maps._solve.batched_wls`), in chunks
   of bins to bound memory;
5. with ``nonlinear_snr``, bins whose best band SNR reaches it get their own T_rot and
   shift from a grid of designs solved with the same batched machinery (χ² minimum, then a
   parabola through the neighbouring grid points); the ``TROT_FITTED`` map says where;
6. fluxes become columns, SNR, detections and the CO2/H2O ratio
   (`comaspec.maps._quantities`), gathered in a `comaspec.maps.ComaMaps`.

Column densities come from the band flux of each spaxel: the number of molecules in a
spaxel is ``M = F / (Σ_b g_b E_b / 4πΔ²)`` (g at rh, photon energy E_b, summed over the
bands of the fitted feature, with the model's g-factors), and ``N = M / (Ω Δ²)`` with the
spaxel solid angle Ω. This needs no Haser model; the Haser model enters only the
production rates of apertures (`comaspec.maps.profiles`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import astropy.units as u
import numpy as np

from ..errors import InputError
from ..model.parameters import ORTHO_PARA, SHARED_T_ROT, shift_name
from ..physics.fluorescence import DEFAULT_EMISSION, DEFAULT_ORTHO_PARA
from ._bins import DEFAULT_NONLINEAR_GRID
from .result import ComaMaps

__all__ = ["ComaMaps", "map_cube", "DEFAULT_APERTURE_RADIUS", "DEFAULT_NONLINEAR_GRID", "DEFAULT_CHUNK"]

#: Species mapped when ``species`` is None.
DEFAULT_SPECIES = ("CO2", "H2O", "CO")

#: Radius of the aperture whose fit gives the T_rot and shift held for all spaxels (the
#: default aperture of ``comaspec ratio`` on a cube).
DEFAULT_APERTURE_RADIUS = 0.5 * u.arcsec

#: Bins solved together: their work arrays (pixels × chunk) stay in cache and are reused
#: (a 100 × 100 G395H map ran faster with 512 than with 2048).
DEFAULT_CHUNK = 512

_FLAM = u.W / u.m**2 / u.um


# ====================================================================== helpers
def _to_flam_factor(cube):
    """Factor per wavelength turning the cube's unit into W m^-2 µm^-1 per spaxel."""
    from ..io._units import FLUX_DENSITY, SURFACE_BRIGHTNESS

    source = cube.meta.get("source_file", "cube")
    if cube.bunit.is_equivalent(SURFACE_BRIGHTNESS):
        omega = cube.meta.get("pixel_area", (cube.pixel_scale**2).to(u.sr))
        jy = (1 * cube.bunit * omega).to_value(FLUX_DENSITY)
    elif cube.bunit.is_equivalent(FLUX_DENSITY):
        jy = (1 * cube.bunit).to_value(FLUX_DENSITY)
    else:
        raise InputError(source, f"cube unit {cube.bunit} is neither a surface brightness nor a flux density")
    wl = cube.wavelength.to_value(u.um)
    return jy * (1 * u.Jy).to_value(_FLAM, equivalencies=u.spectral_density(wl * u.um)) * np.ones(wl.size)


def _position_angles(cube, sun_pa, velocity_pa):
    """(sun_pa, velocity_pa, source): from the arguments, else COMASPEC SUN_PA/VEL_PA keywords."""
    from ..io.header import comaspec_keys as _comaspec_keys

    keys = _comaspec_keys(cube.meta.get("primary_header") or {})
    keys.update(_comaspec_keys(cube.meta.get("header") or {}))
    out, sources = [], []
    from .._validate import scalar_quantity

    for value, key, name in ((sun_pa, "SUN_PA_DEG", "sun_pa"), (velocity_pa, "VEL_PA_DEG", "velocity_pa")):
        if value is not None:
            out.append(scalar_quantity(value, u.deg, name) % (360 * u.deg))
            sources.append(f"{name}: user")
        elif key in keys:
            out.append((_header_angle(keys[key], key, cube, name) * u.deg) % (360 * u.deg))
            sources.append(f"{name}: header COMASPEC {key}")
        else:
            out.append(None)
            sources.append(f"{name}: unknown")
    return out[0], out[1], "; ".join(sources)


def _header_angle(value, key, cube, name):
    """A position angle (deg) from a header card, refused unless a finite number."""
    try:
        angle = float(value) if not isinstance(value, (bool, np.bool_)) else math.nan
    except (TypeError, ValueError):
        angle = math.nan
    if not math.isfinite(angle):
        raise InputError(cube.meta.get("source_file", "cube"),
                         f"header card COMASPEC {key} is not a finite number of degrees (pass {name}= "
                         f"or --{name.replace('_', '-')} to give the angle)")
    return angle


def _map_options(options, stated, **keywords):
    """The `comaspec.fit.FitOptions` of a map: ``options``, or the keyword facade's values.

    ``stated``: the facade's ``velocity``, ``lifetime``, ``g_factor`` and ``emission``, which
    become ``options.assumptions`` (with ``ortho_para``). Keywords at their defaults are not
    "given"; given together with ``options`` they are refused (one place says how the
    aperture is fitted and what is assumed).
    """
    from ..fit.core import FitOptions
    from ..physics.assumptions import Assumptions

    if options is None:
        return FitOptions(assumptions=Assumptions(**stated), **keywords)
    if not isinstance(options, FitOptions):
        raise InputError("options", f"must be a comaspec.fit.FitOptions (got {type(options).__name__})")
    defaults = FitOptions()
    given = [k for k, v in keywords.items() if v is not getattr(defaults, k) and v != getattr(defaults, k)]
    given += [k for k, v in stated.items() if v is not getattr(defaults.assumptions, k)
              and v != getattr(defaults.assumptions, k)]
    if given:
        raise InputError("options", f"give {', '.join(given)} in options, not as keywords too")
    return options


def _check_args(species, options, nonlinear_snr, chunk):
    """The species to map and whether ``ortho_para`` asks for a fit, after the checks."""
    from .._validate import integer, names, number

    for name in ("detect_sigma", "limit_sigma"):
        number(getattr(options, name), name, low=0.0, low_open=True)
    if nonlinear_snr is not None:
        number(nonlinear_snr, "nonlinear_snr", low=0.0, low_open=True)
    if isinstance(options.T_rot, dict) or options.per_species_T_rot:
        raise InputError("T_rot", "one rotational temperature for all species in maps (a dict or "
                                  "per_species_T_rot was given)")
    integer(chunk, "chunk", low=1)
    species = list(names(DEFAULT_SPECIES if species is None else species, "species"))
    if not species:
        raise InputError("species", "no species given")
    fit_opr = _fits_ortho_para(options.ortho_para)
    options.check()
    return species, fit_opr


def _fits_ortho_para(ortho_para):
    """Whether ``ortho_para`` asks for the ratio to be fitted ("fit"); a number is checked."""
    from ..physics.fluorescence import check_ortho_para

    if isinstance(ortho_para, str):
        if ortho_para.strip().lower() == "fit":
            return True
        raise InputError("ortho_para", f"must be a number or 'fit' (got {ortho_para!r})")
    if check_ortho_para(ortho_para) <= 0:
        raise InputError("ortho_para", f"must be a finite number > 0 or 'fit' (got {ortho_para!r})")
    return False


# ====================================================================== the map
def map_cube(cube, geometry, *, options=None, species=DEFAULT_SPECIES, binning=None, target_snr=None, snr_species=None,
             T_rot=None, shift=None, nonlinear_snr=None, center=None, aperture_radius=DEFAULT_APERTURE_RADIUS,
             sun_pa=None, velocity_pa=None, lsf=None, windows=None, velocity=None, lifetime=None,
             g_factor=None, emission=DEFAULT_EMISSION, ortho_para=DEFAULT_ORTHO_PARA, detect_sigma=3.0, limit_sigma=3.0,
             max_masked_fraction=0.1, chunk=DEFAULT_CHUNK) -> ComaMaps:
    """Map band fluxes, column densities, T_rot and CO2/H2O over an IFU cube.

    Parameters
    ----------
    cube : `comaspec.io.Cube` or path
        An s3d cube (`comaspec.read_cube`) with uncertainties. A path is read for the
        channels of the fit windows only (`comaspec.read_cube` with ``wavelength_ranges``,
        and ``keep_dq=False``).
    geometry : `comaspec.Geometry` or dict
        rh and Δ.
    options : `comaspec.fit.FitOptions`, optional
        How the aperture is fitted, as for `comaspec.fit.fit_model` (its ``T_rot``,
        ``ortho_para``, ``detect_sigma`` and ``limit_sigma`` also hold for the bins; one
        T_rot for all species; its ``assumptions`` also hold for the bins). Default: from the
        keywords ``T_rot``, ``ortho_para``, ``detect_sigma``, ``limit_sigma``, ``velocity``,
        ``lifetime``, ``g_factor`` and ``emission`` (a facade; the last four and
        ``ortho_para`` make ``options.assumptions``), which are refused with ``options``.
    species : str or sequence of str, optional
        Species to map (default, also for None: CO2, H2O, CO; those the cube does not
        cover are dropped).
    binning : None, int or "voronoi"
        None: every spaxel; n: square n × n bins; "voronoi": adaptive bins reaching
        ``target_snr`` in the band of ``snr_species`` (needs the ``vorbin`` package).
    target_snr : float, optional
        Target SNR of Voronoi bins.
    snr_species : str, optional
        Species whose band SNR drives Voronoi binning (default: the first mapped one whose
        band SNR summed over the whole cube reaches ``target_snr``; ``meta["binning"]`` names
        it). A target no species can reach is refused with the SNR of the whole cube.
    T_rot : float or Quantity, optional
        Hold T_rot at this value (K). Default: the aperture fit's T_rot.
    shift : Quantity, optional
        Hold the wavelength shift (observed − rest) at this value. Default: the aperture
        fit's (which fits its own shift also when ``shift`` is given and only its T_rot is
        used). With both ``T_rot`` and ``shift`` given no aperture fit is made.
    nonlinear_snr : float, optional
        Fit T_rot (unless given) and the shift in every bin whose best band SNR reaches
        this value; other bins keep the aperture fit's values. Default: never (all bins
        at the aperture fit's values).
    center : (x, y), optional
        Nucleus position in 0-based pixels (default: continuum photocentre).
    aperture_radius : Quantity
        Radius of the aperture fit around the nucleus (default 0.5″).
    sun_pa, velocity_pa : Quantity, optional
        Position angles (east of north) of the Sun and of the velocity vector (e.g. from
        JPL Horizons: ``PsAng`` is the anti-solar direction, so sun_pa = PsAng − 180°;
        velocity_pa = PsAMV − 180° likewise). Default: COMASPEC SUN_PA_DEG / VEL_PA_DEG
        header keywords, else unknown.
    lsf : optional
        LSF, mode name or resolving power (default: the cube's mode).
    windows, velocity, lifetime, g_factor, emission
        As in `comaspec.fit_coma`.
    ortho_para : float or "fit"
        H2O ortho/para ratio (default 3). "fit": fitted in the aperture fit (always made
        then) and held at that value in every bin, like T_rot; ``meta["ortho_para"]`` and
        the FITS header (``OPR``) give the value used.
    detect_sigma, limit_sigma : float
        Detection threshold and significance of limits.
    max_masked_fraction : float
        Largest fraction of a bin's spaxels that may be masked at a wavelength before that
        wavelength is masked in the bin (the rest is scaled up by the count, as in
        `comaspec.extract_spectrum`).
    chunk : int
        Bins solved together (bounds memory).

    Returns
    -------
    ComaMaps
    """
    import time

    from ._quantities import bin_quantities

    t0 = time.perf_counter()
    stated = {"velocity": velocity, "lifetime": lifetime, "g_factor": g_factor, "emission": emission}
    options = _map_options(options, stated, T_rot=T_rot, ortho_para=ortho_para, detect_sigma=detect_sigma,
                           limit_sigma=limit_sigma)
    species, fit_opr = _check_args(species, options, nonlinear_snr, chunk)
    cube, source, mode = _usable_cube(cube, windows, species, lsf)
    setup = _setup(cube, geometry, options, shift, aperture_radius, center, species)
    sun, vel, pa_source = _position_angles(cube, sun_pa, velocity_pa)
    model_args = {"lsf": lsf, "windows": windows}

    # 1. the aperture fit: the nonlinear parameters held for every bin
    ap = _aperture_fit(cube, setup, max_masked_fraction, model_args, options)
    # the bins' model: the aperture's assumptions, its ortho/para held by name (ap["values"])
    model_args, choice_note = _continuum_of(ap["fit"], dict(model_args, assumptions=options.assumptions))
    # 2. the model, built once; the cube as (pixels, spaxels)
    sd, data = _model_and_data(cube, ap, setup, max_masked_fraction, model_args, source)
    # 3. the bins, every one solved at the aperture's parameters
    t_solve = time.perf_counter()
    bins, sol = _bins_at_aperture(sd, data, cube.shape[1:], binning, target_snr, snr_species, ap["T0"],
                                  ap["shift0"], chunk)
    t_solve = time.perf_counter() - t_solve
    # 4. T_rot and shift of their own in bins of sufficient SNR
    nonlinear, notes = _nonlinear_bins(sd, data, bins.members, sol, nonlinear_snr, setup.T_fixed, ap["T0"],
                                       ap["shift0"], chunk)
    # 5. physical quantities
    n_spax = np.array([m.size for m in bins.members])
    omega = float(cube.meta.get("pixel_area", (cube.pixel_scale**2).to(u.sr)).to_value(u.sr))
    q = bin_quantities(sd, sol, n_spax, omega, setup.geometry, setup.aperture, assumptions=options.assumptions,
                       detect_sigma=options.detect_sigma, limit_sigma=options.limit_sigma)
    notes = list(setup.found.get("notes", [])) + choice_note + notes + _solve_notes(sol, len(bins.members))
    detect_sigma, limit_sigma, geometry = options.detect_sigma, options.limit_sigma, setup.geometry
    nucleus, nucleus_method, n_bins = setup.found["xy"], setup.found["method"], len(bins.members)
    return ComaMaps.build(  # q's per-bin values (a new one is a registry entry, maps/registry.py) and the rest
        **q, species=list(sd.species), bin_id=bins.bin_id, n_spaxels=n_spax, T_rot=nonlinear["T"],
        T_rot_err=nonlinear["T_err"], T_rot_fitted=nonlinear["fitted"], shift_um=nonlinear["shift"], chi2=sol["chi2"],
        dof=sol["dof"], nucleus_xy=tuple(float(v) for v in nucleus), nucleus_method=nucleus_method, sun_pa=sun,
        velocity_pa=vel, wcs=cube.wcs, pixel_scale=cube.pixel_scale.to(u.arcsec), pixel_area=omega * u.sr,
        geometry=geometry, aperture_fit=ap["fit"], T_rot_source=ap["source"], pa_source=pa_source,
        detect_sigma=float(detect_sigma), limit_sigma=float(limit_sigma),
        error_inflation={s: sol["inflation"][:, j] for j, s in enumerate(sd.species)},
        meta={"source_file": str(source), "binning": bins.describe, "n_bins": n_bins, "notes": notes + bins.notes,
              "linear_names": list(sd.names), "n_pixels_fitted": int(data.pix.size), "mode": mode,
              "solve_seconds": t_solve, "total_seconds": time.perf_counter() - t0,
              "nonlinear_snr": nonlinear_snr, "T_rot_aperture_K": ap["T0"], "shift_aperture_um": ap["shift0"],
              "ortho_para": float(ap["ortho_para"]), "ortho_para_fitted": fit_opr,
              "bunit": str(cube.bunit), "target": cube.meta.get("target")})


# ---------------------------------------------------------------------- the stages of map_cube
@dataclass(frozen=True)
class _Setup:
    """What a map holds before any fit: geometry, the aperture and nucleus, given T_rot and shift."""

    geometry: object
    aperture: object
    found: dict
    T_fixed: float | None
    shift_fixed: float | None
    species: list


def _usable_cube(cube, windows, species, lsf):
    """The cube (read for the windows' channels if a path), its name and its mode, checked."""
    from ..io import read_cube
    from ..io.cube import check_channels
    from ..model.continuum import window_ranges
    from ..physics import instrument

    ranges = window_ranges(windows, species)
    if not hasattr(cube, "flux") or not hasattr(cube, "wavelength"):
        # only the channels the windows need; DQ only makes the mask
        cube = read_cube(cube, wavelength_ranges=ranges, keep_dq=False)
    check_channels(cube, ranges)
    source = cube.meta.get("source_file", "cube")
    if cube.error is None:
        raise InputError(source, "has no ERR extension: per-spaxel fits need uncertainties")
    mode = instrument.mode_from_meta(cube.meta)
    if lsf is None and mode is None:
        raise InputError(source, "the instrument mode is unknown (no GRATING in the header); pass lsf=")
    return cube, source, mode


def _setup(cube, geometry, options, shift, aperture_radius, center, species):
    """The `_Setup` of a map: arguments checked, the nucleus found."""
    from .._validate import in_range, scalar_quantity, temperature
    from ..apertures import CircularAperture
    from ..geometry import Geometry
    from ..io.extract import locate_nucleus

    geometry = Geometry.from_any(geometry)
    T_fixed = None if options.T_rot is None else temperature(options.T_rot)
    shift_fixed = None if shift is None else _shift_um(shift)
    radius = in_range(scalar_quantity(aperture_radius, u.arcsec, "aperture_radius", positive=True),
                      "aperture_radius", "aperture")
    found = locate_nucleus(cube, center, float((radius / cube.pixel_scale).decompose()), species)
    return _Setup(geometry, CircularAperture(radius.to(u.arcsec)), found, T_fixed, shift_fixed, species)


def _solve_notes(sol, n_bins):
    """Notes on bins with inflated errors and bins that could not be solved."""
    notes = []
    inflated = (sol["inflation"] > 1).any(axis=1) & sol["ok"]
    if inflated.any():
        notes.append(f"{int(inflated.sum())} of {n_bins} bins have an improbable chi2 (p < 1e-3): their band-flux "
                     "errors are inflated by the residuals, as fit_coma does (error_inflation)")
    bad = ~sol["ok"]
    if bad.any():
        notes.append(f"{int(bad.sum())} bins could not be solved (a band or continuum term unconstrained there)")
    return notes


def _aperture_fit(cube, setup, max_masked_fraction, model_args, options):
    """The aperture spectrum around the nucleus and, unless T_rot and shift are both given (and
    ortho/para is not fitted), its fit with ``options``: the T_rot, shift and ortho/para held
    for every bin, the fit's nonlinear values by name, and where they come from."""
    from dataclasses import fields

    from ..fit.core import fit_coma
    from ..io import extract_light_spectrum

    T_fixed, shift_fixed, aperture, species = setup.T_fixed, setup.shift_fixed, setup.aperture, setup.species
    spec = extract_light_spectrum(cube, aperture, center=setup.found["xy"], max_masked_fraction=max_masked_fraction)
    fit = None
    fitted = species
    fit_opr = isinstance(options.ortho_para, str)  # "fit", checked by map_cube
    if T_fixed is None or shift_fixed is None or fit_opr:
        # the options as fit_coma's keywords (ortho_para is in the assumptions; asdict would unpack them)
        given = {f.name: getattr(options, f.name) for f in fields(options) if f.name != "ortho_para"}
        fit = fit_coma(spec, setup.geometry, aperture, species, **dict(given, T_rot=T_fixed), **model_args)
        fitted = [s for s in species if fit.species[s].covered]
    T0 = T_fixed if T_fixed is not None else float(fit.species[fitted[0]].T_rot)
    shift0 = shift_fixed if shift_fixed is not None else float(fit.fit_info["wavelength_shift_um"][0])
    where = f"aperture fit ({aperture.radius.to_value(u.arcsec):g}\" radius around the nucleus)"
    source = (f"T_rot given ({T0:g} K)" if T_fixed is not None else f"T_rot from the {where}: {T0:.1f} K") + \
        (f", shift given ({shift0:.3g} um)" if shift_fixed is not None else f", shift from the {where}: "
                                                                             f"{shift0:.3g} um")
    opr = options.ortho_para
    if fit_opr:
        # without H2O in the fit the ratio changes no template: the default stands (and is said)
        opr = float(fit.fit_info.get("ortho_para", DEFAULT_ORTHO_PARA)) if "H2O" in fitted else DEFAULT_ORTHO_PARA
        err = fit.fit_info.get("ortho_para_err") if "H2O" in fitted else None
        source += (f", H2O ortho/para from the {where}: {opr:.2f}" + (f" +- {err:.2f}" if err else "")
                   if "H2O" in fitted else f", H2O ortho/para {opr:g} (no H2O fitted)")
    values = {} if fit is None else dict(fit.params.valuesdict())
    return {"spectrum": spec, "fit": fit, "fitted": fitted, "T0": T0, "shift0": shift0, "source": source,
            "ortho_para": opr, "values": dict(values, **{ORTHO_PARA: float(opr)})}


def _continuum_of(fit, model_args):
    """The continuum the aperture fit chose from the data (`comaspec.fit.continuum_choice`),
    held for every bin: its windows' degrees, or the physical continuum at its shape."""
    choice = None if fit is None else fit.fit_info.get("continuum_choice")
    if not choice:
        return model_args, []
    from ..model import Window

    args = dict(model_args, windows=[Window(n, lo, hi, d) for n, lo, hi, d in fit.fit_info["windows"]],
                continuum=choice["continuum"])
    what = ", ".join(f"{n} degree {d}" for n, d in choice["degrees"].items())
    if choice["continuum"] == "physical":  # its shape is held at the aperture fit's values (by name)
        what = (f"physical (slope {fit.fit_info['continuum_slope']:.3g}, dust "
                f"{fit.fit_info['dust_temperature_K']:.0f} K, held for every bin)")
    return args, [f"continuum chosen by the aperture fit from the data: {what} (see fit_coma's continuum choice)"]


def _model_and_data(cube, ap, setup, max_masked_fraction, model_args, source):
    """The forward model on the cube's grid (`comaspec.maps._adapter`), holding the aperture
    fit's ortho/para and continuum shape, and the cube's fitted pixels as (pixels, spaxels)
    (`comaspec.maps._bins.CubePixels`)."""
    from ..fit.core import as_observed
    from ._adapter import spaxel_design
    from ._bins import CubePixels

    obs = as_observed(ap["spectrum"], lsf=model_args["lsf"])
    sd = spaxel_design(obs.wavelength_um, obs.flux, obs.error, obs.good, obs.lsf, ap["fitted"], setup.geometry,
                       setup.aperture, label=str(source), held=ap["values"],
                       **{k: v for k, v in model_args.items() if k != "lsf"})
    # the cube's wavelength grid and the model's (sorted, same values)
    cube_wl = cube.wavelength.to_value(u.um)
    if cube_wl.size != obs.wavelength_um.size or not np.allclose(cube_wl, obs.wavelength_um, rtol=0, atol=1e-12):
        raise InputError(source, "cube wavelengths are not increasing: cannot map")
    pix = np.flatnonzero(sd.pixels)
    nwave, ny, nx = cube.shape
    data = CubePixels(cube.flux.value.reshape(nwave, ny * nx), cube.error.to_value(cube.bunit).reshape(nwave, ny * nx),
                      cube.mask.reshape(nwave, ny * nx), pix, _to_flam_factor(cube)[pix], max_masked_fraction)
    return sd, data


def _bins_at_aperture(sd, data, shape, binning, target_snr, snr_species, T0, shift0, chunk):
    """The bins and every bin solved at the aperture's T_rot and shift.

    Unbinned and Voronoi maps start from every spaxel solved alone, which also tells which
    spaxels have data in the fit (a separate pass over the cube cost a tenth of a map).
    """
    from ._bins import solve_bins
    from .binning import is_unbinned, make_bins

    ny, nx = shape
    n_sp = len(sd.species)
    a0 = sd.design({SHARED_T_ROT: T0, shift_name(0): shift0})
    each_spaxel = None
    if is_unbinned(binning) or binning == "voronoi":
        each_spaxel = solve_bins(a0, data, list(np.arange(ny * nx).reshape(-1, 1)), chunk, n_sp)
        usable = each_spaxel["dof"] > -a0.shape[1]          # some pixel with weight
    else:
        usable = data.usable_spaxels()
    bins = make_bins(binning, (ny, nx), usable, target_snr=target_snr, unbinned=lambda: each_spaxel,
                     snr_column=_snr_column(sd, snr_species), species=list(sd.species))
    if each_spaxel is not None and all(m.size == 1 for m in bins.members):
        return bins, {key: v[np.concatenate(bins.members)] for key, v in each_spaxel.items()}
    return bins, solve_bins(a0, data, bins.members, chunk, n_sp)


def _nonlinear_bins(sd, data, members, sol, nonlinear_snr, T_fixed, T0, shift0, chunk):
    """T_rot and shift of each bin: their own (re-solving the bin, ``sol`` updated in place)
    where the best band SNR reaches ``nonlinear_snr``, the aperture's elsewhere; and notes."""
    from ._bins import fit_nonlinear, solve_bins

    n_bins, n_sp = len(members), len(sd.species)
    out = {"T": np.full(n_bins, T0), "T_err": np.full(n_bins, np.nan), "shift": np.full(n_bins, shift0),
           "fitted": np.zeros(n_bins, dtype=bool)}
    if nonlinear_snr is None:
        return out, []
    snr = sol["coef"][:, :n_sp] / np.sqrt(sol["var"][:, :n_sp])
    best_snr = np.nanmax(np.where(np.isfinite(snr), snr, -np.inf), axis=1)
    strong = np.flatnonzero(best_snr >= nonlinear_snr)
    if not strong.size:
        return out, [f"no bin reaches SNR {nonlinear_snr:g}: every bin holds the aperture fit's T_rot and shift"]
    max_shift = 0.5 * sd.model.median_fwhm_um(0)
    res = fit_nonlinear(sd, data, [members[i] for i in strong], T_fixed, T0, shift0, max_shift, chunk)
    for key in ("T", "T_err", "shift"):
        out[key][strong] = res[key]
    out["fitted"][strong] = True
    for i in strong:
        a = sd.design({SHARED_T_ROT: out["T"][i], shift_name(0): out["shift"][i]})
        one = solve_bins(a, data, [members[i]], chunk, n_sp)
        for key in sol:
            sol[key][i] = one[key][0]
    return out, [f"T_rot{' (given)' if T_fixed is not None else ''} and shift fitted in {strong.size} of "
                 f"{n_bins} bins (best band SNR >= {nonlinear_snr:g}); the others hold the aperture fit's"]


def _shift_um(shift):
    from .._validate import scalar_quantity

    return float(scalar_quantity(shift, u.um, "shift").value)


def _snr_column(sd, snr_species):
    if snr_species is None:
        return None  # make_bins takes the first species that can reach the target
    if snr_species not in sd.species:
        raise InputError("snr_species", f"{snr_species!r} is not mapped (mapped: {', '.join(sd.species)})")
    return sd.species.index(snr_species)
