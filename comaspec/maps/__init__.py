"""Maps from IFU cubes: per-spaxel band fluxes, column densities, T_rot, CO2/H2O, radial
profiles, Q-curves and extended-source diagnostics.

`map_cube` is the entry point; it returns a `ComaMaps`. The modules:

- ``core``: `map_cube`, a driver over its stages; ``result``: `ComaMaps`;
  ``_adapter``: the one bridge to the forward model; ``_bins``: the cube's pixels gathered
  into bins and solved together (fixed or gridded T_rot and shift); ``_solve``: the batched
  weighted least squares; ``_quantities``: columns, SNR, detections, the CO2/H2O ratio;
  ``binning``: none, n × n, Voronoi;
- ``profiles``: radial profiles, Q-curves, parent vs distributed-source fits;
- ``opacity``: line-centre optical depth of the pumping lines;
- ``registry``: the map quantities (name, values, 1σ, unit, label, FITS extension) that
  `ComaMaps.images`, ``output`` and the figures iterate over;
- ``output``: multi-extension FITS and ECSV; plots are in `comaspec.plotting.maps`.
"""

from .._lazy import lazy_exports

_EXPORTS = {
    "map_cube": "core",
    "ComaMaps": "result",
    "MapQuantity": "registry",
    "batched_wls": "_solve",
    "radial_profile": "profiles",
    "q_curve": "profiles",
    "fit_extended_source": "profiles",
    "optical_depth_map": "opacity",
    "line_centre_optical_depth": "opacity",
    "write_maps": "output",
}

__all__ = list(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
