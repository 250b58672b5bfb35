"""The ground floor: molecular data, emission physics, the instrument and the Haser kernels.

Nothing here imports the fit, the results or anything above them.

* ``molecules``: band centres, g-factors, lifetimes, velocity laws from ``linelists/*.ecsv``;
* ``fluorescence``: solar-pumped fluorescence equilibrium, line and band g-factors;
* ``templates``: unit-area band templates at a rotational temperature;
* ``instrument``: resolving power per mode, line-spread functions, pixel integration;
* ``haser``: unitless Haser kernels (columns, molecules in apertures);
* ``assumptions``: the physics assumptions (velocity, lifetimes, g-factors, emission model,
  H2O ortho/para) as one object, and what a species' lifetime and velocity resolve to;
* ``feature_weights`` and ``production``: the flux <-> production-rate conversion.
"""

from .._lazy import lazy_exports

# every module above is an attribute of the package (comaspec.physics.haser), imported on first use
__getattr__, __dir__ = lazy_exports(__name__, globals(), {})
