"""A small reader for the package's own ECSV tables (``linelists/*.ecsv``).

astropy's reader costs an import of ``astropy.table`` (with the io connectors every
installed package registers, asdf's among them) and a slow YAML header parse: together
more than half a second on every start of the command, for tables that the package writes
itself. This reader handles what those tables use (ECSV 1.0: a YAML header with
``datatype`` and ``meta``, space- or comma-separated rows, strings quoted with ``"``, empty
cells missing) and nothing else: a column ``subtype`` (arrays in cells) is refused. User
files (catalogs, manifests, spectra as ECSV) are still read with astropy.

``tests/test_ecsv.py`` reads every table of ``linelists/`` both ways and compares them.

`write_ecsv` writes the package's own result tables (a fit's ``result.ecsv``, a batch's
``summary.ecsv``): astropy's writer emits the YAML header with PyYAML's pure-Python
emitter, ~30 ms for a fit's metadata, about half a PRISM fit in a batch job; this
writer uses the C emitter where PyYAML has it. Columns of strings, booleans, integers and
floats (Quantities: their unit in the header), one value per cell; anything else is
refused. astropy reads what it writes back to the same table (``tests/test_ecsv.py``).
"""

from __future__ import annotations

import csv
import json
import math

import numpy as np

__all__ = ["read_ecsv", "write_ecsv", "ecsv_text", "EcsvTable", "Column"]

_INTEGERS = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"}
_FLOATS = {"float16", "float32", "float64", "float128"}


class Column(np.ndarray):
    """A column: a numpy array with the ``unit`` of the table (or None) and its Quantity."""

    def __array_finalize__(self, obj):
        self.unit = getattr(obj, "unit", None)

    @property
    def quantity(self):
        """The values as an `astropy.units.Quantity` (dimensionless without a unit)."""
        import astropy.units as u

        return u.Quantity(np.asarray(self), self.unit or u.dimensionless_unscaled)


class MaskedColumn(np.ma.MaskedArray):
    """A column with missing cells (`numpy.ma.masked` where empty)."""

    def __array_finalize__(self, obj):
        super().__array_finalize__(obj)
        self.unit = getattr(obj, "unit", None)


class _Row:
    """One row: ``row[name]`` is the cell (`numpy.ma.masked` where missing)."""

    __slots__ = ("_table", "_index")

    def __init__(self, table, index):
        self._table, self._index = table, index

    def __getitem__(self, name):
        return self._table[name][self._index]


class EcsvTable:
    """Columns by name, ``meta``; rows by iteration or by a boolean or index selection.

    Parameters
    ----------
    columns : dict of str to numpy.ndarray
    meta : dict
    """

    def __init__(self, columns, meta):
        self.columns, self.meta = dict(columns), dict(meta)
        self.colnames = list(self.columns)

    def __len__(self):
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __getitem__(self, key):
        if isinstance(key, str):
            return self.columns[key]
        return EcsvTable({name: col[key] for name, col in self.columns.items()}, self.meta)

    def __iter__(self):
        return (_Row(self, i) for i in range(len(self)))


def _yaml_header(lines, path):
    import yaml

    if not lines or not lines[0].startswith("%ECSV"):
        raise ValueError(f"{path} is not ECSV (no '# %ECSV' first line)")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    header = yaml.load("\n".join(lines[1:]), Loader=loader)
    meta = header.get("meta") or {}
    if isinstance(meta, list):          # !!omap: a list of one-key mappings or pairs
        meta = dict(item for entry in meta for item in (entry.items() if isinstance(entry, dict) else [entry]))
    return header, meta


def _convert(values, spec, path):
    """The cells of one column (strings) as a Column, or a MaskedColumn with missing cells."""
    kind = spec.get("datatype", "string")
    if spec.get("subtype"):
        raise ValueError(f"{path}: column {spec['name']!r} has a subtype ({spec['subtype']}); not supported")
    numeric = kind in _INTEGERS or kind in _FLOATS
    if numeric and "" not in values:
        # no missing cell: numpy parses the strings straight into numbers (half the time of
        # making a string array first, the same values bit for bit)
        return _column(np.array(values, dtype=kind), spec, np.zeros(len(values), dtype=bool))
    text = np.array(values, dtype=str)
    missing = text == ""
    if kind == "string":
        data = text
    elif kind == "bool":
        data = text == "True"
    elif numeric:
        # numpy parses the strings itself; missing cells become 0 (integers) or NaN, masked below
        data = np.where(missing, "0" if kind in _INTEGERS else "nan", text).astype(kind)
    else:
        raise ValueError(f"{path}: column {spec['name']!r} has datatype {kind!r}; not supported")
    return _column(data, spec, missing)


def _column(data, spec, missing):
    """``data`` as a Column with the unit of ``spec``, or a MaskedColumn where ``missing``."""
    import astropy.units as u

    unit = u.Unit(spec["unit"]) if spec.get("unit") else None
    column = data.view(Column)
    column.unit = unit
    if missing.any():
        column = MaskedColumn(data, mask=missing)
        column.unit = unit
    return column


def _cells(lines, delimiter):
    """The cells of each line: csv's reading, by ``str.split`` when no line has a quote
    (then the two agree; the split takes a fraction of the time on the line lists)."""
    if not any('"' in line for line in lines):
        return [line.split(delimiter) for line in lines]
    return list(csv.reader(lines, delimiter=delimiter, quotechar='"'))


def read_ecsv(path):
    """Read one of the package's ECSV tables.

    Parameters
    ----------
    path : pathlib.Path or str

    Returns
    -------
    EcsvTable

    Raises
    ------
    ValueError
        When the file is not ECSV, its rows do not match the header, or it uses a feature
        this reader does not handle.
    """
    with open(path, encoding="utf-8") as fh:
        text = fh.read().splitlines()
    n_head = next((i for i, line in enumerate(text) if not line.startswith("#")), len(text))
    header, meta = _yaml_header([line[2:] if line.startswith("# ") else line[1:] for line in text[:n_head]], path)
    specs = header.get("datatype") or []
    rows = _cells([line for line in text[n_head:] if line.strip()], header.get("delimiter", " "))
    if not rows or rows[0] != [s["name"] for s in specs]:
        raise ValueError(f"{path}: the column names line does not match the header's datatype list")
    body = rows[1:]
    if any(len(r) != len(specs) for r in body):
        raise ValueError(f"{path}: a row does not have {len(specs)} cells")
    cells = list(zip(*body)) if body else [()] * len(specs)
    return EcsvTable({s["name"]: _convert(list(c), s, path) for s, c in zip(specs, cells)}, meta)


# what a string cell must be quoted for: the delimiter, the quote, a comment mark, line ends
_NEEDS_QUOTES = frozenset(' "#\t\n\r,')


def _string_cell(text):
    if text and not _NEEDS_QUOTES.intersection(text):
        return text
    return '"' + text.replace('"', '""') + '"'


def _datatype(name, column, unit_text=None):
    """(header entry, cells as text) of one column; ValueError for what is not handled.

    ``unit_text``: the column's unit as astropy writes it, when the caller knows it (plain
    arrays); otherwise taken from the column's ``unit``.
    """
    if unit_text is None:
        unit = getattr(column, "unit", None)
        unit_text = "" if unit is None or str(unit) == "" else unit.to_string()
    values = np.asarray(getattr(column, "value", column))
    entry = {"name": name}
    if unit_text:
        entry["unit"] = unit_text
    if values.ndim != 1 or np.ma.isMaskedArray(column):
        raise ValueError(f"column {name!r}: only unmasked columns of one value per row can be written")
    kind = values.dtype.kind
    if kind in "US":
        entry["datatype"], cell = "string", lambda v: _string_cell(str(v))
    elif kind == "b":
        entry["datatype"], cell = "bool", lambda v: "True" if v else "False"
    elif kind in "iu":
        entry["datatype"], cell = values.dtype.name, lambda v: str(int(v))
    elif kind == "f":
        entry["datatype"], cell = values.dtype.name, float.__repr__  # tolist() gives Python floats
    else:
        raise ValueError(f"column {name!r}: dtype {values.dtype} is not written by comaspec's ECSV writer")
    return entry, [cell(v) for v in values.tolist()]


class _EcsvDumper:
    """A YAML dumper class: the C emitter where PyYAML has it, no anchors for repeated blocks,
    the implicit tag of each scalar text remembered (the emitter asks twice per scalar)."""

    _class = None
    #: (scalar text, *implicit) -> tag, as PyYAML's resolver answers (its rules do not change)
    _resolved = {}
    #: Texts remembered at most (mostly keys and words; numbers rarely repeat).
    _MAX_RESOLVED = 4096

    @classmethod
    def get(cls):
        if cls._class is None:
            import yaml

            base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
            resolved = cls._resolved
            from yaml.nodes import ScalarNode

            def resolve(self, kind, value, implicit):
                if kind is not ScalarNode or self.yaml_path_resolvers:
                    return base.resolve(self, kind, value, implicit)
                key = (value, implicit[0], implicit[1])
                tag = resolved.get(key)
                if tag is None:
                    tag = base.resolve(self, kind, value, implicit)
                    if len(resolved) < cls._MAX_RESOLVED:
                        resolved[key] = tag
                return tag

            cls._class = type("EcsvDumper", (base,), {"ignore_aliases": lambda self, data: True, "resolve": resolve})
        return cls._class


_TAG = "tag:yaml.org,2002:"


def _yaml_float(value):
    """A float as PyYAML's SafeRepresenter writes it (``.nan``, ``.inf``, ``1.0e+17``)."""
    if value != value:
        return ".nan"
    if value in (math.inf, -math.inf):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value).lower()
    return text.replace("e", ".0e", 1) if "." not in text and "e" in text else text


def _yaml_text(header):
    """``yaml.dump(header, default_flow_style=None, sort_keys=False, width=120)`` of JSON values.

    The nodes are made here as PyYAML's SafeRepresenter makes them (a mapping or list of
    scalars only is in flow style), without its per-value dispatch; the C emitter writes
    them. ``tests/test_ecsv.py`` compares the text with ``yaml.dump``'s.
    """
    import io

    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    str_tag, float_tag, bool_tag, int_tag, null_tag = (_TAG + k for k in ("str", "float", "bool", "int", "null"))

    def node(value):
        kind = type(value)
        if kind is str:
            return ScalarNode(str_tag, value)
        if kind is float:
            return ScalarNode(float_tag, _yaml_float(value))
        if kind is bool:
            return ScalarNode(bool_tag, "true" if value else "false")
        if kind is int:
            return ScalarNode(int_tag, str(value))
        if value is None:
            return ScalarNode(null_tag, "null")
        if kind is dict:
            pairs = [(node(k), node(v)) for k, v in value.items()]
            flat = all(type(k) is ScalarNode and type(v) is ScalarNode for k, v in pairs)
            return MappingNode(_TAG + "map", pairs, flow_style=flat)
        if kind is list:
            items = [node(v) for v in value]
            return SequenceNode(_TAG + "seq", items, flow_style=all(type(v) is ScalarNode for v in items))
        raise TypeError(f"{kind.__name__} is not a JSON value")

    stream = io.StringIO()
    dumper = _EcsvDumper.get()(stream, default_flow_style=None, sort_keys=False, width=120)
    try:
        dumper.open()
        dumper.serialize(node(header))
        dumper.close()
    finally:
        dumper.dispose()
    return stream.getvalue()


def ecsv_text(table, units=None, plain_meta=False):
    """The text of `write_ecsv` (see there).

    Parameters
    ----------
    table : astropy.table.Table, QTable or EcsvTable
    units : dict of str to str, optional
        The unit of a column by name, as astropy writes it (``"W / m2"``), for columns of
        plain arrays; other columns give their own ``unit``.
    plain_meta : bool
        ``table.meta`` holds JSON values already (as parsed by `json.loads`): not converted again.

    Returns
    -------
    str
    """
    units = units or {}
    columns = [_datatype(name, table[name], units.get(name)) for name in table.colnames]
    entries, cells = zip(*columns) if columns else ((), ())
    # plain Python values for the YAML node (numpy floats, tuples); NaN stays NaN
    meta = dict(table.meta) if plain_meta else json.loads(json.dumps(dict(table.meta), allow_nan=True))
    header = {"datatype": list(entries)}
    if meta:
        header["meta"] = meta
    lines = ["# %ECSV 1.0", "# ---", *("# " + line for line in _yaml_text(header).splitlines())]
    lines.append(" ".join(_string_cell(name) for name in table.colnames))
    lines += [" ".join(row) for row in zip(*cells)]
    return "\n".join(lines) + "\n"


def write_ecsv(table, path):
    """Write a table of plain columns as ECSV 1.0 (what astropy's ``format="ascii.ecsv"`` reads).

    Parameters
    ----------
    table : astropy.table.Table or QTable
        Columns of strings, booleans, integers or floats (Quantities keep their unit),
        unmasked; ``meta`` of plain values (JSON-like: dicts, lists, strings, numbers,
        booleans, None).
    path : pathlib.Path or str

    Raises
    ------
    ValueError
        For a column or a meta value this writer does not handle.
    """
    text = ecsv_text(table)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
