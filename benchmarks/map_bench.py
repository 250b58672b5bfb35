"""`comaspec.map_cube` against looping `comaspec.fit_coma` over the same spaxels.

For two synthetic cubes — a 40×40 NIRSpec PRISM cube and a 100×100 G395H cube (3752
channels, more than the 3000 of the goal) — the script prints:

- the wall time of ``map_cube`` (T_rot held at 50 K, shift 0: photocentre, aperture
  spectrum, building the model and the batched solve of every spaxel), the median of three
  calls after the first (so that the band templates are cached, as they are for the loop;
  the first call is printed too), and, separately, of its batched solve alone;
- the time per spaxel of ``fit_coma`` on single-spaxel spectra (`comaspec.SpaxelMask`) at the
  same nonlinear parameters (T_rot = 50 K, ``fit_shift=False``), timed on a random subset of
  spaxels and **extrapolated** to the whole cube (the spectra are extracted outside the
  timing, which favours the loop); slices of the loop alternate with the map calls so
  that the load of a shared machine hits both alike;
- the ratio of the two (goal ≥ 300×) and the largest |Δflux|/σ over the subset (goal < 1e-3);
- reading: fresh processes read a G395H cube of 100x100 and of 200x200 spaxels (the 100x100
  one tiled 2 x 2) and map it, or extract the 0.5" aperture and fit it as ``comaspec ratio``
  does without ``--species``, once reading only the channels of the fit windows (as
  ``map_cube(path)`` and ``comaspec ratio`` do) and once every channel (the baseline), the DQ
  flags folded into the mask and not held (``keep_dq=False``, as both do); each prints the
  read time, its ratio to the map's batched solve (or to extraction + fit), and the peak
  resident memory of the process in GB to 1 MB: ``VmHWM`` from /proc/self/status, the
  high-water mark of the process's own memory. (``ru_maxrss`` is not used: Linux carries it
  over from the parent through fork and exec, so it reported this script's own 1.9 GB.)
  Goals on 200x200: read <= 3x the map solve, peak <= 1.5 GB;
- ``comaspec info`` on the 200x200 cube, in fresh processes: the cube scanned a block of
  channels at a time (``comaspec.io.read_summary``, as the command does) and, as the
  baseline, read whole (``read_any``, as it did), then summarised: the time and peak of each
  and their ratios, and the peak against that of ``map`` on the same cube. Goal: a peak no
  higher than the map's.

Run:  python benchmarks/map_bench.py [--subset N] [--reading-only] [--info-only] [--quiet]
(``--quiet``: no progress bar; none is shown either when stderr is not a terminal).
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import astropy.units as u
import numpy as np

FLAM = u.W / u.m**2 / u.um
SPECIES = ("CO2", "H2O", "CO")
TRUTH = {"CO2": 1.7e27, "H2O": 2.2e26, "CO": 5e26}
T_ROT = 50.0
#: map runs alternating with slices of the fit_coma loop
REPEATS = 3

_CHILD_SCRIPT = """
import json, resource, sys, time, warnings


def _peak_mb():
    try:
        with open("/proc/self/status") as status:
            return next(float(line.split()[1]) / 1024.0 for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):   # not Linux: ru_maxrss (may include the parent's peak)
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

warnings.simplefilter("ignore")
import astropy.units as u
import comaspec
from comaspec import _progress
from comaspec.model.continuum import window_ranges
_progress.set_enabled(False)
path, job, how = sys.argv[1:4]
geo = comaspec.Geometry(3.32 * u.au, 2.61 * u.au)
t0 = time.perf_counter()
if job == "info":
    # comaspec info: 'lean' as the command does it (the cube scanned a block of channels at a
    # time), 'whole' the old way (read every channel with read_any, then summarised)
    import contextlib, io
    from comaspec.cli.info import summarize
    from comaspec.io import _sanity, read_any, read_summary
    with contextlib.redirect_stdout(io.StringIO()):
        cube = read_summary(path) if how == "lean" else read_any(path, keep_dq=False)
        summary, warned = summarize(cube, path), _sanity.problems(cube)
    t_read = time.perf_counter() - t0
    work = float("nan")
elif job == "map":
    # what map_cube(path) does: the channels of the fit windows only (or, 'whole', every
    # channel), the DQ flags folded into the mask and not held
    species = ("CO2", "H2O", "CO")
    cube = comaspec.read_cube(path, wavelength_ranges=None if how == "whole" else window_ranges(None, species),
                              keep_dq=False)
    t_read = time.perf_counter() - t0
    m = comaspec.map_cube(cube, geo, species=("CO2", "H2O", "CO"), T_rot=50.0, shift=0.0 * u.um)
    work = m.meta["solve_seconds"]
else:
    # what comaspec ratio CUBE does (no --species): read, extract the 0.5" aperture, fit
    from comaspec.pipeline import fit_loaded, load_inputs
    loaded = load_inputs([path], whole_cubes=how == "whole")
    t_read = time.perf_counter() - t0
    t1 = time.perf_counter()
    fit_loaded(loaded, geo, None, None)
    work = time.perf_counter() - t1
    cube = loaded[0][1]
print(json.dumps({"read": t_read, "work": work, "peak_mb": _peak_mb(), "shape": list(cube.shape)}))
"""


def make_cube(path, mode, shape, seed):
    from comaspec import Geometry
    from comaspec.synthetic import synthetic_cube

    geo = Geometry(3.32 * u.au, 2.61 * u.au)
    synthetic_cube(mode, TRUTH, geo, T_rot=T_ROT, error_per_spaxel=2e-20 * FLAM, shape=shape, seed=seed,
                   continuum=lambda wl: 1e-17 * np.ones_like(wl), path=path, overwrite=True, subsample=3)
    return geo


def bench(label, path, geo, subset, rng):
    import comaspec
    from comaspec import SpaxelMask, extract_spectrum, fit_coma, map_cube

    cube = comaspec.read_cube(path)
    t0 = time.perf_counter()
    maps = map_cube(cube, geo, species=SPECIES, T_rot=T_ROT, shift=0.0 * u.um)
    t_first = time.perf_counter() - t0
    ny, nx = maps.shape
    n_spax = int((maps.bin_id >= 0).sum())
    pick = rng.choice(ny * nx, size=min(subset, ny * nx), replace=False)
    spectra = []
    for flat in pick:
        y, x = divmod(int(flat), nx)
        mask = np.zeros((ny, nx), dtype=bool)
        mask[y, x] = True
        ap = SpaxelMask(mask, cube.pixel_scale, maps.nucleus_xy)
        spectra.append((y, x, ap, extract_spectrum(cube, ap)))
    # the map (templates cached, as they are for every fit of the loop) and slices of the
    # loop alternate, so that a change in the machine's load hits both alike
    worst, t_loop, t_maps = 0.0, 0.0, []
    for part in np.array_split(np.arange(len(spectra)), REPEATS):
        t0 = time.perf_counter()
        maps = map_cube(cube, geo, species=SPECIES, T_rot=T_ROT, shift=0.0 * u.um)
        t_maps.append(time.perf_counter() - t0)
        for i in part:
            y, x, ap, spec = spectra[i]
            t1 = time.perf_counter()
            fit = fit_coma(spec, geo, ap, SPECIES, T_rot=T_ROT, fit_shift=False)
            t_loop += time.perf_counter() - t1
            b = maps.bin_id[y, x]
            for s in SPECIES:
                sigma = maps.flux_err[s][b] / maps.error_inflation[s][b]
                worst = max(worst, abs(fit.species[s].band_flux - maps.flux[s][b]) / sigma)
    t_map = float(np.median(t_maps))
    per_fit = t_loop / len(spectra)
    loop_total = per_fit * n_spax
    print(f"{label}: {ny}x{nx} spaxels x {cube.shape[0]} channels, {maps.meta['n_pixels_fitted']} fitted pixels, "
          f"{len(maps.meta['linear_names'])} linear parameters")
    print(f"  map_cube wall time           : {t_map:8.2f} s  (median of {REPEATS}; batched solve alone "
          f"{maps.meta['solve_seconds']:.2f} s; first call, with imports and template caching: {t_first:.2f} s)")
    print(f"  fit_coma loop                : {per_fit * 1e3:8.1f} ms per spaxel, timed on {len(spectra)} random "
          f"spaxels, extrapolated to {n_spax}: {loop_total:.0f} s")
    print(f"  speed-up (loop / map_cube)   : {loop_total / t_map:8.0f}x   (loop / batched solve: "
          f"{loop_total / maps.meta['solve_seconds']:.0f}x; goal >= 300x)")
    print(f"  max |dflux|/sigma vs fit_coma: {worst:8.2e}   (goal < 1e-3; same T_rot, shift 0)")
    return maps


def tile_cube(small, big, reps=2):
    """``big``: the cube ``small`` repeated reps x reps times on the sky (a 200 x 200 G395H cube
    from the 100 x 100 one without the synthetic generator's 7 GB and two minutes)."""
    from astropy.io import fits

    with fits.open(small) as hdul:
        out = fits.HDUList([hdul[0].copy()])
        for hdu in hdul[1:]:
            data = hdu.data
            if data is not None and data.ndim == 3:
                tiled = fits.ImageHDU(np.tile(data, (1, reps, reps)), header=hdu.header, name=hdu.name)
                for key in ("CRPIX1", "CRPIX2"):
                    if key in tiled.header:
                        tiled.header[key] = tiled.header[key] * reps
                out.append(tiled)
            else:
                out.append(hdu.copy())
        out.writeto(big, overwrite=True)


def reading(path, label):
    """Read and map (and read and fit an aperture) in fresh processes, the lean way and whole."""
    for job, work_name in (("map", "map solve"), ("ratio", "extraction + fit")):
        for how in ("lean", "whole"):
            out = subprocess.run([sys.executable, "-c", _CHILD_SCRIPT, str(path), job, how], check=True,
                                 capture_output=True, text=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            goal = "  (goals: read <= 3x, peak <= 1.5 GB)" if how == "lean" else "  (every channel: the baseline)"
            print(f"{label} {job:5s} {how:5s}: {r['shape'][0]} channels read in {r['read']:6.2f} s, "
                  f"{work_name} {r['work']:6.2f} s, read / {work_name} = {r['read'] / r['work']:5.2f}, "
                  f"peak {r['peak_mb'] / 1024:.3f} GB{goal}")


def _child(path, job, how):
    out = subprocess.run([sys.executable, "-c", _CHILD_SCRIPT, str(path), job, how], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def info_reading(path, label):
    """``comaspec info``'s reading of the cube in fresh processes: scanned (as the command
    does) and read whole (as it did: the baseline), the peak against the map's in this run."""
    runs = {how: _child(path, "info", how) for how in ("lean", "whole")}
    mapped = _child(path, "map", "lean")
    for how, r in runs.items():
        note = "  (goal: peak <= the map's)" if how == "lean" else "  (read whole: the baseline)"
        print(f"{label} info  {how:5s}: {r['shape'][0]} channels in {r['read']:6.2f} s, "
              f"peak {r['peak_mb'] / 1024:.3f} GB{note}")
    lean, whole = runs["lean"], runs["whole"]
    print(f"{label} info  lean / whole: time {lean['read'] / whole['read']:.2f}, "
          f"peak {lean['peak_mb'] / whole['peak_mb']:.2f}; peak info / map (lean, "
          f"{mapped['peak_mb'] / 1024:.3f} GB) = {lean['peak_mb'] / mapped['peak_mb']:.2f} (goal <= 1)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset", type=int, default=24, help="spaxels fitted with fit_coma per cube (default 24)")
    parser.add_argument("--reading-only", action="store_true",
                        help="only the reading and memory part (no fit_coma loop)")
    parser.add_argument("--info-only", action="store_true",
                        help="only comaspec info on the 200x200 cube (implies --reading-only)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    args.reading_only = args.reading_only or args.info_only
    from comaspec import _progress

    _progress.set_enabled(False if args.quiet else None)
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        cases = (("PRISM 40x40", "PRISM", (40, 40)), ("G395H 100x100", "G395H", (100, 100)))
        for i, (label, mode, shape) in enumerate(cases):
            if args.reading_only and mode == "PRISM":
                continue
            path = Path(tmp) / f"{mode}_s3d.fits"
            geo = make_cube(path, mode, shape, seed=i)
            if not args.reading_only:
                bench(label, path, geo, args.subset, rng)
        small, big = Path(tmp) / "G395H_s3d.fits", Path(tmp) / "G395H_200_s3d.fits"
        tile_cube(small, big)
        if not args.info_only:
            reading(small, "G395H 100x100")
            reading(big, "G395H 200x200")
        info_reading(big, "G395H 200x200")


if __name__ == "__main__":
    main()
