"""Plain-text spectra: ECSV, CSV, and whitespace-separated columns.

A table must name its columns in a header line; that line may be the last ``#``
comment line before the data (as in ``#Wave (micron) Flux (Jy) Noise (Jy)``). Units
come from the header (``(unit)`` or ``[unit]`` after a name, a ``_unit`` suffix,
ECSV units) or from the ``unit=`` argument. Every ``#`` comment line is kept in
``meta["comments"]``.
"""

from __future__ import annotations

import re

import numpy as np

from ..errors import InputError
from ._checks import describe_failure
from ._columns import match_columns, split_name_unit
from ._spectrum import build_spectrum
from ._units import to_micron, to_working_flux

__all__ = ["read_text_table"]

# Header names with an optional bracketed unit, for whitespace-separated headers:
# "Wave (micron)  Flux (Jy)" -> ["Wave (micron)", "Flux (Jy)"].
_WS_NAME = re.compile(r"[^\s\(\[]+(?:\s*[\(\[][^\)\]]*[\)\]])?")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eEdD][+-]?\d+)?$|^[+-]?(nan|inf|infinity)$", re.IGNORECASE)


def _is_number(token: str) -> bool:
    return bool(_NUMBER.match(token.strip()))


def _split(line: str, delimiter):
    if delimiter is None:
        return line.split()
    return [t.strip().strip('"').strip("'") for t in line.split(delimiter)]


def _header_names(line: str, delimiter):
    if delimiter is not None:
        return [t.strip().strip('"').strip("'") for t in line.split(delimiter)]
    return _WS_NAME.findall(line)


def _read_ecsv(path, flux_column, unit):
    from astropy.table import Table

    try:
        table = Table.read(path, format="ascii.ecsv")
    except Exception as exc:  # astropy raises many kinds for a malformed ECSV
        raise InputError(path, f"is not a valid ECSV table ({describe_failure(exc)})") from None
    names = list(table.colnames)
    units = {n: (table[n].unit if table[n].unit is not None else None) for n in names}
    comments = [str(c) for c in table.meta.get("comments", [])]
    choice = match_columns(str(path), names, units, flux_column, unit, name_columns=False)
    if len(table) == 0:
        raise InputError(path, "table has no data rows")
    cols = {}
    for name in {choice.wavelength, choice.flux, choice.error} - {None}:
        col = table[name]
        if col.dtype.kind not in "fiu":
            raise InputError(path, f"column {name!r} is not numeric (dtype {col.dtype})")
        cols[name] = np.ma.filled(np.ma.asarray(col, dtype=float), np.nan)
    return choice, cols, comments, "ecsv"


def _read_delimited(path, text, flux_column, unit):
    """(column choice, {name: values}, comments, format) of a CSV, tab- or whitespace-separated table."""
    comments, body = _comments_and_body(path, text)
    last = body[-1][1]
    # The delimiter is what the data rows use: comma, tab, or any whitespace.
    delimiter = "," if "," in last else ("\t" if "\t" in last else None)
    names, rows = _column_names(path, body, comments, delimiter)
    bare, units = [], {}
    for name in names:
        b, unit_text = split_name_unit(name)
        bare.append(b)
        units[b] = unit_text
    if len(set(b.lower() for b in bare)) != len(bare):
        raise InputError(path, "two columns of the header line have the same name")
    choice = match_columns(str(path), bare, units, flux_column, unit, name_columns=False)
    wanted = [c for c in (choice.wavelength, choice.flux, choice.error) if c is not None]
    values = _column_values(path, rows, delimiter, bare, wanted)
    fmt = "csv" if delimiter == "," else ("tab" if delimiter == "\t" else "whitespace")
    return choice, values, comments, fmt


def _comments_and_body(path, text):
    """The ``#`` comment lines before the first data line (without the ``#``), and the other
    non-blank lines as (line number, text)."""
    comments = []
    body = []  # (line number, text)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if not body:
                comments.append(line[1:].strip())
            continue
        body.append((number, line))
    if not body:
        raise InputError(path, "has no data rows (only comments or blank lines)")
    return comments, body


def _column_names(path, body, comments, delimiter):
    """(column names as written, data rows): the names from the first line when it is text, else
    from the last comment line."""
    first = body[0][1]
    first_tokens = _split(first, delimiter)
    numeric = [_is_number(t) for t in first_tokens if t != ""]
    if any(numeric) and not all(numeric):
        raise InputError(
            path, f"is not FITS and not a spectrum table: line {body[0][0]} mixes numbers and text "
            "and no header line names the columns"
        )
    if all(numeric):
        # No header row: the last comment line must name the columns.
        if not comments:
            raise InputError(path, "has no header line naming the columns (wavelength, flux, error)")
        header = comments[-1]
        ncols = len(first_tokens)
        names = _header_names(header, delimiter if delimiter and delimiter in header else None)
        if len(names) != ncols:
            raise InputError(
                path, f"the header line (the last comment line) names {len(names)} columns but the data have {ncols}"
            )
        return names, body
    names = _header_names(first, delimiter)
    if len(names) < 2:
        raise InputError(
            path, f"is not a spectrum table: line {body[0][0]} does not name "
            "wavelength and flux columns"
        )
    if not body[1:]:
        raise InputError(path, "table has no data rows")
    return names, body[1:]


def _column_values(path, rows, delimiter, bare, wanted):
    """{name: float array} of the ``wanted`` columns (empty fields NaN, Fortran ``D`` exponents read)."""
    index = {name: bare.index(name) for name in wanted}
    values = {name: np.empty(len(rows)) for name in wanted}
    for i, (number, line) in enumerate(rows):
        tokens = _split(line, delimiter)
        if len(tokens) != len(bare):
            raise InputError(path, f"line {number} has {len(tokens)} fields, the header names {len(bare)}")
        for name in wanted:
            token = tokens[index[name]]
            if token == "":
                values[name][i] = np.nan
                continue
            try:
                values[name][i] = float(token.replace("D", "e").replace("d", "e"))
            except ValueError:
                raise InputError(path, f"column {name!r} is not numeric (line {number})") from None
    return values


def read_text_table(path, flux_column=None, unit=None):
    """Read a spectrum from an ECSV, CSV or whitespace-separated text file.

    Parameters
    ----------
    path : pathlib.Path
    flux_column : str, optional
        Name of the flux column when the header's names are ambiguous.
    unit : str, astropy.units.UnitBase or dict, optional
        Flux unit, or ``{"wavelength": ..., "flux": ...}``, overriding the header.

    Returns
    -------
    specutils.Spectrum
    """
    # utf-8-sig: spreadsheets start their CSV exports with a byte-order mark
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        text = fh.read()
    if text.lstrip().startswith("# %ECSV"):
        choice, cols, comments, fmt = _read_ecsv(path, flux_column, unit)
    else:
        choice, cols, comments, fmt = _read_delimited(path, text, flux_column, unit)
    source = str(path)
    if choice.wavelength_unit is None:
        raise InputError(
            path, f"no unit for wavelength column {choice.wavelength!r}; write it in the header, e.g. "
            f"'{choice.wavelength} (um)', or give it (Python: unit={{'wavelength': 'um'}}; "
            "comaspec info or ratio: --wavelength-unit um)"
        )
    if choice.flux_unit is None:
        raise InputError(
            path, f"no unit for flux column {choice.flux!r}; write it in the header, e.g. "
            f"'{choice.flux} (Jy)', or give it (Python: unit='Jy'; comaspec info or ratio: --unit Jy)"
        )
    wave = to_micron(cols[choice.wavelength], choice.wavelength_unit, source)
    flux = to_working_flux(cols[choice.flux], choice.flux_unit, wave, source, choice.flux)
    error = None
    if choice.error is not None:
        error = to_working_flux(cols[choice.error], choice.error_unit, wave, source, choice.error).to(flux.unit)
    meta = {
        "source_file": source,
        "extension": None,
        "product": "table",
        "table_format": fmt,
        "flux_column": choice.flux,
        "error_column": choice.error,
        "wavelength_column": choice.wavelength,
        "original_flux_unit": str(choice.flux_unit),
        "original_wavelength_unit": str(choice.wavelength_unit),
        "unit_from": choice.unit_from,
        "comments": comments,
    }
    meta.update(_comment_meta(comments))
    return build_spectrum(source, None, wave, flux, error, None, meta)


def _comment_meta(comments):
    """Instrument, grating, target and epoch when comment lines state them plainly."""
    out = {}
    times = {}
    for line in comments:
        low = line.lower()
        if low.startswith("target name"):
            out["target"] = line[len("target name"):].strip(" :=")
        elif low.startswith("instrument used") or low.startswith("instrument"):
            value = line.split(None, 2)[-1] if low.startswith("instrument used") else line[len("instrument"):]
            out.setdefault("instrument", value.strip(" :=").upper())
        elif low.startswith("grating used"):
            out["grating_filter"] = line[len("grating used"):].strip(" :=")
        elif low.startswith("obs. start") or low.startswith("obs. end"):
            is_end = low.startswith("obs. end")
            times[is_end] = line[len("obs. end" if is_end else "obs. start"):].strip(" :=")
    if "instrument" in out and "grating_filter" in out:
        out["mode"] = f"{out['instrument']} {out['grating_filter'].upper()}"
        grating, _, filt = out.pop("grating_filter").partition("/")
        out["grating"], out["filter"] = grating.strip().upper(), (filt.strip().upper() or None)
    out.pop("grating_filter", None)
    if len(times) == 2:
        from astropy.time import Time

        try:
            start, end = Time(times[False], scale="utc"), Time(times[True], scale="utc")
        except ValueError:
            pass
        else:
            out["epoch"] = start + (end - start) / 2
            out["epoch_keyword"] = "Obs. Start/End comments"
    return out
