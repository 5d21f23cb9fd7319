"""The ``voiceguide`` command's entry point: Ctrl-C is one line and exit 130 from here on.

This module is what the installed ``voiceguide`` script imports, and it is
imported for nothing else, so it installs the SIGINT and SIGTERM handlers as
it is imported, before the command line (click, and what each command
needs) is loaded. A signal during that loading, or during the command,
unwinds every ``finally`` (temporary files, child processes) and ends in one
``Error:`` line. What comes before this module (the interpreter's own
start-up and its ``site`` packages, a few hundredths of a second) is out of
any program's reach: a Ctrl-C there ends Python with no message.
"""

from __future__ import annotations

import signal
import sys

INTERRUPTED = "Error: interrupted; files already in place are untouched"
TERMINATED = "Error: stopped by SIGTERM; files already in place are untouched"


def _stop(signum: int, frame: object) -> None:
    """Ctrl-C or SIGTERM: unwind so every ``finally`` runs (temporary files, children).

    Further signals are ignored while the unwind runs, so a second Ctrl-C
    cannot cut the cleanup short and leave a ``.part`` file behind.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if signum == signal.SIGTERM:
        from .errors import Terminated

        raise Terminated()
    raise KeyboardInterrupt()


def install() -> None:
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)


install()


def main() -> None:
    try:
        install()  # inside the try: a signal from here on is one line
        from .cli.commands import cli

        cli(prog_name="voiceguide")
    except KeyboardInterrupt as exc:  # before the command line's own handling was in place
        terminated = type(exc).__name__ == "Terminated"
        print(TERMINATED if terminated else INTERRUPTED, file=sys.stderr)
        sys.exit(128 + (signal.SIGTERM if terminated else signal.SIGINT))
