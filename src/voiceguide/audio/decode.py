"""Audio files to the track's format, by ffmpeg: a user's own sounds and ambient beds."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import ffmpeg
from ..pcm import RATE_HZ


def decode(path: Path, *, rate_hz: int = RATE_HZ) -> np.ndarray:
    """Mono 16-bit samples at ``rate_hz``; ``FfmpegError`` if ffmpeg cannot read it.

    A routine's sound may come from a stranger: ffmpeg opens local files only (a playlist
    saved as ``bell.wav`` cannot make it fetch a URL)."""
    args = [
        "-hide_banner", "-nostdin", "-loglevel", "error", "-protocol_whitelist", "file",
        "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", str(rate_hz), "pipe:1",
    ]  # fmt: skip
    result = ffmpeg.run(args, doing=f"decode {path}", capture=True)
    return np.frombuffer(result.stdout, dtype="<i2").copy()
