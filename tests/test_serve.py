"""``voiceguide serve`` over real HTTP: ranges, methods, types, the token, every traversal.

The server is the library's (uvicorn in a thread) or the real command in a
subprocess. Traversal attempts go over a raw socket so the request target
reaches the server exactly as written (HTTP clients normalise "..", and refuse
a raw NUL or backslash); each attempt and its answer is printed (``-s``).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import feedparser
import httpx
import pytest
import segno

from voiceguide.web.lan import lan_address, share_url, terminal_qr
from voiceguide.web.server import bind, content_type, resolve

from .faultkit import ignoring_ctrl_c
from .phone import CLI, TOKEN, Live, copy_site, placeholder_site, serve_command, serve_in_thread


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder next to the served one, holding files that must never be served."""
    directory = tmp_path_factory.mktemp("outside")
    (directory / "secret.mp3").write_bytes(b"ID3 secret audio")
    (directory / "secret.html").write_text("<p>secret</p>", encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def live(phone_build: dict, outside: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:  # fmt: skip
    """The built folder (a copy, with traps laid in it) served under TOKEN on 127.0.0.1."""
    site = copy_site(phone_build["dir"], tmp_path_factory.mktemp("served"))
    (site / "escape.mp3").symlink_to(outside / "secret.mp3")
    (site / "escape-dir").symlink_to(outside, target_is_directory=True)
    (site / "alias.mp3").symlink_to(site / "four.mp3")
    (site / ".hidden.mp3").write_bytes(b"ID3 hidden")
    (site / ".four.mp3.abc.part").write_bytes(b"ID3 half written")
    (site / "notes.txt").write_text("private notes", encoding="utf-8")
    with serve_in_thread(site, TOKEN) as info:
        yield info


@pytest.fixture
def client(live: Live) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.base, timeout=10) as client:
        yield client


def raw_status(live: Live, target: bytes, method: bytes = b"GET") -> int:
    """Send one request with this exact target; the status code of the answer."""
    request = method + b" " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    with socket.create_connection((live.host, live.port), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n" not in data and (chunk := sock.recv(65536)):
            data += chunk
    return int(data.split(b" ", 2)[1])


def test_range_first_100_bytes(live: Live, client: httpx.Client) -> None:
    data = (live.directory / "four.mp3").read_bytes()
    response = client.get("four.mp3", headers={"Range": "bytes=0-99"})
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes 0-99/{len(data)}"
    assert response.headers["content-type"] == "audio/mpeg"
    assert response.content == data[:100]


def test_range_middle_and_suffix(live: Live, client: httpx.Client) -> None:
    data = (live.directory / "four.mp3").read_bytes()
    middle = client.get("four.mp3", headers={"Range": "bytes=1000-1999"})
    assert middle.status_code == 206 and middle.content == data[1000:2000]
    suffix = client.get("four.mp3", headers={"Range": "bytes=-100"})
    assert suffix.status_code == 206
    assert suffix.headers["content-range"] == f"bytes {len(data) - 100}-{len(data) - 1}/{len(data)}"
    assert suffix.content == data[-100:]


def test_range_past_end_is_416(live: Live, client: httpx.Client) -> None:
    size = (live.directory / "four.mp3").stat().st_size
    assert client.get("four.mp3", headers={"Range": f"bytes={size}-"}).status_code == 416


def test_whole_file_and_head(live: Live, client: httpx.Client) -> None:
    data = (live.directory / "four.mp3").read_bytes()
    whole = client.get("four.mp3")
    assert whole.status_code == 200 and whole.content == data
    head = client.head("four.mp3")
    assert head.status_code == 200
    assert int(head.headers["content-length"]) == len(data)
    assert head.headers["accept-ranges"] == "bytes"
    assert head.content == b""
    head_range = client.head("four.mp3", headers={"Range": "bytes=0-9"})
    assert head_range.status_code == 206 and head_range.content == b""


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_405(client: httpx.Client, method: str) -> None:
    response = client.request(method, "four.mp3", content=b"x")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("four.mp3", "audio/mpeg"),
        ("four.vtt", "text/vtt"),
        ("four.chapters.json", "application/json+chapters"),
        ("four.json", "application/json"),
        ("four.html", "text/html"),
        ("index.html", "text/html"),
        ("", "text/html"),
        ("feed.xml", "application/rss+xml"),
    ],
)
def test_content_types(client: httpx.Client, name: str, expected: str) -> None:
    response = client.get(name)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == expected
    assert response.headers["x-content-type-options"] == "nosniff"


def test_index_lists_the_tracks_and_the_feed(client: httpx.Client) -> None:
    html = client.get("").text
    assert 'href="four.html"' in html and 'href="feed.xml"' in html
    assert client.get("index.html").text == html


def test_served_feed_carries_the_servers_address(live: Live, client: httpx.Client) -> None:
    """The folder's own feed.xml says https://example.org/; the served one, this server."""
    parsed = feedparser.parse(client.get("feed.xml").content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    [entry] = parsed.entries
    assert entry.enclosures[0].href == f"{live.base}four.mp3"
    assert int(entry.enclosures[0].length) == (live.directory / "four.mp3").stat().st_size
    chapters = client.get(entry.podcast_chapters["url"].removeprefix(live.base))
    assert chapters.status_code == 200 and chapters.json()["version"] == "1.2.0"
    assert "example.org" in (live.directory / "feed.xml").read_text()  # disk file untouched


def test_token_required(live: Live) -> None:
    with httpx.Client(base_url=f"http://{live.host}:{live.port}", timeout=10) as client:
        for path in ("/", "/four.mp3", "/index.html", "/feed.xml", "/wrong-token/four.mp3"):
            assert client.get(path).status_code == 404, path
        assert client.get(f"/{TOKEN}x/four.mp3").status_code == 404
        assert client.get(f"/{TOKEN[:-1]}/four.mp3").status_code == 404
        assert client.post("/wrong-token/four.mp3").status_code == 404  # not 405: says nothing
        bare = client.get(f"/{TOKEN}")
        assert bare.status_code == 307 and bare.headers["location"] == f"/{TOKEN}/"
        assert client.get(f"/{TOKEN}/four.mp3").status_code == 200


def test_missing_file_is_a_plain_404(client: httpx.Client) -> None:
    for name in ("nope.mp3", "nope/", "nope.html", "four.mp3/"):
        response = client.get(name)
        assert response.status_code == 404 and response.text == "Not found\n", name


def test_symlink_inside_folder_is_served(live: Live, client: httpx.Client) -> None:
    response = client.get("alias.mp3", headers={"Range": "bytes=0-9"})
    assert response.status_code == 206
    assert response.content == (live.directory / "four.mp3").read_bytes()[:10]


def attempts(live: Live, outside: Path) -> list[bytes]:
    """Request targets that try to leave the folder or reach what is not served."""
    token = TOKEN.encode()
    out = outside.name.encode()
    secret = str(outside / "secret.mp3").encode()
    t = b"/" + token
    return [
        t + b"/../" + out + b"/secret.mp3",
        t + b"/../../../../../../etc/passwd",
        t + b"/..%2f" + out + b"%2fsecret.mp3",
        t + b"/..%2F" + out + b"%2Fsecret.mp3",
        t + b"/%2e%2e/" + out + b"/secret.mp3",
        t + b"/%2E%2E/" + out + b"/secret.mp3",
        t + b"/%2e%2e%2f" + out + b"%2fsecret.mp3",
        t + b"/.%2e/" + out + b"/secret.mp3",
        t + b"/%252e%252e/" + out + b"/secret.mp3",
        t + b"/..\\" + out + b"\\secret.mp3",
        t + b"/..%5c" + out + b"%5csecret.mp3",
        t + b"/%c0%ae%c0%ae/" + out + b"/secret.mp3",
        t + b"/" + secret,
        t + b"/" + secret.replace(b"/", b"%2f"),
        t + b"%2f..%2f" + out + b"%2fsecret.mp3",
        t + b"//etc/passwd",
        t + b"/escape.mp3",
        t + b"/escape-dir/secret.mp3",
        t + b"/escape-dir/secret.html",
        t + b"/four.mp3%00.html",
        t + b"/four.mp3\x00.html",
        t + b"/./four.mp3",
        t + b"/.hidden.mp3",
        t + b"/.four.mp3.abc.part",
        t + b"/notes.txt",
        t + b"/C:/Windows/win.ini",
        t + b"/C:%5cWindows%5cwin.ini",
        t + b"/..",
        t + b"/../",
        b"/../" + token + b"/four.mp3",
        b"/%2e%2e/" + token + b"/four.mp3",
        b"http://127.0.0.1/" + token + b"/../" + out + b"/secret.mp3",
    ]


def test_traversal_attempts_are_refused(live: Live, outside: Path) -> None:
    answers = []
    for target in attempts(live, outside):
        status = raw_status(live, target)
        shown = target.decode("latin-1").replace("\x00", "\\x00").replace(str(outside), "OUTSIDE")
        answers.append(f"{shown}  -> {status}")
        assert status in (400, 404), target
    print("\n" + "\n".join(answers))
    assert raw_status(live, b"/" + TOKEN.encode() + b"/four.mp3") == 200  # the socket talks


def test_resolve_refuses_without_http(tmp_path: Path) -> None:
    """The same rules at the function level, where no HTTP parser stands in front."""
    (tmp_path / "a.mp3").write_bytes(b"x")
    assert resolve(tmp_path, ["a.mp3"]) == (tmp_path / "a.mp3").resolve()
    for segments in (["..", "a.mp3"], ["", "a.mp3"], ["a.mp3\x00"], ["..\\a.mp3"], ["C:", "a.mp3"]):
        assert resolve(tmp_path, segments) is None
    assert resolve(tmp_path, [str(tmp_path / "a.mp3")]) is None
    assert content_type("x.chapters.json") == "application/json+chapters"
    assert content_type(".mp3") is None and content_type("x.txt") is None


def test_no_token_serves_from_the_root(phone_build: dict, tmp_path: Path) -> None:
    site = copy_site(phone_build["dir"], tmp_path / "site")
    with serve_in_thread(site, None) as live:
        assert httpx.get(f"{live.base}four.vtt").text.startswith("WEBVTT")
        assert httpx.get(f"{live.base}feed.xml").text.count("<item>") == 1


def test_command_prints_address_qr_warning_and_ctrl_c_exits_130(phone_build: dict) -> None:
    with serve_command(phone_build["dir"]) as served:
        assert served.url.startswith("http://127.0.0.1:") and served.url.count("/") == 4
        token = served.url.rstrip("/").rsplit("/", 1)[1]
        assert len(token) >= 12
        assert httpx.get(served.url + "four.mp3", headers={"Range": "bytes=0-1"}).status_code == 206
        assert httpx.get(served.url.replace(token, "x" * len(token))).status_code == 404
        served.process.send_signal(signal.SIGINT)
        stdout, stderr = served.process.communicate(timeout=20)
    assert served.process.returncode == 130
    assert stderr.splitlines() == ["Stopped serving."]
    printed = served.stdout + stdout
    assert printed.startswith(f"Serving 1 track from {phone_build['dir']}\n")
    assert "▀" in printed or "▄" in printed  # the QR code
    assert "Anyone with this address can play these tracks while this runs." in printed
    assert f"Podcast feed:       {served.url}feed.xml" in printed
    requests = [line.split(" ", 2)[2] for line in printed.splitlines() if line[:2].isdigit()]
    assert requests[-3:] == ["GET / 200", "GET /four.mp3 206", "GET (no token) 404"]
    assert token not in stdout


def test_serve_started_with_ctrl_c_ignored_serves_on_through_it(tmp_path: Path) -> None:
    """A script's background job: the Ctrl-C meant for the foreground spares it; SIGTERM
    still stops it."""
    site = placeholder_site(tmp_path / "site")
    with serve_command(site, before=ignoring_ctrl_c) as served:
        served.process.send_signal(signal.SIGINT)
        time.sleep(0.5)  # uvicorn looks for a stop every 0.1 s
        assert httpx.get(served.url + "big.html").status_code == 200
        served.process.send_signal(signal.SIGTERM)
        _, stderr = served.process.communicate(timeout=20)
    assert served.process.returncode == 143
    assert stderr.splitlines() == ["Stopped serving."]


def test_no_token_warns(phone_build: dict) -> None:
    with serve_command(phone_build["dir"], "--no-token") as served:
        assert httpx.get(served.url + "four.html").status_code == 200
        served.process.send_signal(signal.SIGINT)
        _, stderr = served.process.communicate(timeout=20)
    assert stderr.splitlines() == [
        "Warning: --no-token: anyone on this network can list and play the tracks",
        "Stopped serving.",
    ]


def test_port_in_use_is_exit_2(tmp_path: Path) -> None:
    taken = bind("127.0.0.1", 0)
    try:
        port = taken.getsockname()[1]
        site = str(placeholder_site(tmp_path))
        command = [*CLI, "serve", site, "--host", "127.0.0.1", "--port", str(port)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    finally:
        taken.close()
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"Error: --port {port}: already in use; choose another with --port"
    ]


def test_missing_folder_is_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    done = subprocess.run([*CLI, "serve", str(missing)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"Error: {missing} has no tracks to serve; build one first, "
        f"e.g. `voiceguide build classic -o {missing}`"
    ]


def test_lan_address_and_share_url(monkeypatch: pytest.MonkeyPatch) -> None:
    socket.inet_aton(lan_address())
    assert share_url("127.0.0.1", 80, None) == "http://127.0.0.1:80/"
    assert share_url("::1", 8765, "tok") == "http://[::1]:8765/tok/"

    def refuse(self: socket.socket, address: object) -> None:
        raise OSError("network unreachable")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert lan_address() == "127.0.0.1"
    assert share_url("0.0.0.0", 8765, "tok") == "http://127.0.0.1:8765/tok/"


def test_terminal_qr_draws_the_code() -> None:
    """Read the half blocks back into modules and compare with segno's own matrix."""
    url = "http://192.168.1.20:8765/AbCdEfGhIjKl/"
    text = terminal_qr(url, ansi=False)
    expected = [[bool(m) for m in row] for row in segno.make(url, error="m").matrix_iter(border=2)]
    light = {" ": (False, False), "▀": (True, False), "▄": (False, True), "█": (True, True)}
    rows: list[list[bool]] = []
    for line in text.splitlines():
        pairs = [light[ch] for ch in line]
        rows.append([not top for top, _ in pairs])
        rows.append([not bottom for _, bottom in pairs])
    assert rows[: len(expected)] == expected
    assert terminal_qr(url).startswith("\x1b[30;107m")


def test_help_does_not_load_the_server() -> None:
    code = "import sys; from voiceguide.cli import cli; print(sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn', 'segno')))"  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr
