"""The argument checks of `comaspec.fit_coma`: types, units and ranges of every argument, before any work."""

import warnings

import astropy.units as u

from .._validate import MC_MAX, _describe, _quantity_or_dict, integer, number, temperature
from ..apertures import Aperture
from ..errors import ComaspecWarning, InputError
from ..io._sanity import problems
from ..model import Window

__all__ = ["fit_coma_arguments"]


def fit_coma_arguments(args):
    """Check the arguments of `comaspec.fit_coma` (its ``locals()``) before any work.

    Parameters
    ----------
    args : dict
        Argument name -> value.

    Raises
    ------
    InputError
        The first argument of the wrong type, unit or range, named.
    """
    ap = args["aperture"]
    for i, item in enumerate(ap if isinstance(ap, (list, tuple)) else [ap]):
        if item is not None and not isinstance(item, Aperture):
            where = f"aperture[{i}]" if isinstance(ap, (list, tuple)) else "aperture"
            raise InputError(where, f"must be a comaspec aperture such as CircularAperture(0.5 * u.arcsec) "
                                    f"(got {_describe(item)})")
    species = args["species"]
    items = [species] if isinstance(species, str) else species
    if not isinstance(items, (list, tuple)) or not items or not all(isinstance(s, str) for s in items):
        raise InputError("species", f"must be a species name or a list of names (got {_describe(species)})")
    t_rot = args["T_rot"]
    if isinstance(t_rot, dict):
        for key, item in t_rot.items():
            temperature(item, f"T_rot[{key!r}]")
    elif t_rot is not None:
        temperature(t_rot)
    bounds = args["T_rot_bounds"]
    if not isinstance(bounds, (list, tuple)) or len(bounds) != 2:
        raise InputError("T_rot_bounds", f"must be (low, high) in K (got {_describe(bounds)})")
    low = number(bounds[0], "T_rot_bounds[0]", low=0.0, low_open=True)
    if number(bounds[1], "T_rot_bounds[1]") <= low:
        raise InputError("T_rot_bounds", f"low must be below high (got {_describe(bounds)})")
    if args["max_shift_um"] is not None:
        number(args["max_shift_um"], "max_shift_um", low=0.0)
    windows = args["windows"]
    if windows is not None:
        if isinstance(windows, (str, Window)) or not hasattr(windows, "__iter__"):
            raise InputError("windows", f"must be a list of comaspec.model.Window (got {_describe(windows)})")
        for i, w in enumerate(windows):
            if not isinstance(w, Window):
                raise InputError(f"windows[{i}]", f"must be a comaspec.model.Window, e.g. Window('w1', 2.45, "
                                                  f"2.90, 3) (got {_describe(w)})")
    for key, unit in (("g_factor", 1 / u.s), ("lifetime", u.s), ("velocity", u.km / u.s)):
        _quantity_or_dict(args[key], unit, key)
    for key in ("detect_sigma", "limit_sigma"):
        number(args[key], key, low=0.0, low_open=True)
    integer(args["mc"], "mc", low=0, high=MC_MAX)
    for key in ("mcmc_steps", "mcmc_burn"):
        integer(args[key], key, low=0 if key == "mcmc_burn" else 1)
    if args["mcmc_walkers"] is not None:
        integer(args["mcmc_walkers"], "mcmc_walkers", low=2)
    if args["mcmc"] and args["mcmc_burn"] >= args["mcmc_steps"]:
        raise InputError("mcmc_burn", f"must be below mcmc_steps ({args['mcmc_burn']} >= {args['mcmc_steps']})")
    if args["seed"] is not None:
        integer(args["seed"], "seed", low=0)
    systematics = args["systematics"]
    if systematics is not None:
        if not isinstance(systematics, dict):
            raise InputError("systematics",
                             f"must be a dict such as {{'g_factor': 0.1}} (got {_describe(systematics)})")
        for key, value in systematics.items():
            number(value, f"systematics[{key!r}]", low=0.0, high=10.0)
    _warn_implausible(args["spectrum_or_list"])


def _warn_implausible(spectra):
    """A ComaspecWarning for each spectrum whose flux level is implausible for its unit."""
    items = list(spectra) if isinstance(spectra, (list, tuple)) or type(spectra).__name__ == "SpectrumList" \
        else [spectra]
    for text in problems([s for s in items if hasattr(s, "spectral_axis")], wavelength=False):
        warnings.warn(text, ComaspecWarning, stacklevel=4)
