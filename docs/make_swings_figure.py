"""Make ``docs/_static/fluorescence/swings.png``: band and line g-factors against heliocentric
radial velocity with the Meftah et al. 2023 solar spectrum (the Swings effect), relative to
the smooth E490 continuum, at T_rot = 50 K.

Run from the repository root (not in CI)::

    python docs/make_swings_figure.py

Prints the ratios at -60, -30, 0, +30, +60 km/s (the numbers quoted in docs/emission.rst).
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from comaspec.physics import fluorescence  # noqa: E402
from comaspec.plotting.style import save_figure  # noqa: E402

OUT = REPO / "docs" / "_static" / "fluorescence"
T_ROT = 50.0
VELOCITIES = np.arange(-60.0, 61.0, 2.0)
BANDS = (("CO", "1-0"), ("CO2", "nu3"), ("H2O", "nu3"), ("H2O", "nu1"))
# CO lines drawn; the H2O line most sensitive to rdot is found among the strongest nu3 lines
LINES = (("CO", "R1"), ("CO", "P2"))


def _band_curves():
    out = {}
    for species, band in BANDS:
        e490 = fluorescence.band_g_factor(species, band, T_ROT).value
        out[f"{species} {band}"] = np.array([
            fluorescence.band_g_factor(species, band, T_ROT, solar="meftah2023", rdot=v).value / e490
            for v in VELOCITIES])
    return out


def _line_curves():
    tables = {}
    for v in VELOCITIES:
        for species in ("CO", "H2O"):
            t = fluorescence.line_g_factors(species, T_ROT, solar="meftah2023", rdot=v)
            tables.setdefault(species, []).append(t)
    out = {}
    for species, line in LINES:
        g = np.array([t["g"][t["line"] == line][0].value for t in tables[species]])
        out[f"{species} {line}"] = g / g[VELOCITIES.size // 2]
    # H2O: among the 20 strongest nu3 lines at rest, the one whose g moves most
    h2o = tables["H2O"]
    rest = h2o[VELOCITIES.size // 2]
    nu3 = rest[rest["band"] == "nu3"]
    strong = nu3["line"][np.argsort(-nu3["g"].value)[:20]]
    curves = {s: np.array([t["g"][t["line"] == s][0].value for t in h2o]) for s in strong}
    worst = max(curves, key=lambda s: np.ptp(curves[s]) / curves[s].mean())
    out[f"H2O {worst}"] = curves[worst] / curves[worst][VELOCITIES.size // 2]
    return out


def main():
    bands, lines = _band_curves(), _line_curves()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharex=True)
    for name, y in bands.items():
        axes[0].plot(VELOCITIES, y, label=name)
    axes[0].set_ylabel("band g (Meftah 2023) / band g (E490)")
    for name, y in lines.items():
        axes[1].plot(VELOCITIES, y, label=name)
    axes[1].set_ylabel("line g / line g at rdot = 0")
    for ax in axes:
        ax.set_xlabel("heliocentric radial velocity (km/s)")
        ax.axhline(1.0, color="grey", lw=0.5)
        ax.legend(fontsize=8)
    fig.suptitle(f"Swings effect at T_rot = {T_ROT:g} K")
    save_figure(fig, OUT / "swings.png", dpi=110)
    plt.close(fig)
    pick = [np.flatnonzero(VELOCITIES == v)[0] for v in (-60, -30, 0, 30, 60)]
    for name, y in {**bands, **lines}.items():
        print(f"{name:32s}", " ".join(f"{y[i]:.3f}" for i in pick))


if __name__ == "__main__":
    main()
