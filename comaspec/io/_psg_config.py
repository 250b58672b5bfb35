"""A NASA PSG configuration: ``<KEY>value`` lines, kept as strings, with typed accessors.

PSG (the Planetary Spectrum Generator, psg.gsfc.nasa.gov) describes a case in a relaxed
XML: one ``<KEY>value`` per line. The keys used here and their meaning follow PSG's
API documentation (helpapi.php, "parameters"); the conventions comaspec relies on are
stated in docs/psg.rst (beam = FWHM taken as the diameter of the field of view;
ATMOSPHERE-TAU = lifetimes at 1 au, scaled by r_h² by PSG; ATMOSPHERE-PRESSURE with
PUNIT ``gas`` = the production rate the ``pct`` abundances refer to).
"""

from __future__ import annotations

import math
import re

import astropy.units as u

from ..errors import InputError

__all__ = ["PSGConfig", "parse_config_lines", "format_config", "KEY_LINE"]

#: One configuration line: ``<KEY>value``.
KEY_LINE = re.compile(r"^<([A-Z0-9][A-Z0-9_\-\[\]]*)>(.*)$")

# PSG's unit codes (helpapi.php parameters: GEOMETRY-ALTITUDE-UNIT, GENERATOR-BEAM-UNIT,
# GENERATOR-RANGEUNIT); codes without a physical unit (diameter, diffrac) map to None.
_DISTANCE_UNITS = {"AU": u.au, "KM": u.km, "PC": u.pc}
_BEAM_UNITS = {"ARCSEC": u.arcsec, "ARCMIN": u.arcmin, "DEGREE": u.deg, "KM": u.km}
SPECTRAL_UNITS = {"um": u.um, "nm": u.nm, "mm": u.mm, "An": u.AA, "cm": u.cm**-1,
                  "MHz": u.MHz, "GHz": u.GHz, "kHz": u.kHz}


def parse_config_lines(lines, source):
    """Read ``<KEY>value`` lines into an ordered dict of strings.

    Parameters
    ----------
    lines : iterable of (int, str)
        Line numbers and lines (blank lines are skipped).
    source : str
        The file, for error messages.

    Returns
    -------
    dict
        KEY → value, in file order.

    Raises
    ------
    comaspec.InputError
        For a line that is not ``<KEY>value``, or a key given twice with different values.
    """
    out = {}
    for number, line in lines:
        text = line.strip()
        if not text:
            continue
        match = KEY_LINE.match(text)
        if match is None:
            raise InputError(source, f"line {number}: not a PSG configuration line '<KEY>value'")
        key, value = match.group(1), match.group(2).strip()
        if key in out and out[key] != value:
            raise InputError(source, f"line {number}: <{key}> given twice with different values")
        out[key] = value
    if not out:
        raise InputError(source, "PSG configuration holds no <KEY>value lines")
    return out


def format_config(mapping):
    """The text of a PSG configuration: one ``<KEY>value`` line per item.

    Parameters
    ----------
    mapping : dict
        KEY → value (converted with ``str``).

    Returns
    -------
    str

    Examples
    --------
    >>> print(format_config({"OBJECT": "Comet", "OBJECT-STAR-DISTANCE": 2.34}), end="")
    <OBJECT>Comet
    <OBJECT-STAR-DISTANCE>2.34
    """
    lines = []
    for key, value in mapping.items():
        text = str(value)
        if "\n" in text or not KEY_LINE.match(f"<{key}>"):
            raise ValueError(f"cannot write PSG key {key!r} with value {text!r}")
        lines.append(f"<{key}>{text}")
    return "\n".join(lines) + "\n"


class PSGConfig:
    """A PSG configuration: the values as written, and typed views of the main keys.

    Parameters
    ----------
    values : dict
        KEY (without brackets) → value string, in file order.
    source : str
        The file it came from, for error messages.

    Notes
    -----
    ``config["OBJECT-NAME"]`` gives the string; the properties give Quantities (or None
    when the key is absent or PSG's unit has no physical meaning here). A malformed number
    raises `comaspec.InputError` naming the key.
    """

    def __init__(self, values, source="PSG configuration"):
        self.values = dict(values)
        self.source = str(source)

    def __getitem__(self, key):
        return self.values[key]

    def __contains__(self, key):
        return key in self.values

    def __iter__(self):
        return iter(self.values)

    def __len__(self):
        return len(self.values)

    def get(self, key, default=None):
        """The value string of ``key``, or ``default``."""
        value = self.values.get(key)
        return default if value is None or value == "" else value

    def number(self, key):
        """``key`` as a float, or None when absent or empty.

        Raises
        ------
        comaspec.InputError
            When the value is not a finite number.
        """
        text = self.get(key)
        if text is None:
            return None
        try:
            value = float(text)
        except ValueError:
            raise InputError(self.source, f"<{key}> is not a number") from None
        if not math.isfinite(value):
            raise InputError(self.source, f"<{key}> is not finite")
        return value

    def items_of(self, key):
        """``key`` split at commas (stripped strings); [] when absent."""
        text = self.get(key)
        return [] if text is None else [t.strip() for t in text.split(",")]

    def numbers(self, key):
        """``key`` split at commas, as floats; [] when absent.

        Raises
        ------
        comaspec.InputError
            When an item is not a number.
        """
        out = []
        for item in self.items_of(key):
            try:
                out.append(float(item))
            except ValueError:
                raise InputError(self.source, f"<{key}> holds an item that is not a number") from None
        return out

    def _coded(self, key, unit_key, table, default=None):
        value = self.number(key)
        if value is None:
            return None
        code = self.get(unit_key, default)
        if code is None:
            raise InputError(self.source, f"<{key}> has no unit: <{unit_key}> is missing")
        unit = table.get(code.upper())
        if unit is None and code.lower() not in ("diameter", "diffrac"):
            raise InputError(self.source, f"<{unit_key}> is not a unit comaspec knows "
                                          f"(expected one of {', '.join(table)})")
        return None if unit is None else value * unit

    @property
    def object_name(self):
        """OBJECT-NAME, or None."""
        return self.get("OBJECT-NAME")

    @property
    def date(self):
        """OBJECT-DATE as an `~astropy.time.Time` (UTC), or None."""
        from astropy.time import Time

        text = self.get("OBJECT-DATE")
        if text is None:
            return None
        try:
            epoch = Time(text.replace("/", "-"), scale="utc")
        except ValueError:
            raise InputError(self.source, "<OBJECT-DATE> is not a date") from None
        epoch.format = "isot"
        return epoch

    @property
    def rh(self):
        """Heliocentric distance, OBJECT-STAR-DISTANCE (au), or None."""
        value = self.number("OBJECT-STAR-DISTANCE")
        return None if value is None else value * u.au

    @property
    def delta(self):
        """Observer distance, GEOMETRY-OBS-ALTITUDE in GEOMETRY-ALTITUDE-UNIT, or None."""
        value = self._coded("GEOMETRY-OBS-ALTITUDE", "GEOMETRY-ALTITUDE-UNIT", _DISTANCE_UNITS)
        return None if value is None else value.to(u.au)

    @property
    def beam(self):
        """GENERATOR-BEAM in GENERATOR-BEAM-UNIT (the FWHM / diameter of the field), or None."""
        return self._coded("GENERATOR-BEAM", "GENERATOR-BEAM-UNIT", _BEAM_UNITS)

    @property
    def resolving_power(self):
        """GENERATOR-RESOLUTION when its unit is RP (λ/Δλ), else None."""
        if (self.get("GENERATOR-RESOLUTIONUNIT") or "").upper() != "RP":
            return None
        return self.number("GENERATOR-RESOLUTION")

    @property
    def spectral_unit(self):
        """Unit of the spectral axis of the data (RETRIEVAL-RANGEUNIT, else GENERATOR-RANGEUNIT,
        else µm, PSG's default) and where it came from."""
        for key in ("RETRIEVAL-RANGEUNIT", "GENERATOR-RANGEUNIT"):
            code = self.get(key)
            if code is not None:
                if code not in SPECTRAL_UNITS:
                    raise InputError(self.source, f"<{key}> is not a spectral unit comaspec knows "
                                                  f"(expected one of {', '.join(SPECTRAL_UNITS)})")
                return SPECTRAL_UNITS[code], key
        return u.um, "PSG default (no RANGEUNIT key)"

    @property
    def spectral_range(self):
        """(GENERATOR-RANGE1, GENERATOR-RANGE2) in GENERATOR-RANGEUNIT (default µm), or None."""
        lo, hi = self.number("GENERATOR-RANGE1"), self.number("GENERATOR-RANGE2")
        if lo is None or hi is None:
            return None
        code = self.get("GENERATOR-RANGEUNIT", "um")
        if code not in SPECTRAL_UNITS:
            raise InputError(self.source, "<GENERATOR-RANGEUNIT> is not a spectral unit comaspec knows")
        return lo * SPECTRAL_UNITS[code], hi * SPECTRAL_UNITS[code]

    @property
    def temperature(self):
        """ATMOSPHERE-TEMPERATURE (K), or None."""
        value = self.number("ATMOSPHERE-TEMPERATURE")
        return None if value is None else value * u.K

    @property
    def is_coma(self):
        """Whether ATMOSPHERE-STRUCTURE is ``Coma``."""
        return (self.get("ATMOSPHERE-STRUCTURE") or "").lower() == "coma"

    @property
    def expansion_velocity(self):
        """ATMOSPHERE-WEIGHT of a coma: the expansion velocity (m/s); None otherwise."""
        value = self.number("ATMOSPHERE-WEIGHT")
        return None if value is None or not self.is_coma else value * u.m / u.s

    @property
    def production_rate(self):
        """ATMOSPHERE-PRESSURE of a coma with PUNIT ``gas``: Q (1/s), else None."""
        value = self.number("ATMOSPHERE-PRESSURE")
        if value is None or not self.is_coma or (self.get("ATMOSPHERE-PUNIT") or "").lower() != "gas":
            return None
        return value / u.s

    def gases(self):
        """The gases of the atmosphere as a table.

        Returns
        -------
        astropy.table.Table
            Columns ``gas``, ``type``, ``abundance``, ``unit`` (PSG's code, e.g. ``pct``),
            ``tau_1au_s`` (the ATMOSPHERE-TAU entry as written: one lifetime, or parent and
            daughter separated by a space; empty when absent).

        Raises
        ------
        comaspec.InputError
            When the per-gas lists disagree in length with ATMOSPHERE-GAS.
        """
        from astropy.table import Table

        names = self.items_of("ATMOSPHERE-GAS")
        columns = {"type": self.items_of("ATMOSPHERE-TYPE"), "abundance": self.numbers("ATMOSPHERE-ABUN"),
                   "unit": self.items_of("ATMOSPHERE-UNIT"), "tau_1au_s": self.items_of("ATMOSPHERE-TAU")}
        declared = self.number("ATMOSPHERE-NGAS")
        if declared is not None and int(declared) != len(names):
            raise InputError(self.source, f"<ATMOSPHERE-NGAS> is {int(declared)} but <ATMOSPHERE-GAS> "
                                          f"lists {len(names)} gases")
        for key, values in columns.items():
            if values and len(values) != len(names):
                raise InputError(self.source, f"<ATMOSPHERE-GAS> lists {len(names)} gases but the "
                                              f"{key} list has {len(values)} entries")
        n = len(names)
        return Table({"gas": names, "type": columns["type"] or [""] * n,
                      "abundance": columns["abundance"] or [math.nan] * n,
                      "unit": columns["unit"] or [""] * n, "tau_1au_s": columns["tau_1au_s"] or [""] * n})

    def __repr__(self):
        return f"PSGConfig({len(self.values)} keys from {self.source})"
