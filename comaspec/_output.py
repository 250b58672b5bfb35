"""Writing output files all at once, or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from .errors import InputError

__all__ = ["atomic_path", "check_writable"]


def check_writable(path, flag=None):
    """Refuse, before any work, an output path that cannot be written.

    The path must not be a directory and its directory must exist and accept a new
    file (tried for real: permission bits say nothing for root or for /proc).

    Parameters
    ----------
    path : str or os.PathLike
        The output file.
    flag : str, optional
        The option that named it (e.g. ``"--output"``), for the message.

    Raises
    ------
    InputError
        One line naming the option, the path and the problem.
    """
    path = Path(path)
    source = f"{flag} {path}" if flag else str(path)
    if path.is_dir():
        raise InputError(source, "is a directory, not a file name")
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(source, f"cannot write: directory {directory} does not exist")
    try:
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise InputError(source, f"cannot create a file in {directory} ({exc.strerror or exc})") from None


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; move it into place only on success.

    A failure inside the block leaves no partial file behind, so bad input never
    produces half-written output.

    Parameters
    ----------
    path : str or os.PathLike
        The final destination.

    Yields
    ------
    pathlib.Path
        Where to write; keeps the destination's suffix so writers that choose a
        format by extension still work.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(path, f"cannot write: directory {directory} does not exist")
    if path.is_dir():
        raise InputError(path, "is a directory, not a file name")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=directory)
    except OSError as exc:
        raise InputError(path, f"cannot create a file in {directory} ({exc.strerror or exc})") from None
    os.close(fd)
    tmp = Path(tmp)
    # mkstemp creates 0600 files; give the result the permissions a plain open() would.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield tmp
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise InputError(path, f"cannot be written ({exc.strerror or exc})") from None
    finally:
        if tmp.exists():
            tmp.unlink()
