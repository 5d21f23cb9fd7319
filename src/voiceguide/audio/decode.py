"""Audio files to the track's format, by ffmpeg: a user's own sounds and ambient beds."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import ffmpeg
from ..errors import FfmpegError
from ..pcm import RATE_HZ

# ffmpeg's demuxers for ordinary audio files. A playlist (concat, HLS) or a list of images is
# no audio file: named as a sound, it could make ffmpeg read other files, hours of them.
FORMATS = "wav,w64,flac,mp3,ogg,aiff,mov,matroska,aac,caf,wv"  # mov: M4A; matroska: WebM
ACCEPTED = "WAV, FLAC, MP3, Ogg (Vorbis, Opus), M4A, WebM, AIFF, AAC, CAF or WavPack"


def decode(path: Path, *, rate_hz: int = RATE_HZ, max_ms: int | None = None) -> np.ndarray:
    """Mono 16-bit samples at ``rate_hz``; ``FfmpegError`` if ffmpeg cannot read it.

    A routine's sound may come from a stranger: ffmpeg opens local files only (a playlist
    saved as ``bell.wav`` cannot make it fetch a URL), of the ``FORMATS`` only, and reads
    no more than the first ``max_ms`` of it (a few MB of FLAC can hold hours of silence,
    gigabytes once decoded)."""
    bound = [] if max_ms is None else ["-t", f"{max_ms / 1000:.3f}"]
    args = [
        "-hide_banner", "-nostdin", "-loglevel", "error", "-protocol_whitelist", "file",
        "-format_whitelist", FORMATS, *bound,
        "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", str(rate_hz), "pipe:1",
    ]  # fmt: skip
    try:
        result = ffmpeg.run(args, doing=f"decode {path}", capture=True)
    except FfmpegError as exc:
        if "not on whitelist" in (exc.stderr or ""):
            raise FfmpegError(
                f"not a kind of audio file voiceguide reads; use {ACCEPTED}",
                command=exc.command,
                stderr=exc.stderr,
            ) from None
        raise
    samples = np.frombuffer(result.stdout, dtype="<i2")
    return (samples if max_ms is None else samples[: rate_hz * max_ms // 1000]).copy()
