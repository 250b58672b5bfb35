"""Builders of synthetic JWST pipeline files for the io tests, and checks that they
really look like pipeline products (compared with the real x1d in shared data).

Keywords, extension names, column names, formats and units follow what the JWST
calibration pipeline writes (x1d: MultiSpecModel; x1dints: TSO spec table; c1d:
CombinedSpecModel; MIRI MRS: MRSSpecModel; s3d: IFUCubeModel).
"""

from __future__ import annotations

import numpy as np
from astropy.io import fits

MJD_MID = 60880.25  # an exposure mid-time (2025-07-…) for synthetic files


def primary_header(instrument="NIRSPEC", grating="PRISM", filt="CLEAR", exp_type="NRS_IFU",
                   targname="C/2025 N1 (ATLAS)", targprop="3I-ATLAS", mjd_avg_in_primary=False,
                   datamodel="MultiSpecModel", **extra):
    h = fits.Header()
    h["DATE"] = ("2025-08-01T00:00:00.000", "UTC date file created")
    h["ORIGIN"] = "STSCI"
    h["TIMESYS"] = "UTC"
    h["FILENAME"] = "synthetic.fits"
    h["CAL_VER"] = "1.18.0"
    h["DATAMODL"] = datamodel
    h["TELESCOP"] = "JWST"
    h["TARGPROP"] = (targprop, "Proposer's name for the target")
    h["TARGNAME"] = (targname, "Standard astronomical catalog name for target")
    h["TARGTYPE"] = "MOVING"
    h["INSTRUME"] = instrument
    h["DETECTOR"] = "NRS1" if instrument == "NIRSPEC" else "MIRIFUSHORT"
    h["EXP_TYPE"] = exp_type
    if grating is not None:
        h["GRATING"] = grating
    if filt is not None:
        h["FILTER"] = filt
    h["EXPSTART"] = (MJD_MID - 0.01, "[d] exposure start time in MJD")
    h["EXPMID"] = (MJD_MID, "[d] exposure mid time in MJD")
    h["EXPEND"] = (MJD_MID + 0.01, "[d] exposure end time in MJD")
    if mjd_avg_in_primary:
        h["MJD-AVG"] = (MJD_MID, "[d] exposure mid-point in MJD")
    for key, value in extra.items():
        h[key.replace("_", "-") if key.startswith("MJD") else key] = value
    return h


def x1d_columns(wave, flux, err, dq=None, sb=None, sb_err=None, npixels=None, rf_flux=None, rf_sb=None,
                vector=False):
    """Pipeline EXTRACT1D columns (as stdatamodels writes them)."""
    n = np.shape(wave)[-1]
    shape = np.shape(wave)
    fmt = f"{n}D" if vector else "D"
    jfmt = f"{n}J" if vector else "J"
    zeros = np.zeros(shape)
    sb = zeros if sb is None else sb
    sb_err = zeros if sb_err is None else sb_err
    dq = np.zeros(shape, dtype=np.uint32) if dq is None else np.asarray(dq, dtype=np.uint32)
    cols = [
        fits.Column("WAVELENGTH", fmt, unit="um", array=wave),
        fits.Column("FLUX", fmt, unit="Jy", array=flux),
        fits.Column("FLUX_ERROR", fmt, unit="Jy", array=err),
        fits.Column("FLUX_VAR_POISSON", fmt, unit="Jy^2", array=np.asarray(err) ** 2),
        fits.Column("FLUX_VAR_RNOISE", fmt, unit="Jy^2", array=zeros),
        fits.Column("FLUX_VAR_FLAT", fmt, unit="Jy^2", array=zeros),
        fits.Column("SURF_BRIGHT", fmt, unit="MJy/sr", array=sb),
        fits.Column("SB_ERROR", fmt, unit="MJy/sr", array=sb_err),
        fits.Column("SB_VAR_POISSON", fmt, unit="MJy^2 / sr^2", array=np.asarray(sb_err) ** 2),
        fits.Column("SB_VAR_RNOISE", fmt, unit="MJy^2 / sr^2", array=zeros),
        fits.Column("SB_VAR_FLAT", fmt, unit="MJy^2 / sr^2", array=zeros),
        # uint32 in the pipeline: FITS 'J' with TZERO = 2**31
        fits.Column("DQ", jfmt, bzero=2**31, array=dq),
        fits.Column("BACKGROUND", fmt, unit="MJy/sr", array=zeros),
        fits.Column("BKGD_ERROR", fmt, unit="MJy/sr", array=zeros),
        fits.Column("BKGD_VAR_POISSON", fmt, unit="MJy^2 / sr^2", array=zeros),
        fits.Column("BKGD_VAR_RNOISE", fmt, unit="MJy^2 / sr^2", array=zeros),
        fits.Column("BKGD_VAR_FLAT", fmt, unit="MJy^2 / sr^2", array=zeros),
        fits.Column("NPIXELS", fmt, array=np.full(shape, 8.0) if npixels is None else npixels),
    ]
    if rf_flux is not None:
        cols += [
            fits.Column("RF_FLUX", fmt, unit="Jy", array=rf_flux),
            fits.Column("RF_SURF_BRIGHT", fmt, unit="MJy/sr", array=zeros if rf_sb is None else rf_sb),
            fits.Column("RF_BACKGROUND", fmt, unit="MJy/sr", array=zeros),
        ]
    return cols


def extract1d_hdu(cols, extver=1, srctype="EXTENDED", mjd_avg=None, **extra):
    hdu = fits.BinTableHDU.from_columns(cols, name="EXTRACT1D")
    hdu.header["EXTVER"] = extver
    hdu.header["SLTNAME"] = "S200A1"
    hdu.header["SRCTYPE"] = (srctype, "Source type used for calibration")
    if mjd_avg is not None:
        hdu.header["MJD-AVG"] = mjd_avg
    for key, value in extra.items():
        hdu.header[key] = value
    return hdu


def simple_spectrum(n=200, lo=2.9, hi=5.2, seed=1):
    rng = np.random.default_rng(seed)
    wave = np.linspace(lo, hi, n)
    flux = 1e-3 * (1 + 0.1 * np.sin(wave * 7)) + 1e-5 * rng.standard_normal(n)
    err = np.full(n, 1e-5)
    return wave, flux, err


def write_x1d(path, n_ext=1, primary=None, **kwargs):
    """An x1d with ``n_ext`` EXTRACT1D extensions; kwargs go to x1d_columns."""
    hdus = [fits.PrimaryHDU(header=primary if primary is not None else primary_header())]
    for i in range(n_ext):
        if kwargs:
            cols = x1d_columns(**kwargs)
        else:
            wave, flux, err = simple_spectrum(seed=i)
            cols = x1d_columns(wave, flux * (i + 1), err)
        hdus.append(extract1d_hdu(cols, extver=i + 1))
    fits.HDUList(hdus).writeto(path, overwrite=True)
    return path


def write_x1dints(path, fluxes, errors, wave, nelements=None, mjd=None, dq=None):
    """A TSO-style x1dints: one EXTRACT1D row per integration, vector columns."""
    nint, n = np.shape(fluxes)
    waves = np.tile(wave, (nint, 1))
    cols = x1d_columns(waves, fluxes, errors, dq=dq, vector=True)
    cols.insert(0, fits.Column("INT_NUM", "J", array=np.arange(1, nint + 1)))
    cols += [
        fits.Column("NELEMENTS", "J", array=np.full(nint, n) if nelements is None else nelements),
        fits.Column("SEGMENT", "J", array=np.zeros(nint)),
        fits.Column("MJD-BEG", "D", array=(mjd if mjd is not None else np.full(nint, MJD_MID)) - 1e-4),
        fits.Column("MJD-AVG", "D", array=mjd if mjd is not None else np.full(nint, MJD_MID)),
        fits.Column("MJD-END", "D", array=(mjd if mjd is not None else np.full(nint, MJD_MID)) + 1e-4),
    ]
    hdus = [fits.PrimaryHDU(header=primary_header(datamodel="TSOMultiSpecModel", NINTS=nint)),
            extract1d_hdu(cols)]
    fits.HDUList(hdus).writeto(path, overwrite=True)
    return path


def write_c1d(path, wave, flux, err, dq=None):
    n = len(wave)
    cols = [
        fits.Column("WAVELENGTH", "D", unit="um", array=wave),
        fits.Column("FLUX", "D", unit="Jy", array=flux),
        fits.Column("ERROR", "D", unit="Jy", array=err),
        fits.Column("SURF_BRIGHT", "D", unit="MJy/sr", array=np.zeros(n)),
        fits.Column("SB_ERROR", "D", unit="MJy/sr", array=np.zeros(n)),
        fits.Column("DQ", "J", bzero=2**31, array=np.zeros(n, np.uint32) if dq is None else np.asarray(dq, np.uint32)),
        fits.Column("WEIGHT", "D", array=np.ones(n)),
        fits.Column("N_INPUT", "D", array=np.full(n, 4.0)),
    ]
    hdu = fits.BinTableHDU.from_columns(cols, name="COMBINE1D")
    hdu.header["EXTVER"] = 1
    primary = fits.PrimaryHDU(header=primary_header(datamodel="CombinedSpecModel"))
    fits.HDUList([primary, hdu]).writeto(path, overwrite=True)
    return path


def write_s3d(path, sci, err=None, dq=None, wave=None, wavetab=False, pixel_scale_arcsec=0.1,
              bunit="MJy/sr", pixar_sr=True, instrument="NIRSPEC", crval=(150.0, 10.0)):
    """An IFU cube as cube_build writes it: SCI/ERR/DQ (nwave, ny, nx), TAN celestial WCS,
    spectral axis linear ('WAVE') or tabulated ('WAVE-TAB' + WCS-TABLE)."""
    nwave, ny, nx = sci.shape
    wave = np.linspace(2.9, 5.2, nwave) if wave is None else np.asarray(wave)
    h = fits.Header()
    h["BUNIT"] = bunit
    h["MJD-BEG"] = MJD_MID - 0.01
    h["MJD-AVG"] = (MJD_MID, "[d] exposure mid-point in MJD")
    h["MJD-END"] = MJD_MID + 0.01
    h["SRCTYPE"] = "EXTENDED"
    deg = pixel_scale_arcsec / 3600.0
    if pixar_sr:
        h["PIXAR_SR"] = (np.deg2rad(deg) ** 2, "Nominal pixel area in steradians")
        h["PIXAR_A2"] = pixel_scale_arcsec**2
    h["WCSAXES"] = 3
    h["CRPIX1"], h["CRPIX2"] = (nx + 1) / 2, (ny + 1) / 2
    h["CRVAL1"], h["CRVAL2"] = crval
    h["CTYPE1"], h["CTYPE2"] = "RA---TAN", "DEC--TAN"
    h["CUNIT1"], h["CUNIT2"] = "deg", "deg"
    h["CDELT1"], h["CDELT2"] = deg, deg
    h["PC1_1"], h["PC1_2"], h["PC2_1"], h["PC2_2"] = -1.0, 0.0, 0.0, 1.0
    h["PC3_3"] = 1.0
    h["CUNIT3"] = "um"
    if wavetab:
        h["CTYPE3"] = "WAVE-TAB"
        h["CRPIX3"], h["CRVAL3"], h["CDELT3"] = 1.0, 1.0, 1.0
        h["PS3_0"] = "WCS-TABLE"
        h["PS3_1"] = "wavelength"
    else:
        h["CTYPE3"] = "WAVE"
        h["CRPIX3"], h["CRVAL3"] = 1.0, float(wave[0])
        h["CDELT3"] = float(wave[1] - wave[0])
    hdus = [
        fits.PrimaryHDU(header=primary_header(instrument=instrument, datamodel="IFUCubeModel")),
        fits.ImageHDU(np.asarray(sci, dtype=np.float32), header=h, name="SCI"),
    ]
    if err is not None:
        eh = fits.Header()
        eh["BUNIT"] = bunit
        hdus.append(fits.ImageHDU(np.asarray(err, dtype=np.float32), header=eh, name="ERR"))
    if dq is not None:
        hdus.append(fits.ImageHDU(np.asarray(dq, dtype=np.uint32), name="DQ"))
    if wavetab:
        col = fits.Column("wavelength", f"{nwave}E", unit="um", dim=f"(1,{nwave})",
                          array=wave.reshape(1, nwave, 1).astype(np.float32))
        hdus.append(fits.BinTableHDU.from_columns([col], name="WCS-TABLE"))
    fits.HDUList(hdus).writeto(path, overwrite=True)
    return path


# --- the builders themselves must match the pipeline layout -----------------------------


def test_x1d_builder_matches_real_pipeline_columns(tmp_path, shared_data):
    real = shared_data("jwst-nirspec-mos-g395m-x1d-smacs0723", "jw02736-o007_s06355_nirspec_f290lp-g395m_x1d.fits")
    path = write_x1d(tmp_path / "x1d.fits")
    with fits.open(real) as r, fits.open(path) as s:
        real_cols = {c.name: (c.format, c.unit) for c in r["EXTRACT1D"].columns}
        ours = {c.name: (c.format, c.unit) for c in s["EXTRACT1D"].columns}
        assert ours == real_cols
        assert r["EXTRACT1D"].header["TZERO12"] == s["EXTRACT1D"].header["TZERO12"]
        for key in ("INSTRUME", "GRATING", "FILTER", "EXP_TYPE", "TARGPROP", "TARGNAME", "EXPMID"):
            assert key in r[0].header and key in s[0].header


def test_s3d_builder_wave_tab_is_evaluated_by_astropy(tmp_path):
    from astropy.wcs import WCS

    wave = np.geomspace(4.9, 27.0, 40)
    path = write_s3d(tmp_path / "c.fits", np.ones((40, 5, 6)), wave=wave, wavetab=True)
    with fits.open(path) as hdul:
        w = WCS(hdul["SCI"].header, fobj=hdul)
        got = w.sub([3]).all_pix2world(np.arange(40.0), 0)[0]
    np.testing.assert_allclose(got, wave, rtol=1e-6)
