"""``comaspec production``: production rate from a band flux through the Haser model."""

from __future__ import annotations

import re

from ._args import box, offset, ranged

_HELP = "production rate from a band flux (Haser model), with every assumption printed"


def add_parser(subparsers):
    """Register ``comaspec production``.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        From the top-level parser.
    """
    p = subparsers.add_parser(
        "production",
        help=_HELP,
        description=(
            "Convert the band-integrated flux of a species' feature (W m^-2, summed over the "
            "feature's bands) into a production rate Q with the parent-only Haser model. "
            "g scales as rh^-2, the lifetime as rh^2, the velocity follows the default law "
            "unless given. Prints Q and every assumption used."
        ),
    )
    p.add_argument("--species", required=True, help="species: CO2, 13CO2, H2O, CO, OCS, CH4 or C2H6")
    p.add_argument("--feature", help="feature of the species (default: its main one, e.g. 2.7um for H2O)")
    p.add_argument("--flux", required=True, type=ranged("flux"), metavar="W_M2",
                   help="band-integrated flux of the feature in W m^-2 (not W m^-2 um^-1)")
    p.add_argument("--flux-err", type=ranged("flux_err"), metavar="W_M2",
                   help="1-sigma flux uncertainty in W m^-2 (gives Q_err, and an upper limit below the threshold)")
    p.add_argument("--rh", required=True, type=ranged("rh"), metavar="AU", help="heliocentric distance (au)")
    p.add_argument("--delta", required=True, type=ranged("delta"), metavar="AU", help="distance from the observer (au)")
    ap = p.add_mutually_exclusive_group(required=True)
    ap.add_argument("--aperture-radius", type=ranged("aperture"), metavar="ARCSEC",
                    help="circular aperture radius (arcsec)")
    ap.add_argument("--aperture-box", type=box, metavar="WxH", help="rectangular aperture W x H (arcsec), e.g. 3x3")
    p.add_argument("--offset", type=offset, metavar="DX,DY",
                   help="aperture centre minus nucleus position (arcsec; default 0,0)")
    p.add_argument("--velocity", type=ranged("velocity"), metavar="KM_S",
                   help="expansion velocity at the comet (km/s; default: the velocity law at rh)")
    p.add_argument("--lifetime", type=ranged("lifetime"), metavar="S_AT_1AU",
                   help="photodestruction lifetime at 1 au (s; scaled as rh^2)")
    p.add_argument("--g-factor", type=ranged("g_factor"), metavar="PER_S_AT_1AU",
                   help="total g-factor of the feature at 1 au (photons/s/molecule; scaled as rh^-2)")
    _add_g_source_options(p)
    p.add_argument("--rel-err-g", type=ranged("rel_err"), metavar="FRAC",
                   help="relative 1-sigma error on g (systematic)")
    p.add_argument("--rel-err-lifetime", type=ranged("rel_err"), metavar="FRAC",
                   help="relative 1-sigma error on the lifetime (systematic)")
    p.add_argument("--rel-err-velocity", type=ranged("rel_err"), metavar="FRAC",
                   help="relative 1-sigma error on the velocity (systematic)")
    p.add_argument("--threshold", type=ranged("sigma"), default=3.0, metavar="SIGMA",
                   help="detection threshold in sigma (default 3)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    # Let "--flux -1e-18" (scientific notation) read as a negative number, not an option;
    # "--flux=-1e-18" works on every Python regardless.
    p._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
    p.set_defaults(run=_run)
    return p


def _add_g_source_options(p):
    """--g-source, --t-rot, --solar, --rdot, --ortho-para (the last four with computed only)."""
    from ..physics.g_source import DEFAULT_G_SOURCE, G_SOURCES
    from ._args import add_solar

    p.add_argument("--g-source", choices=G_SOURCES, default=DEFAULT_G_SOURCE,
                   help="band g-factors: the published ones (default) or computed by the fluorescence "
                        "model at --t-rot with the --solar spectrum")
    p.add_argument("--t-rot", type=ranged("trot"), metavar="K",
                   help="rotational temperature of the computed g-factors (required with --g-source computed)")
    add_solar(p)
    p.add_argument("--rdot", type=ranged("rdot"), metavar="KM_S",
                   help="heliocentric radial velocity, km/s (positive away from the Sun), at which the solar "
                        "lines pump the computed g-factors (with --solar meftah2023)")
    p.add_argument("--ortho-para", type=ranged("ratio"), metavar="OPR",
                   help="H2O ortho/para ratio of the computed g-factors (default 3)")
    p.set_defaults(solar=None)  # None: not given, so that --g-source published can refuse it


def _computed_g_options(args):
    """The production_rate keywords of --g-source computed; one UsageError line for a bad combination."""
    from ..errors import UsageError

    if args.g_source != "computed":
        given = [flag for flag, value in (("--t-rot", args.t_rot), ("--solar", args.solar), ("--rdot", args.rdot),
                                          ("--ortho-para", args.ortho_para)) if value is not None]
        if given:
            raise UsageError(f"{', '.join(given)}: used only with --g-source computed")
        return {}
    if args.g_factor is not None:
        raise UsageError("--g-factor states the g-factor: it excludes --g-source computed")
    if args.t_rot is None:
        raise UsageError("--g-source computed needs --t-rot K (the rotational temperature of the computed g)")
    if args.rdot is not None and args.solar != "meftah2023":
        raise UsageError("--rdot: the solar lines it shifts are only in --solar meftah2023")
    from ..physics.solar import DEFAULT_SOLAR
    from ..physics.templates import emission_model

    return {"g_source": "computed", "T_rot": args.t_rot, "ortho_para": args.ortho_para,
            "emission": emission_model(solar=args.solar or DEFAULT_SOLAR, rdot=args.rdot)}


def _run(args):
    import json

    import astropy.units as u

    from ..apertures import CircularAperture, RectangularAperture
    from ..errors import UsageError
    from ..geometry import Geometry
    from ..physics.production import production_rate

    computed = _computed_g_options(args)
    if args.flux <= 0 and args.flux_err is None:
        raise UsageError(f"--flux {args.flux:g} is not positive: give --flux-err to get an upper limit")
    offset = None if args.offset is None else u.Quantity(args.offset, u.arcsec)
    if args.aperture_radius is not None:
        aperture = CircularAperture(args.aperture_radius * u.arcsec, offset=offset)
    else:
        w, h = args.aperture_box
        aperture = RectangularAperture(w * u.arcsec, h * u.arcsec, offset=offset)
    geometry = Geometry(args.rh * u.au, args.delta * u.au)
    flux_unit = u.W / u.m**2
    result = production_rate(
        args.flux * flux_unit, args.species, geometry, aperture,
        flux_err=None if args.flux_err is None else args.flux_err * flux_unit,
        feature=args.feature,
        velocity=None if args.velocity is None else args.velocity * u.km / u.s,
        lifetime=None if args.lifetime is None else args.lifetime * u.s,
        g_factor=None if args.g_factor is None else args.g_factor / u.s,
        rel_err_g=args.rel_err_g, rel_err_lifetime=args.rel_err_lifetime,
        rel_err_velocity=args.rel_err_velocity, threshold=args.threshold, **computed,
    )
    d = result.to_dict()
    if args.json:
        print(json.dumps(d, indent=2))
        return 0
    print(str(result))
    print(_assumption_text(d))
    return 0


def _assumption_text(d):
    ap = d["aperture_km"]
    ap_text = ", ".join(f"{k} = ({v[0]:.6g}, {v[1]:.6g})" if isinstance(v, list) else f"{k} = {v:.6g}"
                        for k, v in ap.items() if k != "shape")
    lines = [
        f"  species / feature : {d['species']} {d['feature']} (bands: {', '.join(d['bands'])})",
        f"  flux              : {d['flux_W_m-2']:.4g} W m^-2"
        + ("" if d["flux_err_W_m-2"] is None else f" ± {d['flux_err_W_m-2']:.3g} (S/N {d['snr']:.2f})"),
        f"  g-factor at 1 au  : {d['g_factor_1au_per_s']:.4g} s^-1 (source {', '.join(d['sources']['g_factor'])};"
        " scaled as rh^-2)",
        f"  g used            : {d['g_source']}: "
        + ", ".join(f"{b} {g:.4g}" for b, g in d["band_g_factors_1au_per_s"].items()) + " s^-1 at 1 au",
        f"  band centre       : {d['band_center_cm-1']:.2f} cm^-1",
        f"  lifetime at 1 au  : {d['lifetime_1au_s']:.4g} s (source {d['sources']['lifetime']});"
        f" at the comet {d['lifetime_s']:.4g} s",
        f"  velocity          : {d['velocity_km_s']:.4g} km/s (source {d['sources']['velocity']})",
        f"  scale length      : {d['scale_length_km']:.4g} km",
        f"  geometry          : rh = {d['geometry']['rh_au']:g} au, delta = {d['geometry']['delta_au']:g} au",
        f"  aperture          : {ap['shape']}: {ap_text}",
        f"  N / Q             : {d['molecules_per_Q_s']:.4g} s",
        "  dlnQ/dln(g, tau, v): " + ", ".join(f"{v:+.3f}" for v in d["dlnQ_dln"].values()),
        "  stated rel. errors: " + ", ".join(f"{k} {v:g}" for k, v in d["rel_err"].items()),
    ]
    return "\n".join(lines)
