"""Make the bundled example: a synthetic NIRSpec PRISM x1d of a 3I/ATLAS-like coma.

Writes ``comaspec/data/example/3i_atlas_like_prism_x1d.fits`` with the forward model of
comaspec (the same one the fitter uses), a fixed seed, and the inputs and their sources in
the FITS header. Run from the repository root:

    python examples/make_example_spectrum.py

What is taken from the literature and what is chosen here (see also
``comaspec/data/example/README.md``):

- r_h = 3.32 au and the date 2025 Aug 6: Cordiner et al. 2025, ApJL (JWST NIRSpec
  observation of 3I/ATLAS; arXiv:2508.18209).
- CO2/H2O = 7.6: the published value of Cordiner et al. 2025 (7.6 ± 0.3).
- Q(H2O) = 2.2e26 s^-1: a placeholder of the right size. The paper's production rates were
  not available to us to verify; Q(CO2) is set to 7.6 × Q(H2O) so that the example
  reproduces the published ratio.
- Δ = 2.61 au: approximate, not checked against an ephemeris (a secondary summary of the
  SPHEREx observations quotes Δ ≈ 2.6 au for 2025 Aug 8-12).
- Everything else (0.5″ aperture, T_rot = 50 K, the continuum with its illustrative 3 µm
  ice band, the noise level giving an H2O band SNR of about 25, no CO) is chosen for the
  example and is not a measurement.
"""

from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.time import Time

from comaspec.apertures import CircularAperture
from comaspec.fit import as_observed, linear_solve
from comaspec.geometry import Geometry
from comaspec.model import ForwardModel
from comaspec.synthetic import EXAMPLE_FILE, synthetic_spectrum

OUT = Path(__file__).resolve().parents[1] / "comaspec" / "data" / "example" / EXAMPLE_FILE

RH_AU = 3.32                  # Cordiner et al. 2025
DELTA_AU = 2.61               # approximate (see above)
EPOCH = Time("2025-08-06T00:00:00", scale="utc")  # the date of Cordiner et al. 2025; time of day not known
RATIO = 7.6                   # Cordiner et al. 2025, CO2/H2O
Q_H2O = 2.2e26                # placeholder (see above)
Q = {"CO2": RATIO * Q_H2O, "H2O": Q_H2O}
T_ROT = 50.0                  # chosen
APERTURE = CircularAperture(0.5 * u.arcsec)  # chosen
SEED = 20250806
TARGET_SNR_H2O = 25.0
# illustrative dust continuum (W m-2 um-1 at 3.5 um), not fitted to any data
CONTINUUM = {"scattered": 1.2e-16, "slope": 0.5, "thermal": 2e-19,
             "ice_tau": 0.3, "ice_center_um": 3.05, "ice_fwhm_um": 0.3}
NOTES = [
    "SYNTHETIC spectrum made by comaspec (examples/make_example_spectrum.py) with its forward model.",
    "3I/ATLAS-like: rh=3.32 au, 2025 Aug 6, CO2/H2O=7.6 from Cordiner et al. 2025, ApJL "
    "(JWST NIRSpec; arXiv:2508.18209).",
    "Q(H2O)=2.2e26 /s is a placeholder (published Q not verified); Q(CO2)=7.6*Q(H2O).",
    "Delta=2.61 au approximate (not checked against an ephemeris).",
    "Bands in solar-pumped fluorescence equilibrium (comaspec.physics.fluorescence; H2O ortho/para 3).",
    "Aperture, T_rot=50 K, continuum (incl. an illustrative Gaussian 3 um ice band), noise and the absence "
    "of CO are choices for the example, not measurements.",
]


def noise_for_snr(geometry):
    """Per-pixel sigma (W m-2 um-1) that gives the H2O 2.7 um band the target SNR."""
    flam = u.W / u.m**2 / u.um
    clean = synthetic_spectrum("PRISM", Q, geometry, APERTURE, T_rot=T_ROT, error=1.0 * flam, noise=False,
                               continuum=CONTINUUM, emission="fluorescence")
    fm = ForwardModel([as_observed(clean)], ["CO2", "H2O", "CO"], geometry, [APERTURE])
    y, unit_sigma = fm.data()
    sol = linear_solve(fm.design({"T_rot": T_ROT}), y, unit_sigma)
    j = fm.fitted_species.index("H2O")
    return sol.coef[j] / np.sqrt(sol.covariance[j, j]) / TARGET_SNR_H2O


def main():
    geometry = Geometry(RH_AU * u.au, DELTA_AU * u.au, epoch=EPOCH)
    sigma = noise_for_snr(geometry)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    spec = synthetic_spectrum("PRISM", Q, geometry, APERTURE, T_rot=T_ROT, error=sigma * u.W / u.m**2 / u.um,
                              continuum=CONTINUUM, seed=SEED, target="3I/ATLAS-like (synthetic)", path=OUT,
                              overwrite=True, header_notes=NOTES, emission="fluorescence")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {spec.spectral_axis.size} pixels, sigma {sigma:.3e} W m-2 um-1)")


if __name__ == "__main__":
    main()
