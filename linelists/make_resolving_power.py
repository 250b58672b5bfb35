"""Pick the (wavelength, R) points of ``resolving_power.ecsv`` from the NIRSpec dispersion files.

The points are *read off* the ESA/STScI pre-flight dispersion curves
(``jwst_nirspec_<disperser>_disp.fits``, ESA-JWST-SCI-NRS-TN-2016-024, distributed by JDox).
Only a few points per disperser are kept: starting from the two ends of the curve, the sample
where linear interpolation of the points chosen so far is worst is added until the relative
error is below ``TOLERANCE`` everywhere.  Values are then rounded (wavelength to 1e-4 µm,
R to 4 significant figures).  The full files are NOT shipped; tests/test_instrument.py
checks the table against them to 2 %.

Usage: python linelists/make_resolving_power.py DIR_WITH_DISP_FITS > rows.txt
(prints ECSV data rows; the header of resolving_power.ecsv is maintained by hand).
"""

import sys
from pathlib import Path

import numpy as np
from astropy.io import fits

TOLERANCE = {"PRISM": 0.008, "default": 0.001}
REFERENCE = "ESA-JWST-SCI-NRS-TN-2016-024 (jwst_nirspec_{name}_disp.fits, JDox)"


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


def main(directory):
    for path in sorted(Path(directory).glob("jwst_nirspec_*_disp.fits")):
        name = path.name.split("_")[2]
        with fits.open(path) as hdul:
            data = hdul[1].data
            wave = np.asarray(data["WAVELENGTH"], float)
            rpow = np.asarray(data["R"], float)
        mode = name.upper()
        tol = TOLERANCE.get(mode, TOLERANCE["default"])
        for i in pick_points(wave, rpow, tol):
            print(f'{mode} {wave[i]:.4f} {float(f"{rpow[i]:.4g}"):g} "{REFERENCE.format(name=name)}"')


if __name__ == "__main__":
    main(sys.argv[1])
