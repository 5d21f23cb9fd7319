"""The ``voiceguide`` command's entry point: Ctrl-C is one line and exit 130 from here on.

This module is what the installed ``voiceguide`` script imports, and it is
imported for nothing else, so it installs the SIGINT and SIGTERM handlers as
it is imported, before the command line (click, and what each command
needs) is loaded. A signal during that loading, or during the command,
unwinds every ``finally`` (temporary files, child processes) and ends in one
``Error:`` line. What comes before this module (the interpreter's own
start-up and its ``site`` packages, a few hundredths of a second) is out of
any program's reach: a Ctrl-C there ends Python with no message.

Once the command is over (its work done or its error said), a signal can
no longer be raised into Python: the interpreter's shutdown (joining
threads, stopping workers) would print "Exception ignored" or die by the
signal. It is noted instead, and the process ends, after that shutdown,
with the signal's status and one line saying which files were replaced. A
signal after that, in the last moments of the interpreter's teardown, is
ignored: the process ends with the command's own status.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
from types import FrameType

from .signals import ignored

INTERRUPTED = "Error: interrupted; files already in place are untouched"
TERMINATED = "Error: stopped by SIGTERM; files already in place are untouched"


_started = False
_early: list[int] = []


def _stop(signum: int, frame: FrameType | None) -> None:
    """Ctrl-C or SIGTERM: unwind so every ``finally`` runs (temporary files, children).

    Further signals are ignored while the unwind runs, so a second Ctrl-C
    cannot cut the cleanup short and leave a ``.part`` file behind. One that
    lands in the script itself, after this module is loaded but before
    ``main`` runs, is kept for ``main`` to say.
    """
    if not _started and frame is not None and frame.f_globals.get("__name__") == "__main__":
        _early.append(signum)
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if signum == signal.SIGTERM:
        from .errors import Terminated

        raise Terminated()
    raise KeyboardInterrupt()


# Signals the process was started ignoring stay ignored (``signals``).
_IGNORED = ignored(signal.SIGINT, signal.SIGTERM)


def install() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        if signum not in _IGNORED:
            signal.signal(signum, _stop)


_late: list[int] = []


def _note(signum: int, frame: object) -> None:
    _late.append(signum)


def _done() -> None:
    """The command is over: a signal from now on is noted, not raised (none, if one already
    ended the command: its line is said)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) is _stop:
            signal.signal(signum, _note)


def _said(terminated: bool) -> str:
    """A signal's one line: the command line's, which names the files already replaced, once
    it is loaded (before that, nothing was written)."""
    group = sys.modules.get("voiceguide.cli.group")
    if group is None:
        return TERMINATED if terminated else INTERRUPTED
    return "Error: " + str(group.stopped(terminated))


def _exit_if_signalled() -> None:
    """Registered first, so run last at exit: a signal noted after the command ends it here.

    After it, signals are ignored: what is left is the interpreter's own
    teardown, which would put the default action back (death by the signal,
    no message) for a process whose work is all done.
    """
    if not _late:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if not _late:
            return
    terminated = _late[0] == signal.SIGTERM
    message = _said(terminated)
    import contextlib

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    with contextlib.suppress(OSError, ValueError):
        print(message, file=sys.stderr, flush=True)
    os._exit(128 + (signal.SIGTERM if terminated else signal.SIGINT))


install()
atexit.register(_exit_if_signalled)


def main() -> None:
    global _started
    _started = True
    try:
        try:
            install()  # inside the try: a signal from here on is one line
            if _early:
                _stop(_early[0], None)
            from .cli.commands import cli

            cli(prog_name="voiceguide")
        finally:
            _done()
    except KeyboardInterrupt as exc:  # outside the command line's own handling
        terminated = type(exc).__name__ == "Terminated"
        print(_said(terminated), file=sys.stderr)
        sys.exit(128 + (signal.SIGTERM if terminated else signal.SIGINT))
