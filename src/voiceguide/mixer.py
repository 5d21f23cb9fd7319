"""Lay clips on the timeline and stream the track out in fixed blocks.

pydub holds the whole track in memory and its sums copy it again each time;
here every clip is placed once at the sample index of its absolute start
(never by adding durations up, so an hour drifts by nothing), and the track
is produced a block at a time: memory is one block plus the clips, whatever
the length.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from .script import Script
from .speech import RATE_HZ

BLOCK_SAMPLES = RATE_HZ * 10


def sample_index(ms: int) -> int:
    """The one place milliseconds become samples."""
    return (ms * RATE_HZ + 500) // 1000


@dataclass(frozen=True)
class Placed:
    start: int  # sample index
    samples: np.ndarray  # float32, already scaled


def placements(
    script: Script,
    clips: Mapping[str, np.ndarray],
    sounds: Mapping[str, np.ndarray],
    *,
    speech_gain: float = 1.0,
    sound_gain: float = 1.0,
) -> list[Placed]:
    out = []
    for cue in script.cues:
        if cue.kind == "speech":
            samples, gain = clips[cue.text], speech_gain
        else:
            samples, gain = sounds[cue.text], sound_gain
        out.append(Placed(sample_index(cue.start_ms), samples.astype(np.float32) * gain))
    out.sort(key=lambda p: p.start)
    return out


def total_samples(script: Script) -> int:
    return sample_index(script.plan.total_ms)


Bed = Callable[[int, int], np.ndarray]


def stream(
    placed: list[Placed], total: int, *, block: int = BLOCK_SAMPLES, bed: Bed | None = None
) -> Iterator[bytes]:
    """16-bit little-endian PCM of the whole track, ``block`` samples at a time.

    ``bed(begin, end)``, if given, returns float samples for that span that go
    under everything placed (an ambient bed, already ducked).
    """
    order = sorted(placed, key=lambda p: p.start)
    upcoming = 0
    active: list[Placed] = []
    for begin in range(0, total, block):
        end = min(total, begin + block)
        while upcoming < len(order) and order[upcoming].start < end:
            active.append(order[upcoming])
            upcoming += 1
        active = [p for p in active if p.start + p.samples.size > begin]
        buffer = (
            np.zeros(end - begin, dtype=np.float32)
            if bed is None
            else bed(begin, end).astype(np.float32)
        )
        for p in active:
            lo = max(begin, p.start)
            hi = min(end, p.start + p.samples.size)
            if hi > lo:
                buffer[lo - begin : hi - begin] += p.samples[lo - p.start : hi - p.start]
        yield np.clip(np.rint(buffer), -32768, 32767).astype("<i2").tobytes()
