"""Exceptions raised by comaspec.

Every error carries a single-line message; the command line prints it on stderr and
exits with status 2 (usage and input errors).
"""

__all__ = ["ComaspecError", "InputError", "OutputError", "UsageError", "FitError", "ComaspecWarning", "TOO_LARGE"]

#: The one-line message for a file whose content cannot fit in memory.
TOO_LARGE = "file too large or malformed (not enough memory to read it)"


class ComaspecError(Exception):
    """Base class of every error comaspec raises on purpose."""

    exit_code = 2

    def __init__(self, message: str):
        # One line, always: the CLI prints str(exc) as-is.
        super().__init__(" ".join(str(message).split()))


class InputError(ComaspecError, ValueError):
    """A file or an input value cannot be used.

    Parameters
    ----------
    source : str or os.PathLike
        The file (or the name of the input) that is wrong.
    problem : str
        What is wrong with it.
    """

    def __init__(self, source, problem: str):
        self.source = str(source)
        self.problem = problem
        super().__init__(f"{self.source}: {problem}")


class OutputError(ComaspecError, OSError):
    """An output file cannot be written (full disk, quota, read-only file system, I/O error).

    Nothing is left half-written: the command line prints one line and exits with status 2.

    Parameters
    ----------
    target : str or os.PathLike
        The file that could not be written.
    problem : str
        Why.
    """

    def __init__(self, target, problem: str):
        self.target = str(target)
        self.problem = problem
        super().__init__(f"{self.target}: {problem}")


class UsageError(ComaspecError, ValueError):
    """Arguments that do not fit together or are missing."""


class FitError(ComaspecError, RuntimeError):
    """A spectrum that cannot be fitted (too short, too noisy, no band covered)."""


class ComaspecWarning(UserWarning):
    """Something the user should know that does not stop the work (one line).

    The command line prints each on stderr as ``comaspec CMD: warning: ...`` (never on
    standard output), and not at all with ``--quiet``.
    """
