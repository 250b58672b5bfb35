"""The tutorial "CO2/H2O from a NIRSpec PRISM spectrum", as a script.

Fits the bundled example and makes the figures of docs/tutorial.rst in
docs/_static/tutorial/. Run from the repository root:

    python examples/tutorial_prism.py
"""

import json
from pathlib import Path

import astropy.units as u
import numpy as np

import comaspec
from comaspec.io.header import aperture_from_header, geometry_from_header

OUT = Path(__file__).resolve().parents[1] / "docs" / "_static" / "tutorial"


def overview_figure(spec, fit, path):
    """The whole PRISM spectrum, with the fitted windows shaded and the bands marked."""
    import matplotlib.pyplot as plt

    from comaspec.plotting.fit import SPECIES_COLOURS
    from comaspec.plotting.style import figure_size, save_figure, use_style

    wl = spec.spectral_axis.to_value(u.um)
    mjy = spec.flux.to_value(u.mJy)
    with use_style():
        fig, ax = plt.subplots(figsize=figure_size("double", 0.35))
        ax.plot(wl, mjy, color="#444444", lw=0.8, drawstyle="steps-mid")
        for name, lo, hi, _deg in fit.fit_info["windows"]:
            ax.axvspan(lo, hi, color="#56B4E9", alpha=0.15, lw=0)
            ax.text(0.5 * (lo + hi), 1.0, f"window {name}", transform=ax.get_xaxis_transform(),
                    ha="center", va="bottom", fontsize=6)
        for name, centre in (("H2O", 2.70), ("CO2", 4.26), ("CO", 4.67)):
            ax.axvline(centre, color=SPECIES_COLOURS[name], lw=0.6, ls=":")
        ax.text(3.05, 0.05, "ice", transform=ax.get_xaxis_transform(), ha="center", fontsize=6)
        ax.set_xlabel("wavelength (µm)")
        ax.set_ylabel("flux density (mJy)")
        ax.set_xlim(wl[0], wl[-1])
        save_figure(fig, path)
    plt.close(fig)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    path = comaspec.example_path()
    spec = comaspec.read_spectrum(path)
    header = spec.meta["primary_header"]
    geometry = geometry_from_header(header)
    aperture = aperture_from_header(header)
    print(geometry, aperture.describe(geometry))

    fit = comaspec.fit_coma(spec, geometry, aperture, species=["CO2", "H2O", "CO"])
    print(fit.summary())
    print(fit.production_rates)
    (OUT / "example_summary.txt").write_text(fit.summary() + "\n")
    # what `comaspec ratio --example --json` prints, with the installation path shortened
    d = fit.to_dict()
    d["input"]["paths"] = [f".../comaspec/data/example/{path.name}"]
    (OUT / "example.json").write_text(json.dumps(d, indent=2) + "\n")

    overview_figure(spec, fit, OUT / "example_spectrum.png")
    fig = fit.plot(OUT / "example_fit.png")
    import matplotlib.pyplot as plt

    plt.close(fig)

    # the same with 200 noise refits for the interval
    mc = comaspec.fit_coma(spec, geometry, aperture, species=["CO2", "H2O", "CO"], mc=200, seed=1)
    ratio = mc.ratio("CO2", "H2O")
    (OUT / "example_mc.txt").write_text(str(ratio) + "\n")
    print(ratio)
    from comaspec.plotting.compare import save_fit_comparison

    # what `comaspec ratio --example --compare FIG` draws: each ratio the fit gives
    save_fit_comparison(fit, geometry, OUT / "example_compare.png")
    samples = mc.q_samples[:, 0] / mc.q_samples[:, 1]
    print(f"MC refits: median {np.median(samples):.2f}, 68 % [{ratio.value - ratio.err_lo:.2f}, "
          f"{ratio.value + ratio.err_hi:.2f}]")


if __name__ == "__main__":
    main()
