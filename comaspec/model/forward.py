"""The forward model of one or several spectra of one coma, built once.

``ForwardModel`` puts together the parts of this package: the fitted pixels and band
coverage (`coverage`), one component per species (`species`: templates tied by the flux ↔ Q
object), and a continuum object (`continuum`). It is linear in the band fluxes and the
continuum amplitudes at fixed T_rot, wavelength shift, continuum shape, band-origin offset
and H2O ortho/para ratio: the nonlinear parameters, which the parts declare by name
(`ForwardModel.parameters`, `comaspec.model.parameters`). `ForwardModel.design` returns the
linear system at a name → value mapping of them.

Everything but the data is fixed at construction: `ForwardModel.with_data` gives the same
model for new data on the same pixels (e.g. the spaxels of a cube), sharing the set-up and
the cache of template columns.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from ..errors import FitError, InputError
from .columns import continuum_block, continuum_design, fitted_rows, species_columns
from .continuum import default_windows, make_continuum
from .coverage import Coverage
from .parameters import ParameterHint, nonlinear_state, shift_hint
from .species import DEFAULT_ORTHO_PARA, build_component

__all__ = ["ObservedSpectrum", "ForwardModel"]

@dataclass
class ObservedSpectrum:
    """One spectrum as the model sees it: float64 arrays in fixed units.

    Parameters
    ----------
    wavelength_um : ndarray
        Pixel centres, µm, strictly increasing.
    flux, error : ndarray
        Flux density and 1σ uncertainty, W m^-2 µm^-1.
    good : ndarray of bool
        Pixels that may be used (finite, error > 0, not flagged).
    lsf : object
        Line-spread function with ``integrate_lines`` and ``fwhm_um``.
    label : str
        Name for outputs (e.g. the file name).
    mode : str or None
        Instrument mode.
    meta : dict
        Anything else (instrument, target, source file).
    """

    wavelength_um: np.ndarray
    flux: np.ndarray
    error: np.ndarray
    good: np.ndarray
    lsf: object
    label: str = "spectrum"
    mode: str | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.wavelength_um = np.asarray(self.wavelength_um, dtype=np.float64)
        self.flux = np.asarray(self.flux, dtype=np.float64)
        self.error = np.asarray(self.error, dtype=np.float64)
        n = self.wavelength_um.size
        if self.wavelength_um.ndim != 1 or n < 2:
            raise InputError(self.label, "needs a 1-D spectrum of at least 2 pixels")
        if self.flux.shape != (n,) or self.error.shape != (n,):
            raise InputError(self.label, "wavelength, flux and error must have the same length")
        if np.any(np.diff(self.wavelength_um) <= 0):
            raise InputError(self.label, "wavelengths must increase strictly")
        good = np.asarray(self.good, dtype=bool) & np.isfinite(self.flux) & np.isfinite(self.error)
        self.good = good & (np.where(np.isfinite(self.error), self.error, 0.0) > 0)

    def parameters(self, i, fwhm_um):
        """The nonlinear parameters of this spectrum as spectrum ``i`` of a model: its
        ``shift_<i>``, within ± half its resolution element ``fwhm_um`` (µm)."""
        return [shift_hint(i, fwhm_um)]


class ForwardModel:
    """The forward model of one or several spectra of one coma, set up for fitting.

    Parameters are the band fluxes of each covered species (shared by all spectra), the
    continuum (per spectrum), and the nonlinear ones its parts declare by name
    (`parameters`: T_rot per species, a wavelength shift per spectrum, ...). The model is
    linear in band fluxes and continuum amplitudes at fixed nonlinear parameters: `design`
    returns that linear system.

    Parameters
    ----------
    spectra : list of ObservedSpectrum
    species : sequence of str
    geometry : `comaspec.Geometry` or None
        None: band fluxes only (no production rates).
    apertures : list
        One aperture per spectrum (ignored without geometry).
    windows : sequence of Window, optional
        Continuum windows (default `default_windows` of ``species``); only pixels inside them are fitted.
    continuum : {"polynomial", "physical"} or continuum object
        Continuum model: a name in `comaspec.model.CONTINUA` or an object with the protocol
        of `comaspec.model.continuum`.
    assumptions : `comaspec.Assumptions`, optional
        Velocity, lifetimes and g-factors (passed to `comaspec.production.FeatureWeights`)
        and the emission model of the band templates (a name, or a
        `comaspec.physics.templates.Emission` with the sunlight that pumps it; a name: E490);
        default ``Assumptions()``. Its ``ortho_para`` is not used here: `design` takes the
        ratio by name.

    Attributes
    ----------
    spectra : list of ObservedSpectrum
    assumptions : `comaspec.Assumptions`
    species : dict
        Species name → `comaspec.model.SpeciesComponent` (covered or not).
    fitted_species : list of str
        The covered species, in design-matrix column order.
    continuum : continuum object
    coverage : `comaspec.model.Coverage`
    used : list of ndarray of bool
        Fitted pixels of each spectrum.
    cont_sizes : list of int
        Continuum columns per spectrum.
    n_linear, n_points : int
        Linear parameters, fitted pixels.
    """

    def __init__(self, spectra, species, geometry, apertures, *, windows=None, continuum="polynomial",
                 assumptions=None):
        from ..physics import molecules
        from ..physics.assumptions import Assumptions
        from ..physics.templates import _check_emission

        self.assumptions = Assumptions() if assumptions is None else assumptions
        self.spectra = list(spectra)
        self.geometry = geometry
        self.apertures = list(apertures)
        self.windows = tuple(default_windows(species) if windows is None else windows)
        self.continuum = make_continuum(continuum, self.windows)
        self.emission = _check_emission(self.assumptions.emission)   # an Emission (a name: E490 sunlight)
        self.notes = []
        for s in species:
            if s not in molecules.SPECIES:
                raise InputError(f"species {s!r}", f"unknown; known species: {', '.join(molecules.SPECIES)}")
        self.coverage = Coverage(self.spectra, self.windows)
        self.species = {s: build_component(s, self.coverage, geometry, self.apertures, self.assumptions)
                        for s in species}
        self.fitted_species = [s for s, v in self.species.items() if v.covered]
        if not self.fitted_species:
            raise FitError("none of the requested bands (" + ", ".join(species) + ") lies in the usable "
                           "part of the spectrum")
        self.cont_sizes = self.continuum.sizes(self.coverage)
        self.n_points = self.coverage.n_points
        self.n_linear = len(self.fitted_species) + sum(self.cont_sizes)
        self._columns = OrderedDict()
        self._continuum_columns = OrderedDict()
        self._band_pixels, self._shift_pads, self._edges = {}, {}, {}
        #: Template columns from the cached pixel-integration structure (`line_pixels`);
        #: False: every column integrated directly (the reference path, kept for tests).
        self.cache_line_pixels = True
        self._data = None
        self._shape_hints = None
        self._rows = None

    # -------------------------------------------------------------- layout
    @property
    def used(self):
        """Fitted pixels of each spectrum (list of bool arrays)."""
        return self.coverage.used

    @property
    def win_pix(self):
        """Per spectrum, the used windows and their pixel indices."""
        return self.coverage.win_pix

    def linear_names(self):
        """Names of the linear parameters, in design-matrix column order."""
        names = [f"F_{s}" for s in self.fitted_species]
        for i in range(len(self.spectra)):
            names += self.continuum.names(self.coverage, i)
        return names

    @property
    def origin_bounds(self):
        """Fitted species whose band origin is uncertain: name -> bound of its offset, cm^-1."""
        return {s: self.species[s].origin_bound_cm for s in self.fitted_species
                if self.species[s].origin_bound_cm > 0}

    def median_fwhm_um(self, i):
        """Median LSF FWHM over the fitted pixels of spectrum i, µm."""
        return self.coverage.median_fwhm_um(i)

    # -------------------------------------------------------------- evaluation
    def species_column(self, name, i, wavelength_um, T_rot, shift_um, origin_cm=0.0,
                       ortho_para=DEFAULT_ORTHO_PARA):
        """Spectrum of ``name`` per unit band flux (µm^-1) on ``wavelength_um`` of spectrum i.

        Parameters
        ----------
        name : str
        i : int
            Spectrum index.
        wavelength_um : ndarray
        T_rot : float
        shift_um : float
        origin_cm : float
            Offset of the band origin (cm^-1) applied to the bands of the species whose
            origin is uncertain (`origin_bounds`); 0 for the tabulated origin.
        ortho_para : float
            H2O ortho/para ratio.

        Returns
        -------
        ndarray
        """
        return self.species[name].column(i, wavelength_um, self.spectra[i].lsf, T_rot, shift_um, origin_cm,
                                         ortho_para, self.emission)

    # -------------------------------------------------------------- parameters
    def parameters(self):
        """The nonlinear parameters by name, as the parts of the model declare them.

        Returns
        -------
        list of `comaspec.model.ParameterHint`
            Each fitted species' (``T_rot_<species>``, and ``origin_<species>`` and
            ``ortho_para`` where it has them), each spectrum's ``shift_<i>``, then the
            continuum's shape parameters; start values and bounds as declared.
        """
        hints = {h.name: h for s in self.fitted_species for h in self.species[s].parameters()}
        hints.update((h.name, h) for i, sp in enumerate(self.spectra)
                     for h in sp.parameters(i, self.median_fwhm_um(i)))
        return list(hints.values()) + list(self.continuum_parameters())

    def continuum_parameters(self):
        """The continuum's nonlinear shape parameters (`comaspec.model.continuum` protocol)."""
        if self._shape_hints is None:   # any object with name, value, min, max (a user's continuum)
            self._shape_hints = tuple(ParameterHint(p.name, p.value, p.min, p.max, role="continuum")
                                      for p in self.continuum.parameters(self.geometry))
        return self._shape_hints

    def state(self, values):
        """The `comaspec.model.NonlinearState` of a name → value mapping (see `design`)."""
        return nonlinear_state(self, values)

    def design(self, values, pixels="used"):
        """The linear system at fixed nonlinear parameters.

        Parameters
        ----------
        values : mapping, lmfit.Parameters or NonlinearState
            The nonlinear parameters by name (`parameters`): each fitted species takes
            ``T_rot_<species>``, else the shared ``T_rot``; absent shifts, band-origin
            offsets, ortho/para and continuum shape take their declared values. Other names
            (e.g. the linear ones of a fit's ``params``) are ignored.
        pixels : {"used", "all"}
            Fitted pixels only (concatenated) or every pixel (list per spectrum).

        Returns
        -------
        ndarray or list of ndarray
            Columns in the order of `linear_names`: W m^-2 µm^-1 per unit parameter
            (band fluxes in W m^-2, continuum amplitudes in W m^-2 µm^-1).
        """
        if pixels not in ("used", "all"):
            raise InputError("pixels", f"must be 'used' or 'all' (got {pixels!r})")
        state = self.state(values)
        if pixels == "used":
            # the continuum's columns (and zeros) of every fitted pixel in one array, copied
            # (they do not change in a fit of a polynomial continuum); the templates go in
            out = continuum_design(self, state.shape).copy()
            for i, (rows, first) in enumerate(fitted_rows(self)):
                species_columns(self, out[first:first + rows.size], i, rows, state)
            return out
        blocks = []
        offsets = np.cumsum([len(self.fitted_species)] + self.cont_sizes)
        for i, sp in enumerate(self.spectra):
            block = np.zeros((sp.wavelength_um.size, self.n_linear))
            if block.size:
                species_columns(self, block, i, slice(None), state)
                block[:, offsets[i]:offsets[i + 1]] = continuum_block(self, i, slice(None), sp.wavelength_um,
                                                                      state.shape)
            blocks.append(block)
        return blocks

    # -------------------------------------------------------------- data
    def data(self):
        """(flux, error) of the fitted pixels, concatenated over spectra."""
        if self._data is not None:
            return self._data
        y = np.concatenate([sp.flux[u] for sp, u in zip(self.spectra, self.used)])
        e = np.concatenate([sp.error[u] for sp, u in zip(self.spectra, self.used)])
        return y, e

    def with_data(self, y, sigma):
        """The same model for new data on the same pixels.

        Everything but the data is shared with this model: pixel selection, species
        components, flux ↔ Q weights, continuum and the cache of template columns. Use it
        for the spaxels of a cube or for noise realisations.

        Parameters
        ----------
        y, sigma : ndarray
            Flux and 1σ error (W m^-2 µm^-1), either on the fitted pixels (shape
            ``(n_points,)``, in the order of `data`) or on the whole pixel grid (one spectrum:
            shape ``(n_pixels,)``; several: a list of one array per spectrum).

        Returns
        -------
        ForwardModel
            A copy whose `data` are ``(y, sigma)`` on the fitted pixels and whose spectra
            hold the new data (NaN on pixels the new data do not give).

        Raises
        ------
        InputError
            Wrong shapes, or a fitted pixel whose new value is not finite or whose error is
            not positive (the pixel layout would change: build a new model instead).
        """
        return _with_new_data(self, y, sigma)


def _with_new_data(model, y, sigma):
    """`ForwardModel.with_data`: a shallow copy of ``model`` holding the new data."""
    ys, es = _per_spectrum(model, y, "y"), _per_spectrum(model, sigma, "sigma")
    spectra = []
    for sp, used, yi, ei in zip(model.spectra, model.used, ys, es):
        if not (np.all(np.isfinite(yi[used])) and np.all(np.isfinite(ei[used])) and np.all(ei[used] > 0)):
            raise InputError("with_data", f"{sp.label}: the new data are not finite (or the errors not "
                                          "positive) on every fitted pixel; build a new ForwardModel")
        new = copy.copy(sp)
        new.flux, new.error = yi, ei
        spectra.append(new)
    out = copy.copy(model)
    out.spectra = spectra
    out._data = (np.concatenate([yi[u] for yi, u in zip(ys, model.used)]),
                 np.concatenate([ei[u] for ei, u in zip(es, model.used)]))
    return out


def _per_spectrum(model, values, name):
    """Per-spectrum full-grid arrays of ``model`` from fitted-pixel or full-grid input."""
    if isinstance(values, (list, tuple)):
        arrays = [np.asarray(v, dtype=np.float64) for v in values]
        if len(arrays) != len(model.spectra) or any(a.shape != sp.wavelength_um.shape
                                                   for a, sp in zip(arrays, model.spectra)):
            raise InputError(name, "needs one array per spectrum, each on that spectrum's pixel grid")
        return arrays
    values = np.asarray(values, dtype=np.float64)
    if values.shape == (model.n_points,):
        arrays, k = [], 0
        for sp, used in zip(model.spectra, model.used):
            full = np.full(sp.wavelength_um.shape, np.nan)
            n = int(used.sum())
            full[used] = values[k:k + n]
            k += n
            arrays.append(full)
        return arrays
    if len(model.spectra) == 1 and values.shape == model.spectra[0].wavelength_um.shape:
        return [values]
    raise InputError(name, f"has shape {values.shape}; expected ({model.n_points},) fitted pixels"
                           + (f" or ({model.spectra[0].wavelength_um.size},) pixels" if len(model.spectra) == 1
                              else " or one array per spectrum"))
