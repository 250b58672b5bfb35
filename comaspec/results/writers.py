"""Writing a `comaspec.results.ComaFit`: the JSON object, the ECSV table, the text summary.

`ComaFit` keeps the numbers; everything that turns them into a file or text for people
lives here (``ComaFit.to_dict``, ``to_json``, ``write``, ``summary`` and
``production_rates`` call these functions). The JSON layout is ``docs/json_schema.rst``.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

from .systematics import ratio_systematic, ratio_systematic_text
from .._version import __version__
from ..errors import InputError
from .values import REPORTED_RATIOS, Ratio, _num

__all__ = ["to_dict", "to_json", "write", "write_all", "summary", "production_table", "ratio_block", "ratio_names",
           "RatioMemo", "result_texts"]


class RatioMemo:
    """``fit.ratio(numerator, denominator)``, each pair computed once and then handed out again.

    A ratio draws 20 000 Gaussian samples (0.2-0.3 ms, about 1 ms before the standard normals
    were kept per process); one written result needs X/H2O up
    to three times (the ``ratios`` block, the abundances relative to H2O, a batch job's
    ``ratios.json``). Make one per result, after the fit is final:
    it does not see later changes to the fit.

    Parameters
    ----------
    fit : `comaspec.results.ComaFit`
    """

    def __init__(self, fit):
        self.fit = fit
        self._ratios = {}

    def __call__(self, numerator, denominator):
        """The `comaspec.results.Ratio` of ``fit.ratio(numerator, denominator)`` (the same object each time)."""
        key = (numerator, denominator)
        if key not in self._ratios:
            self._ratios[key] = self.fit.ratio(numerator, denominator)
        return self._ratios[key]


def production_table(fit):
    """`~astropy.table.QTable` of one row per species (see `comaspec.results.ComaFit.production_rates`)."""
    t = _production_columns(fit)
    t.meta.update(meta_for(fit, "CO2", "H2O"))
    return t


def _production_columns(fit):
    """`production_table` without its metadata (which costs a `to_dict`)."""
    from astropy.table import QTable

    return QTable(_production_arrays(fit))


def _production_arrays(fit, rows=None):
    """The columns of `production_table` as arrays and Quantities, by name (no table built).

    ``rows``: the species' ``to_dict`` blocks when the caller has them already.
    """
    columns = _production_plain(fit, rows)
    for name, unit in _column_units().items():
        columns[name] = columns[name] * unit
    return columns


def _production_plain(fit, rows=None):
    """The columns of `production_table` as plain arrays (their units: `_column_units`)."""
    rows = [s.to_dict() for s in fit.species.values()] if rows is None else list(rows)

    def col(key):
        return np.array([np.nan if r[key] is None else r[key] for r in rows], dtype=float)

    return {"species": np.array([s.name for s in fit.species.values()]),
            "covered": np.array([r["covered"] for r in rows], dtype=bool),
            "feature": np.array([r["feature"] or "" for r in rows]),
            "band_flux": col("band_flux_W_m2"),
            "band_flux_err": col("band_flux_err_W_m2"),
            "snr": col("snr"),
            "detected": np.array([r["detected"] for r in rows], dtype=bool),
            "Q": col("Q_per_s"),
            "Q_err": col("Q_err_per_s"),
            "Q_upper_limit": col("Q_upper_limit_per_s"),
            "T_rot": col("T_rot_K")}


@functools.cache
def _column_units():
    """The unit of each column of `production_table` that has one."""
    import astropy.units as u

    flux_unit, rate_unit = u.W / u.m**2, u.s**-1
    return {"band_flux": flux_unit, "band_flux_err": flux_unit, "Q": rate_unit, "Q_err": rate_unit,
            "Q_upper_limit": rate_unit, "T_rot": u.K}


@functools.cache
def _column_unit_texts():
    """`_column_units` as the ECSV header writes them (``"W / m2"``), made once."""
    return {name: unit.to_string() for name, unit in _column_units().items()}


def ratio_block(fit, numerator, denominator, ratio_of=None):
    """One ratio as plain numbers, with its systematic error (a ``ratios`` entry of the JSON).

    Parameters
    ----------
    fit : `comaspec.results.ComaFit`
    numerator, denominator : str
        Species names; a species that was not fitted gives a block with ``value`` null and
        the reason. X/H2O over a given Q(H2O) (``--q-h2o``) is taken from it.
    ratio_of : callable, optional
        ``ratio_of(numerator, denominator)`` -> `comaspec.results.Ratio` (a `RatioMemo`);
        default ``fit.ratio``.

    Returns
    -------
    dict
    """
    if denominator == "H2O" and fit.water_production is not None:
        from .abundances import water_ratio

        ratio = water_ratio(fit, numerator).to_dict()
        ratio["err_sys_relative"] = ratio["err_sys"] = None
        return ratio
    if numerator in fit.species and denominator in fit.species:
        ratio = (ratio_of or fit.ratio)(numerator, denominator).to_dict()
        rel_sys = ratio_systematic(fit, numerator, denominator)
        ratio["err_sys_relative"] = rel_sys
        ratio["err_sys"] = None if rel_sys is None or ratio["value"] is None else rel_sys * ratio["value"]
        return ratio
    absent = [n for n in (numerator, denominator) if n not in fit.species]
    return Ratio(numerator, denominator, reason=f"{' and '.join(absent)} not among the fitted species").to_dict()


def ratio_names(fit, numerator="CO2", denominator="H2O"):
    """The ratios a fit reports, as (numerator, denominator): the chosen one first, then each
    of `comaspec.results.values.REPORTED_RATIOS` (CO2/H2O, CO/H2O, CO2/CO, the catalog's
    ratios) whose two species were both fitted.

    Parameters
    ----------
    fit : `comaspec.results.ComaFit`
    numerator, denominator : str
        The chosen ratio (always listed, even when a species was not fitted).

    Returns
    -------
    list of (str, str)
    """
    names = [(numerator, denominator)]
    for pair in REPORTED_RATIOS:
        if pair not in names and all(n in fit.species for n in pair):
            names.append(pair)
    return names


def to_dict(fit, numerator="CO2", denominator="H2O", ratio_of=None):
    """The full result as plain numbers (see `comaspec.results.ComaFit.to_dict`).

    ``ratio_of`` (a `RatioMemo` of ``fit``, or None for a new one) computes each ratio once
    for the ``ratio``, ``ratios`` and ``relative_to_h2o`` blocks.
    """
    from .abundances import abundances_dict

    ratio_of = RatioMemo(fit) if ratio_of is None else ratio_of
    ratios = {f"{n}/{d}": ratio_block(fit, n, d, ratio_of) for n, d in ratio_names(fit, numerator, denominator)}
    ratio = ratios[f"{numerator}/{denominator}"]
    info = fit.fit_info
    return {
        "comaspec_version": __version__,
        "input": {
            "paths": [str(p) for p in fit.inputs.get("paths", [])],
            "instrument": fit.inputs.get("instrument"),
            "mode": fit.inputs.get("mode"),
            "target": fit.inputs.get("target"),
            "cube_centres": list(fit.inputs.get("cube_centres", [])),
            "surface_brightness_solid_angle_sr": fit.inputs.get("surface_brightness_solid_angle_sr"),
        },
        "geometry": None if fit.geometry is None else fit.geometry.to_dict(),
        "aperture": None if fit.aperture is None else fit.aperture.describe(fit.geometry),
        "species": {name: s.to_dict() for name, s in fit.species.items()},
        "ratio": ratio,
        "ratios": ratios,
        "relative_to_h2o": abundances_dict(fit, ratio_of),
        "fit": {
            "chi2_reduced": _num(fit.chi2_reduced),
            "chi2": _num(info.get("chi2")),
            "dof": info.get("dof"),
            "n_points": info.get("n_points"),
            "n_params": info.get("n_params"),
            "covariance_scaled": bool(info.get("covariance_scaled", False)),
            "method": info.get("method"),
            "uncertainty_method": fit.sample_method or "covariance",
            "n_samples": None if fit.q_samples is None else int(fit.q_samples.shape[0]),
            "detect_sigma": info.get("detect_sigma"),
            "limit_sigma": info.get("limit_sigma"),
            "windows": info.get("windows"),
            "continuum": info.get("continuum"),
            "continuum_choice": info.get("continuum_choice"),
            "wavelength_shift_um": info.get("wavelength_shift_um"),
            "error_inflation": info.get("error_inflation"),
            "emission": info.get("emission"),
            "solar_spectrum": info.get("solar_spectrum"),
            "solar_rdot_km_s": _num(info.get("solar_rdot_km_s")),
            "g_source": info.get("g_source"),
            "ortho_para": _num(info.get("ortho_para")),
            "ortho_para_fitted": info.get("ortho_para_fitted"),
            "ortho_para_err": _num(info.get("ortho_para_err")),
            "pump_opacity": dict(info.get("pump_opacity") or {}),
            "mcmc": info.get("mcmc"),
            "notes": list(info.get("notes", [])),
        },
    }


def to_json(fit, numerator="CO2", denominator="H2O", indent=None):
    """The result as one JSON object (see `comaspec.results.ComaFit.to_json`)."""
    return json.dumps(to_dict(fit, numerator, denominator), indent=indent, allow_nan=False)


def write(fit, path, numerator="CO2", denominator="H2O", overwrite=True):
    """Write ``.json`` or ``.ecsv`` atomically (see `comaspec.results.ComaFit.write`)."""
    write_all(fit, [path], numerator, denominator, overwrite)


def write_all(fit, paths, numerator="CO2", denominator="H2O", overwrite=True, ratio_of=None):
    """`write` to each of ``paths`` (``.json`` or ``.ecsv``), the result object computed once.

    Parameters
    ----------
    fit : `comaspec.results.ComaFit`
    paths : sequence of str or os.PathLike
    numerator, denominator : str
    overwrite : bool
    ratio_of : `RatioMemo`, optional
        The fit's ratios, when the caller needs them too (a batch job's ``ratios.json``).
    """
    from .._output import atomic_path

    paths = [Path(p) for p in paths]
    for path in paths:  # every path checked before any is written
        if path.suffix.lower() not in (".json", ".ecsv"):
            raise InputError(path, "output must end in .json or .ecsv")
        if path.exists() and not overwrite:
            raise InputError(path, "exists (pass overwrite=True to replace it)")
    texts = result_texts(fit, [p.suffix.lower() for p in paths], numerator, denominator, ratio_of)
    for path in paths:
        with atomic_path(path) as tmp:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(texts[path.suffix.lower()])


def result_texts(fit, suffixes, numerator="CO2", denominator="H2O", ratio_of=None):
    """The text of the result file of each kind, the result object computed once.

    Parameters
    ----------
    fit : `comaspec.results.ComaFit`
    suffixes : sequence of str
        ``".json"`` and/or ``".ecsv"``.
    numerator, denominator : str
    ratio_of : `RatioMemo`, optional

    Returns
    -------
    dict of str to str
        The text by suffix, as `write` writes it.
    """
    from .._ecsv import EcsvTable, ecsv_text

    d = to_dict(fit, numerator, denominator, ratio_of)
    texts = {}
    if ".json" in suffixes:
        texts[".json"] = json.dumps(d, indent=2, allow_nan=False) + "\n"
    if ".ecsv" in suffixes:
        # the metadata as JSON values: parsed back from the JSON text when there is one (what
        # the ECSV writer would make of it again); the columns without Quantities, their units known
        plain = ".json" in texts
        meta = json.loads(texts[".json"]) if plain else d
        table = EcsvTable(_production_plain(fit, d["species"].values()), {k: meta[k] for k in _META_KEYS})
        texts[".ecsv"] = ecsv_text(table, units=_column_unit_texts(), plain_meta=plain)
    return texts


def meta_for(fit, numerator, denominator):
    """The table metadata: the JSON object without the species block."""
    d = to_dict(fit, numerator, denominator)
    return {k: d[k] for k in _META_KEYS}


#: The keys of the JSON object that an ECSV table's metadata holds (all but the species).
_META_KEYS = ("comaspec_version", "input", "geometry", "aperture", "ratio", "ratios", "relative_to_h2o", "fit")


def summary(fit, numerator="CO2", denominator="H2O"):
    """The aligned text table and ratio line (see `comaspec.results.ComaFit.summary`)."""
    head = ("species", "feature", "band flux [W m-2]", "SNR", "Q [s-1]")
    rows = []
    for s in fit.species.values():
        if not s.covered:
            rows.append((s.name, "-", "not covered", "-", "-"))
            continue
        flux = f"{s.band_flux:.3e} ± {s.band_flux_err:.2e}"
        if s.Q is None:
            q = "- (band flux only)"
        elif s.detected:
            q = f"{s.Q:.3e} ± {s.Q_err:.2e}" + (f" ± {s.Q_sys:.2e} sys" if s.Q_sys else "")
        else:
            q = f"< {s.Q_upper_limit:.2e} ({s.limit_sigma:g}σ)"
        rows.append((s.name, s.feature or "-", flux, f"{s.snr:.1f}", q))
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(head, widths)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines += ratio_lines(fit, numerator, denominator)
    line = model_line(fit)
    if line:
        lines.append(line)
    lines += centre_lines(fit)
    scaled = "rescaled by χ²_ν" if fit.fit_info.get("covariance_scaled") else "not rescaled by χ²_ν"
    lines.append(f"fit: χ²_ν = {fit.chi2_reduced:.2f} over {fit.fit_info.get('n_points')} points; "
                 f"covariance {scaled}")
    for note in fit.fit_info.get("notes", []):
        lines.append(f"note: {note}")
    return "\n".join(lines)


def centre_lines(fit):
    """One line per cube: where the nucleus is, how it was found, the aperture's offset."""
    out = []
    for c in fit.inputs.get("cube_centres", []):
        (x, y), (dx, dy) = c["nucleus_pix"], c["aperture_offset_pix"]
        offset = f"; aperture offset ({dx:+.2f}, {dy:+.2f}) pix" if dx or dy else ""
        snr = [f"{what} peak S/N {c[key]:.3g}" for what, key in (("continuum", "continuum_snr"), ("gas", "gas_snr"))
               if c.get(key) is not None]
        out.append(f"centre: {Path(c['file']).name}: nucleus at pixel ({x:.2f}, {y:.2f}), {c['method']}"
                   + (f" ({', '.join(snr)})" if snr else "") + offset)
    return out


def ratio_lines(fit, numerator="CO2", denominator="H2O"):
    """The text's ratio lines: each ratio of `ratio_names` whose species were both fitted, and,
    over a given Q(H2O), the abundances relative to it in place of the X/H2O lines."""
    water = fit.water_production is not None
    lines = []
    if water:
        from .abundances import abundance_lines

        lines += abundance_lines(fit)
    for n, d in ratio_names(fit, numerator, denominator):
        if n in fit.species and d in fit.species and not (water and d == "H2O"):
            lines.append(str(fit.ratio(n, d)) + ratio_systematic_text(fit, n, d))
    return lines


def _sunlight_text(info):
    """' (meftah2023 sunlight at rdot -40 km/s; computed g)': what differs from the defaults."""
    parts = []
    if info.get("solar_spectrum") not in (None, "e490"):
        rdot = info.get("solar_rdot_km_s")
        parts.append(f"{info['solar_spectrum']} sunlight" + ("" if rdot is None else f" at rdot {rdot:g} km/s"))
    if info.get("g_source") == "computed":
        parts.append("computed g")
    return f" ({'; '.join(parts)})" if parts else ""


def model_line(fit):
    """'model: fluorescence, T_rot = 48 ± 3 K, H2O ortho/para = 3 (fixed)' (or None)."""
    parts = []
    if fit.fit_info.get("emission"):
        parts.append(f"{fit.fit_info['emission']} emission" + _sunlight_text(fit.fit_info))
    temps = {}
    for s in fit.species.values():
        if s.covered and s.T_rot is not None:
            err = s.extra.get("T_rot_err_K")
            text = f"{s.T_rot:.1f}" + (f" ± {err:.2g} K" if err else " K")
            text += "" if s.extra.get("T_rot_fitted") else " (fixed)"
            temps.setdefault(text, []).append(s.name)
    if len(temps) == 1:
        parts.append(f"T_rot = {next(iter(temps))}")
    else:
        parts += [f"T_rot({', '.join(names)}) = {text}" for text, names in temps.items()]
    if fit.fit_info.get("ortho_para") is not None:
        opr, err = fit.fit_info["ortho_para"], fit.fit_info.get("ortho_para_err")
        if fit.fit_info.get("ortho_para_fitted"):
            parts.append(f"H2O ortho/para = {opr:.2f}" + (f" ± {err:.2f}" if err else " (no error estimate)"))
        else:
            parts.append(f"H2O ortho/para = {opr:g} (fixed)")
    return "model: " + ", ".join(parts) if parts else None
