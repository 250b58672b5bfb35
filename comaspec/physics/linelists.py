"""The line-list registry: which file in ``linelists/`` holds each band's lines, and its reader.

The ground floor of the emission physics: both `comaspec.physics.templates` and
`comaspec.physics.fluorescence` read line lists through here, and neither imports the other
for it.
"""

import functools

from .._paths import linelists_dir
from ..errors import InputError

__all__ = ["LINE_LISTS", "read_table"]

# (species, band) -> line-list file in linelists/ (rows selected by its `band` column).
LINE_LISTS = {
    ("CO2", "nu3"): "co2_nu3_lines.ecsv",
    ("13CO2", "nu3"): "13co2_nu3_lines.ecsv",
    ("CO", "1-0"): "co_1-0_lines.ecsv",
    ("OCS", "nu3"): "ocs_nu3_lines.ecsv",
    ("H2O", "nu3"): "h2o_lines.ecsv",
    ("H2O", "nu1"): "h2o_lines.ecsv",
    ("H2O", "nu1+nu3-nu1"): "h2o_lines.ecsv",
    ("H2O", "nu2+nu3-nu2"): "h2o_lines.ecsv",
    ("H2O", "nu3-nu2"): "h2o_lines.ecsv",
    ("H2O", "nu1-nu2"): "h2o_lines.ecsv",
}

# Columns every line list has.
_REQUIRED_COLUMNS = ("wavenumber", "band", "E_rot_upper", "g_upper", "A_rel")


@functools.cache
def read_table(filename):
    """The ECSV line list ``linelists/<filename>``, read once (InputError naming the file if it
    is missing, unreadable or lacks a required column)."""
    from .._ecsv import read_ecsv

    path = linelists_dir() / filename
    if not path.is_file():
        builder = ("build_h2o_lines.py" if filename.startswith("h2o")
                   else "build_linear_lines.py from linear_constants.ecsv")
        raise InputError(path, f"line list file is missing; it is made by linelists/{builder}")
    try:
        table = read_ecsv(path)   # not astropy.table: its import alone slowed every command's start
    except Exception as exc:  # report one line
        raise InputError(path, f"cannot be read as ECSV ({type(exc).__name__}: {exc})") from exc
    missing = [name for name in _REQUIRED_COLUMNS if name not in table.colnames]
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(missing)}")
    return table
