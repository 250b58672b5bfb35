"""NASA PSG files: configurations, retrieval results and synthetic spectra, read and written.

PSG (the Planetary Spectrum Generator, Villanueva et al. 2018, JQSRT 217, 86) writes
plain text: a configuration of ``<KEY>value`` lines, and ASCII tables whose meaning is
in ``#`` comments or in the configuration. A retrieval saved from PSG's web interface
concatenates its parts, each after a line naming it::

    results_cfg.txt   the configuration (the retrieved values included)
    results_dat.txt   wavelength and the columns of <RETRIEVAL-FLUXLABELS> (Data, Noise, Model, Base)
    results_log.txt   one line of HTML-formatted log
    results_nst.txt   Monte-Carlo samples of the retrieved variables
    results_rad.txt   the synthetic spectrum by component
    results_ret.txt   the optimal-estimation summary (values, sigmas, chi-square)

`read_psg` reads any of these (a whole retrieval, a configuration alone, or one table
with PSG's ``#`` header); `comaspec.read_spectrum` recognises them by content and returns
the data column. The format is read and written here directly: the ``pypsg`` client runs
``docker ps`` when imported and cannot be a dependency. Writing a configuration of a
fitted coma is `write_config` (module `comaspec.io.psg_write`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import astropy.units as u
import numpy as np

from ..errors import InputError
from ._checks import check_path
from ._psg_config import KEY_LINE, PSGConfig, parse_config_lines
from .psg_write import config_from_fit, write_config

__all__ = ["PSGResults", "PSGConfig", "read_psg", "read_psg_config", "is_psg_text", "psg_spectrum",
           "write_config", "config_from_fit"]

_SECTION = re.compile(r"^results_([A-Za-z0-9]+)\.txt$")
_PSG_BANNER = "planetary spectrum generator"
# GENERATOR-RADUNITS codes read as flux (PSG's "Radiation units"; others are refused).
_RAD_UNITS = {"Jy": u.Jy, "Wm2um": u.W / u.m**2 / u.um, "Wsrm2um": u.W / u.sr / u.m**2 / u.um}


@dataclass
class PSGResults:
    """What a PSG file holds.

    Attributes
    ----------
    source : str
        The file.
    config : PSGConfig or None
        The configuration (``results_cfg`` or a configuration file).
    data : astropy.table.QTable or None
        ``results_dat``: ``wavelength`` and one column per RETRIEVAL-FLUXLABELS label,
        with the units of the configuration.
    retrieval : astropy.table.Table or None
        One row per retrieved variable: ``variable``, ``value``, ``sigma``, ``unit``,
        ``apriori``; ``meta`` holds ``chi2``, ``chi2_reduced``, ``n_points``, ``dof``
        and ``status`` where the file states them.
    radiance : astropy.table.Table or None
        ``results_rad`` (or a PSG spectrum file): the spectral axis and one column per
        component; ``meta`` holds ``spectral_unit`` and ``radiance_unit`` as written.
    log : str or None
        ``results_log`` with its HTML line breaks turned into newlines.
    sections : tuple of str
        The parts found, in file order (``cfg``, ``dat``, ...).
    """

    source: str
    config: PSGConfig | None = None
    data: object = None
    retrieval: object = None
    radiance: object = None
    log: str | None = None
    sections: tuple = field(default_factory=tuple)


def is_psg_text(head):
    """Whether text (the first few kB of a file) is a PSG file.

    Parameters
    ----------
    head : str

    Returns
    -------
    bool
        True when the first non-blank line names a ``results_*.txt`` part or is a
        ``<KEY>value`` line, or a leading ``#`` comment names the Planetary Spectrum Generator.

    Examples
    --------
    >>> is_psg_text("results_cfg.txt\\n<OBJECT>Comet\\n")
    True
    >>> is_psg_text("# wave (um) flux (Jy)\\n3.3 0.002\\n")
    False
    """
    lines = [line.strip() for line in head.splitlines() if line.strip()]
    if not lines:
        return False
    if _SECTION.match(lines[0]) or KEY_LINE.match(lines[0]):
        return True
    for line in lines[:20]:
        if not line.startswith("#"):
            break
        if _PSG_BANNER in line.lower():
            return True
    return False


def _split_sections(text, source):
    """{part: [(line number, line), ...]} in file order."""
    numbered = list(enumerate(text.splitlines(), start=1))
    first = next((line.strip() for _, line in numbered if line.strip()), "")
    if not _SECTION.match(first):
        kind = "cfg" if KEY_LINE.match(first) else "rad"
        return {kind: numbered}
    parts, current = {}, None
    for number, line in numbered:
        match = _SECTION.match(line.strip())
        if match:
            current = match.group(1).lower()
            if current in parts:
                raise InputError(source, f"line {number}: part results_{current}.txt appears twice")
            parts[current] = []
        elif current is not None:
            parts[current].append((number, line))
    return parts


def _numeric_rows(lines, source, part, ncols=None):
    """The non-comment rows of a table as a float array (n, ncols)."""
    rows = []
    for number, line in lines:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        tokens = text.split()
        try:
            values = [float(t) for t in tokens]
        except ValueError:
            raise InputError(source, f"line {number} ({part}): not a row of numbers") from None
        ncols = ncols or len(values)
        if len(values) != ncols:
            raise InputError(source, f"line {number} ({part}): {len(values)} columns where {ncols} were expected")
        rows.append(values)
    if not rows:
        raise InputError(source, f"{part}: no data rows")
    return np.array(rows, dtype=float)


def _rad_unit(config, source):
    code = None if config is None else config.get("GENERATOR-RADUNITS")
    if code is None:
        raise InputError(source, "no flux unit: the configuration has no <GENERATOR-RADUNITS>")
    if code not in _RAD_UNITS:
        raise InputError(source, f"<GENERATOR-RADUNITS> is not a flux unit comaspec reads "
                                 f"(one of {', '.join(_RAD_UNITS)})")
    return _RAD_UNITS[code]


def _read_dat(lines, config, source):
    from astropy.table import QTable

    labels = [] if config is None else config.items_of("RETRIEVAL-FLUXLABELS")
    if not labels:
        raise InputError(source, "results_dat: its columns are not labelled (no <RETRIEVAL-FLUXLABELS> "
                                 "in the configuration)")
    rows = _numeric_rows(lines, source, "results_dat", ncols=len(labels) + 1)
    spectral, _ = config.spectral_unit
    flux_unit = _rad_unit(config, source)
    table = QTable()
    table["wavelength"] = rows[:, 0] * spectral
    for i, label in enumerate(labels, start=1):
        if label in table.colnames:
            raise InputError(source, f"<RETRIEVAL-FLUXLABELS> names one label twice (column {i})")
        table[label] = rows[:, i] * flux_unit
    return table


def _comment_value(comments, prefix):
    for line in comments:
        if line.lower().startswith(prefix):
            return line[len(prefix):].strip()
    return None


def _read_rad(lines, source):
    from astropy.table import Table

    comments = [line.strip().lstrip("#").strip() for _, line in lines if line.strip().startswith("#")]
    header = next((c for c in reversed(comments) if c.lower().startswith("wave")), None)
    rows = _numeric_rows(lines, source, "spectrum")
    names = header.split() if header else []
    if len(names) != rows.shape[1]:
        names = ["wavelength"] + [f"col{i}" for i in range(1, rows.shape[1])]
    names[0] = "wavelength"
    table = Table(rows, names=names)
    table.meta["spectral_unit"] = _comment_value(comments, "spectral unit:")
    table.meta["radiance_unit"] = _comment_value(comments, "radiance unit:")
    return table


def _ret_header(lines):
    """{KEY: first token} from '# KEY:  value (description)' lines of results_ret."""
    out = {}
    for _, line in lines:
        match = re.match(r"^#\s*([A-Z][A-Z\-]*):\s+(\S+)", line.strip())
        if match:
            out[match.group(1)] = match.group(2)
    return out


def _ret_parameters(lines):
    """{variable: a-priori} from the parameter rows of results_ret."""
    out = {}
    for _, line in lines:
        tokens = line.split()
        if len(tokens) >= 5 and not line.strip().startswith("#") and not re.match(r"^[-+.\d]", tokens[0]):
            try:
                out[tokens[0]] = float(tokens[4])
            except ValueError:
                continue
    return out


def _float_or_none(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _retrieval(config, ret_lines, log, source):
    from astropy.table import Table

    variables = [] if config is None else config.items_of("RETRIEVAL-VARIABLES")
    if not variables:
        return None
    values, sigmas = config.numbers("RETRIEVAL-VALUES"), config.numbers("RETRIEVAL-SIGMAS")
    units = config.items_of("RETRIEVAL-UNITS") or [""] * len(variables)
    for key, got in (("RETRIEVAL-VALUES", values), ("RETRIEVAL-SIGMAS", sigmas), ("RETRIEVAL-UNITS", units)):
        if len(got) != len(variables):
            raise InputError(source, f"<RETRIEVAL-VARIABLES> names {len(variables)} variables but <{key}> "
                                     f"has {len(got)} entries")
    apriori = _ret_parameters(ret_lines or [])
    table = Table({"variable": variables, "value": values, "sigma": sigmas, "unit": units,
                   "apriori": [apriori.get(v, np.nan) for v in variables]})
    head = _ret_header(ret_lines or [])
    table.meta.update(chi2=_float_or_none(head.get("CHISQ")), chi2_reduced=_float_or_none(head.get("RCHISQ")),
                      n_points=_float_or_none(head.get("NPTS")), dof=_float_or_none(head.get("DOF")),
                      status=config.get("RETRIEVAL-STATUS"))
    if table.meta["chi2"] is None and log:
        match = re.search(r"(?<!REDUCED )CHI-SQUARE\s*=\s*(\S+)", log)
        table.meta["chi2"] = _float_or_none(match.group(1)) if match else None
        match = re.search(r"REDUCED CHI-SQUARE\s*=\s*(\S+)", log)
        table.meta["chi2_reduced"] = _float_or_none(match.group(1)) if match else None
    return table


def _read_text(path):
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"is not UTF-8 text (byte {exc.start})") from None


def read_psg(path):
    """Read a PSG file: a retrieval's results, a configuration, or a PSG spectrum table.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    PSGResults

    Raises
    ------
    comaspec.InputError
        One line naming the file and the problem (a malformed line, a table whose rows
        do not match its labels, an unknown unit, a file that is not PSG's).

    Examples
    --------
    >>> from comaspec.io.psg import read_psg
    >>> res = read_psg("retrieval-results.txt")  # doctest: +SKIP
    >>> res.retrieval["variable", "value", "sigma", "unit"]  # doctest: +SKIP
    """
    path = check_path(path)
    source = str(path)
    text = _read_text(path)
    if not is_psg_text(text[:8192]):
        raise InputError(source, "is not a PSG file (no results_*.txt parts, <KEY>value lines or PSG header)")
    parts = _split_sections(text, source)
    config = None
    if "cfg" in parts:
        config = PSGConfig(parse_config_lines(parts["cfg"], source), source)
    data = _read_dat(parts["dat"], config, source) if "dat" in parts else None
    radiance = _read_rad(parts["rad"], source) if "rad" in parts else None
    log = None
    if "log" in parts:
        log = "\n".join(line for _, line in parts["log"]).replace("<br/>", "\n").replace("&nbsp;", " ").strip()
    retrieval = _retrieval(config, parts.get("ret"), log, source)
    return PSGResults(source, config, data, retrieval, radiance, log, tuple(parts))


def read_psg_config(path):
    """Read the configuration of a PSG file (a configuration alone, or a retrieval's results).

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    PSGConfig

    Raises
    ------
    comaspec.InputError
        When the file holds no configuration or a malformed one.
    """
    results = read_psg(path)
    if results.config is None:
        raise InputError(results.source, "holds no PSG configuration (no <KEY>value lines)")
    return results.config


def _geometry_meta(config):
    """r_h, Δ, beam, aperture radius and R from the configuration, as plain numbers."""
    out = {}
    for key, value in (("rh_au", config.rh), ("delta_au", config.delta)):
        if value is not None:
            out[key] = float(value.to_value(u.au))
    beam = config.beam
    if beam is not None and beam.unit.physical_type == "angle":
        out["beam_arcsec"] = float(beam.to_value(u.arcsec))
        # PSG's beam is the FWHM of the field, used as its diameter for a coma
        out["aperture_radius_arcsec"] = out["beam_arcsec"] / 2
    elif beam is not None:
        out["beam_km"] = float(beam.to_value(u.km))
    if config.resolving_power is not None:
        out["resolving_power"] = config.resolving_power
    return out


def psg_spectrum(results):
    """The data of a PSG retrieval as a spectrum (`comaspec.io.LightSpectrum`; `comaspec.read_spectrum`
    returns it as a `specutils.Spectrum`).

    Parameters
    ----------
    results : PSGResults
        From `read_psg`, with a ``results_dat`` part.

    Returns
    -------
    comaspec.io.LightSpectrum
        Flux from the ``Data`` column (else the first label), uncertainty from ``Noise``
        when present, in Jy (or MJy/sr); ``meta`` holds ``product`` ("psg"), ``target``,
        ``epoch`` (OBJECT-DATE), ``rh_au``, ``delta_au``, ``beam_arcsec``,
        ``aperture_radius_arcsec`` (half the beam), ``resolving_power``, ``psg_config``,
        ``psg_retrieval`` and the other columns (``psg_model``, ``psg_base``, ...) on
        the spectrum's pixels in its flux unit.

    Raises
    ------
    comaspec.InputError
        When the file holds no data table.
    """
    from ._spectrum import build_spectrum
    from ._units import to_micron, to_working_flux

    if results.data is None:
        what = "a PSG configuration" if results.config is not None else "a PSG spectrum table"
        raise InputError(results.source, f"is {what} without a results_dat data table: no observed spectrum "
                                         "to read (read it with comaspec.io.psg.read_psg)")
    table, config, source = results.data, results.config, results.source
    labels = table.colnames[1:]
    lower = {name.lower(): name for name in labels}
    flux_name = lower.get("data", labels[0])
    error_name = lower.get("noise")
    wave = to_micron(table["wavelength"].value, table["wavelength"].unit, source)
    flux_unit = table[flux_name].unit
    flux = to_working_flux(table[flux_name].value, flux_unit, wave, source, flux_name)
    error = None if error_name is None else \
        to_working_flux(table[error_name].value, flux_unit, wave, source, error_name).to(flux.unit)
    extras = {f"psg_{name.lower()}": to_working_flux(table[name].value, flux_unit, wave, source, name)
              .to_value(flux.unit) for name in labels if name not in (flux_name, error_name)}
    meta = {"source_file": source, "extension": None, "product": "psg", "instrument": None, "mode": None,
            "target": config.object_name, "epoch": config.date, "epoch_keyword": "OBJECT-DATE",
            "flux_column": flux_name, "error_column": error_name, "original_flux_unit": str(flux_unit),
            "psg_config": config, "psg_retrieval": results.retrieval}
    meta.update(_geometry_meta(config))
    return build_spectrum(source, "results_dat", wave, flux, error, None, meta, extras)


def read_psg_spectrum(path):
    """`read_psg` then `psg_spectrum` (the reader `comaspec.read_spectrum` uses for PSG files)."""
    return psg_spectrum(read_psg(path))

