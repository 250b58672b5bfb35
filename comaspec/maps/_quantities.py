"""Physical quantities of the solved bins: band fluxes, column densities, SNR, detections and
the CO2/H2O column ratio with its limits.

A spaxel holds ``M = F / φ`` molecules, φ the band flux per molecule (the model's g-factors
at rh, photon energies, 1/4πΔ²; `comaspec.production.molecules_per_unit_Q` of the aperture
gives it as flux per Q over molecules per Q), and its column is ``N = M / (Ω Δ² n)`` for a
bin of n spaxels of solid angle Ω. No Haser model enters the columns.
"""

from __future__ import annotations

import astropy.units as u
import numpy as np

__all__ = ["bin_quantities"]


def bin_quantities(sd, sol, n_spax, omega_sr, geometry, aperture, *, assumptions, detect_sigma, limit_sigma):
    """Fluxes, columns, SNR, detections and the CO2/H2O ratio of every bin.

    Parameters
    ----------
    sd : `comaspec.maps._adapter.SpaxelDesign`
    sol : dict
        `comaspec.maps._bins.solve_bins` output for the bins.
    n_spax : ndarray of int
        Spaxels in each bin.
    omega_sr : float
        Solid angle of one spaxel.
    geometry, aperture
        The observing geometry and the aperture of the model's flux ↔ Q weights.
    assumptions : `comaspec.Assumptions`
        The velocity and lifetimes (as in `comaspec.map_cube`).
    detect_sigma, limit_sigma : float

    Returns
    -------
    dict
        ``flux``, ``flux_err``, ``column``, ``column_err``, ``snr``, ``detected`` (dicts by
        species), ``molecule_flux``, ``velocity_km_s``, ``lifetime_s`` (species with a
        g-factor), ``ratio``, ``ratio_err``, ``ratio_limit`` (None without CO2 and H2O).
    """
    from ..physics.production import molecules_per_unit_Q

    n_bins = len(n_spax)
    flux = {s: sol["coef"][:, j] for j, s in enumerate(sd.species)}
    flux_err = {s: np.sqrt(sol["var"][:, j]) for j, s in enumerate(sd.species)}
    delta_cm = float(geometry.delta.to_value(u.cm))
    molecule_flux, column, column_err, vel_km, tau_s = {}, {}, {}, {}, {}
    for s in sd.species:
        if sd.phi[s] is None:
            column[s] = column_err[s] = np.full(n_bins, np.nan)
            continue
        n_per_q = molecules_per_unit_Q(s, geometry, aperture, assumptions=assumptions).to_value(u.s)
        molecule_flux[s] = sd.phi[s] / n_per_q
        per_cm2 = 1.0 / (molecule_flux[s] * omega_sr * delta_cm**2 * n_spax)
        column[s] = flux[s] * per_cm2
        column_err[s] = flux_err[s] * per_cm2
        h = assumptions.haser(s, geometry)
        vel_km[s] = float(h.velocity.to_value(u.km / u.s))
        tau_s[s] = float(h.lifetime.to_value(u.s))
    with np.errstate(invalid="ignore", divide="ignore"):
        snr = {s: flux[s] / flux_err[s] for s in sd.species}
    detected = {s: np.nan_to_num(snr[s], nan=-np.inf) >= detect_sigma for s in sd.species}
    ratio = ratio_err = ratio_limit = None
    if "CO2" in column and "H2O" in column:
        ratio, ratio_err, ratio_limit = _ratio_map(column, column_err, detected, flux, sd.species, sol,
                                                   limit_sigma)
    return {"flux": flux, "flux_err": flux_err, "column": column, "column_err": column_err, "snr": snr,
            "detected": detected, "molecule_flux": molecule_flux, "velocity_km_s": vel_km, "lifetime_s": tau_s,
            "ratio": ratio, "ratio_err": ratio_err, "ratio_limit": ratio_limit}


def _ratio_map(column, column_err, detected, flux, species, sol, limit_sigma):
    """CO2/H2O column ratio per bin, its error (with the CO2-H2O covariance) and the limit flag."""
    from ..results.values import upper_limit

    i, j = species.index("CO2"), species.index("H2O")
    n1, n2 = column["CO2"], column["H2O"]
    e1, e2 = column_err["CO2"], column_err["H2O"]
    # covariance of the two band fluxes, scaled like the columns
    cov_f = sol["cov01"] if {i, j} == {0, 1} else np.zeros(n1.size)
    scale = (n1 / flux["CO2"]) * (n2 / flux["H2O"])
    cov = np.nan_to_num(cov_f * scale)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = n1 / n2
        rel2 = (e1 / n1) ** 2 + (e2 / n2) ** 2 - 2 * cov / (n1 * n2)
        err = np.abs(ratio) * np.sqrt(np.clip(rel2, 0, None))
        d1, d2 = detected["CO2"], detected["H2O"]
        lim = np.where(d1 & d2, 0, np.where(d1, 1, np.where(d2, 2, -1)))
        ul1 = upper_limit(n1, e1, limit_sigma)
        ul2 = upper_limit(n2, e2, limit_sigma)
        ratio = np.where(lim == 0, ratio, np.where(lim == 1, n1 / ul2, np.where(lim == 2, ul1 / n2, np.nan)))
        err = np.where(lim == 0, err, np.nan)
    return ratio, err, lim


