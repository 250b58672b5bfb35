"""The code blocks of README.md and docs/*.rst, and what running them needs.

Used by tests/test_docs_examples.py (the examples run and print what the docs quote) and
tests/test_docs_cli.py (the command-line reference says what the parser does).

* `BLOCKS`: every code block (``.. code-block:: LANG``, a paragraph ending in ``::``, a
  Markdown fence), with the reason of a ``.. skip-doc-test: REASON`` comment just before it.
* `COMMANDS`, `SYNOPSES`: the ``comaspec SUBCOMMAND ...`` lines of the blocks (a line ending
  in ``\\`` continues; a synopsis is a command with ``[...]`` or ``|``); `TRANSCRIPTS`: the
  ``$ comaspec ...`` lines with the output quoted after them.
* `FILES`, `SHARED_FILES`: the files the examples name, made here (the bundled example, small
  synthetic cubes, ...) or linked from ``../shared/data``.
"""

from __future__ import annotations

import doctest
import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC_FILES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.rst"))]
SUBCOMMANDS = ("info", "production", "ratio", "map", "batch", "catalog", "compare")
SKIP_MARK = "skip-doc-test:"
#: A command line of a subcommand (optionally after a ``$`` prompt); not ``comaspec ratio:``.
COMMAND = re.compile(r"^(?:\$ )?comaspec (?:%s)(?=\s|$)" % "|".join(SUBCOMMANDS))
#: The page of the command-line reference that documents each subcommand's options.
CLI_PAGES = {"info": "cli_info.rst", "production": "cli_production.rst", "ratio": "cli_ratio.rst",
             "map": "cli_map.rst", "batch": "many_observations.rst", "catalog": "cli_catalog.rst",
             "compare": "cli_catalog.rst"}
#: Options of every subcommand, documented once in cli.rst ("Options every subcommand has").
COMMON_OPTIONS = {"-h", "--help", "-q", "--quiet", "-v", "--verbose"}


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
    """Leading spaces of a line."""
    return len(line) - len(line.lstrip())


def _skip_reason(lines, i):
    """The reason of a ``.. skip-doc-test:`` comment in the lines just before line ``i``."""
    j = i - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    if j >= 0 and SKIP_MARK in lines[j]:
        return lines[j].split(SKIP_MARK, 1)[1].strip(" ->")
    return None


def rst_blocks(path):
    """The code blocks of an rst page: ``.. code-block:: LANG`` (its options skipped) and the
    literal block after a paragraph ending in ``::`` (language ``literal``)."""
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


def md_blocks(path):
    """The fenced code blocks of a Markdown page."""
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
    return [b for path in DOC_FILES for b in (md_blocks(path) if path.suffix == ".md" else rst_blocks(path))]


BLOCKS = doc_blocks()


def command_lines(block):
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


def command_argv(command):
    """The arguments after ``comaspec`` of a concrete command line (comments dropped)."""
    return shlex.split(command, comments=True)[1:]


COMMANDS = [(b, c) for b in BLOCKS if not b.skip for c, synopsis in command_lines(b) if not synopsis]
SYNOPSES = [(b, c) for b in BLOCKS for c, synopsis in command_lines(b) if synopsis]


def inline_commands():
    """(page, text) of every inline literal ````comaspec SUBCOMMAND ...```` of the docs."""
    found = []
    for path in DOC_FILES:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"``(comaspec (?:%s)\b[^`]*)``|`(comaspec (?:%s)\b[^`]*)`"
                                 % ("|".join(SUBCOMMANDS), "|".join(SUBCOMMANDS)), text):
            found.append((path.name, match.group(1) or match.group(2)))
    return found


def block_transcripts(block):
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


TRANSCRIPTS = [(b, c, out) for b in BLOCKS if not b.skip for c, out in block_transcripts(b)]


def cli_subparsers():
    """Subcommand name -> its argparse parser, from the real ``comaspec`` parser."""
    from comaspec.cli import build_parser

    parser = build_parser()
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return action.choices


def options_of(subparser):
    """Every option string of a parser (``-o``, ``--output``, ...)."""
    return {s for a in subparser._actions for s in a.option_strings}


def option_names(text):
    """Options (``--name``, ``-x``) named in a command or synopsis, without ``=value``."""
    return {m.group(1) for m in re.finditer(r"(?<![\w-])(--?[A-Za-z][\w-]*)", text)}


def run_cli(argv, capsys):
    """Exit status, stdout and stderr of ``comaspec ARGV`` run in this process."""
    from comaspec.cli import main

    try:
        status = main(argv)
    except SystemExit as exc:  # argparse: --help, usage errors
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def same_output(expected, got):
    """Whether ``got`` is ``expected`` up to white space, with ``...`` standing for any text."""
    checker = doctest.OutputChecker()
    return checker.check_output(expected, got, doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)


def example_copy(path):
    """A copy of the bundled example (a user's x1d with the geometry in its header)."""
    from comaspec import example_path

    shutil.copyfile(example_path(), path)


def small_cube(path):
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
        example_copy(path.parent / f"{label}_prism_x1d.fits")
    path.write_text("label,files,rh,delta,aperture,species\n"
                    "visit01,visit01_prism_x1d.fits,3.32,2.61,0.5,CO2;H2O;CO\n"
                    "visit02,visit02_prism_x1d.fits,3.32,2.61,0.5,CO2;H2O;CO\n", encoding="utf-8")


def gas_cube(path):
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
    "gas_s3d.fits": gas_cube,
    "g395h_x1d.fits": _g395h_co2_co,
    "jw0xxxx_x1d.fits": example_copy,
    "jw01234-o001_t001_nirspec_prism-clear_x1d.fits": example_copy,
    "jw01234-o001_t001_nirspec_prism-clear_s3d.fits": small_cube,
    "coma_s3d.fits": small_cube,
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


def make_files(text, directory, shared_data):
    """Make (or link from ../shared/data) every file of `FILES`/`SHARED_FILES` named in ``text``."""
    for name, make in FILES.items():
        if name in text and not (directory / name).exists():
            make(directory / name)
    for name, folder in SHARED_FILES.items():
        if name in text and not (directory / name).exists():
            (directory / name).symlink_to(shared_data(folder, name))
