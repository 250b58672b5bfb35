"""Speed of GaussianLSF.integrate_lines against a naive dense evaluation (same process).

The naive baseline evaluates the normal CDF at every (pixel edge, line) pair, i.e. the same
exact pixel integration without the ±6σ windowing. Run:

    python benchmarks/lsf_bench.py

and read the printed times and ratio; the goal is ~1000 lines × ~1000 pixels well under 10 ms.
"""

import time

import numpy as np
from scipy.special import ndtr

from comaspec.physics.instrument import GaussianLSF, pixel_edges


def naive(lsf, lines, weights, edges):
    """Dense reference: Φ at all edges for all lines (memory n_edges × n_lines)."""
    sigma = lsf.sigma_um(lines)
    cdf = ndtr((edges[:, None] - lines[None, :]) / sigma[None, :])
    return (np.diff(cdf, axis=0) @ weights) / np.diff(edges)


def best_of(func, repeat=7):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    rng = np.random.default_rng(42)
    cases = [
        ("PRISM, 1000 lines x 1000 px", "PRISM", (2.5, 5.3), 1000, 1000),
        ("G395H, 1000 lines x 1000 px", "G395H", (4.1, 4.45), 1000, 1000),
        ("G395M, 3000 lines x 2000 px", "G395M", (3.9, 4.9), 3000, 2000),
    ]
    print(f"{'case':34s} {'windowed ms':>12s} {'dense ms':>10s} {'ratio':>7s} {'max |diff|/max':>15s}")
    for label, mode, (lo, hi), n_lines, n_pix in cases:
        wave = np.linspace(lo, hi, n_pix)
        edges = pixel_edges(wave)
        lines = rng.uniform(lo + 0.05 * (hi - lo), hi - 0.05 * (hi - lo), n_lines)
        weights = rng.uniform(0.0, 1.0, n_lines)
        lsf = GaussianLSF(mode)
        fast = lsf.integrate_lines(lines, weights, edges)
        dense = naive(lsf, lines, weights, edges)
        t_fast = best_of(lambda: lsf.integrate_lines(lines, weights, edges))
        t_dense = best_of(lambda: naive(lsf, lines, weights, edges))
        diff = np.max(np.abs(fast - dense)) / np.max(dense)
        print(f"{label:34s} {1e3 * t_fast:12.2f} {1e3 * t_dense:10.2f} {t_dense / t_fast:7.1f} {diff:15.1e}")


if __name__ == "__main__":
    main()
