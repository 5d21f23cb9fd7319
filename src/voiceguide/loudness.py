"""Bring the track to a loudness target without a second pass over it.

The track is speech over silence, and loudness gating (EBU R128) ignores
silence, so the finished track measures what its words and bells measure.
Instead of normalizing the whole mix afterwards, every clip gets one gain and
a look-ahead true-peak limiter (espeak peaks near full scale, so gain alone
would clip), and the gain is searched for until the track, as placed, meets
the target. Sounds are scaled to sit a few LU under the voice.

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

import functools
import hashlib
import json
import math
import os
import re
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .engines import ffmpeg_exe
from .errors import FfmpegError
from .mixer import sample_index
from .script import Cue
from .speech import RATE_HZ

TARGET_LUFS = -16.0  # Apple's podcast guidance; EBU R128 for speech on phones
MP3_LOSS_LU = 0.4  # 64 kb/s MP3 measures this much quieter than its PCM
CEILING_DBFS = -4.0  # speech peaks after the limiter: room for MP3, overshoot, a bell's tail
SOUND_CEILING_DBFS = -8.0  # a bell never peaks above this
SOUND_UNDER_LU = {"step": 5.0, "cue": 7.0, "end": 4.0}  # bells a few LU under the voice
LIMIT_WINDOW_MS = 8  # look-ahead and hold; the gain ramps over as long again
BLOCK = 16  # samples: the limiter decides one gain per block, the samples between are ramped
MAX_STEP_DB = 6.0  # the gain search moves at most this far a try
MIN_SLOPE = 0.02  # LU per dB: where the limiter leaves less, the aim is out of reach
TOLERANCE_LU = 0.1  # the gain search stops this close to the aim (see _TrackMeter.search)

_HOLD = math.ceil(RATE_HZ * LIMIT_WINDOW_MS / 1000 / BLOCK)  # blocks held each side of a peak
_SMOOTH = _HOLD - 1  # blocks averaged on each side: one fewer, so a ramp never reaches a peak
_SEPARATOR = _HOLD + _SMOOTH  # blocks of unity between clips laid end to end
_HALF_TAPS = 256  # the fractional-delay filters that find peaks between samples: 512 taps
_SUB = RATE_HZ // 10  # the meter's 100 ms: its 400 ms blocks start every one of them
_ABS_GATE = -70.0
_REL_GATE = -10.0
_FULL_SCALE = 32768.0  # ffmpeg reads 16-bit samples as value / 32768
_VERSION = b"level 2"  # part of the cache key: gains found by another limiter do not carry over

_I_RE = re.compile(r"I:\s+(-?[\d.]+|-inf) LUFS")
_PEAK_RE = re.compile(r"Peak:\s+(-?[\d.]+|-inf) dBFS")


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    true_peak_dbtp: float


def measure(samples: np.ndarray, *, rate: int = RATE_HZ, true_peak: bool = False) -> Loudness:
    """ffmpeg's ebur128 over mono samples (int16 scale); the reference meter."""
    pcm = np.clip(np.rint(samples), -32768, 32767).astype("<i2").tobytes()
    peak = "true" if true_peak else "none"
    command = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats",
        "-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0",
        "-af", f"ebur128=peak={peak}", "-f", "null", "-",
    ]  # fmt: skip
    return _run_meter(command, pcm)


def measure_file(path: str, *, true_peak: bool = True) -> Loudness:
    """Integrated loudness and true peak of an audio file, as a player would decode it."""
    peak = "true" if true_peak else "none"
    command = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-i", str(path),
        "-af", f"ebur128=peak={peak}", "-f", "null", "-",
    ]  # fmt: skip
    return _run_meter(command, None)


def _run_meter(command: list[str], stdin: bytes | None) -> Loudness:
    try:
        result = subprocess.run(command, input=stdin, capture_output=True, timeout=600)
    except OSError as exc:
        raise FfmpegError(f"ffmpeg could not be started ({exc.strerror})", command=command) from exc
    except subprocess.TimeoutExpired:
        raise FfmpegError("ffmpeg did not finish measuring loudness", command=command) from None
    text = result.stderr.decode("utf-8", "replace")
    summary = text[text.rfind("Summary:") :]
    found = _I_RE.search(summary)
    if result.returncode != 0 or not found:
        tail = text.strip().splitlines()[-1] if text.strip() else f"exit {result.returncode}"
        raise FfmpegError(f"ffmpeg could not measure loudness: {tail}", command=command)
    peak = _PEAK_RE.search(summary)
    return Loudness(_number(found.group(1)), _number(peak.group(1)) if peak else float("nan"))


def _number(text: str) -> float:
    return float("-inf") if text == "-inf" else float(text)


def db_to_gain(db: float) -> float:
    return float(10 ** (db / 20))


# ------------------------------------------------------------------ the meter


def integrated_lufs(samples: np.ndarray, *, rate: int = RATE_HZ) -> float:
    """EBU R128 integrated loudness of mono samples (int16 scale), computed here.

    The same arithmetic as ffmpeg's ``ebur128`` (BS.1770-4: K-weighting
    designed for the actual rate, 400 ms blocks every 100 ms, gates at -70
    LUFS and 10 LU under the mean) without a process and a pipe, so a
    gain search can afford to ask many times. -inf when nothing passes the
    gate.
    """
    x = np.asarray(samples, dtype=np.float32)
    weighted, _ = _analyse(x, rate=rate, k_weight=True, peaks=False)
    assert weighted is not None
    return _gated(_sub_energies(weighted[: x.size], rate), rate)  # ffmpeg hears no ring-out


def _sub_energies(weighted: np.ndarray, rate: int) -> np.ndarray:
    """Sum of squares of each whole 100 ms (a partial last one is not measured, as in ffmpeg)."""
    sub = rate // 10
    rows = weighted[: weighted.size // sub * sub].reshape(-1, sub)
    return np.einsum("ij,ij->i", rows, rows, dtype=np.float64)


def _gated(sub_energies: np.ndarray, rate: int) -> float:
    """Integrated loudness from the energies of consecutive 100 ms: 400 ms blocks, two gates."""
    e = sub_energies
    if e.size < 4:
        return float("-inf")
    power = (e[:-3] + e[1:-2] + e[2:-1] + e[3:]) / (4 * (rate // 10) * _FULL_SCALE**2)
    eps = np.finfo(np.float64).eps  # as ffmpeg adds, so that silence is not log(0)
    lufs = -0.691 + 10 * np.log10(power + eps)
    kept = power[lufs >= _ABS_GATE]
    if kept.size == 0:
        return float("-inf")
    relative = -0.691 + 10 * math.log10(float(kept.mean()) + eps) + _REL_GATE
    gated = kept[lufs[lufs >= _ABS_GATE] >= relative]
    return -0.691 + 10 * math.log10(float(gated.mean()) + eps)


def _biquads(rate: int) -> tuple[tuple[list[float], list[float]], ...]:
    """BS.1770's pre-filter and RLB high-pass, redesigned for ``rate`` as libebur128 and ffmpeg do.

    The standard gives coefficients for 48 kHz only; this is their analogue
    prototype, so 22,050 Hz speech is weighted as the reference meter weights it.
    """
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    vh = 10 ** (gain_db / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    pre = (
        [(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0],
        [1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0],
    )
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    a0 = 1 + k / q + k * k
    rlb = ([1.0, -2.0, 1.0], [1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    return pre, rlb


@functools.cache
def _k_kernel(rate: int) -> np.ndarray:
    """The K-weighting's impulse response, cut where it has decayed under 1e-7 of its peak.

    numpy has no IIR filter, but an FFT convolution with this response is
    the same filter: what is cut carries under 1e-12 of the energy.
    """
    response = [1.0] + [0.0] * (rate // 4 - 1)  # 250 ms: the 38 Hz high-pass decays in 60
    for b, a in _biquads(rate):
        t0 = t1 = 0.0
        for i, x in enumerate(response):
            y = b[0] * x + t0
            t0 = b[1] * x + t1 - a[1] * y
            t1 = b[2] * x - a[2] * y
            response[i] = y
    h = np.array(response)
    last = int(np.flatnonzero(np.abs(h) >= 1e-7 * np.abs(h).max())[-1])
    return h[: last + 1]


@functools.cache
def _phase_kernels() -> tuple[np.ndarray, ...]:
    """Kaiser-windowed sincs that read the signal 1/4, 1/2 and 3/4 of the way to the next sample.

    With the samples themselves that is 4x oversampling, what a true-peak
    meter does. Taps cost nothing in an FFT convolution, so there are 512:
    the error stays under 1e-5 up to 0.49 of the rate, where espeak's
    clicks still have energy (64 taps would miss a quarter dB of their peaks).
    """
    k = np.arange(-_HALF_TAPS, _HALF_TAPS)
    kernels = []
    for delay in (0.25, 0.5, 0.75):
        t = k + delay  # y[n] = sum c[k] x[n - k] = x(n + delay)
        window = np.i0(10 * np.sqrt(np.clip(1 - (t / _HALF_TAPS) ** 2, 0, None))) / np.i0(10)
        kernels.append(np.sinc(t) * window)
    return tuple(kernels)


@functools.cache
def _spectra(rate: int, size: int, k_weight: bool, peaks: bool) -> tuple[np.ndarray, ...]:
    """The filters' transforms at one frame size (times the size: see ``_filter``), once."""
    out = []
    if k_weight:
        out.append((np.fft.rfft(_k_kernel(rate), size) * size).astype(np.complex64))
    if peaks:
        for kernel in _phase_kernels():
            circular = np.zeros(size)
            circular[np.arange(-_HALF_TAPS, _HALF_TAPS) % size] = kernel  # taps before 0 wrap
            out.append((np.fft.rfft(circular) * size).astype(np.complex64))
    return tuple(out)


@dataclass(frozen=True)
class _Frames:
    """Overlap-save frames for a signal of ``n`` samples: they depend on n and the rate only.

    Each frame of ``size`` samples keeps ``history`` before its ``step``
    new ones (the K-weighting's memory) and ``future`` after (the peak
    filters look ahead). So peaks found again without the K-weighting are
    the same to the bit.
    """

    history: int
    future: int
    size: int
    step: int
    frames: int
    ring: int  # the K-weighting's ring-out after the signal

    @classmethod
    def of(cls, n: int, rate: int) -> _Frames:
        ring = _k_kernel(rate).size - 1
        history, future = max(ring, _HALF_TAPS - 1), _HALF_TAPS
        size = min(16384, 1 << (n + ring + history + future - 1).bit_length())
        step = size - history - future
        return cls(history, future, size, step, max(1, -(-(n + ring) // step)), ring)

    @property
    def padded(self) -> int:
        return self.frames * self.step + self.history + self.future


def _analyse(
    x: np.ndarray, *, rate: int = RATE_HZ, k_weight: bool, peaks: bool
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """One round of FFTs over ``x`` (float32) for its K-weighting and/or its true magnitude.

    The K-weighted signal comes with the filter's ring-out (``x.size +
    kernel - 1`` samples). The magnitude of sample n is the largest of |x|
    at n and at n + 1/4, 1/2, 3/4.
    """
    f = _Frames.of(x.size, rate)
    padded = np.zeros(f.padded, dtype=np.float32)
    padded[f.history : f.history + x.size] = x
    weighted = np.empty(f.frames * f.step, dtype=np.float32) if k_weight else None
    magnitude = np.empty(f.frames * f.step, dtype=np.float32) if peaks else None
    _filter(padded, f, rate, weighted, magnitude)
    return (
        weighted[: x.size + f.ring] if weighted is not None else None,
        magnitude[: x.size] if magnitude is not None else None,
    )


def _filter(
    padded: np.ndarray,
    f: _Frames,
    rate: int,
    weighted: np.ndarray | None,
    magnitude: np.ndarray | None,
) -> None:
    """The frames' FFTs: K-weighting and true magnitude written into the arrays given.

    Frames of a fixed size: the FFT of a whole clip costs a hundred times
    more at a length with large prime factors. Four frames a batch keep
    each temporary at a quarter of a megabyte.
    """
    view = np.lib.stride_tricks.sliding_window_view(padded[: f.padded], f.size)[:: f.step]
    spectra = _spectra(rate, f.size, weighted is not None, magnitude is not None)
    batch = max(1, (1 << 16) // f.size)
    keep = slice(f.history, f.history + f.step)
    for first in range(0, f.frames, batch):
        rows = view[first : first + batch]
        done = slice(first * f.step, (first + rows.shape[0]) * f.step)
        # ihfft is conj(rfft) / size, and in numpy 2 four times faster than rfft on float32;
        # the filters' spectra carry the size
        spectrum = np.conj(np.fft.ihfft(rows, axis=1))
        filters = iter(spectra)
        if weighted is not None:
            out = np.fft.irfft(spectrum * next(filters), f.size, axis=1)
            weighted[done].reshape(-1, f.step)[:] = out[:, keep]
        if magnitude is not None:
            top = np.abs(rows[:, keep])
            for spectrum_filter in filters:
                between = np.fft.irfft(spectrum * spectrum_filter, f.size, axis=1)
                np.maximum(top, np.abs(between[:, keep]), out=top)
            magnitude[done].reshape(-1, f.step)[:] = top


# ---------------------------------------------------------------- the limiter


def limit(x: np.ndarray, ceiling: float) -> np.ndarray:
    """Look-ahead true-peak limiter: no peak above ``ceiling``, gain ramps instead of steps.

    Peaks are found between samples too (4x oversampled), since that is what
    a true-peak meter and an MP3 decoder see. See ``_Limiter`` for how the
    gain is held and ramped.
    """
    x = np.asarray(x, dtype=np.float32)
    if x.size == 0:
        return x
    _, magnitude = _analyse(x, k_weight=False, peaks=True)
    assert magnitude is not None
    peaks = _block_peaks(magnitude)
    if float(peaks.max()) <= ceiling:
        return x
    limiter = _Limiter([peaks], [ceiling])
    return x * limiter.curve(limiter.gains(1.0), 0, x.size)


def _block_peaks(magnitude: np.ndarray) -> np.ndarray:
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


class _Limiter:
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

    def __init__(self, peaks: Sequence[np.ndarray], ceilings: Sequence[float]) -> None:
        sizes = [p.size for p in peaks]
        ends = np.cumsum([0] + [s + _SEPARATOR for s in sizes])
        self.offsets = _SEPARATOR + ends[:-1]
        self.sizes = sizes
        room = np.full(sum(sizes) + _SEPARATOR * (len(sizes) + 1), np.inf, dtype=np.float32)
        for offset, p, ceiling in zip(self.offsets, peaks, ceilings, strict=True):
            room[offset : offset + p.size] = np.float32(ceiling) / np.maximum(p, np.float32(1e-9))
        self.room = room  # the gain at which each block would touch its ceiling

    def gains(self, gain: float) -> np.ndarray:
        """Per laid-out block, the limiter's gain (1 where nothing is near the ceiling)."""
        need = np.minimum(np.float32(1), self.room / np.float32(gain))
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
        own = self.clip_gains(gains, index).astype(np.float32)
        ends = np.concatenate((own[:1], own, own[-1:]))
        ramp = (np.arange(BLOCK, dtype=np.float32) + np.float32(0.5)) / np.float32(BLOCK)
        lines = ends[:-1, None] + (ends[1:] - ends[:-1])[:, None] * ramp
        return lines.ravel()[BLOCK // 2 : BLOCK // 2 + samples]


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


# ------------------------------------------------------------------ levelling


@dataclass(frozen=True)
class Leveled:
    clips: dict[str, np.ndarray]  # float32, int16 scale, gain and limiter applied
    sounds: dict[str, np.ndarray]
    measured_lufs: float  # what the track's PCM measures by this meter (nan: gain from the cache)


@dataclass(frozen=True)
class _Level:
    gain_db: float
    sound_db: dict[str, float]
    peaks: np.ndarray | None  # every clip's block peaks, in sorted text order


_CACHE: dict[str, _Level] = {}


def level(
    cues: Sequence[Cue],
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
    key = _key(cues, clips, sounds, target)
    if key not in _CACHE and cache_dir is not None:
        _load_level(cache_dir, key)
    known = _CACHE.get(key)
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
    room = _headroom(cues, leveled_sounds, ceiling)
    texts = sorted(clips)
    blocks = [-(-clips[t].size // BLOCK) for t in texts]
    measured = float("nan")
    if known is None:
        peaks, gain_db, measured = _find_gain(cues, clips, leveled_sounds, room, target)
    else:
        gain_db, peaks = known.gain_db, known.peaks
        if peaks is None or peaks.size != sum(blocks):
            peaks, _ = _clip_analysis(texts, clips, k_weight=False)
    _CACHE[key] = _Level(gain_db, sound_db, peaks)
    limiter = _limiter(peaks, blocks, [room.get(t, ceiling) for t in texts])
    gains = limiter.gains(db_to_gain(gain_db))
    out = {}
    for index, text in enumerate(texts):
        samples = clips[text]
        curve = limiter.curve(gains, index, samples.size)
        out[text] = samples * (curve * np.float32(db_to_gain(gain_db)))  # int16 * float32: float32
    if cache_dir is not None:
        _store_level(cache_dir, key)
    return Leveled(out, leveled_sounds, measured)


def _find_gain(
    cues: Sequence[Cue],
    clips: Mapping[str, np.ndarray],
    sounds: Mapping[str, np.ndarray],
    room: Mapping[str, float],
    target: float,
) -> tuple[np.ndarray, float, float]:
    """The clips' block peaks, the speech gain in dB that meets ``target``, and what it measures.

    A function of its own so that the K-weighted clips and the meter's sums
    are let go before the levelled clips are made: the cold peak of memory.
    """
    ceiling = 32767 * db_to_gain(CEILING_DBFS)
    texts = sorted(clips)
    peaks, weighted = _clip_analysis(texts, clips, k_weight=True)
    assert weighted is not None
    blocks = [-(-clips[t].size // BLOCK) for t in texts]
    limiter = _limiter(peaks, blocks, [room.get(t, ceiling) for t in texts])
    meter = _TrackMeter(cues, weighted, _k_sounds(sounds), limiter, texts)
    del weighted  # the meter keeps its sums, not the signals
    gain_db, measured = meter.search(target + MP3_LOSS_LU)
    return peaks, gain_db, measured


def _limiter(peaks: np.ndarray, blocks: Sequence[int], ceilings: Sequence[float]) -> _Limiter:
    """The limiter over clips whose block peaks are laid end to end in ``peaks``."""
    pieces = np.split(peaks, np.cumsum(blocks)[:-1]) if blocks else []
    return _Limiter(pieces, ceilings)


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
    ring = _k_kernel(RATE_HZ).size - 1
    gap = max(ring, 2 * _HALF_TAPS)
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
        layouts.append((batch, starts, n, _Frames.of(n, RATE_HZ)))
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
        _filter(padded, f, RATE_HZ, weighted_out, magnitude)
        blocks = _block_peaks(magnitude[:n])
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
        k, _ = _analyse(samples, k_weight=True, peaks=False)
        assert k is not None
        out[name] = k
    return out


class _TrackMeter:
    """The track's integrated loudness at any speech gain, from sums taken once.

    The K-weighting is linear and the limiter's gain moves slowly next to
    it, so the track's K-weighted signal at gain g is g * s * k + b: k the
    clips' K-weighted signals where the cues place them, s the limiter's
    gain, b the bells'. Taking s in each 16-sample block at its value at
    the block's centre, the energy of a block is g^2 s^2 sum(k^2) + 2 g s
    sum(k b) + sum(b^2). So the timeline is cut where a clip's block or a
    100 ms of the meter begins, the sums are taken once per piece, and a
    try costs a gather, a multiply and a bincount over the pieces instead
    of a pass over every sample. Against the track as mixed and measured
    sample by sample this is within 0.002 LU, also under 30 dB of limiting.
    """

    def __init__(
        self,
        cues: Sequence[Cue],
        weighted: Mapping[str, np.ndarray],
        sounds: Mapping[str, np.ndarray],
        limiter: _Limiter,
        texts: Sequence[str],
    ) -> None:
        self.limiter = limiter
        first = {text: int(limiter.offsets[i]) for i, text in enumerate(texts)}
        count = dict(zip(texts, limiter.sizes, strict=True))
        items = sorted(
            (sample_index(c.start_ms), c.kind == "speech", c.text)
            for c in cues
            if (c.text in weighted if c.kind == "speech" else c.text in sounds)
        )
        # per piece of speech: its block in the limiter's layout, its 100 ms, sum(k^2);
        # where words and a bell overlap also sum(k b); per piece of a bell's stretch sum(b^2)
        self._parts: dict[str, list[np.ndarray]] = {
            name: []
            for name in ("src", "sub", "kk", "cross_src", "cross_sub", "kb", "bell_sub", "bb")
        }
        group: list[tuple[int, bool, str]] = []
        end = 0
        for item in [*items, None]:
            if item is not None and (not group or item[0] < end):
                group.append(item)
                signal = weighted[item[2]] if item[1] else sounds[item[2]]
                end = max(end, item[0] + signal.size)
                continue
            if group:
                self._cut(group, end, weighted, sounds, first, count)
            if item is not None:
                group = [item]
                end = item[0] + (weighted[item[2]] if item[1] else sounds[item[2]]).size
        # + 400 ms: the blocks that begin before the last sound ends and go on into the
        # silence after it (a track goes on a second past its last cue)
        self.size = end // _SUB + 4
        parts = self._parts
        del self._parts
        cat = {
            name: np.concatenate(found) if found else np.zeros(0) for name, found in parts.items()
        }
        parts.clear()  # the lists of pieces: as much memory again as what is kept
        self.src, self.sub, self.kk = cat["src"], cat["sub"], cat["kk"]
        self.cross_src, self.cross_sub, self.kb = cat["cross_src"], cat["cross_sub"], cat["kb"]
        self.bells = np.bincount(cat["bell_sub"], cat["bb"], minlength=self.size)

    def _cut(
        self,
        group: list[tuple[int, bool, str]],
        end: int,
        weighted: Mapping[str, np.ndarray],
        sounds: Mapping[str, np.ndarray],
        first: Mapping[str, int],
        count: Mapping[str, int],
    ) -> None:
        """The sums for cues that overlap (with their filters' ring-out) into one stretch."""
        origin = group[0][0]
        k = np.zeros(end - origin, dtype=np.float32)
        b = np.zeros(end - origin, dtype=np.float32) if any(not s for _, s, _ in group) else None
        for start, speech, text in group:
            signal = weighted[text] if speech else sounds[text]
            target = k if speech else b
            assert target is not None
            target[start - origin : start - origin + signal.size] += signal
        said = [(start - origin, text) for start, speech, text in group if speech]
        starts, ends, sources, spans = [], [], [], []
        for i, (at, text) in enumerate(said):
            stop = min(at + weighted[text].size, said[i + 1][0] if i + 1 < len(said) else k.size)
            j = np.arange(-(-(stop - at) // BLOCK))
            starts.append(at + j * BLOCK)
            ends.append(np.minimum(at + (j + 1) * BLOCK, stop))
            spans.append(np.append(starts[-1], stop))
            sources.append(first[text] + np.minimum(j, count[text] - 1))  # ring-out: last gain
        block_start = np.concatenate([[-1], *starts])  # a block before all: nothing is inside it
        block_end = np.concatenate([[-1], *ends])
        source = np.concatenate([[-1], *sources]).astype(np.int32)
        grid = np.arange(-(-origin // _SUB) * _SUB, end, _SUB) - origin
        # sorted runs (each span's block starts and its end, then the grid): a merge
        cuts = np.sort(np.concatenate(([0], *spans, grid)), kind="stable")
        cuts = cuts[np.concatenate(([True], cuts[1:] != cuts[:-1])) & (cuts < k.size)]
        where = np.searchsorted(block_start, cuts, side="right") - 1
        src = np.where(cuts < block_end[where], source[where], -1)
        sub = ((origin + cuts) // _SUB).astype(np.int32)
        speech = src >= 0
        kk = np.add.reduceat(k * k, cuts, dtype=np.float64)
        self._parts["src"].append(src[speech])
        self._parts["sub"].append(sub[speech])
        self._parts["kk"].append(kk[speech])
        if b is not None:
            kb = np.add.reduceat(k * b, cuts, dtype=np.float64)
            cross = speech & (kb != 0)  # words over a bell's ring: few pieces
            self._parts["cross_src"].append(src[cross])
            self._parts["cross_sub"].append(sub[cross])
            self._parts["kb"].append(kb[cross])
            self._parts["bell_sub"].append(sub)
            self._parts["bb"].append(np.add.reduceat(b * b, cuts, dtype=np.float64))

    def lufs(self, gain: float, block_gains: np.ndarray | None = None) -> float:
        """The track's integrated loudness with the speech at ``gain`` (linear)."""
        if block_gains is None:
            s, c = np.float64(1.0), np.float64(1.0)
        else:
            s, c = block_gains[self.src], block_gains[self.cross_src]
        energy = np.bincount(self.sub, (gain * gain) * self.kk * (s * s), minlength=self.size)
        energy += np.bincount(self.cross_sub, (2 * gain) * self.kb * c, minlength=self.size)
        return _gated(energy + self.bells, RATE_HZ)

    def search(self, aim: float) -> tuple[float, float]:
        """The speech gain in dB at which the limited track measures ``aim``, and what it measures.

        Loudness rises with gain but ever more slowly as the limiter takes
        more back: start from the gain that would do without a limiter (a
        lower bound), then secant steps kept inside the bracket found so far.
        Speech with a high crest factor may never reach the aim under the
        ceiling (the curve flattens a few tenths of an LU short): once a dB
        buys less than ``MIN_SLOPE``, the lower of the last two gains is
        kept, since more would only squash the words harder.
        """
        raw = self.lufs(1.0)
        if not math.isfinite(raw) or self.src.size == 0:
            return 0.0, raw  # no words, or none the meter hears: no gain to find
        lo: tuple[float, float] | None = None
        hi: tuple[float, float] | None = None
        gain_db = aim - raw
        tried: list[tuple[float, float]] = []
        for _ in range(40):
            gain = db_to_gain(gain_db)
            found = self.lufs(gain, self.limiter.gains(gain))
            tried.append((gain_db, found))
            if abs(found - aim) <= TOLERANCE_LU:
                break
            below = [t for t in tried[:-1] if t[0] < gain_db]
            if found < aim and below:
                last = max(below)
                if found - last[1] < MIN_SLOPE * (gain_db - last[0]):
                    return last  # out of reach
            if found < aim:
                lo = (gain_db, found) if lo is None or gain_db > lo[0] else lo
            else:
                hi = (gain_db, found) if hi is None or gain_db < hi[0] else hi
            gain_db = _next_try(tried, aim, lo, hi)
            if any(abs(gain_db - g) < 1e-9 for g, _ in tried):
                break  # pinned at a limit: nothing new to learn
        return min(tried, key=lambda t: abs(t[1] - aim))


def _next_try(
    tried: list[tuple[float, float]],
    aim: float,
    lo: tuple[float, float] | None,
    hi: tuple[float, float] | None,
) -> float:
    """Secant of the last two tries (first slope: 0.6 LU per dB), bisection if it leaves the bracket.

    A step is at most ``MAX_STEP_DB``: the slope is only known near the
    tries, and where the curve flattens a long secant step would land far
    past the point of no return (and where the sums per block stop
    following the samples: at 40 dB and more of limiting).
    """
    (g1, m1) = tried[-1]
    slope = 0.6
    if len(tried) > 1:
        g0, m0 = tried[-2]
        if g1 != g0 and m1 != m0:
            slope = min(1.0, max(0.05, (m1 - m0) / (g1 - g0)))
    guess = g1 + min(MAX_STEP_DB, max(-MAX_STEP_DB, (aim - m1) / slope))
    if lo is not None and hi is not None and not lo[0] < guess < hi[0]:
        guess = (lo[0] + hi[0]) / 2
    return min(60.0, max(-60.0, guess))


def _level_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / "levels" / f"{key}.json"


def _load_level(cache_dir: Path, key: str) -> None:
    """A warm build reuses the gains and peaks found before: finding them costs, reading nothing."""
    path = _level_path(cache_dir, key)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        gain_db = float(doc["gain_db"])
        sound_db = {k: float(v) for k, v in doc["sound_db"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return  # absent or damaged: measure again
    try:
        peaks = np.load(path.with_suffix(".npy"), allow_pickle=False)
        peaks = peaks if peaks.dtype == np.float32 and peaks.ndim == 1 else None
    except (OSError, ValueError, EOFError):
        peaks = None  # only the peaks are lost: found again, without measuring
    _CACHE[key] = _Level(gain_db, sound_db, peaks)


def _store_level(cache_dir: Path, key: str) -> None:
    """Write what is missing on disk (the gains' JSON, the peaks beside it), atomically."""
    found = _CACHE[key]
    path = _level_path(cache_dir, key)
    doc = json.dumps({"gain_db": found.gain_db, "sound_db": found.sound_db}).encode()
    wanted = [(path, lambda fh: fh.write(doc))]
    if found.peaks is not None:
        peaks = found.peaks
        wanted.append((path.with_suffix(".npy"), lambda fh: np.save(fh, peaks)))
    for target, write in wanted:
        if target.exists():
            continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        except OSError:
            return  # the clip cache already reported an unwritable folder; this is only a shortcut
        try:
            with os.fdopen(fd, "wb") as fh:
                write(fh)
            os.replace(tmp, target)
        except OSError:
            Path(tmp).unlink(missing_ok=True)


def _headroom(
    cues: Sequence[Cue], sounds: Mapping[str, np.ndarray], ceiling: float
) -> dict[str, float]:
    """A lower ceiling for words said while a bell still rings, so the sum stays under."""
    room: dict[str, float] = {}
    bells = [c for c in cues if c.kind == "sound"]
    for cue in cues:
        if cue.kind != "speech":
            continue
        for bell in bells:
            if bell.start_ms <= cue.start_ms < bell.end_ms:
                tail = sounds[bell.text][sample_index(cue.start_ms - bell.start_ms) :]
                if tail.size:
                    lower = ceiling - float(np.max(np.abs(tail)))
                    room[cue.text] = min(room.get(cue.text, ceiling), lower)
    return room


def _key(
    cues: Sequence[Cue],
    clips: Mapping[str, np.ndarray],
    sounds: Mapping[str, np.ndarray],
    target: float,
) -> str:
    digest = hashlib.sha256(_VERSION + f"{target:.3f}".encode())
    for cue in cues:
        digest.update(f"{cue.start_ms}\0{cue.kind}\0{cue.text}\0".encode())
    for text in sorted(clips):
        digest.update(hashlib.sha256(clips[text].tobytes()).digest())
    for name in sorted(sounds):
        digest.update(name.encode() + hashlib.sha256(sounds[name].tobytes()).digest())
    return digest.hexdigest()
