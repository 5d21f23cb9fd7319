"""A look-ahead true-peak limiter that decides one gain per block of samples.

espeak peaks near full scale, so the gain levelling gives it would clip.
The limiter holds each block's needed gain over a window on both sides and
ramps between block centres, so no peak (found between samples too, see
``meter``) exceeds the ceiling and the gain moves in smooth ramps.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence

import numpy as np

from ..pcm import RATE_HZ
from .meter import analyse

LIMIT_WINDOW_MS = 8  # look-ahead and hold; the gain ramps over as long again
BLOCK = 16  # samples: the limiter decides one gain per block, the samples between are ramped
_HOLD = math.ceil(RATE_HZ * LIMIT_WINDOW_MS / 1000 / BLOCK)  # blocks held each side of a peak
_SMOOTH = _HOLD - 1  # blocks averaged on each side: one fewer, so a ramp never reaches a peak
_SEPARATOR = _HOLD + _SMOOTH  # blocks of unity between clips laid end to end


# ---------------------------------------------------------------- the limiter


def limit(x: np.ndarray, ceiling: float) -> np.ndarray:
    """Look-ahead true-peak limiter: no peak above ``ceiling``, gain ramps instead of steps.

    Peaks are found between samples too (4x oversampled), since that is what
    a true-peak meter and an MP3 decoder see. See ``Limiter`` for how the
    gain is held and ramped.
    """
    x = np.asarray(x, dtype=np.float32)
    if x.size == 0:
        return x
    _, magnitude = analyse(x, k_weight=False, peaks=True)
    assert magnitude is not None
    peaks = block_peaks(magnitude)
    if float(peaks.max()) <= ceiling:
        return x
    limiter = Limiter([peaks], [ceiling])
    return x * limiter.curve(limiter.gains(1.0), 0, x.size)


def block_peaks(magnitude: np.ndarray) -> np.ndarray:
    """Per block of BLOCK samples, the largest true magnitude in it or just before it.

    A sample's magnitude covers it and the three quarter-points after it, so
    the block also takes the last one of the block before: then every point
    between two samples is covered by the blocks on both sides of it.
    """
    blocks = -(-magnitude.size // BLOCK)
    if magnitude.size % BLOCK:
        magnitude = np.concatenate((magnitude, np.zeros(blocks * BLOCK - magnitude.size)))
    rows = magnitude.astype(np.float32, copy=False).reshape(blocks, BLOCK)
    top = rows
    while top.shape[1] > 1:  # halving: three times faster than max(axis=1) along short rows
        half = top.shape[1] // 2
        top = np.maximum(top[:, :half], top[:, half:])
    peaks = top[:, 0].copy()
    np.maximum(peaks[1:], rows[:-1, -1], out=peaks[1:])
    return peaks


class Limiter:
    """The gain per block of many clips at once, at any overall gain.

    The clips' blocks are laid end to end with unity between them. At a
    block, the gain needed is ceiling / (gain * peak), at most 1; it is held
    (a running minimum) over ``_HOLD`` blocks on both sides (8 ms, rounded
    up to whole blocks), then averaged over ``_SMOOTH`` blocks on both
    sides. Each held value
    in that average covers the block and both its neighbours, so the
    average at a block, and each straight line to its neighbours' averages
    (``curve``), is at most what the block needs: nothing exceeds the
    ceiling, and the gain moves in ramps that add little distortion for the
    MP3 encoder to spread. Costs a few operations per 16 samples, so the
    gain search can try it many times.
    """

    def __init__(self, peaks: Sequence[np.ndarray], ceilings: Sequence[float | np.ndarray]) -> None:
        """``ceilings``: per clip, one, or one per block of it."""
        self._lay_out(
            [
                np.float32(c) / np.maximum(p, np.float32(1e-9))
                for p, c in zip(peaks, ceilings, strict=True)
            ]
        )

    def _lay_out(self, rooms: Sequence[np.ndarray]) -> None:
        sizes = [r.size for r in rooms]
        ends = np.cumsum([0] + [s + _SEPARATOR for s in sizes])
        self.offsets = _SEPARATOR + ends[:-1]
        self.sizes = sizes
        room = np.full(sum(sizes) + _SEPARATOR * (len(sizes) + 1), np.inf, dtype=np.float32)
        owner = np.full(room.size, len(sizes), dtype=np.int32)  # a separator: past the clips
        for index, (offset, r) in enumerate(zip(self.offsets, rooms, strict=True)):
            room[offset : offset + r.size] = r
            owner[offset : offset + r.size] = index
        self.room = room  # the gain at which each block would touch its ceiling
        self.owner = owner  # each block's clip
        # per clip, the most gain it takes before the guard lowers it as a whole (inf: none)
        self.guard = np.full(len(sizes), np.inf, dtype=np.float64)

    def subset(self, indices: Sequence[int]) -> Limiter:
        """A limiter over some of the clips only (in ``indices`` order), with their guards:
        no clip's gain reaches another's, so each is limited as it is here."""
        other = copy.copy(self)
        other._lay_out([self.clip_gains(self.room, i) for i in indices])
        other.guard = self.guard[np.asarray(indices, dtype=np.intp)]
        return other

    def guarded(self, guard: np.ndarray) -> Limiter:
        """The same clips with another guard: per clip, the gain over which the clip is
        lowered as a whole rather than have its peaks cut more (see ``crest_guard``)."""
        other = copy.copy(self)
        other.guard = np.asarray(guard, dtype=np.float64)
        return other

    def clip_scales(self, gain: float) -> np.ndarray:
        """Per clip, what the guard lowers it by at ``gain``: 1 below its guard, then what
        keeps the clip at its guard however high the gain goes."""
        return np.minimum(1.0, self.guard / gain).astype(np.float32)

    def gains(self, gain: float) -> np.ndarray:
        """Per laid-out block, the limiter's gain (1 where nothing is near the ceiling): the
        guard's per clip (``clip_scales``) times the peak limiter's per block."""
        scale = self.per_block(self.clip_scales(gain))
        return self.peak_gains(np.float32(gain) * scale) * scale

    def per_block(self, per_clip: np.ndarray) -> np.ndarray:
        """A value per clip spread over its laid-out blocks, 1 between clips."""
        return np.append(per_clip, per_clip.dtype.type(1))[self.owner]

    def peak_gains(self, gain: np.ndarray | float) -> np.ndarray:
        """The peak limiter alone, at a gain per laid-out block (or one for all)."""
        need = np.minimum(np.float32(1), self.room / gain)
        held = _running_min(need, 2 * _HOLD + 1)
        sums = np.concatenate(([0.0], np.cumsum(held, dtype=np.float64)))
        width = 2 * _SMOOTH + 1
        smooth = (sums[width:] - sums[:-width]) / width
        # smooth[i] belongs to block i + _SEPARATOR; pad so indices are the layout's
        return np.minimum(1.0, np.pad(smooth, _SEPARATOR, constant_values=1.0))

    def clip_gains(self, gains: np.ndarray, index: int) -> np.ndarray:
        offset = int(self.offsets[index])
        return gains[offset : offset + self.sizes[index]]

    def curve(self, gains: np.ndarray, index: int, samples: int) -> np.ndarray:
        """A clip's per-sample gain: straight lines between the centres of its blocks."""
        return ramp(self.clip_gains(gains, index).astype(np.float32), 0, samples)


def ramp(gains: np.ndarray, begin: int, end: int) -> np.ndarray:
    """Samples [begin, end) of the gain curve through ``gains`` (one per BLOCK samples):
    straight lines between the blocks' centres, flat before the first and after the last.
    Any span of it can be drawn alone (the true-peak check draws it as it is rendered)."""
    s = np.arange(begin, end) + BLOCK // 2
    k = s // BLOCK
    last = gains.size - 1
    a = gains[np.clip(k - 1, 0, last)]
    b = gains[np.clip(k, 0, last)]
    return a + (b - a) * ((s % BLOCK).astype(np.float32) + np.float32(0.5)) / np.float32(BLOCK)


def _running_min(x: np.ndarray, k: int) -> np.ndarray:
    """out[i] = min(x[i : i + k]), by doubling: log2(k) whole-array minimums.

    After the loop ``m[i]`` is the minimum of a window of ``width``; two such
    windows, at the start and at the end, cover one of ``k``.
    """
    m, width = x, 1
    while 2 * width <= k:
        m = np.minimum(m[:-width], m[width:])
        width *= 2
    count = x.size - k + 1
    return np.minimum(m[:count], m[k - width : k - width + count])
