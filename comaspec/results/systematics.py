"""The systematic error of a production-rate ratio from stated errors of g, lifetime, velocity.

``--rel-err-g``, ``--rel-err-lifetime`` and ``--rel-err-velocity`` (``systematics=`` of
`comaspec.fit_coma`) give each species' ``Q_sys``. For a ratio Q_n / Q_d the terms combine
by what the two species share:

- g-factors and lifetimes are separate numbers for each species (independent errors):
  ``(r_g · e_g)²`` for each of the two;
- the expansion velocity is one value for the whole coma (fully correlated): its term is
  ``r_v · (e_v,n − e_v,d)``, which nearly cancels when both apertures hold similar
  fractions of their molecules;

with ``e`` the elasticities d ln Q / d ln x stored with each species at fit time
(`comaspec.results.SpeciesResult.elasticities`, the same numbers as
`comaspec.physics.production.production_rate` gives): writing a result computes no physics. The
result is reported separately from the statistical interval, never added to it.
"""

from __future__ import annotations

import math

__all__ = ["ratio_systematic", "ratio_systematic_text"]


def ratio_systematic(fit, numerator, denominator):
    """Relative systematic error of ``numerator / denominator``, or None when none is stated.

    Parameters
    ----------
    fit : `comaspec.results.ComaFit`
        With ``fit_info["systematics"]`` (the relative errors stated to `comaspec.fit_coma`).
    numerator, denominator : str
        Species names.

    Returns
    -------
    float or None
        The relative 1σ systematic error of the ratio (multiply by the ratio, or by a limit).
    """
    stated = fit.fit_info.get("systematics") or {}
    if not any(stated.values()) or numerator not in fit.species or denominator not in fit.species:
        return None
    if not (fit.species[numerator].covered and fit.species[denominator].covered):
        return None
    e_n, e_d = fit.species[numerator].elasticities, fit.species[denominator].elasticities
    if e_n is None or e_d is None:
        return None
    r_g, r_tau, r_v = (float(stated.get(k) or 0.0) for k in ("g_factor", "lifetime", "velocity"))
    var = ((r_g * e_n["g_factor"]) ** 2 + (r_g * e_d["g_factor"]) ** 2
           + (r_tau * e_n["lifetime"]) ** 2 + (r_tau * e_d["lifetime"]) ** 2
           + (r_v * (e_n["velocity"] - e_d["velocity"])) ** 2)
    return math.sqrt(var)


def ratio_systematic_text(fit, numerator, denominator):
    """The ratio line's systematic term (empty when no error is stated or no ratio).

    Parameters
    ----------
    fit : `comaspec.results.ComaFit`
    numerator, denominator : str

    Returns
    -------
    str
    """
    rel = ratio_systematic(fit, numerator, denominator)
    r = fit.ratio(numerator, denominator)
    if rel is None or r.value is None:
        return ""
    return f"; systematic ±{rel * r.value:.2g} ({100 * rel:.2g} %, from the stated g, lifetime, velocity errors)"
