"""Write tests/fit_reference.json: fits made by the code *before* the fit caches (the reference).

Run once from a checkout of that code (it was commit dadcefd of main):

    PYTHONPATH=<old checkout> python tests/make_fit_reference.py

`tests/test_fitspeed.py` compares today's fits of the same synthetic spectra with these
numbers (to 1e-6 sigma).
"""

import json
import pathlib
import sys
import warnings

import astropy.units as u

from comaspec.apertures import CircularAperture
from comaspec.fit import fit_coma
from comaspec.geometry import Geometry
from comaspec.synthetic import synthetic_spectrum

GEO = Geometry(3.32 * u.au, 2.61 * u.au, 17 * u.deg)
AP = CircularAperture(0.5 * u.arcsec)
Q = {"CO2": 1.7e27, "H2O": 2.2e26, "CO": 1e26}
CONT = {"scattered": 1.2e-16, "slope": 0.5, "thermal": 2e-19}
CASES = {"PRISM": ["PRISM"], "G395H": ["G395H"], "G235H+G395H": ["G235H", "G395H"]}


def spectra(modes, seed):
    return [synthetic_spectrum(m, Q, GEO, AP, T_rot=50.0, error=2e-19 * u.W / u.m**2 / u.um, continuum=CONT,
                               seed=seed + k, shift_um=2e-4) for k, m in enumerate(modes)]


def summary(fit):
    return {"species": {s: [v.band_flux, v.band_flux_err, v.T_rot] for s, v in fit.species.items() if v.covered},
            "shifts": fit.fit_info["wavelength_shift_um"], "chi2": fit.fit_info["chi2"]}


def main():
    warnings.simplefilter("ignore")
    out = {name: summary(fit_coma(spectra(modes, 21), GEO, AP, list(Q))) for name, modes in CASES.items()}
    path = pathlib.Path(__file__).with_name("fit_reference.json")
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(path, file=sys.stderr)


if __name__ == "__main__":
    main()
