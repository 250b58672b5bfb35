"""Are the solar-pumping lines optically thin in the fitted aperture?

The fit assumes every molecule is pumped by the unattenuated Sun and that its line photons
escape. Both fail where the line-centre optical depth τ₀ of the pumping lines nears unity
(a dense inner coma). From each detected species' production rate the Haser column gives
τ₀ of the band's strongest pumping line (`comaspec.maps.opacity.haser_optical_depth`,
Doppler width at the fitted T_rot):

* at the edge of the aperture centred on the nucleus (a circle's radius, an annulus's inner
  radius, half the shorter side of a box, the equal-area radius of a spaxel mask), the
  lowest column the aperture holds;
* for the aperture-mean column (molecules in the aperture / its area), the column that
  weighs the band flux; the centre itself has no finite τ₀ (the Haser column diverges).

When the aperture-mean τ₀ exceeds `comaspec.maps.opacity.DEFAULT_TAU_THRESHOLD` (0.1: the
pumping and escape of the line centre are reduced by about τ₀ / 2 = 5 %, as large as the
other systematic terms of a band flux) a note and a warning say that Q is underestimated
and not corrected. The numbers are in ``fit.fit_info["pump_opacity"]`` (the JSON's
``fit.pump_opacity``).
"""

from __future__ import annotations

import math
import warnings

__all__ = ["pump_opacity", "PUMP_BANDS"]

#: The band whose lines pump each species' measured feature.
PUMP_BANDS = {"CO2": "nu3", "13CO2": "nu3", "CO": "1-0", "H2O": "nu3"}


def _edge_km(aperture_km):
    """The nucleus-centred aperture's nearest edge (km): its lowest Haser column."""
    kind = aperture_km.shape
    if kind == "circle":
        return float(aperture_km.radius.to_value("km"))
    if kind == "annulus":
        return float(aperture_km.r_in.to_value("km"))
    if kind == "rectangle":
        return 0.5 * float(min(aperture_km.width, aperture_km.height).to_value("km"))
    return math.sqrt(float(aperture_km.area().to_value("km2")) / math.pi)


def pump_opacity(fit, threshold=None):
    """Line-centre optical depth of each detected species' pumping lines in the fit's aperture.

    Parameters
    ----------
    fit : `comaspec.results.ComaFit`
        With geometry and aperture (a fit for production rates).
    threshold : float, optional
        τ₀ above which a note is added (default
        `comaspec.maps.opacity.DEFAULT_TAU_THRESHOLD`).

    Returns
    -------
    dict
        Per species: ``band``, ``tau0_aperture_edge``, ``edge_km``, ``tau0_aperture_mean``,
        ``T_rot_K``, ``threshold``, ``optically_thin``; empty without geometry or aperture.
        A note (and a `comaspec.ComaspecWarning`) is added to ``fit.fit_info["notes"]`` for
        each species that is not optically thin.
    """
    from ..errors import ComaspecError, ComaspecWarning
    from ..maps.opacity import DEFAULT_TAU_THRESHOLD, haser_optical_depth, line_centre_optical_depth

    threshold = DEFAULT_TAU_THRESHOLD if threshold is None else float(threshold)
    if fit.geometry is None or fit.aperture is None:
        return {}
    aperture = fit.aperture.to_km(fit.geometry)
    rh2 = float(fit.geometry.rh.to_value("au")) ** 2
    out = {}
    for name, s in fit.species.items():
        if name not in PUMP_BANDS or not s.detected or not s.Q_reported or s.T_rot is None \
                or not s.velocity_km_s or not s.lifetime_1au:
            continue
        q, v, tau_s, T = float(s.Q_reported), float(s.velocity_km_s), float(s.lifetime_1au) * rh2, float(s.T_rot)
        band = PUMP_BANDS[name]
        try:
            edge = _edge_km(aperture)
            tau_edge = float(haser_optical_depth(q, edge, T, velocity_km_s=v, lifetime_s=tau_s, species=name,
                                                 band=band))
            mean_column_cm2 = aperture.haser_number(q, v, tau_s) / (float(aperture.area().to_value("km2")) * 1e10)
            tau_mean = float(line_centre_optical_depth(mean_column_cm2, T, name, band=band))
        except ComaspecError:  # no absolute Einstein A or mass tabulated for this band
            continue
        thin = tau_mean <= threshold
        out[name] = {"band": band, "tau0_aperture_edge": tau_edge, "edge_km": edge, "tau0_aperture_mean": tau_mean,
                     "T_rot_K": T, "threshold": threshold, "optically_thin": thin}
        if not thin:
            note = (f"{name} {band}: the pumping lines are not optically thin in the aperture: line-centre tau0 of "
                    f"the strongest line {tau_mean:.2g} for the aperture-mean column and {tau_edge:.2g} at its edge "
                    f"({edge:.0f} km from the nucleus), above {threshold:g} (there ~tau0/2 of the line-centre "
                    f"pumping and escape is lost); Q({name}) is underestimated and not corrected")
            fit.fit_info.setdefault("notes", []).append(note)
            warnings.warn(note, ComaspecWarning, stacklevel=2)
    return out
