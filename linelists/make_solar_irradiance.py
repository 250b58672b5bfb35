"""Write ``solar_irradiance.ecsv``: the solar spectral irradiance at 1 au, 1.3-6.6 µm.

Source: the ASTM E490-00a (2014) air-mass-zero reference solar spectrum (ASTM 2000, Standard
Solar Constant and Air Mass Zero Solar Spectral Irradiance Tables, Standard E490-00a,
American Society for Testing and Materials; doi:10.1520/E0490), Table 3, as distributed
with sbpy (``sbpy/calib/data/e490-00a_2014_hires.csv``, solar constant 1366.1 W m^-2).

E490 tabulates the irradiance averaged over a small bandwidth: 0.002 µm steps below 2.5 µm,
0.02 µm to 5 µm, 0.05 µm beyond.  At that resolution it is the solar continuum; the
photospheric absorption lines (e.g. the solar CO 1-0 lines near 4.6 µm) are not resolved,
so fluorescence pumped through them (the Swings effect) is not modelled.

Only the points needed by the pumping calculation are kept: every E490 sample at 0.02 µm
spacing (or coarser) between 1.30 and 6.60 µm.  tests/test_fluorescence.py checks the
shipped table against sbpy's copy of the full file.

Usage: python linelists/make_solar_irradiance.py  (rewrites linelists/solar_irradiance.ecsv)
"""

from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "solar_irradiance.ecsv"
RANGE_UM = (1.30, 6.60)   # 1.30-1.46 µm: the H2O 1.38 µm pump of the cascade
STEP_UM = 0.02


def e490_path():
    """Path of sbpy's copy of the E490-00a (2014) Table 3 spectrum."""
    import sbpy.calib

    return Path(sbpy.calib.__file__).resolve().parent / "data" / "e490-00a_2014_hires.csv"


def read_e490(path=None):
    """(wavelength µm, irradiance W m^-2 µm^-1) of the full E490 table."""
    from astropy.table import Table

    table = Table.read(path or e490_path(), format="ascii.ecsv")
    return (np.asarray(table["wavelength"], dtype=float),
            np.asarray(table["spectral irradiance"], dtype=float))


def select(wave, flux):
    """Samples within RANGE_UM on a grid no finer than STEP_UM."""
    inside = (wave >= RANGE_UM[0] - 1e-9) & (wave <= RANGE_UM[1] + 1e-9)
    ratio = wave / STEP_UM
    on_grid = np.abs(ratio - np.round(ratio)) < 1e-6
    coarse = np.r_[True, np.diff(wave) >= STEP_UM - 1e-9]
    keep = inside & (on_grid | coarse)
    return wave[keep], flux[keep]


def build():
    """Return the table written to ``solar_irradiance.ecsv``."""
    from astropy.table import Column, Table

    wave, flux = select(*read_e490())
    table = Table([Column(wave, name="wavelength", unit="um"),
                   Column(flux, name="irradiance", unit="W / (m2 um)")])
    table.meta["description"] = (
        "Solar spectral irradiance at 1 au (air mass zero), averaged over a small bandwidth at "
        "each wavelength; every sample at >= 0.02 um spacing between 1.30 and 6.60 um.")
    table.meta["reference"] = (
        "ASTM 2000 (2014 edition), Standard Solar Constant and Air Mass Zero Solar Spectral "
        "Irradiance Tables, Standard E490-00a, Table 3, doi:10.1520/E0490; read in the copy "
        "distributed with sbpy (sbpy/calib/data/e490-00a_2014_hires.csv)")
    table.meta["made_by"] = "linelists/make_solar_irradiance.py"
    table.meta["not_resolved"] = ("solar photospheric absorption lines (no Swings effect): "
                                  "E490 is a continuum at this sampling")
    return table


def main():
    build().write(OUT, format="ascii.ecsv", overwrite=True)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
