"""The one place the map code touches the forward model (`comaspec.model.ForwardModel`).

`spaxel_design` builds the model once for the cube's wavelength grid, LSF and a reference
aperture, and returns what the batched solver needs: a function giving the design matrix
at fixed nonlinear parameters, the column names and each species' flux → Q factor. The
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
        ``design(T_rot: dict, shift_um: float) -> ndarray (n_pixels, k)`` on the model's
        fitted pixels (``pixels``), columns in the order of ``names``.
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
                  continuum="polynomial", assumptions=None, label="cube", continuum_shape=None) -> SpaxelDesign:
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
        As in `comaspec.fit_coma`; ``assumptions.ortho_para`` is held in every design (a
        number: the aperture fit's when it was fitted).
    continuum_shape : dict, optional
        ``{"slope": ..., "dust_T": ...}`` of the physical continuum, held for every bin (the
        aperture fit's); default slope 0 and the equilibrium dust temperature.

    Returns
    -------
    SpaxelDesign
    """
    from ..model import ForwardModel, ObservedSpectrum
    from ..physics.assumptions import Assumptions

    assumptions = Assumptions() if assumptions is None else assumptions
    ortho_para = assumptions.ortho_para
    spectrum = ObservedSpectrum(wavelength_um, flux, error, good, lsf, label=label)
    model = ForwardModel([spectrum], list(species), geometry, [aperture], windows=windows, continuum=continuum,
                         assumptions=assumptions)
    pixels = model.used[0].copy()

    held = {"slope": 0.0, "dust_T": None, **(continuum_shape or {})}

    def design(T_rot, shift_um, slope=held["slope"], dust_T=held["dust_T"]):
        return model.design(T_rot, [float(shift_um)], slope, dust_T, pixels="used", ortho_para=ortho_para)

    return SpaxelDesign(design, model.linear_names(), list(model.fitted_species), pixels,
                        {s: model.species[s].phi for s in model.fitted_species},
                        {s: model.species[s].feature for s in model.fitted_species}, model)
