"""``comaspec ratio``: production rates and CO2/H2O from one or several spectra of a coma."""

from __future__ import annotations

import argparse

HELP = "fit a coma spectrum: band fluxes, production rates and the CO2/H2O ratio"

_EPILOG = """\
examples:
  comaspec ratio --example
  comaspec ratio x1d.fits --rh 3.32 --delta 2.61 --aperture-radius 0.5
  comaspec ratio g235h_x1d.fits g395h_x1d.fits --rh 2.5 --delta 1.9 --aperture-box 1.0x1.0 --json
  comaspec ratio s3d.fits --rh 3.32 --delta 2.61 --plot fit.pdf --output result.ecsv
"""


def add_parser(subparsers):
    """Register the ``ratio`` subcommand.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        From the main parser.
    """
    p = subparsers.add_parser("ratio", help=HELP, description=HELP.capitalize() + ".", epilog=_EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("spectra", nargs="*", metavar="SPECTRUM",
                   help="x1d/x1dints/c1d/table files or s3d cubes of one coma (fitted jointly)")
    p.add_argument("--example", action="store_true",
                   help="fit the bundled example (synthetic 3I/ATLAS-like PRISM spectrum, geometry from its header)")
    g = p.add_argument_group("geometry (required unless --example)")
    g.add_argument("--rh", type=float, metavar="AU", help="heliocentric distance, au")
    g.add_argument("--delta", type=float, metavar="AU", help="distance from the observer, au")
    g.add_argument("--phase", type=float, metavar="DEG", help="phase angle, degrees")
    a = p.add_argument_group("aperture (default for cubes: 0.5 arcsec radius around the photocentre)")
    ex = a.add_mutually_exclusive_group()
    ex.add_argument("--aperture-radius", type=float, metavar="ARCSEC", help="circular aperture radius, arcsec")
    ex.add_argument("--aperture-box", metavar="WxH", help="rectangular aperture, arcsec, e.g. 1.0x0.6")
    f = p.add_argument_group("model")
    f.add_argument("--species", default="CO2,H2O,CO", metavar="LIST",
                   help="comma-separated species to fit (default CO2,H2O,CO; also 13CO2, OCS)")
    f.add_argument("--velocity", type=float, metavar="KM_S",
                   help="gas expansion velocity, km/s (default: the velocity law at rh)")
    f.add_argument("--trot", type=float, metavar="K", help="fix the rotational temperature (default: fitted)")
    f.add_argument("--trot-per-species", action="store_true",
                   help="fit one rotational temperature per species instead of a shared one")
    f.add_argument("--window", action="append", metavar="LO-HI[:DEG]",
                   help="continuum window in um with its polynomial degree (default 2); repeat for "
                        "several; replaces the defaults 2.45-2.90:3 and 4.05-5.10:4")
    f.add_argument("--mode", metavar="MODE",
                   help="instrument mode (e.g. PRISM, G395H) when the file does not say")
    f.add_argument("--continuum", choices=("polynomial", "physical"), default="polynomial",
                   help="continuum model (default polynomial windows)")
    f.add_argument("--no-shift", action="store_true", help="do not fit a wavelength shift")
    u = p.add_argument_group("uncertainties")
    u.add_argument("--scale-covar", action="store_true",
                   help="rescale the covariance by the reduced chi-square (default: errors from the data)")
    u.add_argument("--detect-sigma", type=float, default=3.0, metavar="N", help="detection threshold (default 3)")
    u.add_argument("--limit-sigma", type=float, default=3.0, metavar="N",
                   help="significance of upper limits (default 3)")
    for key, what in (("g", "g-factors"), ("lifetime", "lifetimes"), ("velocity", "the expansion velocity")):
        u.add_argument(f"--rel-err-{key}", type=float, metavar="FRAC",
                       help=f"relative 1-sigma error of {what}, propagated into Q_sys (default: none claimed)")
    u.add_argument("--mc", type=int, default=0, metavar="N", help="refit N noise realisations for the errors")
    u.add_argument("--mcmc", action="store_true", help="sample with emcee (needs the 'mcmc' extra)")
    u.add_argument("--seed", type=int, default=None, help="seed for --mc / --mcmc")
    o = p.add_argument_group("output")
    o.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    o.add_argument("--output", metavar="FILE", help="write the result (.json or .ecsv)")
    o.add_argument("--plot", metavar="FILE", help="draw the fit (.png or .pdf)")
    o.add_argument("--compare", metavar="FIG",
                   help="draw CO2/H2O against rh with the catalog of comets (.png or .pdf)")
    p.set_defaults(run=_run)
    return p


def _suffix_check(path, allowed, flag):
    from ..errors import UsageError

    if path is not None and not str(path).lower().endswith(allowed):
        raise UsageError(f"{flag} {path}: must end in {' or '.join(allowed)}")


def _geometry(args, example_header):
    import astropy.units as u

    from ..errors import UsageError
    from ..geometry import Geometry

    if args.rh is None and args.delta is None and example_header is not None:
        from ..synthetic import geometry_from_header

        return geometry_from_header(example_header, "the bundled example")
    missing = [flag for flag, v in (("--rh AU", args.rh), ("--delta AU", args.delta)) if v is None]
    if missing:
        raise UsageError(f"the observing geometry is missing: add {' and '.join(missing)}")
    return Geometry(args.rh * u.au, args.delta * u.au, None if args.phase is None else args.phase * u.deg)


def _aperture(args, example_header, has_cube):
    import astropy.units as u

    from ..apertures import CircularAperture, RectangularAperture
    from ..errors import UsageError

    if args.aperture_radius is not None:
        return CircularAperture(args.aperture_radius * u.arcsec)
    if args.aperture_box is not None:
        try:
            w, h = (float(v) for v in args.aperture_box.lower().split("x"))
        except ValueError:
            raise UsageError(f"--aperture-box {args.aperture_box}: expected WxH in arcsec, e.g. 1.0x0.6") from None
        return RectangularAperture(w * u.arcsec, h * u.arcsec)
    if example_header is not None:
        from ..synthetic import aperture_from_header

        return aperture_from_header(example_header, "the bundled example")
    if has_cube:
        return CircularAperture(0.5 * u.arcsec)
    raise UsageError("the extraction aperture of the spectrum is needed for production rates: "
                     "add --aperture-radius ARCSEC or --aperture-box WxH")


def _windows(specs):
    """Parse --window LO-HI[:DEG] options into model Windows (None: the defaults)."""
    from ..errors import UsageError
    from ..model import Window

    if not specs:
        return None
    out = []
    for text in specs:
        try:
            span, _, deg = text.partition(":")
            lo, hi = (float(v) for v in span.split("-"))
            out.append(Window(f"w{len(out) + 1}", lo, hi, int(deg) if deg else 2))
        except ValueError:
            raise UsageError(f"--window {text}: expected LO-HI[:DEG] in um, e.g. 2.45-2.90:3") from None
    return out


def _run(args):
    import json
    import sys
    from contextlib import ExitStack

    from ..errors import UsageError

    if args.example and args.spectra:
        raise UsageError("give either --example or spectrum files, not both")
    if not args.example and not args.spectra:
        raise UsageError("no spectrum given: name one or more files, or use --example")
    windows = _windows(args.window)
    if args.mc < 0:
        raise UsageError("--mc must be a positive number of refits")
    if args.mc and args.mcmc:
        raise UsageError("choose --mc or --mcmc, not both")
    _suffix_check(args.output, (".json", ".ecsv"), "--output")
    _suffix_check(args.plot, (".png", ".pdf"), "--plot")
    _suffix_check(args.compare, (".png", ".pdf"), "--compare")
    species = [s.strip() for s in args.species.split(",") if s.strip()]
    if not species:
        raise UsageError("--species is empty")
    example_header = None
    if args.example:
        from ..synthetic import example_path

        paths = [str(example_path())]
    else:
        paths = list(args.spectra)
    from ..pipeline import fit_loaded, load_inputs

    loaded = load_inputs(paths)
    if args.example:
        meta = loaded[0][1].meta
        example_header = meta.get("primary_header")
    geometry = _geometry(args, example_header)
    aperture = _aperture(args, example_header, any(c for _, _, c in loaded))

    import astropy.units as u

    velocity = None if args.velocity is None else args.velocity * u.km / u.s
    systematics = {k: v for k, v in (("g_factor", args.rel_err_g), ("lifetime", args.rel_err_lifetime),
                                     ("velocity", args.rel_err_velocity)) if v is not None}
    fit = fit_loaded(loaded, geometry, aperture, species, mode=args.mode, T_rot=args.trot,
                     fit_shift=not args.no_shift, per_species_T_rot=args.trot_per_species, windows=windows,
                     continuum=args.continuum, velocity=velocity, scale_covar=args.scale_covar,
                     detect_sigma=args.detect_sigma, limit_sigma=args.limit_sigma, mc=args.mc, mcmc=args.mcmc,
                     seed=args.seed, systematics=systematics or None)
    numerator, denominator = "CO2", "H2O"

    # all files or none: everything is written to temporaries first, moved at the end
    from .._output import atomic_path

    with ExitStack() as stack:
        if args.output:
            tmp = stack.enter_context(atomic_path(args.output))
            fit.write(tmp, numerator, denominator)
        if args.plot:
            tmp = stack.enter_context(atomic_path(args.plot))
            fig = fit.plot(tmp)
            _close(fig)
        if args.compare:
            tmp = stack.enter_context(atomic_path(args.compare))
            _compare(fit, geometry, tmp, numerator, denominator)
    if args.json:
        print(json.dumps(fit.to_dict(numerator, denominator)))
    else:
        print(fit.summary(numerator, denominator))
        for flag, path in (("output", args.output), ("plot", args.plot), ("compare", args.compare)):
            if path:
                print(f"wrote {path}", file=sys.stderr)
    return 0


def _close(fig):
    import matplotlib.pyplot as plt

    plt.close(fig)


def _compare(fit, geometry, path, numerator, denominator):
    from ..errors import UsageError
    from ..plotting.compare import ratio_vs_rh
    from ..plotting.style import save_figure

    r = fit.ratio(numerator, denominator)
    if r.value is None or r.limit is not None:
        raise UsageError(f"--compare needs a measured {numerator}/{denominator} ({r.reason})")
    # the asymmetric 68 % interval, in percent
    fig = ratio_vs_rh(100.0 * r.value, (100.0 * r.err_lo, 100.0 * r.err_hi), float(geometry.rh.to_value("au")))
    save_figure(fig, path)
    _close(fig)
