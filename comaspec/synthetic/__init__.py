"""Synthetic coma spectra with known inputs, through the same forward model as the fitter.

`synthetic_spectrum` computes continuum + Σ_X Q_X A_X S_X(λ) with :mod:`comaspec.model`,
adds Gaussian noise of a given σ, and returns a `specutils.Spectrum` (Jy); with ``path=``
it also writes a JWST-format x1d file (``EXTRACT1D`` table with WAVELENGTH [um], FLUX and
FLUX_ERROR [Jy], DQ, SURF_BRIGHT and SB_ERROR [MJy/sr], NPIXELS; primary header with
INSTRUME, GRATING, FILTER, EXP_TYPE, TARGNAME, MJD-AVG, and ``HIERARCH COMASPEC ...``
keywords holding the geometry, the aperture and the true parameters).

The model works in W m^-2 µm^-1; the conversion to Jy happens at the file boundary.
The wavelength grid of a mode (`wavelength_grid`) samples its resolution element with two
pixels; it is not the exact detector grid of a JWST product.

`example_path` returns the bundled example: a synthetic NIRSpec PRISM spectrum of a
3I/ATLAS-like coma (see ``comaspec/data/example/README.md`` for the parameters and their
sources).
"""

from .._paths import EXAMPLE_FILE, example_path
from ..io.header import aperture_from_header, geometry_from_header
from .cubes import synthetic_cube
from .spectra import (NOMINAL_RANGE_UM, PIXELS_PER_FWHM, continuum_spectrum, synthetic_spectrum, truth_from_header,
                      wavelength_grid, write_x1d)

__all__ = [
    "wavelength_grid",
    "continuum_spectrum",
    "synthetic_spectrum",
    "synthetic_cube",
    "write_x1d",
    "example_path",
    "geometry_from_header",
    "aperture_from_header",
    "truth_from_header",
    "EXAMPLE_FILE",
    "NOMINAL_RANGE_UM",
    "PIXELS_PER_FWHM",
]
