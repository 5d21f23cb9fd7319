"""``voiceguide serve`` on a busy or hostile network, with a real uvicorn on 127.0.0.1.

Each test is the smallest request that showed a fault: a download the client
stops reading, idle connections and headers sent a byte at a time, a flood of
connections past the process's file limit, an unknown Range unit, a folder
with nothing to serve. The folder is a stand-in (a plan, a page and 32 MB of
"MP3"): the server looks at names and sizes, never at the audio, so no build
is needed. Timeouts and the cap are lowered through ``server.Limits``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from voiceguide.web import server

from .phone import CLI, TOKEN, placeholder_site, serve_command, serve_in_thread

BIG = 32 << 20  # more than loopback's socket buffers hold, so a client that stops reading stalls


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with one track as the server sees it: plan, page and a large MP3."""
    return placeholder_site(tmp_path_factory.mktemp("site"), BIG)


def request(path: str) -> bytes:
    return f"GET /{TOKEN}/{path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes ``sock`` within ``seconds`` (anything it sends is read)."""
    sock.settimeout(0.1)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if sock.recv(65536) == b"":
                return True
        except TimeoutError:
            continue
        except ConnectionResetError:
            return True
    return False


def stalled_download(url: str) -> socket.socket:
    """A connection that asks for the whole MP3, reads its first bytes and stops reading."""
    address = httpx.URL(url)
    sock = socket.create_connection((address.host, address.port or 80), timeout=5)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(f"GET {address.raw_path.decode()}big.mp3 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert sock.recv(1000).startswith(b"HTTP/1.1 200")
    time.sleep(0.5)  # the server fills the socket's buffers and waits to write more
    return sock


@pytest.mark.slow  # waits out the server's deadlines and its stopping, seconds each
@pytest.mark.parametrize(
    ("signals", "status"),
    [([signal.SIGINT], 130), ([signal.SIGINT, signal.SIGINT], 130), ([signal.SIGTERM], 143)],
)
def test_a_stalled_download_does_not_hold_the_server_open(
    site: Path, signals: list[int], status: int
) -> None:
    """Ctrl-C (once or twice) or SIGTERM with a client that stopped reading: one line, soon."""
    with serve_command(site) as command, stalled_download(command.url):
        started = time.monotonic()
        for signum in signals:
            command.process.send_signal(signum)
            time.sleep(0.2)
        try:
            _, stderr = command.process.communicate(timeout=8)
        except subprocess.TimeoutExpired:
            pytest.fail("voiceguide serve still running 8 s after the signal")
        took = time.monotonic() - started
    assert command.process.returncode == status
    assert stderr.splitlines() == ["Stopped serving."]
    assert took < 4, took


@pytest.mark.slow  # waits out the lowered request deadline
def test_idle_connections_and_slow_headers_are_closed(site: Path) -> None:
    log: list[str] = []
    limits = server.Limits(head_timeout_s=1.0)
    with serve_in_thread(site, TOKEN, limits=limits, log=log) as live, ExitStack() as stack:
        idle = stack.enter_context(socket.create_connection((live.host, live.port)))
        slow = stack.enter_context(socket.create_connection((live.host, live.port)))
        started = time.monotonic()
        try:
            for byte in request("big.html")[:-4]:  # one byte every 0.15 s: never a whole head
                slow.sendall(bytes([byte]))
                time.sleep(0.15)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert closed_within(slow, 0.5), "a request head sent a byte at a time was not timed out"
        assert time.monotonic() - started < 2.5
        assert closed_within(idle, 0.5), "a connection that sent nothing was not timed out"
        # a keep-alive connection: a request, then a head that never ends
        kept = stack.enter_context(socket.create_connection((live.host, live.port)))
        kept.sendall(request("big.html"))
        assert kept.recv(65536).startswith(b"HTTP/1.1 200")
        kept.sendall(b"GET /")
        assert closed_within(kept, 2.5)
        assert httpx.get(f"{live.base}big.html").status_code == 200


# In a process whose file limit is 1,024 (soft and hard), as the probe's was: 1,100
# connections that send nothing, then a real request. The server prints its port, then
# serves until SIGINT.
FLOOD_SERVER = """
import resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
from voiceguide.web import server
sock = server.bind("127.0.0.1", 0)
print(sock.getsockname()[1], flush=True)
limits = server.Limits(head_timeout_s=3.0)
try:
    server.serve(Path(sys.argv[1]), sock, None, limits=limits, log=print, warn=print)
except KeyboardInterrupt:
    print("stopped", flush=True)
"""


@pytest.mark.slow  # opens and holds many connections until the cap closes them
def test_a_flood_of_idle_connections_locks_no_one_out(site: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", FLOOD_SERVER, str(site)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    ) as process:
        try:
            assert process.stdout is not None
            port = int(process.stdout.readline())
            with ExitStack() as stack:
                for _ in range(1100):
                    stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=5))
                time.sleep(0.5)
                response = httpx.get(f"http://127.0.0.1:{port}/big.html", timeout=5)
                assert response.status_code == 200
        finally:
            process.send_signal(signal.SIGINT)
            stdout, stderr = process.communicate(timeout=15)
    assert len(stderr) < 2000, stderr[:2000]
    notes = [line for line in stdout.splitlines() if "connections" in line]
    assert notes == [
        "200 connections open at once (the cap): closing those that have sent no request "
        "to make room for new ones; told once per flood"
    ]
    assert "GET /big.html 200" in stdout


def test_an_unknown_range_unit_gets_the_whole_file(site: Path) -> None:
    with serve_in_thread(site, TOKEN) as live:
        response = httpx.get(f"{live.base}big.html", headers={"Range": "items=0-5"})
        assert response.status_code == 200 and response.text == "<p>Big</p>"
        part = httpx.get(f"{live.base}big.html", headers={"Range": "bytes=0-1"})
        assert part.status_code == 206 and part.text == "<p"


def test_each_request_is_one_line_without_the_token(site: Path) -> None:
    log: list[str] = []
    with serve_in_thread(site, TOKEN, log=log) as live:
        httpx.get(f"{live.base}big.html")
        httpx.get(f"{live.base}big.mp3", headers={"Range": "bytes=0-1"})
        httpx.get(f"{live.base}nope.mp3")
        httpx.get(f"http://{live.host}:{live.port}/{TOKEN[:-1]}/big.mp3")
        httpx.post(f"{live.base}big.mp3")
    assert [line.split(" ", 2)[2] for line in log] == [
        "GET /big.html 200",
        "GET /big.mp3 206",
        "GET /nope.mp3 404",
        "GET (no token) 404",
        "POST /big.mp3 405",
    ]
    assert all(line.split(" ")[1] == "127.0.0.1" for line in log)
    assert not any(TOKEN[:-1] in line for line in log)


@pytest.mark.parametrize("folder", ["empty", "missing"])
def test_serve_with_no_tracks_says_to_build_first(tmp_path: Path, folder: str) -> None:
    directory = tmp_path / "output"
    if folder == "empty":
        directory.mkdir()
    done = subprocess.run(
        [*CLI, "serve", "--port", "0"], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "Error: output has no tracks to serve; build one first, e.g. `voiceguide build classic`"
    ]
