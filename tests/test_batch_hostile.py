"""``comaspec batch`` against hostile input, and what it leaves behind (issue #20, #22 item 6).

Bad input: exit 2 (or the one row refused), one line on stderr naming the file or argument,
no traceback, nothing half-written. Each test covers a class of problem with several cases.
The spectra are those of tests/test_batch.py (written by tests/independent_coma.py).
"""

# ruff: noqa: F811  - the spectra fixture of test_batch is imported, and used as an argument

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from comaspec.batch import InvalidRow, read_jobs, run_batch
from comaspec.cli import main
from comaspec.errors import InputError, UsageError
from test_batch import HEADER, N_GOOD, REPO, _cli, _good_row, _manifest, _rh, _single_run, spectra  # noqa: F401

pytest.importorskip("distributed")


def _one_line_error(err, *needles):
    """stderr is one ``comaspec batch: error:`` line holding every needle, and no traceback."""
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("comaspec batch: error: "), err
    for needle in needles:
        assert needle in err, (needle, err)


def _session_processes(sid):
    """Processes (other than zombies) still in the session ``sid``."""
    import psutil

    alive = []
    for process in psutil.process_iter(["status"]):
        try:
            if os.getsid(process.pid) == sid and process.info["status"] != psutil.STATUS_ZOMBIE:
                alive.append(process.pid)
        except (ProcessLookupError, PermissionError):
            continue
    return alive


def _cli_env(**extra):
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
                MPLBACKEND="Agg", **extra)


# ---------------------------------------------------------------------------- no CO2/H2O pair


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental here: a misfit or pump-opacity note
@pytest.mark.parametrize("case", ["species CO2", "species H2O,CO", "all rows refused", "no jobs"])
def test_batches_without_a_co2_h2o_pair_end_with_a_summary(spectra, tmp_path, case):
    """The summary (table and figure) is written when no job fits both CO2 and H2O."""
    rows = [_good_row(0, species=""), _good_row(1, species="")]
    species = None
    if case.startswith("species"):
        species = case.split()[1].split(",")
    elif case == "all rows refused":
        rows = ["nogeo,epoch0_x1d.fits,,1.2,20,0.5,,,", "gone,missing_x1d.fits,2,1,20,0.5,,,"]
    source = [] if case == "no jobs" else _manifest(spectra, f"pair_{case.replace(' ', '_')}.csv", rows)
    result = run_batch(source, tmp_path / "out", species=species, workers=1, figure=True)
    assert (tmp_path / "out" / "summary.pdf").read_bytes()[:5] == b"%PDF-"
    table = result.summary
    assert "CO2_H2O" not in table.colnames
    if case == "species CO2":
        assert list(table["status"]) == ["ok", "ok"] and np.all(table["Q_CO2"].value > 0)
    if case == "all rows refused":
        assert list(table["status"]) == ["invalid", "invalid"] and result.n_failed == 2
    if case == "no jobs":
        assert len(table) == 0


def test_the_command_with_one_species(spectra, tmp_path, capsys):
    manifest = _manifest(spectra, "co2only.csv", [_good_row(0, species=""), _good_row(2, species="")])
    assert main(["batch", str(manifest), "--output-dir", str(tmp_path / "out"), "--species", "CO2",
                 "--workers", "1", "--quiet"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental here: a misfit or pump-opacity note
def test_the_figure_is_drawn_when_asked_for(spectra, tmp_path, capsys):
    """summary.pdf costs as much as several jobs: drawn with --figure only; a stale one is removed."""
    manifest = _manifest(spectra, "figure.csv", [_good_row(0)])
    out = tmp_path / "out"
    args = ["batch", str(manifest), "--output-dir", str(out), "--workers", "1", "--quiet"]
    assert main([*args, "--figure"]) == 0
    assert (out / "summary.pdf").read_bytes()[:5] == b"%PDF-"
    assert main([*args, "--force"]) == 0
    assert not (out / "summary.pdf").exists() and (out / "summary.ecsv").is_file()
    assert capsys.readouterr().err == ""
    # the figure of a finished batch: the same command again with --figure, the job skipped
    result = (out / "e0" / "result.json").stat().st_mtime_ns
    assert main([*args[:-1], "--figure"]) == 0
    assert (out / "summary.pdf").read_bytes()[:5] == b"%PDF-"
    assert (out / "e0" / "result.json").stat().st_mtime_ns == result
    assert "1 job finished earlier: skipped" in capsys.readouterr().err


# ---------------------------------------------------------------------------- header cards


@pytest.mark.parametrize("card, value", [
    ("HIERARCH COMASPEC RH_AU", "far"),
    ("HIERARCH COMASPEC DELTA_AU", True),
    ("HIERARCH COMASPEC PHASE_DEG", "twenty"),
    ("HIERARCH COMASPEC AP_RADIUS_ARCSEC", "wide"),
    ("MJD-AVG", "yesterday"),
])
def test_a_bad_header_card_refuses_that_file_only(spectra, tmp_path, capsys, card, value):
    """One unusable card: that file is refused with one line naming the card (not its value)."""
    for i in (0, 1):
        (tmp_path / f"epoch{i}_x1d.fits").write_bytes((spectra / f"epoch{i}_x1d.fits").read_bytes())
    fits.setval(tmp_path / "epoch1_x1d.fits", card.replace("HIERARCH ", ""), value=value)
    assert main(["batch", str(tmp_path), "--output-dir", str(tmp_path / "out"), "--check"]) == 1
    lines = capsys.readouterr().err.splitlines()
    name = card.replace("HIERARCH ", "")
    assert lines[0].startswith(f"comaspec batch: epoch1_x1d.fits: header card {name} is not a finite number"), lines
    assert str(value) not in lines[0] and lines[1:] == ["comaspec batch: 1 job ready, 1 refused"]
    assert main(["batch", str(tmp_path), "--output-dir", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1
    assert (tmp_path / "out" / "epoch0_x1d" / "result.json").is_file()


def test_header_aperture_without_its_height_is_refused(spectra, tmp_path):
    (tmp_path / "box_x1d.fits").write_bytes((spectra / "epoch0_x1d.fits").read_bytes())
    with fits.open(tmp_path / "box_x1d.fits", mode="update") as hdul:
        hdul[0].header["COMASPEC APERTURE"] = "rectangle"
        hdul[0].header["COMASPEC AP_WIDTH_ARCSEC"] = 1.0
    jobs, invalid = read_jobs(tmp_path)
    assert not jobs and "header card COMASPEC AP_HEIGHT_ARCSEC is not a finite number" in invalid[0].reason


# ---------------------------------------------------------------------------- long names


def test_long_labels_cells_and_folder_names(spectra, tmp_path, capsys):
    long = "x" * 300
    rows = [_good_row(0), f"{long},epoch1_x1d.fits,2,1,20,0.5,,,", f"l3,{long}.fits,2,1,20,0.5,,,",
            f"l4,epoch1_x1d.fits,2,1,20,0.5,{'CO2;' + 'Q' * 300},,", f"l5,epoch1_x1d.fits,2,1,20,{long},,,"]
    jobs, invalid = read_jobs(_manifest(spectra, "long.csv", rows))
    assert [j.label for j in jobs] == ["e0"]
    reasons = [b.reason for b in invalid]
    assert "300 characters, at most 200" in reasons[0]
    assert "File name too long" in reasons[1] and "does not exist" not in reasons[1]
    assert "unknown species" in reasons[2] and "aperture" in reasons[3]
    assert all(len(str(b)) < 300 for b in invalid), [len(str(b)) for b in invalid]
    # a long name as the output directory, the manifest or the source directory: exit 2, one line
    manifest = _manifest(spectra, "short.csv", [_good_row(0)])
    cases = [[str(manifest), "--output-dir", str(tmp_path / long)],
             [str(tmp_path / (long + ".csv")), "--output-dir", str(tmp_path / "out")],
             [str(tmp_path / long / "m.csv"), "--output-dir", str(tmp_path / "out")]]
    for args in cases:
        assert main(["batch", *args, "--workers", "1"]) == 2, args
        _one_line_error(capsys.readouterr().err, "File name too long")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_long_file_name_in_a_directory_is_refused(spectra, tmp_path):
    name = "y" * 240 + "_x1d.fits"  # fits in a file name; its job's temporary name would not
    (tmp_path / name).write_bytes((spectra / "epoch0_x1d.fits").read_bytes())
    (tmp_path / "epoch1_x1d.fits").write_bytes((spectra / "epoch1_x1d.fits").read_bytes())
    jobs, invalid = read_jobs(tmp_path)
    assert [j.label for j in jobs] == ["epoch1_x1d"] and "at most 200" in invalid[0].reason


# ---------------------------------------------------------------------------- options and API


@pytest.mark.parametrize("args, needles", [
    (["--workers", "10000"], ["--workers 10000: this machine gives comaspec", "at most"]),
    (["--workers", "-3"], ["--workers -3: must be at least 1"]),
    (["--scheduler", "tls://127.0.0.1:1"], ["--scheduler tls://127.0.0.1:1: TLS needs the client's certificate"]),
    (["--scheduler", "tcp://127.0.0.1:1"], ["--scheduler tcp://127.0.0.1:1: cannot connect"]),
    (["--scheduler", "nonsense://x"], ["--scheduler nonsense://x: cannot connect"]),
])
def test_bad_places_to_run(spectra, tmp_path, capsys, args, needles):
    manifest = _manifest(spectra, "where.csv", [_good_row(0)])
    assert main(["batch", str(manifest), "--output-dir", str(tmp_path / "out"), *args]) == 2
    _one_line_error(capsys.readouterr().err, *needles)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kwargs, name", [
    ({"source": 42}, "source"),
    ({"source": [1, 2]}, "source"),
    ({"source": {"files": "a"}}, "source"),
    ({"output_dir": 3.5}, "output_dir"),
    ({"invalid": ["row 3"]}, "invalid"),
    ({"species": "CO2"}, "species"),
    ({"species": [1]}, "species"),
    ({"workers": 1.5}, "--workers"),
    ({"workers": True}, "--workers"),
    ({"scheduler": 8786}, "scheduler"),
    ({"client": "tcp://x:1"}, "client"),
    ({"force": "yes"}, "force"),
    ({"figure": 1}, "figure"),
    ({"progress": None}, "progress"),
    ({"log": "stderr"}, "log"),
])
def test_run_batch_refuses_wrong_types_in_one_line(spectra, tmp_path, kwargs, name):
    args = {"source": _manifest(spectra, "types.csv", [_good_row(0)]), "output_dir": tmp_path / "out"}
    args.update(kwargs)
    with pytest.raises((InputError, UsageError)) as info:
        run_batch(args.pop("source"), args.pop("output_dir"), **args)
    assert str(info.value).startswith(name) and "\n" not in str(info.value)
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------- the output folder


def test_a_batch_that_loses_the_race_for_a_new_folder_leaves_it_alone(spectra, tmp_path, monkeypatch):
    """Two batches start at once on a folder that does not exist: the other one makes and locks
    it just before this one's mkdir; this one stops, and the folder is the other batch's."""
    out = tmp_path / "new"
    holder = []
    real_mkdir = Path.mkdir

    def other_batch_first(self, *args, **kwargs):
        if self == out and not holder:
            real_mkdir(out)
            fd = os.open(out, os.O_RDONLY)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            holder.append(fd)
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", other_batch_first)
    try:
        with pytest.raises(UsageError, match="another comaspec batch is writing there"):
            run_batch(_manifest(spectra, "race.csv", [_good_row(0)]), out, workers=1)
        assert out.is_dir()
    finally:
        os.close(holder[0])


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental here: a misfit or pump-opacity note
def test_clean_up_removes_only_comaspecs_own_temporaries(spectra, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    users = [".summary.ecsv.bak", ".summary.pdf.old", ".notes.tmp-1234", ".e0.tmp-ABCDEFGH", ".cache"]
    for name in users[:-1]:
        (out / name).write_text("mine")
    (out / ".cache").mkdir()
    (out / ".e0.tmp-ab12cd34").mkdir()  # a job cut short (tempfile.mkdtemp's name)
    (out / ".e0.tmp-ab12cd34" / "result.json").write_text("{")
    (out / ".summary.ecsv.k2j4h_x9.ecsv").write_text("half")  # a summary cut short (atomic_path)
    (out / ".e1.old-0123abcd").mkdir()  # an old result being replaced
    run_batch(_manifest(spectra, "clean.csv", [_good_row(0)]), out, workers=1, figure=False)
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == sorted(users)
    assert all((out / name).read_text() == "mine" for name in users[:-1])


# ---------------------------------------------------------------------------- file content


def _secret_files(directory):
    """Files a manifest may name that hold a 'secret' token where a reader could quote it."""
    token = "s3cr3tT0ken"
    files = {
        "passwd.txt": f"root:x:0:0:{token}:/root:/bin/bash\nuser:x:1000:1000::/home/user:/bin/sh\n",
        "colon.csv": f"{token}\n1\n",
        "header.csv": f"wave (um),{token} (Jy)\n3.0,1\n3.1,2\n",
        "token.csv": f"wave (um),flux (Jy)\n3.0,{token}\n3.1,2\n",
        "unit.csv": f"wave (um),flux ({token}/x)\n3.0,1\n3.1,2\n",
        "count.txt": f"# wave flux err {token}\n3.0 1 0.1\n3.1 2 0.1\n",
        "repeat.csv": f"wave (um),flux (Jy),flux (Jy),{token}\n3.0,1,1,1\n",
        "bad.ecsv": f"# %ECSV 1.0\n# ---\n# datatype: [{token}\nx\n",
        "psg_value.txt": f"<OBJECT>Comet\n<OBJECT-STAR-DISTANCE>{token}\n<GENERATOR-RANGEUNIT>{token}\n",
        "psg_line.txt": f"<OBJECT>Comet\n<OBJECT-STAR-DISTANCE>1.5\n{token}: a line that is no key\n",
        "garbage.fits": "SIMPLE  =                    T" + " " * 50 + f"BITPIX  = '{token}'" + " " * 60 + "END",
    }
    for name, text in files.items():
        (directory / name).write_text(text)
    return token, list(files)


def test_errors_name_the_file_never_its_content(tmp_path, capsys):
    token, names = _secret_files(tmp_path)
    rows = [f"j{i},{name},2,1,20,0.5,,," for i, name in enumerate(names)]
    manifest = tmp_path / "m.csv"
    manifest.write_text("\n".join([HEADER, *rows]) + "\n")
    assert main(["batch", str(manifest), "--output-dir", str(tmp_path / "out"), "--workers", "1"]) == 1
    err = capsys.readouterr().err
    errors = {p.parent.name: p.read_text() for p in (tmp_path / "out").glob("*/error.txt")}
    assert len(errors) == len(names)
    for label, text in errors.items():
        assert token not in text and "root:x" not in text, (label, text)
        assert names[int(label[1:])] in text  # the file is named
    assert token not in err and token not in (tmp_path / "out" / "summary.ecsv").read_text()


# ---------------------------------------------------------------------------- security


def test_the_local_cluster_talks_tls_only(tmp_path):
    pytest.importorskip("cryptography")
    from distributed import Client

    from comaspec.batch.cluster import close, connect

    client, where = connect(workers=min(2, os.cpu_count() or 1))
    try:
        address = client.scheduler.address
        assert address.startswith("tls://127.0.0.1:"), address
        with pytest.raises(TypeError, match="TLS expects a `ssl_context`"):  # no certificate: refused
            Client(address, timeout="5s")
        # plain TCP to the same port: refused. Probed with a socket, not a second Client: a
        # Client to a TLS port hung once in a full run (its own timeout did not fire)
        host, port = address.removeprefix("tls://").rsplit(":", 1)
        assert _plain_tcp_reply(host, int(port)) in ("reset", "alert")
    finally:
        close(client)


def _plain_tcp_reply(host, port):
    """What a server answers to plain text: a TLS server resets the connection ("reset") or
    sends a TLS alert record (content type 21: "alert"); anything else (a plain Dask server
    closes, b"", or waits for the rest of the frame it read a length from: socket.timeout
    after 5 s) is returned or raised as it came, and fails the test instead of hanging it."""
    import socket

    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.0\r\n\r\n" * 4)
        try:
            reply = sock.recv(64)
        except ConnectionResetError:
            return "reset"
    return "alert" if reply[:1] == b"\x15" else reply


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental here: a misfit or pump-opacity note
def test_without_cryptography_no_cluster_starts(spectra, tmp_path, capsys, monkeypatch):
    """No TLS, no local cluster: --workers 2 is refused in one line before any work; by default
    every job runs in this process, and a status line says so."""
    from comaspec.batch import cluster

    monkeypatch.setattr(cluster, "tls_available", lambda: False)
    manifest = _manifest(spectra, "nocrypto.csv", [_good_row(0), _good_row(1)])
    assert main(["batch", str(manifest), "--output-dir", str(tmp_path / "out"), "--workers", "2"]) == 2
    _one_line_error(capsys.readouterr().err, "--workers 2: ", "needs the 'cryptography' package", "--workers 1")
    assert not (tmp_path / "out").exists()
    said = []
    result = run_batch(manifest, tmp_path / "out", log=said.append, figure=False)
    assert result.n_failed == 0 and said[0].endswith("needs the 'cryptography' package: pip install cryptography; "
                                                     "every job runs in this process")


# ---------------------------------------------------------------------------- small batches, leftovers


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental here: a misfit or pump-opacity note
def test_small_batch_runs_here_with_results_of_comaspec_ratio(spectra, tmp_path, capsys):
    """--workers 1 and a small batch start no process at all; the results are `comaspec ratio`'s."""
    import psutil

    manifest = _manifest(spectra, "small.csv", [_good_row(0), _good_row(7)])
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    said = []
    for workers, out in ((1, tmp_path / "one"), (None, tmp_path / "default")):
        result = run_batch(manifest, out, workers=workers, log=said.append)
        assert result.n_failed == 0
    assert {p.pid for p in psutil.Process().children(recursive=True)} == before
    assert [line for line in said if line.startswith("running")] == ["running 2 jobs in this process"] * 2
    for i in (0, 7):
        single = _single_run(spectra / f"epoch{i}_x1d.fits", i, tmp_path / f"single{i}.json", capsys)
        for out in ("one", "default"):
            assert json.loads((tmp_path / out / f"e{i}" / "result.json").read_text()) == single


def test_jobs_draw_no_progress_bar_of_their_own(spectra, tmp_path, monkeypatch):
    """A job's own bars (e.g. a map's) would freeze under the batch's bar: run_job turns them off."""
    from comaspec import _progress
    from comaspec.batch import jobs as jobs_module

    seen = []

    def product(job, loaded, directory):
        seen.append(_progress._ENABLED)
        import warnings

        from comaspec.errors import ComaspecWarning

        warnings.warn("first", ComaspecWarning, stacklevel=1)
        warnings.warn("first", ComaspecWarning, stacklevel=1)
        warnings.warn("from a library", DeprecationWarning, stacklevel=1)

    monkeypatch.setitem(jobs_module.PRODUCTS, "ratio", product)
    (job,), _ = read_jobs(_manifest(spectra, "bars.csv", [_good_row(0)]))
    out = tmp_path / "out"
    out.mkdir()
    outcome = jobs_module.run_job(job, out)
    assert seen == [False] and _progress._ENABLED is None
    assert outcome["warnings"] == [("ComaspecWarning", "first"), ("DeprecationWarning", "from a library")]


def _wait_for_results(out, n, proc):
    deadline = time.monotonic() + 300
    while len(list(out.glob("[!.]*/result.json"))) < n and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)


@pytest.mark.parametrize("workers, interrupt", [("2", False), ("2", True), ("1", True)])
def test_nothing_outlives_the_command(spectra, tmp_path, workers, interrupt):
    """After the command (finished or Ctrl-C), no process of its session is left; Ctrl-C prints
    one line and exits 130, and the finished jobs are kept whole."""
    if workers == "2":
        pytest.importorskip("cryptography")
    manifest = _manifest(spectra, f"left_{workers}_{interrupt}.csv", [_good_row(i) for i in range(N_GOOD)])
    out = tmp_path / "out"
    env = _cli_env(DASK_COMASPEC__BATCH__CLUSTER_AFTER="0")  # the cluster even for a few jobs
    proc = subprocess.Popen([sys.executable, "-m", "comaspec", "batch", str(manifest), "--output-dir", str(out),
                             "--workers", workers], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    if interrupt:
        _wait_for_results(out, 1, proc)
        os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=300)
    time.sleep(0.5)
    assert _session_processes(proc.pid) == []
    assert "Traceback" not in stderr and all(line.startswith("comaspec batch: ") for line in stderr.splitlines()), \
        stderr
    if interrupt and proc.returncode != 0:
        assert proc.returncode == 130 and stderr.splitlines()[-1] == "comaspec batch: interrupted"
        said = [line for line in stderr.splitlines() if not line.startswith("comaspec batch: warning: ")]
        assert len(said) == 2, stderr  # where the jobs run, and the interruption
    else:
        assert proc.returncode == 0, stderr
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    for job_dir in (p for p in out.iterdir() if p.is_dir()):
        assert sorted(p.name for p in job_dir.iterdir()) == ["job.json", "ratios.json", "result.ecsv", "result.json"]


# ---------------------------------------------------------------------------- summary figure


@pytest.mark.filterwarnings("ignore::comaspec.errors.ComaspecWarning")  # incidental here: a misfit or pump-opacity note
def test_a_job_without_a_coma_does_not_stretch_the_figure(spectra, tmp_path):
    """Upper limits far above the measurements (a spectrum without a coma) are counted, not drawn."""
    from comaspec.plotting.batch import batch_summary_figure

    result = run_batch(_manifest(spectra, "stretch.csv", [_good_row(0), _good_row(3)]), tmp_path / "out",
                       workers=1, figure=False)
    table = result.summary.copy()
    table.add_row(table[0])
    last = len(table) - 1
    for name in ("CO2", "H2O", "CO"):
        table[f"Q_{name}"][last] = np.nan * table[f"Q_{name}"].unit
        table[f"Q_{name}_upper_limit"][last] = 1e35 * table[f"Q_{name}"].unit
    table["CO2_H2O"][last] = 1e4
    table["CO2_H2O_limit"] = [str(k) for k in table["CO2_H2O_limit"][:last]] + ["upper"]
    fig = batch_summary_figure(table)
    a, b, c, d = fig.axes
    measured = np.nanmax(table["Q_H2O"].value)
    assert c.get_ylim()[1] < 1e3 * measured and d.get_ylim()[1] < 1e3 * measured
    assert any("off scale" in t.get_text() for t in c.texts)
    assert a.get_ylim()[1] < 1e3


def test_invalid_rows_given_with_jobs_are_summarised(spectra, tmp_path):
    bad = InvalidRow("x.csv row 2", "b", ("b.fits",), "geometry missing", 2)
    result = run_batch([], tmp_path / "out", invalid=[bad], workers=1, figure=False)
    assert list(result.summary["status"]) == ["invalid"]


def test_a_ctrl_c_that_python_swallows_in_a_finaliser_still_stops_the_jobs(monkeypatch, tmp_path):
    """A Ctrl-C that lands in a ``__del__`` (Python prints "Exception ignored" and goes on)
    stops `run_here` after the job it hit, and is not printed."""
    import types

    from comaspec.batch import execute, jobs as jobs_module

    class FreedDuringTheJob:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.2)  # the handler runs here, inside the finaliser

    ran, printed = [], []

    def run_job(job, output_dir):
        ran.append(job.label)
        FreedDuringTheJob()  # freed at once
        return {"label": job.label, "status": "ok", "reason": None}

    monkeypatch.setattr(jobs_module, "run_job", run_job)
    monkeypatch.setattr(sys, "unraisablehook", lambda info: printed.append(info))
    jobs = [types.SimpleNamespace(label=f"j{i}") for i in range(4)]
    with pytest.raises(KeyboardInterrupt):
        execute.run_here(jobs, tmp_path, execute.progress_bar(len(jobs), False))
    assert ran == ["j0"] and printed == []
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back
