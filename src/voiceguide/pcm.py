"""The track's PCM format and loudness, and the one rule that turns milliseconds into samples.

Everything below the timeline works in samples of this format; everything
above it in milliseconds. ``sample_index`` is the only crossing, so an
hour's worth of parts placed by absolute start drifts by nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

RATE_HZ = 22_050  # mono 16-bit at 22.05 kHz: speech engines write it, 64 kb/s MP3 keeps it
SAMPLE_BYTES = 2
TARGET_LUFS = -16.0  # Apple's podcast guidance; EBU R128 for speech on phones


def sample_index(ms: int) -> int:
    """The one place milliseconds become samples."""
    return (ms * RATE_HZ + 500) // 1000


def length_ms(samples: np.ndarray, rate_hz: int = RATE_HZ) -> int:
    return round(samples.size * 1000 / rate_hz)
