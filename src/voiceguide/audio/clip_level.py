"""One loudness for every sentence, before the track's gain and limiter.

Piper's sentences vary more in loudness than espeak's (about ±3 LU around
their median on the child routine, against ±2 LU), and with its own
per-sentence normalisation off they vary with what is said. A listener
hears that as a voice that comes and goes, so every clip is first brought
to the median clip's loudness (EBU R128, gated, on the clip's own
K-weighted samples); the track's gain search and limiter then work on
clips that already agree.

One exception, within the ±1 LU the clips may differ by: a sentence whose
peaks stand highest over its loudness has them cut hardest by the limiter
(the peak of one plosive, and the sentence loses its crest). The clips
whose peaks stand highest over their ceiling (lower where a bell still
rings) are eased down by up to a decibel (``eased_db``), and never by more
than the limiter would take off them, so the limiter takes less off their
peaks; after it, they are about as loud as it would have left them.

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
# The most a clip is eased under the others' loudness (the spread the clips may have), on top
# of MAX_CLIP_DB. On the four routines at -1.4 dBFS, 1 dB took 0.3 to 0.5 dB less off the
# most-cut sentence's crest with espeak-ng, 0 to 0.4 with Piper (scripts/bench --speech),
# with no wider spread after the limiter.
EASE_DB = 1.0
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


def clip_tops(peaks: np.ndarray, blocks: Sequence[int]) -> np.ndarray:
    """Each clip's highest block peak, from block peaks laid end to end."""
    if not blocks:
        return np.zeros(0, dtype=np.float32)
    sizes = np.asarray(blocks)
    tops = np.zeros(sizes.size, dtype=np.float32)  # an empty clip: 0
    some = sizes > 0
    if some.any():
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
        tops[some] = np.maximum.reduceat(peaks, starts[some])
    return tops


def eased_db(
    tops: np.ndarray, ceilings: Sequence[float], ease_db: float | None = None
) -> np.ndarray:
    """Per clip, how far under the others it goes: the clip whose highest peak stands furthest
    over its ceiling (at about the track's gain) by ``ease_db``, those within ``ease_db`` of
    it by what they are within, the rest not at all; and never by more than its peak is over
    the ceiling, so a track quiet enough for the limiter to cut nothing is left as it is.
    Peaks the limiter would cut hardest are cut less, and the clips still differ by at most
    ``ease_db``."""
    ease_db = EASE_DB if ease_db is None else ease_db
    if tops.size == 0:
        return np.zeros(0)
    over = 20 * np.log10(np.maximum(tops, 1.0) / np.asarray(ceilings, dtype=np.float64))
    return np.clip(np.minimum(over - (float(over.max()) - ease_db), over), 0.0, ease_db)
