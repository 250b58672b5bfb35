"""Instrument resolution: resolving power R(λ) of JWST modes, line-spread functions (LSF)
and the exact integration of LSF-broadened emission lines over detector pixels.

The public face of two modules: `comaspec.physics.resolution` (R(λ) per mode from
``linelists/resolving_power.ecsv``, the mode named in metadata) and `comaspec.physics.lsf`
(pixel edges, `GaussianLSF`, `TabulatedLSF`, `make_lsf`).
"""

from .lsf import GaussianLSF, TabulatedLSF, make_lsf, pixel_edges
from .resolution import RANGE_MARGIN_UM, mode_from_meta, mode_range, mode_reference, resolving_power

__all__ = ["MODES", "RANGE_MARGIN_UM", "resolving_power", "mode_range", "mode_reference", "mode_from_meta",
           "pixel_edges", "GaussianLSF", "TabulatedLSF", "make_lsf"]


def __getattr__(name):
    # MODES is read from the resolving-power table on first access (PEP 562)
    if name == "MODES":
        from .resolution import _modes

        return _modes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
