"""Audio files to the track's format: any file by ffmpeg (a user's own sounds and ambient
beds); our own MP3 pieces in this process, by libsndfile's mpg123, when it can."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import ffmpeg
from ..pcm import RATE_HZ


def decode(path: Path, *, rate_hz: int = RATE_HZ) -> np.ndarray:
    """Mono 16-bit samples at ``rate_hz``; ``FfmpegError`` if ffmpeg cannot read it."""
    args = [
        "-hide_banner", "-nostdin", "-loglevel", "error",
        "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", str(rate_hz), "pipe:1",
    ]  # fmt: skip
    result = ffmpeg.run(args, doing=f"decode {path}", capture=True)
    return np.frombuffer(result.stdout, dtype="<i2").copy()


def decode_mp3(path: Path) -> np.ndarray:
    """An MP3 voiceguide wrote, as mono 16-bit samples: the samples ``decode`` gives.

    The true-peak check decodes every piece of every build, and an ffmpeg
    process per piece cost more than the decoding (38 pieces of an hour's
    routine: 3.8 s of ffmpeg against 0.6 s in process). libsndfile (1.1 and
    later, as soundfile's wheels bundle it) decodes MP3 with mpg123, gapless
    by the LAME tag as ffmpeg is; measured on a 79-minute track, the same
    length and samples within 1 (rounding). Where soundfile cannot read MP3
    (an older system libsndfile), ffmpeg does it. The file is read in one
    call: read a chunk at a time, libmpg123 prints "part2_3_length too large"
    on the process's stderr (the same samples; the messages would reach the user).
    """
    try:
        import soundfile

        samples, _ = soundfile.read(str(path), dtype="int16", always_2d=True)
    except (ImportError, OSError, RuntimeError):  # no soundfile or libsndfile, or no MP3 in it
        return decode(path)
    return np.ascontiguousarray(samples[:, 0])
