"""One publication style for every comaspec figure.

Figures are sized for journal columns (AAS: one column 3.5 in, two columns 7.1 in), use
DejaVu Sans (shipped with matplotlib, so figures look the same everywhere), embed
TrueType fonts in PDF, and colour the dynamical classes with the Okabe & Ito (2008)
colour-blind-safe palette, each class also with its own marker so that figures survive
greyscale printing.

matplotlib is imported inside the functions, so importing this module is cheap.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from .._output import atomic_path
from ..errors import InputError

__all__ = [
    "COLUMN_WIDTH_IN", "TWO_COLUMN_WIDTH_IN", "CLASS_COLOURS", "CLASS_MARKERS",
    "HIGHLIGHT_COLOUR", "TREND_COLOUR", "RC_PARAMS", "use_style", "figure_size",
    "save_figure",
]

#: One journal column (AAS), inches.
COLUMN_WIDTH_IN = 3.5
#: Two journal columns (AAS), inches.
TWO_COLUMN_WIDTH_IN = 7.1

# Okabe & Ito (2008), "Color Universal Design": colours distinguishable under the common
# colour-vision deficiencies. Yellow is kept for the highlighted measurement (with a black
# edge) because on its own it is too faint for small markers on white.
_OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky blue": "#56B4E9",
    "bluish green": "#009E73", "yellow": "#F0E442", "blue": "#0072B2",
    "vermillion": "#D55E00", "reddish purple": "#CC79A7", "grey": "#999999",
}

#: Colour of each dynamical class (keys: comaspec.catalog.DYNAMICAL_CLASSES).
CLASS_COLOURS = {
    "JFC": _OKABE_ITO["blue"],
    "Halley-type": _OKABE_ITO["reddish purple"],
    "OCC-new": _OKABE_ITO["vermillion"],
    "OCC-returning": _OKABE_ITO["orange"],
    "OCC": _OKABE_ITO["grey"],
    "main-belt": _OKABE_ITO["bluish green"],
    "Centaur": _OKABE_ITO["sky blue"],
    "interstellar": _OKABE_ITO["black"],
}

#: Marker of each dynamical class.
CLASS_MARKERS = {
    "JFC": "o", "Halley-type": "P", "OCC-new": "^", "OCC-returning": "v", "OCC": "D",
    "main-belt": "s", "Centaur": "h", "interstellar": "X",
}

#: Fill colour of the user's highlighted measurement (drawn with a black edge).
HIGHLIGHT_COLOUR = _OKABE_ITO["yellow"]
#: Colour of trend lines and bands.
TREND_COLOUR = "#555555"

#: The rcParams applied by `use_style`.
RC_PARAMS = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "mathtext.fontset": "dejavusans",
    "font.size": 8.0,
    "axes.titlesize": 8.0,
    "axes.labelsize": 8.0,
    "xtick.labelsize": 7.0,
    "ytick.labelsize": 7.0,
    "legend.fontsize": 6.0,
    "legend.frameon": False,
    "legend.handletextpad": 0.4,
    "legend.borderaxespad": 0.4,
    "legend.columnspacing": 0.8,
    "axes.linewidth": 0.6,
    "lines.linewidth": 1.0,
    "lines.markersize": 4.0,
    "errorbar.capsize": 0.0,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "xtick.top": True,
    "ytick.right": True,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.minor.width": 0.4,
    "ytick.minor.width": 0.4,
    "xtick.major.size": 3.0,
    "ytick.major.size": 3.0,
    "xtick.minor.size": 1.5,
    "ytick.minor.size": 1.5,
    "figure.dpi": 100,
    "savefig.dpi": 300,
    "savefig.bbox": None,  # keep the exact column width; constrained layout sets margins
    "figure.constrained_layout.use": True,
    "pdf.fonttype": 42,  # TrueType in PDF: editable text, accepted by journals
    "ps.fonttype": 42,
    "svg.fonttype": "none",
    "axes.unicode_minus": True,
}


@contextlib.contextmanager
def use_style(**overrides):
    """Apply the comaspec publication style inside a ``with`` block.

    Parameters
    ----------
    **overrides
        rcParams to change on top of `RC_PARAMS` (dots written as is, e.g.
        ``use_style(**{"font.size": 9})``).

    Yields
    ------
    None
    """
    import matplotlib

    params = dict(RC_PARAMS)
    params.update(overrides)
    with matplotlib.rc_context(params):
        yield


def figure_size(width="single", aspect=0.75):
    """Return (width, height) in inches for a figure one or two journal columns wide.

    Parameters
    ----------
    width : {"single", "double"} or float
        One column (`COLUMN_WIDTH_IN`), two columns (`TWO_COLUMN_WIDTH_IN`) or inches.
    aspect : float
        Height / width.

    Returns
    -------
    tuple of float
    """
    if width == "single":
        inches = COLUMN_WIDTH_IN
    elif width == "double":
        inches = TWO_COLUMN_WIDTH_IN
    else:
        try:
            inches = float(width)
        except (TypeError, ValueError):
            raise InputError("width", f"{width!r} is not 'single', 'double' or inches") from None
        if not inches > 0:
            raise InputError("width", f"figure width must be positive, got {inches}")
    if not aspect > 0:
        raise InputError("aspect", f"must be positive, got {aspect}")
    return inches, inches * aspect


_FORMATS = {".pdf": "pdf", ".png": "png"}


def save_figure(fig, path, *, dpi=300):
    """Write a figure as vector PDF or PNG (chosen by the extension), all or nothing.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    path : str or os.PathLike
        Destination ending in ``.pdf`` or ``.png``.
    dpi : int
        Resolution of PNG output (and of any raster parts of a PDF).

    Returns
    -------
    pathlib.Path
        The written file: exactly the figure's size (no tight cropping), fonts embedded as
        TrueType in PDF.
    """
    path = Path(path)
    fmt = _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(path, "figure file must end in .pdf or .png")
    # no creation date / software stamp: the same figure gives the same file
    metadata = {"CreationDate": None} if fmt == "pdf" else {"Software": None}
    # inside the style: font embedding (pdf.fonttype) is read when the file is written
    with atomic_path(path) as tmp, use_style():
        fig.savefig(tmp, format=fmt, dpi=dpi, metadata=metadata)
        os.chmod(tmp, 0o666 & ~_umask())  # the temporary file is private (0600)
    return path


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
