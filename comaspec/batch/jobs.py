"""One batch job: what to fit, and running it into its own output directory.

A job's files appear all at once: everything is written into a hidden temporary
directory beside ``DIR/<label>``, which is then renamed into place. A job that fails
leaves ``DIR/<label>/error.txt`` (one line) instead of results. `run_job` is what a Dask
worker executes; it never raises for a bad input, so the other jobs go on.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ComaspecError, UsageError
from ..results.values import REPORTED_RATIOS

__all__ = ["Job", "InvalidRow", "run_job", "run_jobs_here", "job_state", "write_error", "remove_stale",
           "PRODUCTS", "PLANNED_PRODUCTS", "RESULT_JSON", "RESULT_ECSV", "JOB_JSON", "ERROR_TXT",
           "MAPS_FITS", "RATIOS_JSON", "RATIO_PAIRS"]

RESULT_JSON = "result.json"
RESULT_ECSV = "result.ecsv"
JOB_JSON = "job.json"
ERROR_TXT = "error.txt"
MAPS_FITS = "maps.fits"
RATIOS_JSON = "ratios.json"
#: The ratios a job reports: the three between CO2, CO and H2O (as the catalog).
# the ratios every result reports (one list, in comaspec.results.values)
RATIO_PAIRS = REPORTED_RATIOS

# hidden names of comaspec's own unfinished work, removed at the start of a run and after
# Ctrl-C: a job's directories (tempfile.mkdtemp and uuid names, 8 characters) and the
# summary files of `comaspec._output.atomic_path` (tempfile.mkstemp). Nothing else is ever
# removed: a user's ``.summary.ecsv.bak`` stays.
_STALE_DIR = re.compile(r"\.[A-Za-z0-9][A-Za-z0-9._+-]*\.(tmp|old)-[a-z0-9_]{8}")
_STALE_FILE = re.compile(r"\.summary\.(ecsv\.[a-z0-9_]{8}\.ecsv|pdf\.[a-z0-9_]{8}\.pdf)")


@dataclass(frozen=True)
class Job:
    """One fit of the files of one coma (one manifest row, or one file of a directory).

    Attributes
    ----------
    label : str
        Name of the job and of its output directory.
    files : tuple of str
        Absolute paths of the spectra or cubes fitted together.
    geometry : `comaspec.Geometry`
    aperture : comaspec aperture or None
        None: the default of ``comaspec ratio`` (0.5 arcsec radius for cubes; needed
        for spectra).
    species : tuple of str
    T_rot : float or None
        Fixed rotational temperature, K (None: fitted).
    mode : str or None
        Instrument mode for files that do not name one.
    products : tuple of str
        What to make (keys of `PRODUCTS`).
    center : tuple of float or None
        The nucleus on the job's cubes, 0-based pixels (None: found from the data, as
        ``comaspec ratio`` does).
    solar : str
        Solar spectrum pumping the templates (``comaspec ratio --solar``), seen at
        ``geometry.rdot``.
    g_source : str
        g-factors of the production rates (``comaspec ratio --g-source``).
    origin : str
        Where the job was defined (``"manifest.csv row 3"``), for messages.
    index : int
        Position in the manifest (summary order).
    """

    label: str
    files: tuple
    geometry: object
    aperture: object = None
    species: tuple = ("CO2", "H2O", "CO")
    T_rot: float | None = None
    mode: str | None = None
    products: tuple = ("ratio",)
    center: tuple | None = None
    solar: str = "e490"
    g_source: str = "published"
    origin: str = field(default="", compare=False)
    index: int = field(default=0, compare=False)

    def to_dict(self) -> dict:
        """What the job asks for, as plain values (``job.json``; compared on resume).

        Returns
        -------
        dict
        """
        return {"label": self.label, "files": list(self.files), "geometry": self.geometry.to_dict(),
                "aperture": None if self.aperture is None else self.aperture.describe(self.geometry),
                "species": list(self.species), "T_rot": self.T_rot, "mode": self.mode,
                "products": list(self.products), **({} if self.center is None else {"center": list(self.center)}),
                **({} if self.g_source == "published" else {"g_source": self.g_source})}


@dataclass(frozen=True)
class InvalidRow:
    """A manifest row (or file) refused before any work starts.

    Attributes
    ----------
    origin : str
        ``"manifest.csv row 7"`` or the file name.
    label : str or None
    files : tuple of str
    reason : str
        One line.
    index : int
        Position in the manifest.
    """

    origin: str
    label: str | None
    files: tuple
    reason: str
    index: int = 0

    def __str__(self) -> str:
        label = self.label if self.label is None or len(self.label) <= 60 else self.label[:60] + "..."
        named = f" ({label})" if label and self.label not in self.origin else ""
        return f"{self.origin}{named}: {self.reason}"


def _default_aperture(loaded):
    """The aperture ``comaspec ratio`` uses when none is given: 0.5" radius, cubes only."""
    from ..pipeline import default_aperture

    aperture = default_aperture(loaded)
    if aperture is not None:
        return aperture
    raise UsageError("the extraction aperture of the spectrum is needed for production rates: "
                     "give the aperture (radius in arcsec, or WxH)")


def _ratio_product(job, loaded, directory):
    """``comaspec ratio``'s result: ``result.json`` and ``result.ecsv``."""
    from ..pipeline import fit_loaded

    aperture = _default_aperture(loaded) if job.aperture is None else job.aperture
    fit = fit_loaded(loaded, job.geometry, aperture, list(job.species), mode=job.mode, T_rot=job.T_rot,
                     center=job.center, solar=job.solar, g_source=job.g_source)
    from ..results.writers import RatioMemo, result_texts

    ratio_of = RatioMemo(fit)  # each ratio computed once for all three files
    texts = result_texts(fit, (".json", ".ecsv"), ratio_of=ratio_of)
    # straight into the job's hidden directory: it appears under its name only when complete
    _write_text(directory / RESULT_JSON, texts[".json"])
    _write_text(directory / RESULT_ECSV, texts[".ecsv"])
    # every ratio between the main volatiles (result.json holds CO2/H2O only, as 'ratio' does)
    ratios = {f"{a}/{b}": ratio_of(a, b).to_dict() for a, b in RATIO_PAIRS
              if a in fit.species and b in fit.species}
    _write_text(directory / RATIOS_JSON, json.dumps(ratios, indent=1, allow_nan=False) + "\n")


def _write_text(path, text):
    """Write ``text`` to a new file of the job's temporary directory (no temporary of its own)."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def _map_product(job, loaded, directory):
    """``comaspec map``'s result for the job's cube: ``maps.fits`` and one Q-curve per species.

    The maps hold T_rot at the job's value, or at the 0.5" aperture fit's (as
    `comaspec.map_cube` does by default).
    """
    from ..maps import map_cube
    from ..maps.output import write_maps, write_table

    cubes = [obj for _, obj, is_cube in loaded if is_cube]
    if len(cubes) != 1 or len(loaded) != 1:
        raise UsageError("map=yes needs exactly one IFU cube (s3d) in the job's files")
    from ..physics.templates import emission_model

    maps = map_cube(cubes[0], job.geometry, species=list(job.species), T_rot=job.T_rot, center=job.center,
                    emission=emission_model("fluorescence", job.solar, job.geometry.rdot))
    write_maps(maps, directory / MAPS_FITS)
    for name in maps.molecule_flux:  # species with a g-factor, detected in some bin
        if np.any(maps.detected[name]):
            write_table(maps.q_curve(name), directory / f"qcurve_{name}.ecsv")


#: What a job can make: name -> function(job, loaded_inputs, directory) writing its files there.
#: A new product is one more entry.
PRODUCTS = {"ratio": _ratio_product, "map": _map_product}

#: Products asked for in manifests but not available yet -> why.
PLANNED_PRODUCTS = {}


def _epoch(loaded):
    for _path, obj, _is_cube in loaded:
        first = obj[0] if isinstance(obj, list) and len(obj) else obj
        epoch = getattr(first, "meta", {}).get("epoch")
        if epoch is not None:
            return epoch.isot
    return None


def _one_line(exc) -> str:
    from ..io._checks import describe_failure

    return str(exc) if isinstance(exc, ComaspecError) else describe_failure(exc, limit=300)


def _write_job_json(directory, job, epoch=None):
    record = {"job": job.to_dict(), "epoch": epoch}
    _write_text(directory / JOB_JSON, json.dumps(record, indent=2) + "\n")


def _commit(tmp, final):
    """Put the finished directory ``tmp`` in place of ``final`` (renames only)."""
    if os.path.lexists(final):
        old = final.parent / f".{final.name}.old-{uuid.uuid4().hex[:8]}"
        os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, final)


def _new_tmp(job, output_dir):
    tmp = Path(tempfile.mkdtemp(prefix=f".{job.label}.tmp-", dir=output_dir))
    # mkdtemp makes it private (0700); the results get what a plain mkdir would give
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)
    return tmp


def write_error(job, output_dir, reason):
    """Make ``DIR/<label>`` hold ``error.txt`` (the one-line reason) and ``job.json``.

    Parameters
    ----------
    job : Job
    output_dir : str or os.PathLike
    reason : str
    """
    output_dir = Path(output_dir)
    tmp = _new_tmp(job, output_dir)
    try:
        (tmp / ERROR_TXT).write_text(" ".join(str(reason).split()) + "\n")
        _write_job_json(tmp, job)
        _commit(tmp, output_dir / job.label)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_job(job, output_dir):
    """Run one job into ``output_dir/<label>``; what each Dask worker executes.

    The job's warnings are returned, not shown (a worker process has no console of its
    own), and no progress bar is drawn (the batch draws one for all jobs).

    Parameters
    ----------
    job : Job
    output_dir : str or os.PathLike
        The batch's output directory (it must exist).

    Returns
    -------
    dict
        ``label``, ``status`` ("ok" or "failed"), ``reason`` (one line, or None) and
        ``warnings`` (``(category name, one-line message)`` pairs, each once).
    """
    from .. import _progress

    previous = _progress._ENABLED
    _progress.set_enabled(False)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            outcome = _run_job(job, Path(output_dir))
    finally:
        _progress.set_enabled(previous)
    said = {(w.category.__name__, " ".join(str(w.message).split())): None for w in caught}
    outcome["warnings"] = list(said)
    return outcome


def _run_job(job, output_dir):
    from ..pipeline import load_inputs

    tmp = _new_tmp(job, output_dir)
    try:
        try:
            loaded = load_inputs(job.files, species=list(job.species))
            for product in job.products:
                PRODUCTS[product](job, loaded, tmp)
            _write_job_json(tmp, job, _epoch(loaded))
            _commit(tmp, output_dir / job.label)
            return {"label": job.label, "status": "ok", "reason": None}
        except Exception as exc:  # noqa: BLE001 - a bad job is reported and the batch goes on
            reason = _one_line(exc)
        write_error(job, output_dir, reason)
        return {"label": job.label, "status": "failed", "reason": reason}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_jobs_here(jobs, output_dir):
    """`run_job` for each of ``jobs`` in turn (one Dask task).

    Parameters
    ----------
    jobs : sequence of Job
    output_dir : str or os.PathLike

    Returns
    -------
    list of dict
        The outcomes, in order.
    """
    return [run_job(job, output_dir) for job in jobs]


def job_state(job, output_dir):
    """What ``output_dir/<label>`` says about ``job``.

    Parameters
    ----------
    job : Job
    output_dir : str or os.PathLike

    Returns
    -------
    str
        ``"done"`` (results of this very job), ``"changed"`` (results of a different
        manifest row under that label), ``"failed"`` or ``"new"``.
    """
    directory = Path(output_dir) / job.label
    if (directory / RESULT_JSON).is_file():
        try:
            asked = json.loads((directory / JOB_JSON).read_text())["job"]
        except (OSError, ValueError, KeyError):
            return "changed"
        return "done" if asked == json.loads(json.dumps(job.to_dict())) else "changed"
    if (directory / ERROR_TXT).is_file():
        return "failed"
    return "new"


def remove_stale(output_dir):
    """Delete what an interrupted run left unfinished (hidden temporaries only).

    Parameters
    ----------
    output_dir : str or os.PathLike

    Returns
    -------
    list of str
        Names removed.
    """
    removed = []
    for entry in Path(output_dir).iterdir():
        if entry.is_symlink():
            continue  # comaspec never makes links
        if _STALE_DIR.fullmatch(entry.name) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        elif _STALE_FILE.fullmatch(entry.name) and entry.is_file():
            entry.unlink(missing_ok=True)
        else:
            continue
        removed.append(entry.name)
    return removed
