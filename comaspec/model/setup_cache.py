"""Model set-up kept between the models of a session: what does not change from one fit to
the next of the same inputs.

Building a `comaspec.model.ForwardModel` works out, per species, the band flux per unit Q in
each aperture (a Haser integral, astropy unit conversions) and, per species and pixel grid,
which (line, pixel) pairs the LSF integration touches (`comaspec.model.line_pixels`). A fit
builds two models of the same spectra (the default windows' degrees are chosen from the
data, `comaspec.fit.continuum_choice`), and a session fits many spectra of one grid (a
batch, the spaxels of a cube, noise refits). Both are kept here:

* `feature_weights` and `aperture_key`: keyed by *every* argument, frozen to exact values
  (`frozen`: the bytes of arrays and Quantities, the fields of dataclasses such as
  `comaspec.Geometry` and the apertures); an argument that cannot be frozen exactly is not
  cached (computed as before);
* `species_pixels`: keyed by the species, its band weights, the emission model, the exact
  pixel grid (its bytes) and the LSF (by mode or resolving power for comaspec's Gaussian
  LSF, by identity otherwise, the entry holding it). Each model gets its own copy, sharing
  the structure's arrays (replaced, never modified in place, when it grows) but not the
  per-shift values, so that a model only reuses what depends on the grid, never on a
  fit's path;
* `column` / `keep_column`: template columns at given nonlinear values, kept only inside
  `comaspec.model.columns.sharing_columns` (a fit's start grid, whose values do not depend on the
  data; the degree choice's second model at the fitted state).

The cached objects are immutable (`FeatureWeights` is a frozen dataclass) or copied per
model, so sharing them cannot change a result: tests compare every cached path with the
uncached one (``tests/test_setup_cache.py``, ``tests/test_fitspeed.py``).
"""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections import OrderedDict

import numpy as np

__all__ = ["frozen", "feature_weights", "aperture_key", "species_pixels", "column", "keep_column", "sensitivities",
           "band_weights", "lsf_fwhm_at", "kept_with", "clear", "Unfrozen"]

#: Entries kept in each cache (a session rarely fits more species x apertures x grids).
_SIZE = 128
#: Pixel structures kept (species x grids; one can hold ~1e5 (line, pixel) pairs, a few MB).
_STRUCTURES_KEPT = 32
#: Template columns kept between models (a start grid: 6 T_rot x species x spectra).
_COLUMNS_KEPT = 256


class Unfrozen(TypeError):
    """A value without an exact hashable form (it is then not cached)."""


def frozen(value):
    """An exact, hashable form of ``value`` (numbers, strings, arrays, Quantities, Time,
    dicts, sequences and dataclasses of these); raises `Unfrozen` for anything else."""
    kind = type(value)
    if value is None or kind in _PLAIN:
        return (kind.__name__, value)
    if kind is tuple or kind is list:
        return (kind.__name__, tuple(frozen(v) for v in value))
    return _frozen_object(value)


#: Types whose values are their own exact keys (with the type: 1, 1.0 and True differ).
_PLAIN = frozenset((bool, int, float, str, complex))


def _frozen_object(value):
    import astropy.units as u
    from astropy.time import Time

    if isinstance(value, (bool, int, float, str, complex)):   # subclasses (numpy float64)
        return (type(value).__name__, value)
    if isinstance(value, np.generic):
        return ("np", value.dtype.str, value.tobytes())
    if isinstance(value, u.Quantity):
        return ("Q", _unit_name(value.unit), value.shape, np.ascontiguousarray(value.value).tobytes())
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise Unfrozen("object array")
        return ("A", value.dtype.str, value.shape, np.ascontiguousarray(value).tobytes())
    if isinstance(value, u.UnitBase):
        return ("U", _unit_name(value))
    if isinstance(value, Time):
        return ("T", value.scale, frozen(np.asarray(value.jd1)), frozen(np.asarray(value.jd2)))
    if isinstance(value, dict):
        return ("D", tuple(sorted(((frozen(k), frozen(v)) for k, v in value.items()), key=repr)))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(frozen(v) for v in value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__module__, type(value).__qualname__,
                tuple((f.name, frozen(getattr(value, f.name))) for f in dataclasses.fields(value)))
    raise Unfrozen(type(value).__name__)


_UNIT_NAMES = {}


def _unit_name(unit):
    """``unit.to_string()``, remembered by the unit object (units are immutable; hashing one
    is slower than this whole key)."""
    kept = _UNIT_NAMES.get(id(unit))
    if kept is None or kept[0] is not unit:
        if len(_UNIT_NAMES) > 4 * _SIZE:
            _UNIT_NAMES.clear()
        kept = _UNIT_NAMES[id(unit)] = (unit, unit.to_string())   # holds the unit: its id stays its own
    return kept[1]


class _LRU:
    """A small least-recently-used dict, safe for fits in threads (a Dask threaded scheduler)."""

    def __init__(self, size=_SIZE):
        self.size, self._items, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value):
        with self._lock:
            self._items[key] = value
            if len(self._items) > self.size:
                self._items.popitem(last=False)
            return value

    def clear(self):
        with self._lock:
            self._items.clear()


_WEIGHTS, _APERTURES, _PIXELS, _COLUMNS = _LRU(), _LRU(), _LRU(_STRUCTURES_KEPT), _LRU(_COLUMNS_KEPT)
_BY_OBJECT, _FWHM = _LRU(), _LRU()


def clear():
    """Empty every set-up cache (tests; a changed line list or table in a session)."""
    for cache in (_WEIGHTS, _APERTURES, _PIXELS, _COLUMNS, _BY_OBJECT, _FWHM):
        cache.clear()


def _cached(cache, make, key_parts):
    try:
        key = frozen(key_parts)
    except Unfrozen:
        return make()
    value = cache.get(key)
    return cache.put(key, make()) if value is None else value


def feature_weights(build, species, geometry, aperture, **kwargs):
    """``build(species, geometry, aperture, **kwargs)`` (a `FeatureWeights`), kept by the
    exact value of every argument (`frozen`)."""
    return _cached(_WEIGHTS, lambda: build(species, geometry, aperture, **kwargs),
                   (getattr(build, "__qualname__", repr(build)), species, geometry, aperture, kwargs))


def aperture_key(aperture, geometry):
    """``repr(aperture.describe(geometry))``: which apertures give the same Haser number."""
    return _cached(_APERTURES, lambda: repr(aperture.describe(geometry)), ("describe", aperture, geometry))


def sensitivities(weights):
    """``weights.sensitivities()`` of a `FeatureWeights` (four Haser integrals), kept by the
    object: a frozen dataclass, shared by the models of the same inputs (`feature_weights`)."""
    return dict(_by_object(weights, "sensitivities", weights.sensitivities))


def band_weights(weights):
    """``weights.weights()`` (A_b of every band) of a `FeatureWeights`, kept by the object."""
    return dict(_by_object(weights, "weights", weights.weights))


def kept_with(obj, what, compute):
    """``compute()``, kept with ``obj`` (an immutable object shared between models, such as a
    `FeatureWeights`) under the hashable label ``what``. The caller does not modify the result."""
    return _by_object(obj, what, compute)


def _by_object(obj, what, compute):
    kept = _BY_OBJECT.get((id(obj), what))
    if kept is None or kept[0] is not obj:
        kept = _BY_OBJECT.put((id(obj), what), (obj, compute()))   # holds the object: its id stays its own
    return kept[1]


def lsf_fwhm_at(lsf, grid_um, center_um, compute):
    """``compute(lsf, grid_um, [center_um])[0]`` (the FWHM at one wavelength, µm), kept for
    comaspec's Gaussian LSF of a mode or a constant R (whose FWHM depends on nothing else);
    computed every time for any other LSF."""
    key = _lsf_key(lsf)
    if key[0] == "object":
        return float(compute(lsf, grid_um, np.array([center_um]))[0])
    key = (key, float(center_um))
    kept = _FWHM.get(key)
    return _FWHM.put(key, float(compute(lsf, grid_um, np.array([center_um]))[0])) if kept is None else kept


def _lsf_key(lsf):
    """Exact key of comaspec's Gaussian LSF (mode or constant R); the object itself otherwise."""
    from ..physics.lsf import GaussianLSF

    if type(lsf) is GaussianLSF:
        if lsf.mode is not None:
            return ("GaussianLSF mode", lsf.mode)
        if isinstance(lsf.resolving_power, (int, float)):
            return ("GaussianLSF R", float(lsf.resolving_power))
    return ("object", id(lsf))   # valid while the entry (which holds the LSF) lives


def species_pixels(make, species, terms, wavelength_um, lsf, emission):
    """A `SpeciesPixels` of these bands on this grid: a copy of the structure last built for
    the same inputs (without its per-shift values), or ``make()``; each later (re)build of it
    is kept for the next model.

    Parameters
    ----------
    make : callable
        Builds the `SpeciesPixels` (``SpeciesPixels(species, terms, wavelength_um, lsf, emission)``).
    species, terms, wavelength_um, lsf, emission
        Its arguments (the key).

    Returns
    -------
    (SpeciesPixels, key)
        The key is None when the inputs cannot be keyed exactly (then nothing is kept).
    """
    try:
        key = (species, frozen(list(terms)), emission, frozen(np.asarray(wavelength_um, dtype=np.float64)),
               _lsf_key(lsf))
    except Unfrozen:
        return make(), None
    kept = _PIXELS.get(key)
    pixels = make() if kept is None else copy_structure(kept)
    # every (re)build of this model's structure is kept, as a copy that nothing modifies, for
    # the next model: one being built in another thread is never copied half-way
    pixels.on_build = lambda built: _PIXELS.put(key, copy_structure(built))
    return pixels, key


def column(integrate, key, T_rot, shift_um, ortho_para, *args):
    """``integrate(T_rot, shift_um, ortho_para, *args)``, kept for (and taken from) other
    models by `species_pixels`' ``key`` and the nonlinear values; ``key`` None: not kept."""
    if key is None:
        return integrate(T_rot, shift_um, ortho_para, *args)
    kept = _COLUMNS.get((key, float(T_rot), float(shift_um), float(ortho_para)))
    return keep_column(key, T_rot, shift_um, ortho_para, integrate(T_rot, shift_um, ortho_para, *args)) \
        if kept is None else kept


def keep_column(key, T_rot, shift_um, ortho_para, values):
    """Keep a column made (by `column`'s ``integrate``) for `species_pixels`' ``key`` at these
    values; ``key`` None: not kept. Returns ``values``."""
    if key is not None:
        _COLUMNS.put((key, float(T_rot), float(shift_um), float(ortho_para)), values)
    return values


def copy_structure(pixels):
    """A shallow copy of a `SpeciesPixels` with its own, empty per-shift and per-T_rot values."""
    out = copy.copy(pixels)
    out._cdf_diffs, out._line_weights, out.on_build = OrderedDict(), OrderedDict(), None
    out._last_positions = {}
    return out
