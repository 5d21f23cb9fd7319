"""Trimming a clip to its sound: below the engines, which judge a clip by its trimmed length.

The engines leave silence at a clip's edges (espeak-ng about 235 ms at the
end); the timeline's arithmetic needs the clip's true length, so the
speaker trims every fresh clip, and pyttsx3's engine measures a clip the
same way to tell one cut short from one merely quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..pcm import RATE_HZ

if TYPE_CHECKING:
    import numpy as np

_TRIM_THRESHOLD = 200  # about -44 dBFS
_KEEP_TAIL_S = 0.03  # a 30 ms release after the last loud sample


def trim(samples: np.ndarray, rate_hz: int = RATE_HZ) -> np.ndarray:
    """Drop the leading and trailing silence, keeping a 30 ms release."""
    import numpy as np

    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > _TRIM_THRESHOLD)
    if loud.size == 0:
        return samples[:0]
    keep = int(rate_hz * _KEEP_TAIL_S)
    return samples[loud[0] : min(samples.size, loud[-1] + 1 + keep)]
