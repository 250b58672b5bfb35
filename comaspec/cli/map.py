"""``comaspec map``: maps of band flux, column density, T_rot and CO2/H2O from an IFU cube."""

from __future__ import annotations

from ._args import add_solar, center_pixels, check_outputs, integer, output_file, ranged

_HELP = "maps from an IFU cube (s3d): columns, T_rot, CO2/H2O, radial profiles and Q-curves"
#: Largest square bin (spaxels on a side).
BIN_MAX = 100


def add_parser(subparsers):
    """Register ``comaspec map``.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        From the top-level parser.
    """
    p = subparsers.add_parser(
        "map", help=_HELP,
        description=(
            "Fit every spaxel (or bin) of an IFU cube at once: band fluxes, column densities, SNR, "
            "the CO2/H2O column ratio (limits where a band is not detected), with T_rot and the "
            "wavelength shift held at the values of a fit of the aperture around the nucleus. "
            "Optionally writes the maps (FITS), a figure, radial profiles and Q-curves (ECSV) "
            "and a Q-curve figure."),
    )
    p.add_argument("cube", metavar="CUBE", help="JWST s3d cube (SCI, ERR, DQ)")
    p.add_argument("--rh", required=True, type=ranged("rh"), metavar="AU", help="heliocentric distance (au)")
    p.add_argument("--delta", required=True, type=ranged("delta"), metavar="AU", help="distance from the observer (au)")
    p.add_argument("--rdot", type=ranged("rdot"), metavar="KM_S",
                   help="heliocentric radial velocity, km/s: the solar lines pumping fluorescence are seen "
                        "Doppler-shifted (with --solar meftah2023)")
    add_solar(p)
    p.add_argument("--species", default="CO2,H2O,CO", metavar="LIST",
                   help="comma-separated species to map (default CO2,H2O,CO)")
    b = p.add_mutually_exclusive_group()
    b.add_argument("--bin", type=integer(1, BIN_MAX), metavar="N", help="square N x N spaxel bins")
    b.add_argument("--target-snr", type=ranged("target_snr"), metavar="S",
                   help="adaptive Voronoi bins reaching band SNR S (needs vorbin)")
    p.add_argument("--trot", type=ranged("trot"), metavar="K",
                   help="hold T_rot at K (default: the aperture fit's T_rot)")
    p.add_argument("--fit-trot-snr", type=ranged("target_snr"), metavar="S",
                   help="fit T_rot and shift in every bin whose best band SNR reaches S")
    p.add_argument("--center", metavar="X,Y",
                   help="nucleus pixel (0-based; default: the continuum photocentre, or the gas centroid where the "
                        "continuum is weak)")
    p.add_argument("--sun-pa", type=ranged("position_angle"), metavar="DEG",
                   help="position angle of the Sun (deg E of N; Horizons PsAng - 180)")
    p.add_argument("--velocity-pa", type=ranged("position_angle"), metavar="DEG",
                   help="position angle of the velocity vector (deg E of N; Horizons PsAMV - 180)")
    p.add_argument("--output", type=output_file(".fits"), metavar="MAPS.fits",
                   help="write the maps (multi-extension FITS)")
    p.add_argument("--plot", type=output_file(".pdf", ".png"), metavar="MAPS.pdf", help="write the map panel")
    p.add_argument("--profiles", type=output_file(".ecsv"), metavar="PROFILES.ecsv",
                   help="write azimuthal radial profiles of every species' column density")
    p.add_argument("--qcurve", type=output_file(".pdf", ".png", ".ecsv"), metavar="QCURVE.pdf",
                   help="write the Q-curve (figure, or the table with .ecsv) of the first species with a g-factor")
    p.add_argument("--chunk", type=integer(1, 1_000_000), default=None, metavar="N",
                   help="bins solved together (default: comaspec.map_cube's, 512; smaller uses less memory)")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.set_defaults(run=_run)
    return p


_OUTPUTS = ("output", "plot", "profiles", "qcurve")


def _run(args):
    from pathlib import Path

    import astropy.units as u

    from ..errors import InputError, UsageError
    from ..geometry import Geometry
    from ..maps import map_cube
    from ._console import status

    check_outputs(args, *(f"--{flag}" for flag in _OUTPUTS))
    if not args.overwrite:
        for flag in _OUTPUTS:
            path = getattr(args, flag)
            if path is not None and Path(path).exists():
                raise InputError(f"--{flag} {path}", "exists (pass --overwrite)")
    species = [s.strip() for s in args.species.split(",") if s.strip()]
    if not species:
        raise UsageError("--species is empty")
    center = None if args.center is None else center_pixels(args.center)
    binning = args.bin if args.bin is not None else ("voronoi" if args.target_snr is not None else None)
    from ..physics.templates import emission_model

    rdot = None if args.rdot is None else args.rdot * u.km / u.s
    maps = map_cube(args.cube, Geometry(args.rh * u.au, args.delta * u.au, rdot=rdot), species=species,
                    binning=binning, emission=emission_model("fluorescence", args.solar, rdot),
                    target_snr=args.target_snr, T_rot=args.trot, nonlinear_snr=args.fit_trot_snr, center=center,
                    sun_pa=None if args.sun_pa is None else args.sun_pa * u.deg,
                    velocity_pa=None if args.velocity_pa is None else args.velocity_pa * u.deg,
                    **({} if args.chunk is None else {"chunk": args.chunk}))
    writers = _writers(args, maps)
    # all files or none: each is written to a temporary, all moved into place at the end
    from .._output import atomic_paths

    with atomic_paths([path for path, _ in writers]) as tmps:
        for (_, write), tmp in zip(writers, tmps):
            write(tmp)
    print(_summary(maps))
    for path, _ in writers:
        status(args, f"wrote {path}")
    return 0


def _writers(args, maps):
    """(path, write(tmp_path)) for every output asked for, everything computed first so that
    a problem (no species with a g-factor for --qcurve) stops the command before any file."""
    from ..errors import InputError
    from ..maps.output import maps_hdulist

    writers = []
    if args.output:
        hdul = maps_hdulist(maps)
        writers.append(("output", lambda tmp: hdul.writeto(tmp, overwrite=True)))
    if args.plot:
        writers.append(("plot", lambda tmp: _close(maps.plot(tmp))))
    if args.profiles:
        profiles = _profiles_table(maps)
        writers.append(("profiles", lambda tmp: profiles.write(tmp, format="ascii.ecsv", overwrite=True)))
    if args.qcurve:
        q_species = next((s for s in maps.species if s in maps.molecule_flux), None)
        if q_species is None:
            raise InputError("--qcurve", "no mapped species has a g-factor")
        curve = maps.q_curve(q_species)
        if str(args.qcurve).lower().endswith(".ecsv"):
            writers.append(("qcurve", lambda tmp: curve.write(tmp, format="ascii.ecsv", overwrite=True)))
        else:
            from ..plotting.maps import q_curve_figure

            writers.append(("qcurve", lambda tmp: _close(q_curve_figure(curve, tmp))))
    return [(getattr(args, flag), write) for flag, write in writers]


def _profiles_table(maps):
    from astropy.table import vstack

    tables = []
    for s in maps.molecule_flux:
        t = maps.radial_profile(s)
        t["species"] = s
        tables.append(t)
    table = vstack(tables, metadata_conflicts="silent")
    table.meta = {"nucleus_xy": list(maps.nucleus_xy), "source_file": maps.meta["source_file"]}
    return table


def _close(fig):
    import matplotlib.pyplot as plt

    plt.close(fig)


def _summary(maps):
    import numpy as np

    lines = [f"{maps.meta['source_file']}: {maps.meta['n_bins']} bins ({maps.meta['binning']}), "
             f"nucleus at pixel ({maps.nucleus_xy[0]:.2f}, {maps.nucleus_xy[1]:.2f}) ({maps.nucleus_method})",
             f"  T_rot and shift: {maps.T_rot_source}; fitted in {int(maps.T_rot_fitted.sum())} bins"]
    for s in maps.species:
        det = maps.detected[s]
        text = f"  {s:6s}: detected (>= {maps.detect_sigma:g} sigma) in {int(det.sum())} of {det.size} bins"
        if s in maps.molecule_flux and det.any():
            text += f", peak column {np.nanmax(maps.column[s][det]):.3g} cm^-2"
        lines.append(text)
    if maps.ratio is not None:
        lim = maps.ratio_limit
        lines.append(f"  CO2/H2O: measured in {int((lim == 0).sum())} bins, lower limits in {int((lim == 1).sum())}, "
                     f"upper limits in {int((lim == 2).sum())}")
    for n in maps.meta.get("notes", []):
        lines.append(f"  note: {n}")
    return "\n".join(lines)
