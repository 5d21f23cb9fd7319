"""The app icon: the page's green disc with a white "play" triangle, as a PNG made here.

A phone's home screen wants a square bitmap (a web app manifest's icon, Safari's
``apple-touch-icon``); it travels as a data: URL, so the folder holds no image file
and the page stays one file. Drawn with a little supersampling so the edges are soft.
"""

from __future__ import annotations

import base64
import functools
import struct
import zlib

BACKGROUND = (0x1F, 0x6F, 0x5F)
FOREGROUND = (0xFF, 0xFF, 0xFF)
_SAMPLES = 4  # sub-rows per pixel row; across a row the coverage is exact
# A play triangle pointing right, a little right of the middle (in the unit square).
_LEFT, _RIGHT, _TOP, _BOTTOM = 0.38, 0.72, 0.28, 0.72


def _span(y: float) -> tuple[float, float]:
    """Where the triangle lies across the row at height ``y``: (from, to), empty if from >= to."""
    half = (_BOTTOM - _TOP) / 2
    return _LEFT, _RIGHT - abs(y - 0.5) * (_RIGHT - _LEFT) / half


def png(size: int = 192) -> bytes:
    """The icon as PNG bytes, ``size`` pixels square (the disc fills it: a "maskable" icon)."""
    shades = [
        bytes(round(b + (f - b) * level / 255) for b, f in zip(BACKGROUND, FOREGROUND, strict=True))
        for level in range(256)
    ]
    rows = bytearray()
    for j in range(size):
        cover = [0.0] * size
        for sub in range(_SAMPLES):
            begin, end = (v * size for v in _span((j + (sub + 0.5) / _SAMPLES) / size))
            for i in range(max(0, int(begin)), min(size, int(end) + 1)):
                cover[i] += max(0.0, min(end, i + 1) - max(begin, i)) / _SAMPLES
        rows.append(0)  # filter: none
        rows += b"".join(shades[round(min(share, 1.0) * 255)] for share in cover)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


@functools.cache
def data_url(size: int = 192) -> str:
    """The icon as a data: URL (made once a process)."""
    return "data:image/png;base64," + base64.b64encode(png(size)).decode("ascii")
