"""Make the figures of docs/templates.rst (docs/_static/templates/*.png).

Run from the repository root::

    python docs/make_template_figures.py

The HITRAN comparison curves are computed on the fly from the shared test data in
``../shared/data`` (never copied into the repository); without them, those panels are
skipped and the script says so.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from astropy import constants as const  # noqa: E402
from astropy import units as u  # noqa: E402
from astropy.table import Table  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from comaspec import instrument, templates  # noqa: E402
from comaspec._paths import linelists_dir  # noqa: E402

OUT = REPO / "docs" / "_static" / "templates"
SHARED = REPO.parent / "shared" / "data" / "hitran-linelists-spectr"
C2 = float((const.h * const.c / const.k_B).to_value(u.cm * u.K))
T_HITRAN = 296.0

BANDS = {"CO2": ("nu3", "co2_nu3_lines.ecsv", "hitran_co2_626_2200-2420cm.csv", (4.17, 4.42)),
         "CO": ("1-0", "co_1-0_lines.ecsv", "hitran_co_26_1950-2350cm.csv", (4.50, 4.90))}


def _grid(mode, lo, hi):
    """Pixel centres with 2 pixels per resolution element."""
    centres = [lo]
    while centres[-1] < hi:
        r = float(instrument.resolving_power(mode, np.array([centres[-1]]))[0])
        centres.append(centres[-1] * (1 + 0.5 / r))
    return np.array(centres)


def _hitran_sticks(species, T_rot):
    """Emission weights of HITRAN's lines of the band (same physics as comaspec).

    Lines are identified in the unlabelled CSV by g', g'' (= 2J+1), E'' and position, as in
    tests/test_linear_lines.py; A follows from S(296 K).
    """
    band, ours_file, csv, _ = BANDS[species]
    path = SHARED / csv
    if not path.is_file():
        return None
    data = np.genfromtxt(path, delimiter=",", skip_header=2, names=True)
    ours = Table.read(linelists_dir() / ours_file, format="ascii.ecsv")
    pick = []
    for row in ours:
        ok = ((data["g_upper"] == 2 * row["J_upper"] + 1)
              & (data["g_lower"] == 2 * row["J_lower"] + 1)
              & (np.abs(data["E_lower_cm1"] - row["E_lower"]) < 0.5)
              & (np.abs(data["nu_cm1"] - row["wavenumber"]) < 0.5))
        if ok.sum() == 1:
            pick.append(np.flatnonzero(ok)[0])
    d = data[np.array(pick)]
    nu, s, e_low, g_up = d["nu_cm1"], d["S296K_cm_per_molecule"], d["E_lower_cm1"], d["g_upper"]
    a = s * nu**2 / (g_up * np.exp(-C2 * e_low / T_HITRAN) * (1 - np.exp(-C2 * nu / T_HITRAN)))
    e_up = e_low + nu
    w = g_up * a * nu * np.exp(-C2 * (e_up - e_up.min()) / T_rot)
    return nu, w / w.sum()


def figure_linear_vs_hitran(species):
    band, _, _, (lo, hi) = BANDS[species]
    temperatures = (20.0, 80.0)
    modes = ("PRISM", "G395H")
    fig, axes = plt.subplots(len(modes), len(temperatures), figsize=(8, 5.5), sharex=True)
    for i, mode in enumerate(modes):
        lsf = instrument.GaussianLSF(mode)
        pad = 0.15 if mode == "PRISM" else 0.0
        centres = _grid(mode, lo - pad, hi + pad)
        edges = instrument.pixel_edges(centres)
        for j, T in enumerate(temperatures):
            ax = axes[i, j]
            prof = templates.band_profile(species, band, centres, T, lsf)
            ax.step(centres, prof, where="mid", color="C0", lw=1.2, label="comaspec template")
            ref = _hitran_sticks(species, T)
            if ref is not None:
                hitran = lsf.integrate_lines(1e4 / ref[0], ref[1], edges)
                ax.step(centres, hitran, where="mid", color="C1", lw=0.9, ls="--",
                        label="HITRAN, same physics")
                ax.plot(centres, prof - hitran, color="0.4", lw=0.8,
                        label="difference")
            ax.set_title(f"{species} {band}, {mode}, T_rot = {T:g} K", fontsize=9)
            ax.set_xlim(lo - pad, hi + pad)
            if j == 0:
                ax.set_ylabel("profile (µm$^{-1}$)")
            if i == len(modes) - 1:
                ax.set_xlabel("wavelength (µm)")
    axes[0, 0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    path = OUT / f"{species.lower()}_vs_hitran.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def figure_temperature(species):
    band = BANDS[species][0]
    fig, ax = plt.subplots(figsize=(7, 3.2))
    for T, colour in zip((10.0, 30.0, 100.0, 300.0), ("C0", "C2", "C1", "C3")):
        nu, w = templates.stick_spectrum(species, band, T)
        ax.vlines(nu, 0, w, color=colour, lw=1.0, label=f"T_rot = {T:g} K")
    ax.set_xlabel("wavenumber (cm$^{-1}$)")
    ax.set_ylabel("fraction of band energy")
    ax.set_title(f"{species} {band}: emission lines at several rotational temperatures",
                 fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = OUT / f"{species.lower()}_sticks_T.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def figure_h2o_prism():
    """All H2O bands at PRISM resolution (from the H2O line list and the hot-band rule)."""
    if not (linelists_dir() / "h2o_lines.ecsv").is_file():
        return None
    from comaspec.physics import molecules

    lsf = instrument.GaussianLSF("PRISM")
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    for ax, feature, (lo, hi) in zip(axes, ("2.7um", "4.7um"), ((2.45, 3.0), (4.4, 5.1))):
        centres = _grid("PRISM", lo, hi)
        for b in molecules.bands_of("H2O", feature):
            prof = templates.band_profile("H2O", b.band, centres, 50.0, lsf)
            ax.step(centres, prof, where="mid", lw=1.0, label=b.band)
        ax.set_title(f"H2O {feature} bands, PRISM, T_rot = 50 K (each unit area)", fontsize=9)
        ax.set_xlabel("wavelength (µm)")
        ax.legend(fontsize=7)
    axes[0].set_ylabel("profile (µm$^{-1}$)")
    fig.tight_layout()
    path = OUT / "h2o_prism.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _h2o_contour_test_module():
    """tests/test_h2o_contour.py, whose reference contour the H2O figure shows."""
    import importlib.util

    path = REPO / "tests" / "test_h2o_contour.py"
    spec = importlib.util.spec_from_file_location("test_h2o_contour", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def figure_h2o_vs_hitran():
    """H2O 2.7 um (nu3 + nu1 by g-factor) template vs the HITRAN contour of the test."""
    path_csv = SHARED / "hitran_h2o_161_3300-4000cm.csv"
    if not path_csv.is_file() or not (linelists_dir() / "h2o_lines.ecsv").is_file():
        return None
    test = _h2o_contour_test_module()
    lines = test._hitran_lines(str(path_csv))
    bands = ("nu3", "nu1")
    modes = ("PRISM", "G235H")
    xlim = {"PRISM": (2.45, 3.0), "G235H": (2.60, 2.82)}
    fig, axes = plt.subplots(len(modes), len(test.T_ROTS), figsize=(9, 5), sharey="row")
    for i, mode in enumerate(modes):
        for j, T in enumerate(test.T_ROTS):
            ax = axes[i, j]
            centres, reference = test._reference_contour(lines, mode, T, bands)
            template = test._template_contour(mode, T, bands)
            ax.step(centres, template, where="mid", color="C0", lw=1.0,
                    label="comaspec template")
            ax.step(centres, reference, where="mid", color="C1", lw=0.8, ls="--",
                    label="HITRAN, same physics")
            ax.plot(centres, template - reference, color="0.4", lw=0.7, label="difference")
            dev = np.max(np.abs(template - reference)) / reference.max()
            ax.set_title(f"{mode}, T_rot = {T:g} K: max diff {100 * dev:.2f} % of peak",
                         fontsize=8)
            ax.set_xlim(*xlim[mode])
            ax.tick_params(labelsize=7)
            if j == 0:
                ax.set_ylabel("profile (µm$^{-1}$)", fontsize=8)
            if i == len(modes) - 1:
                ax.set_xlabel("wavelength (µm)", fontsize=8)
    axes[0, 0].legend(fontsize=6, loc="upper left")
    fig.suptitle("H2O 2.7 µm: nu3 + nu1 (weighted by g-factor), ortho:para = 3", fontsize=9)
    fig.tight_layout()
    path = OUT / "h2o_vs_hitran.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    if not SHARED.is_dir():
        print(f"note: {SHARED} not found: HITRAN curves left out", file=sys.stderr)
    made = [figure_linear_vs_hitran("CO2"), figure_linear_vs_hitran("CO"),
            figure_temperature("CO2"), figure_temperature("CO"), figure_h2o_prism(),
            figure_h2o_vs_hitran()]
    for path in made:
        if path is not None:
            print(path.relative_to(REPO))


if __name__ == "__main__":
    main()
