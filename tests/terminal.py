"""Run a command with stderr on a pseudo-terminal (to see progress bars), for the tests."""

import os
import pty
import subprocess


def run_on_terminal(argv, timeout=300):
    """Run ``argv`` with stdout piped and stderr on a fresh pseudo-terminal.

    Returns
    -------
    (subprocess.CompletedProcess, str)
        The process (``stdout`` as bytes) and everything written to the terminal.
    """
    master, slave = pty.openpty()
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=slave, timeout=timeout)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc, b"".join(chunks).decode(errors="replace")
