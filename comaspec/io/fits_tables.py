"""1-D spectra in FITS binary tables that are not JWST pipeline products.

- msaexp (Brammer's NIRSpec reduction, as served by the DAWN JWST Archive):
  extension ``SPEC1D`` with columns ``wave`` [um], ``flux`` and ``err`` [uJy]; the
  grating, filter, source name and per-exposure times are in that extension's header.
- Any other binary table whose columns are named like a spectrum (wavelength,
  flux, error — see `comaspec.io._columns`), with units from TUNIT.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ._columns import match_columns
from ._meta import epoch_from_mjd, header_value, jwst_meta
from ._spectrum import build_spectrum
from ._units import to_micron, to_working_flux

__all__ = ["read_msaexp", "find_spectrum_table", "read_fits_table"]


def _table_spectrum(source, hdu, where, flux_column, unit, meta):
    names = [c.name for c in hdu.columns]
    units = {c.name: (c.unit.strip() if c.unit and c.unit.strip() else None) for c in hdu.columns}
    choice = match_columns(source, names, units, flux_column, unit)
    if hdu.data is None or len(hdu.data) == 0:
        raise InputError(source, f"[{where}] table has no rows")
    if choice.wavelength_unit is None or choice.flux_unit is None:
        missing = choice.wavelength if choice.wavelength_unit is None else choice.flux
        python, cli = (("{'wavelength': 'um'}", "--wavelength-unit um") if choice.wavelength_unit is None
                       else ("'Jy'", "--unit Jy"))
        raise InputError(source, f"[{where}] column {missing!r} has no unit (TUNIT); give it "
                                 f"(Python: unit={python}; comaspec info or ratio: {cli})")
    cols = {}
    for name in {choice.wavelength, choice.flux, choice.error} - {None}:
        col = np.asarray(hdu.data[name])
        if col.dtype.kind not in "fiu" or col.ndim != 1:
            raise InputError(source, f"[{where}] column {name!r} is not a numeric 1-D column")
        cols[name] = col.astype(float)
    wave = to_micron(cols[choice.wavelength], choice.wavelength_unit, source)
    flux = to_working_flux(cols[choice.flux], choice.flux_unit, wave, source, choice.flux)
    error = None
    if choice.error is not None:
        error = to_working_flux(cols[choice.error], choice.error_unit, wave, source, choice.error).to(flux.unit)
    meta = dict(meta)
    meta.update(
        source_file=source,
        extension=where,
        flux_column=choice.flux,
        error_column=choice.error,
        wavelength_column=choice.wavelength,
        original_flux_unit=str(choice.flux_unit),
        unit_from=choice.unit_from,
        header=hdu.header,
    )
    return build_spectrum(source, where, wave, flux, error, None, meta)


def _msaexp_epoch(header):
    """Mean of the per-exposure mid-times msaexp records (EXPSTRn/EXPENDn, MJD)."""
    mids = []
    n = 1
    while f"EXPSTR{n}" in header:
        start = header.get(f"EXPSTR{n}")
        end = header.get(f"EXPEND{n}", start)
        try:
            mids.append(0.5 * (float(start) + float(end)))
        except (TypeError, ValueError):
            pass
        n += 1
    return epoch_from_mjd(np.mean(mids)) if mids else None


def read_msaexp(source, hdul, flux_column=None, unit=None):
    """Read the ``SPEC1D`` extension of an msaexp ``*.spec.fits`` file.

    Parameters
    ----------
    source : str
    hdul : astropy.io.fits.HDUList
    flux_column : str, optional
    unit : optional
        Unit override (see `comaspec.read_spectrum`).

    Returns
    -------
    specutils.Spectrum
    """
    hdu = hdul["SPEC1D"]
    header = hdu.header
    grating = header_value("GRATING", header, hdul[0].header)
    filt = header_value("FILTER", header, hdul[0].header)
    # msaexp reduces NIRSpec only, and its SPEC1D header has no INSTRUME.
    instrument = header_value("INSTRUME", header, hdul[0].header) or "NIRSPEC"
    epoch = _msaexp_epoch(header)
    meta = {
        "product": "msaexp",
        "instrument": instrument,
        "mode": f"{instrument} {grating}/{filt}" if grating and filt else instrument,
        "grating": grating,
        "filter": filt,
        "epoch": epoch,
        "epoch_keyword": "mean of EXPSTRn/EXPENDn" if epoch is not None else None,
        "target": header_value("SRCNAME", header),
        "srctype": None,
        "msaexp_version": header_value("VERSION", header),
    }
    return _table_spectrum(source, hdu, "SPEC1D", flux_column, unit, meta)


def find_spectrum_table(hdul):
    """The first binary-table HDU whose column names look like a spectrum, or None."""
    for hdu in hdul[1:]:
        if not hasattr(hdu, "columns"):
            continue
        try:
            match_columns("", [c.name for c in hdu.columns], {}, None, None)
        except InputError:
            continue
        return hdu
    return None


def read_fits_table(source, hdul, hdu, flux_column=None, unit=None):
    """Read a generic FITS binary-table spectrum.

    Parameters
    ----------
    source : str
    hdul : astropy.io.fits.HDUList
    hdu : astropy.io.fits.BinTableHDU
        The table found by `find_spectrum_table`.
    flux_column, unit : optional
        As in `comaspec.read_spectrum`.

    Returns
    -------
    specutils.Spectrum
    """
    meta = jwst_meta(hdul[0].header, hdu.header)
    meta["product"] = "table"
    return _table_spectrum(source, hdu, f"{hdu.name},{hdu.ver}", flux_column, unit, meta)
