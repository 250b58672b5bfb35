"""The one place the map code touches the forward model (`comaspec.model.ForwardModel`).

`spaxel_design` builds the model once for the cube's wavelength grid, LSF and a reference
aperture, and returns what the batched solver needs: a function giving the design matrix
at nonlinear parameters by name (those held for every bin, such as the ortho/para ratio
and the continuum shape of the aperture fit, plus the T_rot and shift a caller gives), the
column names and each species' flux → Q factor. The
band columns are per unit band flux of the species' reported feature, so they do not
depend on the aperture: one design serves every spaxel and bin. When the model gains
``ForwardModel.with_data(y, σ)`` this function is what changes, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["SpaxelDesign", "spaxel_design"]


@dataclass
class SpaxelDesign:
    """The forward model set up for one cube.

    Attributes
    ----------
    design : callable
        ``design(values: dict) -> ndarray (n_pixels, k)``: the design on the model's fitted
        pixels (``pixels``) at the nonlinear parameters ``values`` by name (e.g. ``T_rot``,
        ``shift_0``; `comaspec.model.parameters`) over the held ones, columns in the order
        of ``names``.
    names : list of str
        Linear parameters: ``F_<species>`` band fluxes (W m^-2), then continuum terms.
    species : list of str
        Species with a band column (covered by the data).
    pixels : ndarray of bool
        Wavelength pixels of the cube that enter the fit (inside the continuum windows).
    phi : dict
        Species → band flux for Q = 1/s in the reference aperture (W m^-2 s), or None.
    feature : dict
        Species → the feature whose band flux is fitted.
    model : object
        The underlying `comaspec.model.ForwardModel` (for notes and coverage only).
    """

    design: Callable
    names: list
    species: list
    pixels: np.ndarray
    phi: dict
    feature: dict
    model: object


def spaxel_design(wavelength_um, flux, error, good, lsf, species, geometry, aperture, *, windows=None,
                  continuum="polynomial", assumptions=None, label="cube", held=None) -> SpaxelDesign:
    """Build the forward model once for a cube and return its design function.

    Parameters
    ----------
    wavelength_um : ndarray
        The cube's wavelength grid (µm).
    flux, error : ndarray
        A reference spectrum on that grid (W m^-2 µm^-1), e.g. the aperture spectrum; it
        only decides which pixels are usable.
    good : ndarray of bool
        Usable pixels of the reference spectrum.
    lsf : object
        Line-spread function.
    species : sequence of str
    geometry : `comaspec.Geometry`
    aperture : comaspec aperture
        Reference aperture for ``phi`` (band flux per unit Q).
    windows, continuum, assumptions, label
        As in `comaspec.fit_coma` (``assumptions``: velocity, lifetimes, g-factors, emission
        model; the ortho/para ratio of the bins is in ``held``).
    held : dict, optional
        Nonlinear parameters by name held for every bin (e.g. the aperture fit's
        ``ortho_para`` and the physical continuum's ``cont_slope``, ``cont_dust_T``); the
        others the design is not given take their declared values.

    Returns
    -------
    SpaxelDesign
    """
    from ..model import ForwardModel, ObservedSpectrum

    spectrum = ObservedSpectrum(wavelength_um, flux, error, good, lsf, label=label)
    model = ForwardModel([spectrum], list(species), geometry, [aperture], windows=windows, continuum=continuum,
                         assumptions=assumptions)
    pixels = model.used[0].copy()
    # the bins hold the continuum shape and ortho/para; T_rot and shift are given per design
    declared = {h.name for h in model.parameters() if h.role in ("continuum", "ortho_para")}
    held = {name: value for name, value in (held or {}).items() if name in declared}

    def design(values):
        return model.design({**held, **values}, pixels="used")

    return SpaxelDesign(design, model.linear_names(), list(model.fitted_species), pixels,
                        {s: model.species[s].phi for s in model.fitted_species},
                        {s: model.species[s].feature for s in model.fitted_species}, model)
