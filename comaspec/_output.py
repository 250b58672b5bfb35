"""Writing output files all at once, or not at all.

Every file comaspec writes goes through `atomic_path` (one file) or `atomic_paths` (the
outputs of one command): the writer fills a temporary file beside the destination and the
temporary is moved into place only when every writer succeeded. A full disk, a quota, a
read-only file system or an I/O error while writing is turned into one `OutputError` line
naming the file, and the temporaries are removed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

from .errors import ComaspecError, InputError, OutputError

__all__ = ["atomic_path", "atomic_paths", "check_writable", "check_distinct", "short_path"]

#: errno values that mean "the storage refused the bytes", whatever the writer (astropy,
#: matplotlib, zlib inside a PDF) wrapped them in.
_STORAGE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS, errno.ENAMETOOLONG}

#: Longest file name most file systems take (bytes); temporaries are kept below it.
_NAME_MAX = 255


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
    source = f"{flag} {short_path(path)}" if flag else short_path(path)
    _check_name(path, source)
    try:
        if path.is_dir():
            raise InputError(source, "is a directory, not a file name")
        directory = path.parent if str(path.parent) else Path(".")
        if not directory.is_dir():
            raise InputError(source, f"cannot write: directory {directory} does not exist")
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        problem = f"cannot create a file in {short_path(path.parent)} ({exc.strerror or exc})"
        raise InputError(short_path(source), problem) from None


def _check_name(path, source):
    """Refuse a file name longer than file systems take (before an OSError deep inside)."""
    if len(os.fsencode(path.name)) > _NAME_MAX:
        raise InputError(short_path(source), f"file name longer than {_NAME_MAX} bytes")


def short_path(text, keep=80):
    """A path for a one-line message: its start and end around an ellipsis."""
    text = str(text)
    return text if len(text) <= 2 * keep else f"{text[:keep]}...{text[-keep:]}"


def check_distinct(named_paths):
    """Refuse two outputs that name one file (after resolving ``.``, ``..`` and links).

    Parameters
    ----------
    named_paths : iterable of (str, path or None)
        (option, path) pairs; None paths are skipped.

    Raises
    ------
    comaspec.UsageError
        Naming both options and the file.
    """
    from .errors import UsageError

    seen = {}
    for flag, path in named_paths:
        if path is None:
            continue
        key = Path(path).resolve()
        if key in seen:
            raise UsageError(f"{seen[key]} and {flag} name the same file {short_path(path)}")
        seen[key] = flag


def _storage_error(exc):
    """The OSError behind ``exc`` (itself, its cause or its context) if the storage refused
    the bytes, else None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in _STORAGE_ERRORS:
            return exc
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return None


def _output_directory(path):
    """The directory of an output path, checked (the path itself must not be a directory)."""
    _check_name(path, path)
    directory = path.parent if str(path.parent) else Path(".")
    try:
        if not directory.is_dir():
            raise InputError(short_path(path), f"cannot write: directory {short_path(directory)} does not exist")
        if path.is_dir():
            raise InputError(short_path(path), "is a directory, not a file name")
    except OSError as exc:  # a folder name too long, a loop of links...
        raise InputError(short_path(path), f"cannot write there ({exc.strerror or exc})") from None
    return directory


def _temporary_beside(path, directory):
    """A new empty file in ``directory`` for writing ``path``, its name short enough."""
    room = _NAME_MAX - len(os.fsencode(path.suffix)) - 16   # mkstemp adds 8 characters
    stem = os.fsencode(path.name)[:max(room, 1)].decode(errors="ignore")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{stem}.", suffix=path.suffix, dir=directory)
    except OSError as exc:
        raise InputError(short_path(path), f"cannot create a file in {short_path(directory)} ({exc.strerror or exc})") \
            from None
    os.close(fd)
    tmp = Path(tmp)
    # mkstemp creates 0600 files; give the result the permissions a plain open() would.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    return tmp


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

    Raises
    ------
    comaspec.OutputError
        When the storage refuses the bytes (full disk, quota, read-only, I/O error).
    """
    with atomic_paths([path]) as (tmp,):
        yield tmp


@contextlib.contextmanager
def atomic_paths(paths):
    """Yield temporaries beside every path; move them all into place only if the block succeeds.

    The outputs of one command are written together: when any writer fails, none of the
    files appears (and existing files are left as they were).

    Parameters
    ----------
    paths : sequence of str or os.PathLike
        The final destinations (distinct; see `check_distinct`).

    Yields
    ------
    list of pathlib.Path
        Where to write each, in order; each keeps its destination's suffix.

    Raises
    ------
    comaspec.OutputError
        When the storage refuses the bytes (full disk, quota, read-only, I/O error).
    """
    paths = [Path(p) for p in paths]
    tmps = []
    try:
        for path in paths:
            tmps.append(_temporary_beside(path, _output_directory(path)))
        try:
            yield list(tmps)
        except OutputError as exc:  # a writer that writes atomically itself, into one of ours
            target = next((p for p, t in zip(paths, tmps) if short_path(t) == exc.target), None)
            if target is None:
                raise
            raise OutputError(short_path(target), exc.problem) from None
        except Exception as exc:
            refused = None if isinstance(exc, ComaspecError) else _storage_error(exc)  # said already
            if refused is None:
                raise
            target = next((p for p, t in zip(paths, tmps) if str(t) == str(refused.filename)), None)
            where = short_path(target) if target is not None else ", ".join(short_path(p) for p in paths)
            raise OutputError(where, f"cannot be written ({refused.strerror or refused}); nothing was written") \
                from None
        for path, tmp in zip(paths, tmps):
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise OutputError(short_path(path), f"cannot be written ({exc.strerror or exc})") from None
    finally:
        for tmp in tmps:
            if tmp.exists():
                tmp.unlink()
