"""Run the ``comaspec`` command in this process, as the CLI tests do."""

from comaspec.cli import main


def run_cli(capsys, argv):
    """(exit status, stdout, stderr) of ``comaspec argv`` run in this process.

    argparse refuses some input itself (out-of-range values, unknown options) by raising
    SystemExit: its code is the status then, as the shell would see it.
    """
    try:
        status = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse refusals
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err
