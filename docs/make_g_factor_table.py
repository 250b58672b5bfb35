"""Generate the table of published and computed band g-factors (docs/_generated/g_factors.inc)
and the range of the Swings effect at 3I/ATLAS-like velocities (docs/_generated/swings_range.inc).

    python docs/make_g_factor_table.py

``docs/conf.py`` runs it at every Sphinx build, so the numbers on :doc:`emission` are those
of the code (``comaspec.physics.fluorescence.band_g_factor``) and of ``linelists/bands.ecsv``.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))

from comaspec.errors import InputError  # noqa: E402
from comaspec.physics import fluorescence, molecules  # noqa: E402

GENERATED = DOCS / "_generated"
TEMPERATURES_K = (20.0, 50.0, 100.0)
HEADER = ("band", "published", "computed 20 K", "50 K", "100 K", "computed / published",
          "50 K, Meftah 2023 at rest")


def _computed(species, band, T, **sun):
    try:
        return fluorescence.band_g_factor(species, band, T, **sun).to_value("1/s")
    except InputError:
        return None


def _published_text(value, source):
    """The published value and its key in linelists/bands.ecsv (FLU: none published, the model's 50 K value)."""
    if value is None:
        return "none"
    return f"{value:.3e} (" + ("none published: computed, 50 K" if source == "FLU" else source) + ")"


def rows():
    """One row of text cells per band of every species."""
    out = []
    for species in molecules.SPECIES:
        for feature in molecules.features_of(species):
            for b in molecules.bands_of(species, feature):
                computed = [_computed(species, b.band, T) for T in TEMPERATURES_K]
                if all(g is None for g in computed):
                    continue
                published = b.g_1au if b.g_1au == b.g_1au else None
                ratio = "—"
                if published is not None:
                    lo, hi = (min(g / published for g in computed), max(g / published for g in computed))
                    ratio = f"{lo:.2f}" if f"{lo:.2f}" == f"{hi:.2f}" else f"{lo:.2f}–{hi:.2f}"
                meftah = _computed(species, b.band, 50.0, solar="meftah2023", rdot=0.0)
                out.append((f"{species} {b.band}",
                            _published_text(published, b.g_source),
                            *(f"{g:.3e}" for g in computed), ratio, f"{meftah:.3e}"))
    return out


#: Heliocentric radial velocities of a hyperbolic comet away from perihelion, km/s (5 km/s steps).
SWINGS_VELOCITIES = tuple(range(-60, -19, 5)) + tuple(range(20, 61, 5))
SWINGS_BANDS = (("CO", "1-0"), ("CO2", "nu3"), ("H2O", "nu3"), ("H2O", "nu1"))
#: Velocities of the table's single columns, km/s.
SWINGS_COLUMNS = (-60, -30, 0, 30, 60)
SWINGS_HEADER = ("band (50 K)", "−60 km/s", "−30", "0", "+30", "+60", "range over ±20 to ±60")


def swings_rows(T=50.0):
    """Band g with Meftah et al. 2023 over E490's at `SWINGS_COLUMNS`, and the range over
    `SWINGS_VELOCITIES`."""
    out = []
    for species, band in SWINGS_BANDS:
        e490 = _computed(species, band, T)
        ratios = [_computed(species, band, T, solar="meftah2023", rdot=v) / e490 for v in SWINGS_VELOCITIES]
        columns = [_computed(species, band, T, solar="meftah2023", rdot=v) / e490 for v in SWINGS_COLUMNS]
        out.append((f"{species} {band}", *(f"{r:.3f}" for r in columns), f"{min(ratios):.3f}–{max(ratios):.3f}"))
    return out


def table_text(rows_=None, header=HEADER):
    """The rst list-table (default: the g-factor table)."""
    lines = [".. list-table::", "   :header-rows: 1", ""]
    for row in (header, *(rows() if rows_ is None else rows_)):
        lines.append(f"   * - {row[0]}")
        lines.extend(f"     - {cell}" for cell in row[1:])
    return "\n".join(lines) + "\n"


def main(argv=None):
    GENERATED.mkdir(exist_ok=True)
    (GENERATED / "g_factors.inc").write_text(table_text(), encoding="utf-8")
    swings = table_text(swings_rows(), SWINGS_HEADER)
    (GENERATED / "swings_range.inc").write_text(swings, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
