"""Make the figures and numbers of docs/maps.rst (docs/_static/maps/).

Run from the repository root::

    python docs/make_maps_figures.py

A synthetic 21 x 21 NIRSpec PRISM cube of a coma with CO2 from the nucleus and water from
the nucleus *and* from a distributed source (icy grains; scale length 500 km), written as
an s3d file, is mapped as the tutorial shows.
"""

import sys
import tempfile
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import astropy.units as u  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import comaspec  # noqa: E402
from comaspec.plotting.maps import profiles_figure, q_curve_figure  # noqa: E402
from comaspec.synthetic import synthetic_cube  # noqa: E402

OUT = REPO / "docs" / "_static" / "maps"


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    geo = comaspec.Geometry(3.32 * u.au, 2.61 * u.au)
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "coma_s3d.fits"
        synthetic_cube("PRISM", {"CO2": 1.7e27, "H2O": 3e26}, geo, T_rot=50.0,
                       error_per_spaxel=2e-20 * u.W / u.m**2 / u.um, shape=(21, 21), path=path, seed=1,
                       continuum=lambda wl: 1e-17 * np.ones_like(wl), subsample=9,
                       distributed={"H2O": (2e26, 500 * u.km)}, sun_pa=30 * u.deg, velocity_pa=250 * u.deg)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            maps = comaspec.map_cube(path, geo, species=("CO2", "H2O"))
            opacity = maps.optical_depth("CO2")
        plt.close(maps.plot(OUT / "maps_panel.png"))
        curve = maps.q_curve("H2O")
        plt.close(q_curve_figure(curve, OUT / "qcurve_h2o.png"))
        fit = maps.fit_extended_source("H2O", r_min=0.1 * u.arcsec)
        fit_co2 = maps.fit_extended_source("CO2", r_min=0.1 * u.arcsec)
        plt.close(profiles_figure({"H2O": maps.radial_profile("H2O"),
                                   "H2O sunward": maps.radial_profile("H2O", pa_range="sunward"),
                                   "CO2": maps.radial_profile("CO2")}, OUT / "profiles.png", fits={"H2O": fit}))
    m = curve.meta
    lines += [f"T_rot and shift: {maps.T_rot_source}",
              f"H2O terminal Q = {m['Q_terminal']:.3g} +- {m['Q_terminal_err']:.2g} /s (true 3e26 + 2e26), "
              f"Q nucleus-centred = {m['Q_nucleus']:.3g} /s, growth factor = {m['growth_factor']:.2f} +- "
              f"{m['growth_factor_err']:.2f}",
              f"H2O: {fit.verdict}",
              f"CO2: {fit_co2.verdict}",
              opacity["message"]]
    (OUT / "summary.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
