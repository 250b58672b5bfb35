"""comaspec: molecular production rates and CO2/H2O from infrared spectra of comet comae.

The public API is re-exported here. Names are imported on first use so that
``import comaspec`` (and the ``comaspec`` command) stays fast.
"""

from ._lazy import lazy_exports, public_submodules
from ._moved import MOVED
from ._moved import install as _install_moved_paths
from ._version import __version__
from .errors import ComaspecError, ComaspecWarning, FitError, InputError, OutputError, UsageError

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
    "production_rate": "physics.production",
    "band_flux": "physics.production",
    "Assumptions": "physics.assumptions",
    "fit_coma": "fit.core",
    "synthetic_spectrum": "synthetic",
    "example_path": "_paths",
    "GaussianLSF": "physics.instrument",
    "TabulatedLSF": "physics.instrument",
    "make_lsf": "physics.instrument",
    "resolving_power": "physics.instrument",
    "map_cube": "maps",
    "ComaMaps": "maps",
}

__all__ = ["__version__", "ComaspecError", "ComaspecWarning", "InputError", "OutputError", "UsageError", "FitError",
           *_EXPORTS]


_install_moved_paths()
# every public module and subpackage in the directory (comaspec.batch, comaspec.pipeline, ...)
# and the old paths of the modules that moved into comaspec.physics (comaspec.fluorescence)
_SUBMODULES = public_submodules(__name__) | {old.split(".", 1)[1] for old in MOVED}
__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS, _SUBMODULES)
