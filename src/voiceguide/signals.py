"""The signals that stop a command, and holding them for a moment.

Ctrl-C and SIGTERM stop any command; ``build --jobs`` asks its workers to
stop with ``STOP_REQUEST``, which no one else sends (``runner``). A signal
the process was started ignoring stays ignored, as POSIX asks of every
program: a shell without job control starts its background jobs so, for
Ctrl-C to spare them.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

STOP_REQUEST = signal.SIGUSR1
STOPPING = (signal.SIGINT, signal.SIGTERM, STOP_REQUEST)


def ignored(*signums: int) -> set[int]:
    """Those of ``signums`` this process ignores now."""
    return {s for s in signums if signal.getsignal(s) is signal.SIG_IGN}


@contextlib.contextmanager
def blocked(*signums: int) -> Iterator[None]:
    """``signums`` blocked in this thread for the block, then delivered: a child started
    inside is born with them blocked (the mask survives a spawn) and unblocks them once it
    has set its own handling."""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, set(signums))
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


@contextlib.contextmanager
def held() -> Iterator[None]:
    """The signals that stop a command wait for the block to end: a group of renames is never
    cut in two (``output.files``), nor the removal of a build's temporary files
    (``output.files``, ``mp3.pieces``), nor a wait on another thread's locks (``runner``).

    Only the main thread sets signal handlers (and Python runs them there). A
    signal the process ignores is left so: it would be raised into nothing
    after the block, and take the place of one that was not.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    kept = set(STOPPING) - ignored(*STOPPING)
    before = {s: signal.signal(s, lambda signum, frame: caught.append(signum)) for s in kept}
    try:
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        if caught:
            signal.raise_signal(caught[0])
