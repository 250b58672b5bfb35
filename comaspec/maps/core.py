"""`map_cube`: band fluxes, column densities, T_rot and CO2/H2O maps from an IFU cube.

The work, in order:

1. the nucleus (continuum photocentre, or given) and an aperture spectrum around it
   (radius ``aperture_radius``), fitted with `comaspec.fit_coma`: its T_rot (unless given)
   and wavelength shift are the nonlinear parameters held for every spaxel or bin;
2. the forward model is built once for the cube's grid (`comaspec.maps._adapter`);
3. spaxels are grouped into bins (none, n × n, or Voronoi to a target SNR,
   `comaspec.maps.binning`); a bin's spectrum is the sum of its spaxels;
4. every bin is solved at those parameters in one batched weighted least squares
   (`comaspec.maps._solve.batched_wls`), in chunks of bins to bound memory;
5. with ``nonlinear_snr``, bins whose best band SNR reaches it get their own T_rot and
   shift from a grid of designs solved with the same batched machinery (χ² minimum, then a
   parabola through the neighbouring grid points); the ``TROT_FITTED`` map says where.

Column densities come from the band flux of each spaxel: the number of molecules in a
spaxel is ``M = F / (Σ_b g_b E_b / 4πΔ²)`` (g at rh, photon energy E_b, summed over the
bands of the fitted feature, with the model's g-factors), and ``N = M / (Ω Δ²)`` with the
spaxel solid angle Ω. This needs no Haser model; the Haser model enters only the
production rates of apertures (`comaspec.maps.profiles`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import astropy.units as u
import numpy as np

from ..errors import InputError
from ..fluorescence import DEFAULT_EMISSION, DEFAULT_ORTHO_PARA

__all__ = ["ComaMaps", "map_cube", "DEFAULT_APERTURE_RADIUS", "DEFAULT_NONLINEAR_GRID", "DEFAULT_CHUNK"]

#: Radius of the aperture whose fit gives the T_rot and shift held for all spaxels (the
#: default aperture of ``comaspec ratio`` on a cube).
DEFAULT_APERTURE_RADIUS = 0.5 * u.arcsec

#: Bins solved together: their work arrays (pixels × chunk) stay in cache and are reused
#: (a 100 × 100 G395H map ran faster with 512 than with 2048).
DEFAULT_CHUNK = 512

#: Grids searched for per-bin nonlinear parameters: T_rot (K, geometric) and the shift as a
#: fraction of half the median resolution element.
DEFAULT_NONLINEAR_GRID = (np.geomspace(10.0, 300.0, 25), np.linspace(-1.0, 1.0, 9))
_FLAM = u.W / u.m**2 / u.um


@dataclass
class ComaMaps:
    """Maps of one IFU cube: per bin values and their images on the cube's spaxel grid.

    Attributes
    ----------
    species : list of str
        Mapped species (covered by the cube).
    bin_id : ndarray of int, shape (ny, nx)
        Bin of every spaxel; -1 where a spaxel is not used (masked, off the data).
    n_spaxels : ndarray of int, shape (n_bins,)
        Spaxels per bin.
    flux, flux_err : dict
        Species → band flux of each bin (W m^-2, summed over the bin's spaxels) and 1σ.
    column, column_err : dict
        Species → mean column density in the bin (cm^-2), NaN without a g-factor.
    snr : dict
        Species → flux / flux_err per bin.
    detected : dict
        Species → bool per bin (snr ≥ ``detect_sigma``).
    ratio, ratio_err : ndarray or None
        CO2/H2O column ratio per bin (None unless both are mapped).
    ratio_limit : ndarray of int or None
        0 measured, 1 lower limit (H2O not detected), 2 upper limit (CO2 not detected),
        -1 neither detected (ratio NaN).
    T_rot, T_rot_err, shift_um : ndarray
        Per bin; ``T_rot_fitted`` is True where they were fitted in that bin, False where they
        are the aperture fit's values (``T_rot_source`` says which values those are).
    chi2, dof : ndarray
        Per bin, of the final linear solve.
    nucleus_xy : tuple of float
        Nucleus position (0-based pixels); ``nucleus_method`` "continuum photocentre" or "given".
    sun_pa, velocity_pa : Quantity or None
        Position angles (east of north) of the Sun and of the comet's heliocentric velocity
        vector as seen by the observer; ``pa_source`` says where they came from.
    wcs : astropy.wcs.WCS or None
        The cube's celestial WCS.
    pixel_scale : Quantity
        Spaxel side (arcsec); ``pixel_area`` its solid angle (sr).
    geometry : `comaspec.Geometry`
    molecule_flux : dict
        Species → band flux per molecule, Σ g_b E_b / (4π Δ²) (W m^-2), for M = F / this.
    aperture_fit : `comaspec.results.ComaFit` or None
        The aperture fit that gave the held nonlinear parameters (None when both were given).
    error_inflation : dict
        Species → factor applied to each bin's band-flux error where its χ² is improbable
        (1 elsewhere; as `comaspec.fit_coma`).
    meta : dict
        Binning, thresholds, timings, notes.
    """

    species: list
    bin_id: np.ndarray
    n_spaxels: np.ndarray
    flux: dict
    flux_err: dict
    column: dict
    column_err: dict
    snr: dict
    detected: dict
    ratio: np.ndarray | None
    ratio_err: np.ndarray | None
    ratio_limit: np.ndarray | None
    T_rot: np.ndarray
    T_rot_err: np.ndarray
    T_rot_fitted: np.ndarray
    shift_um: np.ndarray
    chi2: np.ndarray
    dof: np.ndarray
    nucleus_xy: tuple
    nucleus_method: str
    sun_pa: u.Quantity | None
    velocity_pa: u.Quantity | None
    wcs: object
    pixel_scale: u.Quantity
    pixel_area: u.Quantity
    geometry: object
    molecule_flux: dict
    aperture_fit: object = None
    T_rot_source: str = ""
    pa_source: str = ""
    detect_sigma: float = 3.0
    limit_sigma: float = 3.0
    velocity_km_s: dict = field(default_factory=dict)
    lifetime_s: dict = field(default_factory=dict)
    error_inflation: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ images
    @property
    def shape(self):
        """(ny, nx) of the maps."""
        return self.bin_id.shape

    def image(self, values, per_spaxel=False):
        """Spread per-bin ``values`` on the spaxel grid (NaN where ``bin_id`` is -1).

        Parameters
        ----------
        values : ndarray, shape (n_bins,)
        per_spaxel : bool
            Divide by the bin's number of spaxels (for fluxes: flux per spaxel).

        Returns
        -------
        ndarray, shape (ny, nx)
        """
        values = np.asarray(values, dtype=float)
        if per_spaxel:
            values = values / self.n_spaxels
        out = np.full(self.shape, np.nan)
        used = self.bin_id >= 0
        out[used] = values[self.bin_id[used]]
        return out

    def molecules(self, species):
        """Number of molecules in each spaxel and its 1σ (images), from the bin's band flux.

        Parameters
        ----------
        species : str

        Returns
        -------
        (ndarray, ndarray)
        """
        per = self.molecule_flux.get(species)
        if per is None:
            raise InputError(species, "has no g-factor: no molecule numbers or columns")
        return (self.image(self.flux[species], per_spaxel=True) / per,
                self.image(self.flux_err[species], per_spaxel=True) / per)

    def offsets(self):
        """Projected distance (km and arcsec) and position angle (deg east of north) of every
        spaxel centre from the nucleus.

        Returns
        -------
        dict
            ``rho_km``, ``rho_arcsec``, ``pa_deg`` images.
        """
        from .geometry import offsets_image

        return offsets_image(self.shape, self.nucleus_xy, self.wcs, self.pixel_scale, self.geometry)

    # ------------------------------------------------------------------ analysis
    def radial_profile(self, species, **kwargs):
        """Azimuthal (or sector) radial profile of the column density.

        Parameters
        ----------
        species : str
        **kwargs
            ``edges``, ``pa_range``, ``half_width`` of `comaspec.maps.profiles.radial_profile`.

        Returns
        -------
        astropy.table.QTable
        """
        from .profiles import radial_profile

        return radial_profile(self, species, **kwargs)

    def q_curve(self, species, **kwargs):
        """Q from circular apertures and annuli against radius, terminal Q and growth factor.

        Parameters
        ----------
        species : str
        **kwargs
            ``radii``, ``plateau``, ``nucleus_radius`` of `comaspec.maps.profiles.q_curve`.

        Returns
        -------
        astropy.table.QTable
        """
        from .profiles import q_curve

        return q_curve(self, species, **kwargs)

    def fit_extended_source(self, species, **kwargs):
        """Parent vs parent + distributed source fit of the radial profile.

        Parameters
        ----------
        species : str
        **kwargs
            ``edges``, ``r_min``, ``bic_threshold``, ``detect_sigma`` of
            `comaspec.maps.profiles.fit_extended_source`.

        Returns
        -------
        `comaspec.maps.profiles.ExtendedSourceFit`
        """
        from .profiles import fit_extended_source

        return fit_extended_source(self, species, **kwargs)

    def optical_depth(self, species="CO2", **kwargs):
        """Line-centre optical depth of the strongest pumping line per spaxel.

        Parameters
        ----------
        species : str
        **kwargs
            ``threshold``, ``band`` of `comaspec.maps.opacity.optical_depth_map`.

        Returns
        -------
        dict
        """
        from .opacity import optical_depth_map

        return optical_depth_map(self, species, **kwargs)

    # ------------------------------------------------------------------ output
    def to_hdulist(self):
        """Multi-extension FITS of the maps (see `comaspec.maps.output.maps_hdulist`).

        Returns
        -------
        astropy.io.fits.HDUList
        """
        from .output import maps_hdulist

        return maps_hdulist(self)

    def write(self, path, overwrite=False):
        """Write the maps as multi-extension FITS, atomically (see `comaspec.maps.output`).

        Parameters
        ----------
        path : str or os.PathLike
        overwrite : bool

        Returns
        -------
        pathlib.Path
        """
        from .output import write_maps

        return write_maps(self, path, overwrite=overwrite)

    def plot(self, path=None, **kwargs):
        """Panel of maps (see `comaspec.plotting.maps.maps_panel`).

        Parameters
        ----------
        path : str or os.PathLike, optional
            Write the figure (.pdf or .png).
        **kwargs
            ``panels``, ``snr_species``.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from ..plotting.maps import maps_panel

        return maps_panel(self, path, **kwargs)


# ====================================================================== helpers
def _per(value, name):
    return value.get(name) if isinstance(value, dict) else value


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
    from ..synthetic import _comaspec_keys

    keys = _comaspec_keys(cube.meta.get("primary_header") or {})
    keys.update(_comaspec_keys(cube.meta.get("header") or {}))
    out, sources = [], []
    from .._validate import scalar_quantity

    for value, key, name in ((sun_pa, "SUN_PA_DEG", "sun_pa"), (velocity_pa, "VEL_PA_DEG", "velocity_pa")):
        if value is not None:
            out.append(scalar_quantity(value, u.deg, name) % (360 * u.deg))
            sources.append(f"{name}: user")
        elif key in keys:
            out.append((float(keys[key]) * u.deg) % (360 * u.deg))
            sources.append(f"{name}: header COMASPEC {key}")
        else:
            out.append(None)
            sources.append(f"{name}: unknown")
    return out[0], out[1], "; ".join(sources)


def _check_args(species, detect_sigma, limit_sigma, nonlinear_snr, T_rot, chunk):
    for name, value in (("detect_sigma", detect_sigma), ("limit_sigma", limit_sigma)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise InputError(name, f"must be a number > 0 (got {value!r})")
    if nonlinear_snr is not None and not (isinstance(nonlinear_snr, (int, float)) and nonlinear_snr > 0):
        raise InputError("nonlinear_snr", f"must be a number > 0 or None (got {nonlinear_snr!r})")
    if isinstance(T_rot, dict):
        raise InputError("T_rot", "one rotational temperature for all species in maps (a dict was given)")
    if not (isinstance(chunk, int) and chunk > 0):
        raise InputError("chunk", f"must be a positive integer (got {chunk!r})")
    species = [species] if isinstance(species, str) else list(species)
    if not species:
        raise InputError("species", "no species given")
    return species


# ====================================================================== the map
def map_cube(cube, geometry, *, species=("CO2", "H2O", "CO"), binning=None, target_snr=None, snr_species=None,
             T_rot=None, shift=None, nonlinear_snr=None, center=None, aperture_radius=DEFAULT_APERTURE_RADIUS,
             sun_pa=None, velocity_pa=None, lsf=None, windows=None, velocity=None, lifetime=None,
             g_factor=None, emission=DEFAULT_EMISSION, ortho_para=DEFAULT_ORTHO_PARA, detect_sigma=3.0, limit_sigma=3.0,
             max_masked_fraction=0.1, chunk=DEFAULT_CHUNK) -> ComaMaps:
    """Map band fluxes, column densities, T_rot and CO2/H2O over an IFU cube.

    Parameters
    ----------
    cube : `comaspec.io.Cube` or path
        An s3d cube (`comaspec.read_cube`) with uncertainties.
    geometry : `comaspec.Geometry` or dict
        rh and Δ.
    species : sequence of str
        Species to map (default CO2, H2O, CO; those the cube does not cover are dropped).
    binning : None, int or "voronoi"
        None: every spaxel; n: square n × n bins; "voronoi": adaptive bins reaching
        ``target_snr`` in the band of ``snr_species`` (needs the ``vorbin`` package).
    target_snr : float, optional
        Target SNR of Voronoi bins.
    snr_species : str, optional
        Species whose band SNR drives Voronoi binning (default the first mapped one).
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
    windows, velocity, lifetime, g_factor, emission, ortho_para
        As in `comaspec.fit_coma`.
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

    from .. import instrument
    from .._validate import in_range, scalar_quantity, temperature
    from ..apertures import CircularAperture
    from ..fit import as_observed, fit_coma
    from ..geometry import Geometry
    from ..io import extract_spectrum, read_cube
    from ..io.extract import nucleus_position
    from ..production import molecules_per_unit_Q
    from ._adapter import spaxel_design
    from .binning import make_bins

    t0 = time.perf_counter()
    species = _check_args(species, detect_sigma, limit_sigma, nonlinear_snr, T_rot, chunk)
    if not hasattr(cube, "flux") or not hasattr(cube, "wavelength"):
        cube = read_cube(cube)
    source = cube.meta.get("source_file", "cube")
    if cube.error is None:
        raise InputError(source, "has no ERR extension: per-spaxel fits need uncertainties")
    geometry = Geometry.from_any(geometry)
    T_fixed = None if T_rot is None else temperature(T_rot)
    radius = in_range(scalar_quantity(aperture_radius, u.arcsec, "aperture_radius", positive=True),
                      "aperture_radius", "aperture")
    nucleus, nucleus_method = nucleus_position(cube, center, float((radius / cube.pixel_scale).decompose()))
    sun, vel, pa_source = _position_angles(cube, sun_pa, velocity_pa)
    mode = instrument.mode_from_meta(cube.meta)
    if lsf is None and mode is None:
        raise InputError(source, "the instrument mode is unknown (no GRATING in the header); pass lsf=")

    # ---- 1. the aperture fit: nonlinear parameters held for every bin
    aperture = CircularAperture(radius.to(u.arcsec))
    spec = extract_spectrum(cube, aperture, center=nucleus, max_masked_fraction=max_masked_fraction)
    shift_fixed = None if shift is None else _shift_um(shift)
    fit = None
    if T_fixed is None or shift_fixed is None:
        fit = fit_coma(spec, geometry, aperture, species, T_rot=T_fixed, lsf=lsf, windows=windows,
                       velocity=velocity, lifetime=lifetime, g_factor=g_factor, emission=emission,
                       ortho_para=ortho_para, detect_sigma=detect_sigma, limit_sigma=limit_sigma)
        fitted = [s for s in species if fit.species[s].covered]
    else:
        fitted = species
    T0 = T_fixed if T_fixed is not None else float(fit.species[fitted[0]].T_rot)
    shift0 = shift_fixed if shift_fixed is not None else float(fit.fit_info["wavelength_shift_um"][0])
    where = f"aperture fit ({radius.to_value(u.arcsec):g}\" radius around the nucleus)"
    T_source = (f"T_rot given ({T0:g} K)" if T_fixed is not None else f"T_rot from the {where}: {T0:.1f} K") + \
        (f", shift given ({shift0:.3g} um)" if shift_fixed is not None else f", shift from the {where}: "
                                                                             f"{shift0:.3g} um")

    # ---- 2. the model, built once
    obs = as_observed(spec, lsf=lsf)
    sd = spaxel_design(obs.wavelength_um, obs.flux, obs.error, obs.good, obs.lsf, fitted, geometry, aperture,
                       windows=windows, velocity=velocity, lifetime=lifetime, g_factor=g_factor, emission=emission,
                       ortho_para=ortho_para, label=str(source))
    n_sp = len(sd.species)
    # the cube's wavelength grid and the model's (sorted, same values)
    cube_wl = cube.wavelength.to_value(u.um)
    if cube_wl.size != obs.wavelength_um.size or not np.allclose(cube_wl, obs.wavelength_um, rtol=0, atol=1e-12):
        raise InputError(source, "cube wavelengths are not increasing: cannot map")
    pix = np.flatnonzero(sd.pixels)
    factor = _to_flam_factor(cube)[pix]

    # ---- 3. data as (pixels, spaxels) and the bins
    nwave, ny, nx = cube.shape
    flux2d = cube.flux.value.reshape(nwave, ny * nx)
    err2d = cube.error.to_value(cube.bunit).reshape(nwave, ny * nx)
    mask2d = cube.mask.reshape(nwave, ny * nx)
    data = _Data(flux2d, err2d, mask2d, pix, factor, max_masked_fraction)

    # ---- 4. every bin at the aperture's nonlinear parameters. Unbinned and Voronoi maps start
    # from every spaxel solved alone, which also tells which spaxels have data in the fit
    # (a separate pass over the cube cost a tenth of a map)
    t_solve = time.perf_counter()
    a0 = sd.design({s: T0 for s in sd.species}, shift0)
    each_spaxel = None
    if _unbinned(binning) or binning == "voronoi":
        each_spaxel = _solve_bins(a0, data, list(np.arange(ny * nx).reshape(-1, 1)), chunk, n_sp)
        usable = each_spaxel["dof"] > -a0.shape[1]          # some pixel with weight
    else:
        usable = data.usable_spaxels()
    bins = make_bins(binning, (ny, nx), usable, target_snr=target_snr, unbinned=lambda: each_spaxel,
                     snr_column=_snr_column(sd, snr_species))
    members = bins.members
    if each_spaxel is not None and all(m.size == 1 for m in members):
        sol = {key: v[np.concatenate(members)] for key, v in each_spaxel.items()}
    else:
        sol = _solve_bins(a0, data, members, chunk, n_sp)
    t_solve = time.perf_counter() - t_solve
    n_bins = len(members)
    T_map = np.full(n_bins, T0)
    T_err = np.full(n_bins, np.nan)
    shift_map = np.full(n_bins, shift0)
    T_fit = np.zeros(n_bins, dtype=bool)
    notes = []

    # ---- 5. nonlinear parameters in bins of sufficient SNR
    if nonlinear_snr is not None:
        snr = sol["coef"][:, :n_sp] / np.sqrt(sol["var"][:, :n_sp])
        best_snr = np.nanmax(np.where(np.isfinite(snr), snr, -np.inf), axis=1)
        strong = np.flatnonzero(best_snr >= nonlinear_snr)
        if strong.size:
            max_shift = 0.5 * sd.model.median_fwhm_um(0)
            res = _fit_nonlinear(sd, data, [members[i] for i in strong], T_fixed, T0, shift0, max_shift, chunk)
            for key, arr in (("T", T_map), ("T_err", T_err), ("shift", shift_map)):
                arr[strong] = res[key]
            T_fit[strong] = True
            for j, i in enumerate(strong):
                a = sd.design({s: T_map[i] for s in sd.species}, shift_map[i])
                one = _solve_bins(a, data, [members[i]], chunk, n_sp)
                for key in sol:
                    sol[key][i] = one[key][0]
            notes.append(f"T_rot{' (given)' if T_fixed is not None else ''} and shift fitted in {strong.size} of "
                         f"{n_bins} bins (best band SNR >= {nonlinear_snr:g}); the others hold the aperture fit's")
        else:
            notes.append(f"no bin reaches SNR {nonlinear_snr:g}: every bin holds the aperture fit's T_rot and shift")

    # ---- 6. physical quantities
    n_spax = np.array([m.size for m in members])
    inflated = (sol["inflation"] > 1).any(axis=1) & sol["ok"]
    if inflated.any():
        notes.append(f"{int(inflated.sum())} of {n_bins} bins have an improbable chi2 (p < 1e-3): their band-flux "
                     "errors are inflated by the residuals, as fit_coma does (error_inflation)")
    flux = {s: sol["coef"][:, j] for j, s in enumerate(sd.species)}
    flux_err = {s: np.sqrt(sol["var"][:, j]) for j, s in enumerate(sd.species)}
    omega = float(cube.meta.get("pixel_area", (cube.pixel_scale**2).to(u.sr)).to_value(u.sr))
    delta_cm = float(geometry.delta.to_value(u.cm))
    molecule_flux, column, column_err, vel_km, tau_s = {}, {}, {}, {}, {}
    for s in sd.species:
        if sd.phi[s] is None:
            column[s] = column_err[s] = np.full(n_bins, np.nan)
            continue
        n_per_q = molecules_per_unit_Q(s, geometry, aperture, velocity=velocity,
                                       lifetime=_per(lifetime, s)).to_value(u.s)
        molecule_flux[s] = sd.phi[s] / n_per_q
        per_cm2 = 1.0 / (molecule_flux[s] * omega * delta_cm**2 * n_spax)
        column[s] = flux[s] * per_cm2
        column_err[s] = flux_err[s] * per_cm2
        from ..production import haser_assumptions

        h = haser_assumptions(s, geometry, velocity=velocity, lifetime=_per(lifetime, s))
        vel_km[s] = float(h.velocity.to_value(u.km / u.s))
        tau_s[s] = float(h.lifetime.to_value(u.s))
    with np.errstate(invalid="ignore", divide="ignore"):
        snr = {s: flux[s] / flux_err[s] for s in sd.species}
    detected = {s: np.nan_to_num(snr[s], nan=-np.inf) >= detect_sigma for s in sd.species}
    ratio = ratio_err = ratio_limit = None
    if "CO2" in column and "H2O" in column:
        ratio, ratio_err, ratio_limit = _ratio_map(column, column_err, detected, flux, sd.species, sol,
                                                   limit_sigma)
    bad = ~sol["ok"]
    if bad.any():
        notes.append(f"{int(bad.sum())} bins could not be solved (a band or continuum term unconstrained there)")
    return ComaMaps(
        species=list(sd.species), bin_id=bins.bin_id, n_spaxels=n_spax, flux=flux, flux_err=flux_err,
        column=column, column_err=column_err, snr=snr, detected=detected, ratio=ratio, ratio_err=ratio_err,
        ratio_limit=ratio_limit, T_rot=T_map, T_rot_err=T_err, T_rot_fitted=T_fit, shift_um=shift_map,
        chi2=sol["chi2"], dof=sol["dof"], nucleus_xy=tuple(float(v) for v in nucleus),
        nucleus_method=nucleus_method, sun_pa=sun, velocity_pa=vel, wcs=cube.wcs,
        pixel_scale=cube.pixel_scale.to(u.arcsec), pixel_area=omega * u.sr, geometry=geometry,
        molecule_flux=molecule_flux, aperture_fit=fit, T_rot_source=T_source, pa_source=pa_source,
        detect_sigma=float(detect_sigma), limit_sigma=float(limit_sigma), velocity_km_s=vel_km, lifetime_s=tau_s,
        error_inflation={s: sol["inflation"][:, j] for j, s in enumerate(sd.species)},
        meta={"source_file": str(source), "binning": bins.describe, "n_bins": n_bins, "notes": notes + bins.notes,
              "linear_names": list(sd.names), "n_pixels_fitted": int(pix.size), "mode": mode,
              "solve_seconds": t_solve, "total_seconds": time.perf_counter() - t0,
              "nonlinear_snr": nonlinear_snr, "T_rot_aperture_K": T0, "shift_aperture_um": shift0,
              "bunit": str(cube.bunit), "target": cube.meta.get("target")})


def _unbinned(binning):
    """Whether ``binning`` asks for one bin a spaxel (as `comaspec.maps.binning.make_bins` reads it)."""
    return binning is None or (isinstance(binning, str) and binning == "none") or \
        (isinstance(binning, (int, np.integer)) and not isinstance(binning, bool) and binning == 1)


def _shift_um(shift):
    from .._validate import scalar_quantity

    return float(scalar_quantity(shift, u.um, "shift").value)


def _snr_column(sd, snr_species):
    if snr_species is None:
        return 0
    if snr_species not in sd.species:
        raise InputError("snr_species", f"{snr_species!r} is not mapped (mapped: {', '.join(sd.species)})")
    return sd.species.index(snr_species)


class _Data:
    """The cube's fitted pixels as (pixels, spaxels) views, gathered into bin spectra on demand.

    Single-spaxel bins (the unbinned map) are gathered into work arrays kept between chunks:
    a fresh 30 MB temporary per step costs as much in page faults as the arithmetic on it.
    """

    def __init__(self, flux2d, err2d, mask2d, pix, factor, max_masked_fraction):
        self.flux2d, self.err2d, self.mask2d = flux2d, err2d, mask2d
        self.pix, self.factor = pix, factor
        self.max_masked_fraction = float(max_masked_fraction)
        self._work = {}
        # the fitted pixels as runs of consecutive channels: slice copies, no fancy-index temporaries
        breaks = np.flatnonzero(np.diff(pix) != 1) + 1
        starts, stops = np.r_[0, breaks], np.r_[breaks, pix.size]
        self._runs = [(int(i), int(j), slice(int(pix[i]), int(pix[j - 1]) + 1)) for i, j in zip(starts, stops)]

    def _buffers(self, m):
        """Contiguous (pixels, m) work arrays: flux, error, weight, w·y, mask, two boolean scratch."""
        n = self.pix.size
        if self._work.get("m", 0) < m:
            self._work = {"m": m, **{k: np.empty(n * m) for k in ("f", "e", "w", "wy")},
                          **{k: np.empty(n * m, dtype=bool) for k in ("g", "t")}}
        return [self._work[k][:n * m].reshape(n, m) for k in ("f", "e", "w", "wy", "g", "t")]

    def scratch(self, shape):
        """A work array of ``shape`` (pixels, bins) for `batched_wls` (w·y)."""
        return self._buffers(shape[1])[3]

    def _take(self, cols, with_flux=True):
        """Rows ``pix`` of columns ``cols`` (a slice) times the unit factor (positive) into the
        work arrays, copied and scaled in one pass; ``good`` marks the voxels that enter a fit."""
        m = cols.stop - cols.start
        f, e, w, _, g, t = self._buffers(m)
        for i, j, rows in self._runs:
            fac = self.factor[i:j, None]
            np.multiply(self.err2d[rows, cols], fac, out=e[i:j])
            np.logical_not(self.mask2d[rows, cols], out=g[i:j])
            if with_flux:
                np.multiply(self.flux2d[rows, cols], fac, out=f[i:j])
        np.greater(e, 0.0, out=t)          # False for NaN
        g &= t
        np.isfinite(e, out=t)
        g &= t
        if with_flux:
            np.isfinite(f, out=t)
            g &= t
        return f, e, w, g, t

    def usable_spaxels(self):
        """Spaxels with at least one voxel with a valid error (not masked) among the fitted pixels."""
        good = np.zeros(self.flux2d.shape[1], dtype=bool)
        for start in range(0, good.size, 2048):
            sl = slice(start, min(start + 2048, good.size))
            g = self._take(sl, with_flux=False)[3]
            good[sl] = g.any(axis=0)
        return good

    def _gather_spaxels(self, flat):
        """(y, weights) of single spaxels ``flat`` (increasing flat indices)."""
        cols = slice(int(flat[0]), int(flat[-1]) + 1)
        f, e, w, g, t = self._take(cols)
        e *= e
        w.fill(0.0)
        np.divide(1.0, e, out=w, where=g)
        np.logical_not(g, out=t)
        np.copyto(f, 0.0, where=t)
        if flat.size != cols.stop - cols.start:     # spaxels skipped (unusable): pick the columns
            keep = flat - cols.start
            return f[:, keep], w[:, keep]
        return f, w

    def gather(self, members):
        """(y, weights) of the bins ``members`` (lists of flat spaxel indices): (pixels, bins).

        The arrays of single-spaxel bins are work arrays, valid until the next call.
        """
        flat = np.concatenate(members)
        if flat.size == len(members) and np.all(np.diff(flat) > 0):
            return self._gather_spaxels(flat)
        f = self.flux2d[np.ix_(self.pix, flat)]
        e = self.err2d[np.ix_(self.pix, flat)]
        bad = self.mask2d[np.ix_(self.pix, flat)]
        good = ~bad & np.isfinite(f) & (e > 0) & np.isfinite(e)
        starts = np.cumsum([0] + [m.size for m in members[:-1]])
        count = np.add.reduceat(good, starts, axis=1).astype(float)
        total = np.add.reduceat(np.where(good, f, 0.0), starts, axis=1)
        var = np.add.reduceat(np.where(good, e * e, 0.0), starts, axis=1)
        n = np.array([m.size for m in members], dtype=float)[None, :]
        usable = (count >= n * (1.0 - self.max_masked_fraction) - 1e-9) & (count > 0)
        scale = np.where(usable, n / np.where(count > 0, count, 1.0), 0.0)
        y = total * scale * self.factor[:, None]
        sig2 = var * scale**2 * self.factor[:, None] ** 2
        return y, np.where(usable & (sig2 > 0), 1.0 / np.where(sig2 > 0, sig2, 1.0), 0.0)


def _band_pixels(design, n_species):
    """Each species' band pixels: where its unit template exceeds a tenth of its peak (as fit_coma)."""
    from .._misfit import _BAND_FRACTION

    col = np.abs(design[:, :n_species]).T
    return col > _BAND_FRACTION * col.max(axis=1, keepdims=True)


def _solve_bins(design, data, members, chunk, n_species, progress_desc="map"):
    """Batched solve of every bin at one design; per-bin coef, variances, chi2, dof, ok.

    As `comaspec.fit_coma` does for one spectrum (`comaspec._misfit`), a bin whose χ² is
    improbable (p < P_IMPROBABLE) has each band-flux error multiplied by
    sqrt(max(1, χ²_ν, χ²_local)); ``inflation`` holds the factors (1 elsewhere).
    """
    from scipy import special

    from .._misfit import P_IMPROBABLE
    from .._progress import progress
    from ._solve import batched_wls, group_chi2

    n, k = len(members), design.shape[1]
    out = {"coef": np.full((n, k), np.nan), "var": np.full((n, k), np.nan), "cov01": np.full(n, np.nan),
           "chi2": np.full(n, np.nan), "dof": np.zeros(n, dtype=int), "ok": np.zeros(n, dtype=bool),
           "inflation": np.ones((n, n_species))}
    groups = _band_pixels(design, n_species)
    starts = range(0, n, chunk)
    if len(starts) > 1:
        starts = progress(starts, desc=progress_desc, total=len(starts))
    for start in starts:
        sl = slice(start, min(start + chunk, n))
        y, w = data.gather(members[sl])
        res = batched_wls(design, y, w, work=data.scratch(y.shape))
        dof = np.maximum(res.dof, 1)
        with np.errstate(invalid="ignore"):
            improbable = res.ok & (res.dof > 0) & (special.chdtrc(dof, np.nan_to_num(res.chi2)) < P_IMPROBABLE)
        f = np.ones((improbable.size, n_species))
        if improbable.any():
            local = group_chi2(design, y[:, improbable], w[:, improbable], res.coef[improbable], groups)
            f[improbable] = np.sqrt(np.maximum(np.maximum(1.0, (res.chi2 / dof)[improbable, None]), local))
        out["inflation"][sl] = f
        out["coef"][sl] = res.coef
        var = np.einsum("mii->mi", res.covariance).copy()
        var[:, :n_species] *= f**2
        out["var"][sl] = var
        if n_species > 1:
            out["cov01"][sl] = res.covariance[:, 0, 1] * f[:, 0] * f[:, 1]
        out["chi2"][sl], out["dof"][sl], out["ok"][sl] = res.chi2, res.dof, res.ok
    return out


def _ratio_map(column, column_err, detected, flux, species, sol, limit_sigma):
    """CO2/H2O column ratio per bin, its error (with the CO2-H2O covariance) and the limit flag."""
    i, j = species.index("CO2"), species.index("H2O")
    n1, n2 = column["CO2"], column["H2O"]
    e1, e2 = column_err["CO2"], column_err["H2O"]
    # covariance of the two band fluxes, scaled like the columns
    cov_f = sol["cov01"] if {i, j} == {0, 1} else np.zeros(n1.size)
    scale = (n1 / flux["CO2"]) * (n2 / flux["H2O"])
    cov = np.nan_to_num(cov_f * scale)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = n1 / n2
        rel2 = (e1 / n1) ** 2 + (e2 / n2) ** 2 - 2 * cov / (n1 * n2)
        err = np.abs(ratio) * np.sqrt(np.clip(rel2, 0, None))
        d1, d2 = detected["CO2"], detected["H2O"]
        lim = np.where(d1 & d2, 0, np.where(d1, 1, np.where(d2, 2, -1)))
        # `comaspec.results.upper_limit`, element-wise
        ul1 = np.maximum(n1, 0.0) + limit_sigma * e1
        ul2 = np.maximum(n2, 0.0) + limit_sigma * e2
        ratio = np.where(lim == 0, ratio, np.where(lim == 1, n1 / ul2, np.where(lim == 2, ul1 / n2, np.nan)))
        err = np.where(lim == 0, err, np.nan)
    return ratio, err, lim


def _fit_nonlinear(sd, data, members, T_fixed, T0, shift0, max_shift, chunk):
    """Per-bin T_rot (unless fixed) and shift: χ² on a grid of designs, parabola at the minimum."""
    t_grid = np.array([T_fixed]) if T_fixed is not None else DEFAULT_NONLINEAR_GRID[0]
    s_grid = shift0 + max_shift * DEFAULT_NONLINEAR_GRID[1] if max_shift > 0 else np.array([shift0])
    out = {"T": np.full(len(members), T0), "T_err": np.full(len(members), np.nan),
           "shift": np.full(len(members), shift0)}
    # two passes: the coarse grid, then a fine one spanning the bins' minima (parabolas
    # through coarse steps are biased when χ² is not quadratic over a step)
    for fine in (False, True):
        if fine:
            t_grid = _refined(t_grid, np.log(out["T"]), log=True)
            s_grid = _refined(s_grid, out["shift"], log=False)
        chi2 = np.full((len(members), t_grid.size, s_grid.size), np.inf)
        for a_i, t in enumerate(t_grid):
            for b_i, s in enumerate(s_grid):
                a = sd.design({sp: t for sp in sd.species}, s)
                res = _solve_bins(a, data, members, chunk, len(sd.species), progress_desc="T_rot grid")
                chi2[:, a_i, b_i] = np.where(res["ok"], res["chi2"], np.inf)
        for m in range(len(members)):
            ia, ib = np.unravel_index(np.argmin(chi2[m]), chi2[m].shape)
            if not np.isfinite(chi2[m, ia, ib]):
                continue
            t_best, t_curv = _parabola(np.log(t_grid), chi2[m, :, ib], ia)
            s_best, _ = _parabola(s_grid, chi2[m, ia, :], ib)
            out["T"][m] = math.exp(t_best)
            out["shift"][m] = s_best
            if T_fixed is None and t_curv and t_curv > 0:
                # Δχ² = 1 in ln T: σ_lnT = sqrt(2 / χ²''), σ_T = T σ_lnT
                out["T_err"][m] = out["T"][m] * math.sqrt(2.0 / t_curv)
    return out


def _refined(grid, best, log):
    """A finer grid (11 points) from one coarse step below the lowest minimum to one above the highest."""
    if grid.size < 3:
        return grid
    x = np.log(grid) if log else grid
    step = float(np.max(np.diff(x)))
    lo, hi = max(x[0], np.min(best) - step), min(x[-1], np.max(best) + step)
    fine = np.linspace(lo, hi, 11)
    return np.exp(fine) if log else fine


def _parabola(x, y, i):
    """Vertex (and second derivative) of the parabola through points i-1, i, i+1; the grid
    point itself at an edge."""
    if x.size < 3 or i == 0 or i == x.size - 1 or not np.all(np.isfinite(y[i - 1:i + 2])):
        return float(x[i]), None
    x0, x1, x2 = x[i - 1:i + 2]
    y0, y1, y2 = y[i - 1:i + 2]
    d1, d2 = (y1 - y0) / (x1 - x0), (y2 - y1) / (x2 - x1)
    curv = 2 * (d2 - d1) / (x2 - x0)
    if curv <= 0:
        return float(x1), None
    vertex = 0.5 * (x0 + x1) - d1 / curv
    return float(np.clip(vertex, x0, x2)), float(curv)
