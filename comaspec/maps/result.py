"""`ComaMaps`: what `comaspec.map_cube` returns — per-bin values, their images on the cube's
spaxel grid, and the spatial analyses, output and figures built on them."""

from __future__ import annotations

from dataclasses import dataclass, field

import astropy.units as u
import numpy as np

from ..errors import InputError

__all__ = ["ComaMaps"]


@dataclass
class ComaMaps:
    """Maps of one IFU cube: per bin values and their images on the cube's spaxel grid.

    Attributes
    ----------
    species : list of str
        Mapped species (covered by the cube).
    bin_id : ndarray of int, shape (ny, nx)
        Bin of every spaxel; -1 where a spaxel is not used (masked, off the data).
    n_spaxels : ndarray of int, shape (n_bins,)
        Spaxels per bin.
    flux, flux_err : dict
        Species → band flux of each bin (W m^-2, summed over the bin's spaxels) and 1σ.
    column, column_err : dict
        Species → mean column density in the bin (cm^-2), NaN without a g-factor.
    snr : dict
        Species → flux / flux_err per bin.
    detected : dict
        Species → bool per bin (snr ≥ ``detect_sigma``).
    ratio, ratio_err : ndarray or None
        CO2/H2O column ratio per bin (None unless both are mapped).
    ratio_limit : ndarray of int or None
        0 measured, 1 lower limit (H2O not detected), 2 upper limit (CO2 not detected),
        -1 neither detected (ratio NaN).
    T_rot, T_rot_err, shift_um : ndarray
        Per bin; ``T_rot_fitted`` is True where they were fitted in that bin, False where they
        are the aperture fit's values (``T_rot_source`` says which values those are).
    chi2, dof : ndarray
        Per bin, of the final linear solve.
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
    error_inflation : dict
        Species → factor applied to each bin's band-flux error where its χ² is improbable
        (1 elsewhere; as `comaspec.fit_coma`).
    meta : dict
        Binning, thresholds, timings, notes.
    """

    species: list
    bin_id: np.ndarray
    n_spaxels: np.ndarray
    flux: dict
    flux_err: dict
    column: dict
    column_err: dict
    snr: dict
    detected: dict
    ratio: np.ndarray | None
    ratio_err: np.ndarray | None
    ratio_limit: np.ndarray | None
    T_rot: np.ndarray
    T_rot_err: np.ndarray
    T_rot_fitted: np.ndarray
    shift_um: np.ndarray
    chi2: np.ndarray
    dof: np.ndarray
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
    error_inflation: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ images
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

    # ------------------------------------------------------------------ analysis
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

    # ------------------------------------------------------------------ output
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
