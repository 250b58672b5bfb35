"""Every number of a set of default fits, saved from one checkout and compared with another's.

For a change that must leave results unchanged (e.g. fewer fits in the continuum choice):

    PYTHONPATH=<old checkout> python tests/compare_fit_results.py save /tmp/before.pkl
    PYTHONPATH=$PWD python tests/compare_fit_results.py save /tmp/after.pkl
    python tests/compare_fit_results.py compare /tmp/before.pkl /tmp/after.pkl

The fits: the real C/2017 K2 beam (CH4 + C2H6; CH4 alone; with 20 MC draws; without
geometry) and every fifth of its annuli (degrees raised, the polynomials win), the
independent generator's PRISM coma with a thermal dust continuum (the physical continuum
wins; also with 10 MC draws) and without it (the defaults stand), and the synthetic G395H and
PRISM spectra of ``benchmarks/fit_bench.py``. The K2 fits need ``../shared/data`` (left out
without it). ``compare`` prints each number that differs, its largest difference (absolute,
relative, and in σ where the result gives one) and every differing note, or "identical".
"""

import pickle
import sys
import warnings
from pathlib import Path

import astropy.units as u
import numpy as np

HERE = Path(__file__).resolve().parent
K2 = HERE.parents[1] / "shared" / "data" / "c2017k2-jwst-nirspec-ch4"


def numbers(fit):
    """Every field of a ComaFit by name (arrays copied)."""
    out = {"q_values": fit.q_values, "q_covariance": fit.q_covariance, "q_samples": fit.q_samples}
    for name, species in fit.species.items():
        out.update({f"{name}.{k}": v for k, v in vars(species).items()})
    out.update({f"info.{k}": v for k, v in fit.fit_info.items()})
    for i, comp in enumerate(fit.components):
        for k, v in vars(comp).items():
            out.update({f"component{i}.{k}.{kk}": vv for kk, vv in v.items()} if isinstance(v, dict)
                       else {f"component{i}.{k}": v})
    return {k: np.array(v) if isinstance(v, np.ndarray) else v for k, v in out.items()}


def _k2_cases():
    from comaspec.apertures import CircularAperture
    from comaspec.fit import fit_coma
    from comaspec.geometry import Geometry
    from comaspec.pipeline import load_inputs, spectra_to_fit
    from k2_reference import BEAM, annulus_files, fit_annulus

    if not (K2 / BEAM).is_file():
        return
    geometry, aperture = Geometry(2.34 * u.au, 2.04 * u.au), CircularAperture(0.75 * u.arcsec)
    spectra = spectra_to_fit(load_inputs([str(K2 / BEAM)]), aperture, None)
    yield "k2", lambda: fit_coma(spectra, geometry, aperture, ["CH4", "C2H6"])
    yield "k2 CH4", lambda: fit_coma(spectra, geometry, aperture, ["CH4"])
    yield "k2 mc", lambda: fit_coma(spectra, geometry, aperture, ["CH4", "C2H6"], mc=20, seed=3)
    yield "k2 no geometry", lambda: fit_coma(spectra, None, None, ["CH4", "C2H6"])
    for a in annulus_files(K2)[::5]:
        yield f"annulus {a.r_in:.1f}", lambda a=a: fit_annulus(a, "annulus")


def cases():
    """(name, fit function) of every case."""
    sys.path[:0] = [str(HERE), str(HERE.parent / "benchmarks")]
    from fit_bench import AP, GEO, Q, _spectra
    from test_no_wrong_answers import _fit, _thermal_spectrum

    from comaspec.fit import fit_coma

    yield from _k2_cases()
    for seed, thermal in ((1, 1e-16), (4, 0.0)):
        spectrum = _thermal_spectrum(seed, thermal=thermal)
        yield f"thermal seed {seed}", lambda s=spectrum: _fit(s)
    thermal = _thermal_spectrum(2)
    yield "thermal mc", lambda: _fit(thermal, mc=10, seed=1)
    for mode in ("G395H", "PRISM"):
        spectra = _spectra([mode])
        yield mode, lambda s=spectra: fit_coma(s, GEO, AP, list(Q))


def _difference(x, y):
    """(largest |x - y|, largest |x|) of two numbers or arrays (NaN where both are NaN: equal),
    or None when they are not numbers; inf when their shapes or NaN places differ."""
    try:
        a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    except (TypeError, ValueError):
        return None
    if a.shape != b.shape or not np.array_equal(np.isnan(a), np.isnan(b)):
        return np.inf, np.inf
    finite = ~np.isnan(a)
    if not finite.any():
        return 0.0, 0.0
    return float(np.max(np.abs(a[finite] - b[finite]))), float(np.max(np.abs(a[finite])))


def compare(before, after):
    """Print what differs between two saved sets of fits; returns the number of differences."""
    n = 0
    for case in before:
        if case not in after:
            print(f"{case}: missing")
            n += 1
            continue
        a, b = before[case], after[case]
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                print(f"{case}: {key} only in {'before' if key in a else 'after'}")
                n += 1
                continue
            diff = _difference(a[key], b[key])
            if diff is None:
                if repr(a[key]) != repr(b[key]):
                    print(f"{case}: {key} differs:\n  {a[key]!r}\n  {b[key]!r}")
                    n += 1
                continue
            if diff[0]:
                sigma = a.get(f"{key}_err")
                in_sigma = "" if _difference(sigma, sigma) is None or sigma is None else \
                    f" = {diff[0] / np.nanmin(np.abs(np.asarray(sigma, dtype=float))):.3g} sigma"
                print(f"{case}: {key} max |difference| {diff[0]:.3g} (relative {diff[0] / diff[1]:.3g}){in_sigma}")
                n += 1
    print("identical" if not n else f"{n} differences", f"({len(before)} fits)")
    return n


def main(argv):
    if len(argv) == 2 and argv[0] == "save":
        warnings.simplefilter("ignore")
        fits = {name: numbers(fn()) for name, fn in cases()}
        with open(argv[1], "wb") as f:
            pickle.dump(fits, f)
        print(f"{len(fits)} fits saved to {argv[1]}")
        return 0
    if len(argv) == 3 and argv[0] == "compare":
        with open(argv[1], "rb") as fa, open(argv[2], "rb") as fb:
            return 1 if compare(pickle.load(fa), pickle.load(fb)) else 0
    print(__doc__.split("\n\n")[1])
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
