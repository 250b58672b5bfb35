"""The C/2017 K2 validation against NASA PSG: reading the shared files and fitting the annuli.

Used by tests/test_k2_real.py, tests/test_k2_annuli.py and docs/make_k2_figures.py. The files
are in ``../shared/data/c2017k2-jwst-nirspec-ch4`` (SOURCE.md there), never copied here.

The annulus files hold the MEAN flux per spaxel over the annulus (Jy per 0.09999909" x
0.09999909" spaxel), not the annulus total: the sum of mean x (annulus area / spaxel area)
over the annuli inside 0.75" gives the beam's flux. PSG's annulus retrievals
(``example/annulus/*.ret.cfg`` in apertureSynthesis/jwstComet) model each of them as one
spaxel-sized beam at the annulus mid-radius: ``<GENERATOR-BEAM>0.0999991,0.0999991,0,R`` and
``<GEOMETRY-OFFSET-NS>`` = (r_in + r_out) / 2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import astropy.units as u
import numpy as np

FOLDER = "c2017k2-jwst-nirspec-ch4"
BEAM = "c2017k2_nirspec_g395m_beam0.75arcsec_3.25-3.33um.txt"
PSG = "c2017k2_nirspec_g395m_beam0.75arcsec_psg_retrieval_results.txt"
ANNULUS_TABLE = "c2017k2_ch4_annulus_values.csv"
Q_H2O_PSG = 7.6e28  # PSG's ATMOSPHERE-PRESSURE (gas, s^-1), the Q(H2O) of Woodward et al. 2025
RH_AU, DELTA_AU = 2.34, 2.04
PSG_VELOCITY = 0.31 * u.km / u.s  # ATMOSPHERE-WEIGHT 310 m/s
PSG_LIFETIME = {"CH4": 53810.0 * u.s}  # ATMOSPHERE-TAU of CH4

# How an annulus file is fitted:
#   "annulus": flux x (annulus area / spaxel area), AnnularAperture(r_in, r_out) (comaspec's way);
#   "spaxel":  the mean flux per spaxel, a 0.1" square spaxel at offset (r_in + r_out) / 2;
#   "psg_circle": the mean flux per spaxel, a CIRCLE of 0.1" diameter at that offset.
TREATMENTS = ("annulus", "spaxel", "psg_circle")


@dataclass(frozen=True)
class AnnulusFile:
    """One annulus spectrum and its radii (arcsec), read from the file's header."""

    path: Path
    r_in: float
    r_out: float
    pixel: float

    @property
    def r_mid(self) -> float:
        return 0.5 * (self.r_in + self.r_out)

    @property
    def spaxels(self) -> float:
        """The annulus area in spaxels: the factor from the mean per spaxel to the total."""
        return np.pi * (self.r_out**2 - self.r_in**2) / self.pixel**2


def _header_number(text, label, path):
    match = re.search(re.escape(label) + r"\s+(\S+)", text)
    if match is None:
        raise ValueError(f"{path}: no {label!r} line in the header")
    return float(match.group(1))


def annulus_files(folder: Path) -> list[AnnulusFile]:
    """The 23 annulus spectra of ``folder/annulus``, innermost first."""
    out = []
    for path in sorted((Path(folder) / "annulus").glob("JWST-Extract-*-arcsecInnerRadius-*.txt")):
        text = path.read_text()
        out.append(AnnulusFile(path, _header_number(text, "Inner annulus radius (arcsec)", path),
                               _header_number(text, "Outer annulus radius (arcsec)", path),
                               _header_number(text, "Pixel scale (arcsec/pixel)", path)))
    return sorted(out, key=lambda a: a.r_in)


def psg_annulus_table(path: Path) -> dict:
    """PSG's annulus values: distance (arcsec), T and sigma (K), CH4 and sigma (% of Q(H2O))."""
    rows = np.loadtxt(path, delimiter=",", skiprows=1)
    return {"rho": rows[:, 0], "T": rows[:, 1], "T_err": rows[:, 2], "ch4_pct": rows[:, 3],
            "ch4_pct_err": rows[:, 4], "Q": rows[:, 3] / 100.0 * Q_H2O_PSG,
            "Q_err": rows[:, 4] / 100.0 * Q_H2O_PSG}


def _scaled(spectrum, factor):
    """The spectrum with flux and uncertainty multiplied by ``factor`` (meta kept)."""
    from astropy.nddata import StdDevUncertainty
    from specutils import Spectrum

    return Spectrum(spectral_axis=spectrum.spectral_axis, flux=spectrum.flux * factor,
                      uncertainty=StdDevUncertainty(spectrum.uncertainty.array * factor),
                      meta=dict(spectrum.meta))


def annulus_case(annulus: AnnulusFile, treatment: str):
    """(flux factor, aperture) of one annulus under one of `TREATMENTS`."""
    from comaspec.apertures import AnnularAperture, CircularAperture, RectangularAperture

    arcsec = u.arcsec
    offset = u.Quantity([0.0, annulus.r_mid], arcsec)
    if treatment == "annulus":
        if annulus.r_in == 0.0:
            return annulus.spaxels, CircularAperture(annulus.r_out * arcsec)
        return annulus.spaxels, AnnularAperture(annulus.r_in * arcsec, annulus.r_out * arcsec)
    if treatment == "spaxel":
        side = annulus.pixel * arcsec
        return 1.0, RectangularAperture(side, side, offset=offset)
    if treatment == "psg_circle":
        return 1.0, CircularAperture(0.5 * annulus.pixel * arcsec, offset=offset)
    raise ValueError(f"unknown treatment {treatment!r}; known: {', '.join(TREATMENTS)}")


def fit_annulus(annulus: AnnulusFile, treatment: str = "annulus", **options):
    """Fit one annulus file (species: what it covers) on PSG's velocity and CH4 lifetime.

    ``options`` go to `comaspec.pipeline.fit_loaded` and override PSG's assumptions.
    """
    from comaspec.geometry import Geometry
    from comaspec.pipeline import fit_loaded, load_inputs

    factor, aperture = annulus_case(annulus, treatment)
    ((path, spectrum, is_cube),) = load_inputs([annulus.path])
    options = {"velocity": PSG_VELOCITY, "lifetime": PSG_LIFETIME, **options}
    return fit_loaded([(path, _scaled(spectrum, factor), is_cube)], Geometry(RH_AU * u.au, DELTA_AU * u.au),
                      aperture, None, **options)


def ch4_numbers(fit) -> dict:
    """T_rot, Q(CH4) and their errors (and the reduced chi2) of a fit."""
    ch4 = fit.to_dict("CO2", "H2O")["species"]["CH4"]
    return {"T": ch4["T_rot_K"], "T_err": ch4["T_rot_err_K"], "Q": ch4["Q_per_s"], "Q_err": ch4["Q_err_per_s"],
            "detected": ch4["detected"], "chi2_nu": fit.chi2_reduced}


def model_in_jy(fit):
    """(data, model) of the fit's first spectrum in Jy, on the file's pixels.

    comaspec fits in W m-2 um-1; F_nu = F_lambda lambda^2 / c back to the file's unit.
    """
    comp = fit.components[0]
    to_jy = (u.W / u.m**2 / u.um).to(u.Jy, equivalencies=u.spectral_density(comp.wavelength_um * u.um))
    return comp.flux * to_jy, comp.model * to_jy
