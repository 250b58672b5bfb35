"""Synthetic coma spectra with known inputs, through the same forward model as the fitter.

`synthetic_spectrum` computes continuum + Σ_X Q_X A_X S_X(λ) with :mod:`comaspec.model`,
adds Gaussian noise of a given σ, and returns a `specutils.Spectrum` (Jy); with ``path=``
it also writes a JWST-format x1d file (``EXTRACT1D`` table with WAVELENGTH [um], FLUX and
FLUX_ERROR [Jy], DQ, SURF_BRIGHT and SB_ERROR [MJy/sr], NPIXELS; primary header with
INSTRUME, GRATING, FILTER, EXP_TYPE, TARGNAME, MJD-AVG, and ``HIERARCH COMASPEC ...``
keywords holding the geometry, the aperture and the true parameters).

The model works in W m^-2 µm^-1; the conversion to Jy happens at the file boundary.
The wavelength grid of a mode (`wavelength_grid`) samples its resolution element with two
pixels; it is not the exact detector grid of a JWST product.

`example_path` returns the bundled example: a synthetic NIRSpec PRISM spectrum of a
3I/ATLAS-like coma (see ``comaspec/data/example/README.md`` for the parameters and their
sources).
"""

from __future__ import annotations

import math

import numpy as np

from ._paths import EXAMPLE_FILE, example_path
from .errors import InputError, UsageError
from .io.header import aperture_from_header, comaspec_keys, geometry_from_header
from .physics.fluorescence import DEFAULT_EMISSION, DEFAULT_ORTHO_PARA

__all__ = [
    "wavelength_grid",
    "continuum_spectrum",
    "synthetic_spectrum",
    "synthetic_cube",
    "write_x1d",
    "example_path",
    "geometry_from_header",
    "aperture_from_header",
    "truth_from_header",
    "EXAMPLE_FILE",
    "NOMINAL_RANGE_UM",
    "PIXELS_PER_FWHM",
]

#: File name of the bundled example spectrum (in comaspec/data/example/).

# JWST configuration names written to the primary header (not physics): the filter paired
# with each NIRSpec disperser.
_FILTER_OF = {"PRISM": "CLEAR", "G140M": "F100LP", "G140H": "F100LP", "G235M": "F170LP",
              "G235H": "F170LP", "G395M": "F290LP", "G395H": "F290LP"}
_KW = "HIERARCH COMASPEC "

#: Default extent (µm) of synthetic spectra for each NIRSpec disperser/filter pair. These are
#: simulation defaults chosen by comaspec to resemble the published coverage of each pair;
#: they were NOT verified against the JWST documentation and are not used as instrument facts
#: anywhere (real spectra carry their own wavelengths; resolving power comes from
#: linelists/resolving_power.ecsv). Pass lo_um/hi_um to ``wavelength_grid`` to choose others.
NOMINAL_RANGE_UM = {"PRISM": (0.6, 5.3), "G140M": (0.97, 1.84), "G140H": (0.97, 1.89),
                    "G235M": (1.66, 3.07), "G235H": (1.66, 3.17), "G395M": (2.87, 5.10),
                    "G395H": (2.87, 5.27)}

#: Pixels per resolution element of the NIRSpec resolving-power tables (R is quoted for a
#: 2.2-pixel resolution element in ESA-JWST-SCI-NRS-TN-2016-024, Ferruit 2016).
PIXELS_PER_FWHM = 2.2


def wavelength_grid(mode, lo_um=None, hi_um=None, pixels_per_fwhm=PIXELS_PER_FWHM):
    """Pixel centres covering a mode's range with ``pixels_per_fwhm`` pixels per resolution element.

    Parameters
    ----------
    mode : str
        A name in `comaspec.instrument.MODES`.
    lo_um, hi_um : float, optional
        Range (default: the simulation default `NOMINAL_RANGE_UM`, within the mode's
        resolving-power table).
    pixels_per_fwhm : float
        Sampling (default 2.2, as the NIRSpec dispersion tables).

    Returns
    -------
    ndarray
        Wavelengths in µm.
    """
    from .physics import instrument

    lo, hi = instrument.mode_range(mode)
    nominal = NOMINAL_RANGE_UM.get(str(mode).upper())
    if nominal is not None:
        lo, hi = max(lo, nominal[0]), min(hi, nominal[1])
    lo = lo if lo_um is None else max(lo, lo_um)
    hi = hi if hi_um is None else min(hi, hi_um)
    if not hi > lo:
        raise InputError("wavelength range", f"{lo_um}-{hi_um} um is outside the {mode} range")
    out = [lo]
    while out[-1] < hi:
        r = float(instrument.resolving_power(mode, [out[-1]])[0])
        out.append(out[-1] * (1.0 + 1.0 / (pixels_per_fwhm * r)))
    return np.array(out[:-1] if out[-1] > hi else out)


def continuum_spectrum(wavelength_um, continuum, rh_au=None):
    """Continuum in W m^-2 µm^-1 from a callable, an array or a physical description.

    Parameters
    ----------
    wavelength_um : ndarray
    continuum : None, callable, array or dict
        None: zero. Callable: ``f(wavelength_um)`` in W m^-2 µm^-1. Dict (physical
        model of `comaspec.model.physical_continuum_basis`): ``scattered`` and ``thermal``
        (amplitudes at 3.5 µm, W m^-2 µm^-1), ``slope``, ``dust_T`` (K; default the
        equilibrium temperature at ``rh_au``), and optionally an absorption band
        ``ice_tau`` (peak optical depth) with ``ice_center_um`` and ``ice_fwhm_um``
        (Gaussian in optical depth; illustrative, not a fitted ice model).
    rh_au : float, optional
        Heliocentric distance for the default dust temperature.

    Returns
    -------
    ndarray
    """
    from .model import equilibrium_temperature, physical_continuum_basis

    wl = np.asarray(wavelength_um, dtype=float)
    if continuum is None:
        return np.zeros_like(wl)
    if callable(continuum):
        return np.asarray(continuum(wl), dtype=float) * np.ones_like(wl)
    if isinstance(continuum, dict):
        allowed = {"scattered", "thermal", "slope", "dust_T", "ice_tau", "ice_center_um", "ice_fwhm_um"}
        unknown = set(continuum) - allowed
        if unknown:
            raise UsageError(f"unknown continuum keys: {', '.join(sorted(unknown))}")
        dust_T = continuum.get("dust_T")
        if dust_T is None:
            if rh_au is None:
                raise UsageError("continuum needs dust_T or a heliocentric distance")
            dust_T = equilibrium_temperature(rh_au)
        basis = physical_continuum_basis(wl, continuum.get("slope", 0.0), dust_T)
        out = continuum.get("scattered", 0.0) * basis[:, 0] + continuum.get("thermal", 0.0) * basis[:, 1]
        tau0 = continuum.get("ice_tau", 0.0)
        if tau0:
            try:
                c, fwhm = continuum["ice_center_um"], continuum["ice_fwhm_um"]
            except KeyError:
                raise UsageError("ice_tau needs ice_center_um and ice_fwhm_um") from None
            sig = fwhm / (2.0 * math.sqrt(2.0 * math.log(2.0)))
            out = out * np.exp(-tau0 * np.exp(-0.5 * ((wl - c) / sig) ** 2))
        return out
    arr = np.asarray(continuum, dtype=float)
    if arr.shape != wl.shape:
        raise UsageError(f"continuum array has shape {arr.shape}, the grid {wl.shape}")
    return arr


def _flam_to_jy(values, wavelength_um):
    import astropy.units as u

    return (np.asarray(values) * u.W / u.m**2 / u.um).to_value(
        u.Jy, equivalencies=u.spectral_density(np.asarray(wavelength_um) * u.um))


def _jy_to_flam(values, wavelength_um):
    import astropy.units as u

    return u.Quantity(values).to_value(u.W / u.m**2 / u.um,
                                       equivalencies=u.spectral_density(np.asarray(wavelength_um) * u.um))


def synthetic_spectrum(mode, production_rates, geometry, aperture, *, T_rot, error, wavelength_um=None,
                       continuum=None, noise=True, seed=0, shift_um=0.0, velocity=None, lifetime=None,
                       g_factor=None, lsf=None, target="synthetic coma", epoch=None, path=None, overwrite=False,
                       header_notes=(), emission=DEFAULT_EMISSION, ortho_para=DEFAULT_ORTHO_PARA):
    """A synthetic coma spectrum with known production rates, optionally written as an x1d file.

    Parameters
    ----------
    mode : str
        Instrument mode (e.g. ``"PRISM"``, ``"G395H"``).
    production_rates : dict
        Species → Q (molecules/s; plain numbers or Quantities).
    geometry : `comaspec.Geometry`
    aperture : comaspec aperture
    T_rot : float or dict
        Rotational temperature (K), shared or per species.
    error : `~astropy.units.Quantity`
        1σ noise per pixel, scalar or array, in a flux-density unit (Jy or W m^-2 µm^-1).
    wavelength_um : ndarray, optional
        Pixel centres (default `wavelength_grid` of the mode).
    continuum : optional
        See `continuum_spectrum`.
    noise : bool
        Add a Gaussian noise realisation (False: the noiseless model, with errors attached).
    seed : int
        Seed of the noise.
    shift_um : float
        Wavelength shift of the gas emission.
    velocity, lifetime, g_factor : optional
        Haser-model assumptions (`comaspec.production.flux_per_unit_Q`).
    lsf : optional
        LSF (default: the mode's Gaussian LSF).
    target : str
        TARGNAME.
    epoch : `~astropy.time.Time`, optional
        Observation time (MJD-AVG); default ``geometry.epoch``.
    path : str or os.PathLike, optional
        Write an x1d FITS file there (atomically).
    overwrite : bool
        Replace an existing file.
    header_notes : sequence of str
        COMMENT cards for the primary header (e.g. the sources of the inputs).
    emission : {"fluorescence", "thermal"}
        Emission model of the band templates (default fluorescence equilibrium).
    ortho_para : float
        H2O ortho/para ratio (default 3).

    Returns
    -------
    specutils.Spectrum
        Flux in Jy with StdDevUncertainty; ``meta`` holds ``mode``, ``instrument``,
        ``target``, ``truth`` (the inputs) and ``model_flux_W_m2_um`` (noiseless).
    """
    import astropy.units as u
    from astropy.nddata import StdDevUncertainty
    from specutils import Spectrum

    from .physics import instrument
    from .model import gas_spectrum

    geometry = _synthetic_arguments(production_rates, geometry, error, seed)
    mode_name = instrument.mode_from_meta({"mode": mode}) or str(mode).upper()
    lsf = instrument.make_lsf(mode_name if lsf is None else lsf)
    wl = wavelength_grid(mode_name) if wavelength_um is None else np.asarray(wavelength_um, dtype=float)
    rh_au = float(geometry.rh.to_value(u.au))
    cont = continuum_spectrum(wl, continuum, rh_au)
    gas = gas_spectrum(production_rates, wl, T_rot, lsf, geometry, aperture, shift_um=shift_um,
                       velocity=velocity, lifetime=lifetime, g_factor=g_factor, emission=emission,
                       ortho_para=ortho_para)
    model = cont + gas
    err = np.broadcast_to(_jy_to_flam(u.Quantity(error), wl), wl.shape).astype(float)
    if np.any(~np.isfinite(err)) or np.any(err <= 0):
        raise InputError("error", "must be positive and finite")
    rng = np.random.default_rng(seed)
    flux = model + (rng.normal(0.0, err) if noise else 0.0)
    truth = {
        "Q": {s: float(getattr(q, "to_value", lambda unit: q)("1/s")) for s, q in production_rates.items()},
        "T_rot": T_rot if isinstance(T_rot, dict) else float(T_rot),
        "shift_um": float(shift_um), "seed": int(seed), "noise": bool(noise),
        "emission": emission, "ortho_para": float(ortho_para),
    }
    epoch = epoch if epoch is not None else geometry.epoch
    meta = {"mode": f"NIRSPEC {mode_name}/{_FILTER_OF.get(mode_name, 'CLEAR')}", "instrument": "NIRSPEC",
            "grating": mode_name, "filter": _FILTER_OF.get(mode_name), "target": target, "truth": truth,
            "epoch": epoch, "model_flux_W_m2_um": model, "product": "synthetic"}
    spec = Spectrum(spectral_axis=wl * u.um, flux=_flam_to_jy(flux, wl) * u.Jy,
                    uncertainty=StdDevUncertainty(_flam_to_jy(err, wl)), meta=meta)
    if path is not None:
        write_x1d(path, wl, _flam_to_jy(flux, wl), _flam_to_jy(err, wl), mode_name, geometry, aperture, truth,
                  target=target, epoch=epoch, overwrite=overwrite, header_notes=header_notes)
        spec.meta["source_file"] = str(path)
    return spec


def write_x1d(path, wavelength_um, flux_jy, error_jy, mode, geometry, aperture, truth=None, *,
              target="synthetic coma", epoch=None, overwrite=False, header_notes=()):
    """Write a JWST-format x1d FITS file (EXTRACT1D table) with COMASPEC keywords.

    Parameters
    ----------
    path : str or os.PathLike
    wavelength_um, flux_jy, error_jy : ndarray
    mode : str
        NIRSpec disperser name.
    geometry : `comaspec.Geometry`
    aperture : comaspec aperture
    truth : dict, optional
        ``Q`` (species → 1/s), ``T_rot``, ``shift_um``, ``seed``, ``noise``.
    target : str
    epoch : `~astropy.time.Time`, optional
    overwrite : bool
    header_notes : sequence of str
        COMMENT cards.
    """
    from pathlib import Path

    from astropy.io import fits

    from ._output import atomic_path
    from ._version import __version__

    path = Path(path)
    if path.exists() and not overwrite:
        raise InputError(path, "exists (pass overwrite=True)")
    n = len(wavelength_um)
    ph = fits.Header()
    ph["TELESCOP"] = "JWST"
    ph["INSTRUME"] = "NIRSPEC"
    ph["GRATING"] = mode
    ph["FILTER"] = _FILTER_OF.get(mode, "CLEAR")
    ph["EXP_TYPE"] = "NRS_IFU"
    ph["TARGNAME"] = target
    ph["SRCTYPE"] = "EXTENDED"
    if epoch is not None:
        ph["MJD-AVG"] = (float(epoch.mjd), "[d] exposure mid-time (synthetic)")
    ph["ORIGIN"] = f"comaspec {__version__} synthetic spectrum"
    ph[_KW + "SYNTHETIC"] = True
    for key, value in geometry.to_dict().items():
        if value is not None and key != "epoch":
            ph[_KW + key.upper()] = value
    ap = aperture.describe(geometry)
    ph[_KW + "APERTURE"] = ap["shape"]
    for key, value in ap.items():
        if key != "shape":
            ph[_KW + "AP_" + key.upper()] = value
    if truth:
        for species, q in truth.get("Q", {}).items():
            ph[_KW + f"TRUE_Q_{species}"] = (q, "[1/s]")
        trot = truth.get("T_rot")
        if isinstance(trot, dict):
            for species, t in trot.items():
                ph[_KW + f"TRUE_TROT_{species}"] = (float(t), "[K]")
        elif trot is not None:
            ph[_KW + "TRUE_TROT"] = (float(trot), "[K]")
        for key in ("shift_um", "seed", "noise", "emission", "ortho_para"):
            if key in truth:
                ph[_KW + f"TRUE_{key.upper()}"] = truth[key]
    for note in header_notes:
        for i in range(0, len(note), 68):
            ph.add_comment(note[i:i + 68])
    # surface brightness over the aperture's solid angle (angular apertures only)
    omega = _solid_angle_sr(aperture, geometry)
    sb = np.asarray(flux_jy) * 1e-6 / omega
    sb_err = np.asarray(error_jy) * 1e-6 / omega
    cols = [
        fits.Column("WAVELENGTH", "D", unit="um", array=np.asarray(wavelength_um, dtype=float)),
        fits.Column("FLUX", "D", unit="Jy", array=np.asarray(flux_jy, dtype=float)),
        fits.Column("FLUX_ERROR", "D", unit="Jy", array=np.asarray(error_jy, dtype=float)),
        fits.Column("DQ", "J", array=np.zeros(n, dtype=np.int32)),
        fits.Column("SURF_BRIGHT", "D", unit="MJy/sr", array=sb),
        fits.Column("SB_ERROR", "D", unit="MJy/sr", array=sb_err),
        # no detector pixels behind a synthetic spectrum
        fits.Column("NPIXELS", "D", array=np.zeros(n)),
    ]
    table = fits.BinTableHDU.from_columns(cols, name="EXTRACT1D")
    table.header["SRCTYPE"] = "EXTENDED"
    with atomic_path(path) as tmp:
        # no CHECKSUM cards: they carry a time stamp, and the same inputs should give the same file
        fits.HDUList([fits.PrimaryHDU(header=ph), table]).writeto(tmp, overwrite=True)


def _solid_angle_sr(aperture, geometry):
    import astropy.units as u

    area = aperture.area() if aperture.is_angular else aperture.area() / geometry.delta**2
    return float(area.to_value(u.sr, equivalencies=u.dimensionless_angles()))


def synthetic_cube(mode, production_rates, geometry, *, T_rot, error_per_spaxel, continuum=None,
                   shape=(21, 21), pixel_scale=None, noise=True, seed=0, velocity=None, lifetime=None,
                   g_factor=None, target="synthetic coma", path=None, overwrite=False, subsample=5,
                   emission=DEFAULT_EMISSION, ortho_para=DEFAULT_ORTHO_PARA, distributed=None, sun_pa=None, velocity_pa=None):
    """A synthetic IFU cube (JWST s3d layout) of a coma, optionally written to ``path``.

    The gas surface brightness follows each species' Haser curve of growth: the band flux in
    a circle of radius r is ``Q · flux_per_unit_Q(r)`` (the forward model), differentiated in
    r. The continuum is a 1/ρ dust coma: ``continuum`` gives its flux density within 0.5″.
    Every spaxel is integrated on a ``subsample`` × ``subsample`` grid (the 1/ρ cusp).

    Parameters
    ----------
    mode : str
        Instrument mode; the cube's wavelength axis is linear, with a step of
        λ/(2.2 R) at the mode's highest resolution.
    production_rates : dict
        Species → Q (1/s).
    geometry : `comaspec.Geometry`
    T_rot : float
        Rotational temperature, K.
    error_per_spaxel : `~astropy.units.Quantity`
        1σ noise of one spaxel's flux density (Jy or W m^-2 µm^-1), constant.
    continuum : optional
        As in `continuum_spectrum`: the continuum flux density within a 0.5″ radius.
    shape : (int, int)
        (ny, nx); the nucleus is at the central spaxel.
    pixel_scale : `~astropy.units.Quantity`, optional
        Spaxel side (default 0.1″, the NIRSpec IFU's).
    noise, seed, velocity, lifetime, g_factor, target, path, overwrite
        As in `synthetic_spectrum`.
    subsample : int
        Sub-pixels per spaxel side.
    emission, ortho_para
        As in `synthetic_spectrum`.
    distributed : dict, optional
        Species → (Q_d, L_d): an extended source adding Q_d molecules/s released from a
        parent with scale length L_d (km Quantity), e.g. water from icy grains; the species
        is then a Haser daughter of that parent, with the same velocity (see
        `comaspec.maps.profiles`). Written as COMASPEC TRUE_QD_<X> / TRUE_LD_<X>.
    sun_pa, velocity_pa : Quantity, optional
        Position angles (east of north) of the Sun and the velocity vector, written as
        COMASPEC SUN_PA_DEG / VEL_PA_DEG (the gas model stays symmetric).

    Returns
    -------
    dict
        ``wavelength_um``, ``sb`` and ``sb_error`` (MJy/sr, shape (nwave, ny, nx)),
        ``pixel_scale``, ``center_xy``.
    """
    import astropy.units as u

    from .physics import instrument
    from .apertures import CircularAperture
    from .model import _band_profile, band_weights

    mode_name = instrument.mode_from_meta({"mode": mode}) or str(mode).upper()
    lsf = instrument.make_lsf(mode_name)
    pixel_scale = (0.1 * u.arcsec) if pixel_scale is None else pixel_scale.to(u.arcsec)
    grid = wavelength_grid(mode_name)
    step = float(np.min(np.diff(grid)))
    wl = np.arange(grid[0], grid[-1], step)
    ny, nx = shape
    cy, cx = (ny - 1) / 2.0, (nx - 1) / 2.0
    # radius of every sub-pixel (arcsec), in spaxel units first
    sub = (np.arange(subsample) + 0.5) / subsample - 0.5
    yy = (np.arange(ny)[:, None] + sub[None, :]).ravel()
    xx = (np.arange(nx)[:, None] + sub[None, :]).ravel()
    rho = np.hypot(yy[:, None] - cy, xx[None, :] - cx) * pixel_scale.to_value(u.arcsec)  # (ny*s, nx*s)
    rmax = float(rho.max()) * 1.01
    radii = np.concatenate([[0.0], np.geomspace(rho[rho > 0].min() / 2, rmax, 60)])
    area_sub = (pixel_scale.to_value(u.arcsec) / subsample) ** 2
    omega_spaxel = float((pixel_scale**2).to_value(u.sr))

    def spaxel_sum(per_area):
        """Flux per spaxel from a surface density (per arcsec^2) on the sub-grid."""
        return (per_area * area_sub).reshape(ny, subsample, nx, subsample).sum(axis=(1, 3))

    def ring_density(curve):
        """Surface density (per arcsec^2) at each sub-pixel from a curve of growth F(r)."""
        dens = np.diff(curve) / (np.pi * np.diff(radii**2))
        idx = np.clip(np.searchsorted(radii, rho, side="right") - 1, 0, dens.size - 1)
        return dens[idx]

    flux = np.zeros((wl.size, ny, nx))
    for species, q in production_rates.items():
        q = float(getattr(q, "to_value", lambda unit: q)("1/s"))
        curves = []
        for r in radii[1:]:
            w = band_weights(species, geometry, CircularAperture(r * u.arcsec), velocity=velocity,
                             lifetime=lifetime, g_factor=g_factor)
            curves.append(w)
        for key in curves[0]:
            curve = np.array([0.0] + [c[key] for c in curves]) * q
            image = spaxel_sum(ring_density(curve))
            profile = _band_profile(species, key[1], wl, T_rot, lsf, emission, ortho_para)
            flux += profile[:, None, None] * image[None, :, :]
    for species, (q_d, l_d) in (distributed or {}).items():
        image = _daughter_images(species, geometry, radii, float(q_d), l_d, velocity, lifetime, g_factor)
        for key, img in image.items():
            profile = _band_profile(species, key[1], wl, T_rot, lsf, emission, ortho_para)
            flux += profile[:, None, None] * spaxel_sum(ring_density(img))[None, :, :]
    if continuum is not None:
        cont = continuum_spectrum(wl, continuum, float(geometry.rh.to_value(u.au)))
        # 1/rho coma: F(<r) = F(<0.5") r / 0.5"
        image = spaxel_sum(ring_density(radii / 0.5))
        flux += cont[:, None, None] * image[None, :, :]
    err = np.broadcast_to(np.broadcast_to(_jy_to_flam(u.Quantity(error_per_spaxel), wl), wl.shape)[:, None, None],
                          flux.shape)
    rng = np.random.default_rng(seed)
    if noise:
        flux = flux + rng.normal(0.0, 1.0, flux.shape) * err
    to_sb = _flam_to_jy(np.ones_like(wl), wl)[:, None, None] * 1e-6 / omega_spaxel
    sb, sb_err = flux * to_sb, err * to_sb
    out = {"wavelength_um": wl, "sb": sb, "sb_error": np.array(sb_err), "pixel_scale": pixel_scale,
           "center_xy": (cx, cy)}
    extra = {}
    for species, (q_d, l_d) in (distributed or {}).items():
        extra[f"TRUE_QD_{species}"] = float(q_d)
        extra[f"TRUE_LD_{species}"] = float(u.Quantity(l_d).to_value(u.km))
    for key, value in (("SUN_PA_DEG", sun_pa), ("VEL_PA_DEG", velocity_pa)):
        if value is not None:
            extra[key] = float(u.Quantity(value).to_value(u.deg))
    if path is not None:
        _write_s3d(path, out, mode_name, geometry, production_rates, T_rot, target, overwrite, seed, extra)
    return out


def _daughter_images(species, geometry, radii_arcsec, q_d, l_d, velocity, lifetime, g_factor):
    """Curves of growth (band flux in circles of ``radii_arcsec``) of a distributed source.

    A Haser daughter (scale length L) of a parent with scale length L_d, both at speed v,
    holds in any region N_d = Q_d / v · L / (L − L_d) · [L P(L) − L_d P(L_d)], P the
    parent-only fraction; ``band_weights`` with lifetime τ gives Q τ P(vτ) times g E / 4πΔ²,
    so the daughter is L / (L − L_d) · [A(τ) − A(τ_d)] with τ_d = L_d / v.
    """
    import astropy.units as u

    from .apertures import CircularAperture
    from .model import band_weights
    from .physics.production import haser_assumptions

    h = haser_assumptions(species, geometry, velocity=velocity,
                          lifetime=lifetime.get(species) if isinstance(lifetime, dict) else lifetime)
    v = float(h.velocity.to_value(u.km / u.s))
    tau = float(h.lifetime.to_value(u.s))
    L = v * tau
    ld = float(u.Quantity(l_d).to_value(u.km))
    rh2 = float(geometry.rh.to_value(u.au)) ** 2
    tau_d_1au = ld / v / rh2 * u.s  # band_weights scales lifetimes from 1 au as rh^2
    curves = {}
    for r in radii_arcsec[1:]:
        ap = CircularAperture(r * u.arcsec)
        a_l = band_weights(species, geometry, ap, velocity=h.velocity, lifetime=tau / rh2 * u.s, g_factor=g_factor)
        a_d = band_weights(species, geometry, ap, velocity=h.velocity, lifetime=tau_d_1au, g_factor=g_factor)
        for key in a_l:
            curves.setdefault(key, [0.0]).append(q_d * L / (L - ld) * (a_l[key] - a_d[key]))
    return {key: np.array(c) for key, c in curves.items()}


def _write_s3d(path, cube, mode, geometry, production_rates, T_rot, target, overwrite, seed, extra=None):
    from pathlib import Path

    from astropy.io import fits

    from ._output import atomic_path

    path = Path(path)
    if path.exists() and not overwrite:
        raise InputError(path, "exists (pass overwrite=True)")
    ph = fits.Header()
    ph["TELESCOP"] = "JWST"
    ph["INSTRUME"] = "NIRSPEC"
    ph["GRATING"] = mode
    ph["FILTER"] = _FILTER_OF.get(mode, "CLEAR")
    ph["EXP_TYPE"] = "NRS_IFU"
    ph["TARGNAME"] = target
    ph[_KW + "SYNTHETIC"] = True
    for key, value in geometry.to_dict().items():
        if value is not None and key != "epoch":
            ph[_KW + key.upper()] = value
    for species, q in production_rates.items():
        ph[_KW + f"TRUE_Q_{species}"] = (float(getattr(q, "to_value", lambda unit: q)("1/s")), "[1/s]")
    ph[_KW + "TRUE_TROT"] = float(T_rot)
    ph[_KW + "TRUE_SEED"] = int(seed)
    for key, value in (extra or {}).items():
        ph[_KW + key] = value
    wl = cube["wavelength_um"]
    nwave, ny, nx = cube["sb"].shape
    scale_deg = cube["pixel_scale"].to_value("deg")
    sh = fits.Header()
    sh["BUNIT"] = "MJy/sr"
    for key, value in (("CTYPE1", "RA---TAN"), ("CTYPE2", "DEC--TAN"), ("CTYPE3", "WAVE"),
                       ("CUNIT1", "deg"), ("CUNIT2", "deg"), ("CUNIT3", "um"),
                       ("CRPIX1", cube["center_xy"][0] + 1.0), ("CRPIX2", cube["center_xy"][1] + 1.0),
                       ("CRPIX3", 1.0), ("CRVAL1", 0.0), ("CRVAL2", 0.0), ("CRVAL3", float(wl[0])),
                       ("CDELT1", -scale_deg), ("CDELT2", scale_deg), ("CDELT3", float(wl[1] - wl[0]))):
        sh[key] = value
    sh["PIXAR_SR"] = float((cube["pixel_scale"] ** 2).to_value("sr"))
    eh = fits.Header()
    eh["BUNIT"] = "MJy/sr"
    hdus = fits.HDUList([fits.PrimaryHDU(header=ph),
                         fits.ImageHDU(cube["sb"].astype(np.float32), sh, name="SCI"),
                         fits.ImageHDU(cube["sb_error"].astype(np.float32), eh, name="ERR"),
                         fits.ImageHDU(np.zeros((nwave, ny, nx), dtype=np.uint32), name="DQ")])
    with atomic_path(path) as tmp:
        hdus.writeto(tmp, overwrite=True)


def truth_from_header(header):
    """The true parameters of a synthetic spectrum (``TRUE_*`` COMASPEC keywords).

    Parameters
    ----------
    header : astropy.io.fits.Header

    Returns
    -------
    dict
        ``Q`` (species → 1/s), ``T_rot`` and the other stored values.
    """
    keys = comaspec_keys(header)
    out = {"Q": {}}
    for key, value in keys.items():
        if key.startswith("TRUE_Q_"):
            out["Q"][key[len("TRUE_Q_"):]] = float(value)
        elif key == "TRUE_TROT":
            out["T_rot"] = float(value)
        elif key.startswith("TRUE_"):
            out[key[len("TRUE_"):].lower()] = value
    return out


def _synthetic_arguments(production_rates, geometry, error, seed):
    """Check the arguments of `comaspec.synthetic_spectrum` that it uses unchecked.

    Parameters
    ----------
    production_rates : dict
        Species -> Q (plain numbers in 1/s or Quantities).
    geometry : `comaspec.Geometry`
    error : `~astropy.units.Quantity`
    seed : int

    Returns
    -------
    Geometry
        ``geometry`` as a Geometry (dicts and sbpy Ephem accepted).

    Raises
    ------
    InputError
    """
    import astropy.units as u

    from ._validate import _describe, integer, number, scalar_quantity
    from .geometry import Geometry

    if not isinstance(production_rates, dict) or not production_rates:
        raise InputError("production_rates", f"must be a dict species -> Q (got {_describe(production_rates)})")
    for key, q in production_rates.items():
        if isinstance(q, u.Quantity):
            scalar_quantity(q, 1 / u.s, f"production_rates[{key!r}]")
        else:
            number(q, f"production_rates[{key!r}]", low=0.0)
    if not isinstance(error, u.Quantity):
        raise InputError("error", f"must be a flux-density Quantity, e.g. 1e-5 * u.Jy (got {_describe(error)})")
    integer(seed, "seed", low=0)
    return Geometry.from_any(geometry)
