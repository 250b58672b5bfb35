"""1-D surface-brightness spectra (MJy/sr) as flux densities through their aperture.

A 1-D spectrum in surface brightness (a table in MJy/sr, an x1d read from its
``SURF_BRIGHT`` column) is the *average* of the sky over its extraction aperture. The flux
density the fit needs is that average times the aperture's solid angle, F = I × Ω. Nothing
in such a file says which aperture it was averaged over, so the user names it; without one
the spectrum is refused rather than guessed.
"""

from __future__ import annotations

import astropy.units as u
import numpy as np

from ..errors import UsageError
from ._units import FLUX_DENSITY, SURFACE_BRIGHTNESS

__all__ = ["is_surface_brightness", "aperture_solid_angle", "surface_brightness_to_flux",
           "missing_aperture_message"]


def is_surface_brightness(spectrum) -> bool:
    """Whether a spectrum's flux is a surface brightness (per steradian).

    Parameters
    ----------
    spectrum : specutils.Spectrum

    Returns
    -------
    bool
    """
    unit = getattr(getattr(spectrum, "flux", None), "unit", None)
    return unit is not None and unit.is_equivalent(SURFACE_BRIGHTNESS)


def missing_aperture_message(label) -> str:
    """The one line refusing a surface-brightness spectrum given without its aperture.

    Parameters
    ----------
    label : str
        The file or spectrum.

    Returns
    -------
    str
    """
    return (f"{label}: holds surface brightness (MJy/sr), an average over its extraction aperture; give "
            "that aperture (--aperture-radius ARCSEC or --aperture-box WxH; aperture= in Python) to "
            "convert it to flux density")


def aperture_solid_angle(aperture, geometry=None) -> u.Quantity:
    """Solid angle of an aperture on the sky.

    Parameters
    ----------
    aperture : comaspec aperture
        Angular, or in km with ``geometry``.
    geometry : `comaspec.Geometry`, optional
        Converts an aperture in km at the comet to an angle.

    Returns
    -------
    `~astropy.units.Quantity`
        In sr.
    """
    area = aperture.area()
    if area.unit.is_equivalent(u.km**2):
        if geometry is None:
            raise UsageError("the aperture is in km: its solid angle needs the observing geometry")
        area = (area / geometry.km_per_arcsec**2).to(u.arcsec**2)
    return area.to(u.sr)


def surface_brightness_to_flux(spectrum, aperture, geometry=None):
    """Flux density spectrum F = I × Ω of a surface-brightness spectrum averaged over ``aperture``.

    Parameters
    ----------
    spectrum : specutils.Spectrum or comaspec.io.LightSpectrum
        Flux in surface brightness (e.g. MJy/sr), with uncertainties or without.
    aperture : comaspec aperture
        The aperture the surface brightness is an average over.
    geometry : `comaspec.Geometry`, optional
        Needed when the aperture is in km.

    Returns
    -------
    specutils.Spectrum or comaspec.io.LightSpectrum
        Of the type given; in Jy, same wavelengths and mask; ``meta["surface_brightness_solid_angle_sr"]``
        records Ω.
    """
    from ._spectrum import LightSpectrum, StdDev

    omega = aperture_solid_angle(aperture, geometry)
    factor = (1.0 * spectrum.flux.unit * omega).to_value(FLUX_DENSITY)
    sigma = None
    unc = spectrum.uncertainty
    if unc is not None:
        if getattr(unc, "uncertainty_type", None) == "std":
            sigma = np.asarray(unc.array) * factor
        else:
            from astropy.nddata import StdDevUncertainty

            sigma = unc.represent_as(StdDevUncertainty).array * factor
    meta = dict(spectrum.meta or {})
    meta["surface_brightness_solid_angle_sr"] = float(omega.to_value(u.sr))
    flux = u.Quantity(spectrum.flux.value * factor, FLUX_DENSITY)
    if isinstance(spectrum, LightSpectrum):   # the command's light spectra stay light
        return LightSpectrum(spectrum.spectral_axis, flux, None if sigma is None else StdDev(sigma, FLUX_DENSITY),
                             spectrum.mask, meta)
    from astropy.nddata import StdDevUncertainty
    from specutils import Spectrum

    return Spectrum(flux=flux, spectral_axis=spectrum.spectral_axis,
                    uncertainty=None if sigma is None else StdDevUncertainty(sigma), mask=spectrum.mask, meta=meta)
