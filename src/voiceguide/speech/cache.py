"""The clip cache on disk: WAV files named by their fingerprint (what was said and how), each
with a checksum.

Entries are written atomically and carry the sha256 of their samples in a
chunk WAV readers skip, so a damaged entry that still parses as WAV is found
and rebuilt instead of played.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import TYPE_CHECKING

from ..pcm import RATE_HZ

if TYPE_CHECKING:
    import numpy as np
# numpy, wave, tempfile and hashlib are imported where clips are read or written: a cached clip's
# length needs only its header, and the clip cache's folder (``default_cache_dir``) nothing.


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "voiceguide" / "clips"


def read_wav(path: Path, rate_hz: int = RATE_HZ) -> np.ndarray:
    """Samples of a mono 16-bit WAV, or ValueError if it is not one or is cut short."""
    import wave

    with wave.open(str(path), "rb") as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2 or w.getframerate() != rate_hz:
            raise ValueError("unexpected WAV format")
        frames = w.getnframes()
        data = w.readframes(frames)
    if len(data) != frames * 2:
        raise ValueError("truncated WAV")
    import numpy as np

    return np.frombuffer(data, dtype="<i2").copy()


_CHECK_ID = b"vgck"  # a RIFF chunk after the samples: their sha256
_CHECK_HEAD = _CHECK_ID + struct.pack("<I", 32)
_CHECK_BYTES = 8 + 32
_FMT = struct.pack("<HHIIHH", 1, 1, RATE_HZ, RATE_HZ * 2, 2, 16)  # PCM, mono, 16-bit
_FORMAT_HEAD = b"WAVE" + b"fmt " + struct.pack("<I", len(_FMT)) + _FMT + b"data"
_HEADER_BYTES = 44


def write_wav(path: Path, samples: np.ndarray) -> None:
    """Write a cache entry atomically (complete or absent), with a checksum of its samples.

    The checksum rides in a chunk of its own after the samples, where WAV
    readers skip it, so a damaged entry that still parses as WAV is found by
    ``read_cached`` and rebuilt instead of played.
    """
    import hashlib

    data = samples.astype("<i2").tobytes()
    body = (
        _FORMAT_HEAD
        + struct.pack("<I", len(data))
        + data
        + _CHECK_HEAD
        + hashlib.sha256(data).digest()
    )
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(b"RIFF" + struct.pack("<I", len(body)) + body)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cached_frames(path: Path) -> int | None:
    """How many samples a whole cache entry holds; None if it is missing or cut short.

    The entry's form as ``read_cached`` checks it, reading only its header and
    checksum chunk: `voiceguide check` times the words from the cache without
    reading the samples or loading numpy.
    """
    try:
        with path.open("rb") as fh:
            head = fh.read(_HEADER_BYTES)
            length = fh.seek(0, os.SEEK_END)
            size = _samples_bytes(head)
            if size is None:
                return None
            fh.seek(_HEADER_BYTES + size)
            check = fh.read(8)
    except OSError:
        return None
    if length != _HEADER_BYTES + size + _CHECK_BYTES or check != _CHECK_HEAD:
        return None
    # The samples' checksum is left to ``read_cached``: damage that keeps the file's size
    # keeps the clip's length, and a build that reads the clip speaks it afresh.
    return size // 2


def read_cached(path: Path) -> np.ndarray:
    """Samples of a cache entry, or ValueError if it is damaged in any way."""
    import hashlib

    import numpy as np

    raw = path.read_bytes()
    size = _samples_bytes(raw[:_HEADER_BYTES])
    if size is None:
        raise ValueError("not a clip cache entry")
    end = _HEADER_BYTES + size
    if len(raw) != end + _CHECK_BYTES or raw[end : end + 8] != _CHECK_HEAD:
        raise ValueError("no checksum")
    if hashlib.sha256(raw[_HEADER_BYTES:end]).digest() != raw[end + 8 :]:
        raise ValueError("checksum mismatch")
    return np.frombuffer(raw[_HEADER_BYTES:end], dtype="<i2").copy()


def _samples_bytes(head: bytes) -> int | None:
    """The length of the samples an entry's 44-byte header announces, if it is the header
    ``write_wav`` writes (mono, 16-bit, the clips' rate, one even-sized data chunk)."""
    if len(head) < _HEADER_BYTES or head[:40] != b"RIFF" + head[4:8] + _FORMAT_HEAD:
        return None
    size: int = struct.unpack("<I", head[40:44])[0]
    return size if size % 2 == 0 else None
