"""Lay clips on the timeline and stream the track out in fixed blocks.

pydub holds the whole track in memory and its sums copy it again each time;
here every clip is placed once at the sample index of its absolute start
(never by adding durations up, so an hour drifts by nothing), and the track
is produced a block at a time: memory is one block plus the clips, whatever
the length. A guided massage is mostly silence, so a block that nothing
sounds in costs nothing: the same zero bytes are handed on again. And
``prefetch`` mixes the next blocks on a thread while the encoder takes the
last ones, so the two cores work side by side instead of taking turns.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from ..pcm import RATE_HZ
from .events import AudioEvent

BLOCK_SAMPLES = RATE_HZ * 10
PREFETCH_BLOCKS = 4


@dataclass(frozen=True)
class Placed:
    start: int  # sample index
    samples: np.ndarray  # int16 at unity gain: summing them into the float block is exact

    @property
    def end(self) -> int:
        return self.start + self.samples.size


def placements(
    events: Iterable[AudioEvent],
    clips: Mapping[str, np.ndarray],
    sounds: Mapping[str, np.ndarray],
) -> list[Placed]:
    """Every event as its samples at its start index, in order of start.

    The clips come levelled; the clip's own 16-bit samples are placed, so
    memory holds no float copy of every clip.
    """
    out = [Placed(e.start, clips[e.key] if e.kind == "speech" else sounds[e.key]) for e in events]
    out.sort(key=lambda p: p.start)
    return out


Bed = Callable[[int, int], np.ndarray]  # float samples for [begin, end) under everything placed


def _to_pcm(buffer: np.ndarray) -> bytes:
    """Round, clip and convert in place: the one float-to-16-bit rule, shared by both mixes."""
    np.rint(buffer, out=buffer)
    np.clip(buffer, -32768, 32767, out=buffer)
    return buffer.astype("<i2").tobytes()


def stream(
    placed: list[Placed],
    total: int,
    *,
    block: int = BLOCK_SAMPLES,
    bed: Bed | None = None,
    begin: int = 0,
    end: int | None = None,
) -> Iterator[bytes]:
    """16-bit little-endian PCM of the track's samples [begin, end), ``block`` samples at a time.

    ``bed(begin, end)``, if given, returns float samples for that span that go
    under everything placed (an ambient bed, already ducked). Clips are summed
    in order of their start, as in ``mix``, so both give the same samples, and
    a span gives the same samples as the same span of the whole.
    """
    stop = total if end is None else min(end, total)
    order = sorted(placed, key=lambda p: p.start)
    upcoming = 0
    active: list[Placed] = []
    work = np.empty(min(block, max(stop - begin, 1)), dtype=np.float32)  # reused every block
    silence = bytes(2 * block)
    for lo in range(begin, stop, block):
        hi = min(stop, lo + block)
        while upcoming < len(order) and order[upcoming].start < hi:
            active.append(order[upcoming])
            upcoming += 1
        active = [p for p in active if p.end > lo]
        if not active and bed is None:
            yield silence if hi - lo == block else silence[: 2 * (hi - lo)]
            continue
        buffer = work[: hi - lo]
        if bed is None:
            buffer.fill(0)
        else:
            buffer[:] = bed(lo, hi)
        for p in active:
            a = max(lo, p.start)
            b = min(hi, p.end)
            if b > a:
                buffer[a - lo : b - lo] += p.samples[a - p.start : b - p.start]
        yield _to_pcm(buffer)


def mix(placed: list[Placed], total: int, *, bed: Bed | None = None) -> bytes:
    """The whole track in one buffer: the plain reference ``stream`` is held to in tests."""
    buffer = np.zeros(total, dtype=np.float32) if bed is None else bed(0, total).astype(np.float32)
    for p in sorted(placed, key=lambda p: p.start):
        hi = min(total, p.end)
        if hi > p.start:
            buffer[p.start : hi] += p.samples[: hi - p.start]
    return _to_pcm(buffer)


def prefetch(blocks: Iterable[bytes], depth: int = PREFETCH_BLOCKS) -> Iterator[bytes]:
    """The same blocks, produced up to ``depth`` ahead on a thread.

    numpy and pipe writes release the GIL, so mixing block n+1 overlaps the
    encoder taking block n. An error in the producer is raised here; if the
    consumer stops early, the producer is told to stop and never blocks.
    """
    done = object()
    handoff: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: object) -> bool:
        """Hand one item over, giving up as soon as the consumer has stopped."""
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in blocks:
                if not offer(item):
                    return
            last: object = done
        except BaseException as exc:  # handed to the consumer, raised there
            last = exc
        offer(last)

    thread = threading.Thread(target=produce, name="voiceguide-mix", daemon=True)
    try:
        thread.start()  # inside: a signal landing here still stops the producer
        while True:
            item = handoff.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()  # a producer not running yet sees it at its first offer
        if thread.is_alive():
            thread.join()
