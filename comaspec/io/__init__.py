"""Reading spectra and cubes: every format a comet observer is likely to have.

Files are recognised by their content, not their name:

- FITS with ``EXTRACT1D`` / ``COMBINE1D`` tables: JWST x1d, x1dints, c1d (`.jwst`);
- FITS with ``SPEC1D``: msaexp (`.fits_tables`);
- FITS with a 3-D ``SCI`` image: an s3d cube — `read_cube`, then `extract_spectrum`;
- any other FITS binary table whose columns are named like a spectrum;
- text from NASA PSG (a retrieval's ``results_*.txt`` parts, a ``<KEY>value``
  configuration, a PSG spectrum table): `.psg`;
- text: ECSV, CSV or whitespace-separated columns with a header (`.tables`).

Everything that cannot be read raises `comaspec.InputError` with one line naming
the file and the problem.
"""

from __future__ import annotations

import warnings

from ..errors import TOO_LARGE, ComaspecError, InputError
from ._checks import check_path, describe_failure, open_fits, quiet_astropy, sniff
from ._spectrum import LightSpectrum, LightSpectrumList, to_public
from .cube import Cube

__all__ = ["read_spectrum", "read_cube", "extract_spectrum", "average_integrations", "read_any", "Cube",
           "LightSpectrum", "LightSpectrumList", "extract_light_spectrum", "read_summary"]


def _describe_no_spectrum(hdul) -> str:
    images = [
        f"{hdu.name or 'PRIMARY'} {'x'.join(str(n) for n in hdu.data.shape)}"
        for hdu in hdul
        if hdu.data is not None and not hasattr(hdu, "columns") and hdu.data.ndim >= 2
    ]
    if images and images[0].split()[1].count("x") == 2:  # a cube's planes, but none named SCI
        return (f"FITS without 1-D spectral data, and not a spectral cube: it holds 3-D images "
                f"({', '.join(images[:3])}) but no 3-D SCI image")
    if images:
        return (
            f"FITS without 1-D spectral data: it holds {images[0].split()[1].count('x') + 1}-D images "
            f"({', '.join(images[:3])}), e.g. an s2d/cal product; extract a 1-D spectrum (x1d) first"
        )
    return (
        "FITS without 1-D spectral data: no EXTRACT1D, COMBINE1D or SPEC1D extension and no table "
        "with wavelength and flux columns"
    )


def _guard(path, reader):
    """Run ``reader``; turn astropy/numpy failures on malformed content into InputError."""
    try:
        with quiet_astropy():
            return reader()
    except ComaspecError:
        raise
    except (ValueError, KeyError, IndexError, TypeError, OSError) as exc:
        raise InputError(path, f"cannot be read ({describe_failure(exc)})") from exc
    except MemoryError:
        raise InputError(path, TOO_LARGE) from None


def _read_cube_file(path, wavelength_ranges, keep_dq=True):
    """The cube in ``path`` (headers read first, then only the channels needed), or None
    when the file holds no cube."""
    from .cube import is_cube, read_cube_hdul

    with open_fits(path, load_data=False) as hdul:
        if not is_cube(hdul):
            return None
        return read_cube_hdul(str(path), hdul, wavelength_ranges, path, keep_dq)


def _read_fits_file(path, wavelength_ranges, flux_column, unit, keep_dq=True, scan_cube=False):
    """The cube in ``path`` (headers read first, then only the channels needed; with
    ``scan_cube`` its `~.cube_scan.CubeStatistics` instead), or else its spectra (all data
    read, as `open_fits` reads it); a clean file is opened once."""
    from ._checks import load_fits_data
    from .cube import is_cube, read_cube_hdul

    with open_fits(path, load_data=False) as hdul:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cube = is_cube(hdul)
        if cube and scan_cube:
            from .cube_scan import scan_cube_hdul

            return scan_cube_hdul(str(path), hdul, path)
        if cube:
            return read_cube_hdul(str(path), hdul, wavelength_ranges, path, keep_dq)
        if not caught:
            return _read_fits_spectrum(path, load_fits_data(hdul, path), flux_column, unit)
    # astropy warned while reading the headers (e.g. a truncated file): opened again in full,
    # open_fits says what is wrong with it
    with open_fits(path) as hdul:
        return _read_fits_spectrum(path, hdul, flux_column, unit)


def read_any(path, *, flux_column=None, unit=None, wavelength_ranges=None, keep_dq=True):
    """Read a file as whatever it holds: a spectrum, a list of spectra, or a cube.

    Parameters
    ----------
    path : str or os.PathLike
    flux_column, unit : optional
        As in `read_spectrum` (ignored for cubes).
    wavelength_ranges : sequence of (float, float) or callable, optional
        For a cube: as in `read_cube` (default every channel), or a callable that gets the
        span of the cube's channels (first, last, µm) and returns them.
    keep_dq : bool
        For a cube: as in `read_cube`.

    Returns
    -------
    LightSpectrum, LightSpectrumList or Cube
        comaspec's own spectrum types (the fitter takes them as it takes specutils
        objects; ``to_specutils()`` converts one), so that the command line and batch
        workers need not import specutils. `read_spectrum` returns specutils objects.
    """
    path = check_path(path)
    if sniff(path) == "fits":
        return _guard(path, lambda: _read_fits_file(path, wavelength_ranges, flux_column, unit, keep_dq))
    return _read_light(path, flux_column, unit)


def read_summary(path, *, flux_column=None, unit=None):
    """Read a file as `read_any` does, except that a cube's data are not held.

    For ``comaspec info``: a spectrum or a list of spectra comes back as from `read_any`; a
    cube as a `comaspec.io.cube_scan.CubeStatistics` (shape, wavelengths, pixel scale, unit,
    good voxels and the flux-level check), taken from its headers and SCI and DQ read a block
    of channels at a time. A file is refused exactly when `read_any` refuses it.

    Parameters
    ----------
    path : str or os.PathLike
    flux_column, unit : optional
        As in `read_spectrum` (ignored for cubes).

    Returns
    -------
    LightSpectrum, LightSpectrumList or comaspec.io.cube_scan.CubeStatistics
    """
    path = check_path(path)
    if sniff(path) == "fits":
        return _guard(path, lambda: _read_fits_file(path, None, flux_column, unit, scan_cube=True))
    return _read_light(path, flux_column, unit)


def _read_fits_spectrum(path, hdul, flux_column, unit):
    from .cube import is_cube
    from .fits_tables import find_spectrum_table, read_fits_table, read_msaexp
    from .jwst import is_jwst_spectrum, read_jwst_spectra

    source = str(path)
    if is_jwst_spectrum(hdul):
        if unit is not None:
            raise InputError(source, "JWST pipeline products state their units; unit= applies to tables only "
                                      "(command line: --unit, --wavelength-unit)")
        spectra = read_jwst_spectra(source, hdul, flux_column)
        if len(spectra) == 1:
            return spectra[0]
        return LightSpectrumList(spectra)
    if "SPEC1D" in hdul and hasattr(hdul["SPEC1D"], "columns"):
        return read_msaexp(source, hdul, flux_column, unit)
    if is_cube(hdul):
        raise InputError(source, "is a 3-D spectral cube (s3d): use read_cube and extract_spectrum")
    table = find_spectrum_table(hdul)
    if table is not None:
        return read_fits_table(source, hdul, table, flux_column, unit)
    raise InputError(source, _describe_no_spectrum(hdul))


def read_spectrum(path, *, flux_column=None, unit=None):
    """Read a 1-D spectrum, recognising the format by the file's content.

    Parameters
    ----------
    path : str or os.PathLike
        A JWST x1d / x1dints / c1d (MIRI MRS included), an msaexp ``spec.fits``,
        a FITS binary table, an ECSV / CSV / whitespace text table, or a NASA PSG
        retrieval's results (its ``results_dat`` Data and Noise columns; see
        `comaspec.io.psg`).
    flux_column : str, optional
        The flux column to use. JWST: ``"FLUX"``, ``"SURF_BRIGHT"``, ``"RF_FLUX"``
        or ``"RF_SURF_BRIGHT"``; default the residual-fringe-corrected ``RF_FLUX``
        when present, else ``FLUX`` when it holds finite non-zero values, else the
        surface brightness. Tables: the column name, when the header is ambiguous.
    unit : str, astropy.units.UnitBase or dict, optional
        Tables only: the flux unit (``"Jy"``), or ``{"wavelength": ..., "flux": ...}``,
        overriding or supplying what the header says.

    Returns
    -------
    specutils.Spectrum or specutils.SpectrumList
        Spectral axis in µm; flux in Jy (or MJy/sr for a surface brightness);
        ``uncertainty`` a `~astropy.nddata.StdDevUncertainty`; ``mask`` True where
        a point is bad. A `~specutils.SpectrumList` when the file holds several
        spectra (several EXTRACT1D extensions, or the integrations of an x1dints).
        ``meta`` holds ``source_file``, ``extension``, ``product`` ("x1d",
        "x1dints", "c1d", "msaexp", "table", "psg"), ``instrument``, ``mode``, ``grating``,
        ``filter``, ``epoch`` (`~astropy.time.Time`), ``target``, ``srctype``,
        ``flux_column``, ``n_points``, ``n_good``, ``sorted`` and, by product,
        ``npixels``, ``comments``.

    Raises
    ------
    comaspec.InputError
        One line naming the file and what is wrong with it.

    Examples
    --------
    >>> import comaspec
    >>> spec = comaspec.read_spectrum(comaspec.example_path())
    >>> spec.meta["mode"]
    'NIRSPEC PRISM/CLEAR'
    """
    return to_public(_read_light(check_path(path), flux_column, unit))


def _read_light(path, flux_column, unit):
    """`read_spectrum` of a checked path, as comaspec's light spectrum types."""
    if sniff(path) == "text":
        from .psg import is_psg_text, read_psg_spectrum
        from .tables import read_text_table

        with open(path, "rb") as fh:
            head = fh.read(8192).decode("utf-8", errors="replace")
        if is_psg_text(head):
            if flux_column is not None or unit is not None:
                raise InputError(path, "is a PSG file: its columns and units come from its configuration; "
                                       "flux_column= and unit= apply to plain tables only")
            return _guard(path, lambda: read_psg_spectrum(path))
        return _guard(path, lambda: read_text_table(path, flux_column, unit))

    def read():
        with open_fits(path) as hdul:
            return _read_fits_spectrum(path, hdul, flux_column, unit)

    return _guard(path, read)


def read_cube(path, *, wavelength_ranges=None, keep_dq=True):
    """Read a JWST IFU cube (s3d) without stdatamodels.

    Parameters
    ----------
    path : str or os.PathLike
        A FITS file with a 3-D ``SCI`` image (and usually ``ERR`` and ``DQ``).
    wavelength_ranges : sequence of (float, float), optional
        Read only the channels inside these ranges (µm), and two channels beyond each end
        (the model needs a fitted pixel's neighbours for its edges); e.g. the fit windows,
        ``[(w.lo_um, w.hi_um) for w in comaspec.model.DEFAULT_WINDOWS]``. Default: every
        channel. A cube read this way is refused by fits whose windows need other channels.
    keep_dq : bool
        False: the DQ flags are read a block of channels at a time to make ``mask`` and not
        held (``dq`` is None; a quarter less memory), as `comaspec.map_cube` given a path and
        ``comaspec ratio`` read cubes.

    Returns
    -------
    Cube
        ``flux``/``error`` of shape ``(nwave, ny, nx)`` in the file's BUNIT, float32 (the
        precision of the file), ``mask`` (NaN or DQ DO_NOT_USE), ``dq`` in its unsigned
        integer type, ``wavelength`` in µm (linear WCS or ``WAVE-TAB`` table),
        ``pixel_scale`` in arcsec, the celestial ``wcs``. An uncompressed file is read
        through a memory map, a block of channels at a time.

    Raises
    ------
    comaspec.InputError
        If the file is not a cube or lacks what extraction needs.
    """
    path = check_path(path)
    if sniff(path) != "fits":
        raise InputError(path, "is a text file, not a FITS cube")

    def read():
        cube = _read_cube_file(path, wavelength_ranges, keep_dq)
        if cube is None:
            raise InputError(path, "is not a spectral cube: no 3-D SCI image")
        return cube

    return _guard(path, read)


def extract_spectrum(cube, aperture, center=None, *, max_masked_fraction=0.1, species=None):
    """Extract a 1-D spectrum from a cube through an aperture.

    Parameters
    ----------
    cube : Cube
        From `read_cube`.
    aperture : comaspec aperture
        `~comaspec.CircularAperture`, `~comaspec.AnnularAperture` or
        `~comaspec.RectangularAperture` with angular sizes, or a
        `~comaspec.SpaxelMask`. Its ``offset`` (dx, dy) moves it from the nucleus
        along the cube's +x and +y pixel axes.
    center : tuple of float, optional
        Nucleus position (x, y) in 0-based pixels. Default: the continuum
        photocentre (median over wavelength, flux-weighted centroid), or the centroid of
        the strongest band's emission where the continuum is weak
        (`comaspec.io.nucleus.find_nucleus`, which warns when the two disagree).
    max_masked_fraction : float, optional
        Largest fraction of the aperture's area that may fall on missing spaxels
        (NaN, DO_NOT_USE, outside the cube) at a wavelength; the good part is then
        scaled up by area. Above it that wavelength is masked. Default 0.1.
    species : sequence of str, optional
        Species whose main feature may locate the gas when the continuum is weak
        (default: every species).

    Returns
    -------
    specutils.Spectrum
        Flux density in Jy (surface brightness × exact overlap weight × spaxel
        solid angle, summed), errors summed in quadrature with the weights.
        ``meta["aperture"]`` is ``aperture.describe()``, ``meta["center_pix"]`` the
        aperture centre, ``meta["nucleus_pix"]`` the nucleus and
        ``meta["center_method"]`` how it was found, ``meta["nucleus_search"]`` the
        search's numbers (peak S/N of the continuum and gas images, both centres, notes),
        ``meta["masked_area_fraction"]`` the missing fraction per wavelength.
    """
    return to_public(extract_light_spectrum(cube, aperture, center, max_masked_fraction=max_masked_fraction,
                                            species=species))


def extract_light_spectrum(cube, aperture, center=None, *, max_masked_fraction=0.1, species=None):
    """`extract_spectrum` returning a `LightSpectrum` (for the command line, maps and batches).

    Parameters
    ----------
    cube, aperture, center, max_masked_fraction, species
        As in `extract_spectrum`.

    Returns
    -------
    LightSpectrum
    """
    from .extract import extract_spectrum_from_cube

    if not isinstance(cube, Cube):
        raise InputError("cube", f"must be a Cube from read_cube (got {type(cube).__name__})")
    from .._validate import fraction

    max_masked_fraction = fraction(max_masked_fraction, "max_masked_fraction")
    with quiet_astropy():
        return extract_spectrum_from_cube(cube, aperture, center, max_masked_fraction, species)


def average_integrations(spectra, *, weighting="uniform"):
    """Average the integrations of an x1dints file into one spectrum.

    Parameters
    ----------
    spectra : specutils.SpectrumList or list of specutils.Spectrum
        Spectra on one wavelength grid, e.g. ``read_spectrum("..._x1dints.fits")``.
    weighting : {"uniform", "inverse_variance"}, optional
        ``"uniform"`` (default): the plain mean of the good integrations at each
        wavelength, σ = sqrt(Σσᵢ²)/n — unbiased even when the noise depends on the
        signal. ``"inverse_variance"``: weights 1/σᵢ², σ = (Σ 1/σᵢ²)^-1/2.

    Returns
    -------
    specutils.Spectrum
        Masked where no integration is good; ``meta["n_combined"]`` counts the
        integrations used at each wavelength.
    """
    from .integrations import average_integrations_impl

    return to_public(average_integrations_impl(spectra, weighting))


def _lazy_submodules():
    from .._lazy import lazy_exports

    return lazy_exports(__name__, globals(), {})


# every public module of the package (comaspec.io.header, comaspec.io.jwst) is an attribute,
# imported on first use
__getattr__, __dir__ = _lazy_submodules()
