"""Every example in README.md and docs/*.rst runs and says what the code does.

* **Python**: every ``.. code-block:: python`` block runs, the blocks of one page in order in
  one namespace (a later block may use the names of an earlier one), in a temporary directory.
  Blocks written as ``>>>`` sessions (``.. code-block:: pycon``) are run by doctest, so the
  output they quote is checked. A file a snippet reads (``coma_s3d.fits``, ...) is made by
  `doc_blocks.FILES`; a name it takes from the user (``spectrum``, ``geometry``, ...) is given
  by `USER_NAMES`.
* **Commands**: every ``comaspec SUBCOMMAND ...`` line of a code block is parsed by the real
  argument parser (an unknown option or a value out of range exits 2); synopses and inline
  ````comaspec ...```` name only options that exist. Commands whose inputs are the example, a
  file of `doc_blocks.FILES` or a real file of ``../shared/data`` run (``comaspec.cli.main`` in
  this process, as the CLI tests do; ``comaspec ratio --example`` also as ``python -m
  comaspec``), exit 0 and write the files they name; those that cannot run here are listed in
  `NOT_RUN` with the reason.
* **Transcripts**: a block whose lines start with ``$ comaspec`` quotes the command's output
  (standard output; standard error for a quoted error or warning); the quoted text is
  compared with what the command prints now (``...`` stands for any text).
* **Generated outputs**: the text files the docs include from a script (the tutorial's
  summary and JSON, the maps summary, the K2 tables) are what the script makes now (slow).
* **Prose**: numbers the text quotes from a command (`PROSE_CLAIMS`) are what it prints (slow).
* The manifests shown are read without a refused row; the scripts named exist.

A block preceded by the rst comment ``.. skip-doc-test: REASON`` is not run; such skips are
listed in `SKIPPED`.
"""

import doctest
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from doc_blocks import (BLOCKS, COMMANDS, DOC_FILES, REPO, SYNOPSES, TRANSCRIPTS, block_transcripts,
                        cli_subparsers, command_argv, command_lines, example_copy, inline_commands, make_files,
                        option_names, options_of, rst_blocks, run_cli, same_output, small_cube)


PYTHON_BLOCKS = [b for b in BLOCKS if b.language in ("python", "pycon")]
PYTHON_PAGES = sorted({b.path.name for b in PYTHON_BLOCKS})


#: Names a snippet takes from the user's session, made here (see `_user_names`).
USER_NAMES = ("spectrum", "geometry", "aperture", "flux", "error", "cube")


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
        small_cube(directory / "user_s3d.fits")
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


#: Warnings a page's snippets emit on purpose (the example's CO2 pumping lines are not
#: optically thin: `fit_coma` warns, as ``comaspec ratio`` prints a note).
EXPECTED_WARNINGS = {
    "tutorial.rst": "pumping lines are not optically thin",
    "haser.rst": "pumping lines are not optically thin",
    "model.rst": "pumping lines are not optically thin",
    "many_observations.rst": "pumping lines are not optically thin",
}


def _run_python(block, namespace):
    """Run one block in ``namespace``: a ``>>>`` session by doctest (its quoted output checked),
    other code as a script."""
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
    """The Python blocks of a page run in order without error, and emit no comaspec warning
    the page's `EXPECTED_WARNINGS` does not name."""
    blocks = [b for b in PYTHON_BLOCKS if b.path.name == page and not b.skip]
    code = "\n".join(b.text for b in blocks)
    monkeypatch.chdir(tmp_path)
    make_files(code, tmp_path, shared_data)
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


#: Commands of the docs that do not run here, with the reason.
NOT_RUN = {
    "comaspec batch campaign.ecsv --output-dir /shared/results --scheduler tcp://head-node:8786":
        "needs a running Dask scheduler on a cluster",
}


def test_every_command_option_exists():
    """Every option a command, a synopsis or an inline ````comaspec ...```` names is an option of
    its subcommand (``--help`` would list it; argparse exits 2 on the others)."""
    subparsers = cli_subparsers()
    named = [(b.id, c) for b, c in COMMANDS + SYNOPSES] + inline_commands()
    unknown = []
    for where, command in named:
        name = command.removeprefix("$ ").split()[1]
        words = re.sub(r"\s#.*", "", command.split("comaspec", 1)[1])
        for option in option_names(words) - options_of(subparsers[name]):
            unknown.append(f"{where}: comaspec {name} {option}")
    assert unknown == []


#: Commands the docs show failing (their quoted error is checked in `test_transcript_output`).
FAILING = {c for _, c, out in TRANSCRIPTS if re.match(r"comaspec \w+: error:", out)}


@pytest.mark.parametrize("command", sorted({c for _, c in COMMANDS} - FAILING))
def test_command_parses(command):
    """The real parser accepts every command of the docs: known options, values in range."""
    from comaspec.cli import build_parser

    try:
        build_parser().parse_args(command_argv(command))
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
    make_files(command, tmp_path, shared_data)
    argv = command_argv(command)
    status, out, err = run_cli(argv, capsys)
    assert status == 0, err
    assert out or any(a.startswith("-o") or a.startswith("--o") or a == "--plot" for a in argv)
    _assert_outputs_written(argv, tmp_path)


def _assert_outputs_written(argv, directory):
    """Every file an output option of ``argv`` names was written and is not empty."""
    for flag, path in zip(argv, argv[1:]):
        if flag in ("-o", "--output", "--plot", "--compare", "--profiles", "--qcurve", "--psg-config"):
            assert (directory / path).stat().st_size > 0, f"{flag} {path}"


#: The sessions run in this process (``comaspec ratio --example`` runs as ``python -m comaspec``
#: in `test_example_command_as_installed`).
IN_PROCESS = [t for t in TRANSCRIPTS if t[1] != "comaspec ratio --example"]


@pytest.mark.parametrize(("block", "command", "expected"), IN_PROCESS,
                         ids=[f"{b.id}:{c[9:40]}" for b, c, _ in IN_PROCESS])
def test_transcript_output(block, command, expected, tmp_path, monkeypatch, capsys, shared_data):
    """A quoted ``$ comaspec ...`` session prints what the docs show: its standard output, or
    standard error when the quote is an error or a warning (an error exits 2)."""
    monkeypatch.chdir(tmp_path)
    make_files(command, tmp_path, shared_data)
    status, out, err = run_cli(command_argv(command), capsys)
    on_stderr = re.match(r"comaspec \w+: (error|warning):", expected)
    assert status == (2 if on_stderr and ": error:" in expected.split("\n")[0] else 0), err
    got = err if on_stderr else out
    if status == 0:
        _assert_outputs_written(command_argv(command), tmp_path)
    assert same_output(expected, got), f"{block.id}: {command}\n--- docs\n{expected}--- now\n{got}"


def test_example_command_as_installed(tmp_path):
    """``comaspec ratio --example`` (README, tutorial) run as ``python -m comaspec``."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "comaspec", "ratio", "--example"], cwd=tmp_path,
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    quoted = [out for _, c, out in TRANSCRIPTS if c == "comaspec ratio --example"]
    assert quoted and same_output(quoted[0], done.stdout)


MANIFESTS = [b for b in BLOCKS if b.path.name == "many_observations.rst" and b.language == "text"
             and re.match(r"(label,|# %ECSV)", b.text)]


@pytest.mark.parametrize("block", MANIFESTS, ids=[b.id for b in MANIFESTS])
def test_manifest_examples_are_accepted(block, tmp_path):
    """The manifests the docs show are read without a refused row, one job per row."""
    from comaspec.batch import read_jobs

    path = tmp_path / ("campaign.ecsv" if block.text.startswith("#") else "campaign.csv")
    path.write_text(block.text + "\n", encoding="utf-8")
    for name in set(re.findall(r"[\w.-]+\.fits", block.text)):
        example_copy(tmp_path / name)
    jobs, invalid = read_jobs(path)
    rows = [line for line in block.text.splitlines() if line.startswith("visit")]
    assert invalid == []
    assert [job.label for job in jobs] == [row.split(",")[0].split()[0] for row in rows]


def test_manifests_are_found():
    assert len(MANIFESTS) == 2


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
    python, literal = rst_blocks(page)
    assert (python.language, python.text, python.skip) == ("python", "a = 1\n\n  b = 2", "needs a user's cube")
    assert (literal.language, literal.skip, literal.line) == ("literal", None, 13)
    assert command_lines(literal) == [("comaspec ratio --example --rh 3", False),
                                       ("comaspec map CUBE [--bin N] [--quiet]", True)]
    assert block_transcripts(literal)[0] == ("comaspec ratio --example --rh 3", "out\n\ncomaspec map CUBE [--bin N]\n"
                                        "             [--quiet]\n")


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


#: Numbers the prose quotes from a command: (page, text of the page, command, text or texts
#: of its standard output).
_K2 = ("comaspec ratio c2017k2_nirspec_g395m_beam0.75arcsec_3.25-3.33um.txt --rh 2.34 --delta 2.04 "
       "--aperture-radius 0.75")
PROSE_CLAIMS = [
    ("README.md", "T_rot 45.3 ± 1.4 vs 43.5 ± 0.95 K", f"{_K2} --velocity 0.31 --lifetime CH4=53810",
     "T_rot = 45.3 ± 1.4 K"),
    ("docs/k2_validation.rst", "(``--window 3.15-3.55:3``) it is 43.6 K and\n6.51e26 s⁻¹",
     f"{_K2} --velocity 0.31 --lifetime CH4=53810 --window 3.15-3.55:3", ("T_rot = 43.6 ", "6.514e+26")),
    ("docs/k2_validation.rst", "**The defaults** give the same T_rot and a Q 1.78 times larger (1.19e27 s⁻¹)",
     _K2, ("T_rot = 45.3 ", "1.188e+27")),
    ("docs/emission.rst", "On the bundled example CO2/H2O goes from 7.81 (published) to 9.22",
     "comaspec ratio --example --g-source computed", "CO2/H2O = 9.22 "),
    ("docs/emission.rst", "(8.85–9.07 against 9.22)",
     "comaspec ratio --example --g-source computed --solar meftah2023 --rdot -60", "CO2/H2O = 9.07 "),
    ("docs/emission.rst", "(8.85–9.07 against 9.22)",
     "comaspec ratio --example --g-source computed --solar meftah2023 --rdot 60", "CO2/H2O = 8.85 "),
    ("docs/cli_ratio.rst", "``CO/H2O < 5.76 % (3σ upper\n  limit: CO not detected; its 3σ upper limit over Q(H2O))``",
     "comaspec ratio g395h_x1d.fits --rh 3.32 --delta 2.61 --aperture-radius 0.5 --species CO2,CO "
     "--q-h2o 7.6e27:0.6e27 --detect-sigma 100",
     "CO/H2O < 5.76 % (3σ upper limit: CO not detected; its 3σ upper limit over Q(H2O))"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("page", "quoted", "command", "printed"), PROSE_CLAIMS,
                         ids=[f"{p}:{c[9:60]}" for p, _, c, _ in PROSE_CLAIMS])
def test_prose_numbers_are_what_the_command_prints(page, quoted, command, printed, tmp_path, monkeypatch, capsys,
                                                    shared_data):
    """A number the prose quotes from a command is what the command prints now."""
    assert quoted in (REPO / page).read_text(encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    make_files(command, tmp_path, shared_data)
    status, out, err = run_cli(command_argv(command), capsys)
    assert status == 0, err
    assert all(text in out for text in ((printed,) if isinstance(printed, str) else printed)), out


def test_public_names_are_documented():
    """Every name ``comaspec`` exports is named somewhere in the docs."""
    import comaspec

    text = "\n".join(path.read_text(encoding="utf-8") for path in DOC_FILES)
    missing = [name for name in comaspec.__all__ if name != "__version__" and not re.search(rf"\b{name}\b", text)]
    assert missing == []
