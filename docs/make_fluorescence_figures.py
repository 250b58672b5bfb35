"""Make the validation figures of the emission-model page (docs/_static/fluorescence/*.png).

Run from the repository root (not in CI)::

    python docs/make_fluorescence_figures.py

Figures:

* ``h2o_templates.png`` / ``co2_templates.png``: band templates (unit area) in fluorescence
  equilibrium (comaspec's default) and with the thermal upper state (``emission="thermal"``)
  at T_rot = 15, 25, 40, 80 K, at PRISM and at grating resolution (H2O 2.7 um: G235H, the
  grating that covers it; CO2 4.3 um: G395H), with the independent reference of
  ``tests/fluorescence_reference.py`` (HITRAN + E490; H2O: its radiative cascade with nu3,
  nu1 and both hot bands, ``h2o_cascade_g_factors``, (011) pumped like (001)) drawn on top;
* ``gfactors_published.png``: comaspec's line g-factors against Villanueva et al. 2011
  (Icarus 216, 227, Table 2): CO v=1-0 at 80 K and H2O (001)/(100) -> (010) at 79 K;
* ``gfactors_reference.png``: comaspec / reference for the strong lines of CO2 nu3, CO 1-0
  and H2O nu3 at 20, 50, 80 K.

The reference and the published values are read from ``../shared/data`` (never copied
into the repository); without those files the script stops and says so.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from comaspec import fluorescence, instrument, templates  # noqa: E402
from comaspec.plotting.style import save_figure  # noqa: E402
from comaspec.synthetic import wavelength_grid  # noqa: E402

OUT = REPO / "docs" / "_static" / "fluorescence"
T_GRID = (15.0, 25.0, 40.0, 80.0)
COLOURS = ("#1f77b4", "#2ca02c", "#ff7f0e", "#d62728")
H2O_27_BANDS = ("nu3", "nu1", "nu1+nu3-nu1", "nu2+nu3-nu2")
PANELS = {
    "H2O": {"range": (2.55, 2.85), "zoom": (2.655, 2.725), "ref_cm": (3300.0, 4000.0), "modes": ("PRISM", "G235H")},
    "CO2": {"range": (4.20, 4.35), "zoom": (4.23, 4.31), "ref_cm": (2200.0, 2420.0), "modes": ("PRISM", "G395H")},
}


def _save(fig, name):
    path = save_figure(fig, OUT / name, dpi=110)
    plt.close(fig)
    return path


def _reference():
    try:
        import fluorescence_reference as ref
    except ImportError as exc:  # pragma: no cover - run by hand
        sys.exit(f"make_fluorescence_figures: cannot import tests/fluorescence_reference.py ({exc})")
    for path in (ref.CSV_DIR, ref.PAR_DIR, ref.VILLANUEVA_CSV):
        if not Path(path).exists():
            sys.exit(f"make_fluorescence_figures: {path} is missing (../shared/data); nothing drawn")
    return ref


def _h2o_feature_weights(T, emission):
    """Energy share of each 2.7 um band in comaspec's model (band g x band centre)."""
    from comaspec.physics import molecules

    if emission == "fluorescence":
        g = {b: fluorescence.band_g_factor("H2O", b, T).value for b in H2O_27_BANDS}
    else:
        g = {b: molecules.get_band("H2O", b).g_1au for b in H2O_27_BANDS}
    e = {b: g[b] * molecules.get_band("H2O", b).center_cm for b in H2O_27_BANDS}
    total = sum(e.values())
    return {b: v / total for b, v in e.items()}


def _comaspec_profile(species, wl, T, lsf, emission):
    if species == "CO2":
        return templates.band_profile("CO2", "nu3", wl, T, lsf, emission=emission)
    w = _h2o_feature_weights(T, emission)
    return sum(w[b] * templates.band_profile("H2O", b, wl, T, lsf, emission=emission) for b in H2O_27_BANDS)


def _reference_profile(ref, species, wl, T, lsf):
    if species == "H2O":
        # the cascade reference: nu3, nu1 and both hot bands (tests/test_h2o_hot_bands.py)
        from test_h2o_hot_bands import feature_reference

        nu, g = feature_reference(T)
    else:
        lo, hi = PANELS[species]["ref_cm"]
        nu, g = ref.sticks(species, T, lo_cm=lo, hi_cm=hi)
    return ref.band_spectrum(wl, nu, g, 1.0, lsf)


def figure_templates(ref, species):
    spec = PANELS[species]
    modes = spec["modes"]
    fig, axes = plt.subplots(len(modes), len(T_GRID), figsize=(12, 6), squeeze=False)
    for r, mode in enumerate(modes):
        lsf = instrument.make_lsf(mode)
        # the whole band at PRISM; its core at grating resolution, where lines separate
        wl = wavelength_grid(mode, *spec["range" if r == 0 else "zoom"])
        for c, (T, colour) in enumerate(zip(T_GRID, COLOURS)):
            ax = axes[r, c]
            ax.plot(wl, _comaspec_profile(species, wl, T, lsf, "thermal"), color="0.6", lw=0.8,
                    label="thermal upper state (comaspec, emission='thermal')", zorder=1)
            ax.plot(wl, _comaspec_profile(species, wl, T, lsf, "fluorescence"), color=colour, lw=1.2,
                    label="fluorescence equilibrium (comaspec default)", zorder=2)
            ax.plot(wl, _reference_profile(ref, species, wl, T, lsf), color="k", lw=0.7, ls=":",
                    label="independent reference (HITRAN + E490" + (", radiative cascade)"
                                                                     if species == "H2O" else ")"), zorder=3)
            ax.set_title(f"{mode}, T_rot = {T:g} K", fontsize=9)
            if r == len(modes) - 1:
                ax.set_xlabel("wavelength (µm)")
            if c == 0:
                ax.set_ylabel("unit-area profile (µm$^{-1}$)")
            ax.tick_params(labelsize=8)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    label = "H2O 2.7 µm complex" if species == "H2O" else "CO2 ν3 4.26 µm"
    fig.suptitle(f"{label}: fluorescence equilibrium vs thermal upper state (unit-area templates)", fontsize=11)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return _save(fig, f"{species.lower()}_templates.png")


def _published(ref, species, bands=None):
    t = ref.villanueva_table()
    t = t[t["species"] == species]
    if bands:
        t = t[np.isin(np.asarray(t["band"]).astype(str), bands)]
    return t


def figure_published(ref):
    fig, ax = plt.subplots(figsize=(5.5, 5))
    cases = (("CO", 80.0, None, "o", "CO v=1-0, 80 K"),
             ("H2O", 79.0, ("(001)-(010)", "(100)-(010)"), "s", "H2O (001)/(100)→(010), 79 K"))
    lo, hi = np.inf, 0.0
    for species, T, bands, marker, label in cases:
        pub = _published(ref, species, bands)
        table = fluorescence.line_g_factors(species, T)
        names = np.asarray(table["line"]).astype(str)
        band = np.asarray(table["band"]).astype(str)
        x, y = [], []
        for row in pub:
            hit = np.flatnonzero((names == row["line"]) & ((band == "1-0") if species == "CO" else True))
            if hit.size == 1:
                x.append(row["g"])
                y.append(table["g"][hit[0]].value)
                ax.annotate(row["line"], (x[-1], y[-1]), fontsize=6, xytext=(3, -8), textcoords="offset points")
        ax.plot(x, y, marker, label=label + " (comaspec)", ms=6, mfc="none")
        if species == "CO":
            lines = ref.load_lines("CO")
            nu, g = ref.line_g_factors("CO", T)
            xr = [r["g"] for r in pub]
            yr = [g[np.flatnonzero((lines.label == r["line"]) & (lines.v_up == 1))[0]] for r in pub]
            ax.plot(xr, yr, "x", color="k", label="CO, independent reference")
        lo, hi = min(lo, *x), max(hi, *x)
    span = np.array([lo / 2, hi * 2])
    ax.plot(span, span, color="0.5", lw=0.8)
    ax.fill_between(span, span * 0.75, span * 1.25, color="0.9", label="±25 %")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("published g (Villanueva et al. 2011), s$^{-1}$ at 1 au")
    ax.set_ylabel("computed g, s$^{-1}$ at 1 au")
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return _save(fig, "gfactors_published.png")


def figure_reference(ref):
    import test_fluorescence_validation as validation

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), sharey=True)
    for ax, (species, band) in zip(axes, (("CO2", "nu3"), ("CO", "1-0"), ("H2O", "nu3"))):
        for T, colour in zip((20.0, 50.0, 80.0), COLOURS[1:]):
            table, g_c, g_r, _ = validation._matched(species, band, T)
            ok = np.isfinite(g_r)
            nu = table["wavenumber"].value[ok]
            ax.plot(nu, g_c[ok] / g_r[ok], "o", ms=4, color=colour, label=f"{T:g} K")
        ax.axhline(1.0, color="0.5", lw=0.8)
        ax.set_title(f"{species} {band}: lines ≥ 5 % of the strongest", fontsize=9)
        ax.set_xlabel("wavenumber (cm$^{-1}$)")
    axes[0].set_ylabel("g comaspec / g reference")
    axes[0].legend(fontsize=8, loc="lower right")
    notes = ("comaspec's line list has no Herman-Wallis factor",
             "reference: HITRAN2016-era .par A, 2.0 % above HITRAN2020",
             "reference has no (001)→(010) channel\n(comaspec sends the cited 2.6 % there)")
    for ax, note in zip(axes, notes):
        ax.text(0.02, 0.97, note, transform=ax.transAxes, fontsize=7, va="top")
    fig.tight_layout()
    return _save(fig, "gfactors_reference.png")


def main():
    ref = _reference()
    OUT.mkdir(parents=True, exist_ok=True)
    only = sys.argv[1:]          # e.g. "h2o_templates": make only that figure
    makers = {"h2o_templates": lambda: figure_templates(ref, "H2O"),
              "co2_templates": lambda: figure_templates(ref, "CO2"),
              "gfactors_published": lambda: figure_published(ref), "gfactors_reference": lambda: figure_reference(ref)}
    for path in (make() for name, make in makers.items() if not only or name in only):
        print(f"wrote {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
