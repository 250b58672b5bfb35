"""The map quantities: one `MapQuantity` per quantity, in `QUANTITIES`.

`ComaMaps.images` (`comaspec.maps.result`), the FITS writer (`comaspec.maps.output`) and the
map figures (`comaspec.plotting.maps`) iterate over this registry: a new map quantity is its
computation (per-bin values in ``ComaMaps.bins``, from `comaspec.maps._quantities` or
`comaspec.map_cube`) and one entry here. Its FITS extension, its ``BUNIT``, its place in the
file and its panel in the figures follow.

The order of `QUANTITIES` is the order of the FITS extensions: the quantities of one species
for each mapped species in turn, then the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import InputError

__all__ = ["MapQuantity", "QUANTITIES", "hdu_names", "find"]


@dataclass(frozen=True)
class MapQuantity:
    """One map quantity: where its values are, how it is written and drawn.

    Attributes
    ----------
    hdu : str
        FITS extension name; ``{species}`` stands for each mapped species. Its 1σ, when it
        has one, is the extension ``hdu + "_ERR"``.
    key : str
        The attribute of `comaspec.maps.ComaMaps` holding its per-bin values (one of
        ``ComaMaps.bins``, a dict by species when ``per_species``).
    unit : str
        FITS ``BUNIT`` ("" for numbers without a unit and for flags).
    label : str
        Colour-bar label (matplotlib mathtext; ``{species}`` as in ``hdu``), without the unit.
    error : str or None
        Key of its 1σ.
    per_species : bool
        One map per mapped species.
    per_spaxel : bool
        A bin's value shared over its spaxels (band fluxes: the flux of one spaxel).
    fill : int or None
        An integer map (a flag): the value written where a spaxel has no data.
    dtype : str
        Data type of the image written ("float64", "int16" for flags, "int32").
    comment : str
        FITS ``COMMENT`` card of the values' extension.
    unit_label : str
        Unit in the colour-bar label (mathtext; default none).
    scaled : bool
        Figures divide the image by a power of ten and say so in the label (no offset text).
    log : bool
        Figures use a logarithmic colour scale when every value is positive.
    cmap : str
        Matplotlib colour map of its panels (pixels without a value are drawn in
        `comaspec.plotting.maps.BLANK_COLOUR`).
    available : callable or None
        ``available(maps, species) -> bool``: whether these maps have the quantity (default:
        the maps have its key, not None, and the species in it).
    shown : callable or None
        ``shown(maps, image) -> image`` drawn in figures (default the image itself; the ratio
        shows measured values only), and ``shown_suffix`` appended to its label.
    on_grid : bool
        The values are already an image on the spaxel grid (the bin of every spaxel).
    """

    hdu: str
    key: str
    unit: str
    label: str
    error: str | None = None
    per_species: bool = False
    per_spaxel: bool = False
    fill: int | None = None
    dtype: str = "float64"
    comment: str = ""
    unit_label: str = ""
    scaled: bool = False
    log: bool = False
    cmap: str = "viridis"
    available: Callable | None = None
    shown: Callable | None = None
    shown_suffix: str = ""
    on_grid: bool = False

    def names(self, species=None):
        """The extension names of this quantity for ``species``: values, then 1σ.

        Parameters
        ----------
        species : str, optional
            For a quantity per species.

        Returns
        -------
        list of (str, bool)
            Extension name and whether it holds the 1σ.
        """
        name = _named(self.hdu, species)
        return [(name, False), (name + "_ERR", True)] if self.error else [(name, False)]

    def has(self, maps, species=None):
        """Whether ``maps`` hold this quantity (for ``species``).

        Parameters
        ----------
        maps : `comaspec.maps.ComaMaps`
        species : str, optional

        Returns
        -------
        bool
        """
        if self.available is not None:
            return bool(self.available(maps, species))
        values = getattr(maps, self.key, None)
        return values is not None and (not self.per_species or species in values)

    def image(self, maps, species=None, error=False):
        """The image written to FITS (values or 1σ) on the spaxel grid.

        Parameters
        ----------
        maps : `comaspec.maps.ComaMaps`
        species : str, optional
        error : bool
            The 1σ instead of the values.

        Returns
        -------
        ndarray, shape (ny, nx)
            Of type ``dtype``; ``fill`` where a spaxel has no data in an integer map.
        """
        values = getattr(maps, self.error if error else self.key)
        if self.per_species:
            values = values[species]
        image = np.asarray(values) if self.on_grid else maps.image(values, per_spaxel=self.per_spaxel)
        if self.fill is not None:
            image = np.nan_to_num(image, nan=self.fill)
        return image.astype(self.dtype)

    def panel(self, maps, species=None, error=False):
        """The image drawn in the map figures and its colour-bar label.

        Parameters
        ----------
        maps : `comaspec.maps.ComaMaps`
        species : str, optional
        error : bool
            The 1σ instead of the values.

        Returns
        -------
        (ndarray, str)
            The image as drawn (``shown``, divided by a power of ten when ``scaled``) and
            the label (with that power and ``unit_label``).
        """
        image = self.image(maps, species, error).astype(float)
        label = _named(self.label, species) + (" 1σ" if error else "")
        if self.shown is not None and not error:
            image, label = self.shown(maps, image), label + self.shown_suffix
        if self.scaled:
            peak = np.nanmax(np.abs(image)) if np.isfinite(image).any() else 0.0
            power = int(np.floor(np.log10(peak))) if peak > 0 else 0
            return image / 10.0**power, f"{label} ($10^{{{power}}}$ {self.unit_label})"
        return image, f"{label} ({self.unit_label})" if self.unit_label else label


def _named(text, species):
    """``text`` with ``{species}`` replaced (not str.format: mathtext labels hold braces)."""
    return text if species is None else text.replace("{species}", species)


def _has_g(maps, species):
    """Columns exist only for a species with a g-factor (molecules from the band flux)."""
    return species in maps.molecule_flux


def _has_ratio(maps, species=None):
    return getattr(maps, "ratio", None) is not None


def _measured(maps, image):
    """The ratio where both bands are detected; limits are blank in figures (they are in FITS)."""
    return np.where(maps.image(maps.ratio_limit.astype(float)) == 0, image, np.nan)


#: Every map quantity, in the order of the FITS extensions.
QUANTITIES = (
    MapQuantity("{species}_FLUX", "flux", "W m-2", "{species} flux/spaxel", error="flux_err", per_species=True,
                per_spaxel=True, comment="band flux per spaxel (bin mean)", unit_label="W m$^{-2}$", scaled=True,
                log=True),
    MapQuantity("{species}_COLUMN", "column", "cm-2", "{species} column", error="column_err", per_species=True,
                unit_label="cm$^{-2}$", scaled=True, log=True, available=_has_g),
    MapQuantity("SNR_{species}", "snr", "", "{species} SNR", per_species=True),
    MapQuantity("DET_{species}", "detected", "", "{species} detected (1) or not (0)", per_species=True, fill=-1,
                dtype="int16", comment="1 detected, 0 not, -1 no data"),
    MapQuantity("RATIO_CO2_H2O", "ratio", "", "CO$_2$/H$_2$O", error="ratio_err",
                comment="column ratio, or the limit", available=_has_ratio, shown=_measured,
                shown_suffix=" (measured)"),
    MapQuantity("RATIO_LIMIT", "ratio_limit", "", "CO$_2$/H$_2$O limit flag", fill=-9, dtype="int16",
                comment="0 value, 1 lower limit, 2 upper limit, -1 none, -9 no data", available=_has_ratio),
    MapQuantity("TROT", "T_rot", "K", "$T_\\mathrm{rot}$", error="T_rot_err", unit_label="K"),
    MapQuantity("TROT_FITTED", "T_rot_fitted", "", "$T_\\mathrm{rot}$ fitted (1) or held (0)", fill=-1,
                dtype="int16", comment="1 fitted in the bin, 0 aperture fit's value"),
    MapQuantity("SHIFT", "shift_um", "um", "wavelength shift", unit_label="µm"),
    MapQuantity("CHI2", "chi2", "", "$\\chi^2$"),
    MapQuantity("DOF", "dof", "", "degrees of freedom"),
    MapQuantity("BIN_ID", "bin_id", "", "bin", dtype="int32", comment="-1: spaxel not used", on_grid=True),
)


def hdu_names(maps):
    """The image extensions of ``maps``, in file order.

    Parameters
    ----------
    maps : `comaspec.maps.ComaMaps`

    Returns
    -------
    list of (str, MapQuantity, str or None, bool)
        Extension name, its quantity, the species (None for the others) and whether it is
        the 1σ.
    """
    pairs = ([(q, s) for s in maps.species for q in QUANTITIES if q.per_species]
             + [(q, None) for q in QUANTITIES if not q.per_species])
    return [(name, quantity, species, error) for quantity, species in pairs if quantity.has(maps, species)
            for name, error in quantity.names(species)]


def find(maps, name):
    """The quantity, species and 1σ flag of extension ``name`` of ``maps``.

    Parameters
    ----------
    maps : `comaspec.maps.ComaMaps`
    name : str
        An extension name such as ``CO2_COLUMN``, ``SNR_H2O``, ``TROT_ERR``.

    Returns
    -------
    (MapQuantity, str or None, bool)

    Raises
    ------
    InputError
        ``name`` is no map of these maps (``panels`` named).
    """
    for hdu, quantity, species, error in hdu_names(maps):
        if hdu == name:
            return quantity, species, error
    if name == "RATIO_CO2_H2O":
        raise InputError("panels", "RATIO_CO2_H2O needs CO2 and H2O maps")
    raise InputError("panels", f"unknown map {name!r} (these maps have {', '.join(h for h, *_ in hdu_names(maps))})")
