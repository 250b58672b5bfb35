"""A NASA PSG configuration of a fitted coma, so the same case can be run in PSG.

What is written (keys of PSG's API documentation; conventions checked on the C/2017 K2
retrieval in docs/psg.rst):

- geometry: OBJECT-STAR-DISTANCE = r_h (au), GEOMETRY-OBS-ALTITUDE = Δ (AU), OBJECT-DATE
  when the geometry has an epoch;
- the coma: ATMOSPHERE-PRESSURE with PUNIT ``gas`` = the reference production rate — the
  given Q(H2O), else the fitted and detected Q(H2O), else the largest detected Q — and
  every detected species with a PSG name (``linelists/psg_gases.ecsv``) at its abundance
  relative to it in ``pct``; ATMOSPHERE-TEMPERATURE = T_rot of the reference species;
  ATMOSPHERE-WEIGHT = the expansion velocity in m/s; ATMOSPHERE-TAU = the lifetimes at
  1 au in s (PSG scales them by r_h²);
- the instrument: GENERATOR-RANGE1/2 = the fitted wavelengths (µm), GENERATOR-RESOLUTION
  = R at their centre (RP) from the first spectrum's mode, GENERATOR-BEAM = the aperture's
  diameter (a rectangle as the circle of equal area), GENERATOR-RADUNITS = Jy, the gas
  model alone (GENERATOR-CONT-MODEL = N: comaspec's continuum is empirical).

Undetected species, species without a production rate and species PSG's table does not
name are left out; the notes returned say which.
"""

from __future__ import annotations

import functools
import math

import astropy.units as u
import numpy as np

from ..errors import InputError, UsageError
from ._psg_config import PSGConfig, format_config

__all__ = ["config_from_fit", "write_config", "psg_gas_table"]


@functools.cache
def psg_gas_table():
    """{comaspec species: (PSG gas, PSG type)} from ``linelists/psg_gases.ecsv``.

    Examples
    --------
    >>> psg_gas_table()["H2O"]
    ('H2O', 'GSFC[H2O]')
    """
    from astropy.table import Table

    from .._paths import linelists_dir

    table = Table.read(linelists_dir() / "psg_gases.ecsv", format="ascii.ecsv")
    return {str(r["species"]): (str(r["psg_gas"]), str(r["psg_type"])) for r in table}


def _reference(fit):
    """(name, Q, species result or None, source) of the rate the abundances refer to."""
    if fit.water_production is not None:
        return "H2O", fit.water_production.Q, None, "given Q(H2O)"
    water = fit.species.get("H2O")
    if water is not None and water.Q_reported is not None:
        return "H2O", water.Q_reported, water, "fitted Q(H2O)"
    detected = [s for s in fit.species.values() if s.Q_reported is not None and s.Q_reported > 0]
    if not detected:
        raise UsageError("no species is detected with a production rate: a PSG configuration of the coma "
                         "needs at least one measured Q")
    best = max(detected, key=lambda s: s.Q_reported)
    return best.name, best.Q_reported, best, f"fitted Q({best.name}), the largest detected (no Q(H2O))"


def _gases(fit, q_ref, notes):
    """Rows (gas, type, abundance %, lifetime at 1 au s) of the detected species PSG can model."""
    table = psg_gas_table()
    rows = []
    for s in fit.species.values():
        if s.Q_reported is None:
            why = "not covered" if not s.covered else ("no production rate (band flux only)" if s.Q is None
                                                      else "not detected (upper limit only)")
            notes.append(f"{s.name} left out of the PSG configuration: {why}")
            continue
        if s.name not in table:
            notes.append(f"{s.name} left out of the PSG configuration: no PSG gas for it in linelists/psg_gases.ecsv")
            continue
        if s.lifetime_1au is None:
            notes.append(f"{s.name} left out of the PSG configuration: no lifetime")
            continue
        gas, kind = table[s.name]
        rows.append((gas, kind, 100.0 * s.Q_reported / q_ref, s.lifetime_1au))
    if not rows:
        raise UsageError("no detected species has a PSG gas name: nothing to write in a PSG configuration")
    return rows


def _beam(fit, notes):
    """(GENERATOR-BEAM, GENERATOR-BEAM-UNIT): the aperture's diameter."""
    aperture = fit.aperture
    if aperture is None:
        raise UsageError("the fit has no aperture: a PSG configuration needs the beam")
    if aperture.shape not in ("circle", "rectangle"):
        raise UsageError(f"a {aperture.shape} aperture cannot be written as PSG's single circular beam")
    if aperture.shape == "circle":
        radius = aperture.radius
    else:
        area = aperture.width * aperture.height
        radius = np.sqrt(area / math.pi)
        notes.append("the rectangular aperture is written as the circular beam of equal area")
    offset = getattr(aperture, "offset", None)
    if offset is not None and np.any(u.Quantity(offset).value != 0):
        notes.append("the aperture's offset from the nucleus is not written (PSG's beam is centred)")
    if radius.unit.physical_type == "angle":
        return f"{2 * radius.to_value(u.arcsec):.6g}", "arcsec"
    return f"{2 * radius.to_value(u.km):.6g}", "km"


def _spectral(fit, notes):
    """GENERATOR keys of the fitted wavelengths and the resolving power at their centre."""
    from ..physics import instrument

    used = [(c.wavelength_um[c.used], c.mode) for c in fit.components if np.any(c.used)]
    if not used:
        raise UsageError("the fit holds no fitted pixels: no spectral range for PSG")
    lo = min(float(w.min()) for w, _ in used)
    hi = max(float(w.max()) for w, _ in used)
    out = {"GENERATOR-RANGE1": f"{lo:.6f}", "GENERATOR-RANGE2": f"{hi:.6f}", "GENERATOR-RANGEUNIT": "um"}
    mode = used[0][1]
    if mode is None:
        notes.append("no instrument mode: GENERATOR-RESOLUTION not written")
        return out
    centre = 0.5 * (lo + hi)
    try:
        r = float(instrument.resolving_power(mode, min(max(centre, float(used[0][0].min())),
                                                       float(used[0][0].max()))))
    except InputError:
        notes.append(f"no resolving power of {mode} at {centre:.3f} um: GENERATOR-RESOLUTION not written")
        return out
    if len({m for _, m in used}) > 1:
        notes.append(f"several modes: GENERATOR-RESOLUTION is that of {mode}")
    out.update({"GENERATOR-RESOLUTION": f"{r:.6g}", "GENERATOR-RESOLUTIONUNIT": "RP"})
    return out


def _header(fit):
    """OBJECT and GEOMETRY keys."""
    geometry = fit.geometry
    if geometry is None:
        raise UsageError("the fit has no geometry (rh, delta): a PSG configuration needs it")
    out = {"OBJECT": "Comet"}
    if fit.inputs.get("target"):
        out["OBJECT-NAME"] = str(fit.inputs["target"]).replace("\n", " ")
    if geometry.epoch is not None:
        out["OBJECT-DATE"] = geometry.epoch.utc.strftime("%Y/%m/%d %H:%M")
    out.update({"OBJECT-STAR-DISTANCE": f"{geometry.rh.to_value(u.au):.6g}", "GEOMETRY": "Observatory",
                "GEOMETRY-OBS-ALTITUDE": f"{geometry.delta.to_value(u.au):.6g}", "GEOMETRY-ALTITUDE-UNIT": "AU"})
    return out


def config_from_fit(fit):
    """The PSG configuration of a fitted coma, and notes on what it leaves out.

    Parameters
    ----------
    fit : comaspec.ComaFit
        With a geometry and a circular or rectangular aperture; a given Q(H2O)
        (`comaspec.results.abundances.with_water_production`) is used as the reference rate.

    Returns
    -------
    config : comaspec.io.psg.PSGConfig
        Keys in PSG's order (OBJECT, GEOMETRY, ATMOSPHERE, GENERATOR).
    notes : list of str
        What was left out or approximated.

    Raises
    ------
    comaspec.UsageError
        When the fit has no geometry, aperture or detected production rate.
    """
    notes = []
    values = _header(fit)
    _, q_ref, ref_result, source = _reference(fit)
    rows = _gases(fit, q_ref, notes)
    pick = ref_result or next(s for s in fit.species.values() if s.Q_reported is not None)
    values.update({
        "ATMOSPHERE-STRUCTURE": "Coma", "ATMOSPHERE-PRESSURE": f"{q_ref:.5e}", "ATMOSPHERE-PUNIT": "gas",
        "ATMOSPHERE-TEMPERATURE": f"{pick.T_rot:.4f}",
        "ATMOSPHERE-WEIGHT": f"{pick.velocity_km_s * 1e3:.2f}",
        "ATMOSPHERE-NGAS": str(len(rows)),
        "ATMOSPHERE-GAS": ",".join(r[0] for r in rows), "ATMOSPHERE-TYPE": ",".join(r[1] for r in rows),
        "ATMOSPHERE-ABUN": ",".join(f"{r[2]:.5e}" for r in rows), "ATMOSPHERE-UNIT": ",".join("pct" for _ in rows),
        "ATMOSPHERE-TAU": ",".join(f"{r[3]:.1f}" for r in rows),
    })
    temps = {round(s.T_rot, 3) for s in fit.species.values() if s.Q_reported is not None and s.T_rot is not None}
    if len(temps) > 1:
        notes.append(f"the species have different T_rot; ATMOSPHERE-TEMPERATURE is that of {pick.name}")
    notes.append(f"ATMOSPHERE-PRESSURE is the {source}: {q_ref:.4g} s^-1; abundances in pct of it")
    values.update(_spectral(fit, notes))
    beam, unit = _beam(fit, notes)
    values.update({"GENERATOR-BEAM": beam, "GENERATOR-BEAM-UNIT": unit, "GENERATOR-RADUNITS": "Jy",
                   "GENERATOR-GAS-MODEL": "Y", "GENERATOR-CONT-MODEL": "N"})
    return PSGConfig(values, "comaspec fit"), notes


def write_config(fit, path):
    """Write the PSG configuration of a fitted coma, all at once or not at all.

    Parameters
    ----------
    fit : comaspec.ComaFit
    path : str or os.PathLike
        The configuration file (text, ``<KEY>value`` lines).

    Returns
    -------
    list of str
        Notes on what was left out or approximated (see `config_from_fit`).

    Examples
    --------
    >>> from comaspec.io.psg import write_config
    >>> notes = write_config(fit, "coma_psg.txt")  # doctest: +SKIP
    """
    from .._output import atomic_path

    config, notes = config_from_fit(fit)
    text = format_config(config.values)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return notes
