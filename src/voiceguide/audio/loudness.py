"""Bring the track to a loudness target without a second pass over it.

The track is speech over silence, and loudness gating (EBU R128) ignores
silence, so the finished track measures what its words and bells measure.
Instead of normalizing the whole mix afterwards, every clip is first brought
to one loudness (``clip_level``: the engines' sentences differ), then gets one gain and
a look-ahead true-peak limiter (espeak peaks near full scale, so gain alone
would clip), and the gain is searched for until the track, as placed, meets
the target. The limiter's guard (``crest_guard``) lowers whole the sentences
it would otherwise crush. Sounds are scaled to sit a few LU under the voice.

The search costs milliseconds per try, not an ffmpeg process and a pass
over every sample: one round of FFTs over the clips gives each clip's true
peak per 16-sample block and its K-weighted signal; the limiter decides its
gain per block; and the loudness of the track at a given gain is a weighted
sum, per 16-sample block, of K-weighted energies taken once. ffmpeg's
``ebur128`` (``measure``) stays the reference the tests hold this meter to.
The gain found and the block peaks are cached by the clips' content, so a
warm build measures nothing.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..pcm import RATE_HZ, TARGET_LUFS
from . import crest_guard, level_cache
from .clip_level import clip_gains_db, clip_loudness, scale_blocks
from .events import AudioEvent
from .gain_search import TOLERANCE_LU, TrackMeter
from .level_cache import Level
from .limiter import BLOCK, Limiter, block_peaks, limit
from .meter import (
    HALF_TAPS,
    Frames,
    Loudness,
    analyse,
    db_to_gain,
    filter_frames,
    integrated_lufs,
    k_kernel,
    measure,
    measure_file,
)

__all__ = [
    "TARGET_LUFS", "Leveled", "Loudness", "db_to_gain", "integrated_lufs", "level", "limit",
    "measure", "measure_file",
]  # fmt: skip

MP3_LOSS_LU = 0.4  # 64 kb/s MP3 measures this much quieter than its PCM
# Speech's true peaks after the limiter: near the -1 dBTP limit, as the MP3 at LAME's quality
# 7 (mp3.encode) does not lift them at the default target (over the four routines' pieces,
# both voices, at most 0.04 dB over their PCM, 0.35 dB under in the median). What goes over,
# at a louder target, is taken off where the file is made (mp3.true_peak). A ceiling of -1.8
# would take 0.4 to 0.6 dB more off the sentences' peaks.
CEILING_DBFS = -1.4
# The most the limiter takes off a sentence's crest (its peak over its loud half's RMS, see
# crest_guard); a sentence that would lose more is lowered as a whole instead. 5.9 holds the
# sentences to 6 dB: the guard works on blocks, within 0.03 dB of the samples' figure on the
# four routines. Where the track cannot reach its target that way (a loud --loudness), the
# next is tried, then the limiter alone.
MAX_CREST_CUTS_DB = (5.9, 9.0, 12.0)
# ... unless the track would need this much more gain than with the limiter alone: the
# sentences not held would pay for it, cut that much harder at their peaks (short words keep
# their crest under heavy limiting, so the crest does not show it). At -16 LUFS the guard
# raised the gain by 0.0 to 0.1 dB with espeak-ng, 0.5 to 1.5 dB with Piper.
MAX_GAIN_OVER_DB = 2.0
# ... and unless that would leave a sentence more than this much quieter (by its energy) than
# the limiter alone would: there its crest is one transient, a click, and the limiter takes
# it. At -16 LUFS the guard left no sentence of the four routines more than 2.7 LU quieter.
MAX_QUIETER_DB = 3.5
SOUND_CEILING_DBFS = -8.0  # a bell never peaks above this
SOUND_UNDER_LU = {"step": 5.0, "reminder": 7.0, "end": 4.0}  # bells a few LU under the voice

_VERSION = b"level 7"  # in the fingerprint: gains found by another limiter do not carry over

# ------------------------------------------------------------------ levelling


@dataclass(frozen=True)
class Leveled:
    clips: dict[str, np.ndarray]  # float32, int16 scale, gain and limiter applied
    sounds: dict[str, np.ndarray]
    measured_lufs: float  # what the track's PCM measures by this meter (nan: gain from the cache)
    clip_db: dict[str, float]  # each clip's own gain, bringing it to the others' loudness
    lowered_db: dict[str, float]  # what the limiter's guard lowers each clip by (crest_guard)


_CACHE: dict[str, Level] = {}


def level(
    events: Sequence[AudioEvent],
    clips: Mapping[str, np.ndarray],
    sounds: Mapping[str, np.ndarray],
    *,
    target: float = TARGET_LUFS,
    cache_dir: Path | None = None,
) -> Leveled:
    """Gain plus limiter on every clip, sounds a few LU under, so the track meets ``target``.

    What is measured is the track itself, cue by cue where it is placed:
    the silence between gates itself out, so only the words and bells cost
    anything, however long the track. A gain found before (in this process
    or in ``cache_dir``) is used as it is, with the clips' block peaks if
    they were stored: then nothing is measured at all.
    """
    ceiling = 32767 * db_to_gain(CEILING_DBFS)
    fingerprint = _fingerprint(events, clips, sounds, target)
    if fingerprint not in _CACHE and cache_dir is not None:
        stored = level_cache.load(cache_dir, fingerprint)
        if stored is not None:
            _CACHE[fingerprint] = stored
    known = _CACHE.get(fingerprint)
    if known is not None and (
        not known.clip_db.size == known.guard.size == len(clips)
        or set(known.sound_db) != set(sounds)
    ):
        known = None  # a damaged entry: measure again
    if known is not None:
        sound_db = known.sound_db
    else:
        sound_db = {}
        for name, samples in sounds.items():
            own = integrated_lufs(samples)
            under = target - SOUND_UNDER_LU.get(name, 4.0)
            sound_db[name] = under - own if math.isfinite(own) else 0.0
    sound_ceiling = 32767 * db_to_gain(SOUND_CEILING_DBFS)
    leveled_sounds = {
        name: limit(s.astype(np.float32) * np.float32(db_to_gain(sound_db[name])), sound_ceiling)
        for name, s in sounds.items()
    }
    room = _headroom(events, leveled_sounds, {t: c.size for t, c in clips.items()}, ceiling)
    texts = sorted(clips)
    blocks = [-(-clips[t].size // BLOCK) for t in texts]
    measured = float("nan")
    fresh = known is None
    if known is None:
        found = _find_gain(events, clips, leveled_sounds, room, target)
        peaks, gain_db, measured, clip_db, guard = found
    else:
        gain_db, clip_db, guard = known.gain_db, known.clip_db, known.guard
        if known.peaks is None or known.peaks.size != sum(blocks):
            raw, _ = _clip_analysis(texts, clips, k_weight=False)
            peaks = scale_blocks(raw, blocks, clip_db)
            fresh = True  # the stored peaks were damaged: store these over them
        else:
            peaks = known.peaks
    _CACHE[fingerprint] = Level(gain_db, sound_db, peaks, clip_db, guard)
    limiter = _limiter(peaks, blocks, [room.get(t, ceiling) for t in texts]).guarded(guard)
    gains = limiter.gains(db_to_gain(gain_db))
    lowered = 20 * np.log10(1 / limiter.clip_scales(db_to_gain(gain_db)))
    out = {}
    for index, text in enumerate(texts):
        samples = clips[text]
        curve = limiter.curve(gains, index, samples.size)
        total = np.float32(db_to_gain(gain_db + float(clip_db[index])))
        out[text] = samples * (curve * total)  # int16 * float32: float32
    if cache_dir is not None:
        # fresh: the stored entry was damaged, and these replace it
        level_cache.store(cache_dir, fingerprint, _CACHE[fingerprint], replace=fresh)
    return Leveled(
        out,
        leveled_sounds,
        measured,
        dict(zip(texts, map(float, clip_db), strict=True)),
        dict(zip(texts, map(float, lowered), strict=True)),
    )


def _find_gain(
    events: Sequence[AudioEvent],
    clips: Mapping[str, np.ndarray],
    sounds: Mapping[str, np.ndarray],
    room: Mapping[str, np.ndarray],
    target: float,
) -> tuple[np.ndarray, float, float, np.ndarray, np.ndarray]:
    """The clips' block peaks, the speech gain in dB that meets ``target``, what it measures,
    each clip's own gain (see ``clip_level``) and its guard (``crest_guard``), at the least
    of ``MAX_CREST_CUTS_DB`` that meets the target, all in sorted text order.

    A function of its own so that the K-weighted clips and the meter's sums
    are let go before the levelled clips are made: the cold peak of memory.
    """
    ceiling = 32767 * db_to_gain(CEILING_DBFS)
    texts = sorted(clips)
    peaks, weighted = _clip_analysis(texts, clips, k_weight=True)
    assert weighted is not None
    blocks = [-(-clips[t].size // BLOCK) for t in texts]
    loud = {t: clip_loudness(weighted[t], clips[t].size) for t in texts}
    clip_db = clip_gains_db(texts, loud)
    ceilings = [room.get(t, ceiling) for t in texts]
    for text, db in zip(texts, clip_db, strict=True):
        weighted[text] *= np.float32(db_to_gain(float(db)))
    peaks = scale_blocks(peaks, blocks, clip_db)
    limiter = _limiter(peaks, blocks, ceilings)
    meter = TrackMeter(events, weighted, _k_sounds(sounds), limiter, texts)
    del weighted  # the meter keeps its sums, not the signals
    gain_db, measured, guard = _guarded_search(meter, limiter, clips, texts, target)
    return peaks, gain_db, measured, clip_db, guard


def _guarded_search(
    meter: TrackMeter,
    limiter: Limiter,
    clips: Mapping[str, np.ndarray],
    texts: Sequence[str],
    target: float,
) -> tuple[float, float, np.ndarray]:
    """The speech gain, what it measures, and each clip's guard: the least of
    ``MAX_CREST_CUTS_DB`` with which the track meets ``target`` at a gain at most
    ``MAX_GAIN_OVER_DB`` over what the limiter alone needs; else the limiter alone."""
    aim = target + MP3_LOSS_LU
    meter.limiter = limiter
    alone_db, alone_lufs = meter.search(aim)
    most_db = min(alone_db + MAX_GAIN_OVER_DB, 60.0)  # the search goes no further either
    seen = [crest_guard.ClipBlocks.of(clips[t]) for t in texts]
    tried = np.full(len(texts), np.inf)
    for most in MAX_CREST_CUTS_DB:
        guard = crest_guard.guards(seen, limiter, most)
        if not np.isfinite(guard).any():
            break  # nothing to hold: the limiter alone
        if np.array_equal(guard, tried):
            continue
        tried = guard
        found = _search_up_to(meter, limiter.guarded(guard), aim, alone_db, most_db)
        if found is None:
            continue
        # a sentence the guard would leave far quieter than the limiter alone: a click on it
        capped = crest_guard.capped(seen, meter.limiter, db_to_gain(found[0]), MAX_QUIETER_DB)
        if not np.array_equal(capped, guard):
            guard = capped
            found = _search_up_to(meter, limiter.guarded(guard), aim, alone_db, most_db)
            if found is None:
                continue
        return found[0], found[1], guard
    return alone_db, alone_lufs, np.full(len(texts), np.inf)


def _search_up_to(
    meter: TrackMeter, limiter: Limiter, aim: float, low_db: float, high_db: float
) -> tuple[float, float] | None:
    """The gain at which the track meets ``aim`` with ``limiter``, if one no higher than
    ``high_db`` does (tried there first: the search only pins a gain down to what meets the
    aim within its tolerance, and where loudness hardly grows that is a wide range)."""
    meter.limiter = limiter
    top = meter.lufs(db_to_gain(high_db), limiter.gains(db_to_gain(high_db)))
    if not top >= aim - TOLERANCE_LU:
        return None
    gain_db, measured = meter.search(aim, low_db)
    if gain_db > high_db or measured < aim - TOLERANCE_LU:
        return high_db, top
    return gain_db, measured


def _limiter(
    peaks: np.ndarray, blocks: Sequence[int], ceilings: Sequence[float | np.ndarray]
) -> Limiter:
    """The limiter over clips whose block peaks are laid end to end in ``peaks``."""
    pieces = np.split(peaks, np.cumsum(blocks)[:-1]) if blocks else []
    return Limiter(pieces, ceilings)


def _clip_analysis(
    texts: Sequence[str], clips: Mapping[str, np.ndarray], *, k_weight: bool
) -> tuple[np.ndarray, dict[str, np.ndarray] | None]:
    """Every clip's block peaks (concatenated) and, if asked, its K-weighted signal.

    Clips go through the FFTs a quarter of a megasample at a time, laid end
    to end on block boundaries with enough silence between that neither
    filter carries one into the next; then one reduction finds the batch's
    block peaks. The batches share one set of buffers: fresh ones for each
    cost a tenth of a second in page faults for an hour's routine.
    """
    ring = k_kernel(RATE_HZ).size - 1
    gap = max(ring, 2 * HALF_TAPS)
    batches: list[list[str]] = [[]]
    total = 0
    for text in texts:
        if total >= 1 << 18:
            batches.append([])
            total = 0
        batches[-1].append(text)
        total += clips[text].size
    layouts = []
    for batch in batches:
        strides = [-(-(clips[t].size + gap) // BLOCK) * BLOCK for t in batch]
        starts = np.cumsum([0, *strides[:-1]]) if batch else np.zeros(0, dtype=np.int64)
        n = -(-(int(starts[-1]) + clips[batch[-1]].size) // BLOCK) * BLOCK if batch else 0
        layouts.append((batch, starts, n, Frames.of(n, RATE_HZ)))
    padded = np.empty(max(f.padded for *_, f in layouts), dtype=np.float32)
    outputs = max(f.frames * f.step for *_, f in layouts)
    weighted_out = np.empty(outputs, dtype=np.float32) if k_weight else None
    magnitude = np.empty(outputs, dtype=np.float32)
    peaks: list[np.ndarray] = []
    weighted: dict[str, np.ndarray] = {}
    for batch, starts, n, f in layouts:
        padded[: f.padded] = 0
        for start, text in zip(starts, batch, strict=True):
            at = f.history + int(start)
            padded[at : at + clips[text].size] = clips[text]
        filter_frames(padded, f, RATE_HZ, weighted_out, magnitude)
        blocks = block_peaks(magnitude[:n])
        for start, text in zip(starts, batch, strict=True):
            size = clips[text].size
            peaks.append(blocks[start // BLOCK : start // BLOCK + -(-size // BLOCK)])
            if weighted_out is not None:
                weighted[text] = weighted_out[start : start + size + ring].copy()
    joined = np.concatenate(peaks) if peaks else np.zeros(0, dtype=np.float32)
    return joined, weighted if k_weight else None


def _k_sounds(sounds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The bells K-weighted once: under the words they are part of what the meter hears."""
    out = {}
    for name, samples in sounds.items():
        k, _ = analyse(samples, k_weight=True, peaks=False)
        assert k is not None
        out[name] = k
    return out


def _headroom(
    events: Sequence[AudioEvent],
    sounds: Mapping[str, np.ndarray],
    sizes: Mapping[str, int],
    ceiling: float,
) -> dict[str, np.ndarray]:
    """A lower ceiling, block by block, for words said while a bell still rings, so the sum
    stays under: as low as the bell is loud in each block (and the one before, as the
    limiter's block peaks reach back a sample), the ceiling itself once it has faded. A
    ceiling as low as the bell's loudest for the whole sentence cut its later words for
    nothing, and the limiter's guard would lower the whole sentence for it."""
    room: dict[str, np.ndarray] = {}
    bells = [e for e in events if e.kind == "sound"]
    for said in events:
        if said.kind != "speech":
            continue
        for bell in bells:
            if bell.start <= said.start < bell.start + sounds[bell.key].size:
                blocks = -(-sizes[said.key] // BLOCK)
                tail = np.abs(sounds[bell.key][said.start - bell.start :][: blocks * BLOCK])
                if not tail.size:
                    continue
                loud = np.zeros(blocks * BLOCK, dtype=np.float32)
                loud[: tail.size] = tail
                lower = (np.float32(ceiling) - block_peaks(loud)).astype(np.float32)
                known = room.get(said.key)
                room[said.key] = lower if known is None else np.minimum(known, lower)
    return room


def _fingerprint(
    events: Sequence[AudioEvent],
    clips: Mapping[str, np.ndarray],
    sounds: Mapping[str, np.ndarray],
    target: float,
) -> str:
    settings = (
        f"{target:.3f} {CEILING_DBFS:.3f} {MAX_CREST_CUTS_DB} {MAX_GAIN_OVER_DB} "
        f"{MAX_QUIETER_DB} {crest_guard.SETTINGS}"
    )
    hashed = hashlib.sha256(_VERSION + settings.encode())
    for event in events:
        hashed.update(f"{event.start}\0{event.kind}\0{event.key}\0".encode())
    for text in sorted(clips):
        hashed.update(hashlib.sha256(clips[text].tobytes()).digest())
    for name in sorted(sounds):
        hashed.update(name.encode() + hashlib.sha256(sounds[name].tobytes()).digest())
    return hashed.hexdigest()
