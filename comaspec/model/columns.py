"""The cached columns of `comaspec.model.ForwardModel`'s design matrix.

A species' template column on a spectrum's whole pixel grid is kept by its exact arguments
(T_rot, shift, band-origin offset, ortho/para), and computed from each band's cached pixel
structure (`comaspec.model.line_pixels`) where it applies; the continuum's columns are kept
by pixel set and shape values. The caches live on the model (shared by ``with_data``
copies), so results do not depend on them.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict

import numpy as np

from . import setup_cache
from ..errors import InputError
from ..physics.lsf import pixel_edges
from .line_pixels import SpeciesPixels, supports

__all__ = ["grid_column", "continuum_block", "continuum_design", "species_columns", "fitted_rows",
           "sharing_columns", "COLUMN_CACHE_SIZE"]

#: Template columns kept per model (each one spectrum's pixel grid): enough for every
#: species and spectrum at the few nonlinear states a Levenberg-Marquardt step visits.
COLUMN_CACHE_SIZE = 256


def grid_column(model, name, i, T_rot, shift_um, origin_cm, ortho_para):
    """species_column on spectrum i's whole pixel grid, cached by its exact arguments."""
    key = (name, i, float(T_rot), float(shift_um), float(origin_cm), float(ortho_para))
    column = model._columns.get(key)
    if column is None:
        column = _cached_integration(model, name, i, T_rot, shift_um, origin_cm, ortho_para)
        if column is None:
            column = model.species_column(name, i, model.spectra[i].wavelength_um, T_rot, shift_um, origin_cm,
                                          ortho_para)
        column.flags.writeable = False
        model._columns[key] = column
        if len(model._columns) > COLUMN_CACHE_SIZE:
            model._columns.popitem(last=False)
    else:
        model._columns.move_to_end(key)
        if getattr(model, "_sharing_columns", False) and (name, i) in model._band_pixels:
            # computed earlier by this model: kept for the others too
            setup_cache.keep_column(model._band_pixels[(name, i)][1], T_rot, shift_um, ortho_para, column)
    return column


@contextlib.contextmanager
def sharing_columns(model):
    """Within this context, ``model``'s template columns are also kept for, and taken from,
    the later models of the same grid and species (`comaspec.model.setup_cache`).

    For evaluations at nonlinear values that do not depend on the data, such as a fit's start
    grid: every fit of a grid then integrates them once.
    """
    model._sharing_columns = True
    try:
        yield model
    finally:
        model._sharing_columns = False


def _cached_integration(model, name, i, T_rot, shift_um, origin_cm, ortho_para):
    """`species_column` on the whole grid from each band's `BandPixels`; None where not applicable.

    Not applicable: caching switched off, an LSF without a kernel description, or a
    band-origin offset (those bands move relative to the others).
    """
    comp, sp = model.species[name], model.spectra[i]
    if not model.cache_line_pixels or (origin_cm and comp.origin_bands) or not supports(sp.lsf):
        return None
    if i not in model._shift_pads:   # the default shift bound: later shifts reuse the structure
        model._shift_pads[i] = 0.5 * model.median_fwhm_um(i)
    pad = model._shift_pads[i]
    edges = model._edges.get((i, shift_um))
    if edges is None:
        if len(model._edges) > COLUMN_CACHE_SIZE:
            model._edges.clear()
        edges = model._edges[(i, shift_um)] = pixel_edges(sp.wavelength_um - shift_um)
    if (name, i) not in model._band_pixels:   # the structure of an earlier model of this grid, or a new one
        grid = np.array(sp.wavelength_um)        # its own copy: a kept structure outlives this model
        model._band_pixels[(name, i)] = setup_cache.species_pixels(
            lambda: SpeciesPixels(name, comp.terms[i], grid, sp.lsf, model.emission),
            name, comp.terms[i], grid, sp.lsf, model.emission)
    pixels, setup_key = model._band_pixels[(name, i)]
    try:
        return setup_cache.column(pixels.column, setup_key if getattr(model, "_sharing_columns", False) else None,
                                  T_rot, shift_um, ortho_para, edges, pad)
    except InputError:
        return None   # the direct integration decides (and says) what is wrong


def continuum_block(model, i, rows, wavelength_um, shape):
    """The continuum's columns of spectrum i, cached by pixel set and shape values."""
    key = (i, rows is model.used[i], tuple(sorted(shape.items())))
    block = model._continuum_columns.get(key)
    if block is None:
        block = model.continuum.columns(model.coverage, i, wavelength_um, shape)
        block.flags.writeable = False
        model._continuum_columns[key] = block
        if len(model._continuum_columns) > COLUMN_CACHE_SIZE:
            model._continuum_columns.popitem(last=False)
    return block


#: Continuum designs kept per model (one per continuum shape; a polynomial continuum has one).
_DESIGNS_KEPT = 8


def continuum_design(model, shape):
    """The design of the fitted pixels with only the continuum's columns filled (the species'
    columns 0), kept by shape values (read-only: `ForwardModel.design` copies it)."""
    key = tuple(sorted(shape.items()))
    kept = model.__dict__.setdefault("_continuum_designs", OrderedDict())
    out = kept.get(key)
    if out is None:
        out = np.zeros((model.n_points, model.n_linear))
        offsets = np.cumsum([len(model.fitted_species)] + model.cont_sizes)
        for i, (rows, first) in enumerate(fitted_rows(model)):
            if rows.size:
                mask = model.used[i]
                block = continuum_block(model, i, mask, model.spectra[i].wavelength_um[mask], shape)
                out[first:first + rows.size, offsets[i]:offsets[i + 1]] = block
        out.flags.writeable = False
        kept[key] = out
        if len(kept) > _DESIGNS_KEPT:
            kept.popitem(last=False)
    return out


def species_columns(model, block, i, rows, state):
    """Write the template columns of spectrum i's pixels ``rows`` at ``state`` into ``block``."""
    if not len(block):
        return
    for j, name in enumerate(model.fitted_species):
        if model.species[name].terms[i]:
            # on the spectrum's whole pixel grid: a pixel's edges are those of the
            # detector, not midpoints to the next *fitted* pixel across a gap
            column = grid_column(model, name, i, state.T_rot[name], state.shifts[i],
                                 state.origins.get(name, 0.0), state.ortho_para)
            block[:, j] = column[rows]


def fitted_rows(model):
    """Per spectrum, (indices of its fitted pixels, its first row in the design), kept on the model."""
    if getattr(model, "_rows", None) is None:
        starts = np.cumsum([0] + [int(u.sum()) for u in model.used])
        model._rows = [(np.flatnonzero(u), int(first)) for u, first in zip(model.used, starts)]
    return model._rows
