"""A coma spectrum written out by hand, for injection-recovery tests of the fitter.

``comaspec.synthetic`` builds its spectra with the fitter's own forward model, so fitting
them back proves only self-consistency. This module builds the same kind of spectrum with
none of comaspec's flux <-> Q, LSF, pixel or unit code:

* molecules in the aperture: a Haser parent coma (density ``Q exp(-r/L) / (4 pi r^2 v)``,
  ``L = v tau(1 au) rh^2``) in a circular aperture of radius ``R``, integrated over shells:
  ``N / Q = (1/v) int_0^inf exp(-r/L) f(r) dr`` with ``f = 1`` for ``r < R`` and
  ``f = 1 - sqrt(1 - R^2/r^2)`` beyond (the fraction of the shell inside the cylinder),
  by ``scipy.integrate.quad``; decay-free it is ``pi R / 2 v``;
* band flux: ``F_b = N g_b / rh^2 h c nu_b / (4 pi Delta^2)``, with ``g_b`` and the band
  origin ``nu_b`` read from ``linelists/bands.ecsv`` (the published inputs, not through
  comaspec's code);
* band shapes: the independent fluorescence-equilibrium sticks of
  ``tests/fluorescence_reference.py`` (HITRAN + the solar spectrum): CO2 nu3, CO 1-0,
  H2O nu3 ((001) upper level) and nu1 ((100)). The H2O hot bands (nu1+nu3-nu1,
  nu2+nu3-nu2, nu3-nu2, nu1-nu2) are not in that generator; they take the shape of
  ``comaspec.physics.templates.stick_spectrum`` (validated against HITRAN in test_h2o_lines.py),
  which is the only comaspec input here;
* instrument: each line a Gaussian of FWHM lambda / R, R interpolated in the ESA pre-flight
  dispersion tables in ``../shared/data/jwst-nirspec-dispersion`` (the third-party files,
  not comaspec's resolving_power.ecsv), integrated over the pixel with ``erf``; pixels
  2.2 per resolution element.

Flux densities are W m^-2 um^-1. Known differences from comaspec's model (each well below
a per cent of a band's flux, as the tolerances of the tests using it say): R from the full
tables rather than comaspec's sampled points (2 %), lines below 1e-7 of the strongest left out.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from conftest import _shared

H_C = 6.62607015e-34 * 2.99792458e10  # J cm: h c, photon energy = H_C * nu[cm^-1]
AU_M = 1.495978707e11
ARCSEC_RAD = math.pi / 180.0 / 3600.0
FLAM = "W / (m2 um)"
PIXELS_PER_FWHM = 2.2
_DISP = {"PRISM": "prism", "G235H": "g235h", "G395H": "g395h", "G395M": "g395m"}
REFERENCE_SHAPE = {("CO2", "nu3"): ("CO2", None), ("CO", "1-0"): ("CO", None),
                   ("H2O", "nu3"): ("H2O", "(001)"), ("H2O", "nu1"): ("H2O", "(100)"),
                   ("CH4", "nu3"): ("CH4", "0 0 1 0 1F2")}


@functools.cache
def _r_table(mode):
    from astropy.io import fits

    path = _shared("jwst-nirspec-dispersion", f"jwst_nirspec_{_DISP[mode]}_disp.fits")
    with fits.open(path) as hdul:
        d = hdul[1].data
        return np.array(d["WAVELENGTH"], float), np.array(d["R"], float)


def resolving_power(mode, wavelength_um):
    """R(lambda) of a NIRSpec disperser, from the ESA dispersion table."""
    wl, r = _r_table(mode)
    return np.interp(wavelength_um, wl, r)


def grid(mode, lo_um, hi_um):
    """Pixel centres from lo to hi, 2.2 pixels per FWHM."""
    out = [lo_um]
    while out[-1] < hi_um:
        out.append(out[-1] * (1.0 + 1.0 / (PIXELS_PER_FWHM * float(resolving_power(mode, out[-1])))))
    return np.array(out)


def haser_n_per_q(radius_km, v_km_s, tau_1au_s, rh_au):
    """Molecules in a circular aperture per unit Q (s), shell integral of a Haser parent."""
    from scipy.integrate import quad

    scale = v_km_s * tau_1au_s * rh_au**2
    inner, _ = quad(lambda r: math.exp(-r / scale), 0.0, radius_km)
    outer, _ = quad(lambda r: math.exp(-r / scale) * (1.0 - math.sqrt(1.0 - (radius_km / r) ** 2)),
                    radius_km, np.inf, limit=400)
    return (inner + outer) / v_km_s


@functools.cache
def _bands():
    from astropy.table import Table

    from comaspec._paths import linelists_dir

    t = Table.read(linelists_dir() / "bands.ecsv", format="ascii.ecsv")
    t = t[t["default"]]
    return {(str(r["species"]), str(r["band"])): (str(r["feature"]), float(r["center_cm"]), float(r["g_1au"]))
            for r in t}


def bands(species):
    """{band: (feature, centre cm^-1, g at 1 au s^-1)} of the tabulated default rows."""
    return {b: v for (s, b), v in _bands().items() if s == species}


@functools.cache
def _shape(species, band, T_rot):
    import fluorescence_reference as fr

    if (species, band) in REFERENCE_SHAPE:
        mol, upper = REFERENCE_SHAPE[(species, band)]
        nu, g = fr.sticks(mol, T_rot, upper_state=upper)
        energy = g * nu
    else:
        from comaspec.physics.templates import stick_spectrum

        nu, energy = stick_spectrum(species, band, T_rot)
    return np.asarray(nu), np.asarray(energy) / np.sum(energy)


def band_fluxes(q, rh_au, delta_au, radius_km, v_km_s, tau_1au_s):
    """{(species, band): flux W m^-2} for production rates ``q`` (molecules/s)."""
    out = {}
    for species, rate in q.items():
        n = rate * haser_n_per_q(radius_km, v_km_s, tau_1au_s[species], rh_au)
        for band, (_feature, nu_b, g_b) in bands(species).items():
            out[(species, band)] = n * g_b / rh_au**2 * H_C * nu_b / (4 * math.pi * (delta_au * AU_M) ** 2)
    return out


def gas_flam(mode, wavelength_um, fluxes, T_rot, shift_um=0.0):
    """Mean flux density per pixel (W m^-2 um^-1) of the bands with the given fluxes."""
    from scipy.special import erf

    wl = np.asarray(wavelength_um, float)
    mid = 0.5 * (wl[1:] + wl[:-1])
    edges = np.concatenate(([2 * wl[0] - mid[0]], mid, [2 * wl[-1] - mid[-1]]))
    out = np.zeros(wl.size)
    for (species, band), flux in fluxes.items():
        temp = T_rot[species] if isinstance(T_rot, dict) else T_rot
        nu, weight = _shape(species, band, float(temp))
        lam = 1e4 / nu + shift_um
        keep = (lam > edges[0] - 0.2) & (lam < edges[-1] + 0.2)
        lam, weight = lam[keep], weight[keep]
        if lam.size == 0:
            continue
        sigma = lam / resolving_power(mode, lam) / (2 * math.sqrt(2 * math.log(2)))
        cdf = 0.5 * (1 + erf((edges[:, None] - lam[None, :]) / (sigma[None, :] * math.sqrt(2))))
        out += flux * (np.diff(cdf, axis=0) @ weight) / np.diff(edges)
    return out


def physical_continuum(wavelength_um, *, scattered, thermal, slope, rh_au, ice=None):
    """Scattered sunlight (5772 K blackbody B_lambda reddened by (lambda/3.5 um)^slope) plus
    dust at the equilibrium temperature T_sun sqrt(R_sun / 2 rh), each normalised to 1 at
    3.5 um (W m^-2 um^-1 amplitudes), written with astropy's BlackBody. ``ice``: optional
    (tau0, centre um, FWHM um) of a Gaussian optical-depth absorption, exp(-tau)."""
    import astropy.units as u
    from astropy.constants import R_sun
    from astropy.modeling.physical_models import BlackBody

    wl = np.asarray(wavelength_um, float)
    t_dust = 5772.0 * math.sqrt((R_sun / (2 * rh_au * u.au)).decompose().value)
    per_um = 1.0 * u.W / u.m**2 / u.um / u.sr  # B_lambda (BlackBody's default is B_nu)
    sun, dust = BlackBody(5772 * u.K, scale=per_um), BlackBody(t_dust * u.K, scale=per_um)
    ref, lam = 3.5 * u.um, wl * u.um
    out = (scattered * (sun(lam) / sun(ref)).decompose().value * (wl / 3.5) ** slope
           + thermal * (dust(lam) / dust(ref)).decompose().value)
    if ice is not None:
        tau0, centre, fwhm = ice
        out = out * np.exp(-tau0 * np.exp(-0.5 * ((wl - centre) / (fwhm / (2 * math.sqrt(2 * math.log(2))))) ** 2))
    return out


def coma_spectrum(mode, q, *, rh_au, delta_au, radius_arcsec, v_km_s, tau_1au_s, T_rot, lo_um, hi_um,
                  continuum, error, seed=None, shift_um=0.0):
    """A `specutils.Spectrum` (W m^-2 um^-1, StdDevUncertainty) of a coma seen by ``mode``.

    ``continuum`` is a function of wavelength (um) in W m^-2 um^-1; ``error`` the 1-sigma
    noise per pixel (noise added when ``seed`` is not None). Also returns the band fluxes.
    """
    import astropy.units as u
    from astropy.nddata import StdDevUncertainty
    from specutils import Spectrum

    wl = grid(mode, lo_um, hi_um)
    radius_km = radius_arcsec * ARCSEC_RAD * delta_au * AU_M / 1e3
    fluxes = band_fluxes(q, rh_au, delta_au, radius_km, v_km_s, tau_1au_s)
    flam = gas_flam(mode, wl, fluxes, T_rot, shift_um) + continuum(wl)
    if seed is not None:
        flam = flam + np.random.default_rng(seed).normal(0.0, error, wl.size)
    unit = u.Unit(FLAM)
    spec = Spectrum(spectral_axis=wl * u.um, flux=flam * unit,
                    uncertainty=StdDevUncertainty(np.full(wl.size, float(error)) * unit), meta={"grating": mode})
    return spec, fluxes


@functools.cache
def default_lifetimes():
    """{species: tau at 1 au, s}: the default rows of linelists/lifetimes.ecsv, read directly."""
    from astropy.table import Table

    from comaspec._paths import linelists_dir

    t = Table.read(linelists_dir() / "lifetimes.ecsv", format="ascii.ecsv")
    return {str(r["species"]): float(r["tau_1au"]) for r in t if r["default"]}


def haser_column_per_q(rho_km, v_km_s, scale_km):
    """Haser parent column per unit Q (s km^-2): (1 / 2 pi v rho) int_0^pi/2 exp(-rho / L cos t) dt."""
    t, w = np.polynomial.legendre.leggauss(64)
    theta = 0.25 * math.pi * (t + 1.0)
    rho = np.asarray(rho_km, float)[..., None]
    integral = 0.25 * math.pi * np.sum(w * np.exp(-rho / (scale_km * np.cos(theta))), axis=-1)
    return integral / (2 * math.pi * v_km_s * rho[..., 0])


def daughter_column_per_q(rho_km, v_km_s, parent_scale_km, scale_km):
    """Column per unit Q (s km^-2) of molecules released by a distributed source of scale
    length Lp that then decay with scale length L (two-generation Haser, Haser 1957): the
    density is Q L / (L - Lp) (exp(-r/L) - exp(-r/Lp)) / (4 pi r^2 v), so the column is the
    same combination of parent columns."""
    return scale_km / (scale_km - parent_scale_km) * (haser_column_per_q(rho_km, v_km_s, scale_km)
                                                      - haser_column_per_q(rho_km, v_km_s, parent_scale_km))


def spaxel_numbers(shape, pixel_km, v_km_s, scale_km, subsample=21, parent_scale_km=None):
    """Molecules per unit Q (s) in each spaxel, nucleus at the centre of the middle spaxel
    (odd shape): the column summed over subsample x subsample sub-pixels; the sub-pixel on the
    nucleus takes the decay-free square b ln(1 + sqrt 2) / v (b << L).

    With ``parent_scale_km`` the molecules come from a distributed source
    (`daughter_column_per_q`); their column diverges only logarithmically at the nucleus,
    and the nucleus sub-pixel takes the column at 0.38 b (the mean distance from the centre
    of a square of side b): 1/441 of the centre spaxel, far below the tests' tolerances.
    """
    ny, nx = shape
    b = pixel_km / subsample
    offs = (np.arange(subsample) - (subsample - 1) / 2) * b
    yy = (np.arange(ny) - (ny - 1) / 2)[:, None, None, None] * pixel_km + offs[None, None, :, None]
    xx = (np.arange(nx) - (nx - 1) / 2)[None, :, None, None] * pixel_km + offs[None, None, None, :]
    rho = np.hypot(yy, xx)
    centre = rho < 0.5 * b
    if parent_scale_km is not None:
        col = daughter_column_per_q(np.where(centre, 0.38 * b, rho), v_km_s, parent_scale_km, scale_km) * b * b
        return col.sum(axis=(2, 3))
    col = haser_column_per_q(np.where(centre, 1.0, rho), v_km_s, scale_km) * b * b
    col = np.where(centre, b * math.log(1 + math.sqrt(2)) / v_km_s, col)
    return col.sum(axis=(2, 3))


def coma_cube(mode, q, *, rh_au, delta_au, pixel_arcsec, shape, v_km_s, tau_1au_s, T_rot, lo_um, hi_um,
              continuum, error_per_spaxel, seed, distributed=None):
    """(wavelength um, SB MJy/sr, error MJy/sr) of a Haser coma in an IFU cube.

    ``continuum(wl)`` (W m^-2 um^-1) is spread over the spaxels as a decay-free 1/rho dust
    coma (its value is that of a 0.5 arcsec-radius circle); ``error_per_spaxel`` is the noise
    of one spaxel in W m^-2 um^-1. ``distributed``: {species: (Q, parent scale length km)}
    of molecules released by a distributed source on top of the nucleus' ``q``.
    """
    wl = grid(mode, lo_um, hi_um)
    pixel_km = pixel_arcsec * ARCSEC_RAD * delta_au * AU_M / 1e3
    flam = np.zeros((wl.size,) + tuple(shape))
    sources = [(s, rate, None) for s, rate in q.items()]
    sources += [(s, rate, lp) for s, (rate, lp) in (distributed or {}).items()]
    for species, rate, parent_scale in sources:
        n = spaxel_numbers(shape, pixel_km, v_km_s, v_km_s * tau_1au_s[species] * rh_au**2,
                           parent_scale_km=parent_scale)
        per_molecule = {(species, band): g_b / rh_au**2 * H_C * nu_b / (4 * math.pi * (delta_au * AU_M) ** 2)
                        for band, (_f, nu_b, g_b) in bands(species).items()}
        flam += gas_flam(mode, wl, per_molecule, T_rot)[:, None, None] * (rate * n)[None]
    dust = spaxel_numbers(shape, pixel_km, 1.0, 1e30)
    dust /= math.pi * 0.5 * pixel_km / pixel_arcsec / 2  # N of a 0.5" circle, decay-free, v = 1
    flam += continuum(wl)[:, None, None] * dust[None]
    flam += np.random.default_rng(seed).normal(0.0, error_per_spaxel, flam.shape)
    # W m^-2 um^-1 per spaxel -> MJy/sr: F_nu = F_lambda lambda^2 / c, / solid angle
    to_mjy_sr = 1e6 * (wl * 1e-6) ** 2 / 2.99792458e8 / 1e-26 / 1e6 / (pixel_arcsec * ARCSEC_RAD) ** 2
    return wl, flam * to_mjy_sr[:, None, None], np.full(flam.shape, error_per_spaxel) * to_mjy_sr[:, None, None]


@functools.cache
def _velocity_law():
    from astropy.table import Table

    from comaspec._paths import linelists_dir

    (row,) = [r for r in Table.read(linelists_dir() / "velocity_laws.ecsv", format="ascii.ecsv") if r["default"]]
    return float(row["v0"]), float(row["exponent"])


def default_velocity(rh_au):
    """Outflow speed km/s of the default row of linelists/velocity_laws.ecsv, v0 rh^exponent, read directly."""
    v0, exponent = _velocity_law()
    return v0 * rh_au**exponent


def write_pipeline_x1d(path, spec, *, targname="test comet", **header):
    """``spec`` (a `coma_spectrum`) as a pipeline-layout x1d (test_io_builders), in Jy;
    ``header``: extra primary-header cards (e.g. ``{"HIERARCH COMASPEC RH_AU": 2.0}``)."""
    import astropy.units as u

    from test_io_builders import primary_header, write_x1d

    to_jy = u.spectral_density(spec.spectral_axis)
    return write_x1d(path, primary=primary_header(targname=targname, **header),
                     wave=spec.spectral_axis.to_value(u.um), flux=spec.flux.to(u.Jy, to_jy).value,
                     err=(spec.uncertainty.array * spec.flux.unit).to(u.Jy, to_jy).value)
