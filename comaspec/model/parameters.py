"""The nonlinear parameters of the forward model, by name, as its components declare them.

Each part of the model declares the parameters it depends on, with a start value and bounds
(lmfit's parameter hints): a species component its rotational temperature, its band-origin
offset (when the tabulated origin is uncertain) and the ortho/para ratio (a species with
spin species); each spectrum its wavelength shift; the continuum its shape parameters. The
names are spelled here only; `nonlinear_state` turns a name → value mapping (a dict or
lmfit ``Parameters``) into the `NonlinearState` the design matrix is evaluated at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .._ranges import DEFAULT_TROT_BOUNDS_K
from ..errors import InputError
from ..physics.fluorescence import DEFAULT_ORTHO_PARA

__all__ = ["ParameterHint", "NonlinearState", "nonlinear_state", "t_rot_name", "shift_name", "origin_name",
           "SHARED_T_ROT", "ORTHO_PARA", "OPR_BOUNDS", "T_ROT_START_K"]

#: Name of a rotational temperature shared by every species without one of its own.
SHARED_T_ROT = "T_rot"
#: Name of the H2O ortho/para ratio.
ORTHO_PARA = "ortho_para"
#: Range allowed for a fitted H2O ortho/para ratio (3 is the high-temperature limit; the
#: range leaves room for noise on either side).
OPR_BOUNDS = (0.5, 4.5)
#: Declared start of a rotational temperature, K (a fit starts from a grid instead).
T_ROT_START_K = 50.0


def t_rot_name(species):
    """Name of a species' own rotational temperature (K)."""
    return f"T_rot_{species}"


def shift_name(i):
    """Name of spectrum i's wavelength shift (observed − rest, µm)."""
    return f"shift_{i}"


def origin_name(species):
    """Name of a species' band-origin offset (cm^-1)."""
    return f"origin_{species}"


@dataclass(frozen=True)
class ParameterHint:
    """A nonlinear parameter as a model part declares it: name, start value, bounds, role.

    Attributes
    ----------
    name : str
        The lmfit name.
    value, min, max : float
        Start (and default) value and bounds.
    role : str
        What it is: ``"T_rot"``, ``"origin"``, ``"ortho_para"``, ``"shift"`` or
        ``"continuum"``; the fitter decides by role which are free.
    """

    name: str
    value: float
    min: float = -math.inf
    max: float = math.inf
    role: str = "continuum"


@dataclass(frozen=True)
class NonlinearState:
    """The nonlinear parameters at which the model is linear.

    Attributes
    ----------
    T_rot : dict
        Species → rotational temperature, K.
    shifts : tuple of float
        Wavelength shift of each spectrum, µm.
    shape : dict
        Continuum shape parameters by name (e.g. ``cont_slope``, ``cont_dust_T``).
    origins : dict
        Species → band-origin offset, cm^-1.
    ortho_para : float
        H2O ortho/para ratio.
    """

    T_rot: dict
    shifts: tuple
    shape: dict = field(default_factory=dict)
    origins: dict = field(default_factory=dict)
    ortho_para: float = DEFAULT_ORTHO_PARA

    def key(self, species):
        """Hashable key of this state (T_rot rounded to 1e-12 K)."""
        return (tuple(round(self.T_rot[s], 12) for s in species), tuple(self.shifts),
                tuple(sorted(self.shape.items())), tuple(sorted(self.origins.items())), self.ortho_para)

    def design(self, model, pixels="used"):
        """``model.design`` at this state."""
        return model.design(self, pixels=pixels)


def species_hints(name, origin_bound_cm, spin):
    """The parameters a species component declares (see `ParameterHint`)."""
    hints = [ParameterHint(t_rot_name(name), T_ROT_START_K, *DEFAULT_TROT_BOUNDS_K, role="T_rot")]
    if origin_bound_cm > 0:
        hints.append(ParameterHint(origin_name(name), 0.0, -origin_bound_cm, origin_bound_cm, role="origin"))
    if spin:
        hints.append(ParameterHint(ORTHO_PARA, DEFAULT_ORTHO_PARA, *OPR_BOUNDS, role="ortho_para"))
    return hints


def shift_hint(i, fwhm_um):
    """Spectrum i's shift, 0 within ± half a resolution element (``fwhm_um``)."""
    return ParameterHint(shift_name(i), 0.0, -0.5 * fwhm_um, 0.5 * fwhm_um, role="shift")


def nonlinear_state(model, values):
    """The `NonlinearState` of ``model`` from parameter values by name.

    Parameters
    ----------
    model : `comaspec.model.ForwardModel`
    values : mapping or lmfit.Parameters
        Name → value. Each fitted species takes ``T_rot_<species>``, else the shared
        ``T_rot`` (one of them is needed); the other parameters take their declared values
        when absent (no shift, tabulated band origins, ortho/para 3, the continuum's own
        default shape). Names the model does not declare are ignored.

    Returns
    -------
    NonlinearState
    """
    if isinstance(values, NonlinearState):
        return values
    if hasattr(values, "valuesdict"):
        values = values.valuesdict()
    slots = state_slots(model)
    get = values.get
    T_rot = {}
    for s, own in slots.t_rot:
        value = get(own, _ABSENT)
        if value is _ABSENT:
            value = get(SHARED_T_ROT, _ABSENT)
            if value is _ABSENT:
                raise InputError("T_rot", f"no value for {own} or {SHARED_T_ROT}")
        T_rot[s] = value
    shape, origins = {}, {}
    for name in slots.shape:
        value = get(name, _ABSENT)
        if value is not _ABSENT:
            shape[name] = value
    for s, name in slots.origins:
        value = get(name, _ABSENT)
        if value is not _ABSENT:
            origins[s] = value
    return NonlinearState(T_rot=T_rot, shifts=tuple(get(name, 0.0) for name in slots.shifts), shape=shape,
                          origins=origins, ortho_para=get(ORTHO_PARA, DEFAULT_ORTHO_PARA))


#: A name absent from the values (None could be a value).
_ABSENT = object()


@dataclass(frozen=True)
class StateSlots:
    """Where `nonlinear_state` finds each part of a model's state: the parameter names, in order.

    Attributes
    ----------
    t_rot : tuple of (str, str)
        (species, its own T_rot name) per fitted species (else the shared ``T_rot``).
    shifts : tuple of str
        Each spectrum's shift name.
    shape : tuple of str
        The continuum's shape parameter names.
    origins : tuple of (str, str)
        (species, its band-origin name) per species with an uncertain origin.
    """

    t_rot: tuple
    shifts: tuple
    shape: tuple
    origins: tuple


def state_slots(model):
    """The `StateSlots` of ``model``, worked out once and kept on it (the layout of a model, and
    of the copies `ForwardModel.with_data` makes, does not change after it is built)."""
    slots = getattr(model, "_state_slots", None)
    if slots is None:
        slots = StateSlots(t_rot=tuple((s, t_rot_name(s)) for s in model.fitted_species),
                           shifts=tuple(shift_name(i) for i in range(len(model.spectra))),
                           shape=tuple(p.name for p in model.continuum_parameters()),
                           origins=tuple((s, origin_name(s)) for s in model.origin_bounds))
        model._state_slots = slots
    return slots
