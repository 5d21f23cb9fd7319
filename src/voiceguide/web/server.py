"""Read-only HTTP server for an output folder, meant for a phone on the same network.

Starlette's FileResponse answers Range requests with 206 (one range, suffix
ranges, multipart), which Safari needs before it plays or seeks an MP3; uvicorn,
the standard ASGI server, runs it. The folder is the whole world: the request
path is checked as raw bytes and as decoded segments, then resolved (symlinks
followed) and must stay inside the folder. Anything refused is a plain 404, so
a probe learns nothing about what exists. The index and the feed are rendered
per request from the folder's plans, so they list what is there now and the
feed's links carry the address the phone used (token included).
"""

from __future__ import annotations

import errno
import hmac
import socket
import time
from collections.abc import Callable
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from ..errors import InputError, one_line
from ..output.feed import CHAPTERS_TYPE, FEED_NAME, checked_base_url, feed_xml
from ..output.page import render_index
from ..output.site import INDEX_NAME, find_tracks
from .connections import GuardedServer, Limits, guarded_config

__all__ = ["Limits", "bind", "content_type", "make_app", "make_server", "resolve", "serve"]

Log = Callable[[str], None]

ALLOWED_METHODS = ("GET", "HEAD")

# Only these kinds of file are served; anything else in the folder (temporary
# .part files, notes, dotfiles) stays private even if its name is guessed.
CONTENT_TYPES: dict[str, str] = {
    ".chapters.json": CHAPTERS_TYPE,
    ".json": "application/json",
    ".mp3": "audio/mpeg",
    ".vtt": "text/vtt; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}
FEED_TYPE = "application/rss+xml; charset=utf-8"

# Raw-path byte sequences refused before decoding: an encoded slash, a backslash
# (raw or encoded) and NUL (raw or encoded) have no business in a file name.
_BAD_RAW = (b"%2f", b"%5c", b"\\", b"%00", b"\x00")

_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_PAGE_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "media-src 'self'; img-src 'self' data:; connect-src 'self'; manifest-src 'self'; "
    "base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def content_type(name: str) -> str | None:
    """The Content-Type for a served file name, or None if such files are not served."""
    for suffix in sorted(CONTENT_TYPES, key=len, reverse=True):
        if name.endswith(suffix) and len(name) > len(suffix):
            return CONTENT_TYPES[suffix]
    return None


def resolve(root: Path, segments: list[str]) -> Path | None:
    """The file that URL segments name inside root, or None if it must not be served.

    Empty, dot and dot-dot segments, dotfiles, slashes (an absolute path in one
    segment), backslashes, NULs and drive-like colons are refused; the final path must resolve (symlinks followed) to a
    file inside root.
    """
    for segment in segments:
        if not segment or segment.startswith(".") or any(c in segment for c in "/\\\x00:"):
            return None
    if not segments or content_type(segments[-1]) is None:
        return None
    try:
        real_root = root.resolve(strict=True)
        real = real_root.joinpath(*segments).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return None
    if not real.is_relative_to(real_root) or not real.is_file():
        return None
    return real


def _not_found() -> Response:
    return PlainTextResponse("Not found\n", status_code=404)


class FolderEndpoint:
    """ASGI endpoint serving one folder, only under /<token>/ when there is a token."""

    def __init__(self, directory: Path, token: str | None, log: Log | None = None) -> None:
        self.root = Path(directory)
        self.token = token
        self.log = log

    def _token_ok(self, segment: str) -> bool:
        assert self.token is not None
        return hmac.compare_digest(segment.encode(), self.token.encode())

    def _base_url(self, request: Request) -> str:
        """The folder's address as this client reached it, for the feed's absolute links."""
        prefix = f"{self.token}/" if self.token else ""
        base = checked_base_url(f"{request.base_url}{prefix}")
        return base or f"http://127.0.0.1/{prefix}"

    def response_for(self, request: Request) -> Response:
        """Decide the answer; every refusal before the method check is a 404."""
        raw = request.scope.get("raw_path") or request.url.path.encode()
        if any(bad in raw.split(b"?", 1)[0].lower() for bad in _BAD_RAW):
            return _not_found()
        segments = request.url.path.split("/")[1:]
        if self.token is not None:
            if not segments or not self._token_ok(segments[0]):
                return _not_found()
            if len(segments) == 1:
                return RedirectResponse(f"/{self.token}/", status_code=307)
            segments = segments[1:]
        if request.method not in ALLOWED_METHODS:
            return PlainTextResponse(
                "Method not allowed\n",
                status_code=405,
                headers={"Allow": ", ".join(ALLOWED_METHODS)},
            )
        if segments in ([""], [INDEX_NAME]):
            html = render_index(find_tracks(self.root), feed=FEED_NAME)
            return HTMLResponse(html, headers={**_HEADERS, "Content-Security-Policy": _PAGE_CSP})
        if segments == [FEED_NAME]:
            xml = feed_xml(find_tracks(self.root), self._base_url(request))
            return Response(xml, media_type=FEED_TYPE, headers=_HEADERS)
        path = resolve(self.root, segments)
        if path is None:
            return _not_found()
        headers = dict(_HEADERS)
        if path.suffix == ".html":
            headers["Content-Security-Policy"] = _PAGE_CSP
        return FileResponse(path, media_type=content_type(path.name), headers=headers)

    def shown_path(self, path: str) -> str:
        """The request's path for the log: without the token, on one line, not too long."""
        if self.token is not None:
            first, _, rest = path.removeprefix("/").partition("/")
            if not self._token_ok(first):
                return "(no token)"
            path = "/" + rest
        text = one_line(path).replace(" ", "\\x20")
        return text if len(text) <= 100 else text[:99] + "…"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope = _without_foreign_ranges(scope)
        response = self.response_for(Request(scope, receive))
        if self.log is None:
            await response(scope, receive, send)
            return
        status = 0

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await response(scope, receive, sending)
        finally:
            client = scope.get("client") or ("-", 0)
            method = "".join(c for c in scope["method"] if c.isalpha())[:10]
            path = self.shown_path(scope["path"])
            self.log(f"{time.strftime('%H:%M:%S')} {client[0]} {method} {path} {status or '-'}")


def _without_foreign_ranges(scope: Scope) -> Scope:
    """The scope without a Range header in a unit other than bytes: RFC 9110 (14.2) has the
    server ignore it and send the whole file (starlette answers 400)."""
    headers = scope["headers"]
    kept = [
        (name, value)
        for name, value in headers
        if name.lower() != b"range" or value.split(b"=", 1)[0].strip().lower() == b"bytes"
    ]
    return scope if len(kept) == len(headers) else {**scope, "headers": kept}


def make_app(directory: Path, token: str | None, log: Log | None = None) -> Starlette:
    """The ASGI app: one catch-all route, so no path reaches anything but FolderEndpoint."""
    return Starlette(routes=[Route("/{path:path}", FolderEndpoint(directory, token, log))])


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or one ``Error:`` line saying what to change.

    Bound here rather than by uvicorn so a port in use is the user's input error
    (exit 2), and so ``--port 0`` can print the port the system chose.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as exc:
        raise InputError(
            f"--host {host}: not an address this machine can listen on ({exc})"
        ) from exc
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise InputError(f"--port {port}: already in use; choose another with --port") from exc
        reason = exc.strerror or str(exc)
        raise InputError(f"--host {host} --port {port}: cannot listen there ({reason})") from exc
    sock.set_inheritable(True)
    return sock


def make_server(
    directory: Path,
    token: str | None,
    *,
    limits: Limits | None = None,
    log: Log | None = None,
    warn: Log | None = None,
) -> uvicorn.Server:
    """uvicorn, bounded by ``limits`` (``connections.Limits``), logging each request as one
    line to ``log`` (never the token) and what goes wrong once to ``warn``.

    uvicorn's own access log is off: it would print the token.
    """
    config = guarded_config(
        make_app(directory, token, log),
        limits or Limits(),
        warn or (lambda message: None),
        log_level="error",
        access_log=False,
        lifespan="off",
        server_header=False,
    )
    return GuardedServer(config)


def serve(
    directory: Path,
    sock: socket.socket,
    token: str | None,
    *,
    limits: Limits | None = None,
    log: Log | None = None,
    warn: Log | None = None,
) -> None:
    """Serve on ``sock`` until Ctrl-C or SIGTERM.

    uvicorn catches SIGINT itself, shuts down (a response still being sent
    gets ``limits.shutdown_s``; a second signal cuts it at once), then raises
    the signal again for the handler that was there before: the CLI's, which
    turns it into KeyboardInterrupt after the server is closed.
    """
    make_server(directory, token, limits=limits, log=log, warn=warn).run(sockets=[sock])
