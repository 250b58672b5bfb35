"""The summary of a batch: one table row per job (``summary.ecsv``) and a figure (``summary.pdf``).

The numbers are read back from each job's ``result.json``, so a resumed batch summarises
the jobs of earlier runs exactly as the ones it has just run.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from .jobs import ERROR_TXT, JOB_JSON, RATIO_PAIRS, RATIOS_JSON, RESULT_JSON

__all__ = ["summary_table", "write_summary", "SUMMARY_ECSV", "SUMMARY_PDF", "RATIO"]

SUMMARY_ECSV = "summary.ecsv"
SUMMARY_PDF = "summary.pdf"
#: The ratio reported (as ``comaspec ratio``).
RATIO = ("CO2", "H2O")


def _nan(value):
    return math.nan if value is None else float(value)


def _read_json(path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def _job_row(job, output_dir):
    directory = Path(output_dir) / job.label
    row = {"label": job.label, "files": ";".join(job.files), "rh": job.geometry.rh.to_value("au"),
           "delta": job.geometry.delta.to_value("au"), "status": "not run", "reason": "", "epoch": "",
           "species": {}, "ratio": {}, "chi2_nu": math.nan}
    result = _read_json(directory / RESULT_JSON)
    if result is not None:
        record = _read_json(directory / JOB_JSON) or {}
        ratios = _read_json(directory / RATIOS_JSON) or {}
        ratios["/".join(RATIO)] = result["ratio"]
        row.update(status="ok", epoch=record.get("epoch") or "", species=result["species"], ratio=result["ratio"],
                   ratios=ratios, chi2_nu=_nan(result["fit"]["chi2_reduced"]))
        row["reason"] = result["ratio"].get("reason") or ""
    elif (directory / ERROR_TXT).is_file():
        row.update(status="failed", reason=(directory / ERROR_TXT).read_text().strip())
    return row


def _invalid_row(bad):
    return {"label": bad.label or "", "files": ";".join(bad.files), "rh": math.nan, "delta": math.nan,
            "status": "invalid", "reason": str(bad), "epoch": "", "species": {}, "ratio": {}, "chi2_nu": math.nan}


def summary_table(jobs, invalid, output_dir):
    """One row per job of the manifest, in manifest order.

    Parameters
    ----------
    jobs : list of Job
    invalid : list of InvalidRow
    output_dir : str or os.PathLike

    Returns
    -------
    astropy.table.QTable
        ``label``, ``files`` (``;``-separated), ``status`` (ok, failed, invalid, not run),
        ``rh``, ``delta`` (au), ``epoch`` (ISO, from the file headers; empty when unknown),
        for each species ``Q_<X>``, ``Q_<X>_err`` (1/s; NaN unless detected) and
        ``Q_<X>_upper_limit`` (1/s; NaN unless an upper limit); for each ratio of
        CO2/H2O, CO/H2O and CO2/CO whose species some job fits, e.g. ``CO2_H2O`` with
        ``CO2_H2O_err_lo``/``CO2_H2O_err_hi`` (68 % interval) and ``CO2_H2O_limit``
        ("", "upper" or "lower"); ``chi2_nu`` and ``reason`` (why a job failed, or why
        CO2/H2O is a limit or missing).
    """
    import astropy.units as u
    from astropy.table import QTable

    order = sorted([(j.index, "job", j) for j in jobs] + [(b.index, "bad", b) for b in invalid],
                   key=lambda item: item[0])
    rows = [_job_row(obj, output_dir) if kind == "job" else _invalid_row(obj) for _, kind, obj in order]
    species = list(dict.fromkeys(s for j in jobs for s in j.species))
    t = QTable()
    t["label"] = [r["label"] for r in rows]
    t["files"] = [r["files"] for r in rows]
    t["status"] = [r["status"] for r in rows]
    t["rh"] = [r["rh"] for r in rows] * u.au
    t["delta"] = [r["delta"] for r in rows] * u.au
    t["epoch"] = [r["epoch"] for r in rows]
    for name in species:
        for column, key in (("", "Q_per_s"), ("_err", "Q_err_per_s"), ("_upper_limit", "Q_upper_limit_per_s")):
            t[f"Q_{name}{column}"] = [_nan(r["species"].get(name, {}).get(key)) for r in rows] / u.s
    for pair in RATIO_PAIRS:
        if not all(any(s in j.species for j in jobs) for s in pair):
            continue
        name, ratio = "/".join(pair), "_".join(pair)
        got = [r.get("ratios", {}).get(name, {}) for r in rows]
        for column, key in (("", "value"), ("_err_lo", "err_lo"), ("_err_hi", "err_hi")):
            t[f"{ratio}{column}"] = [_nan(g.get(key)) for g in got]
        t[f"{ratio}_limit"] = [g.get("limit") or "" for g in got]
    t["chi2_nu"] = [r["chi2_nu"] for r in rows]
    t["reason"] = [r["reason"] for r in rows]
    t.meta["comaspec"] = "comaspec batch summary: one row per job; see docs/batch.rst"
    return t


def write_summary(table, output_dir, *, figure=True):
    """Write ``summary.ecsv`` and ``summary.pdf`` into ``output_dir``, each atomically.

    Parameters
    ----------
    table : astropy.table.QTable
        From `summary_table`.
    output_dir : str or os.PathLike
    figure : bool
        Also draw ``summary.pdf`` (`comaspec.plotting.batch.batch_summary_figure`).

    Returns
    -------
    tuple of pathlib.Path
        The files written.
    """
    from .._ecsv import write_ecsv
    from .._output import atomic_path

    output_dir = Path(output_dir)
    ecsv = output_dir / SUMMARY_ECSV
    with atomic_path(ecsv) as tmp:
        write_ecsv(table, tmp)
    pdf = output_dir / SUMMARY_PDF
    if not figure:
        pdf.unlink(missing_ok=True)  # a figure of an earlier run would not match the table
        return (ecsv,)
    from ..plotting.batch import save_batch_summary

    save_batch_summary(table, pdf)
    return ecsv, pdf
