"""Batch jobs from a manifest (ECSV or CSV, one row per job) or from a directory of files.

Every row is checked before any work starts. A row that cannot run (no geometry, a
missing file, an unknown species, a product not available yet) becomes an `InvalidRow`
with a one-line reason naming the row; the other rows run. Problems of the manifest as a
whole (unreadable, unknown column, duplicate labels) raise `comaspec.InputError`.

Manifest columns (see ``docs/batch.rst``): ``files`` (required; several paths fitted
together are separated by ``;``, relative paths are relative to the manifest), ``rh`` and
``delta`` (au), ``phase`` (deg), ``rdot`` (km/s), ``solar`` (``e490`` or ``meftah2023``),
``g_source`` (``published`` or ``computed``: the g-factors of the production rates),
``aperture`` (a radius in arcsec such as ``0.5``, or a box ``WxH`` in arcsec such as
``1.0x0.6``), ``species`` (``CO2;H2O;CO``), ``T_rot`` (K), ``mode``, ``map`` (yes/no),
``center`` (the nucleus on a cube, ``X;Y`` in 0-based spaxels) and ``label``. An ECSV column
with a unit is converted from it.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from .._ranges import RANGES
from .._validate import number, temperature
from ..errors import ComaspecError, InputError, UsageError
from .jobs import PLANNED_PRODUCTS, PRODUCTS, InvalidRow, Job

__all__ = ["read_jobs", "read_manifest", "jobs_from_directory", "COLUMNS", "DEFAULT_SPECIES"]

#: Manifest columns (lower case) and the unit of a bare number in each.
COLUMNS = {"label": None, "files": None, "rh": "au", "delta": "au", "phase": "deg", "aperture": None,
           "species": None, "t_rot": "K", "mode": None, "map": None, "center": None, "rdot": "km/s", "solar": None,
           "g_source": None}
#: Species fitted when a row does not name any (as ``comaspec ratio``).
DEFAULT_SPECIES = ("CO2", "H2O", "CO")

_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
#: Longest label: a job's directory and its hidden temporary (``.<label>.tmp-xxxxxxxx``)
#: must fit in a file name (255 bytes on common file systems).
MAX_LABEL = 200
#: Longest text of a manifest cell or file name quoted in a message.
_SHOWN = 60
_RESERVED = {"summary.ecsv", "summary.pdf"}
_YES, _NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0", ""}
_FITS_SUFFIXES = (".fits", ".fit", ".fits.gz")


class _RowError(Exception):
    """A problem of one row (becomes an InvalidRow)."""


def read_jobs(source, species=None):
    """Jobs from a manifest file or a directory of spectra and cubes.

    Parameters
    ----------
    source : str or os.PathLike
        A ``.ecsv`` or ``.csv`` manifest, or a directory (see `jobs_from_directory`).
    species : sequence of str, optional
        Species for rows that do not name any (default CO2, H2O, CO).

    Returns
    -------
    (list of Job, list of InvalidRow)
    """
    if species is not None:
        from ..physics.molecules import SPECIES

        unknown = [s for s in species if s not in SPECIES]
        if unknown or not species:
            raise UsageError(f"--species: unknown {', '.join(unknown) or 'empty list'} (known: {', '.join(SPECIES)})")
    path = Path(source)
    try:
        is_dir = path.is_dir()
    except OSError as exc:  # e.g. a name longer than the file system allows
        raise InputError(_short(path), f"cannot be used ({exc.strerror or type(exc).__name__})") from None
    if is_dir:
        return jobs_from_directory(path, species)
    return read_manifest(path, species)


def _species_list(text, default):
    if text is None:
        return tuple(default or DEFAULT_SPECIES)
    from ..physics.molecules import SPECIES

    names = tuple(s for s in re.split(r"[;,\s]+", text) if s)
    unknown = [s for s in names if s not in SPECIES]
    if unknown:
        raise _RowError(f"unknown species {_short(', '.join(unknown))} (known: {', '.join(SPECIES)})")
    return names or tuple(default or DEFAULT_SPECIES)


def _aperture(text):
    import astropy.units as u

    from ..apertures import CircularAperture, RectangularAperture

    if text is None:
        return None
    try:
        sizes = [float(v) for v in text.lower().split("x")]
    except ValueError:
        sizes = []
    if len(sizes) not in (1, 2):
        raise _RowError(f"aperture {_shown(text)}: expected a radius in arcsec (0.5) or a box WxH in arcsec (1.0x0.6)")
    lo, hi = RANGES["aperture"][:2]
    for size in sizes:
        _checked(number, size, "aperture", low=lo, high=hi)
    if len(sizes) == 1:
        return CircularAperture(sizes[0] * u.arcsec)
    return RectangularAperture(sizes[0] * u.arcsec, sizes[1] * u.arcsec)


def _checked(check, *args, **kwargs):
    """``check(*args, **kwargs)``, its InputError turned into a row error."""
    try:
        return check(*args, **kwargs)
    except InputError as exc:
        raise _RowError(str(exc)) from None


def _center(text):
    """``X;Y`` (or ``X Y``, or a quoted ``X,Y``): the nucleus on the job's cube, 0-based spaxels."""
    if text is None:
        return None
    try:
        x, y = (float(v) for v in re.split(r"[;,\s]+", text.strip()))
    except ValueError:
        raise _RowError(f"center {text!r}: expected X;Y in pixels (0-based), e.g. 24.5;21") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise _RowError(f"center {text!r}: expected two finite pixel coordinates")
    return x, y


def _distinct(files):
    """A file named twice in one row (``a;a``, or a link to it) is refused, as by ``comaspec ratio``."""
    from ..pipeline import check_distinct

    try:
        check_distinct(files)
    except UsageError as exc:
        raise _RowError(str(exc)) from None


def _products(text):
    value = "" if text is None else text.strip().lower()
    if value in _NO:
        return ("ratio",)
    if value not in _YES:
        raise _RowError(f"map {_shown(text)}: expected yes or no")
    for product in ("ratio", "map"):
        if product not in PRODUCTS:
            raise _RowError(f"map=yes: {PLANNED_PRODUCTS[product]}")
    return ("ratio", "map")


def _short(text):
    """A cell or name as shown in a message, shortened: a long cell must not make a long line."""
    text = str(text)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


def _shown(text):
    return repr(_short(text))


def _label_of(label, files):
    if label is None:
        name = Path(files[0]).name
        for suffix in (".gz", ".fits", ".fit", ".ecsv", ".csv", ".txt", ".dat"):
            name = name[: -len(suffix)] if name.lower().endswith(suffix) else name
        label = name
    if len(label) > MAX_LABEL:
        raise _RowError(f"label {_shown(label)}: {len(label)} characters, at most {MAX_LABEL} "
                        "(give a shorter label)")
    if not _LABEL.fullmatch(label) or label in _RESERVED:
        raise _RowError(f"label {_shown(label)}: use letters, digits and . _ + - (not starting with . _ + -), "
                        "and not summary.ecsv/summary.pdf")
    return label


def _geometry(rh, delta, phase, rdot=None):
    import astropy.units as u

    from ..geometry import Geometry

    missing = [name for name, value in (("rh", rh), ("delta", delta)) if value is None]
    if missing:
        raise _RowError(f"geometry missing: no {' and no '.join(missing)} (au)")
    try:
        return Geometry(rh * u.au, delta * u.au, None if phase is None else phase * u.deg,
                        rdot=None if rdot is None else rdot * u.km / u.s)
    except ComaspecError as exc:
        raise _RowError(str(exc)) from None


def _solar(text):
    """The row's solar spectrum (default E490), or a row error naming the choices."""
    from ..physics.solar import DEFAULT_SOLAR, check_solar

    try:
        return DEFAULT_SOLAR if text is None else check_solar(text.strip().lower())
    except ComaspecError as exc:
        raise _RowError(str(exc)) from None


def _g_source(text, products):
    """The row's g-factor source (default published), or a row error naming the choices."""
    from ..physics.g_source import DEFAULT_G_SOURCE, check_g_source

    try:
        g_source = DEFAULT_G_SOURCE if text is None else check_g_source(text.strip().lower())
    except ComaspecError as exc:
        raise _RowError(str(exc)) from None
    if g_source == "computed" and "map" in products:
        raise _RowError("g_source=computed: the maps take the published g-factors; ask map=no")
    return g_source


def _cells(table, column_unit):
    """Each row as {column: text, number or None}; numbers converted to the column's unit."""
    import astropy.units as u
    import numpy as np

    names = {name.lower(): name for name in table.colnames}
    rows = []
    for i in range(len(table)):
        row = {}
        for key, name in names.items():
            value = table[name][i]
            if value is np.ma.masked or (isinstance(value, str) and not value.strip()):
                row[key] = None
                continue
            unit = column_unit.get(key)
            if unit is None:
                row[key] = str(value).strip()
                continue
            col_unit = table[name].unit
            try:
                number = float(value)
                if col_unit is not None:
                    number = (number * col_unit).to_value(unit)
            except (TypeError, ValueError):
                row[key] = _RowError(f"{key} {_shown(value)}: not a number")
                continue
            except u.UnitConversionError:
                raise InputError(table.meta.get("_source", "manifest"),
                                 f"column {name} is in {col_unit}, not a {u.Unit(unit).physical_type}") from None
            row[key] = number if math.isfinite(number) else None
        rows.append(row)
    return rows


def _read_table(path):
    from astropy.table import Table

    from ..io._checks import check_path, describe_failure

    path = check_path(path)
    suffix = path.suffix.lower()
    if suffix not in (".ecsv", ".csv"):
        raise InputError(path, "a manifest must be a .ecsv or .csv table (or give a directory)")
    try:
        table = Table.read(path, format="ascii.ecsv" if suffix == ".ecsv" else "ascii.csv")
    except Exception as exc:  # noqa: BLE001 - any reader failure is one line about this file
        raise InputError(path, f"cannot be read as {suffix[1:].upper()} ({describe_failure(exc)})") from None
    unknown = [c for c in table.colnames if c.lower() not in COLUMNS]
    if unknown:
        raise InputError(path, f"unknown column {', '.join(unknown)} (known: {', '.join(_known_names())})")
    if "files" not in [c.lower() for c in table.colnames]:
        raise InputError(path, "has no 'files' column (the spectra or cubes of each job)")
    if len(table) == 0:
        raise InputError(path, "has no rows")
    table.meta["_source"] = str(path)
    return table


def _known_names():
    return [("T_rot" if c == "t_rot" else c) for c in COLUMNS]


def _not_fits(path, failure):
    """What is wrong with a file astropy cannot open, as ``comaspec info`` says it (empty, text,
    binary...), without astropy's advice to the programmer."""
    from ..io._checks import check_path, sniff

    try:
        kind = sniff(check_path(path))
    except InputError as exc:
        return exc.problem
    return "is a text file, not FITS" if kind == "text" else f"cannot be read ({failure})"


def _check_file(given, full):
    try:
        exists, is_dir = Path(full).is_file(), Path(full).is_dir()
    except OSError as exc:  # a name too long for the file system, ...
        raise _RowError(f"file {_short(given)}: cannot be used ({exc.strerror or type(exc).__name__})") from None
    if is_dir:
        raise _RowError(f"file {_short(given)} is a directory, not a spectrum or cube")
    if not exists:
        raise _RowError(f"file {_short(given)} does not exist")


def read_manifest(path, species=None):
    """Jobs from an ECSV or CSV manifest, one row per job.

    Parameters
    ----------
    path : str or os.PathLike
    species : sequence of str, optional
        Species for rows without a ``species`` value (default CO2, H2O, CO).

    Returns
    -------
    (list of Job, list of InvalidRow)
        In manifest order; each row's ``origin`` is ``"<file name> row <n>"`` (n from 1).
    """
    path = Path(path)
    table = _read_table(path)
    base = path.resolve().parent
    jobs, invalid, labels = [], [], {}
    for i, row in enumerate(_cells(table, COLUMNS), start=1):
        origin = f"{path.name} row {i}"
        files = tuple(f.strip() for f in (row.get("files") or "").split(";") if f.strip())
        label = row.get("label")
        try:
            if not files:
                raise _RowError("no files")
            label = _label_of(label, files)
            if label in labels:
                raise InputError(path, f"rows {labels[label]} and {i} have the same label {_shown(label)}")
            labels[label] = i
            for value in row.values():
                if isinstance(value, _RowError):
                    raise value
            resolved = tuple(str(base / f) for f in files)
            for given, full in zip(files, resolved):
                _check_file(given, full)
            _distinct(resolved)
            if row.get("t_rot") is not None:
                _checked(temperature, row["t_rot"])
            products = _products(row.get("map"))
            jobs.append(Job(label=label, files=resolved,
                            geometry=_geometry(row.get("rh"), row.get("delta"), row.get("phase"), row.get("rdot")),
                            aperture=_aperture(row.get("aperture")),
                            species=_species_list(row.get("species"), species), T_rot=row.get("t_rot"),
                            mode=row.get("mode"), products=products,
                            center=_center(row.get("center")), solar=_solar(row.get("solar")),
                            g_source=_g_source(row.get("g_source"), products),
                            origin=origin, index=i))
        except _RowError as exc:
            invalid.append(InvalidRow(origin, label if isinstance(label, str) else None, files, str(exc), i))
    return jobs, invalid


def _header_geometry(header, name, geometry_from_header):
    """The geometry of a file's COMASPEC cards (as `ratio --rh --delta`), or a row error."""
    try:
        geometry = geometry_from_header(header, name)
    except InputError as exc:
        if exc.problem.startswith("has no COMASPEC"):
            raise _RowError("geometry missing: no COMASPEC RH_AU and DELTA_AU keywords in the header "
                            "(give rh and delta in a manifest)") from None
        # a card that is not a number, or a value out of range
        raise _RowError(exc.problem if exc.source == name else str(exc)) from None
    return type(geometry)(geometry.rh, geometry.delta, geometry.phase)


def jobs_from_directory(directory, species=None):
    """One job per FITS file of ``directory`` (not recursive), geometry from its header.

    The geometry and the aperture are read from ``COMASPEC`` keywords of the primary
    header (written by `comaspec.synthetic`, or added by the user: ``RH_AU``, ``DELTA_AU``,
    ``PHASE_DEG``, ``APERTURE`` and ``AP_RADIUS_ARCSEC`` or ``AP_WIDTH_ARCSEC`` /
    ``AP_HEIGHT_ARCSEC``); JWST pipeline headers do not hold the comet's distances. A file
    without them is an `InvalidRow`. Without an aperture keyword, cubes get the default
    0.5 arcsec radius and spectra fail with a message saying so.

    Parameters
    ----------
    directory : str or os.PathLike
    species : sequence of str, optional
        Species to fit (default CO2, H2O, CO).

    Returns
    -------
    (list of Job, list of InvalidRow)
        The label of each job is the file name without its suffix.
    """
    from astropy.io import fits

    from ..io._checks import describe_failure, quiet_astropy
    from ..io.header import aperture_from_header, geometry_from_header

    directory = Path(directory)
    paths = sorted(p for p in directory.iterdir() if p.is_file() and p.name.lower().endswith(_FITS_SUFFIXES))
    if not paths:
        raise InputError(directory, "holds no FITS files (.fits, .fit, .fits.gz)")
    jobs, invalid, labels = [], [], {}
    for i, path in enumerate(paths, start=1):
        label = None
        try:
            label = _label_of(None, [path.name])
            try:
                with quiet_astropy():
                    header = fits.getheader(path, 0)
            except (OSError, ValueError) as exc:
                raise _RowError(_not_fits(path, describe_failure(exc))) from None
            if label in labels:
                raise _RowError(f"same label {label!r} as {labels[label]}")
            labels[label] = path.name
            geometry = _header_geometry(header, path.name, geometry_from_header)
            try:
                aperture = aperture_from_header(header, path.name)
            except InputError as exc:
                if not exc.problem.startswith("has no usable"):  # a card that is there but unusable
                    raise _RowError(exc.problem if exc.source == path.name else str(exc)) from None
                aperture = None
            jobs.append(Job(label=label, files=(str(path.resolve()),), geometry=geometry, aperture=aperture,
                            species=tuple(species or DEFAULT_SPECIES), origin=path.name, index=i))
        except _RowError as exc:
            invalid.append(InvalidRow(path.name, label, (str(path),), str(exc), i))
    return jobs, invalid
