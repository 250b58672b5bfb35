"""Make the figures and tables of the C/2017 K2 validation page (docs/_static/k2/).

Run from the repository root (not in CI)::

    python docs/make_k2_figures.py

Outputs:

* ``beam_fit.png``: the 0.75" beam spectrum with comaspec's best-fit model (on PSG's
  assumptions) and PSG's published model (``results_dat`` Model column) on the same pixels,
  with the residuals of both;
* ``annuli.png``: T_rot(rho) and Q(CH4)(rho) of the 23 annuli, comaspec and PSG's table;
* ``beam_table.csv``: T_rot and Q(CH4) of the beam, PSG and comaspec (PSG's assumptions,
  comaspec's defaults), with chi2;
* ``annuli_table.csv``: the per-annulus numbers of the figure.

The data and PSG's results are read from ``../shared/data/c2017k2-jwst-nirspec-ch4`` (never
copied into the repository); without them the script stops and says so. The fits are those
of tests/test_k2_real.py and tests/test_k2_annuli.py (through tests/k2_reference.py).
"""

import csv
import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import astropy.units as u  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from comaspec.apertures import CircularAperture  # noqa: E402
from comaspec.errors import ComaspecWarning  # noqa: E402
from comaspec.geometry import Geometry  # noqa: E402
from comaspec.io.psg import read_psg  # noqa: E402
from comaspec.pipeline import fit_files  # noqa: E402
from comaspec.plotting.style import save_figure  # noqa: E402
from k2_reference import (ANNULUS_TABLE, BEAM, DELTA_AU, FOLDER, PSG, PSG_LIFETIME, PSG_VELOCITY,  # noqa: E402
                          Q_H2O_PSG, RH_AU, annulus_files, ch4_numbers, fit_annulus, model_in_jy,
                          psg_annulus_table)

DATA = REPO.parent / "shared" / "data" / FOLDER
OUT = REPO / "docs" / "_static" / "k2"


def _save(fig, name):
    path = save_figure(fig, OUT / name, dpi=120)
    plt.close(fig)
    return path


def _beam_fits():
    common = ([DATA / BEAM], Geometry(RH_AU * u.au, DELTA_AU * u.au), CircularAperture(0.75 * u.arcsec), None)
    return {"psg": fit_files(*common, velocity=PSG_VELOCITY, lifetime=PSG_LIFETIME),
            "psg_scaled": fit_files(*common, velocity=PSG_VELOCITY, lifetime=PSG_LIFETIME, scale_covar=True),
            "defaults": fit_files(*common)}


def beam_table(fits, psg):
    """PSG's retrieval and comaspec's fits of the beam, one row each."""
    ret = {row["variable"]: row for row in psg.retrieval}
    t, ch4 = ret["COMA-TEMPERATURE"], ret["COMA-CH4[CH4]"]
    rows = [["NASA PSG (published retrieval)", "0.310", "53810", f"{t['value']:.1f} ± {t['sigma']:.2f}",
             f"{ch4['value'] / 100 * Q_H2O_PSG:.3g} ± {ch4['sigma'] / 100 * Q_H2O_PSG:.2g}",
             f"{psg.retrieval.meta['chi2']:.0f}"]]
    labels = {"psg": "comaspec, PSG's v and lifetime", "psg_scaled": "same, --scale-covar",
              "defaults": "comaspec defaults"}
    for key, label in labels.items():
        n = ch4_numbers(fits[key])
        species = fits[key].to_dict("CO2", "H2O")["species"]["CH4"]
        rows.append([label, f"{species['velocity_km_s']:.3f}", f"{species['lifetime_1au_s']:.0f}",
                     f"{n['T']:.1f} ± {n['T_err']:.2f}", f"{n['Q']:.3g} ± {n['Q_err']:.2g}",
                     f"{fits[key].fit_info['chi2']:.0f}"])
    header = ["fit", "v (km/s)", "tau_CH4 at 1 au (s)", "T_rot (K)", "Q(CH4) (s^-1)", "chi2 (41 pixels)"]
    _write_csv("beam_table.csv", header, rows)
    return rows


def _write_csv(name, header, rows):
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / name, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def figure_beam(fit, psg):
    dat = psg.data
    data, model = model_in_jy(fit)
    wl = fit.components[0].wavelength_um
    noise, psg_model = dat["Noise"].value, dat["Model"].value
    mjy = 1e3
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.1, 5.6), sharex=True, height_ratios=(2.2, 1))
    top.errorbar(wl, data * mjy, noise * mjy, fmt="o", ms=3, color="k", label="JWST NIRSpec G395M, 0.75\" beam")
    top.step(wl, model * mjy, where="mid", color="#0072B2", lw=1.4, label="comaspec (PSG's v and lifetime)")
    top.step(wl, psg_model * mjy, where="mid", color="#D55E00", lw=1.2, ls="--", label="NASA PSG (published)")
    top.plot(wl, dat["Base"].value * mjy, color="#D55E00", lw=0.7, ls=":", label="PSG baseline")
    top.set_ylabel("flux density (mJy)")
    top.legend(fontsize=8, frameon=False)
    top.set_title("C/2017 K2, CH4 ν3 at 3.3 µm: comaspec and PSG on the same 41 pixels", fontsize=10)
    chi_c, chi_p = np.sum(((data - model) / noise) ** 2), np.sum(((data - psg_model) / noise) ** 2)
    bottom.step(wl, (data - model) * mjy, where="mid", color="#0072B2", label=f"data − comaspec (χ² = {chi_c:.0f})")
    bottom.step(wl, (data - psg_model) * mjy, where="mid", color="#D55E00", ls="--",
                label=f"data − PSG (χ² = {chi_p:.0f})")
    bottom.step(wl, (model - psg_model) * mjy, where="mid", color="0.5", lw=0.8, label="comaspec − PSG")
    bottom.axhline(0.0, color="k", lw=0.5)
    bottom.set_ylabel("residual (mJy)")
    bottom.set_xlabel("wavelength (µm, as in the data file)")
    bottom.legend(fontsize=7, frameon=False, ncol=3)
    fig.tight_layout()
    return _save(fig, "beam_fit.png")


def _annulus_rows():
    annuli = annulus_files(DATA)
    table = psg_annulus_table(DATA / ANNULUS_TABLE)
    ours = [ch4_numbers(fit_annulus(a)) for a in annuli]
    circle = [ch4_numbers(fit_annulus(a, "psg_circle")) for a in annuli]
    rows = [[f"{a.r_in:.2f}-{a.r_out:.2f}", f"{o['T']:.1f} ± {o['T_err']:.2f}",
             f"{table['T'][i]:.1f} ± {table['T_err'][i]:.2f}", f"{o['Q']:.3g}", f"{table['Q'][i]:.3g}",
             f"{table['Q'][i] / o['Q']:.3f}", f"{circle[i]['Q'] / table['Q'][i]:.3f}"]
            for i, (a, o) in enumerate(zip(annuli, ours))]
    header = ["annulus (arcsec)", "T_rot comaspec (K)", "T PSG (K)", "Q(CH4) comaspec (s^-1)",
              "Q(CH4) PSG (s^-1)", "PSG / comaspec", "0.1\"-circle fit / PSG"]
    _write_csv("annuli_table.csv", header, rows)
    return annuli, table, ours


def figure_annuli(beam_q, psg_beam_q):
    annuli, table, ours = _annulus_rows()
    rho = np.array([a.r_mid for a in annuli])
    half = np.array([0.5 * (a.r_out - a.r_in) for a in annuli])
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.1, 3.4))
    left.errorbar(rho, [o["T"] for o in ours], [o["T_err"] for o in ours], xerr=half, fmt="o", ms=3,
                  color="#0072B2", label="comaspec")
    left.errorbar(rho + 0.015, table["T"], table["T_err"], fmt="s", ms=3, color="#D55E00", mfc="none",
                  label="PSG annulus table")
    left.set_xlabel("ρ (arcsec)")
    left.set_ylabel("T_rot (K)")
    left.legend(fontsize=8, frameon=False)
    right.errorbar(rho, [o["Q"] for o in ours], [o["Q_err"] for o in ours], xerr=half, fmt="o", ms=3,
                   color="#0072B2", label="comaspec (annulus total, AnnularAperture)")
    right.errorbar(rho + 0.015, table["Q"], table["Q_err"], fmt="s", ms=3, color="#D55E00", mfc="none",
                   label="PSG annulus table (CH4 % × 7.6e28)")
    right.plot(rho, table["Q"] * np.pi / 4, "x", ms=4, color="#D55E00", label="PSG table × π/4")
    right.axhline(beam_q, color="#0072B2", lw=0.8, ls="--", label="comaspec, 0.75\" beam")
    right.axhline(psg_beam_q, color="#D55E00", lw=0.8, ls=":", label="PSG, 0.75\" beam")
    right.set_xlabel("ρ (arcsec)")
    right.set_ylabel("Q(CH4) (s$^{-1}$)")
    right.legend(fontsize=6.5, frameon=False, loc="lower right")
    fig.suptitle("C/2017 K2: the 23 annuli (0.1\" wide), PSG's v = 0.31 km/s and τ(CH4) = 53810 s", fontsize=9)
    fig.tight_layout()
    return _save(fig, "annuli.png")


def main():
    for path in (DATA / BEAM, DATA / PSG, DATA / ANNULUS_TABLE, DATA / "annulus"):
        if not path.exists():
            sys.exit(f"make_k2_figures: {path} is missing (../shared/data); nothing drawn")
    warnings.simplefilter("ignore", ComaspecWarning)  # the chi2_nu warning: the numbers say it
    psg = read_psg(DATA / PSG)
    fits = _beam_fits()
    for row in beam_table(fits, psg):
        print(" | ".join(row))
    print(figure_beam(fits["psg"], psg))
    ch4 = {row["variable"]: row for row in psg.retrieval}["COMA-CH4[CH4]"]
    print(figure_annuli(ch4_numbers(fits["psg"])["Q"], ch4["value"] / 100 * Q_H2O_PSG))


if __name__ == "__main__":
    main()
