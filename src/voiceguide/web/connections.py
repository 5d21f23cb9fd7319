"""Bounds on what one client can hold: a deadline for each request head, a cap on connections,
a prompt stop.

uvicorn has no timeout for receiving a request: ``timeout_keep_alive`` is
reset by every byte, and a connection that never sends one is never closed.
So the HTTP protocol (uvicorn's h11 one) is wrapped here:

- **A deadline for each request head.** From the moment a connection opens,
  or its last response ends, the request line and headers must arrive whole
  within ``head_timeout_s``, however slowly the bytes come; else the
  connection is closed. A body nobody asked for (only GET and HEAD are
  served) falls under the same deadline once its answer is sent.
- **A cap on open connections**, below the process's file limit (each
  connection is a socket, a download a file too). When a new connection
  would pass it, the connection that has waited longest without sending a
  request head is closed to make room (the new one if none is waiting). A
  phone's request head arrives in milliseconds, so a flood of idle
  connections cannot lock it out, and ``accept`` never meets "too many open
  files". The flood is reported once, when the cap is first reached, and
  again only after the connections have fallen back to half of it.
- **A prompt stop.** On Ctrl-C or SIGTERM, a response still being sent (a
  client that stopped reading a download) is given ``shutdown_s``, then its
  connection is cut; a second signal cuts every connection at once.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import signal
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any, ClassVar

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from ..signals import ignored

# Files the process holds besides its connections: the interpreter's, the event loop's,
# the listening socket, stdio; each connection may hold a served file as well.
FILES_IN_RESERVE = 32
# The listening queue: connections the kernel completes before the server takes them.
# asyncio takes up to this many in one go, before any is seen, so room for them is kept
# below the file limit too; too short a queue makes a phone's connection wait for a
# second SYN when a flood fills it.
BACKLOG_MAX = 1024


@dataclass(frozen=True)
class Limits:
    """How long a client may take and how many connections may be open at once."""

    head_timeout_s: float = (
        10.0  # a request line and headers, from the first byte or the last answer
    )
    keep_alive_s: int = 5  # idle time between requests on one connection
    max_connections: int = 200  # lowered to fit the process's file limit
    shutdown_s: float = 1.0  # what a response still being sent gets after Ctrl-C


def file_limits(wanted: int) -> tuple[int, int]:
    """The connection cap (``wanted``, or fewer) and listening queue the file limit leaves
    room for.

    The soft limit is first raised to the hard one (Linux's default soft
    limit, 1,024, is the one a flood would meet).
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = 65536 if hard == resource.RLIM_INFINITY else hard
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, target), hard))
            soft = max(soft, target)
        except (ValueError, OSError):
            pass
    backlog = max(16, min(BACKLOG_MAX, soft // 4))
    return max(1, min(wanted, (soft - FILES_IN_RESERVE - backlog) // 2)), backlog


class _Guard:
    """What the connections of one server share: the limits, who is waiting, the flood note."""

    def __init__(self, limits: Limits, cap: int, warn: Callable[[str], None]) -> None:
        self.limits = limits
        self.cap = cap
        self.warn = warn
        self.waiting: dict[GuardedProtocol, None] = {}  # no request in progress, oldest first
        self.flooded = False

    def admit(self, newcomer: GuardedProtocol, open_now: int) -> None:
        """Make room for ``newcomer`` if the cap is passed: close the longest waiting."""
        if open_now <= self.cap:
            if self.flooded and open_now <= self.cap // 2:
                self.flooded = False
            return
        if not self.flooded:
            self.flooded = True
            self.warn(
                f"{self.cap} connections open at once (the cap): closing those that have "
                "sent no request to make room for new ones; told once per flood"
            )
        victim = next((p for p in self.waiting if p is not newcomer), newcomer)
        victim.cut()


class GuardedProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request head and a place under the cap."""

    guard: ClassVar[_Guard]
    _deadline: asyncio.TimerHandle | None = None  # while waiting for a request head

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._wait_for_head()
        self.guard.admit(self, len(self.connections))

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        cycle = self.cycle
        super().handle_events()
        if self.cycle is not cycle:  # a whole request head arrived
            self._stop_waiting()

    def on_response_complete(self) -> None:
        if not self.transport.is_closing():
            self._wait_for_head()  # before super(): it may read a pipelined request
        super().on_response_complete()

    def shutdown(self) -> None:
        super().shutdown()
        if not self.transport.is_closing():  # a response is still being sent
            self.loop.call_later(self.guard.limits.shutdown_s, self.cut)

    def cut(self) -> None:
        """Close the connection now, whatever it is doing."""
        self._stop_waiting()
        if not self.transport.is_closing():
            self.transport.abort()

    def _wait_for_head(self) -> None:
        self._stop_waiting()
        self.guard.waiting[self] = None
        self._deadline = self.loop.call_later(self.guard.limits.head_timeout_s, self.cut)

    def _stop_waiting(self) -> None:
        self.guard.waiting.pop(self, None)
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None


class GuardedServer(uvicorn.Server):
    """uvicorn's server, stopping at once on a second signal.

    uvicorn catches SIGINT and SIGTERM whatever their handling was: one the
    process was started ignoring (a script's background job) stays ignored,
    as in every other command.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._ignored = ignored(signal.SIGINT, signal.SIGTERM)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig in self._ignored:
            return
        if self.should_exit:  # the second Ctrl-C (or SIGTERM): cut every connection now
            self.force_exit = True
            for connection in list(self.server_state.connections):
                if isinstance(connection, GuardedProtocol):  # from the loop, not mid-handler
                    connection.loop.call_soon_threadsafe(connection.cut)
        super().handle_exit(sig, frame)


class _NoCancelledTracebacks(logging.Filter):
    """A response cut short at shutdown is not an error in the application."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, asyncio.CancelledError)


def _filter(name: str, new: logging.Filter) -> None:
    """``new`` on the logger ``name``, in place of one of its kind left by an earlier server."""
    logger = logging.getLogger(name)
    for old in [f for f in logger.filters if type(f) is type(new)]:
        logger.removeFilter(old)
    logger.addFilter(new)


def guarded_config(
    app: Any, limits: Limits, warn: Callable[[str], None], **options: Any
) -> uvicorn.Config:
    """A uvicorn config whose connections are guarded by ``limits`` (the cap fitted to the
    file limit)."""
    cap, backlog = file_limits(limits.max_connections)
    guard = _Guard(limits, cap, warn)
    protocol = type("Protocol", (GuardedProtocol,), {"guard": guard})
    _filter("uvicorn.error", _NoCancelledTracebacks())
    return uvicorn.Config(
        app,
        http=protocol,
        timeout_keep_alive=limits.keep_alive_s,
        backlog=backlog,
        # a backstop: every connection is cut after shutdown_s (see GuardedProtocol.shutdown)
        timeout_graceful_shutdown=int(limits.shutdown_s) + 2,
        **options,
    )
