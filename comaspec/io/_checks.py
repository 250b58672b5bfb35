"""First look at an input path: does it exist, and is it FITS, text or neither.

Files are recognised by their content, never by their name: a FITS file starts with
the card ``SIMPLE  =``, possibly inside gzip; a table is readable text.
"""

from __future__ import annotations

import gzip
import os
import re
import warnings
from contextlib import contextmanager
from pathlib import Path

from ..errors import TOO_LARGE, InputError

__all__ = ["check_path", "sniff", "quiet_astropy", "open_fits", "check_declared_sizes", "describe_failure"]

_GZIP_MAGIC = b"\x1f\x8b"
_FITS_MAGIC = b"SIMPLE  ="
# Bytes looked at to tell text from binary data.
_SNIFF_BYTES = 8192


# a quoted fragment of a library's message: often a line or a value of the file read
_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|b'[^'\n]*'")


def describe_failure(exc, limit=160) -> str:
    """One line for a library's failure on a file, without quoting the file's content.

    Readers name the file and the problem, never a line or a value of the file: a
    manifest may name any file (``/etc/passwd``), and the message ends up in
    ``error.txt`` and ``summary.ecsv``. Libraries quote what they could not parse in
    quotes; those fragments are dropped.

    Parameters
    ----------
    exc : BaseException
    limit : int
        Most characters of the library's message kept.

    Returns
    -------
    str
        ``"<ExceptionType>: <message without quoted fragments>"``.
    """
    text = " ".join(_QUOTED.sub("'…'", str(exc)).split())[:limit]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def check_path(path, kind="spectrum file") -> Path:
    """Return ``path`` as a Path after checking it is a non-empty, readable file.

    Parameters
    ----------
    path : str or os.PathLike
    kind : str
        What the file should be, for the message when ``path`` is a directory.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    comaspec.InputError
        If the path is missing, a directory, unreadable or empty.
    """
    try:
        path = Path(os.fspath(path))
    except TypeError:
        raise InputError(repr(path), "is not a file path") from None
    from .._output import short_path

    try:
        if not path.exists():
            raise InputError(short_path(path), "no such file")
        if path.is_dir():
            raise InputError(short_path(path), f"is a directory, not a {kind}")
        if not os.access(path, os.R_OK):
            raise InputError(short_path(path), "is not readable (permission denied)")
        if path.stat().st_size == 0:
            raise InputError(short_path(path), "is empty (0 bytes)")
    except OSError as exc:  # a name too long for the file system, a loop of links...
        raise InputError(short_path(path), f"cannot be read ({exc.strerror or exc})") from None
    return path


def _head(path: Path) -> tuple[bytes, bool]:
    """First bytes of the file, decompressed when it is gzip; and whether it was."""
    with open(path, "rb") as fh:
        raw = fh.read(_SNIFF_BYTES)
    if not raw.startswith(_GZIP_MAGIC):
        return raw, False
    try:
        with gzip.open(path, "rb") as fh:
            return fh.read(_SNIFF_BYTES), True
    except (OSError, EOFError) as exc:
        raise InputError(path, f"is gzip-compressed but cannot be decompressed ({exc})") from None


def _other_encoding(head: bytes) -> bool:
    """Whether bytes that are not UTF-8 look like text in a legacy encoding (latin-1, cp1252):
    no control characters but tab and line ends, and few bytes above ASCII."""
    controls = sum(b < 32 and b not in (9, 10, 13) for b in head)
    return controls == 0 and sum(b >= 128 for b in head) <= 0.05 * len(head)


def sniff(path: Path) -> str:
    """Tell what kind of file ``path`` is from its first bytes.

    Parameters
    ----------
    path : pathlib.Path
        A file already checked by `check_path`.

    Returns
    -------
    str
        ``"fits"`` or ``"text"``.

    Raises
    ------
    comaspec.InputError
        If the file is neither FITS nor text.
    """
    head, compressed = _head(path)
    if head.startswith(_FITS_MAGIC):
        return "fits"
    what = "gzip-compressed data" if compressed else "binary data"
    if not head:
        raise InputError(path, "is empty after decompression")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) and not compressed:  # "Unicode text" of spreadsheets
        raise InputError(path, "is UTF-16 text: save it as UTF-8")
    if b"\x00" in head:
        raise InputError(path, f"is not FITS and not a text table ({what})")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the sniff boundary is still text.
        if exc.start < len(head) - 4:
            if not compressed and _other_encoding(head):
                raise InputError(path, f"is text but not UTF-8 (byte 0x{head[exc.start]:02x} at offset {exc.start}): "
                                       "save it as UTF-8") from None
            raise InputError(path, f"is not FITS and not a text table ({what})") from None
    if compressed:
        raise InputError(path, "is gzip-compressed but not FITS (only FITS files may be compressed)")
    return "text"


@contextmanager
def quiet_astropy():
    """Silence astropy's header/unit warnings while reading.

    The command line promises exactly one line on stderr for bad input, and the
    readers check everything they use themselves.
    """
    from astropy.utils.exceptions import AstropyWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def open_fits(path: Path, *, load_data=True):
    """Open a FITS file fully into memory, refusing truncated or corrupt files.

    Parameters
    ----------
    path : pathlib.Path
    load_data : bool
        False: read the headers only (HDUs on first access, data when asked for), e.g. to
        read only part of a cube; the declared sizes are still checked against the file.

    Returns
    -------
    astropy.io.fits.HDUList
        With every HDU's data loaded (so a truncated file fails here, not later).

    Raises
    ------
    comaspec.InputError
        If astropy cannot parse the file or the file is shorter than its headers say.
    """
    from astropy.io import fits

    check_declared_sizes(path)
    return _checked_open(path, lambda: fits.open(path, memmap=False, lazy_load_hdus=not load_data), load_data)


def load_fits_data(hdul, path: Path):
    """Read every HDU's data of a file from ``open_fits(path, load_data=False)``.

    What ``open_fits(path)`` does, on the file already open (a reader that first looks at
    the headers need not open it twice).

    Parameters
    ----------
    hdul : astropy.io.fits.HDUList
    path : pathlib.Path

    Returns
    -------
    astropy.io.fits.HDUList
        ``hdul``, every HDU's data loaded.

    Raises
    ------
    comaspec.InputError
        As `open_fits` (``hdul`` is closed then).
    """
    return _checked_open(path, lambda: hdul, True)


def _checked_open(path, opener, load_data):
    """``opener()``, its data read if ``load_data``, with astropy's failures as one InputError."""
    failure = None
    hdul = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            hdul = opener()
            for hdu in hdul if load_data else ():
                data = hdu.data  # force the read so truncation shows now, not later
                if data is not None and hasattr(data, "columns"):
                    for name in data.columns.names:
                        data[name]
        except (OSError, ValueError, TypeError, IndexError, EOFError, KeyError) as exc:
            failure = exc
        except MemoryError:
            if hdul is not None:
                hdul.close()
            raise InputError(path, TOO_LARGE) from None
    messages = " ".join(str(w.message) for w in caught)
    if "truncated" in messages or "Header size is not" in messages or isinstance(failure, EOFError):
        if hdul is not None:
            hdul.close()
        raise InputError(path, "is a truncated or corrupt FITS file (shorter than its headers declare)")
    if failure is not None:
        if hdul is not None:
            hdul.close()
        raise InputError(path, f"is not a readable FITS file ({failure})")
    return hdul


def _content_size(path: Path) -> int:
    """Bytes of FITS content: the file size, or the decompressed size of a gzip file."""
    with open(path, "rb") as fh:
        compressed = fh.read(2) == _GZIP_MAGIC
    if not compressed:
        return path.stat().st_size
    total = 0
    try:
        with gzip.open(path, "rb") as fh:  # streamed: the count costs no memory
            while chunk := fh.read(1 << 20):
                total += len(chunk)
    except (OSError, EOFError) as exc:
        raise InputError(path, f"is gzip-compressed but cannot be decompressed ({exc})") from None
    return total


def check_declared_sizes(path: Path):
    """Refuse a FITS file whose headers declare more data than the file holds.

    Only the headers are read (lazily), and each HDU's declared data span
    (NAXISn x BITPIX, plus the heap) is compared with the real content size, so a
    header claiming 2e9 table rows is refused before anything is allocated.

    Parameters
    ----------
    path : pathlib.Path

    Raises
    ------
    comaspec.InputError
        When an HDU's data would end beyond the end of the file.
    """
    from astropy.io import fits

    size = _content_size(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # astropy's own truncation warning: we say it ourselves
        try:
            hdul = fits.open(path, memmap=False, lazy_load_hdus=True)
        except (OSError, ValueError, TypeError, IndexError, EOFError, KeyError):
            return  # open_fits reports what is wrong with the file itself
        try:
            for index, hdu in enumerate(hdul):
                info = hdu.fileinfo()
                if info is None:
                    continue
                end = info["datLoc"] + info["datSpan"]
                if end - size >= 2880:  # a missing final padding block alone is tolerated
                    name = hdu.name or "PRIMARY"
                    raise InputError(
                        path,
                        f"is truncated or malformed: the header of HDU {index} ({name}) declares "
                        f"{info['datSpan']:,} bytes of data but the file holds {max(size - info['datLoc'], 0):,} "
                        "after it (file too large or malformed)",
                    )
        except InputError:
            raise
        except (OSError, ValueError, TypeError, IndexError, EOFError, KeyError):
            return
        finally:
            hdul.close()
