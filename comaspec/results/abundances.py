"""Abundances relative to water, with a Q(H2O) the user gives when the spectrum has none.

Many spectra do not cover water (a 4.1–4.9 µm G395H spectrum, the 3.3 µm organics
window): Q(H2O) then comes from elsewhere — another spectrum, another paper, PSG. The
rules (``docs/cli_ratio.rst``):

- X/H2O = Q(X) / Q(H2O), in per cent, with the errors of both in quadrature (they come
  from independent measurements: no correlation term);
- an undetected X gives an upper limit, its ``limit_sigma`` limit over the central Q(H2O);
- a given Q(H2O) is used only when the fit has no H2O of its own (H2O not fitted, or its
  bands not covered). A fit that measured H2O *and* a given Q(H2O) is refused: two values
  of Q(H2O) for one coma is a choice the user makes (leave H2O out of the fitted species,
  or drop the given value), not one comaspec makes silently;
- without a given Q(H2O), abundances use the fitted H2O through `ComaFit.ratio` (its
  correlated errors and limits).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path

from .._ranges import RANGES
from ..errors import InputError, UsageError

__all__ = ["WaterProduction", "Abundance", "with_water_production", "abundances", "water_ratio",
           "abundances_dict", "abundance_lines"]

#: Q(H2O) outside this range (s^-1) describes no comet: most likely a typo (7.6 for 7.6e28).
Q_H2O_RANGE = RANGES["q_h2o"][:2]


def _checked(value, name, source, allow_zero=False):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(source, f"{name} is not a number (got {value!r})") from None
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise InputError(source, f"{name} must be a finite number {'>= 0' if allow_zero else '> 0'} (got {value!r})")
    return v


@dataclass(frozen=True)
class WaterProduction:
    """A water production rate given from outside the fit.

    Parameters
    ----------
    Q : float
        Q(H2O), molecules s^-1 (1e20 to 1e32).
    Q_err : float
        Its 1σ error, s^-1 (0 when none is given: then it adds nothing to the errors).
    source : str
        Where it comes from (``"given"``, or the result file it was read from).
    """

    Q: float
    Q_err: float = 0.0
    source: str = "given"

    def __post_init__(self):
        q = _checked(self.Q, "Q(H2O)", "q_h2o")
        if not Q_H2O_RANGE[0] <= q <= Q_H2O_RANGE[1]:
            raise InputError("q_h2o", f"Q(H2O) must lie between {Q_H2O_RANGE[0]:g} and {Q_H2O_RANGE[1]:g} s^-1 "
                                      f"(got {q:g})")
        object.__setattr__(self, "Q", q)
        object.__setattr__(self, "Q_err", _checked(self.Q_err, "the error of Q(H2O)", "q_h2o", allow_zero=True))

    @classmethod
    def from_value(cls, value):
        """A `WaterProduction` from what the API accepts.

        Parameters
        ----------
        value : WaterProduction, Quantity, float, (Q, Q_err) tuple, or str
            A Quantity in s^-1 (or a plain number, s^-1), optionally with its error as a
            pair; a string as on the command line (`parse`).

        Returns
        -------
        WaterProduction
        """
        import astropy.units as u

        if isinstance(value, WaterProduction):
            return value
        if isinstance(value, (str, Path)):
            return cls.parse(str(value))
        pair = value if isinstance(value, tuple) else (value, 0.0)
        if len(pair) != 2:
            raise InputError("q_h2o", "must be Q or (Q, Q_err)")
        out = []
        for item in pair:
            if isinstance(item, u.Quantity):
                try:
                    item = item.to_value(1 / u.s)
                except u.UnitConversionError:
                    raise InputError("q_h2o", f"must be a rate in s^-1 (got unit {item.unit})") from None
            out.append(item)
        return cls(out[0], out[1])

    @classmethod
    def parse(cls, text, flag="--q-h2o"):
        """Read ``Q``, ``Q:ERR`` or the path of a comaspec result JSON.

        Parameters
        ----------
        text : str
            ``"7.6e28"``, ``"7.6e28:0.5e28"``, or ``"result.json"`` (its fitted, detected
            H2O: Q and its statistical error).
        flag : str
            The option name, for messages.

        Returns
        -------
        WaterProduction
        """
        text = str(text).strip()
        if text.lower().endswith(".json") or Path(text).is_file():
            return cls.from_json(text)
        q, sep, err = text.partition(":")
        try:
            values = float(q), float(err) if sep else 0.0
        except ValueError:
            raise InputError(f"{flag} {text}", "expected Q, Q:ERR (molecules/s, e.g. 7.6e28:0.5e28) "
                                               "or a comaspec result .json") from None
        try:
            return cls(*values)
        except InputError as exc:
            raise InputError(f"{flag} {text}", exc.problem) from None

    @classmethod
    def from_json(cls, path):
        """Q(H2O) and its error from a comaspec result JSON (``comaspec ratio --output x.json``).

        Parameters
        ----------
        path : str or os.PathLike

        Returns
        -------
        WaterProduction

        Raises
        ------
        comaspec.InputError
            When the file cannot be read, or its H2O is missing or only an upper limit.
        """
        from ..io._checks import check_path

        path = check_path(path, kind="JSON result")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            water = data["species"]["H2O"]
        except (ValueError, UnicodeDecodeError):
            raise InputError(path, "is not a JSON file") from None
        except (KeyError, TypeError):
            raise InputError(path, "is not a comaspec result with H2O (no species.H2O entry)") from None
        if not isinstance(water, dict) or not water.get("detected") or water.get("Q_per_s") is None:
            limit = water.get("Q_upper_limit_per_s") if isinstance(water, dict) else None
            what = f"only an upper limit ({limit:.3g} s^-1)" if limit else "no measured Q(H2O)"
            raise InputError(path, f"holds {what}: a reference Q(H2O) must be a detection")
        try:
            return cls(water["Q_per_s"], water.get("Q_err_per_s") or 0.0, source=str(path))
        except InputError as exc:
            raise InputError(path, exc.problem) from None

    def to_dict(self):
        """``q_h2o_per_s``, ``q_h2o_err_per_s`` and ``q_h2o_source``."""
        return {"q_h2o_per_s": self.Q, "q_h2o_err_per_s": self.Q_err, "q_h2o_source": self.source}


@dataclass(frozen=True)
class Abundance:
    """X/H2O in per cent, a limit on it, or why it is missing.

    Attributes
    ----------
    species : str
    value_pct, err_pct : float or None
        X/H2O × 100 and its 1σ error (``value_pct`` is the limit when ``limit`` is set).
    limit : {None, "upper", "lower"}
    limit_sigma : float or None
    reason : str or None
        Why the value is a limit or missing.
    """

    species: str
    value_pct: float | None = None
    err_pct: float | None = None
    limit: str | None = None
    limit_sigma: float | None = None
    reason: str | None = None

    def to_dict(self):
        """Plain-number dict (one entry of ``relative_to_h2o.species`` in the JSON)."""
        return {"value_pct": self.value_pct, "err_pct": self.err_pct, "limit": self.limit,
                "limit_sigma": self.limit_sigma, "reason": self.reason}

    def __str__(self):
        name = f"{self.species}/H2O"
        if self.value_pct is None:
            return f"{name}: not measured ({self.reason})"
        if self.limit is not None:
            sign = "<" if self.limit == "upper" else ">"
            return f"{name} {sign} {self.value_pct:.3g} % ({self.limit_sigma:g}σ {self.limit} limit: {self.reason})"
        return f"{name} = {self.value_pct:.3g} ± {self.err_pct:.2g} %"


def _covered_water(fit):
    water = fit.species.get("H2O")
    return water is not None and water.covered


def with_water_production(fit, q_h2o):
    """A copy of ``fit`` whose abundances and CO2/H2O use a given Q(H2O).

    Parameters
    ----------
    fit : comaspec.ComaFit
    q_h2o : WaterProduction, Quantity, float, (Q, Q_err) or str
        See `WaterProduction.from_value`.

    Returns
    -------
    comaspec.ComaFit
        Its ``water_production`` set; the numbers of the fit are unchanged.

    Raises
    ------
    comaspec.UsageError
        When the fit covered H2O itself (two values of Q(H2O) for one coma).
    """
    import copy

    water = WaterProduction.from_value(q_h2o)
    if _covered_water(fit):
        measured = fit.species["H2O"]
        what = f"Q(H2O) = {measured.Q_reported:.3g} s^-1" if measured.Q_reported else "an H2O upper limit"
        raise UsageError(f"the spectrum covers H2O and the fit gives {what}; a given Q(H2O) is used only "
                         "when the fit has no H2O: drop --q-h2o, or leave H2O out of --species")
    out = copy.copy(fit)
    out.water_production = water
    return out


def _given(fit, name, water):
    s = fit.species[name]
    if not s.covered:
        return Abundance(name, reason=s.extra.get("not_covered_because") or "band not covered by the spectrum")
    if s.Q is None:
        return Abundance(name, reason="no production rate (band flux only)")
    if not s.detected:
        limit = s.Q_upper_limit / water.Q * 100
        return Abundance(name, limit, None, "upper", s.limit_sigma,
                         f"{name} not detected; its {s.limit_sigma:g}σ upper limit over Q(H2O)")
    value = s.Q / water.Q
    rel = math.hypot(s.Q_err / s.Q, water.Q_err / water.Q)
    return Abundance(name, value * 100, value * rel * 100)


def _fitted(fit, name, ratio_of):
    ratio = ratio_of(name, "H2O")
    if ratio.value is None:
        return Abundance(name, reason=ratio.reason)
    if ratio.limit is not None:
        return Abundance(name, ratio.value * 100, None, ratio.limit, ratio.limit_sigma, ratio.reason)
    return Abundance(name, ratio.value * 100, ratio.err_linear * 100)


def abundances(fit, ratio_of=None):
    """X/H2O (%) of every fitted species other than H2O.

    Parameters
    ----------
    fit : comaspec.ComaFit
        With a given Q(H2O) (`with_water_production`) or a fitted, covered H2O.
    ratio_of : callable, optional
        ``ratio_of(numerator, denominator)`` -> `comaspec.results.Ratio`: the fit's ratios
        already computed (`comaspec.results.writers.RatioMemo`); default ``fit.ratio``.

    Returns
    -------
    dict or None
        Species → `Abundance`; None when there is no Q(H2O) to refer to.
    """
    water = fit.water_production
    if water is None and not _covered_water(fit):
        return None
    out = {}
    for name in fit.species:
        if name != "H2O":
            out[name] = _given(fit, name, water) if water is not None else _fitted(fit, name, ratio_of or fit.ratio)
    return out


def water_ratio(fit, numerator):
    """``numerator``/H2O as a `comaspec.results.Ratio` from the given Q(H2O).

    Parameters
    ----------
    fit : comaspec.ComaFit
        With ``water_production`` set.
    numerator : str

    Returns
    -------
    comaspec.results.Ratio
        The linear error is the quadrature sum; the 68 % interval is ± that error.
    """
    from .values import Ratio

    if numerator not in fit.species:
        return Ratio(numerator, "H2O", reason=f"{numerator} not among the fitted species")
    a = _given(fit, numerator, fit.water_production)
    base = Ratio(numerator, "H2O", method="given Q(H2O), errors in quadrature")
    if a.value_pct is None:
        return replace(base, reason=a.reason)
    if a.limit is not None:
        return replace(base, value=a.value_pct / 100, limit=a.limit, limit_sigma=a.limit_sigma, reason=a.reason)
    err = a.err_pct / 100
    return replace(base, value=a.value_pct / 100, err_lo=err, err_hi=err, err_linear=err)


def abundances_dict(fit, ratio_of=None):
    """The ``relative_to_h2o`` block of the JSON output (None without a Q(H2O)).

    Parameters
    ----------
    fit : comaspec.ComaFit
    ratio_of : callable, optional
        As in `abundances`.

    Returns
    -------
    dict or None
        ``q_h2o_per_s``, ``q_h2o_err_per_s``, ``q_h2o_source`` ("fit" or where the given
        value came from) and ``species`` (X → `Abundance.to_dict`).
    """
    table = abundances(fit, ratio_of)
    if table is None:
        return None
    water = fit.water_production
    if water is not None:
        head = water.to_dict()
    else:
        h2o = fit.species["H2O"]
        head = {"q_h2o_per_s": h2o.Q_reported, "q_h2o_err_per_s": h2o.Q_err if h2o.detected else None,
                "q_h2o_source": "fit"}
    return {**head, "species": {name: a.to_dict() for name, a in table.items()}}


def abundance_lines(fit):
    """Text lines of the abundances relative to a given Q(H2O) ([] without one)."""
    water = fit.water_production
    if water is None:
        return []
    err = f" ± {water.Q_err:.2g}" if water.Q_err else " (no error given)"
    origin = "given" if water.source == "given" else f"from {water.source}"
    lines = [f"Q(H2O) = {water.Q:.3g}{err} s^-1 ({origin}); abundances relative to it:"]
    lines += [f"  {a}" for a in abundances(fit).values()]
    return lines
