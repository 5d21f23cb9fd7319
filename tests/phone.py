"""A four-step routine built for the phone tests, and ways to serve its folder.

The track is built once per run with the real engine (pyttsx3 + espeak-ng) and
the real ffmpeg: the page, the chapters, the feed and the server all work on
what a user's build writes. Served two ways: in a thread through the library
(``web.server``, on a socket bound to port 0: no race for a free port), or as
the real ``voiceguide serve`` command in a subprocess, which prints its address.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from voiceguide.web import server

FOUR = """\
title: Four short steps
description: A tiny routine for the phone tests.
steps:
  - id: stroke
    title: Stroking
    duration: 20s
    say: Stroke the back with both palms.
  - id: rub
    title: Rubbing
    duration: 20s
    say: Rub along the spine.
  - id: knead
    title: Kneading
    duration: 20s
    say: Knead the shoulders gently.
    cues:
      - at: half
        say: Now the other shoulder.
  - id: tap
    title: Tapping
    duration: 20s
    say: Tap lightly with the fingertips.
"""
BASE_URL = "https://example.org/massage/"
TOKEN = "t0k3n-Test_123"
CLI = [sys.executable, "-c", "from voiceguide.cli import main; main()"]


@dataclass(frozen=True)
class Live:
    """A running server: where it is and what it serves."""

    host: str
    port: int
    token: str | None
    directory: Path

    @property
    def base(self) -> str:
        root = f"http://{self.host}:{self.port}/"
        return f"{root}{self.token}/" if self.token else root


def copy_site(source: Path, target: Path) -> Path:
    """A copy of a built folder (copied, never linked: links out of a folder are refused)."""
    target.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if path.is_file():
            shutil.copy2(path, target / path.name)
    return target


def placeholder_site(directory: Path, mp3_bytes: int = 0) -> Path:
    """A folder with one track as the server sees it: plan, page and an MP3 of ``mp3_bytes``
    zeros, for what ``serve`` does with files, not what they hold."""
    directory.mkdir(parents=True, exist_ok=True)
    plan = '{"title": "Big", "parts": [{"kind": "step", "start_ms": 0, "end_ms": 60000}], '
    plan += '"total_ms": 60000}'
    (directory / "big.json").write_text(plan, encoding="utf-8")
    (directory / "big.html").write_text("<p>Big</p>", encoding="utf-8")
    with open(directory / "big.mp3", "wb") as fh:
        fh.truncate(mp3_bytes)
    return directory


@contextmanager
def serve_in_thread(
    directory: Path,
    token: str | None,
    *,
    limits: server.Limits | None = None,
    log: list[str] | None = None,
) -> Iterator[Live]:
    """The library's server (uvicorn on a socket we bound) in a thread, on 127.0.0.1; with
    ``log``, its request lines and warnings go there."""
    sock = server.bind("127.0.0.1", 0)
    said = None if log is None else log.append
    uv = server.make_server(directory, token, limits=limits, log=said, warn=said)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield Live("127.0.0.1", sock.getsockname()[1], token, directory)
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        sock.close()


def wait_until_answering(url: str, process: subprocess.Popen[str], deadline: float) -> None:
    """Until ``voiceguide serve`` answers ``url`` with 200 (it is still running, in time)."""
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "voiceguide serve did not answer"
        time.sleep(0.05)


@dataclass
class Served:
    """``voiceguide serve`` running in a subprocess, and what it printed."""

    process: subprocess.Popen[str]
    url: str
    stdout: str


@contextmanager
def serve_command(
    directory: Path, *args: str, before: Callable[[], None] | None = None
) -> Iterator[Served]:
    """Run ``voiceguide serve DIR --host 127.0.0.1 --port 0 ARGS`` (``before`` run in its
    process first); wait until it answers."""
    command = [*CLI, "serve", str(directory), "--host", "127.0.0.1", "--port", "0", *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=before,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "Ctrl-C stops it." in line:  # the last line before serving
                break
        printed = "".join(lines)
        match = re.search(r"Open on your phone: (\S+)", printed)
        assert match, (printed, process.stderr.read() if process.stderr else "")
        url = match.group(1)
        wait_until_answering(url, process, time.monotonic() + 20)
        yield Served(process, url, printed)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
