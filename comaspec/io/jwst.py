"""JWST pipeline 1-D products: x1d, x1dints, c1d and MIRI MRS x1d.

Read with astropy.io.fits rather than specutils' "JWST x1d" loader, because that
loader ignores the DQ column (so DO_NOT_USE points would enter fits) and does not
know the x1dints vector layout or the MRS residual-fringe columns; and rather than
stdatamodels, which is a heavy dependency comaspec does not need.

Layouts (column names and units as the pipeline writes them):

- x1d: one ``EXTRACT1D`` table per spectrum (several for MOS / multi-slit), one
  row per wavelength: WAVELENGTH [um], FLUX, FLUX_ERROR [Jy], SURF_BRIGHT,
  SB_ERROR [MJy/sr], DQ, NPIXELS, ...; MIRI MRS adds RF_FLUX [Jy] and
  RF_SURF_BRIGHT [MJy/sr] (residual-fringe corrected, no error columns of their own).
- x1dints: one ``EXTRACT1D`` row per integration, every column a vector; NELEMENTS
  gives how many entries are used, MJD-AVG the integration mid-time. (Older files
  wrote one EXTRACT1D extension per integration, with INT_NUM in its header.)
- c1d: ``COMBINE1D`` with WAVELENGTH, FLUX, ERROR, SURF_BRIGHT, SB_ERROR, DQ,
  WEIGHT, N_INPUT.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import InputError
from ._meta import epoch_from_mjd, header_value, jwst_meta
from ._spectrum import build_spectrum
from ._units import parse_unit, to_micron, to_working_flux

__all__ = ["SPECTRUM_EXTNAMES", "is_jwst_spectrum", "read_jwst_spectra", "FLUX_COLUMNS"]

SPECTRUM_EXTNAMES = ("EXTRACT1D", "COMBINE1D")

#: Flux column -> (error column in x1d, error column in c1d, unit when TUNIT is absent)
FLUX_COLUMNS = {
    "FLUX": ("FLUX_ERROR", "ERROR", "Jy"),
    "SURF_BRIGHT": ("SB_ERROR", "SB_ERROR", "MJy/sr"),
    # The residual-fringe step changes the signal, not the noise: it has no error columns.
    "RF_FLUX": ("FLUX_ERROR", "ERROR", "Jy"),
    "RF_SURF_BRIGHT": ("SB_ERROR", "SB_ERROR", "MJy/sr"),
}


def is_jwst_spectrum(hdul) -> bool:
    """True when the file holds at least one EXTRACT1D or COMBINE1D table."""
    return any(hdu.name in SPECTRUM_EXTNAMES and hasattr(hdu, "columns") for hdu in hdul)


def _column_unit(hdu, name, default):
    idx = [c.name.upper() for c in hdu.columns].index(name)
    unit = hdu.columns[idx].unit
    return (unit.strip() if unit and unit.strip() else default), bool(unit and unit.strip())


def _usable(values) -> bool:
    v = np.asarray(values, dtype=float)
    return bool(np.any(np.isfinite(v) & (v != 0)))


def _choose_flux(source, where, data, names, flux_column):
    """The flux column to read: the user's, or the first usable of the defaults."""
    if flux_column is not None:
        wanted = str(flux_column).upper()
        if wanted not in names:
            choices = ", ".join(n for n in FLUX_COLUMNS if n in names)
            raise InputError(source, f"[{where}] has no column {flux_column!r} (flux columns: {choices})")
        if wanted not in FLUX_COLUMNS:
            raise InputError(source,
                             f"[{where}] column {flux_column!r} is not a flux column ({', '.join(FLUX_COLUMNS)})")
        return wanted
    # Residual-fringe-corrected columns first when present (MIRI MRS); point-source
    # flux (Jy) before surface brightness, as long as the column holds real values.
    order = ["RF_FLUX", "FLUX", "RF_SURF_BRIGHT", "SURF_BRIGHT"]
    present = [n for n in order if n in names]
    if not present:
        raise InputError(source, f"[{where}] has no FLUX or SURF_BRIGHT column")
    for name in present:
        if _usable(data[name]):
            return name
    raise InputError(source, f"[{where}] all flux values are non-finite or zero ({', '.join(present)})")


def _rows(source, where, data, names, vector):
    """Yield (row index or None, dict column -> 1-D array) for each spectrum."""
    if not vector:
        yield None, {n: np.asarray(data[n]) for n in names}
        return
    for i in range(len(data)):
        row = {n: np.asarray(data[n][i]) for n in names}
        if "NELEMENTS" in names:
            n, length = int(row["NELEMENTS"]), max(v.size for v in row.values() if v.ndim == 1)
            if not 0 <= n <= length:  # a negative count would drop points from the end, silently
                raise InputError(source, f"[{where} row {i}] NELEMENTS = {n} is outside 0-{length}, the row's length")
            row = {k: (v[:n] if v.ndim == 1 else v) for k, v in row.items()}
        yield i, row


def read_jwst_spectra(source, hdul, flux_column=None) -> list:
    """Read every EXTRACT1D / COMBINE1D table of a JWST pipeline file.

    Parameters
    ----------
    source : str
        The file path (for messages and ``meta["source_file"]``).
    hdul : astropy.io.fits.HDUList
    flux_column : str, optional
        ``FLUX``, ``SURF_BRIGHT``, ``RF_FLUX`` or ``RF_SURF_BRIGHT``.

    Returns
    -------
    list of specutils.Spectrum
    """
    primary = hdul[0].header
    tables = [hdu for hdu in hdul if hdu.name in SPECTRUM_EXTNAMES and hasattr(hdu, "columns")]
    _refuse_copies(source, tables)
    spectra = []
    for hdu in tables:
        where = f"{hdu.name},{hdu.ver}"
        data = hdu.data
        if data is None or len(data) == 0:
            raise InputError(source, f"[{where}] is an empty table")
        names = [c.name.upper() for c in hdu.columns]
        data_by_name = {n: data[c.name] for n, c in zip(names, hdu.columns)}
        if "WAVELENGTH" not in names:
            raise InputError(source, f"[{where}] has no WAVELENGTH column")
        vector = np.asarray(data_by_name["WAVELENGTH"]).ndim == 2
        product = _product(hdu, vector, len(tables))
        _check_numeric(source, where, data_by_name)
        columns = _flux_columns(source, where, hdu, data_by_name, names, flux_column, product == "c1d")
        base = _table_meta(source, where, primary, hdu, product, columns)
        for row_index, cols in _rows(source, where, data, [c.name for c in hdu.columns], vector):
            spectra.append(_row_spectrum(source, where, base, row_index, {k.upper(): v for k, v in cols.items()},
                                         columns))
    return spectra


def _refuse_copies(source, tables):
    """Refuse two tables holding the same data: fitted together, one measurement's noise
    would count twice."""
    import hashlib

    seen = {}
    for hdu in tables:
        if hdu.data is None:
            continue
        digest = hashlib.sha256(np.ascontiguousarray(hdu.data).tobytes()).hexdigest()
        where = f"{hdu.name},{hdu.ver}"
        if digest in seen:
            raise InputError(source, f"[{where}] holds the same data as [{seen[digest]}]: one extraction given twice")
        seen[digest] = where


#: Columns read as numbers: wavelength, DQ, the flux columns and their errors.
_NUMERIC = ("WAVELENGTH", "DQ", *FLUX_COLUMNS, *dict.fromkeys(e for pair in FLUX_COLUMNS.values() for e in pair[:2]))


def _check_numeric(source, where, data_by_name):
    """Refuse a table whose wavelength, flux, error or DQ column holds text (a hand-edited file)."""
    for name in _NUMERIC:
        if name in data_by_name and np.asarray(data_by_name[name]).dtype.kind not in "fiub":
            raise InputError(source, f"[{where}] column {name} is not numeric")
    if "DQ" in data_by_name and np.asarray(data_by_name["DQ"]).dtype.kind not in "iub":
        raise InputError(source, f"[{where}] column DQ holds floating-point values: data-quality flags are integers")


class _FluxColumns(NamedTuple):
    """The columns a table's spectra are read from, with their units."""

    flux: str
    error: str | None
    flux_unit: object
    error_unit: object
    wavelength_unit: object
    flux_unit_given: bool
    wavelength_unit_given: bool


def _product(hdu, vector, n_tables):
    """The product: c1d, x1dints (vector columns, or one of several tables with INT_NUM) or x1d."""
    if hdu.name == "COMBINE1D":
        return "c1d"
    if vector or (n_tables > 1 and "INT_NUM" in hdu.header):
        return "x1dints"
    return "x1d"


def _flux_columns(source, where, hdu, data_by_name, names, flux_column, is_c1d):
    """The flux column (`_choose_flux`), its error column where present, and the units of both
    and of WAVELENGTH (TUNIT, or the pipeline's default)."""
    fcol = _choose_flux(source, where, data_by_name, names, flux_column)
    ecol = FLUX_COLUMNS[fcol][1 if is_c1d else 0]
    ecol = ecol if ecol in names else None
    funit_text, funit_given = _column_unit(hdu, fcol, FLUX_COLUMNS[fcol][2])
    funit = parse_unit(funit_text, source, f"column {fcol}")
    eunit = funit if ecol is None else parse_unit(_column_unit(hdu, ecol, funit_text)[0], source, f"column {ecol}")
    wunit_text, wunit_given = _column_unit(hdu, "WAVELENGTH", "um")
    wunit = parse_unit(wunit_text, source, "column WAVELENGTH")
    return _FluxColumns(fcol, ecol, funit, eunit, wunit, funit_given, wunit_given)


def _table_meta(source, where, primary, hdu, product, columns):
    """The meta every spectrum of one table shares."""
    base = jwst_meta(primary, hdu.header)
    base.update(
        source_file=str(source),
        extension=where,
        product=product,
        flux_column=columns.flux,
        error_column=columns.error,
        flux_unit_from="TUNIT" if columns.flux_unit_given else "JWST pipeline default",
        wavelength_unit_from="TUNIT" if columns.wavelength_unit_given else "JWST pipeline default",
        original_flux_unit=str(columns.flux_unit),
        residual_fringe_corrected=columns.flux.startswith("RF_"),
        slit=header_value("SLTNAME", hdu.header),
        source_id=header_value("SOURCEID", hdu.header),
        header=hdu.header,
        primary_header=primary,
    )
    if "INT_NUM" in hdu.header:
        base["int_num"] = int(hdu.header["INT_NUM"])
    return base


def _row_spectrum(source, where, base, row_index, cols, columns):
    """The spectrum of one table (``row_index`` None) or of one row of vector columns (x1dints),
    with that row's integration number and epoch."""
    meta = dict(base)
    label = where
    if row_index is not None:
        label = f"{where} row {row_index}"
        meta["row"] = row_index
        if "INT_NUM" in cols:
            meta["int_num"] = int(cols["INT_NUM"])
        epoch = epoch_from_mjd(cols.get("MJD-AVG"))
        if epoch is not None:
            meta["epoch"], meta["epoch_keyword"] = epoch, "MJD-AVG column"
    fcol, ecol = columns.flux, columns.error
    wave = to_micron(np.asarray(cols["WAVELENGTH"], dtype=float), columns.wavelength_unit, source)
    flux = to_working_flux(np.asarray(cols[fcol], dtype=float), columns.flux_unit, wave, source, fcol)
    error = None
    if ecol is not None:
        error = to_working_flux(np.asarray(cols[ecol], dtype=float), columns.error_unit, wave, source,
                                ecol).to(flux.unit)
    extras = {}
    if "NPIXELS" in cols:
        extras["npixels"] = np.asarray(cols["NPIXELS"], dtype=float)
    if "N_INPUT" in cols:
        extras["n_input"] = np.asarray(cols["N_INPUT"], dtype=float)
    return build_spectrum(source, label, wave, flux, error, cols.get("DQ"), meta, extras)
