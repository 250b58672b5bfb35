"""Progress bars for long loops: tqdm on a terminal, nothing when piped or quiet."""

from __future__ import annotations

__all__ = ["progress", "set_enabled", "wanted"]

# None: decide by whether stderr is a terminal (tqdm's disable=None); False: never.
_ENABLED = None


def set_enabled(enabled):
    """Switch progress bars off (``False``) or back to terminal-only (``None``).

    Parameters
    ----------
    enabled : bool or None
        False for ``--quiet``; None to show bars only when stderr is a terminal.
    """
    global _ENABLED
    _ENABLED = None if enabled is None else bool(enabled)


def progress(iterable, *, total=None, desc=None):
    """Wrap ``iterable`` in a tqdm bar with an estimated time left, when wanted.

    Parameters
    ----------
    iterable : iterable
        The loop.
    total : int, optional
        Its length, when ``len()`` does not tell.
    desc : str, optional
        Label in front of the bar.

    Returns
    -------
    iterable
        The tqdm bar on a terminal (stderr), else ``iterable`` itself.
    """
    if _ENABLED is False:
        return iterable
    from tqdm.auto import tqdm

    # disable=None: tqdm shows nothing when stderr is not a terminal (piped, CI)
    size = _unknown_size_fallback()
    return tqdm(iterable, total=total, desc=desc, disable=None if _ENABLED is None else not _ENABLED,
                leave=False, unit="fit", **size)


def _unknown_size_fallback():
    """tqdm options for a terminal that reports a 0 x 0 size (a pseudo-terminal never resized):
    tqdm would then draw nothing, so give it 80 x 24; empty for a normal terminal."""
    import os
    import sys

    try:
        size = os.get_terminal_size(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        return {}
    return {} if size.columns > 0 and size.lines > 0 else {"ncols": 80, "nrows": 24}


def wanted() -> bool:
    """Whether a progress bar should show now (stderr is a terminal and not ``--quiet``).

    Returns
    -------
    bool
        For libraries that take a plain on/off switch (emcee's ``progress=``).
    """
    import sys

    if _ENABLED is False:
        return False
    return bool(_ENABLED) or bool(getattr(sys.stderr, "isatty", lambda: False)())
