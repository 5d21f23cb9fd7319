"""The one place ffmpeg runs: find the binary, start it, feed it, time it out, read its errors.

Encoding, decoding and metering all go through ``run``. The binary is
resolved once, in one order (like ffmpeg-normalize's ``get_ffmpeg_exe``):
``$VOICEGUIDE_FFMPEG``, then ``ffmpeg`` on PATH, then the copy the
``imageio-ffmpeg`` wheel ships, so a fresh machine needs no root.

stdout and stderr are drained on threads (a full pipe would stall ffmpeg)
and stderr is kept for the message. It is read whatever the exit status:
ffmpeg exits 0 after "No space left on device" when closing its output, and
that must reach the user as a full disk, not as a broken file later on.
ffmpeg runs in a process group of its own, so a Ctrl-C at the terminal
reaches voiceguide alone, which kills ffmpeg and removes the unfinished file
rather than have ffmpeg close it as if it were complete.
"""

from __future__ import annotations

import functools
import logging
import os
import shlex
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import DISK_FULL_TEXT, FfmpegError, InputError, disk_full, given_as

log = logging.getLogger(__name__)

FFMPEG_HINT = (
    "install ffmpeg (apt-get install ffmpeg) or the imageio-ffmpeg package "
    "(pip install imageio-ffmpeg)"
)
TIMEOUT_S = 600.0
FFMPEG_ENV = "VOICEGUIDE_FFMPEG"


def environment_ffmpeg() -> str | None:
    """``$VOICEGUIDE_FFMPEG``, if set: a program that can be run, or an ``InputError`` naming
    the variable. One the user named but cannot be run is their mistake to hear about, not a
    reason to use another ffmpeg in its place."""
    explicit = os.environ.get(FFMPEG_ENV)
    if not explicit:
        return None
    path = Path(explicit)
    if not path.exists():
        what = "no such file"
    elif path.is_dir():
        what = "a folder, not a program"
    elif not os.access(path, os.X_OK):
        what = "not a program that can be run"
    else:
        return explicit
    raise InputError(
        f"{given_as(explicit, variable=FFMPEG_ENV)}: {what}; give the path of an ffmpeg "
        "program, or unset it to use ffmpeg on PATH or the one imageio-ffmpeg ships"
    )


@functools.cache
def ffmpeg_exe() -> str:
    """``$VOICEGUIDE_FFMPEG`` (``environment_ffmpeg``), then ``ffmpeg`` on PATH, then
    imageio-ffmpeg's binary."""
    tried = []
    explicit = environment_ffmpeg()
    if explicit:
        return explicit
    on_path = shutil.which("ffmpeg")
    if on_path:
        return on_path
    tried.append("ffmpeg on PATH")
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError) as exc:
        tried.append(f"imageio-ffmpeg ({exc})")
    raise FfmpegError(f"ffmpeg not found (tried {', '.join(tried)}); {FFMPEG_HINT}")


@dataclass(frozen=True)
class Result:
    stdout: bytes  # empty unless asked for
    stderr: str
    fed: int  # bytes written to ffmpeg's stdin


def run(
    args: list[str],
    *,
    doing: str,
    feed: Iterable[bytes] | None = None,
    capture: bool = False,
    writing: Path | None = None,
    timeout_s: float = TIMEOUT_S,
) -> Result:
    """Run ``ffmpeg ARGS``; ``doing`` names the work in errors ("encode the MP3").

    ``feed`` is written to stdin, ``capture`` keeps stdout, ``writing`` is the
    file ffmpeg writes (named if the disk fills). Failures are ``FfmpegError``
    with the command and stderr, or ``DiskFullError``.
    """
    command = [ffmpeg_exe(), *args]
    log.debug("running %s", shlex.join(command))
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL if feed is None else subprocess.PIPE,
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            process_group=0,
        )
    except OSError as exc:
        raise FfmpegError(
            f"ffmpeg could not be started ({exc.strerror}: {command[0]}); {FFMPEG_HINT}",
            command=command,
        ) from exc
    errors: list[bytes] = []
    output: list[bytes] = []
    drains: list[threading.Thread] = []
    fed = 0
    try:  # from here on a signal kills ffmpeg: left running, it would finish the file
        drains.append(_drain(process.stderr, errors))
        if capture:
            drains.append(_drain(process.stdout, output))
        if feed is not None:
            assert process.stdin is not None
            try:
                for block in feed:
                    process.stdin.write(block)
                    fed += len(block)
                process.stdin.close()
            except BrokenPipeError:
                pass  # ffmpeg stopped reading: its stderr says why
        code = process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill(process)
        raise FfmpegError(
            f"ffmpeg did not {doing} within {timeout_s:g}s", command=command
        ) from None
    except BaseException:
        _kill(process)
        raise
    finally:
        for thread in drains:
            thread.join(5)
    stderr = b"".join(errors).decode("utf-8", "replace").strip()
    if DISK_FULL_TEXT in stderr:
        raise disk_full(writing or "a temporary file") from FfmpegError(
            stderr, command=command, stderr=stderr
        )
    if code != 0:
        if code < 0:
            tail = f"killed by signal {-code} ({_signal_name(-code)})"
        else:
            tail = stderr.splitlines()[-1] if stderr else f"exit status {code}"
        raise FfmpegError(f"ffmpeg failed to {doing}: {tail}", command=command, stderr=stderr)
    return Result(b"".join(output), stderr, fed)


def _drain(stream: object, into: list[bytes]) -> threading.Thread:
    def read() -> None:
        into.append(stream.read())  # type: ignore[attr-defined]

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.kill()
    process.wait()


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return "unknown signal"
