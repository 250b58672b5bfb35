"""Synthetic IFU cubes of a coma (parent and distributed sources) with known inputs, in the JWST s3d layout."""


from __future__ import annotations


import numpy as np

from ..errors import InputError
from ..physics.fluorescence import DEFAULT_EMISSION, DEFAULT_ORTHO_PARA
from .spectra import (_KW, _flam_to_jy, _jy_to_flam, _per_s, add_geometry_cards, continuum_spectrum, nirspec_header,
                      wavelength_grid)


def synthetic_cube(mode, production_rates, geometry, *, T_rot, error_per_spaxel, continuum=None,
                   shape=(21, 21), pixel_scale=None, noise=True, seed=0, velocity=None, lifetime=None,
                   g_factor=None, target="synthetic coma", path=None, overwrite=False, subsample=5,
                   emission=DEFAULT_EMISSION, ortho_para=DEFAULT_ORTHO_PARA, distributed=None, sun_pa=None,
                   velocity_pa=None):
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

    from ..physics import instrument

    mode_name = instrument.mode_from_meta({"mode": mode}) or str(mode).upper()
    lsf = instrument.make_lsf(mode_name)
    pixel_scale = (0.1 * u.arcsec) if pixel_scale is None else pixel_scale.to(u.arcsec)
    grid = wavelength_grid(mode_name)
    step = float(np.min(np.diff(grid)))
    wl = np.arange(grid[0], grid[-1], step)
    spaxels = _Spaxels(shape, pixel_scale.to_value(u.arcsec), subsample)
    flux = np.zeros((wl.size, *shape))
    physics = dict(velocity=velocity, lifetime=lifetime, g_factor=g_factor)
    bands = dict(wl=wl, T_rot=T_rot, lsf=lsf, emission=emission, ortho_para=ortho_para)
    _add_parent_sources(flux, spaxels, production_rates, geometry, physics, bands)
    _add_distributed_sources(flux, spaxels, distributed or {}, geometry, physics, bands)
    if continuum is not None:
        cont = continuum_spectrum(wl, continuum, float(geometry.rh.to_value(u.au)))
        # 1/rho coma: F(<r) = F(<0.5") r / 0.5"
        image = spaxels.image(spaxels.radii / 0.5)
        flux += cont[:, None, None] * image[None, :, :]
    err = np.broadcast_to(np.broadcast_to(_jy_to_flam(u.Quantity(error_per_spaxel), wl), wl.shape)[:, None, None],
                          flux.shape)
    rng = np.random.default_rng(seed)
    if noise:
        flux = flux + rng.normal(0.0, 1.0, flux.shape) * err
    omega_spaxel = float((pixel_scale**2).to_value(u.sr))
    to_sb = _flam_to_jy(np.ones_like(wl), wl)[:, None, None] * 1e-6 / omega_spaxel
    sb, sb_err = flux * to_sb, err * to_sb
    out = {"wavelength_um": wl, "sb": sb, "sb_error": np.array(sb_err), "pixel_scale": pixel_scale,
           "center_xy": spaxels.center_xy}
    extra = _truth_keywords(distributed or {}, sun_pa, velocity_pa)
    if path is not None:
        _write_s3d(path, out, mode_name, geometry, production_rates, T_rot, target, overwrite, seed, extra)
    return out


class _Spaxels:
    """The cube's spaxels on a sub-pixel grid (nucleus at the central spaxel), and the radii
    (arcsec, from 0) at which curves of growth are sampled."""

    def __init__(self, shape, pixel_scale_arcsec, subsample):
        ny, nx = shape
        self.shape, self.subsample = (ny, nx), subsample
        cy, cx = (ny - 1) / 2.0, (nx - 1) / 2.0
        self.center_xy = (cx, cy)
        # radius of every sub-pixel (arcsec), in spaxel units first
        sub = (np.arange(subsample) + 0.5) / subsample - 0.5
        yy = (np.arange(ny)[:, None] + sub[None, :]).ravel()
        xx = (np.arange(nx)[:, None] + sub[None, :]).ravel()
        self.rho = np.hypot(yy[:, None] - cy, xx[None, :] - cx) * pixel_scale_arcsec  # (ny*s, nx*s)
        rmax = float(self.rho.max()) * 1.01
        self.radii = np.concatenate([[0.0], np.geomspace(self.rho[self.rho > 0].min() / 2, rmax, 60)])
        self.area_sub = (pixel_scale_arcsec / subsample) ** 2

    def image(self, curve):
        """Flux per spaxel of a source whose curve of growth (flux within each of `radii`) is ``curve``."""
        return self._spaxel_sum(self._ring_density(curve))

    def _spaxel_sum(self, per_area):
        """Flux per spaxel from a surface density (per arcsec^2) on the sub-grid."""
        (ny, nx), s = self.shape, self.subsample
        return (per_area * self.area_sub).reshape(ny, s, nx, s).sum(axis=(1, 3))

    def _ring_density(self, curve):
        """Surface density (per arcsec^2) at each sub-pixel from a curve of growth F(r)."""
        dens = np.diff(curve) / (np.pi * np.diff(self.radii**2))
        idx = np.clip(np.searchsorted(self.radii, self.rho, side="right") - 1, 0, dens.size - 1)
        return dens[idx]


def _add_parent_sources(flux, spaxels, production_rates, geometry, physics, bands):
    """Add to ``flux`` (nwave, ny, nx) each species' Haser parent coma: its bands' profiles times
    the images of their curves of growth (the forward model's band weights in circles)."""
    import astropy.units as u

    from ..apertures import CircularAperture
    from ..model import band_weights

    for species, q in production_rates.items():
        q = _per_s(q)
        curves = [band_weights(species, geometry, CircularAperture(r * u.arcsec), **physics)
                  for r in spaxels.radii[1:]]
        for key in curves[0]:
            curve = np.array([0.0] + [c[key] for c in curves]) * q
            _add_band(flux, species, key, spaxels.image(curve), bands)


def _add_distributed_sources(flux, spaxels, distributed, geometry, physics, bands):
    """Add to ``flux`` the extended sources: species → (Q_d, L_d) (see `_daughter_images`)."""
    for species, (q_d, l_d) in distributed.items():
        image = _daughter_images(species, geometry, spaxels.radii, float(q_d), l_d, physics["velocity"],
                                 physics["lifetime"], physics["g_factor"])
        for key, img in image.items():
            _add_band(flux, species, key, spaxels.image(img), bands)


def _add_band(flux, species, key, image, bands):
    """Add one band's line profile on the cube's wavelengths times its image."""
    from ..model import _band_profile

    profile = _band_profile(species, key[1], bands["wl"], bands["T_rot"], bands["lsf"], bands["emission"],
                            bands["ortho_para"])
    flux += profile[:, None, None] * image[None, :, :]


def _truth_keywords(distributed, sun_pa, velocity_pa):
    """COMASPEC keywords (without the prefix) of the distributed sources and the position angles."""
    import astropy.units as u

    extra = {}
    for species, (q_d, l_d) in distributed.items():
        extra[f"TRUE_QD_{species}"] = float(q_d)
        extra[f"TRUE_LD_{species}"] = float(u.Quantity(l_d).to_value(u.km))
    for key, value in (("SUN_PA_DEG", sun_pa), ("VEL_PA_DEG", velocity_pa)):
        if value is not None:
            extra[key] = float(u.Quantity(value).to_value(u.deg))
    return extra


def _daughter_images(species, geometry, radii_arcsec, q_d, l_d, velocity, lifetime, g_factor):
    """Curves of growth (band flux in circles of ``radii_arcsec``) of a distributed source.

    A Haser daughter (scale length L) of a parent with scale length L_d, both at speed v,
    holds in any region N_d = Q_d / v · L / (L − L_d) · [L P(L) − L_d P(L_d)], P the
    parent-only fraction; ``band_weights`` with lifetime τ gives Q τ P(vτ) times g E / 4πΔ²,
    so the daughter is L / (L − L_d) · [A(τ) − A(τ_d)] with τ_d = L_d / v.
    """
    import astropy.units as u

    from ..apertures import CircularAperture
    from ..model import band_weights
    from ..physics.production import haser_assumptions

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

    from .._output import atomic_path

    path = Path(path)
    if path.exists() and not overwrite:
        raise InputError(path, "exists (pass overwrite=True)")
    ph = nirspec_header(mode, target)
    add_geometry_cards(ph, geometry)
    for species, q in production_rates.items():
        ph[_KW + f"TRUE_Q_{species}"] = (_per_s(q), "[1/s]")
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
