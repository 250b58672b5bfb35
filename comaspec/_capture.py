"""Keep libraries' printed text off standard output (it must carry only the result)."""

from __future__ import annotations

import contextlib
import io
import warnings

from .errors import ComaspecWarning

__all__ = ["stdout_to_notes"]

#: longest captured text kept in a note (emcee prints whole autocorrelation arrays)
_MAX_CHARS = 300


@contextlib.contextmanager
def stdout_to_notes(who, notes):
    """Capture what a library prints and turn it into one note and one warning.

    ``comaspec ratio --mcmc --json`` must print only JSON, but lmfit prints emcee's
    autocorrelation advice with ``print``.

    Parameters
    ----------
    who : str
        The library, prefixed to the note.
    notes : list of str
        The fit's notes; the captured text (one line, shortened) is appended.
    """
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        yield
    text = " ".join(buffer.getvalue().split())
    if text:
        if len(text) > _MAX_CHARS:
            text = text[: _MAX_CHARS - 3] + "..."
        notes.append(f"{who}: {text}")
        warnings.warn(f"{who}: {text}", ComaspecWarning, stacklevel=3)
