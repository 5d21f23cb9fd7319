"""The command line: a thin skin of click over the library (commands, options, progress, views).

``main`` installs the Ctrl-C and SIGTERM handlers before anything else is
imported, so a signal during start-up gives the same one line and exit
status as one during a build; the commands module (and what each command
needs, when it runs) is imported after.
"""

from __future__ import annotations

import signal
import sys
from typing import Any

from ..errors import Terminated

__all__ = ["cli", "main"]

_INTERRUPTED = "Error: interrupted; files already in place are untouched"


def _stop(signum: int, frame: object) -> None:
    """Ctrl-C or SIGTERM: unwind so every ``finally`` runs (temporary files, children).

    Further signals are ignored while the unwind runs, so a second Ctrl-C
    cannot cut the cleanup short and leave a ``.part`` file behind.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def main() -> None:
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        from .commands import cli

        cli(prog_name="voiceguide")
    except KeyboardInterrupt as exc:  # before the group's own handling was in place
        terminated = isinstance(exc, Terminated)
        print(
            "Error: stopped by SIGTERM; files already in place are untouched"
            if terminated
            else _INTERRUPTED,
            file=sys.stderr,
        )
        sys.exit(128 + (signal.SIGTERM if terminated else signal.SIGINT))


def __getattr__(name: str) -> Any:
    if name == "cli":
        from .commands import cli

        return cli
    raise AttributeError(name)
