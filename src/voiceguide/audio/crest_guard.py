"""Keep the limiter from crushing a sentence: it takes at most a few dB off its crest.

A sentence's crest here is its peak over the RMS of the louder half of its
20 ms frames: how far its loudest instants stand over its speech. A peak
limiter brings the peak down and the speech around it hardly, so the crest
falls by about what it cuts, and a sentence that loses too much of it
sounds squashed. Piper's sentences stand further over their loudness than
espeak-ng's (16 dB over their loud half in the median, up to 19.5): at
-16 LUFS the limiter took up to 8 dB off their crest.

The guard lowers such a sentence as a whole, by just enough that the
limiter takes ``most_db`` off its crest and no more. Lowering a sentence
keeps its crest whole; the limiter would take its loudness along with its
peaks anyway, so after the limiter the sentences the guard lowers are not
much quieter than the limiter alone would have left them (the bench shows
the spread: ``scripts/bench --speech``).

What the limiter takes off a clip's crest depends only on the gain the clip
reaches it at, not on the rest of the track, so each clip's guard (the most
gain it takes before its crest would lose more than ``most_db``) is found
once, by bisection, for all clips at once; the gain search then tries the
track's gains with the guard inside the limiter (``Limiter.clip_scales``).
It is worked out on the limiter's 16-sample blocks (each one's energy and
sample peak, frames of 28 blocks) rather than on samples: sixteen times less
work, close to the figure taken sample by sample (tests hold it to that).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .limiter import BLOCK, Limiter

FRAME_BLOCKS = 28  # a frame of the loud-half RMS: 448 samples, 20.3 ms at 22,050 Hz
_SPAN_DB = 30.0  # the guard is looked for up to this much peak cut over the limit
_STEPS = 10  # bisection steps: 30 dB / 2**10, 0.03 dB (a guard at most that far under)
SETTINGS = f"crest guard 1: {FRAME_BLOCKS} {_SPAN_DB} {_STEPS}"  # in the level cache's fingerprint


@dataclass(frozen=True)
class ClipBlocks:
    """One clip as its crest is measured: per 16-sample block, its energy and sample peak."""

    energy: np.ndarray  # float64: the sum of the block's squared samples
    peak: np.ndarray  # float32: its largest sample magnitude
    frames: int  # whole frames of FRAME_BLOCKS blocks in the clip

    @classmethod
    def of(cls, clip: np.ndarray) -> ClipBlocks:
        n = -(-clip.size // BLOCK)
        flat = np.zeros(n * BLOCK, dtype=np.float32)
        flat[: clip.size] = clip
        rows = flat.reshape(n, BLOCK)
        energy = np.einsum("ij,ij->i", rows, rows, dtype=np.float64)
        peak = np.abs(rows).max(axis=1) if n else np.zeros(0, dtype=np.float32)
        return cls(energy, peak, clip.size // (FRAME_BLOCKS * BLOCK))


@dataclass(frozen=True)
class Blocks:
    """Clips' blocks laid out as ``limiter`` lays out their blocks, to measure them at once."""

    energy: np.ndarray  # per laid-out block (0 between clips)
    peak: np.ndarray
    bounds: np.ndarray  # each frame's first block and the block after it, in turn
    frame_clip: np.ndarray  # each frame's clip
    frame_counts: np.ndarray  # per clip: its whole frames
    offsets: np.ndarray  # per clip: its first block
    raw_db: np.ndarray = field(init=False)  # per clip: its crest as it is (nan: none)

    def __post_init__(self) -> None:
        object.__setattr__(self, "raw_db", _crest_db(self, np.ones_like(self.energy)))

    @classmethod
    def of(cls, clips: Sequence[ClipBlocks], limiter: Limiter) -> Blocks:
        size = limiter.room.size
        energy = np.zeros(size, dtype=np.float64)
        peak = np.zeros(size, dtype=np.float32)
        bounds, owners = [], []
        for index, (clip, offset) in enumerate(zip(clips, limiter.offsets, strict=True)):
            energy[offset : offset + clip.energy.size] = clip.energy
            peak[offset : offset + clip.peak.size] = clip.peak
            starts = offset + FRAME_BLOCKS * np.arange(clip.frames)
            bounds.append(np.stack([starts, starts + FRAME_BLOCKS], axis=1).ravel())
            owners.append(np.full(clip.frames, index))
        return cls(
            energy,
            peak,
            np.concatenate([np.zeros(0), *bounds]).astype(np.intp),
            np.concatenate([np.zeros(0), *owners]).astype(np.intp),
            np.array([c.frames for c in clips], dtype=np.intp),
            np.asarray(limiter.offsets, dtype=np.intp),
        )


def crest_cuts_db(b: Blocks, gains: np.ndarray) -> np.ndarray:
    """Per clip, what gains (per laid-out block) take off its crest, in dB (nan: a clip
    of fewer than two frames has no crest)."""
    return b.raw_db - _crest_db(b, gains)


def _crest_db(b: Blocks, gains: np.ndarray) -> np.ndarray:
    clips = b.frame_counts.size
    out = np.full(clips, np.nan)
    if b.bounds.size == 0:
        return out
    top = np.maximum.reduceat(b.peak * gains, b.offsets)
    frame = np.add.reduceat(b.energy * np.square(gains), b.bounds)[::2]
    # the louder half of each clip's frames: sorted within their clip, those from the middle up
    order = np.lexsort((frame, b.frame_clip))
    ranked = np.concatenate(([0.0], np.cumsum(frame[order])))
    first = np.concatenate(([0], np.cumsum(b.frame_counts)[:-1]))
    n = b.frame_counts
    loud = ranked[first + n] - ranked[first + n // 2]
    some = (n >= 2) & (loud > 0) & (top > 0)
    mean = loud[some] / (n - n // 2)[some] / (FRAME_BLOCKS * BLOCK)
    out[some] = 20 * np.log10(top[some]) - 10 * np.log10(mean)
    return out


def guards(clips: Sequence[ClipBlocks], limiter: Limiter, most_db: float) -> np.ndarray:
    """Per clip, the most gain it may reach the limiter at before the limiter would take
    more than ``most_db`` off its crest (inf: it never would, with its highest peak up to 30 dB over that)."""
    count = len(limiter.sizes)
    least = np.array(
        [float(limiter.clip_gains(limiter.room, i).min(initial=np.inf)) for i in range(count)]
    )  # the gain at which each clip's highest peak touches its ceiling
    guard = np.full(count, np.inf)
    # the crest never loses more than the peak does: at most_db over, it is within the limit;
    # first, once over all clips, which lose more even at the top of the span
    top = _cuts(Blocks.of(clips, limiter), limiter, least, most_db + _SPAN_DB)
    some = np.flatnonzero(np.isfinite(least) & (top > most_db))
    if some.size == 0:
        return guard
    sub = limiter.subset(some.tolist())
    seen = Blocks.of([clips[i] for i in some.tolist()], sub)

    def excess(over_db: np.ndarray) -> np.ndarray:
        return _cuts(seen, sub, least[some], over_db) - most_db

    # bisection: the excess is not smooth enough for regula falsi to be faster (measured)
    lo, hi = np.full(some.size, most_db), np.full(some.size, most_db + _SPAN_DB)
    for _ in range(_STEPS):
        mid = (lo + hi) / 2
        over = excess(mid) > 0
        lo, hi = np.where(over, lo, mid), np.where(over, mid, hi)
    guard[some] = least[some] * 10 ** (lo / 20)
    return guard


def _cuts(
    b: Blocks, limiter: Limiter, least: np.ndarray, over_db: np.ndarray | float
) -> np.ndarray:
    """Per clip, its crest's cut with its highest peak ``over_db`` over its ceiling."""
    gain = np.where(np.isfinite(least), least, 1.0) * 10 ** (np.asarray(over_db) / 20)
    return crest_cuts_db(b, limiter.peak_gains(limiter.per_block(gain).astype(np.float32)))


def capped(
    clips: Sequence[ClipBlocks], limiter: Limiter, gain: float, most_db: float
) -> np.ndarray:
    """The limiter's guard raised where it would leave a clip more than ``most_db`` quieter
    than the limiter alone at ``gain``: there the crest is one transient, a click, that the
    limiter takes alone better than a sentence lowered until it is hard to hear. Quieter by
    the clip's energy: the guard's gain is slow, so it moves loudness as it moves energy."""
    guard = limiter.guard.copy()
    lowered = np.flatnonzero(limiter.clip_scales(gain) < 1)
    if lowered.size == 0:
        return guard
    sub = limiter.subset(lowered.tolist())
    energy = Blocks.of([clips[i] for i in lowered.tolist()], sub).energy

    def energies(held: Limiter) -> np.ndarray:
        return np.add.reduceat(energy * np.square(held.gains(gain)), held.offsets)

    alone = energies(sub.guarded(np.full(lowered.size, np.inf)))

    def costs(held: Limiter) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            cost = 10 * np.log10(alone / energies(held))
        return np.where(np.isfinite(cost), cost, 0.0)

    over = costs(sub) > most_db
    if not over.any():
        return guard
    lo, hi = np.log(sub.guard[over]), np.full(int(over.sum()), np.log(gain))
    trial = sub.guard.copy()
    for _ in range(_STEPS):
        mid = (lo + hi) / 2
        trial[over] = np.exp(mid)
        too_quiet = costs(sub.guarded(trial))[over] > most_db
        lo, hi = np.where(too_quiet, mid, lo), np.where(too_quiet, hi, mid)
    guard[lowered[over]] = np.exp(hi)
    return guard
