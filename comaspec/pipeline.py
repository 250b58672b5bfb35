"""The per-observation work of ``comaspec ratio`` as one API call.

Read the files of one coma (spectra, x1dints, s3d cubes), turn them into the spectra to
fit (cubes extracted through the aperture, integrations averaged) and fit them jointly.
``comaspec ratio`` and ``comaspec batch`` both go through `fit_loaded`, so a batch gives
the numbers the command gives file by file.
"""

from __future__ import annotations

__all__ = ["check_distinct", "check_distinct_data", "load_inputs", "spectra_to_fit", "fit_loaded", "fit_files",
           "default_aperture",
           "surface_brightness_files", "default_species_ranges",
           "DEFAULT_CUBE_APERTURE_ARCSEC"]

#: Radius (arcsec) of the circular aperture, around the continuum photocentre, used for s3d
#: cubes when no aperture is given: a choice of comaspec (about the NIRSpec IFU PSF core at
#: 4 µm), not a measurement.
DEFAULT_CUBE_APERTURE_ARCSEC = 0.5


def default_aperture(loaded):
    """The aperture used when none is given: a circle of `DEFAULT_CUBE_APERTURE_ARCSEC` when
    an input is a cube, else None (a spectrum's extraction aperture cannot be guessed).

    Parameters
    ----------
    loaded : list
        From `load_inputs`.

    Returns
    -------
    `comaspec.CircularAperture` or None
    """
    import astropy.units as u

    from .apertures import CircularAperture

    if any(is_cube for _, _, is_cube in loaded):
        return CircularAperture(DEFAULT_CUBE_APERTURE_ARCSEC * u.arcsec)
    return None


def check_distinct(paths):
    """Refuse a file given twice: fitted as two independent spectra, its noise would count
    twice and every error would shrink by sqrt(2).

    Two paths are the same file when they resolve to one (``..``, symbolic links) or name
    one inode (hard links), as `os.path.samefile` decides. Paths that do not exist are left
    to the readers.

    Parameters
    ----------
    paths : sequence of str or os.PathLike

    Raises
    ------
    comaspec.UsageError
        Naming both paths.
    """
    import os

    from .errors import UsageError

    seen = {}
    for path in paths:
        try:
            st = os.stat(path)
        except (OSError, TypeError, ValueError):
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:
            first = seen[key]
            what = "given twice" if str(first) == str(path) else f"and {path} are the same file"
            raise UsageError(f"{first} {what}: each file is fitted once (twice, its noise would count as "
                             "two independent measurements)")
        seen[key] = path


def load_inputs(paths, *, windows=None, species=None, whole_cubes=False, unit=None):
    """Read every file as whatever it holds (each file once: see `check_distinct`).

    Cubes are read with ``keep_dq=False``: their DQ flags make the mask (``dq`` is None).

    Parameters
    ----------
    paths : sequence of str or os.PathLike
        Spectra (x1d, x1dints, c1d, tables) or s3d cubes of one coma.
    windows : sequence of `comaspec.model.Window`, optional
        The fit windows: cubes are read for their channels only (`comaspec.read_cube` with
        ``wavelength_ranges``). Default: the default windows of ``species``
        (`comaspec.model.default_windows`), or all of `comaspec.model.DEFAULT_WINDOWS`
        when ``species`` is not given either.
    species : sequence of str, optional
        The species to be fitted (they choose the default windows). Without species or
        windows a cube is read for `default_species_ranges` of its span.
    whole_cubes : bool
        Read every channel of cubes instead.
    unit : str, astropy.units.UnitBase or dict, optional
        Passed to `comaspec.io.read_any` for every file: the units of tables (as in
        `comaspec.read_spectrum`; cubes ignore it, JWST pipeline products and PSG files refuse it).

    Returns
    -------
    list of (path, object, bool)
        The path as given, what `comaspec.io.read_any` read from it (a light spectrum, a
        list of them, or a `comaspec.io.Cube`), and whether it is a cube.
    """
    from .io import read_any
    from .model.continuum import window_ranges

    check_distinct(paths)
    ranges = None if whole_cubes else window_ranges(windows, species)
    if ranges is not None and windows is None and species is None:
        ranges = default_species_ranges     # decided by each cube's span
    out = []
    for path in paths:
        obj = read_any(path, unit=unit, wavelength_ranges=ranges, keep_dq=False)     # DQ makes the mask, no more
        out.append((path, obj, type(obj).__name__ == "Cube"))
    check_distinct_data(out)
    return out


def check_distinct_data(loaded):
    """Refuse two files holding the same spectrum: two real exposures never agree in every
    flux value, so identical data are one measurement given twice (a copy of a file under
    another name), whose noise would count twice and shrink every error by sqrt(2).

    Spectra are compared by a digest of their wavelengths, fluxes and errors; cubes are not
    compared (hashing every voxel would cost as much as reading the cube again).

    Parameters
    ----------
    loaded : list of (path, object, bool)
        As `load_inputs` returns.

    Raises
    ------
    comaspec.UsageError
        Naming both files.
    """
    import hashlib

    import numpy as np

    from .errors import UsageError

    seen = {}
    for path, obj, is_cube in loaded:
        if is_cube:
            continue
        for spectrum in obj if isinstance(obj, list) else [obj]:
            digest = hashlib.sha256()
            for part in (spectrum.spectral_axis, spectrum.flux, spectrum.uncertainty):
                values = getattr(part, "array", part)   # an uncertainty object holds its array
                values = None if values is None else np.ascontiguousarray(getattr(values, "value", values))
                digest.update(b"-" if values is None else values.tobytes())
            key = digest.digest()
            if key in seen and str(seen[key]) != str(path):
                raise UsageError(f"{seen[key]} and {path} hold the same spectrum (identical data): a copy of one "
                                 "measurement would count its noise twice; give each file once")
            seen.setdefault(key, path)


def default_species_ranges(lo_um, hi_um):
    """The wavelength ranges a cube spanning ``lo_um``-``hi_um`` must hold for a fit whose
    species and windows are not named (`fit_loaded` with ``species=None``).

    The windows of `comaspec.model.DEFAULT_SPECIES` when a band of theirs lies in the span:
    the fit then fits them, whatever the other files of a joint fit cover
    (`comaspec.model.species_covered`); else every window of `comaspec.model.DEFAULT_WINDOWS`.

    Parameters
    ----------
    lo_um, hi_um : float
        The span of the cube's file (µm).

    Returns
    -------
    list of (float, float)
    """
    from .model.continuum import window_ranges
    from .model.species import DEFAULT_SPECIES
    from .physics import molecules as mol

    default_band_inside = any(lo_um <= b.center_um <= hi_um for s in DEFAULT_SPECIES
                              for f in mol.features_of(s) for b in mol.bands_of(s, f))
    return window_ranges(None, DEFAULT_SPECIES if default_band_inside else None)


def spectra_to_fit(loaded, aperture, mode=None, *, extension=None, joint=False, geometry=None, center=None,
                   species=None):
    """The spectra to fit: cubes extracted through ``aperture``, x1dints averaged, surface
    brightness turned into flux density over ``aperture``.

    Parameters
    ----------
    loaded : list
        From `load_inputs`.
    aperture : comaspec aperture
        Extraction aperture for cubes.
    mode : str, optional
        Instrument mode for spectra whose metadata do not name one (a mode named in
        the file wins).
    extension : str, optional
        Of a file with several extractions, fit only this one (``ratio --extension``).
    joint : bool
        Fit every extraction of a file together even when their modes or sources differ
        (``ratio --joint``).
    geometry : `comaspec.Geometry`, optional
        Needed only to convert a surface-brightness spectrum through an aperture in km.
    center : (x, y), optional
        The nucleus on the cubes, 0-based pixels (``ratio --center``); default: found from
        the data (`comaspec.io.nucleus.find_nucleus`).
    species : sequence of str, optional
        The fitted species: their features may locate the gas on a cube.

    Returns
    -------
    list of `comaspec.io.LightSpectrum`
        A 1-D spectrum in surface brightness (MJy/sr) is taken as the average over
        ``aperture`` and multiplied by its solid angle
        (`comaspec.io.surface.surface_brightness_to_flux`).
    """
    from .io import extract_light_spectrum
    from .io.integrations import average_integrations_impl
    from .io.select import select_extractions

    spectra = []
    for path, obj, is_cube in loaded:
        if is_cube:
            _no_extension(extension, path, "a cube (one extraction through the aperture)")
            spectra.append(extract_light_spectrum(obj, aperture, center, species=species))
        elif isinstance(obj, list):              # several spectra in one file
            if obj and obj[0].meta.get("product") == "x1dints":
                _no_extension(extension, path, "a series of integrations (averaged into one spectrum)")
                spectra.append(average_integrations_impl(obj))
            else:
                spectra.extend(select_extractions(path, obj, extension, joint))
        else:
            # one extraction: --extension must name it (0 or its name), never be ignored
            spectra.extend(select_extractions(path, [obj], extension, joint))
    spectra = [_as_flux_density(s, aperture, geometry) for s in spectra]
    if mode:
        _give_mode(spectra, mode)
    return spectra


def _give_mode(spectra, mode):
    """``mode`` for the spectra whose metadata name none; refused when unknown or when it
    contradicts the mode a file names (never ignored silently)."""
    from .errors import InputError, UsageError
    from .physics.instrument import MODES, mode_from_meta

    wanted = mode_from_meta({"mode": str(mode)})
    if wanted is None:
        raise UsageError(f"--mode {mode}: not a known instrument mode (known: {', '.join(MODES)})")
    for spectrum in spectra:
        named = mode_from_meta(spectrum.meta)
        if named is None:
            spectrum.meta["mode"] = mode
        elif named != wanted:
            raise InputError(spectrum.meta.get("source_file") or "spectrum",
                             f"names its mode, {named}; --mode {mode} applies only to spectra that name none")


def _as_flux_density(spectrum, aperture, geometry):
    from .io.surface import is_surface_brightness, surface_brightness_to_flux

    if not is_surface_brightness(spectrum):
        return spectrum
    return surface_brightness_to_flux(spectrum, aperture, geometry)


def surface_brightness_files(loaded):
    """The paths of the 1-D spectra in surface brightness (cubes are not counted).

    Parameters
    ----------
    loaded : list
        From `load_inputs`.

    Returns
    -------
    list of str
    """
    from .io.surface import is_surface_brightness

    out = []
    for path, obj, is_cube in loaded:
        parts = [] if is_cube else (list(obj) if isinstance(obj, list) else [obj])
        if any(is_surface_brightness(s) for s in parts):
            out.append(str(path))
    return out


def _conversion_notes(spectra):
    """One note per spectrum turned from surface brightness into flux density."""
    notes = []
    for s in spectra:
        omega = s.meta.get("surface_brightness_solid_angle_sr")
        if omega is not None:
            notes.append(f"{s.meta.get('source_file', 'spectrum')}: surface brightness (MJy/sr) taken as the "
                         f"average over the aperture and multiplied by its solid angle, {omega:.4g} sr "
                         "(F = I × Ω)")
    return notes


def _no_extension(extension, path, what):
    """Refuse ``--extension`` for a file it cannot apply to (rather than ignore it)."""
    if extension is not None:
        from .errors import UsageError

        raise UsageError(f"--extension {extension}: {path} is {what}, with no extractions to choose from")


def fit_loaded(loaded, geometry, aperture, species, *, mode=None, extension=None, joint=False, center=None,
               allow_implausible_flux=False, **options):
    """Fit the files read by `load_inputs` jointly: what ``comaspec ratio`` computes.

    Parameters
    ----------
    loaded : list
        From `load_inputs`.
    geometry : `comaspec.Geometry`
    aperture : comaspec aperture or None
        The extraction aperture (also used to extract cubes); None: `default_aperture`
        (cubes only).
    species : sequence of str or None
        Species to fit; None: `comaspec.model.species_covered` by the spectra.
    mode, extension, joint, center : optional
        As in `spectra_to_fit`.
    allow_implausible_flux : bool
        Fit spectra whose flux level is implausible for their unit (default: refused
        with an `comaspec.InputError`, as ``comaspec ratio`` does).
    **options
        Passed to `comaspec.fit_coma` (``T_rot``, ``windows``, ``mc``, ...).

    Returns
    -------
    `comaspec.results.ComaFit`
        Its ``inputs`` hold the paths as given, and the instrument, mode and target
        of the first spectrum; ``fit_info["pump_opacity"]`` the optical depth of the
        pumping lines in the aperture (`comaspec.maps.opacity.pump_opacity`).
    """
    from .io.select import check_plausible
    from .errors import UsageError
    from .fit.core import fit_coma
    from .io.cube import check_channels
    from .maps.opacity import pump_opacity
    from .model.continuum import window_ranges

    if aperture is None:
        surface = surface_brightness_files(loaded)
        if surface:
            from .io.surface import missing_aperture_message

            raise UsageError(missing_aperture_message(surface[0]))
        aperture = default_aperture(loaded)
        if aperture is None:
            raise UsageError("the extraction aperture of the spectrum is needed for production rates: "
                             "pass aperture= (only cubes have a default)")
    if center is not None and not any(is_cube for _, _, is_cube in loaded):
        raise UsageError("center: the nucleus position is for cubes, and no input is a cube")
    spectra = spectra_to_fit(loaded, aperture, mode, extension=extension, joint=joint, geometry=geometry,
                             center=center, species=species)
    check_plausible(spectra, allow_implausible_flux)
    if species is None:
        from .model.species import species_covered

        # a cube read for the fit windows only still chooses by the span of its file
        spans = [s.meta.get("wavelength_span_um") or _span(s) for s in spectra]
        species = species_covered(spans)
    for _, obj, is_cube in loaded:
        if is_cube:
            check_channels(obj, window_ranges(options.get("windows"), species))
    first = spectra[0].meta
    inputs = {"paths": [path for path, _, _ in loaded], "instrument": first.get("instrument"),
              "mode": "+".join(dict.fromkeys(str(s.meta.get("mode")) for s in spectra)),
              "target": first.get("target")}
    notes = _conversion_notes(spectra)
    if notes:
        inputs["surface_brightness_solid_angle_sr"] = [s.meta.get("surface_brightness_solid_angle_sr")
                                                       for s in spectra]
    fit = fit_coma(spectra, geometry, aperture, species, inputs=inputs, **options)
    fit.fit_info.setdefault("notes", []).extend(notes)
    fit.fit_info["pump_opacity"] = pump_opacity(fit)  # a note when the pump lines are not thin
    return fit


def _span(spectrum):
    wl = spectrum.spectral_axis.to_value("um")
    return float(wl.min()), float(wl.max())


def fit_files(paths, geometry, aperture, species, **options):
    """Read and fit the files of one coma: `load_inputs` then `fit_loaded`.

    Parameters
    ----------
    paths : sequence of str or os.PathLike
    geometry, aperture, species, **options
        As in `fit_loaded`.

    Returns
    -------
    `comaspec.results.ComaFit`
    """
    loaded = load_inputs(paths, windows=options.get("windows"), species=species)
    return fit_loaded(loaded, geometry, aperture, species, **options)
