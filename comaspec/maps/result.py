"""`ComaMaps`: what `comaspec.map_cube` returns — per-bin values, their images on the cube's
spaxel grid, and the spatial analyses, output and figures built on them."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import astropy.units as u
import numpy as np

from ..errors import InputError

__all__ = ["ComaMaps", "SpaxelBins"]


@dataclass
class SpaxelBins:
    """Per-bin values on a cube's spaxel grid.

    Attributes
    ----------
    bin_id : ndarray of int, shape (ny, nx)
        Bin of every spaxel; -1 where a spaxel is not used (masked, off the data).
    n_spaxels : ndarray of int, shape (n_bins,)
        Spaxels per bin.
    bins : dict
        The per-bin values by name, each also an attribute (``maps.flux``). By species:
        ``flux``, ``flux_err`` (band flux summed over the bin's spaxels, W m^-2, and 1σ),
        ``error_inflation`` (factor on that error where the bin's χ² is improbable, as
        `comaspec.fit_coma`), ``column``, ``column_err`` (mean column, cm^-2; NaN without a
        g-factor), ``snr``, ``detected`` (snr ≥ ``detect_sigma``). Arrays: ``ratio``,
        ``ratio_err`` (CO2/H2O columns; None unless both are mapped), ``ratio_limit`` (0
        measured, 1 lower limit, 2 upper limit, -1 neither detected), ``T_rot``,
        ``T_rot_err``, ``shift_um``, ``T_rot_fitted`` (False: the aperture fit's values, see
        ``T_rot_source``), ``chi2``, ``dof``.
    """

    bin_id: np.ndarray
    n_spaxels: np.ndarray
    bins: dict

    def __getattr__(self, name):
        # the per-bin values as attributes (maps.flux); not while a copy or unpickling has no bins yet
        bins = self.__dict__.get("bins")
        if bins is None or name not in bins:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return bins[name]

    @property
    def shape(self):
        """(ny, nx) of the maps."""
        return self.bin_id.shape

    def image(self, values, per_spaxel=False):
        """Spread per-bin ``values`` on the spaxel grid (NaN where ``bin_id`` is -1).

        Parameters
        ----------
        values : ndarray, shape (n_bins,)
        per_spaxel : bool
            Divide by the bin's number of spaxels (for fluxes: flux per spaxel).

        Returns
        -------
        ndarray, shape (ny, nx)
        """
        values = np.asarray(values, dtype=float)
        if per_spaxel:
            values = values / self.n_spaxels
        out = np.full(self.shape, np.nan)
        used = self.bin_id >= 0
        out[used] = values[self.bin_id[used]]
        return out


@dataclass
class ComaMaps(SpaxelBins):
    """Maps of one IFU cube: per bin values and their images on the cube's spaxel grid.

    The map quantities, their FITS extensions and figure panels are listed once, in
    `comaspec.maps.registry.QUANTITIES`; `images` gives them all.

    Attributes
    ----------
    bin_id, n_spaxels, bins
        As `SpaxelBins`: the bins on the spaxel grid and their values (``maps.flux``...).
    species : list of str
        Mapped species (covered by the cube).
    nucleus_xy : tuple of float
        Nucleus position (0-based pixels); ``nucleus_method`` "continuum photocentre" or "given".
    sun_pa, velocity_pa : Quantity or None
        Position angles (east of north) of the Sun and of the comet's heliocentric velocity
        vector as seen by the observer; ``pa_source`` says where they came from.
    wcs : astropy.wcs.WCS or None
        The cube's celestial WCS.
    pixel_scale : Quantity
        Spaxel side (arcsec); ``pixel_area`` its solid angle (sr).
    geometry : `comaspec.Geometry`
    molecule_flux : dict
        Species → band flux per molecule, Σ g_b E_b / (4π Δ²) (W m^-2), for M = F / this.
    aperture_fit : `comaspec.results.ComaFit` or None
        The aperture fit that gave the held nonlinear parameters (None when both were given).
    detect_sigma, limit_sigma : float
        Detection threshold and significance of limits.
    velocity_km_s, lifetime_s : dict
        Species → the Haser velocity and lifetime at the comet (species with a g-factor).
    meta : dict
        Binning, thresholds, timings, notes.
    """

    species: list
    nucleus_xy: tuple
    nucleus_method: str
    sun_pa: u.Quantity | None
    velocity_pa: u.Quantity | None
    wcs: object
    pixel_scale: u.Quantity
    pixel_area: u.Quantity
    geometry: object
    molecule_flux: dict
    aperture_fit: object = None
    T_rot_source: str = ""
    pa_source: str = ""
    detect_sigma: float = 3.0
    limit_sigma: float = 3.0
    velocity_km_s: dict = field(default_factory=dict)
    lifetime_s: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    @classmethod
    def build(cls, **values):
        """Maps from keywords: the attributes by name, every other keyword a per-bin quantity.

        Parameters
        ----------
        **values
            The fields of `ComaMaps` except ``bins``, and the per-bin values (``flux=...``).

        Returns
        -------
        ComaMaps
        """
        names = {f.name for f in fields(cls)} - {"bins"}
        bins = {k: v for k, v in values.items() if k not in names}
        hidden = sorted(k for k in bins if hasattr(cls, k))
        if hidden:  # maps.<name> would give the method, not the values
            raise ValueError(f"per-bin values named like ComaMaps methods: {', '.join(hidden)}")
        return cls(bins=bins, **{k: v for k, v in values.items() if k in names})

    def images(self):
        """Every map of `comaspec.maps.registry.QUANTITIES` these maps have, in FITS order.

        Returns
        -------
        dict
            Extension name (``CO2_COLUMN``, ``TROT_ERR``...) → image as written to FITS.
        """
        from .registry import hdu_names

        return {name: q.image(self, s, error) for name, q, s, error in hdu_names(self)}

    def molecules(self, species):
        """Number of molecules in each spaxel and its 1σ (images), from the bin's band flux.

        Parameters
        ----------
        species : str

        Returns
        -------
        (ndarray, ndarray)
        """
        per = self.molecule_flux.get(species)
        if per is None:
            raise InputError(species, "has no g-factor: no molecule numbers or columns")
        return (self.image(self.flux[species], per_spaxel=True) / per,
                self.image(self.flux_err[species], per_spaxel=True) / per)

    def offsets(self):
        """Projected distance (km and arcsec) and position angle (deg east of north) of every
        spaxel centre from the nucleus.

        Returns
        -------
        dict
            ``rho_km``, ``rho_arcsec``, ``pa_deg`` images.
        """
        from .geometry import offsets_image

        return offsets_image(self.shape, self.nucleus_xy, self.wcs, self.pixel_scale, self.geometry)

    def radial_profile(self, species, **kwargs):
        """Azimuthal (or sector) radial profile of the column density.

        Parameters
        ----------
        species : str
        **kwargs
            ``edges``, ``pa_range``, ``half_width`` of `comaspec.maps.profiles.radial_profile`.

        Returns
        -------
        astropy.table.QTable
        """
        from .profiles import radial_profile

        return radial_profile(self, species, **kwargs)

    def q_curve(self, species, **kwargs):
        """Q from circular apertures and annuli against radius, terminal Q and growth factor.

        Parameters
        ----------
        species : str
        **kwargs
            ``radii``, ``plateau``, ``nucleus_radius`` of `comaspec.maps.profiles.q_curve`.

        Returns
        -------
        astropy.table.QTable
        """
        from .profiles import q_curve

        return q_curve(self, species, **kwargs)

    def fit_extended_source(self, species, **kwargs):
        """Parent vs parent + distributed source fit of the radial profile.

        Parameters
        ----------
        species : str
        **kwargs
            ``edges``, ``r_min``, ``bic_threshold``, ``detect_sigma`` of
            `comaspec.maps.profiles.fit_extended_source`.

        Returns
        -------
        `comaspec.maps.profiles.ExtendedSourceFit`
        """
        from .profiles import fit_extended_source

        return fit_extended_source(self, species, **kwargs)

    def optical_depth(self, species="CO2", **kwargs):
        """Line-centre optical depth of the strongest pumping line per spaxel.

        Parameters
        ----------
        species : str
        **kwargs
            ``threshold``, ``band`` of `comaspec.maps.opacity.optical_depth_map`.

        Returns
        -------
        dict
        """
        from .opacity import optical_depth_map

        return optical_depth_map(self, species, **kwargs)

    def to_hdulist(self):
        """Multi-extension FITS of the maps (see `comaspec.maps.output.maps_hdulist`).

        Returns
        -------
        astropy.io.fits.HDUList
        """
        from .output import maps_hdulist

        return maps_hdulist(self)

    def write(self, path, overwrite=False):
        """Write the maps as multi-extension FITS, atomically (see `comaspec.maps.output`).

        Parameters
        ----------
        path : str or os.PathLike
        overwrite : bool

        Returns
        -------
        pathlib.Path
        """
        from .output import write_maps

        return write_maps(self, path, overwrite=overwrite)

    def plot(self, path=None, **kwargs):
        """Panel of maps (see `comaspec.plotting.maps.maps_panel`).

        Parameters
        ----------
        path : str or os.PathLike, optional
            Write the figure (.pdf or .png).
        **kwargs
            ``panels``, ``snr_species``.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from ..plotting.maps import maps_panel

        return maps_panel(self, path, **kwargs)
