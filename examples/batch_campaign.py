"""The "many observations" page: a synthetic campaign fitted with ``comaspec batch``.

Writes ten synthetic NIRSpec x1d spectra of one comet along its orbit (PRISM, and one
G395H spectrum, where H2O comes from its 4.5-5 um bands only; at one quiet epoch H2O is
not detected) and the manifest that fits them, runs the batch on a local Dask cluster
and draws the summary figure of docs/many_observations.rst into docs/_static/batch/.
Run from the repository root:

    python examples/batch_campaign.py [--keep DIR]

The production rates are illustrative inputs of a synthetic comet (CO2 ~ rh^-2, H2O
turning on inside 3 au), not measurements.
"""

import argparse
import shutil
import tempfile
from pathlib import Path

import astropy.units as u
from astropy.time import Time

OUT = Path(__file__).resolve().parents[1] / "docs" / "_static" / "batch"


def write_campaign(directory):
    """The spectra and ``manifest.csv``; returns the manifest's path."""
    from comaspec.apertures import CircularAperture
    from comaspec.geometry import Geometry
    from comaspec.synthetic import synthetic_spectrum

    aperture = CircularAperture(0.5 * u.arcsec)
    flam = u.W / u.m**2 / u.um
    rows = ["label,files,rh,delta,phase,aperture,species,T_rot,map"]
    for i in range(10):
        rh = 3.6 - 0.2 * i
        delta = rh - 0.8
        epoch = Time("2025-06-01") + 21 * i * u.day
        mode = "G395H" if i == 6 else "PRISM"
        q_h2o = 4e27 * (rh / 2.0) ** -6 if i != 2 else 1e24  # i = 2: a quiet epoch, H2O not detected
        geometry = Geometry(rh * u.au, delta * u.au, 25 * u.deg)
        name = f"visit{i + 1:02d}_{mode.lower()}_x1d.fits"
        synthetic_spectrum(mode, {"CO2": 6e26 * (rh / 2.0) ** -2, "H2O": q_h2o, "CO": 1e26}, geometry,
                           aperture, T_rot=60.0, error=(8e-19 if mode == "PRISM" else 4e-18) * flam,
                           continuum=lambda wl: 4e-17 * (wl / 3.5) ** -1.5, seed=i, epoch=epoch,
                           path=Path(directory) / name, target="synthetic comet")
        rows.append(f"visit{i + 1:02d},{name},{rh:.2f},{delta:.2f},25,0.5,CO2;H2O;CO,,no")
    manifest = Path(directory) / "manifest.csv"
    manifest.write_text("\n".join(rows) + "\n")
    return manifest


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", metavar="DIR", help="write the campaign and results there (default: a temporary dir)")
    args = parser.parse_args(argv)

    from comaspec.batch import run_batch
    from comaspec.plotting.batch import batch_summary_figure
    from comaspec.plotting.style import save_figure

    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="comaspec-campaign-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        manifest = write_campaign(root)
        result = run_batch(manifest, root / "results", workers=2, log=print)
        print(result.summary["label", "status", "rh", "CO2_H2O", "CO2_H2O_limit", "chi2_nu"])
        OUT.mkdir(parents=True, exist_ok=True)
        # a Figure of its own (no pyplot: nothing to close); as PNG for the docs
        save_figure(batch_summary_figure(result.summary), OUT / "summary.png", dpi=150)
        print(f"wrote {OUT / 'summary.png'}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":  # Dask spawns worker processes: they must not run this
    main()
