"""comaspec: molecular production rates and CO2/H2O from infrared spectra of comet comae.

The public API is re-exported here. Names are imported on first use so that
``import comaspec`` (and the ``comaspec`` command) stays fast.
"""

from ._lazy import lazy_exports
from ._version import __version__
from .errors import ComaspecError, ComaspecWarning, FitError, InputError, UsageError

# public name -> module that defines it; every public submodule (comaspec.fluorescence,
# comaspec.batch, ...) is reachable as an attribute too, found in the package directory
_EXPORTS = {
    "Geometry": "geometry",
    "CircularAperture": "apertures",
    "AnnularAperture": "apertures",
    "RectangularAperture": "apertures",
    "SpaxelMask": "apertures",
    "read_spectrum": "io",
    "read_cube": "io",
    "extract_spectrum": "io",
    "average_integrations": "io",
    "production_rate": "production",
    "band_flux": "production",
    "fit_coma": "fit",
    "synthetic_spectrum": "synthetic",
    "example_path": "synthetic",
    "GaussianLSF": "instrument",
    "TabulatedLSF": "instrument",
    "make_lsf": "instrument",
    "resolving_power": "instrument",
    "map_cube": "maps",
    "ComaMaps": "maps",
}

__all__ = ["__version__", "ComaspecError", "ComaspecWarning", "InputError", "UsageError", "FitError",
           *_EXPORTS]


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
