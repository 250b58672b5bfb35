"""Speed of comaspec's Haser rectangle integral against sbpy's ``RectangularAperture``.

Both integrate the same parent-only Haser column density over the same rectangle in the
same process. sbpy uses scipy ``dblquad`` (default tolerance 1.49e-8); comaspec uses the
boundary integral of docs/haser.rst. The script checks that the two agree to the accuracy
goal (1e-6 relative) before it prints the time of each and their ratio (goal ≥ 100).

Run: ``python benchmarks/haser_bench.py``
"""

import timeit
import warnings

import astropy.units as u
import numpy as np

from comaspec.physics import haser

warnings.simplefilter("ignore")  # sbpy emits deprecation/citation chatter

Q = 1e27  # 1/s
V = 0.5  # km/s
TAU = 5e5 * 3.32**2  # s (CO2-like, at 3.32 au)
# A NIRSpec-IFU-sized box at Δ = 2.6 au (≈ 1886 km per arcsec): 3" × 3", and a long slit.
CASES = {"3x3 arcsec IFU box": (5657.0, 5657.0), "0.2x3 arcsec slit": (377.0, 5657.0),
         "60x60 arcsec box": (113140.0, 113140.0)}


def _best_of(fn, repeat=5):
    """Best per-call time (s) over ``repeat`` timing runs."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number


def main():
    from sbpy.activity import Haser, RectangularAperture

    coma = Haser(Q / u.s, V * u.km / u.s, V * TAU * u.km)
    print(f"{'case':22s} {'rel. diff':>10s} {'comaspec':>12s} {'sbpy':>12s} {'ratio':>8s}")
    ratios = []
    for name, (w, h) in CASES.items():
        aper = RectangularAperture([w, h] * u.km)
        n_sbpy = float(coma.total_number(aper))
        n_ours = float(haser.number_rectangle(w, h, Q, V, TAU))
        rel = abs(n_ours / n_sbpy - 1)
        if rel > 1e-6:
            raise SystemExit(f"{name}: results differ by {rel:.2e} (> 1e-6); timing would be meaningless")
        t_ours = _best_of(lambda: haser.number_rectangle(w, h, Q, V, TAU))
        t_sbpy = _best_of(lambda: coma.total_number(aper), repeat=3)
        ratios.append(t_sbpy / t_ours)
        print(f"{name:22s} {rel:10.1e} {t_ours * 1e6:10.1f}us {t_sbpy * 1e3:10.2f}ms {t_sbpy / t_ours:8.0f}")
    # Vectorised use (e.g. many apertures or a curve of growth): 100 rectangles in one call.
    sizes = np.geomspace(100.0, 1e5, 100)
    t_vec = _best_of(lambda: haser.number_rectangle(sizes, sizes, Q, V, TAU)) / sizes.size
    print(f"vectorised, per rectangle (100 per call): {t_vec * 1e6:.1f} us")
    print(f"speed ratio sbpy / comaspec (worst case): {min(ratios):.0f}x  (goal >= 100x)")


if __name__ == "__main__":
    main()
