"""The line-list registry: which file in ``linelists/`` holds each band's lines, and its reader.

The ground floor of the emission physics: both `comaspec.physics.templates` and
`comaspec.physics.fluorescence` read line lists through here, and neither imports the other
for it.
"""

import functools

from .._paths import linelists_dir
from ..errors import InputError

__all__ = ["line_lists", "read_table"]

@functools.cache
def line_lists():
    """(species, band) -> line-list file in ``linelists/`` (rows selected by its ``band``
    column), from the ``line_list`` column of ``linelists/bands.ecsv``: a new molecule's
    line list is registered there, not in code."""
    from . import molecules

    rows, _ = molecules._bands()
    out = {}
    for key, by_source in rows.items():
        filename = next(iter(by_source.values()))["line_list"]
        if filename:
            out[key] = filename
    return out


# Columns every line list has.
_REQUIRED_COLUMNS = ("wavenumber", "band", "E_rot_upper", "g_upper", "A_rel")


@functools.cache
def read_table(filename):
    """The ECSV line list ``linelists/<filename>``, read once (InputError naming the file if it
    is missing, unreadable or lacks a required column)."""
    from .._ecsv import read_ecsv

    path = linelists_dir() / filename
    if not path.is_file():
        raise InputError(path, "line list file is missing; it is made by a build script in linelists/ "
                               "(build_h2o_lines.py, build_linear_lines.py or build_hitran_lines.py)")
    try:
        table = read_ecsv(path)   # not astropy.table: its import alone slowed every command's start
    except Exception as exc:  # report one line
        raise InputError(path, f"cannot be read as ECSV ({type(exc).__name__}: {exc})") from exc
    missing = [name for name in _REQUIRED_COLUMNS if name not in table.colnames]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}")
    return table
