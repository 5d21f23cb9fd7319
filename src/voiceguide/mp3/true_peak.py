"""The true peak of the file a listener gets, checked on every encoded piece.

A 64 kb/s MP3 is not its PCM: the encoder's noise rides on the sound, so a
true peak the limiter held at its ceiling can decode over the limit. Each
piece is therefore decoded as a player would decode it, and where it is over
it is encoded again with the words dipped just there (the limiter's own hold
and ramps, so the dip is as gentle as the limiting), until it is under.
Checking the file where it is made lets the limiter's ceiling sit near the
limit instead of keeping room under every word for the worst case.

At the default -16 LUFS no piece is ever encoded again: over the four
routines with both voices, with and without an ambient bed, every piece
decoded at -1.44 dBTP or under (the check's line is -1.25). A louder
``--loudness`` is what needs the loop, since the limiter then holds more of
the speech at its ceiling: at -14 LUFS espeak-ng's classic had 8 of its 33
pieces encoded again, from -12 to -6 LUFS 24 (Piper's joe: 1, then 5 to 11
pieces of 33 to 47), a few of them three times; under an ambient bed at -6
LUFS, espeak-ng's track, one piece, took four more encodes.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from ..audio.decode import decode
from ..audio.limiter import BLOCK, Limiter, block_peaks, ramp
from ..audio.meter import HALF_TAPS, analyse, db_to_gain
from ..pcm import RATE_HZ
from .pieces import MAX_ENCODES, Render

LIMIT_DBTP = -1.0  # Apple's podcast guidance: no true peak above this in the file
MARGIN_DB = 0.25  # checked this far under it: 4 points a sample can miss a little of a peak
AIM_UNDER_DB = 0.5  # a dip aims this far under the limit: the next encode adds noise of its own
AIM_STEP_DB = 0.3  # and each further try aims this much lower again
LOCAL_TRIES = 2  # dips where it went over; after that, a gain on the piece (see PeakCheck)
WHOLE_PIECE_MAX = 3 * 60 * RATE_HZ  # a longer piece (an ambient track's one) only ever dips

_CHUNK = 1 << 17  # samples analysed at once
_REACH = 2 * HALF_TAPS  # context on each side: the peak filters reach this far


def block_true_peaks(samples: np.ndarray, chunk: int = _CHUNK) -> np.ndarray:
    """The true peak of every 16 samples (``limiter.block_peaks``), ``chunk`` samples at a
    time with their neighbours' edges: the FFT buffers stay a few MB whatever the piece (a
    track under an ambient bed is one piece an hour long)."""
    assert chunk % BLOCK == 0 and chunk >= _REACH
    found: list[np.ndarray] = []
    last = 0.0  # the magnitude of the sample before this chunk: block_peaks looks back one
    for start in range(0, samples.size, chunk):
        end = min(start + chunk, samples.size)
        before, after = min(start, _REACH), min(samples.size - end, _REACH)
        _, magnitude = analyse(
            samples[start - before : end + after].astype(np.float32), k_weight=False, peaks=True
        )
        assert magnitude is not None
        own = magnitude[before : before + end - start]
        peaks = block_peaks(own)
        peaks[0] = max(float(peaks[0]), last)
        last = float(own[-1])
        found.append(peaks)
    return np.concatenate(found) if found else np.zeros(0, dtype=np.float32)


def decode_mp3(path: Path) -> np.ndarray:
    """An MP3 voiceguide wrote, as mono 16-bit samples: the samples ``decode`` gives.

    The true-peak check decodes every piece of every build, and an ffmpeg
    process per piece cost more than the decoding (38 pieces of an hour's
    routine: 3.8 s of ffmpeg against 0.6 s in process). libsndfile (1.1 and
    later, as soundfile's wheels bundle it) decodes MP3 with mpg123, gapless
    by the LAME tag as ffmpeg is; measured on a 79-minute track, the same
    length and samples within 1 (rounding). Where soundfile cannot read MP3
    (an older system libsndfile), ffmpeg does it. The file is read in one
    call: read a chunk at a time, libmpg123 prints "part2_3_length too large"
    on the process's stderr (the same samples; the messages would reach the user).
    """
    try:
        import soundfile

        samples, _ = soundfile.read(str(path), dtype="int16", always_2d=True)
    except (ImportError, OSError, RuntimeError):  # no soundfile or libsndfile, or no MP3 in it
        return decode(path)
    return np.ascontiguousarray(samples[:, 0])


def over_limit(peaks: np.ndarray, limit_dbtp: float = LIMIT_DBTP) -> bool:
    """Whether any block peak is over ``limit_dbtp`` (less the meter's margin)."""
    return bool(peaks.size) and float(peaks.max()) > 32768 * db_to_gain(limit_dbtp - MARGIN_DB)


def dip(peaks: np.ndarray, aim_dbtp: float) -> np.ndarray:
    """Per block, the limiter's gain that brings every block peak under ``aim_dbtp``:
    1 away from them, held and ramped around them (``limiter.ramp`` draws the samples)."""
    limiter = Limiter([peaks], [32768 * db_to_gain(aim_dbtp)])
    return limiter.clip_gains(limiter.gains(1.0), 0).astype(np.float32)


class PeakCheck:
    """Decodes each encoded piece; where it is over the limit, a render that dips it.

    Called by the piece encoder (``pieces.Source.review``) from several
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
        self.left_over: dict[tuple[int, int], float] = {}  # still over at the last: dBTP
        self._gains: dict[tuple[int, int], np.ndarray] = {}  # per block of 16 samples
        self._lock = threading.Lock()

    def __call__(self, begin: int, end: int, encoded: Path) -> Render | None:
        decoded = decode_mp3(encoded)
        if decoded.size != end - begin:  # a libsndfile that ignores the LAME tag: ffmpeg's
            decoded = decode(encoded)
        peaks = block_true_peaks(decoded[: end - begin])
        if not over_limit(peaks, self.limit_dbtp):
            return None
        blocks = -(-(end - begin) // BLOCK)
        peaks = np.pad(peaks[:blocks], (0, max(0, blocks - peaks.size)))
        with self._lock:
            tries = self.tries.get((begin, end), 0)
            if tries >= MAX_ENCODES - 1:  # the last encode: it stands, over or not
                self.left_over[(begin, end)] = 20 * math.log10(max(float(peaks.max()), 1.0) / 32768)
                return None
            self.tries[(begin, end)] = tries + 1
            gains = self._gains.get((begin, end), np.ones(blocks, dtype=np.float32))
        aim = self.limit_dbtp - AIM_UNDER_DB - AIM_STEP_DB * tries
        if tries < LOCAL_TRIES or end - begin > WHOLE_PIECE_MAX:
            gains = gains * dip(peaks, aim)
        else:  # overs that move about from one encode to the next: the whole piece goes down
            gains = gains * np.float32(min(1.0, 32768 * db_to_gain(aim) / float(peaks.max())))
        with self._lock:
            self._gains[(begin, end)] = gains
        return lambda b, e: _scaled(self.render(b, e), gains, b - begin)


def _scaled(blocks: Iterable[bytes], gains: np.ndarray, at: int) -> Iterator[bytes]:
    """16-bit PCM blocks, the first at sample ``at`` of the piece, times the gain curve
    (only ever at most 1: nothing can clip)."""
    for block in blocks:
        x = np.frombuffer(block, dtype="<i2")
        first, at = at, at + x.size
        lo, hi = max(0, first // BLOCK - 1), min(gains.size, -(-at // BLOCK) + 1)
        if hi <= lo or bool(np.all(gains[lo:hi] == 1.0)):
            yield block
            continue
        y = x.astype(np.float32) * ramp(gains, first, at)
        yield np.rint(y).astype("<i2").tobytes()
