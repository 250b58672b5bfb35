"""Every example in README.md and docs/*.rst runs and says what the code does.

* **Python**: every ``.. code-block:: python`` block runs, the blocks of one page in order in
  one namespace (a later block may use the names of an earlier one), in a temporary directory.
  Blocks written as ``>>>`` sessions are run by doctest, so the output they quote is checked.
  A file a snippet reads (``coma_s3d.fits``, ...) is made by `FILES` (the bundled example,
  a small synthetic cube, a manifest of them); a name it takes from the user (``spectrum``,
  ``geometry``, ...) is given by `USER_NAMES`.
* **Commands**: every ``comaspec SUBCOMMAND ...`` line of a code block is parsed by the real
  argument parser (an unknown option or a value out of range exits 2); usage synopses
  (``[--opt ...]``) name only options that exist; inline ````comaspec ...```` in the text
  too. Commands whose inputs are the example, a file of `FILES` or a real file of
  ``../shared/data`` run (``comaspec.cli.main`` in this process, as the CLI tests do; one
  runs as ``python -m comaspec``) and must exit 0; those that cannot run here are listed
  in `NOT_RUN` with the reason.
* **Transcripts**: a block whose lines start with ``$ comaspec`` quotes the command's output
  (standard output, or standard error when it fails); the quoted text is compared with what
  the command prints now (``...`` stands for any text).
* **Options**: every option of every subcommand (from its argparse parser, as
  ``comaspec CMD --help`` lists them) is mentioned on its page of the command-line reference.

A block preceded by the rst comment ``.. skip-doc-test: REASON`` is not run; such skips are
listed in `test_skipped_blocks_are_few`.
"""

from __future__ import annotations

import doctest
import os
import re
import shlex
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOC_FILES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.rst"))]
SUBCOMMANDS = ("info", "production", "ratio", "map", "batch", "catalog", "compare")
SKIP_MARK = "skip-doc-test:"
COMMAND = re.compile(r"^(?:\$ )?comaspec (?:%s)(?=\s|$)" % "|".join(SUBCOMMANDS))
#: The page of the command-line reference that documents each subcommand's options.
CLI_PAGES = {"info": "cli_info.rst", "production": "cli_production.rst", "ratio": "cli_ratio.rst",
             "map": "cli_map.rst", "batch": "many_observations.rst", "catalog": "cli_catalog.rst",
             "compare": "cli_catalog.rst"}
#: Options of every subcommand, documented once in cli.rst ("Options every subcommand has").
COMMON_OPTIONS = {"-h", "--help", "-q", "--quiet", "-v", "--verbose"}


# --------------------------------------------------------------------------- extraction


@dataclass(frozen=True)
class Block:
    """One code block of a documentation page."""

    path: Path
    line: int  # 1-based line of the directive (or of the paragraph ending in ``::``)
    language: str  # python, bash, text, console, literal (``::``), ...
    text: str  # dedented content
    skip: str | None = None  # reason given by a ``.. skip-doc-test:`` comment

    @property
    def id(self) -> str:
        return f"{self.path.name}:{self.line}"


def _indent(line):
    return len(line) - len(line.lstrip())


def _skip_reason(lines, i):
    """The reason of a ``.. skip-doc-test:`` comment in the lines just before line ``i``."""
    j = i - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    if j >= 0 and SKIP_MARK in lines[j]:
        return lines[j].split(SKIP_MARK, 1)[1].strip(" ->")
    return None


def _rst_blocks(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks, i = [], 0
    while i < len(lines):
        line = lines[i]
        directive = re.match(r"^\s*\.\. code-block::\s*(\S+)", line)
        literal = not directive and line.rstrip().endswith("::") and not line.lstrip().startswith("..")
        if not (directive or literal):
            i += 1
            continue
        indent, j = _indent(line), i + 1
        while j < len(lines) and (not lines[j].strip() or (directive and lines[j].strip().startswith(":"))):
            j += 1
        body = []
        while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > indent):
            body.append(lines[j])
            j += 1
        while body and not body[-1].strip():
            body.pop()
        if body:
            dedent = min(_indent(b) for b in body if b.strip())
            text = "\n".join(b[dedent:] for b in body)
            blocks.append(Block(path, i + 1, directive.group(1) if directive else "literal", text,
                                _skip_reason(lines, i)))
        i = j
    return blocks


def _md_blocks(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks, i = [], 0
    while i < len(lines):
        fence = re.match(r"^```(\w*)", lines[i])
        if fence:
            j = i + 1
            while not lines[j].startswith("```"):
                j += 1
            blocks.append(Block(path, i + 1, fence.group(1) or "text", "\n".join(lines[i + 1:j]),
                                _skip_reason(lines, i)))
            i = j
        i += 1
    return blocks


def doc_blocks():
    """Every code block of README.md and docs/*.rst."""
    return [b for path in DOC_FILES for b in (_md_blocks(path) if path.suffix == ".md" else _rst_blocks(path))]


BLOCKS = doc_blocks()
PYTHON_BLOCKS = [b for b in BLOCKS if b.language in ("python", "pycon")]
PYTHON_PAGES = sorted({b.path.name for b in PYTHON_BLOCKS})


def _command_lines(block):
    """(line, is_synopsis) of the ``comaspec SUBCOMMAND`` commands of a block; a line ending in
    ``\\`` continues, and so does an indented line of a synopsis."""
    commands = []
    for raw in block.text.splitlines():
        line = raw.strip()
        if COMMAND.match(line):
            commands.append(line.removeprefix("$ "))
        elif commands and (commands[-1].endswith("\\") or (raw.startswith(" ") and line[:1] in "[(")):
            commands[-1] = commands[-1].rstrip("\\ ") + " " + line
    return [(c, bool(re.search(r"\s\[|\|", c.split("#")[0]))) for c in commands]


def _argv(command):
    """The arguments after ``comaspec`` of a concrete command line (comments dropped)."""
    return shlex.split(command, comments=True)[1:]


COMMANDS = [(b, c) for b in BLOCKS if not b.skip for c, synopsis in _command_lines(b) if not synopsis]
SYNOPSES = [(b, c) for b in BLOCKS for c, synopsis in _command_lines(b) if synopsis]


def _inline_commands():
    """(page, text) of every inline literal ````comaspec SUBCOMMAND ...```` of the docs."""
    found = []
    for path in DOC_FILES:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"``(comaspec (?:%s)\b[^`]*)``|`(comaspec (?:%s)\b[^`]*)`"
                                 % ("|".join(SUBCOMMANDS), "|".join(SUBCOMMANDS)), text):
            found.append((path.name, match.group(1) or match.group(2)))
    return found


# --------------------------------------------------------------------------- the parser


def _subparsers():
    from comaspec.cli import build_parser

    parser = build_parser()
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return action.choices


def _options(subparser):
    return {s for a in subparser._actions for s in a.option_strings}


def _option_names(text):
    """Options (``--name``, ``-x``) named in a command or synopsis, without ``=value``."""
    return {m.group(1) for m in re.finditer(r"(?<![\w-])(--?[A-Za-z][\w-]*)", text)}


# --------------------------------------------------------------------------- files and names

#: Names a snippet takes from the user's session, made here (see `_user_names`).
USER_NAMES = ("spectrum", "geometry", "aperture", "flux", "error", "cube")


def _example_copy(path):
    from comaspec import example_path

    shutil.copyfile(example_path(), path)


def _small_cube(path):
    """A small synthetic PRISM cube of a 3I/ATLAS-like coma (geometry in its header)."""
    import astropy.units as u
    import numpy as np

    from comaspec import Geometry
    from comaspec.synthetic import synthetic_cube

    synthetic_cube("PRISM", {"CO2": 1.7e27, "H2O": 3e26}, Geometry(3.32 * u.au, 2.61 * u.au), T_rot=50.0,
                   error_per_spaxel=2e-20 * u.W / u.m**2 / u.um, shape=(21, 21), path=path, seed=1,
                   continuum=lambda wl: 1e-17 * np.ones_like(wl))


def _campaign(path):
    """A manifest of two visits (copies of the example) at the example's geometry."""
    for label in ("visit01", "visit02"):
        _example_copy(path.parent / f"{label}_prism_x1d.fits")
    path.write_text("label,files,rh,delta,aperture,species\n"
                    "visit01,visit01_prism_x1d.fits,3.32,2.61,0.5,CO2;H2O;CO\n"
                    "visit02,visit02_prism_x1d.fits,3.32,2.61,0.5,CO2;H2O;CO\n", encoding="utf-8")


def _gas_cube(path):
    """A small synthetic PRISM cube of a coma without dust (the nucleus found from the gas)."""
    import astropy.units as u

    from comaspec import Geometry
    from comaspec.synthetic import synthetic_cube

    synthetic_cube("PRISM", {"CO2": 1.7e27, "H2O": 3e26}, Geometry(3.32 * u.au, 2.61 * u.au), T_rot=50.0,
                   error_per_spaxel=2e-20 * u.W / u.m**2 / u.um, shape=(15, 15), path=path, seed=1)


def _g395h_co2_co(path):
    """A 4.1-4.9 µm G395H x1d of CO2 and CO written by the independent generator, as in
    tests/test_q_h2o.py (Q = 5e26 and 4e26 1/s, T_rot 40 K, noise 3e-18 W m^-2 µm^-1, seed 3)."""
    import independent_coma as ic

    spec, _ = ic.coma_spectrum("G395H", {"CO2": 5e26, "CO": 4e26}, rh_au=3.32, delta_au=2.61, radius_arcsec=0.5,
                               v_km_s=ic.default_velocity(3.32), tau_1au_s=ic.default_lifetimes(), T_rot=40.0,
                               lo_um=4.1, hi_um=4.9, continuum=lambda wl: 4e-17 * (wl / 3.5) ** -1.2, error=3e-18,
                               seed=3)
    ic.write_pipeline_x1d(path, spec, grating="G395H", filt="F290LP")


def _big_x1d(path):
    """The example with NAXIS2 of its table set to 5e9 (a header declaring more data than the file)."""
    from comaspec import example_path

    data = bytearray(Path(example_path()).read_bytes())
    card = b"NAXIS2  = " + b"405".rjust(20)
    start = data.index(card, 2880)
    data[start:start + len(card)] = b"NAXIS2  = " + b"5000000000".rjust(20)
    path.write_bytes(bytes(data))


def _angstrom_table(path):
    """A table of Ångström wavelengths labelled µm."""
    path.write_text("wavelength (um),flux (Jy)\n6500,0.01\n30000,0.02\n52486,0.03\n", encoding="utf-8")


#: Files the snippets and commands read, by the name the docs give them.
FILES = {
    "big_x1d.fits": _big_x1d,
    "angstrom.txt": _angstrom_table,
    "gas_s3d.fits": _gas_cube,
    "g395h_x1d.fits": _g395h_co2_co,
    "jw0xxxx_x1d.fits": _example_copy,
    "jw01234-o001_t001_nirspec_prism-clear_x1d.fits": _example_copy,
    "jw01234-o001_t001_nirspec_prism-clear_s3d.fits": _small_cube,
    "coma_s3d.fits": _small_cube,
    "campaign.csv": _campaign,
}

#: Real files of ../shared/data the docs name: name → folder.
SHARED_FILES = {
    "jw02736-o007_s06355_nirspec_f290lp-g395m_x1d.fits": "jwst-nirspec-mos-g395m-x1d-smacs0723",
    "jw02736-o007_s06355_nirspec_f290lp-g395m_s2d.fits": "jwst-nirspec-mos-g395m-x1d-smacs0723",
    "CO2_measured_spectrum_4-5um.csv": "co2-lab-emission-4-5um-radis",
    "harrington_pinto2022_gas_production_rates.csv": "comet-production-rates-hp22",
    "c2017k2_nirspec_g395m_beam0.75arcsec_3.25-3.33um.txt": "c2017k2-jwst-nirspec-ch4",
    "c2017k2_nirspec_g395m_beam0.75arcsec_psg_retrieval_results.txt": "c2017k2-jwst-nirspec-ch4",
}


def _make_files(text, directory, shared_data):
    """Make (or link from ../shared/data) every file of `FILES`/`SHARED_FILES` named in ``text``."""
    for name, make in FILES.items():
        if name in text and not (directory / name).exists():
            make(directory / name)
    for name, folder in SHARED_FILES.items():
        if name in text and not (directory / name).exists():
            (directory / name).symlink_to(shared_data(folder, name))


def _user_names(code, example_inputs, directory):
    """The user's objects a page's code uses without making them: the example's spectrum,
    geometry and aperture, its flux and error (W m^-2 µm^-1 on the fitted pixels, as
    ``ForwardModel.with_data`` takes them), a band flux, and a small cube."""
    import astropy.units as u

    spectrum, geometry, aperture = example_inputs
    names = {"spectrum": spectrum, "geometry": geometry, "aperture": aperture}
    if re.search(r"\b(flux|error)\b", code):
        names["flux"] = 1.2e-17 * u.W / u.m**2
        if "with_data(flux, error)" in code:
            names["flux"], names["error"] = _fitted_pixels_data(spectrum, geometry, aperture)
    if re.search(r"\bcube\b", code):
        _small_cube(directory / "user_s3d.fits")
        from comaspec import read_cube

        names["cube"] = read_cube(directory / "user_s3d.fits")
    return {k: v for k, v in names.items() if re.search(rf"\b{k}\b", code)}


def _fitted_pixels_data(spectrum, geometry, aperture):
    """Another spectrum on the example's fitted pixels: its flux plus noise of 0.2 of its error
    (so the new error is sqrt(1.04) of the old), W m^-2 µm^-1."""
    import numpy as np

    from comaspec.fit import as_observed
    from comaspec.model import ForwardModel

    model = ForwardModel([as_observed(spectrum)], ["CO2", "H2O"], geometry, [aperture])
    flux, error = model.data()
    rng = np.random.default_rng(3)
    return flux + rng.normal(0.0, 0.2 * error), error * np.sqrt(1.04)


# --------------------------------------------------------------------------- extraction tests


def test_blocks_are_found():
    """The extraction sees the blocks it must (a regression of the parser would test nothing)."""
    ids = {b.id.split(":")[0] for b in PYTHON_BLOCKS}
    assert {"tutorial.rst", "maps.rst", "model.rst", "catalog.rst", "gallery.rst"} <= ids
    assert len(PYTHON_BLOCKS) >= 17
    assert any(c == "comaspec ratio --example" for _, c in COMMANDS)
    assert any(c.startswith("comaspec ratio SPECTRUM") for _, c in SYNOPSES)
    assert len(COMMANDS) >= 20


def test_python_is_in_python_blocks():
    """A literal block holding Python (``import``, ``from ... import``, ``>>>``) is marked as
    ``.. code-block:: python``, so this module runs it."""
    unmarked = [b.id for b in BLOCKS if b.language not in ("python", "pycon")
                and re.match(r"(import \w|from [\w.]+ import |>>> )", b.text)]
    assert unmarked == []


# --------------------------------------------------------------------------- python


#: Warnings a page's snippets emit on purpose (the example's CO2 pumping lines are not
#: optically thin: `fit_coma` warns, as ``comaspec ratio`` prints a note).
EXPECTED_WARNINGS = {
    "tutorial.rst": "pumping lines are not optically thin",
    "haser.rst": "pumping lines are not optically thin",
    "model.rst": "pumping lines are not optically thin",
    "many_observations.rst": "pumping lines are not optically thin",
}


def _run_python(block, namespace):
    if block.text.lstrip().startswith(">>>"):
        test = doctest.DocTestParser().get_doctest(block.text, namespace, block.id, str(block.path), block.line)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        report = []
        runner.run(test, out=report.append, clear_globs=False)
        assert runner.failures == 0, f"{block.id}:\n" + "".join(report)
    else:
        exec(compile(block.text, block.id, "exec"), namespace)  # noqa: S102 - the docs' own code


@pytest.mark.parametrize("page", PYTHON_PAGES)
def test_python_snippets_run(page, tmp_path, monkeypatch, example_inputs, shared_data):
    blocks = [b for b in PYTHON_BLOCKS if b.path.name == page and not b.skip]
    code = "\n".join(b.text for b in blocks)
    monkeypatch.chdir(tmp_path)
    _make_files(code, tmp_path, shared_data)
    namespace = {"__name__": "__docs__"}
    namespace.update(_user_names(code, example_inputs, tmp_path))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for block in blocks:
            _run_python(block, namespace)
    from comaspec.errors import ComaspecWarning

    ours = [str(w.message) for w in caught if issubclass(w.category, ComaspecWarning)]
    expected = EXPECTED_WARNINGS.get(page)
    unexpected = [m for m in ours if expected is None or expected not in m]
    assert unexpected == []
    import matplotlib.pyplot as plt

    plt.close("all")


# --------------------------------------------------------------------------- commands

#: Commands of the docs that do not run here, with the reason.
NOT_RUN = {
    "comaspec batch campaign.ecsv --output-dir /shared/results --scheduler tcp://head-node:8786":
        "needs a running Dask scheduler on a cluster",
}


def _transcripts(block):
    """(command, expected output) of a block whose commands start with ``$ ``."""
    found = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            found.append([line[2:], []])
        elif found and found[-1][0].endswith("\\"):
            found[-1][0] = found[-1][0].rstrip("\\ ") + " " + line.strip()
        elif found:
            found[-1][1].append(line)
    return [(command, "\n".join(out).strip() + "\n") for command, out in found if COMMAND.match(command)]


TRANSCRIPTS = [(b, c, out) for b in BLOCKS if not b.skip for c, out in _transcripts(b)]


def _run_cli(argv, capsys):
    """Exit status, stdout and stderr of ``comaspec ARGV`` run in this process."""
    from comaspec.cli import main

    try:
        status = main(argv)
    except SystemExit as exc:  # argparse: --help, usage errors
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def _same_output(expected, got):
    """Whether ``got`` is ``expected`` up to white space, with ``...`` standing for any text."""
    checker = doctest.OutputChecker()
    return checker.check_output(expected, got, doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)


def test_every_command_option_exists():
    """Every option a command, a synopsis or an inline ````comaspec ...```` names is an option of
    its subcommand (``--help`` would list it; argparse exits 2 on the others)."""
    subparsers = _subparsers()
    named = [(b.id, c) for b, c in COMMANDS + SYNOPSES] + _inline_commands()
    unknown = []
    for where, command in named:
        name = command.removeprefix("$ ").split()[1]
        words = re.sub(r"\s#.*", "", command.split("comaspec", 1)[1])
        for option in _option_names(words) - _options(subparsers[name]):
            unknown.append(f"{where}: comaspec {name} {option}")
    assert unknown == []


#: Commands the docs show failing (their quoted error is checked in `test_transcript_output`).
FAILING = {c for _, c, out in TRANSCRIPTS if re.match(r"comaspec \w+: error:", out)}


@pytest.mark.parametrize("command", sorted({c for _, c in COMMANDS} - FAILING))
def test_command_parses(command):
    """The real parser accepts every command of the docs: known options, values in range."""
    from comaspec.cli import build_parser

    try:
        build_parser().parse_args(_argv(command))
    except SystemExit as exc:
        pytest.fail(f"{command!r}: exit status {exc.code}")


RUNNABLE = sorted({c for _, c in COMMANDS} - set(NOT_RUN) - {c for _, c, _ in TRANSCRIPTS})


def test_not_run_is_current():
    """Every command listed as not run is still in the docs (the list does not rot)."""
    assert set(NOT_RUN) <= {c for _, c in COMMANDS}


@pytest.mark.parametrize("command", RUNNABLE)
def test_command_runs(command, tmp_path, monkeypatch, capsys, shared_data):
    """Each self-contained command of the docs exits 0 and writes the files it names."""
    monkeypatch.chdir(tmp_path)
    _make_files(command, tmp_path, shared_data)
    argv = _argv(command)
    status, out, err = _run_cli(argv, capsys)
    assert status == 0, err
    assert out or any(a.startswith("-o") or a.startswith("--o") or a == "--plot" for a in argv)
    _assert_outputs_written(argv, tmp_path)


def _assert_outputs_written(argv, directory):
    """Every file an output option of ``argv`` names was written and is not empty."""
    for flag, path in zip(argv, argv[1:]):
        if flag in ("-o", "--output", "--plot", "--compare", "--profiles", "--qcurve", "--psg-config"):
            assert (directory / path).stat().st_size > 0, f"{flag} {path}"


@pytest.mark.parametrize(("block", "command", "expected"), TRANSCRIPTS,
                         ids=[f"{b.id}:{c[9:40]}" for b, c, _ in TRANSCRIPTS])
def test_transcript_output(block, command, expected, tmp_path, monkeypatch, capsys, shared_data):
    """A quoted ``$ comaspec ...`` session prints what the docs show: its standard output, or
    standard error when the quote is an error or a warning (an error exits 2)."""
    monkeypatch.chdir(tmp_path)
    _make_files(command, tmp_path, shared_data)
    if command == "comaspec ratio --example":
        pytest.skip("run as python -m comaspec in test_example_command_as_installed")
    status, out, err = _run_cli(_argv(command), capsys)
    on_stderr = re.match(r"comaspec \w+: (error|warning):", expected)
    assert status == (2 if on_stderr and ": error:" in expected.split("\n")[0] else 0), err
    got = err if on_stderr else out
    if status == 0:
        _assert_outputs_written(_argv(command), tmp_path)
    assert _same_output(expected, got), f"{block.id}: {command}\n--- docs\n{expected}--- now\n{got}"


def test_example_command_as_installed(tmp_path):
    """``comaspec ratio --example`` (README, tutorial) run as ``python -m comaspec``."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "comaspec", "ratio", "--example"], cwd=tmp_path,
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    quoted = [out for _, c, out in TRANSCRIPTS if c == "comaspec ratio --example"]
    assert quoted and _same_output(quoted[0], done.stdout)


# --------------------------------------------------------------------------- options documented


def _undocumented_options():
    """``comaspec CMD --option`` of every option the parser has that its page never names."""
    missing = []
    for name, subparser in _subparsers().items():
        page = (REPO / "docs" / CLI_PAGES[name]).read_text(encoding="utf-8")
        for option in sorted(_options(subparser) - COMMON_OPTIONS):
            if not re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", page):
                missing.append(f"comaspec {name} {option} ({CLI_PAGES[name]})")
    return missing


def test_every_option_is_documented():
    """Each option ``comaspec CMD --help`` lists is named on CMD's page of the reference."""
    assert set(_subparsers()) == set(CLI_PAGES)
    assert _undocumented_options() == []


def test_common_options_are_documented():
    text = (REPO / "docs" / "cli.rst").read_text(encoding="utf-8")
    assert all(f"``{option}``" in text for option in COMMON_OPTIONS - {"-h", "--help"})


def test_help_text_reads_as_written():
    """``comaspec CMD --help`` shows a percent sign as ``%`` (argparse formats help strings, not
    descriptions: a ``%%`` in a description is printed as is)."""
    doubled = [name for name, sub in _subparsers().items() if "%%" in sub.format_help()]
    assert doubled == []


# --------------------------------------------------------------------------- manifests

MANIFESTS = [b for b in BLOCKS if b.path.name == "many_observations.rst" and b.language == "text"
             and re.match(r"(label,|# %ECSV)", b.text)]


@pytest.mark.parametrize("block", MANIFESTS, ids=[b.id for b in MANIFESTS])
def test_manifest_examples_are_accepted(block, tmp_path):
    """The manifests the docs show are read without a refused row, one job per row."""
    from comaspec.batch import read_jobs

    path = tmp_path / ("campaign.ecsv" if block.text.startswith("#") else "campaign.csv")
    path.write_text(block.text + "\n", encoding="utf-8")
    for name in set(re.findall(r"[\w.-]+\.fits", block.text)):
        _example_copy(tmp_path / name)
    jobs, invalid = read_jobs(path)
    rows = [line for line in block.text.splitlines() if line.startswith("visit")]
    assert invalid == []
    assert [job.label for job in jobs] == [row.split(",")[0].split()[0] for row in rows]


def test_manifests_are_found():
    assert len(MANIFESTS) == 2


def test_synopses_list_every_option():
    """The usage synopsis on a subcommand's page lists all its options (as ``--help`` does)."""
    subparsers = _subparsers()
    listed = {}
    for block, command in SYNOPSES:
        name = command.split()[1]
        if block.path.name == CLI_PAGES[name]:
            listed.setdefault(name, set()).update(_option_names(command))
    assert set(listed) == set(CLI_PAGES) - {"catalog", "compare"}  # their pages list examples
    missing = {name: sorted(_options(subparsers[name]) - COMMON_OPTIONS - {"-o"} - names)
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
    status, out, err = _run_cli(argv, capsys)
    assert status == 2 and out == ""
    assert first[0] in err and second[0] in err, err


# --------------------------------------------------------------------------- scripts and skips


def test_scripts_named_in_the_docs_exist():
    """Every ``python path/script.py [--option]`` of the docs names a file of the repository
    that has that option."""
    problems = []
    for path in DOC_FILES:
        for script, option in re.findall(r"python ([\w./-]+\.py)(?: (--[\w-]+))?", path.read_text(encoding="utf-8")):
            target = REPO / script
            if not target.is_file():
                problems.append(f"{path.name}: {script} does not exist")
            elif option and option not in target.read_text(encoding="utf-8"):
                problems.append(f"{path.name}: {script} has no {option}")
    assert problems == []


#: Blocks marked ``.. skip-doc-test: REASON`` (not run): keep this list short.
SKIPPED = {}


def test_skipped_blocks_are_few():
    assert {b.id: b.skip for b in BLOCKS if b.skip} == SKIPPED


def test_extraction_of_a_page(tmp_path):
    """The extractor on a page written here: directive and ``::`` blocks, indentation, options,
    a skip comment, a continued command and a synopsis."""
    page = tmp_path / "page.rst"
    page.write_text("Title\n=====\n\n.. skip-doc-test: needs a user's cube\n\n.. code-block:: python\n"
                    "   :caption: x\n\n   a = 1\n\n     b = 2\n\nText::\n\n   $ comaspec ratio --example \\\n"
                    "       --rh 3\n   out\n\n   comaspec map CUBE [--bin N]\n                [--quiet]\n\nEnd.\n",
                    encoding="utf-8")
    python, literal = _rst_blocks(page)
    assert (python.language, python.text, python.skip) == ("python", "a = 1\n\n  b = 2", "needs a user's cube")
    assert (literal.language, literal.skip, literal.line) == ("literal", None, 13)
    assert _command_lines(literal) == [("comaspec ratio --example --rh 3", False),
                                       ("comaspec map CUBE [--bin N] [--quiet]", True)]
    assert _transcripts(literal)[0] == ("comaspec ratio --example --rh 3", "out\n\ncomaspec map CUBE [--bin N]\n"
                                        "             [--quiet]\n")


# --------------------------------------------------------------------------- JSON keys

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
        status, out, err = _run_cli(["ratio", "--example", "--json", "--quiet", *extra], capsys)
        assert status == 0, err
        undocumented |= {f"{path}.{key}" for path, key in _json_keys(json.loads(out)) if key not in documented}
    assert undocumented == set()


# --------------------------------------------------------------------------- generated outputs

#: Scripts whose text outputs the docs include (``literalinclude``, ``csv-table :file:``), and
#: where those outputs are committed.
GENERATORS = {"examples/tutorial_prism.py": "docs/_static/tutorial", "docs/make_maps_figures.py": "docs/_static/maps",
              "docs/make_k2_figures.py": "docs/_static/k2"}


def _same_json(committed, now, where=""):
    """Differences between two JSON values: same keys, equal strings, numbers within 1e-6."""
    if isinstance(committed, dict) and isinstance(now, dict):
        if set(committed) != set(now):
            return [f"{where}: keys {sorted(set(committed) ^ set(now))}"]
        return [d for k in committed if k not in ("comaspec_version", "paths")
                for d in _same_json(committed[k], now[k], f"{where}.{k}")]
    if isinstance(committed, list) and isinstance(now, list) and len(committed) == len(now):
        return [d for i, (a, b) in enumerate(zip(committed, now)) for d in _same_json(a, b, f"{where}[{i}]")]
    if isinstance(committed, float) and isinstance(now, float):
        return [] if now == pytest.approx(committed, rel=1e-6) else [f"{where}: {committed} -> {now}"]
    return [] if committed == now else [f"{where}: {committed!r} -> {now!r}"]


@pytest.mark.slow
@pytest.mark.parametrize("script", GENERATORS)
def test_generated_outputs_are_current(script, tmp_path, monkeypatch, shared_data):
    """The numbers and tables the docs include from a generator script are what the script
    makes now (figures are not compared)."""
    import importlib.util
    import json

    if "k2" in script:
        shared_data("c2017k2-jwst-nirspec-ch4", "c2017k2_nirspec_g395m_beam0.75arcsec_3.25-3.33um.txt")
    spec = importlib.util.spec_from_file_location(f"docs_generator_{Path(script).stem}", REPO / script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "OUT", tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the scripts' own business; their outputs are compared
        module.main()
    import matplotlib.pyplot as plt

    plt.close("all")
    stale = []
    for committed in sorted((REPO / GENERATORS[script]).glob("*")):
        now = tmp_path / committed.name
        if committed.suffix in (".txt", ".csv") and now.read_text(encoding="utf-8") != committed.read_text(
                encoding="utf-8"):
            stale.append(committed.name)
        elif committed.suffix == ".json":
            stale += _same_json(json.loads(committed.read_text(encoding="utf-8")),
                                json.loads(now.read_text(encoding="utf-8")), committed.name)
    assert stale == []


def test_info_json_fields_are_documented(tmp_path, monkeypatch, capsys, shared_data):
    """Every key of ``comaspec info --json`` (a spectrum, a cube, a PSG retrieval) is described
    in cli_info.rst."""
    import json

    from comaspec import example_path

    documented = set(re.findall(r"``(\w+)``", (REPO / "docs" / "cli_info.rst").read_text(encoding="utf-8")))
    monkeypatch.chdir(tmp_path)
    _gas_cube(tmp_path / "gas_s3d.fits")
    psg = "c2017k2_nirspec_g395m_beam0.75arcsec_psg_retrieval_results.txt"
    _make_files(psg, tmp_path, shared_data)
    undocumented = set()
    for path in (str(example_path()), "gas_s3d.fits", psg):
        status, out, err = _run_cli(["info", "--json", path], capsys)
        assert status == 0, err
        info = json.loads(out)
        keys = set(info) | {k for row in info.get("psg_retrieval") or [] for k in row}
        undocumented |= {f"{Path(path).name}: {k}" for k in keys - documented}
    assert undocumented == set()


# --------------------------------------------------------------------------- allowed ranges

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
    form = _VALUE_FORMS.get((command, option), _VALUE_FORMS.get(option, "{}"))
    return [command, *_BASE_ARGS[command], f"{option}={form.format(value)}"]


def _parses(argv):
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
    action = next(a for a in _subparsers()[command]._actions if option in a.option_strings)
    if action.type is int or getattr(action.type, "__name__", "") == "int" or option in ("--bin", "--mc", "--seed"):
        checks = {int(low): low_included, int(high): True, int(low) - 1: False, int(high) + 1: False}
    return checks


def test_allowed_ranges_table_is_what_the_commands_check(capsys, tmp_path, monkeypatch):
    """Each row of the table of allowed ranges (cli.rst), for every subcommand the row names (or
    the first that has the option): its ends parse (an open end does not), and a value just
    beyond either end is refused with exit status 2 and one line naming the option."""
    monkeypatch.chdir(tmp_path)
    subparsers = _subparsers()
    rows = _range_rows()
    assert len(rows) >= 20
    wrong = []
    for options, commands, low, high, low_included in rows:
        for option in options:
            having = [c for c in ("ratio", "production", "map", "compare", "catalog")
                      if option in _options(subparsers[c])]
            for command in [c for c in commands if c in having] or having[:1]:
                for value, accepted in _range_checks(command, option, low, high, low_included).items():
                    argv = _option_argv(command, option, value)
                    if accepted and not _parses(argv):
                        wrong.append(f"{command} {option} {value}: refused")
                    elif not accepted:
                        status, _, err = _run_cli(argv, capsys)
                        if status != 2 or option.lstrip("-").split("-")[0] not in err:
                            wrong.append(f"{command} {option} {value}: status {status}, {err.strip()!r}")
    assert wrong == [], "\n".join(wrong)


def test_negative_offset_form_in_the_docs_works(capsys):
    """cli_production.rst: ``--offset=-0.5,0.2`` (the form the page gives) is accepted."""
    assert "``--offset=-0.5,0.2``" in (REPO / "docs" / "cli_production.rst").read_text(encoding="utf-8")
    status, out, err = _run_cli(["production", *_BASE_ARGS["production"], "--offset=-0.5,0.2"], capsys)
    assert status == 0, err
    assert out.startswith("Q(CO2) = ")
