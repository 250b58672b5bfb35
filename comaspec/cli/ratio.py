"""``comaspec ratio``: production rates and CO2/H2O from one or several spectra of a coma."""

from __future__ import annotations

import argparse

from .._choices import CONTINUUM_MODELS, DEFAULT_EMISSION, EMISSION_MODELS
from ._args import MC_MAX, SEED_MAX, box, center_pixels, check_outputs, integer, ranged

HELP = "fit a coma spectrum: band fluxes, production rates and the CO2/H2O ratio"

_EPILOG = """\
examples:
  comaspec ratio --example
  comaspec ratio x1d.fits --rh 3.32 --delta 2.61 --aperture-radius 0.5
  comaspec ratio g235h_x1d.fits g395h_x1d.fits --rh 2.5 --delta 1.9 --aperture-box 1.0x1.0 --json
  comaspec ratio s3d.fits --rh 3.32 --delta 2.61 --plot fit.pdf --output result.ecsv
  comaspec ratio s3d.fits --rh 3.32 --delta 2.61 --center 24.5,21.0
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
    p.add_argument("--unit", metavar="UNIT", default=None,
                   help="flux unit of table files whose header gives none (e.g. Jy); overrides a table's own")
    p.add_argument("--wavelength-unit", metavar="UNIT", default=None,
                   help="wavelength unit of table files whose header gives none (e.g. um); overrides a table's own")
    _add_geometry_options(p)
    _add_aperture_options(p)
    model = _add_model_options(p)
    _add_uncertainty_options(p)
    _add_output_options(p, model)
    p.set_defaults(run=_run)
    return p


def _add_geometry_options(p):
    """The geometry group: --rh, --delta, --phase, --rdot."""
    g = p.add_argument_group("geometry (required unless --example)")
    g.add_argument("--rh", type=ranged("rh"), metavar="AU", help="heliocentric distance, au")
    g.add_argument("--delta", type=ranged("delta"), metavar="AU", help="distance from the observer, au")
    g.add_argument("--phase", type=ranged("phase"), metavar="DEG", help="phase angle, degrees")
    g.add_argument("--rdot", type=ranged("rdot"), metavar="KM_S",
                   help="heliocentric radial velocity, km/s (positive away from the Sun): the solar lines that "
                        "pump fluorescence are seen Doppler-shifted (with --solar meftah2023)")


def _add_aperture_options(p):
    """The aperture group: --center and one of --aperture-radius, --aperture-box."""
    a = p.add_argument_group("aperture (default for cubes: 0.5 arcsec radius around the nucleus)")
    a.add_argument("--center", metavar="X,Y",
                   help="the nucleus on the cube(s), 0-based spaxels (default: the continuum photocentre, or the "
                        "gas centroid where the continuum is weak)")
    ex = a.add_mutually_exclusive_group()
    ex.add_argument("--aperture-radius", type=ranged("aperture"), metavar="ARCSEC",
                    help="circular aperture radius, arcsec")
    ex.add_argument("--aperture-box", type=box, metavar="WxH", help="rectangular aperture, arcsec, e.g. 1.0x0.6")


def _add_model_options(p):
    """The model group (species, physics, windows, continuum, spin ratio); returns the group."""
    f = p.add_argument_group("model")
    f.add_argument("--species", default=None, metavar="LIST",
                   help="comma-separated species to fit (default CO2,H2O,CO, or where the data cover "
                        "none of them the species they cover; also 13CO2, OCS, CH4, C2H6)")
    f.add_argument("--velocity", type=ranged("velocity"), metavar="KM_S",
                   help="gas expansion velocity, km/s (default: the velocity law at rh)")
    f.add_argument("--lifetime", action="append", metavar="SPECIES=SECONDS",
                   help="photodestruction lifetime at 1 au of one species, s (repeat for several; "
                        "default: linelists/lifetimes.ecsv), e.g. CH4=53810 for PSG's value")
    f.add_argument("--trot", type=ranged("trot"), metavar="K", help="fix the rotational temperature (default: fitted)")
    f.add_argument("--trot-per-species", action="store_true",
                   help="fit one rotational temperature per species instead of a shared one")
    f.add_argument("--window", action="append", metavar="LO-HI[:DEG]",
                   help="continuum window in um with its polynomial degree; repeat for several; replaces "
                        "the defaults 2.45-2.90:3 and 4.05-5.10:4 (and 3.15-3.55:3 for CH4, C2H6). Without "
                        ":DEG a window takes the degree of the default window it overlaps most, or 2 if it "
                        "overlaps none")
    f.add_argument("--extension", metavar="EXT",
                   help="fit only this extraction of a multi-spectrum file: its name (e.g. EXTRACT1D,2) or its "
                        "position as 'comaspec info' lists it")
    f.add_argument("--joint", action="store_true",
                   help="fit every extraction of a file together even when their modes or sources differ")
    f.add_argument("--allow-implausible-flux", action="store_true",
                   help="fit even when the flux level is implausible for its unit (a warning instead of an error)")
    f.add_argument("--mode", metavar="MODE",
                   help="instrument mode (e.g. PRISM, G395H) when the file does not say "
                        "(refused when it names another)")
    f.add_argument("--continuum", choices=CONTINUUM_MODELS, default="polynomial",
                   help="continuum model (default polynomial windows)")
    f.add_argument("--no-shift", action="store_true", help="do not fit a wavelength shift")
    f.add_argument("--emission", choices=EMISSION_MODELS, default=DEFAULT_EMISSION,
                   help="band emission model: solar-pumped fluorescence equilibrium (default) or a "
                        "thermal upper state (for comparison)")
    _add_sunlight(f)
    f.add_argument("--opr", default="3", metavar="VALUE|fit",
                   help="H2O ortho/para ratio of the templates (default 3), or 'fit'")
    return f


def _add_uncertainty_options(p):
    """The uncertainties group: covariance, thresholds, systematics, Monte Carlo and MCMC."""
    u = p.add_argument_group("uncertainties")
    u.add_argument("--scale-covar", action="store_true",
                   help="rescale the covariance by the reduced chi-square (default: errors from the data)")
    u.add_argument("--detect-sigma", type=ranged("sigma"), default=3.0, metavar="N",
                   help="detection threshold (default 3)")
    u.add_argument("--limit-sigma", type=ranged("sigma"), default=3.0, metavar="N",
                   help="significance of upper limits (default 3)")
    for key, what in (("g", "g-factors"), ("lifetime", "lifetimes"), ("velocity", "the expansion velocity")):
        u.add_argument(f"--rel-err-{key}", type=ranged("rel_err"), metavar="FRAC",
                       help=f"relative 1-sigma error of {what}, propagated into Q_sys (default: none claimed)")
    u.add_argument("--mc", type=integer(0, MC_MAX), default=0, metavar="N",
                   help=f"refit N noise realisations for the errors (at most {MC_MAX}; progress bar on a terminal)")
    u.add_argument("--mcmc", action="store_true",
                   help="sample T_rot and the shifts with emcee, amplitudes marginalised (needs the 'mcmc' extra)")
    u.add_argument("--mcmc-steps", type=integer(1, MC_MAX * 10), default=20000, metavar="N",
                   help="most MCMC steps; the chain stops once longer than 50 autocorrelation times "
                        "(default 20000; the output says whether it converged)")
    u.add_argument("--seed", type=integer(0, SEED_MAX), default=None, help="seed for --mc / --mcmc (>= 0)")


def _add_output_options(p, model):
    """The output group; --q-h2o joins the ``model`` group from here (see `_add_water_and_psg`)."""
    o = p.add_argument_group("output")
    o.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    o.add_argument("--output", metavar="FILE", help="write the result (.json or .ecsv)")
    o.add_argument("--plot", metavar="FILE", help="draw the fit (.png or .pdf)")
    _add_water_and_psg(model, o)
    o.add_argument("--compare", metavar="FIG",
                   help="draw each ratio the fit gives (CO2/H2O, CO/H2O, CO2/CO) against rh with "
                        "the catalog of comets (.png or .pdf)")


def _add_sunlight(model):
    """--solar and --g-source (model group)."""
    from ..physics.g_source import DEFAULT_G_SOURCE, G_SOURCES
    from ._args import add_solar

    add_solar(model)
    model.add_argument("--g-source", choices=G_SOURCES, default=DEFAULT_G_SOURCE,
                       help="band g-factors of the production rates: published (default) or computed by the "
                            "fluorescence model at the fitted T_rot with the --solar spectrum")


def _add_water_and_psg(model, output):
    """--q-h2o (model group) and --psg-config (output group)."""
    model.add_argument("--q-h2o", metavar="Q[:ERR]|JSON",
                       help="Q(H2O) in molecules/s when the spectrum has no H2O (e.g. 7.6e28 or 7.6e28:0.5e28, "
                            "or a comaspec result .json with a detected H2O): abundances X/H2O in %% with its "
                            "error in quadrature; refused when the fit covers H2O itself")
    output.add_argument("--psg-config", metavar="FILE",
                        help="write a NASA PSG configuration of the fitted coma (geometry, Q and abundances, "
                             "T_rot, velocity, lifetimes, resolution, beam) to run the same case in PSG")


def _suffix_check(path, allowed, flag):
    from ..errors import UsageError

    if path is not None and not str(path).lower().endswith(allowed):
        raise UsageError(f"{flag} {path}: must end in {' or '.join(allowed)}")


def _stated(loaded, key):
    """The value every input file states for ``key`` (a PSG configuration states r_h, Δ, the
    beam), or None when one does not or they differ."""
    values = {getattr(obj, "meta", {}).get(key) for _, obj, _ in loaded}
    return values.pop() if len(values) == 1 and None not in values else None


def _geometry(args, example_header, loaded=()):
    import astropy.units as u

    from ..errors import UsageError
    from ..geometry import Geometry

    if args.rh is None and args.delta is None and example_header is not None:
        from ..io.header import geometry_from_header

        return geometry_from_header(example_header, "the bundled example")
    if args.rh is None and args.delta is None and _stated(loaded, "rh_au") and _stated(loaded, "delta_au"):
        from ._console import status

        rh, delta = _stated(loaded, "rh_au"), _stated(loaded, "delta_au")
        # one file: its date goes with its geometry (PSG's OBJECT-DATE)
        epoch = loaded[0][1].meta.get("epoch") if len(loaded) == 1 else None
        status(args, f"geometry stated by the file: rh {rh:g} au, delta {delta:g} au")
        return Geometry(rh * u.au, delta * u.au, None if args.phase is None else args.phase * u.deg, epoch)
    missing = [flag for flag, v in (("--rh AU", args.rh), ("--delta AU", args.delta)) if v is None]
    if missing:
        raise UsageError(f"the observing geometry is missing: add {' and '.join(missing)}")
    return Geometry(args.rh * u.au, args.delta * u.au, None if args.phase is None else args.phase * u.deg)


def _with_rdot(geometry, rdot):
    """``geometry`` with ``--rdot`` (km/s) when given, whichever way the geometry was found."""
    if rdot is None:
        return geometry
    from dataclasses import replace

    import astropy.units as u

    return replace(geometry, rdot=rdot * u.km / u.s)


def _aperture(args, example_header, loaded):
    import astropy.units as u

    from ..apertures import CircularAperture, RectangularAperture
    from ..errors import UsageError

    if args.aperture_radius is not None:
        return CircularAperture(args.aperture_radius * u.arcsec)
    if args.aperture_box is not None:
        w, h = args.aperture_box
        return RectangularAperture(w * u.arcsec, h * u.arcsec)
    if example_header is not None:
        from ..io.header import aperture_from_header

        return aperture_from_header(example_header, "the bundled example")
    has_cube = any(is_cube for _, _, is_cube in loaded)
    radius = _stated(loaded, "aperture_radius_arcsec")
    if radius is not None and not has_cube:
        from ._console import status

        status(args, f"aperture stated by the file: a circle of radius {radius:g} arcsec")
        return CircularAperture(radius * u.arcsec)
    from ..pipeline import surface_brightness_files

    surface = surface_brightness_files(loaded)
    if surface:
        from ..io.surface import missing_aperture_message

        raise UsageError(missing_aperture_message(surface[0]))
    if has_cube:
        from ..pipeline import DEFAULT_CUBE_APERTURE_ARCSEC

        return CircularAperture(DEFAULT_CUBE_APERTURE_ARCSEC * u.arcsec)
    raise UsageError("the extraction aperture of the spectrum is needed for production rates: "
                     "add --aperture-radius ARCSEC or --aperture-box WxH")


#: Degree of a --window that overlaps no default window and names no degree.
_LONE_WINDOW_DEGREE = 2


def _default_degree(lo, hi):
    """The degree of the default window that [lo, hi] overlaps most (else `_LONE_WINDOW_DEGREE`),
    so that widening a default window does not silently lower its polynomial's degree."""
    from ..model.continuum import DEFAULT_WINDOWS

    overlaps = [(min(hi, w.hi_um) - max(lo, w.lo_um), w.degree) for w in DEFAULT_WINDOWS]
    best = max(overlaps)
    return best[1] if best[0] > 0 else _LONE_WINDOW_DEGREE


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
            deg = int(deg) if deg else None
        except ValueError:
            raise UsageError(f"--window {text}: expected LO-HI[:DEG] in um, e.g. 2.45-2.90:3") from None
        deg = _default_degree(lo, hi) if deg is None else deg
        if not (0.5 <= lo < hi <= 30.0 and 0 <= deg <= 6):
            raise UsageError(f"--window {text}: needs 0.5 <= LO < HI <= 30 um and a degree from 0 to 6")
        out.append(Window(f"w{len(out) + 1}", lo, hi, deg))
    return out


def _unit(args):
    """The ``unit=`` of `comaspec.io.read_any` from ``--unit`` and ``--wavelength-unit`` (as ``info`` builds it)."""
    if args.unit is None and args.wavelength_unit is None:
        return None
    return {k: v for k, v in (("flux", args.unit), ("wavelength", args.wavelength_unit)) if v is not None}


def _refuse_contradictions(args):
    """Options that exclude each other (one of them would be ignored): a usage error."""
    from ..errors import UsageError

    for first, second, both in (("--mc", "--mcmc", args.mc and args.mcmc),
                                ("--trot", "--trot-per-species", args.trot is not None and args.trot_per_species),
                                ("--extension", "--joint", args.extension is not None and args.joint),
                                ("--example", "--unit / --wavelength-unit",
                                 args.example and _unit(args) is not None)):
        if both:
            raise UsageError(f"choose {first} or {second}, not both")


def _run(args):
    from ..errors import UsageError

    if args.example and args.spectra:
        raise UsageError("give either --example or spectrum files, not both")
    if not args.example and not args.spectra:
        raise UsageError("no spectrum given: name one or more files, or use --example")
    windows = _windows(args.window)
    center = None if args.center is None else center_pixels(args.center)
    if args.mc < 0:
        raise UsageError("--mc must be a positive number of refits")
    _refuse_contradictions(args)
    _suffix_check(args.output, (".json", ".ecsv"), "--output")
    _suffix_check(args.plot, (".png", ".pdf"), "--plot")
    _suffix_check(args.compare, (".png", ".pdf"), "--compare")
    check_outputs(args, "--output", "--plot", "--compare", "--psg-config")
    water = None
    if args.q_h2o is not None:
        from ..results.abundances import WaterProduction

        water = WaterProduction.parse(args.q_h2o)
    species = None
    if args.species is not None:
        species = [s.strip() for s in args.species.split(",") if s.strip()]
        if not species:
            raise UsageError("--species is empty")
    example_header = None
    if args.example:
        from .._paths import example_path

        paths = [str(example_path())]
    else:
        paths = list(args.spectra)
    from ..pipeline import fit_loaded, load_inputs

    loaded = load_inputs(paths, windows=windows, species=species, unit=_unit(args))
    if args.example:
        meta = loaded[0][1].meta
        example_header = meta.get("primary_header")
    geometry = _with_rdot(_geometry(args, example_header, loaded), args.rdot)
    aperture = _aperture(args, example_header, loaded)

    import astropy.units as u

    velocity = None if args.velocity is None else args.velocity * u.km / u.s
    lifetime = _lifetimes(args.lifetime)
    systematics = {k: v for k, v in (("g_factor", args.rel_err_g), ("lifetime", args.rel_err_lifetime),
                                     ("velocity", args.rel_err_velocity)) if v is not None}
    fit = fit_loaded(loaded, geometry, aperture, species, mode=args.mode, extension=args.extension,
                     joint=args.joint, center=center, allow_implausible_flux=args.allow_implausible_flux,
                     T_rot=args.trot,
                     fit_shift=not args.no_shift, per_species_T_rot=args.trot_per_species, windows=windows,
                     continuum=args.continuum, velocity=velocity, lifetime=lifetime, scale_covar=args.scale_covar,
                     detect_sigma=args.detect_sigma, limit_sigma=args.limit_sigma, mc=args.mc, mcmc=args.mcmc,
                     mcmc_steps=args.mcmc_steps, seed=args.seed, systematics=systematics or None,
                     emission=args.emission, ortho_para=_opr(args.opr), solar=args.solar,
                     g_source=args.g_source)
    if water is not None:
        from ..results.abundances import with_water_production

        fit = with_water_production(fit, water)
    _write_outputs(args, fit, geometry, "CO2", "H2O")
    return 0


def _write_outputs(args, fit, geometry, numerator, denominator):
    """Write every requested file (all or none), then print the result and the status lines."""
    import json

    from .._output import atomic_paths
    from ._console import status

    notes = []

    def psg_config(tmp):
        from ..io.psg_write import write_config

        notes.extend(write_config(fit, tmp))

    # all files or none: everything is written to temporaries first, all moved at the end
    writers = {args.output: lambda tmp: fit.write(tmp, numerator, denominator),
               args.plot: lambda tmp: _close(fit.plot(tmp)),
               args.compare: lambda tmp: _save_comparison(fit, geometry, tmp),
               args.psg_config: psg_config}
    writers.pop(None, None)
    with atomic_paths(list(writers)) as tmps:
        for write, tmp in zip(writers.values(), tmps):
            write(tmp)
    if args.json:
        print(json.dumps(fit.to_dict(numerator, denominator)))
    else:
        print(fit.summary(numerator, denominator))
        for path in (args.output, args.plot, args.compare, args.psg_config):
            if path:
                status(args, f"wrote {path}")
    for note in notes:
        status(args, f"PSG configuration: {note}")


def _save_comparison(fit, geometry, path):
    from ..plotting.compare import save_fit_comparison

    save_fit_comparison(fit, geometry, path)


def _close(fig):
    import matplotlib.pyplot as plt

    plt.close(fig)


def _lifetimes(specs):
    """--lifetime SPECIES=SECONDS options as {species: Quantity} (None when not given)."""
    import math

    import astropy.units as u

    from ..physics import molecules
    from ..errors import UsageError

    if not specs:
        return None
    out = {}
    for text in specs:
        name, sep, value = text.partition("=")
        name = name.strip()
        try:
            seconds = float(value)
        except ValueError:
            seconds = math.nan
        if not sep or not (math.isfinite(seconds) and seconds > 0):
            raise UsageError(f"--lifetime {text}: expected SPECIES=SECONDS with SECONDS > 0, e.g. CH4=53810")
        if name not in molecules.SPECIES:
            raise UsageError(f"--lifetime {text}: unknown species {name!r}; known: {', '.join(molecules.SPECIES)}")
        out[name] = seconds * u.s
    return out


def _opr(text):
    """--opr: a number, or "fit"."""
    from ..errors import UsageError

    if text.strip().lower() == "fit":
        return "fit"
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"--opr takes a number or 'fit' (got {text!r})") from None
    if not (value > 0 and value < float("inf")):
        raise UsageError(f"--opr must be a finite number > 0 (got {text!r})")
    return value
