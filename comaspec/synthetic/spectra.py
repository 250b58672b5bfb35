"""Synthetic 1-d spectra of a coma with known inputs, written in the JWST x1d layout."""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError, UsageError
from ..io.header import comaspec_keys
from ..physics.fluorescence import DEFAULT_EMISSION, DEFAULT_ORTHO_PARA


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
    from ..physics import instrument

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
    from ..model import equilibrium_temperature, physical_continuum_basis

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


def _per_s(q):
    """A production rate as a float in 1/s (a Quantity, or a plain number taken as 1/s)."""
    return float(q.to_value("1/s")) if hasattr(q, "to_value") else float(q)


def _flam_to_jy(values, wavelength_um):
    import astropy.units as u

    return (np.asarray(values) * u.W / u.m**2 / u.um).to_value(
        u.Jy, equivalencies=u.spectral_density(np.asarray(wavelength_um) * u.um))


def _jy_to_flam(values, wavelength_um):
    import astropy.units as u

    return u.Quantity(values).to_value(u.W / u.m**2 / u.um,
                                       equivalencies=u.spectral_density(np.asarray(wavelength_um) * u.um))


def _solid_angle_sr(aperture, geometry):
    import astropy.units as u

    area = aperture.area() if aperture.is_angular else aperture.area() / geometry.delta**2
    return float(area.to_value(u.sr, equivalencies=u.dimensionless_angles()))


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

    from ..physics import instrument
    from ..model import gas_spectrum

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
        "Q": {s: _per_s(q) for s, q in production_rates.items()},
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

    from .._output import atomic_path

    path = Path(path)
    if path.exists() and not overwrite:
        raise InputError(path, "exists (pass overwrite=True)")
    n = len(wavelength_um)
    ph = _x1d_primary_header(mode, geometry, aperture, truth, target, epoch, header_notes)
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


def nirspec_header(mode, target):
    """A primary header with the JWST NIRSpec IFU keywords of a synthetic file (cubes and x1d)."""
    from astropy.io import fits

    ph = fits.Header()
    ph["TELESCOP"] = "JWST"
    ph["INSTRUME"] = "NIRSPEC"
    ph["GRATING"] = mode
    ph["FILTER"] = _FILTER_OF.get(mode, "CLEAR")
    ph["EXP_TYPE"] = "NRS_IFU"
    ph["TARGNAME"] = target
    return ph


def add_geometry_cards(ph, geometry):
    """Mark ``ph`` synthetic and write the geometry (not its epoch) as COMASPEC cards."""
    ph[_KW + "SYNTHETIC"] = True
    for key, value in geometry.to_dict().items():
        if value is not None and key != "epoch":
            ph[_KW + key.upper()] = value


def _x1d_primary_header(mode, geometry, aperture, truth, target, epoch, header_notes):
    """The primary header of a synthetic x1d: JWST keywords, and COMASPEC keywords for the
    geometry, the aperture and the truth; the notes as COMMENT cards."""
    from .._version import __version__

    ph = nirspec_header(mode, target)
    ph["SRCTYPE"] = "EXTENDED"
    if epoch is not None:
        ph["MJD-AVG"] = (float(epoch.mjd), "[d] exposure mid-time (synthetic)")
    ph["ORIGIN"] = f"comaspec {__version__} synthetic spectrum"
    add_geometry_cards(ph, geometry)
    ap = aperture.describe(geometry)
    ph[_KW + "APERTURE"] = ap["shape"]
    for key, value in ap.items():
        if key != "shape":
            ph[_KW + "AP_" + key.upper()] = value
    if truth:
        _add_truth_cards(ph, truth)
    for note in header_notes:
        for i in range(0, len(note), 68):
            ph.add_comment(note[i:i + 68])
    return ph


def _add_truth_cards(ph, truth):
    """COMASPEC TRUE_* cards: Q and T_rot (one, or one per species) and the other inputs."""
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

    from .._validate import _describe, integer, number, scalar_quantity
    from ..geometry import Geometry

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
