"""The true peak of the file a listener gets, checked on every encoded piece.

A 64 kb/s MP3 is not its PCM: the encoder's noise rides on the words, and
on speech that the limiter has brought to its ceiling it lifts the true
peak by anything from 0.3 to 2.7 dB (measured on the four routines, both
voices; a higher bitrate did not help). So either the limiter keeps that
much room under every word, which squeezes speech harder than the
listener's phone ever needs, or the file is checked where it is made. This
checks it: each piece is decoded as a player would, and where it goes over
the limit the piece is encoded again with the words dipped just there (the
limiter's own hold and ramps, so the dip is as gentle as the limiting),
until it is under. The limiter's ceiling can then sit near the limit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np

from .decode import decode_mp3
from .limiter import Limiter, block_peaks
from .meter import HALF_TAPS, analyse, db_to_gain

LIMIT_DBTP = -1.0  # Apple's podcast guidance: no true peak above this in the file
MARGIN_DB = 0.25  # checked this far under it: 4 points a sample can miss a little of a peak
AIM_UNDER_DB = 0.5  # a dip aims this far under the limit: the next encode adds noise of its own
AIM_STEP_DB = 0.3  # and each further try aims this much lower again
LOCAL_TRIES = 2  # dips where it went over; after that, a gain on the piece (see PeakCheck)

Render = Callable[[int, int], Iterable[bytes]]
_CHUNK = 1 << 17  # samples analysed at once
_REACH = 2 * HALF_TAPS  # context on each side: the peak filters reach this far


def over_limit(samples: np.ndarray, limit_dbtp: float = LIMIT_DBTP) -> np.ndarray | None:
    """Block peaks (true, per 16 samples) if any is over ``limit_dbtp``, else None."""
    if samples.size == 0:
        return None
    magnitude = np.empty(samples.size, dtype=np.float32)
    for start in range(0, samples.size, _CHUNK):  # a few MB at a time, whatever the piece
        end = min(start + _CHUNK, samples.size)
        before, after = min(start, _REACH), min(samples.size - end, _REACH)
        window = samples[start - before : end + after].astype(np.float32)
        _, found = analyse(window, k_weight=False, peaks=True)
        assert found is not None
        magnitude[start:end] = found[before : before + end - start]
    peaks = block_peaks(magnitude)
    return peaks if float(peaks.max()) > 32768 * db_to_gain(limit_dbtp - MARGIN_DB) else None


def dip(peaks: np.ndarray, samples: int, aim_dbtp: float) -> np.ndarray:
    """Per sample, the gain that brings every block peak under ``aim_dbtp`` (1 elsewhere)."""
    limiter = Limiter([peaks], [32768 * db_to_gain(aim_dbtp)])
    return limiter.curve(limiter.gains(1.0), 0, samples)


class PeakCheck:
    """Decodes each encoded piece; where it is over the limit, a render that dips it.

    Called by the piece encoder (``mp3.pieces.Source.review``) from several
    threads at once, one piece each; a piece's dips add up over its tries.
    Speech is nearly always under after one dip. Where the encoder's noise
    is as loud as the sound (noise itself, held at the ceiling) the overs
    move to new places with each encode, so after ``LOCAL_TRIES`` dips the
    piece as a whole is brought down by what is still over: the encoder's
    noise comes down with it, and the next encode is under.
    """

    def __init__(self, render: Render, limit_dbtp: float = LIMIT_DBTP) -> None:
        self.render = render
        self.limit_dbtp = limit_dbtp
        self.tries: dict[tuple[int, int], int] = {}  # pieces encoded again, and how often
        self._gains: dict[tuple[int, int], np.ndarray] = {}
        self._lock = threading.Lock()

    def __call__(self, begin: int, end: int, encoded: Path) -> Render | None:
        decoded = decode_mp3(encoded)[: end - begin]
        peaks = over_limit(decoded, self.limit_dbtp)
        if peaks is None:
            return None
        with self._lock:
            tries = self.tries.get((begin, end), 0)
            self.tries[(begin, end)] = tries + 1
            gains = self._gains.get((begin, end), np.ones(end - begin, dtype=np.float32))
        aim = self.limit_dbtp - AIM_UNDER_DB - AIM_STEP_DB * tries
        if tries < LOCAL_TRIES:
            step = np.ones(end - begin, dtype=np.float32)
            step[: decoded.size] = dip(peaks, decoded.size, aim)
            gains = gains * step
        else:  # overs that move about from one encode to the next: the whole piece goes down
            gains = gains * np.float32(32768 * db_to_gain(aim) / float(peaks.max()))
        with self._lock:
            self._gains[(begin, end)] = gains
        return lambda b, e: _scaled(self.render(b, e), gains[b - begin : e - begin])


def _scaled(blocks: Iterable[bytes], gains: np.ndarray) -> Iterator[bytes]:
    """16-bit PCM blocks times a gain per sample (only ever below 1: nothing can clip)."""
    at = 0
    for block in blocks:
        x = np.frombuffer(block, dtype="<i2")
        g = gains[at : at + x.size]
        at += x.size
        if g.size == x.size and bool(np.all(g == 1.0)):
            yield block
            continue
        y = x.astype(np.float32)
        y[: g.size] *= g
        yield np.rint(y).astype("<i2").tobytes()
