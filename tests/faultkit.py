"""Shared pieces of the fault and path tests: a tiny routine, a good build, leftovers."""

from __future__ import annotations

import shutil
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from voiceguide.cli import cli
from voiceguide.speech import Engine

HOOKS = Path(__file__).resolve().parent / "hooks"
TINY = """\
title: Tiny
steps:
  - id: stroking
    title: Stroking
    duration: 20s
    say: Stroke the back gently.
"""
SHORT = ("--no-intro", "--rest", "0s")


def ignoring_ctrl_c() -> None:
    """In a child about to start a command: start it as a shell without job control starts
    its background jobs, with Ctrl-C ignored."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def ignoring_sigterm() -> None:
    """In a child about to start a command: start it with SIGTERM ignored, as whatever
    started it may have left it."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


@contextmanager
def ctrl_c_as_a_thread_starts(named: str = "") -> Iterator[list[threading.Thread]]:
    """``Thread.start`` raises KeyboardInterrupt just after starting a thread whose name
    begins with ``named`` (any thread by default), as a Ctrl-C landing then would; the
    threads started in the block are listed."""
    real_start = threading.Thread.start
    started: list[threading.Thread] = []

    def start(thread: threading.Thread) -> None:
        real_start(thread)
        started.append(thread)
        if thread.name.startswith(named):
            raise KeyboardInterrupt

    threading.Thread.start = start  # type: ignore[method-assign]
    try:
        yield started
    finally:
        threading.Thread.start = real_start  # type: ignore[method-assign]


def ctrl_c_as_the_first_file_goes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """``Path.unlink`` sends this process a Ctrl-C as it removes its first file, as one
    landing then would; that file is listed once it is."""
    unlink = Path.unlink
    landed: list[Path] = []

    def interrupted(path: Path, missing_ok: bool = False) -> None:
        if not landed:
            landed.append(path)
            signal.raise_signal(signal.SIGINT)
        unlink(path, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", interrupted)
    return landed


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def build_args(routine: Path | str, out: Path, cache: Path | None, *extra: str) -> list[str]:
    """A build that runs even over an up-to-date previous track (``--force``); no clip cache
    (``--no-cache``) where ``cache`` is None."""
    caching = ["--no-cache"] if cache is None else ["--cache-dir", str(cache)]
    return ["build", str(routine), *SHORT, "-o", str(out), *caching, "--force", *extra]


def leftovers(*folders: Path) -> list[Path]:
    """Temporary files a build may have left: ``.part`` (outputs) and ``.tmp`` (cache)."""
    found: list[Path] = []
    for folder in folders:
        if folder.exists():
            found += [p for p in folder.rglob("*") if p.suffix in (".part", ".tmp")]
    return found


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tiny") / "tiny.yaml"
    path.write_text(TINY)
    return path


@pytest.fixture(scope="session")
def tiny_good(tiny: Path, clip_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A good build of the tiny routine (its clips now in the session cache)."""
    out = tmp_path_factory.mktemp("tiny-good")
    result = run(*build_args(tiny, out, clip_cache))
    assert result.exit_code == 0, result.stderr
    return out


@pytest.fixture
def previous(tiny_good: Path, tmp_path: Path) -> Path:
    """An output folder holding a previous good track, which a failed build must leave as is."""
    out = tmp_path / "out"
    shutil.copytree(tiny_good, out)
    return out


@pytest.fixture
def worker_fault(monkeypatch: pytest.MonkeyPatch, real_engine: Callable[..., Engine]):
    """Name a fault for the next speech worker to start with (see hooks/sitecustomize.py):
    the real engine's worker, so a test that uses this is slow."""

    def inject(fault: str) -> None:
        monkeypatch.setenv("PYTHONPATH", str(HOOKS))
        monkeypatch.setenv("VOICEGUIDE_TEST_FAULT", fault)

    return inject
