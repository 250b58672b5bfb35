"""Pick the (wavelength, R) points of ``resolving_power.ecsv``.

The points are *read off* the ESA/STScI pre-flight NIRSpec dispersion curves
(``jwst_nirspec_<disperser>_disp.fits``, P. Ferruit, ESA-JWST-SCI-NRS-TN-2016-024, 2016,
distributed by JDox):

* PRISM, G235H, G395M, G395H: from the FITS files themselves (../shared/data/
  jwst-nirspec-dispersion; not shipped).
* G140M, G140H, G235M: those FITS files are not available as text here; the curves are taken
  from the polynomial fits to the same JDox files published in the PAHFIT instrument pack
  (``pahfit/packs/instrument/jwst.yaml`` v0.1, July 2022, github.com/PAHFIT/pahfit commit
  f62283b7cea50e9d27c2360d0be304d5daea322e).  Those are numpy ``Polynomial`` coefficients
  in the scaled variable whose domain is the file's wavelength range (``PAHFIT_V01`` below:
  "range", "coefficients" as printed there).  With that reading, PAHFIT's fits of the four
  dispersers we do have reproduce the ESA files to < 0.4 % for the gratings (3 % for the
  PRISM, which is not taken from PAHFIT); tests/test_instrument.py checks this.

Only a few points per curve are kept: starting from the two ends of the curve, the sample
where linear interpolation of the points chosen so far is worst is added until the relative
error is below ``TOLERANCE`` everywhere.  Values are then rounded (wavelength to 1e-4 µm,
R to 4 significant figures).  tests/test_instrument.py checks the table against the full
curves to 2 %.

Usage: python linelists/make_resolving_power.py DIR_WITH_DISP_FITS > rows.txt
(prints ECSV data rows; the header of resolving_power.ecsv is maintained by hand).
"""

import sys
from pathlib import Path

import numpy as np

TOLERANCE = {"PRISM": 0.006, "default": 0.001}
REFERENCE = "Ferruit 2016, ESA-JWST-SCI-NRS-TN-2016-024 (jwst_nirspec_{name}_disp.fits, JDox)"
REFERENCE_PAHFIT = (
    "Ferruit 2016, ESA-JWST-SCI-NRS-TN-2016-024 (jwst_nirspec_{name}_disp.fits, JDox) "
    "via the polynomial fit in PAHFIT instrument pack jwst.yaml v0.1 (github.com/PAHFIT/pahfit)"
)

# PAHFIT instrument pack jwst.yaml v0.1: mode -> (range [um], coefficients), as printed there.
PAHFIT_V01 = {
    "PRISM": ((0.5, 6.0), (118.673035, 201.54498, 87.37993, -35.558907, 82.88188, 110.60916,
                           -171.3971, -108.33989, 136.90254)),
    "G140M": ((0.5, 2.0), (891.6646, 539.4452, 4.216203)),
    "G140H": ((0.5, 1.9), (2291.3574, 1404.4167, 88.98144, 36.30806)),
    "G235M": ((1.5, 3.5), (1064.852, 431.03555, 3.3509896)),
    "G235H": ((1.5, 3.11), (2646.0334, 992.6818, 52.8571, 17.77239)),
    "G395M": ((2.5, 6.0), (1.0767772e03, 4.4848569e02, 3.7253866e00, 7.2353613e-01)),
    "G395H": ((2.5, 6.0), (2925.7283, 1327.8862, 106.61604, 20.827995, -10.031256)),
}
# Modes whose curve is taken from PAHFIT (no ESA file at hand).
FROM_PAHFIT = ("G140M", "G140H", "G235M")


def pahfit_curve(mode, wave_um):
    """R(λ) of PAHFIT's v0.1 fit for ``mode`` (domain = the fit's wavelength range)."""
    from numpy.polynomial import Polynomial

    domain, coefficients = PAHFIT_V01[mode]
    return Polynomial(coefficients, domain=domain)(wave_um)


def pick_points(wave, rpow, tol):
    """Return sorted indices of the samples kept so that interpolation stays within ``tol``."""
    chosen = [0, len(wave) - 1]
    while True:
        keep = sorted(chosen)
        err = np.abs(np.interp(wave, wave[keep], rpow[keep]) / rpow - 1.0)
        worst = int(np.argmax(err))
        if err[worst] < tol:
            return keep
        chosen.append(worst)


def _print_rows(mode, wave, rpow, reference):
    tol = TOLERANCE.get(mode, TOLERANCE["default"])
    for i in pick_points(wave, rpow, tol):
        # columns: mode instrument disperser channel band wavelength R reference
        print(f'{mode} NIRSPEC {mode} "" "" {wave[i]:.4f} {float(f"{rpow[i]:.4g}"):g} "{reference}"')


def main(directory):
    for mode in FROM_PAHFIT:
        lo, hi = PAHFIT_V01[mode][0]
        wave = np.linspace(lo, hi, 1001)
        _print_rows(mode, wave, pahfit_curve(mode, wave), REFERENCE_PAHFIT.format(name=mode.lower()))
    for path in sorted(Path(directory).glob("jwst_nirspec_*_disp.fits")):
        name = path.name.split("_")[2]
        from astropy.io import fits

        with fits.open(path) as hdul:
            data = hdul[1].data
            wave = np.asarray(data["WAVELENGTH"], float)
            rpow = np.asarray(data["R"], float)
        _print_rows(name.upper(), wave, rpow, REFERENCE.format(name=name))


if __name__ == "__main__":
    main(sys.argv[1])
