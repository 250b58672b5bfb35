"""``comaspec info FILE``: what a file holds, as comaspec reads it."""

from __future__ import annotations

import argparse

__all__ = ["add_parser", "summarize"]

_MAX_LISTED = 10  # spectra listed one by one in the text output
# Geometry and resolution a file may state (PSG configurations do), in the summary when present.
_STATED = ("rh_au", "delta_au", "beam_arcsec", "aperture_radius_arcsec", "resolving_power")


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register the ``info`` subcommand.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = subparsers.add_parser(
        "info",
        help="describe a spectrum or cube file: product, mode, wavelengths, good points, target, date",
        description=(
            "Describe a spectrum or cube file as comaspec reads it: product type, instrument mode, "
            "wavelength range, number of good points, flux unit, target and date; for a cube also "
            "its shape and pixel scale. Bad input: one line on stderr, exit status 2."
        ),
    )
    parser.add_argument("file", metavar="FILE", help="x1d / x1dints / c1d / s3d / msaexp FITS, or a text table")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument(
        "--flux-column", metavar="NAME", default=None,
        help="flux column to use (JWST: FLUX, SURF_BRIGHT, RF_FLUX, RF_SURF_BRIGHT; tables: a column name)",
    )
    parser.add_argument("--unit", metavar="UNIT", default=None,
                        help="flux unit of a table whose header gives none (e.g. Jy)")
    parser.add_argument(
        "--wavelength-unit", metavar="UNIT", default=None,
        help="wavelength unit of a table whose header gives none (e.g. um)"
    )
    parser.set_defaults(run=_run)
    return parser


def _common(meta) -> dict:
    epoch = meta.get("epoch")
    return {
        "product": meta.get("product"),
        "extension": meta.get("extension"),
        "instrument": meta.get("instrument"),
        "mode": meta.get("mode"),
        "target": meta.get("target"),
        "date": None if epoch is None else epoch.utc.isot,
        "date_from": meta.get("epoch_keyword"),
        "srctype": meta.get("srctype"),
    }


def _spectrum_summary(spec) -> dict:
    import astropy.units as u

    wave = spec.spectral_axis.to_value(u.um)
    out = _common(spec.meta)
    out.update(
        wavelength_min_um=float(wave.min()),
        wavelength_max_um=float(wave.max()),
        n_points=int(wave.size),
        n_good=int((~spec.mask).sum()) if spec.mask is not None else int(wave.size),
        flux_unit=spec.flux.unit.to_string(),
        flux_column=spec.meta.get("flux_column"),
        error_column=spec.meta.get("error_column"),
        has_uncertainty=spec.uncertainty is not None,
        sorted=bool(spec.meta.get("sorted", False)),
        n_dropped=int(spec.meta.get("n_dropped", 0)),
    )
    for key in ("flux_unit_from", "wavelength_unit_from"):  # no TUNIT: say so, never silently
        if spec.meta.get(key) == "JWST pipeline default":
            out[key] = spec.meta[key]
    if "original_flux_unit" in spec.meta and spec.meta["original_flux_unit"] != out["flux_unit"]:
        out["original_flux_unit"] = spec.meta["original_flux_unit"]
        out["unit_from"] = spec.meta.get("unit_from")
    # geometry and resolution stated by the file (a PSG configuration)
    out.update({key: float(spec.meta[key]) for key in _STATED if spec.meta.get(key) is not None})
    retrieval = spec.meta.get("psg_retrieval")
    if retrieval is not None:
        out["psg_retrieval"] = [{"variable": str(r["variable"]), "value": float(r["value"]),
                                 "sigma": float(r["sigma"]), "unit": str(r["unit"])} for r in retrieval]
    return out


def _cube_counts(cube) -> tuple:
    """(voxels, good voxels, channels with a good voxel, has an error image) of a Cube or a
    CubeStatistics."""
    import numpy as np

    from ..io import Cube

    if isinstance(cube, Cube):
        good = ~cube.mask
        return int(cube.mask.size), int(good.sum()), int(np.any(good, axis=(1, 2)).sum()), cube.error is not None
    return cube.n_points, cube.n_good, cube.n_wavelengths_with_data, cube.has_error


def _cube_summary(cube) -> dict:
    import astropy.units as u

    wave = cube.wavelength.to_value(u.um)
    out = _common(cube.meta)
    n_points, n_good, n_channels, has_error = _cube_counts(cube)
    out.update(
        shape=list(cube.shape),
        pixel_scale_arcsec=float(cube.pixel_scale.to_value(u.arcsec)),
        wavelength_axis=cube.meta.get("wavelength_axis"),
        wavelength_min_um=float(wave.min()),
        wavelength_max_um=float(wave.max()),
        n_points=n_points,
        n_good=n_good,
        n_wavelengths_with_data=n_channels,
        flux_unit=cube.bunit.to_string(),
        has_uncertainty=has_error,
    )
    return out


def summarize(obj, path) -> dict:
    """Plain-JSON description of what `comaspec.io.read_any` or `comaspec.io.read_summary` returned.

    Parameters
    ----------
    obj : specutils.Spectrum, specutils.SpectrumList, comaspec.io.Cube or comaspec.io.cube_scan.CubeStatistics
    path : str
        The file, recorded as ``file``.

    Returns
    -------
    dict
        For one spectrum or a cube, one flat dict; for several spectra the first
        one's product, mode, target and date plus ``n_spectra`` and ``spectra``
        (one dict each).
    """
    from ..io import Cube
    from ..io.cube_scan import CubeStatistics

    if isinstance(obj, (Cube, CubeStatistics)):
        return {"file": str(path), "kind": "cube", **_cube_summary(obj)}
    if isinstance(obj, list):
        parts = [_spectrum_summary(s) for s in obj]
        head = {k: parts[0][k] for k in ("product", "instrument", "mode", "target", "date", "date_from", "flux_unit")}
        return {"file": str(path), "kind": "spectra", **head, "n_spectra": len(parts), "spectra": parts}
    return {"file": str(path), "kind": "spectrum", **_spectrum_summary(obj)}


def _fmt_range(d) -> str:
    return f"{d['wavelength_min_um']:.5g} - {d['wavelength_max_um']:.5g} um"


def _spectrum_lines(d, indent=""):
    lines = [
        f"{indent}wavelength:  {_fmt_range(d)}"
        + (" (sorted on reading)" if d["sorted"] else "")
        + (f", {d['n_dropped']} rows without a wavelength dropped" if d["n_dropped"] else "")
        + (f", unit not in the file: the {d['wavelength_unit_from']}" if d.get("wavelength_unit_from") else ""),
        f"{indent}points:      {d['n_good']} good of {d['n_points']}",
    ]
    flux = f"{indent}flux:        {d['flux_unit']}"
    if d.get("flux_column"):
        flux += f" (column {d['flux_column']}"
        flux += f", errors {d['error_column']})" if d.get("error_column") else ", no error column)"
    if d.get("original_flux_unit"):
        flux += f", converted from {d['original_flux_unit']}"
    if d.get("flux_unit_from"):
        flux += f", unit not in the file: the {d['flux_unit_from']}"
    lines.append(flux)
    stated = [f"{label} {d[key]:.6g}{unit}" for key, label, unit in (
        ("rh_au", "rh", " au"), ("delta_au", "delta", " au"), ("beam_arcsec", "beam", " arcsec"),
        ("aperture_radius_arcsec", "aperture radius", " arcsec"), ("resolving_power", "R", "")) if key in d]
    if stated:
        lines.append(f"{indent}stated:      {', '.join(stated)}")
    for r in d.get("psg_retrieval", []):
        lines.append(f"{indent}retrieved:   {r['variable']} = {r['value']:.5g} ± {r['sigma']:.3g} {r['unit']} (PSG)")
    return lines


def format_text(d) -> str:
    """Human-readable form of a `summarize` dict."""
    lines = [f"file:        {d['file']}"]
    product = d["product"] or "unknown"
    if d.get("extension") and d["kind"] != "spectra":
        product += f" [{d['extension']}]"
    if d["kind"] == "spectra":
        product += f", {d['n_spectra']} spectra"
    lines.append(f"product:     {product}")
    for key in ("mode", "target"):
        if d.get(key):
            lines.append(f"{key + ':':<13}{d[key]}")
    if d.get("mode") is None and d.get("instrument"):
        lines.append(f"instrument:  {d['instrument']}")
    lines.append("date:        " + (f"{d['date']} UTC ({d['date_from']})" if d.get("date") else "unknown"))
    if d["kind"] == "cube":
        nw, ny, nx = d["shape"]
        lines += [
            f"shape:       {nw} wavelengths x {ny} x {nx} spaxels",
            f"pixel scale: {d['pixel_scale_arcsec']:.4g} arcsec",
            f"wavelength:  {_fmt_range(d)} ({d['wavelength_axis']})",
            f"voxels:      {d['n_good']} good of {d['n_points']}",
            f"flux:        {d['flux_unit']}",
        ]
    elif d["kind"] == "spectra":
        for i, part in enumerate(d["spectra"][:_MAX_LISTED]):
            label = part.get("extension") or ""
            lines.append(f"spectrum {i}:  {label}")
            lines += _spectrum_lines(part, indent="  ")
        if d["n_spectra"] > _MAX_LISTED:
            lines.append(f"... and {d['n_spectra'] - _MAX_LISTED} more (use --json for all)")
    else:
        lines += _spectrum_lines(d)
    return "\n".join(lines)


def _run(args) -> int:
    import json

    from ..io import read_summary

    unit = None
    if args.unit is not None or args.wavelength_unit is not None:
        unit = {k: v for k, v in (("flux", args.unit), ("wavelength", args.wavelength_unit)) if v is not None}
    # a cube is scanned a block of channels at a time, not held
    obj = read_summary(args.file, flux_column=args.flux_column, unit=unit)
    _warn_implausible(obj)
    summary = summarize(obj, args.file)
    if args.json:
        print(json.dumps(summary))
    else:
        print(format_text(summary))
    return 0


def _warn_implausible(obj):
    """A warning (stderr, one line each) for flux levels or wavelengths that suggest a wrong unit."""
    import warnings

    from ..errors import ComaspecWarning
    from ..io._sanity import problems

    for text in problems(obj):
        warnings.warn(text, ComaspecWarning, stacklevel=2)
