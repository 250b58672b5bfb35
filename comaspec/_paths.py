"""Locate the data shipped with comaspec, in a source tree or an installed wheel."""

import os
from pathlib import Path

from .errors import InputError

#: Environment variable naming a directory of molecular tables used instead of the bundled
#: ``linelists/`` (a full copy with rows added: a new molecule without editing the package).
LINELISTS_ENV = "COMASPEC_LINELISTS"

_PACKAGE_DIR = Path(__file__).resolve().parent
#: File name of the bundled example spectrum in ``comaspec/data/example``.
EXAMPLE_FILE = "3i_atlas_like_prism_x1d.fits"


def linelists_dir() -> Path:
    """Return the directory holding the molecular data tables.

    In a wheel, ``linelists/`` is installed as ``comaspec/linelists``; in a source
    checkout it sits beside the package at the repository root. The environment variable
    ``COMASPEC_LINELISTS`` names another directory to use instead: a copy of the tables
    with rows (and line lists) added, e.g. a new molecule (see :doc:`molecular_data`).

    Returns
    -------
    pathlib.Path
        The existing ``linelists`` directory.

    Raises
    ------
    InputError
        ``COMASPEC_LINELISTS`` is set but names no directory.
    """
    override = os.environ.get(LINELISTS_ENV)
    if override:
        if not Path(override).is_dir():
            raise InputError(LINELISTS_ENV, f"{override!r} is not a directory of molecular tables")
        return Path(override)
    for candidate in (_PACKAGE_DIR / "linelists", _PACKAGE_DIR.parent / "linelists"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("comaspec installation is incomplete: no linelists/ directory")


def data_dir() -> Path:
    """Return ``comaspec/data`` (bundled catalog and example spectrum).

    Returns
    -------
    pathlib.Path
        The package data directory.
    """
    return _PACKAGE_DIR / "data"


def example_path():
    """Path of the bundled example spectrum (a synthetic 3I/ATLAS-like NIRSpec PRISM x1d).

    Returns
    -------
    pathlib.Path
    """
    path = data_dir() / "example" / EXAMPLE_FILE
    if not path.is_file():
        raise InputError(path, "the bundled example is missing (incomplete installation)")
    return path
