"""The one place ffmpeg runs: encode a PCM stream to MP3, decode audio to PCM.

The MP3 is written to a seekable file, never a pipe: only then does ffmpeg
go back and write the LAME/Info header, which tells decoders to drop the
encoder delay so chimes decode at their exact times. stderr is drained on a
thread (a full pipe would stall ffmpeg) and kept for the error message.

ffmpeg runs in a process group of its own, so a Ctrl-C at the terminal
reaches voiceguide alone, which kills ffmpeg and removes the unfinished file
rather than have ffmpeg close it as if it were complete.
"""

from __future__ import annotations

import logging
import shlex
import signal
import subprocess
import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .engines import ffmpeg_exe
from .errors import DiskFullError, FfmpegError
from .mp3join import state_length
from .speech import RATE_HZ

log = logging.getLogger(__name__)
MP3_BITRATE = "64k"


def encode_mp3(
    blocks: Iterable[bytes], target: Path, *, bitrate: str = MP3_BITRATE, timeout_s: float = 600
) -> None:
    """Encode mono 16-bit PCM at RATE_HZ from ``blocks`` into ``target`` (overwritten).

    The Info tag is then made to state the padding exactly (``state_length``),
    so the file decodes to exactly the samples it was fed.
    """
    command = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-f", "s16le", "-ar", str(RATE_HZ), "-ac", "1", "-i", "pipe:0",
        "-c:a", "libmp3lame", "-b:a", bitrate, "-id3v2_version", "0", "-write_xing", "1",
        "-f", "mp3", str(target),
    ]  # fmt: skip
    log.debug("running %s", shlex.join(command))
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            process_group=0,
        )
    except OSError as exc:
        raise FfmpegError(
            f"ffmpeg could not be started ({exc.strerror}: {command[0]})", command=command
        ) from exc
    errors: list[bytes] = []
    drain = threading.Thread(target=lambda: errors.append(process.stderr.read()), daemon=True)  # type: ignore[union-attr]
    drain.start()
    assert process.stdin is not None
    fed = 0
    try:
        for block in blocks:
            process.stdin.write(block)
            fed += len(block)
        process.stdin.close()
        code = process.wait(timeout=timeout_s)
    except BrokenPipeError:
        code = process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise FfmpegError(f"ffmpeg did not finish within {timeout_s:g}s", command=command) from None
    except BaseException:
        process.kill()
        process.wait()
        raise
    finally:
        drain.join(5)
    if code != 0:
        stderr = b"".join(errors).decode("utf-8", "replace").strip()
        if "No space left on device" in stderr:
            raise DiskFullError(
                f"no space left on the disk writing {target}", command=command, stderr=stderr
            )
        if code < 0:
            tail = f"killed by signal {-code} ({_signal_name(-code)})"
        else:
            tail = stderr.splitlines()[-1] if stderr else f"exit status {code}"
        raise FfmpegError(
            f"ffmpeg failed to encode the MP3: {tail}", command=command, stderr=stderr
        )
    state_length(target, fed // 2)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return "unknown signal"


def decode(path: Path, *, rate: int = RATE_HZ) -> np.ndarray:
    """Any audio file as mono 16-bit samples at ``rate`` (for user sounds and for measuring)."""
    command = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error",
        "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", str(rate), "pipe:1",
    ]  # fmt: skip
    try:
        result = subprocess.run(command, capture_output=True, timeout=600, check=False)
    except OSError as exc:
        raise FfmpegError(
            f"ffmpeg could not be started ({exc.strerror}: {command[0]})", command=command
        ) from exc
    except subprocess.TimeoutExpired:
        raise FfmpegError(f"ffmpeg did not finish decoding {path}", command=command) from None
    if result.returncode != 0:
        stderr = result.stderr.decode("utf-8", "replace").strip()
        raise FfmpegError(
            f"ffmpeg could not decode {path}: {stderr.splitlines()[-1] if stderr else ''}",
            command=command,
            stderr=stderr,
        )
    return np.frombuffer(result.stdout, dtype="<i2").copy()
