"""The command-line reference says what the parser does.

Every option of every subcommand (from its argparse parser, as ``comaspec CMD --help`` lists
them) is named on its page and in its synopsis; ``[A | B]`` in a synopsis is refused
together; the table of allowed ranges in cli.rst is what the commands check, at and beyond
each end; every field of ``comaspec ratio --json`` and ``comaspec info --json`` is described
in json_schema.rst and cli_info.rst; ``--help`` prints what it means.
"""

import re
from pathlib import Path

import pytest
from doc_blocks import (CLI_PAGES, COMMON_OPTIONS, REPO, SYNOPSES, cli_subparsers, gas_cube, make_files, option_names,
                        options_of, run_cli)


def _undocumented_options():
    """``comaspec CMD --option`` of every option the parser has that its page never names."""
    missing = []
    for name, subparser in cli_subparsers().items():
        page = (REPO / "docs" / CLI_PAGES[name]).read_text(encoding="utf-8")
        for option in sorted(options_of(subparser) - COMMON_OPTIONS):
            if not re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", page):
                missing.append(f"comaspec {name} {option} ({CLI_PAGES[name]})")
    return missing


def test_every_option_is_documented():
    """Each option ``comaspec CMD --help`` lists is named on CMD's page of the reference."""
    assert set(cli_subparsers()) == set(CLI_PAGES)
    assert _undocumented_options() == []


def test_common_options_are_documented():
    """``--quiet`` and ``--verbose``, which every subcommand has, are described once in cli.rst."""
    text = (REPO / "docs" / "cli.rst").read_text(encoding="utf-8")
    assert all(f"``{option}``" in text for option in COMMON_OPTIONS - {"-h", "--help"})


def test_help_text_reads_as_written():
    """``comaspec CMD --help`` shows a percent sign as ``%`` (argparse formats help strings, not
    descriptions: a ``%%`` in a description is printed as is)."""
    doubled = [name for name, sub in cli_subparsers().items() if "%%" in sub.format_help()]
    assert doubled == []


def test_synopses_list_every_option():
    """The usage synopsis on a subcommand's page lists all its options (as ``--help`` does)."""
    subparsers = cli_subparsers()
    listed = {}
    for block, command in SYNOPSES:
        name = command.split()[1]
        if block.path.name == CLI_PAGES[name]:
            listed.setdefault(name, set()).update(option_names(command))
    assert set(listed) == set(CLI_PAGES) - {"catalog", "compare"}  # their pages list examples
    missing = {name: sorted(options_of(subparsers[name]) - COMMON_OPTIONS - {"-o"} - names)
               for name, names in listed.items()}
    assert missing == {name: [] for name in listed}


#: A value for each placeholder of the synopses, and the arguments a subcommand needs.
PLACEHOLDER_VALUES = {"ARCSEC": "0.5", "WxH": "1x1", "K": "50", "EXT": "0", "N": "10", "S": "5",
                      "ADDRESS": "tcp://127.0.0.1:1", "SIGMA": "3", "DEG": "10"}
REQUIRED_ARGS = {"ratio": ["--example"], "map": ["missing_s3d.fits", "--rh", "3", "--delta", "2"],
                 "batch": ["missing.csv", "--output-dir", "out"]}


def _alternatives():
    """(subcommand, [option, value...], [option, value...]) of every ``[A | B]`` of a synopsis."""
    found = []
    for _, command in SYNOPSES:
        name = command.split()[1]
        for group in re.findall(r"\[(--[^\[\]]*\|\s*--[^\[\]]*)\]", command):
            sides = [side.split() for side in group.split("|")]
            found.append((name, *[[w if w.startswith("-") else PLACEHOLDER_VALUES[w] for w in s] for s in sides]))
    return found


@pytest.mark.parametrize(("name", "first", "second"), _alternatives(),
                         ids=lambda v: " ".join(v) if isinstance(v, list) else v)
def test_synopsis_alternatives_are_refused_together(name, first, second, tmp_path, monkeypatch, capsys):
    """``[A | B]`` in a synopsis means one or the other: the command refuses both, before any
    work, with one line naming both."""
    monkeypatch.chdir(tmp_path)
    argv = [name, *REQUIRED_ARGS.get(name, []), *first, *second]
    status, out, err = run_cli(argv, capsys)
    assert status == 2 and out == ""
    assert first[0] in err and second[0] in err, err


#: Keys of the JSON that are names, not fields (species, ratio names, band names).
_NAMED_KEYS = {"species", "ratios", "band_g_factors_1au_per_s", "error_inflation", "pump_opacity"}


def _json_keys(obj, path=""):
    """(path, key) of the field names of a result; the keys of `_NAMED_KEYS` entries, and keys
    that are not identifiers (window names such as ``4.5um``), are names, not fields."""
    found = []
    for key, value in obj.items():
        if re.fullmatch(r"[A-Za-z_]\w*", key):
            found.append((path, key))
        if isinstance(value, dict):
            children = value.values() if key in _NAMED_KEYS else [value]
            for child in children:
                if isinstance(child, dict):
                    found.extend(_json_keys(child, f"{path}.{key}"))
    return found


def test_json_fields_are_documented(capsys):
    """Every field of ``comaspec ratio --example --json`` (and with ``--q-h2o``) is described
    in json_schema.rst."""
    import json

    documented = set(re.findall(r"``(\w+)``", (REPO / "docs" / "json_schema.rst").read_text(encoding="utf-8")))
    undocumented = set()
    for extra in ([], ["--species", "CO2,CO", "--q-h2o", "7e26:1e26"]):
        status, out, err = run_cli(["ratio", "--example", "--json", "--quiet", *extra], capsys)
        assert status == 0, err
        undocumented |= {f"{path}.{key}" for path, key in _json_keys(json.loads(out)) if key not in documented}
    assert undocumented == set()


def test_info_json_fields_are_documented(tmp_path, monkeypatch, capsys, shared_data):
    """Every key of ``comaspec info --json`` (a spectrum, a cube, a PSG retrieval) is described
    in cli_info.rst."""
    import json

    from comaspec import example_path

    documented = set(re.findall(r"``(\w+)``", (REPO / "docs" / "cli_info.rst").read_text(encoding="utf-8")))
    monkeypatch.chdir(tmp_path)
    gas_cube(tmp_path / "gas_s3d.fits")
    psg = "c2017k2_nirspec_g395m_beam0.75arcsec_psg_retrieval_results.txt"
    make_files(psg, tmp_path, shared_data)
    undocumented = set()
    for path in (str(example_path()), "gas_s3d.fits", psg):
        status, out, err = run_cli(["info", "--json", path], capsys)
        assert status == 0, err
        info = json.loads(out)
        keys = set(info) | {k for row in info.get("psg_retrieval") or [] for k in row}
        undocumented |= {f"{Path(path).name}: {k}" for k in keys - documented}
    assert undocumented == set()


#: How a number is written into an option that takes more than a number.
_VALUE_FORMS = {"--aperture-box": "{}x1", "--offset": "{},0", ("ratio", "--lifetime"): "CO2={}"}
#: Arguments a subcommand needs, so that one option can be checked alone.
_BASE_ARGS = {"ratio": ["--example"], "catalog": [],
              "production": ["--species", "CO2", "--flux", "1e-17", "--rh", "1", "--delta", "1",
                             "--aperture-radius", "1"],
              "compare": ["--ratio", "1", "--rh", "1"], "map": ["cube.fits", "--rh", "1", "--delta", "1"]}


def _range_rows():
    """(options, commands, low, high, low included) of the table of allowed ranges in cli.rst
    whose range is ``A – B`` or ``> A and ≤ B``."""
    text = (REPO / "docs" / "cli.rst").read_text(encoding="utf-8").split(".. _cli-ranges:")[1]
    rows = []
    for row in re.findall(r"\* - (.*?)\n\s+- (.*?)\n", text):
        options = re.findall(r"``(--[\w-]+)``", row[0])
        named = re.search(r"\(([a-z, ]+)\)", row[0])
        commands = [c.strip() for c in named.group(1).split(",")] if named else []
        span = row[1].replace("−", "-")
        closed = re.fullmatch(r"(-?[\d.]+(?:e[-+]?\d+)?) – (-?[\d.]+(?:e[-+]?\d+)?)", span)
        half_open = re.fullmatch(r"> (-?[\d.]+(?:e[-+]?\d+)?) and ≤ (-?[\d.]+(?:e[-+]?\d+)?)", span)
        if options and (closed or half_open):
            low, high = (closed or half_open).groups()
            rows.append((options, commands, float(low), float(high), bool(closed)))
    return rows


def _option_argv(command, option, value):
    """Arguments giving ``option`` the number ``value`` (``--opt=VALUE``: a negative value stays
    a value)."""
    form = _VALUE_FORMS.get((command, option), _VALUE_FORMS.get(option, "{}"))
    return [command, *_BASE_ARGS[command], f"{option}={form.format(value)}"]


def _parses(argv):
    """Whether the real parser accepts ``argv`` (types and ranges checked by argparse)."""
    from comaspec.cli import build_parser

    try:
        build_parser().parse_args(argv)
    except SystemExit:
        return False
    return True


def _range_checks(command, option, low, high, low_included):
    """{value: accepted} at and just beyond the ends of a range (integers for integer options)."""
    step = max(abs(low), abs(high)) * 1e-3
    checks = {low: low_included, high: True, low - step: False, high + step: False}
    action = next(a for a in cli_subparsers()[command]._actions if option in a.option_strings)
    if action.type is int or getattr(action.type, "__name__", "") == "int" or option in ("--bin", "--mc", "--seed"):
        checks = {int(low): low_included, int(high): True, int(low) - 1: False, int(high) + 1: False}
    return checks


def test_allowed_ranges_table_is_what_the_commands_check(capsys, tmp_path, monkeypatch):
    """Each row of the table of allowed ranges (cli.rst), for every subcommand the row names (or
    the first that has the option): its ends parse (an open end does not), and a value just
    beyond either end is refused with exit status 2 and one line naming the option."""
    monkeypatch.chdir(tmp_path)
    subparsers = cli_subparsers()
    rows = _range_rows()
    assert len(rows) >= 20
    wrong = []
    for options, commands, low, high, low_included in rows:
        for option in options:
            having = [c for c in ("ratio", "production", "map", "compare", "catalog")
                      if option in options_of(subparsers[c])]
            for command in [c for c in commands if c in having] or having[:1]:
                for value, accepted in _range_checks(command, option, low, high, low_included).items():
                    argv = _option_argv(command, option, value)
                    if accepted and not _parses(argv):
                        wrong.append(f"{command} {option} {value}: refused")
                    elif not accepted:
                        status, _, err = run_cli(argv, capsys)
                        if status != 2 or option.lstrip("-").split("-")[0] not in err:
                            wrong.append(f"{command} {option} {value}: status {status}, {err.strip()!r}")
    assert wrong == [], "\n".join(wrong)


def test_negative_offset_form_in_the_docs_works(capsys):
    """cli_production.rst: ``--offset=-0.5,0.2`` (the form the page gives) is accepted."""
    assert "``--offset=-0.5,0.2``" in (REPO / "docs" / "cli_production.rst").read_text(encoding="utf-8")
    status, out, err = run_cli(["production", *_BASE_ARGS["production"], "--offset=-0.5,0.2"], capsys)
    assert status == 0, err
    assert out.startswith("Q(CO2) = ")
