"""A speech engine's worker: a spawned process spoken to over a pipe, for either engine.

Why a process: an engine may print, hang, or crash (pyttsx3's driver prints
to stdout; Piper and the project each link an espeak-ng, and the two clash in
one process). A spawned child starts from a clean address space, its output
goes nowhere near the CLI's, a call that does not answer in time is killed,
and a child that dies is reported with its exit status and the last line it
logged.

The protocol: the child runs ``serve(conn, start, *args)``; ``start(*args)``
loads the engine and gives back what to say when ready and a function that
answers one request. Every reply is ``("ready" | "ok", payload)`` or
``("error", kind, message)``, which the parent raises as ``Refused`` for the
engine to word.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import signals
from ..errors import SpeechError

if TYPE_CHECKING:
    from multiprocessing.connection import Connection


class Refused(Exception):
    """The worker answered with an error instead of a result: its type and message."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


class Worker:
    """One spawned child serving ``start(*args)``'s engine; ``name`` is how messages call it.

    The child's stderr goes to ``log`` (its last line explains a death) or
    nowhere; it is born deaf to Ctrl-C (``start_worker``), so the
    parent alone decides how to unwind, and kills it.
    """

    def __init__(
        self,
        start: Callable[..., tuple[Any, Callable[[Any], Any]]],
        args: tuple[Any, ...],
        *,
        name: str,
        log: Path | None = None,
    ) -> None:
        import multiprocessing as mp  # here: timing cached words starts no worker

        ctx = mp.get_context("spawn")  # never fork: the parent may hold another espeak-ng
        self.name = name
        self.log = log
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=serve, args=(child, start, *args), daemon=True)
        start_worker(self.process, os.devnull if log is None else str(log))
        child.close()

    def send(self, request: Any) -> None:
        try:
            self.conn.send(request)
        except OSError:
            self.stop()
            raise SpeechError(f"{self.name} stopped before it was asked to speak") from None

    def receive(self, timeout_s: float | None, doing: str) -> Any:
        """The next answer's payload, waiting up to ``timeout_s`` (None: it is there already).

        TimeoutError (the worker killed) if none comes in time, ``Refused`` if
        the worker answered with an error, SpeechError if it died.
        """
        if timeout_s is not None and not self.conn.poll(timeout_s):
            self.stop()
            raise TimeoutError(doing)
        try:
            reply = self.conn.recv()
        except (EOFError, OSError):
            self.process.join(5)
            code = self.process.exitcode
            self.stop()
            said = self._last_log_line()
            raise SpeechError(
                f"{self.name} stopped (exit status {code}) while {doing}"
                + (f": {said}" if said else "")
            ) from None
        if reply[0] == "error":
            raise Refused(reply[1], reply[2])
        return reply[1]

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()

    def _last_log_line(self) -> str:
        if self.log is None:
            return ""
        try:
            lines = self.log.read_text(encoding="utf-8", errors="replace").split("\n")
        except OSError:
            return ""
        lines = [line.strip() for line in lines if line.strip()]
        return lines[-1].rstrip(".") if lines else ""


def start_worker(process: Any, log: str) -> None:
    """Start an engine's worker process deaf to Ctrl-C and with its stderr in ``log``.

    A Ctrl-C at the terminal reaches the whole process group: a worker still
    starting would print a Python traceback under the user's one-line error
    (its bootstrap is Python's, before any code of ours runs in it). So the
    worker is born with SIGINT blocked (the mask survives the spawn; the
    parent decides how to unwind, and kills it) and with its stderr already
    pointing at ``log``. In the parent, SIGINT is only held for the moment of
    the start, then delivered.
    """
    with signals.blocked(signal.SIGINT), contextlib.ExitStack() as undo:
        target = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        undo.callback(os.close, target)
        saved = os.dup(2)
        undo.callback(os.close, saved)
        undo.callback(os.dup2, saved, 2)  # the first undone: stderr is ours again
        os.dup2(target, 2)
        process.start()


# ---------------------------------------------------------------- in the child


def serve(
    conn: Connection, start: Callable[..., tuple[Any, Callable[[Any], Any]]], *args: Any
) -> None:
    """The child: quiet stdout, start the engine, answer requests until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    try:
        ready, answer = start(*args)
    except Exception as exc:  # reported to the parent, which words it
        conn.send(("error", type(exc).__name__, str(exc)))
        return
    conn.send(("ready", ready))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        try:
            conn.send(("ok", answer(request)))
        except Exception as exc:
            conn.send(("error", type(exc).__name__, str(exc)))
