"""Results of a coma fit: per-species band fluxes and production rates, ratios, components.

The numbers here are derived from the fitted parameters and their covariance only; this
module does no fitting and computes no physics. The detection, limit and ratio rules are in
`comaspec.results.values`; the writers (JSON, ECSV, text) in `comaspec.results.writers`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import UsageError
from .values import (DEFAULT_DETECT_SIGMA, DEFAULT_LIMIT_SIGMA, Ratio, _num, is_detected,
                     ratio_from_values, upper_limit)

__all__ = ["SpeciesResult", "SpectrumComponents", "ComaFit"]


@dataclass
class SpeciesResult:
    """What the fit says about one species.

    Attributes
    ----------
    name : str
        Species name.
    covered : bool
        Whether any of its bands lies in the fitted data.
    feature : str or None
        The feature whose band flux is reported (e.g. ``"2.7um"``).
    band_flux, band_flux_err : float or None
        Flux of that feature and its 1σ error, W m^-2 (always reported when covered,
        negative values included).
    Q, Q_err : float or None
        Production rate (s^-1) and its 1σ statistical error, the fitted values. Use
        `Q_reported` for what may be quoted.
    detect_sigma, limit_sigma : float
        Detection threshold and significance of the upper limit.
    g_factor_1au, lifetime_1au, velocity_km_s, T_rot : float or None
        The assumptions that turned flux into Q.
    Q_sys : float or None
        Systematic error of Q from the model assumptions, when known.
    extra : dict
        Further numbers and sources (JSON-ready).
    elasticities : dict or None
        d ln Q / d ln x for x = ``g_factor``, ``lifetime``, ``velocity``, from the fit's flux ↔ Q
        object (None without the Haser assumptions).
    """

    name: str
    covered: bool
    feature: str | None = None
    band_flux: float | None = None
    band_flux_err: float | None = None
    Q: float | None = None
    Q_err: float | None = None
    detect_sigma: float = DEFAULT_DETECT_SIGMA
    limit_sigma: float = DEFAULT_LIMIT_SIGMA
    g_factor_1au: float | None = None
    lifetime_1au: float | None = None
    velocity_km_s: float | None = None
    T_rot: float | None = None
    Q_sys: float | None = None
    extra: dict = field(default_factory=dict)
    elasticities: dict | None = None

    @property
    def snr(self) -> float | None:
        """Band flux / its error (None when not covered)."""
        if not self.covered or not self.band_flux_err:
            return None
        return self.band_flux / self.band_flux_err

    @property
    def detected(self) -> bool:
        """True when the band flux is at least ``detect_sigma`` times its error."""
        return self.covered and is_detected(self.band_flux, self.band_flux_err, self.detect_sigma)

    @property
    def Q_reported(self) -> float | None:
        """Q when detected, else None."""
        return self.Q if self.detected and self.Q is not None else None

    @property
    def Q_upper_limit(self) -> float | None:
        """``limit_sigma`` upper limit on Q when not detected, else None."""
        if not self.covered or self.detected or self.Q is None:
            return None
        return upper_limit(self.Q, self.Q_err, self.limit_sigma)

    @property
    def band_flux_upper_limit(self) -> float | None:
        """``limit_sigma`` upper limit on the band flux when not detected, else None."""
        if not self.covered or self.detected:
            return None
        return upper_limit(self.band_flux, self.band_flux_err, self.limit_sigma)

    def to_dict(self) -> dict:
        """Plain-number dict (one entry of the ``species`` block of the JSON output).

        Returns
        -------
        dict
        """
        det = self.detected
        out = {
            "covered": bool(self.covered),
            "feature": self.feature,
            "band_flux_W_m2": _num(self.band_flux),
            "band_flux_err_W_m2": _num(self.band_flux_err),
            "band_flux_upper_limit_W_m2": _num(self.band_flux_upper_limit),
            "snr": _num(self.snr),
            "detected": bool(det),
            "Q_per_s": _num(self.Q_reported),
            "Q_err_per_s": _num(self.Q_err) if det else None,
            "Q_sys_per_s": _num(self.Q_sys) if det else None,
            "Q_upper_limit_per_s": _num(self.Q_upper_limit),
            "g_factor_1au_per_s": _num(self.g_factor_1au),
            "lifetime_1au_s": _num(self.lifetime_1au),
            "velocity_km_s": _num(self.velocity_km_s),
            "T_rot_K": _num(self.T_rot),
        }
        out.update(self.extra)
        return out


@dataclass
class SpectrumComponents:
    """One fitted spectrum and its model on every pixel (fluxes in W m^-2 µm^-1), for plots.

    Items are also readable by name (``comp["model"]``), as the dicts of earlier versions.

    Attributes
    ----------
    label, mode : str
        Spectrum name and instrument mode.
    wavelength_um, flux, error : ndarray
        The data.
    used, good : ndarray of bool
        Fitted pixels; pixels usable at all.
    model, continuum : ndarray
        Best-fit model and its continuum (NaN where the continuum is not modelled).
    species : dict
        Species → its best-fit component.
    windows : list of (str, float, float)
        The fitted windows (name, lo, hi in µm).
    """

    label: str
    mode: str | None
    wavelength_um: np.ndarray
    flux: np.ndarray
    error: np.ndarray
    used: np.ndarray
    good: np.ndarray
    model: np.ndarray
    continuum: np.ndarray
    species: dict
    windows: list

    def __getitem__(self, name):
        return getattr(self, name)


class ComaFit:
    """The outcome of `comaspec.fit_coma`: what was fitted and what it says.

    Parameters
    ----------
    species : dict
        Name → `SpeciesResult`, in fit order.
    q_names : list of str
        Species whose production rates were fitted, in the order of ``q_values``.
    q_values : ndarray
        Fitted production rates (s^-1).
    q_covariance : ndarray
        Their covariance (s^-2).
    geometry : `comaspec.Geometry` or None
    aperture : aperture or None
    inputs : dict
        ``paths``, ``instrument``, ``mode``, ``target``.
    fit_info : dict
        ``chi2``, ``dof``, ``n_points``, ``n_params``, ``covariance_scaled``, ``method``,
        ``notes`` and other diagnostics.
    components : list of SpectrumComponents, optional
        Per spectrum: data, best-fit model, continuum and species components. Used by `plot`.
    q_samples : ndarray, optional
        (n, len(q_names)) draws of Q from MC refits or MCMC.
    sample_method : str, optional
        How ``q_samples`` were made.

    Notes
    -----
    ``water_production``: a Q(H2O) given from outside (`comaspec.results.abundances.with_water_production`).
    """

    def __init__(self, species, q_names, q_values, q_covariance, *, geometry=None, aperture=None,
                 inputs=None, fit_info=None, components=None, q_samples=None, sample_method=None,
                 params=None):
        self.species = dict(species)
        self.q_names = list(q_names)
        self.q_values = np.asarray(q_values, dtype=float)
        self.q_covariance = np.asarray(q_covariance, dtype=float)
        self.geometry = geometry
        self.aperture = aperture
        self.inputs = dict(inputs or {})
        self.fit_info = dict(fit_info or {})
        self.components = components or []
        self.q_samples = None if q_samples is None else np.asarray(q_samples, dtype=float)
        self.sample_method = sample_method
        self.params = params
        self.water_production = None

    # ------------------------------------------------------------------ numbers
    @property
    def chi2_reduced(self) -> float:
        """χ² per degree of freedom of the fit."""
        return self.fit_info["chi2"] / max(self.fit_info["dof"], 1)

    @property
    def residuals(self) -> list:
        """Per spectrum, the normalised residuals (data − model)/σ of the fitted pixels."""
        out = []
        for c in self.components:
            used = c["used"]
            out.append((c["flux"][used] - c["model"][used]) / c["error"][used])
        return out

    def ratio(self, numerator="CO2", denominator="H2O") -> Ratio:
        """The production-rate ratio ``numerator / denominator``, or a limit on it.

        Parameters
        ----------
        numerator, denominator : str
            Species names.

        Returns
        -------
        Ratio
        """
        for name in (numerator, denominator):
            if name not in self.species:
                raise UsageError(f"{name} was not part of the fit (fitted: {', '.join(self.species)})")
        sn, sd = self.species[numerator], self.species[denominator]
        if not (sn.covered and sd.covered):
            missing = ratio_from_values(numerator, denominator, (0, 1), np.eye(2), detected=(False, False),
                                        covered=(sn.covered, sd.covered))
            why = "; ".join(f"{s.name}: {s.extra['not_covered_because']}" for s in (sn, sd)
                            if not s.covered and s.extra.get("not_covered_because"))
            return replace(missing, reason=f"{missing.reason} ({why})") if why else missing
        no_q = [s.name for s in (sn, sd) if s.Q is None]
        if no_q:
            return Ratio(numerator, denominator,
                         reason=f"no production rate for {' and '.join(no_q)} (band flux only: no geometry "
                                "or no g-factor)")
        i, j = self.q_names.index(numerator), self.q_names.index(denominator)
        cov = self.q_covariance[np.ix_([i, j], [i, j])]
        samples = None if self.q_samples is None else self.q_samples[:, [i, j]]
        return ratio_from_values(numerator, denominator, (sn.Q, sd.Q), cov,
                                 detected=(sn.detected, sd.detected),
                                 samples=samples, method=self.sample_method or "covariance draws",
                                 limit_sigma=sn.limit_sigma)

    @property
    def production_rates(self):
        """`~astropy.table.QTable` with one row per species.

        Columns: ``species``, ``covered``, ``feature``, ``band_flux``, ``band_flux_err``
        (W m^-2), ``snr``, ``detected``, ``Q``, ``Q_err``, ``Q_upper_limit`` (1/s; Q and
        Q_err masked to NaN when not detected), ``T_rot`` (K).
        """
        from . import writers as results_io

        return results_io.production_table(self)

    # ------------------------------------------------------------------ output
    def to_dict(self, numerator="CO2", denominator="H2O") -> dict:
        """The full result as plain numbers (the JSON output); see ``docs/json_schema.rst``.

        Parameters
        ----------
        numerator, denominator : str
            The ratio of the ``ratio`` block (skipped with a reason when either was not
            fitted); the ``ratios`` block holds it and every other catalog ratio (CO/H2O,
            CO2/CO) whose species were both fitted.

        Returns
        -------
        dict
        """
        from . import writers as results_io

        return results_io.to_dict(self, numerator, denominator)

    def to_json(self, numerator="CO2", denominator="H2O", indent=None) -> str:
        """The result as one JSON object (see ``docs/json_schema.rst``).

        Parameters
        ----------
        numerator, denominator : str
            The ratio to report.
        indent : int, optional
            Pretty-print indentation.

        Returns
        -------
        str
        """
        from . import writers as results_io

        return results_io.to_json(self, numerator, denominator, indent)

    def write(self, path, numerator="CO2", denominator="H2O", overwrite=True):
        """Write the result atomically: ``.json`` (the JSON object) or ``.ecsv`` (the table).

        Parameters
        ----------
        path : str or os.PathLike
            Destination; the suffix chooses the format.
        numerator, denominator : str
            The ratio to report.
        overwrite : bool
            Replace an existing file.
        """
        from . import writers as results_io

        return results_io.write(self, path, numerator, denominator, overwrite)

    def summary(self, numerator="CO2", denominator="H2O") -> str:
        """A short aligned text table and the ratio lines (what the CLI prints).

        Parameters
        ----------
        numerator, denominator : str
            The ratio printed first; then each other catalog ratio (CO/H2O, CO2/CO) whose
            species were both fitted, as a value or a limit.

        Returns
        -------
        str
        """
        from . import writers as results_io

        return results_io.summary(self, numerator, denominator)

    def __repr__(self) -> str:
        return f"<ComaFit species={list(self.species)} chi2_reduced={self.chi2_reduced:.3g}>"

    def __str__(self) -> str:
        return self.summary()

    def plot(self, path=None, **kwargs):
        """Figure (c): data, model, components and residuals, bands labelled.

        Parameters
        ----------
        path : str or os.PathLike, optional
            Save there (atomically; format from the suffix) as well as returning the figure.
        **kwargs
            Passed to `comaspec.plotting.fit.plot_fit`.

        Returns
        -------
        matplotlib.figure.Figure
        """
        from ..plotting.fit import plot_fit

        return plot_fit(self, path=path, **kwargs)
