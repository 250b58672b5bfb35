"""Build ``solar_meftah2023.ecsv``: the high-resolution solar spectrum at the pump wavelengths.

Source: Meftah, M.; Sarkissian, A.; Keckhut, P.; Hauchecorne, A. 2023, Remote Sensing 15,
3560 (MPS-ATLAS/Kurucz LATMOS spectrum), in the three windows of
``../shared/data/solar-spectrum-meftah2023`` (1300-1460, 2500-3600, 4000-5000 nm; column 1
wavelength in nm, column 2 irradiance at 1 au in W m^-2 nm^-1). It resolves the solar
Fraunhofer lines, so that fluorescence can be pumped with the solar flux Doppler-shifted
by the comet's heliocentric radial velocity (the Swings effect).

**Air or vacuum.** The file does not say. `co_line_offset` finds the minimum of the spectrum
within +-2 nm of each strong HITRAN CO 1-0 line (vacuum wavenumbers; HITRAN2016 .par in
``../shared/data/hitran-co2-co-radis``): the median offset is -0.010 nm (-0.65 km/s) over 47
lines, where air wavelengths would sit at lambda_vac / n, about -1.25 nm (n - 1 = 2.7e-4 in
the infrared; Ciddor 1996, Appl. Opt. 35, 1566). The wavelengths are **vacuum**.

**Size.** The table keeps the fewest samples whose linear interpolation reproduces every
sample of the windows within `TOLERANCE` (relative): a greedy piecewise-linear
simplification. ``tests/test_solar_spectrum.py`` checks the table against the shared files.

Run::

    python linelists/build_solar_meftah.py [SHARED_DATA_DIR]   # default ../shared/data
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUTPUT = "solar_meftah2023.ecsv"
FOLDER = "solar-spectrum-meftah2023"
WINDOWS = ("meftah2023_solar_1300-1460nm.txt", "meftah2023_solar_2500-3600nm.txt",
           "meftah2023_solar_4000-5000nm.txt")
TOLERANCE = 0.003
REFERENCE = ("Meftah, M.; Sarkissian, A.; Keckhut, P.; Hauchecorne, A. 2023, Remote Sensing 15, 3560 "
             "(MPS-ATLAS/Kurucz LATMOS solar spectrum), as distributed in the cometspec 0.1.1 wheel")


def read_window(path):
    """(wavelength nm, irradiance W m^-2 nm^-1) of one shared window file."""
    data = np.loadtxt(path)
    return data[:, 0], data[:, 1]


def _within(x, y, a, e, tol):
    seg = slice(a, e + 1)
    line = y[a] + (y[e] - y[a]) * (x[seg] - x[a]) / (x[e] - x[a])
    return bool(np.all(np.abs(line - y[seg]) <= tol * np.abs(y[seg])))


def simplify(x, y, tol=TOLERANCE):
    """Indices of the samples kept: from each kept sample, the farthest next one (exponential,
    then binary search) such that the straight line between them stays within ``tol``."""
    keep, a, n = [0], 0, len(x)
    while a < n - 1:
        step, good = 1, a + 1
        while True:
            e = min(a + step, n - 1)
            if not _within(x, y, a, e, tol):
                break
            good = e
            if e == n - 1:
                break
            step *= 2
        lo, hi = good, min(a + step, n - 1)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if _within(x, y, a, mid, tol) else (lo, mid)
        keep.append(lo)
        a = lo
    return np.array(keep)


def co_line_offset(shared):
    """(median offset nm, median offset km/s, number of lines) of the solar CO 1-0 lines
    in the 4000-5000 nm window from HITRAN's vacuum positions."""
    path = shared / "hitran-co2-co-radis" / "hitran_co_3iso_2000_2300cm.par"
    nu = []
    for line in path.read_text().splitlines():
        if len(line) >= 160 and line[:3] == " 51" and float(line[15:25]) > 1e-20 and line[67:82].split() == ["1"]:
            nu.append(float(line[3:15]))
    wave, flux = read_window(shared / FOLDER / WINDOWS[2])
    offsets = []
    for lam in 1e7 / np.array(nu):
        near = (wave > lam - 2) & (wave < lam + 2)
        offsets.append(wave[near][np.argmin(flux[near])] - lam)
    offsets = np.array(offsets)
    kms = offsets / (1e7 / np.array(nu)) * 299792.458
    return float(np.median(offsets)), float(np.median(kms)), len(nu)


def build(shared):
    """The table written to ``solar_meftah2023.ecsv``."""
    from astropy.table import Column, Table

    waves, fluxes = [], []
    for name in WINDOWS:
        wave, flux = read_window(shared / FOLDER / name)
        keep = simplify(wave, flux)
        waves.append(wave[keep])
        fluxes.append(flux[keep])
    offset_nm, offset_kms, n_lines = co_line_offset(shared)
    table = Table([Column(np.concatenate(waves), name="wavelength", unit="nm"),
                   Column(np.concatenate(fluxes), name="irradiance", unit="W / (m2 nm)")])
    table.meta.update(
        description="Solar spectral irradiance at 1 au, vacuum wavelengths, windows 1300-1460, "
                    f"2500-3600, 4000-5000 nm; the fewest samples whose linear interpolation "
                    f"reproduces the source within {TOLERANCE:.1%}",
        windows_nm=[[1300.0, 1460.0], [2500.0, 3600.0], [4000.0, 5000.0]],
        vacuum=f"solar CO 1-0 lines at {offset_nm:+.4f} nm ({offset_kms:+.2f} km/s, median of {n_lines}) "
               "from HITRAN vacuum positions; air would be about -1.25 nm",
        reference=REFERENCE, made_by="linelists/build_solar_meftah.py")
    return table


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    shared = Path(argv[0]) if argv else HERE.parent.parent / "shared" / "data"
    table = build(shared)
    table.write(HERE / OUTPUT, format="ascii.ecsv", overwrite=True)
    print(f"{OUTPUT}: {len(table)} samples; {table.meta['vacuum']}")


if __name__ == "__main__":
    main()
