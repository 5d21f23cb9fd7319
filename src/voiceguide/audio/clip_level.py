"""One loudness for every sentence, before the track's gain and limiter.

Piper's sentences vary more in loudness than espeak's (about ±3 LU around
their median on the child routine, against ±2 LU), and with its own
per-sentence normalisation off they vary with what is said. A listener
hears that as a voice that comes and goes, so every clip is first brought
to the median clip's loudness (EBU R128, gated, on the clip's own
K-weighted samples); the track's gain search and limiter then work on
clips that already agree.

A sentence whose peaks stand far over its loudness is not set lower here:
the limiter's guard (``crest_guard``) lowers it, as far as the track's gain
makes it need, so that the limiter does not crush it.

Gain is linear, so the clips are not filtered again: their K-weighted
signal and block peaks, found once for the gain search, are scaled.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from ..pcm import RATE_HZ
from .meter import db_to_gain, gated

MAX_CLIP_DB = 12.0  # a clip is never moved more than this (a whisper stays a whisper)
_FULL_SCALE = 32768.0


def clip_loudness(weighted: np.ndarray, size: int, rate: int = RATE_HZ) -> float:
    """A clip's integrated loudness from its K-weighted samples (first ``size`` of them).

    A clip shorter than one 400 ms block has no gated loudness: its mean
    K-weighted power stands in.
    """
    x = weighted[:size]
    sub = rate // 10
    rows = x[: x.size // sub * sub].reshape(-1, sub)
    energies = np.einsum("ij,ij->i", rows, rows, dtype=np.float64)
    lufs = gated(energies, rate)
    if math.isfinite(lufs) or x.size == 0:
        return lufs
    power = float(np.mean(np.square(x, dtype=np.float64))) / _FULL_SCALE**2
    return -0.691 + 10 * math.log10(power) if power > 0 else float("-inf")


def clip_gains_db(texts: Sequence[str], loudness: Mapping[str, float]) -> np.ndarray:
    """Per clip (in ``texts`` order), the gain that brings it to the median clip's loudness."""
    known = [loudness[t] for t in texts if math.isfinite(loudness[t])]
    if not known:
        return np.zeros(len(texts))
    middle = float(np.median(known))
    return np.array(
        [
            float(np.clip(middle - loudness[t], -MAX_CLIP_DB, MAX_CLIP_DB))
            if math.isfinite(loudness[t])
            else 0.0
            for t in texts
        ]
    )


def scale_blocks(peaks: np.ndarray, blocks: Sequence[int], gains_db: np.ndarray) -> np.ndarray:
    """Clips' block peaks, laid end to end, each clip's scaled by its gain."""
    factors = np.repeat(np.array([db_to_gain(g) for g in gains_db], dtype=np.float32), blocks)
    return (peaks * factors).astype(np.float32)
