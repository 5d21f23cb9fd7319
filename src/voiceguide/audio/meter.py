"""Loudness as EBU R128 measures it: ffmpeg's ebur128 as the reference, and numpy's own.

``measure`` and ``measure_file`` run ffmpeg's meter (what the tests hold
everything to). ``integrated_lufs`` is the same measure in numpy (BS.1770:
K-weighting, 400 ms blocks every 100 ms, absolute and relative gates), and
the FFT analysis here gives, in one pass over a clip, its K-weighted signal
and its peaks between samples: what levelling needs, without starting a
process for every try of its gain search.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import ffmpeg
from ..errors import FfmpegError
from ..pcm import RATE_HZ

HALF_TAPS = 256  # the fractional-delay filters that find peaks between samples: 512 taps
SUB = RATE_HZ // 10  # the meter's 100 ms: its 400 ms blocks start every one of them
_ABS_GATE = -70.0
_REL_GATE = -10.0
_FULL_SCALE = 32768.0  # ffmpeg reads 16-bit samples as value / 32768

_I_RE = re.compile(r"I:\s+(-?[\d.]+|-inf) LUFS")
_PEAK_RE = re.compile(r"Peak:\s+(-?[\d.]+|-inf) dBFS")


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    true_peak_dbtp: float


def measure(samples: np.ndarray, *, rate_hz: int = RATE_HZ, true_peak: bool = False) -> Loudness:
    """ffmpeg's ebur128 over mono samples (int16 scale); the reference meter."""
    pcm = np.clip(np.rint(samples), -32768, 32767).astype("<i2").tobytes()
    peak = "true" if true_peak else "none"
    args = [
        "-hide_banner", "-nostats", "-f", "s16le", "-ar", str(rate_hz), "-ac", "1", "-i", "pipe:0",
        "-af", f"ebur128=peak={peak}", "-f", "null", "-",
    ]  # fmt: skip
    return _read_meter(ffmpeg.run(args, doing="measure loudness", feed=[pcm]))


def measure_file(path: str | Path, *, true_peak: bool = True) -> Loudness:
    """Integrated loudness and true peak of an audio file, as a player would decode it."""
    peak = "true" if true_peak else "none"
    args = [
        "-hide_banner", "-nostdin", "-nostats", "-i", str(path),
        "-af", f"ebur128=peak={peak}", "-f", "null", "-",
    ]  # fmt: skip
    return _read_meter(ffmpeg.run(args, doing="measure loudness"))


def _read_meter(result: ffmpeg.Result) -> Loudness:
    summary = result.stderr[result.stderr.rfind("Summary:") :]
    found = _I_RE.search(summary)
    if not found:
        raise FfmpegError("ffmpeg could not measure loudness: no summary", stderr=result.stderr)
    peak = _PEAK_RE.search(summary)
    return Loudness(_number(found.group(1)), _number(peak.group(1)) if peak else float("nan"))


def _number(text: str) -> float:
    return float("-inf") if text == "-inf" else float(text)


def db_to_gain(db: float) -> float:
    return float(10 ** (db / 20))


# ------------------------------------------------------------------ the meter


def integrated_lufs(samples: np.ndarray, *, rate_hz: int = RATE_HZ) -> float:
    """EBU R128 integrated loudness of mono samples (int16 scale), computed here.

    The same arithmetic as ffmpeg's ``ebur128`` (BS.1770-4: K-weighting
    designed for the actual rate_hz, 400 ms blocks every 100 ms, gates at -70
    LUFS and 10 LU under the mean) without a process and a pipe, so a
    gain search can afford to ask many times. -inf when nothing passes the
    gate.
    """
    x = np.asarray(samples, dtype=np.float32)
    weighted, _ = analyse(x, rate_hz=rate_hz, k_weight=True, peaks=False)
    assert weighted is not None
    return gated(_sub_energies(weighted[: x.size], rate_hz), rate_hz)  # ffmpeg hears no ring-out


def _sub_energies(weighted: np.ndarray, rate_hz: int) -> np.ndarray:
    """Sum of squares of each whole 100 ms (a partial last one is not measured, as in ffmpeg)."""
    sub = rate_hz // 10
    rows = weighted[: weighted.size // sub * sub].reshape(-1, sub)
    return np.einsum("ij,ij->i", rows, rows, dtype=np.float64)


def gated(sub_energies: np.ndarray, rate_hz: int) -> float:
    """Integrated loudness from the energies of consecutive 100 ms: 400 ms blocks, two gates."""
    e = sub_energies
    if e.size < 4:
        return float("-inf")
    power = (e[:-3] + e[1:-2] + e[2:-1] + e[3:]) / (4 * (rate_hz // 10) * _FULL_SCALE**2)
    eps = np.finfo(np.float64).eps  # as ffmpeg adds, so that silence is not log(0)
    lufs = -0.691 + 10 * np.log10(power + eps)
    kept = power[lufs >= _ABS_GATE]
    if kept.size == 0:
        return float("-inf")
    relative = -0.691 + 10 * math.log10(float(kept.mean()) + eps) + _REL_GATE
    gated = kept[lufs[lufs >= _ABS_GATE] >= relative]
    return -0.691 + 10 * math.log10(float(gated.mean()) + eps)


def _biquads(rate_hz: int) -> tuple[tuple[list[float], list[float]], ...]:
    """BS.1770's pre-filter and RLB high-pass, redesigned for ``rate`` as libebur128 and ffmpeg do.

    The standard gives coefficients for 48 kHz only; this is their analogue
    prototype, so 22,050 Hz speech is weighted as the reference meter weights it.
    """
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate_hz)
    vh = 10 ** (gain_db / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    pre = (
        [(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0],
        [1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0],
    )
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate_hz)
    a0 = 1 + k / q + k * k
    rlb = ([1.0, -2.0, 1.0], [1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    return pre, rlb


@functools.cache
def k_kernel(rate_hz: int) -> np.ndarray:
    """The K-weighting's impulse response, cut where it has decayed under 1e-7 of its peak.

    numpy has no IIR filter, but an FFT convolution with this response is
    the same filter: what is cut carries under 1e-12 of the energy.
    """
    response = [1.0] + [0.0] * (rate_hz // 4 - 1)  # 250 ms: the 38 Hz high-pass decays in 60
    for b, a in _biquads(rate_hz):
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
    the error stays under 1e-5 up to 0.49 of the rate_hz, where espeak's
    clicks still have energy (64 taps would miss a quarter dB of their peaks).
    """
    k = np.arange(-HALF_TAPS, HALF_TAPS)
    kernels = []
    for delay in (0.25, 0.5, 0.75):
        t = k + delay  # y[n] = sum c[k] x[n - k] = x(n + delay)
        window = np.i0(10 * np.sqrt(np.clip(1 - (t / HALF_TAPS) ** 2, 0, None))) / np.i0(10)
        kernels.append(np.sinc(t) * window)
    return tuple(kernels)


@functools.cache
def _spectra(rate_hz: int, size: int, k_weight: bool, peaks: bool) -> tuple[np.ndarray, ...]:
    """The filters' transforms at one frame size (times the size: see ``filter_frames``), once."""
    out = []
    if k_weight:
        out.append((np.fft.rfft(k_kernel(rate_hz), size) * size).astype(np.complex64))
    if peaks:
        for kernel in _phase_kernels():
            circular = np.zeros(size)
            circular[np.arange(-HALF_TAPS, HALF_TAPS) % size] = kernel  # taps before 0 wrap
            out.append((np.fft.rfft(circular) * size).astype(np.complex64))
    return tuple(out)


@dataclass(frozen=True)
class Frames:
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
    def of(cls, n: int, rate_hz: int) -> Frames:
        ring = k_kernel(rate_hz).size - 1
        history, future = max(ring, HALF_TAPS - 1), HALF_TAPS
        size = min(16384, 1 << (n + ring + history + future - 1).bit_length())
        step = size - history - future
        return cls(history, future, size, step, max(1, -(-(n + ring) // step)), ring)

    @property
    def padded(self) -> int:
        return self.frames * self.step + self.history + self.future


def analyse(
    x: np.ndarray, *, rate_hz: int = RATE_HZ, k_weight: bool, peaks: bool
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """One round of FFTs over ``x`` (float32) for its K-weighting and/or its true magnitude.

    The K-weighted signal comes with the filter's ring-out (``x.size +
    kernel - 1`` samples). The magnitude of sample n is the largest of |x|
    at n and at n + 1/4, 1/2, 3/4.
    """
    f = Frames.of(x.size, rate_hz)
    padded = np.zeros(f.padded, dtype=np.float32)
    padded[f.history : f.history + x.size] = x
    weighted = np.empty(f.frames * f.step, dtype=np.float32) if k_weight else None
    magnitude = np.empty(f.frames * f.step, dtype=np.float32) if peaks else None
    filter_frames(padded, f, rate_hz, weighted, magnitude)
    return (
        weighted[: x.size + f.ring] if weighted is not None else None,
        magnitude[: x.size] if magnitude is not None else None,
    )


def filter_frames(
    padded: np.ndarray,
    f: Frames,
    rate_hz: int,
    weighted: np.ndarray | None,
    magnitude: np.ndarray | None,
) -> None:
    """The frames' FFTs: K-weighting and true magnitude written into the arrays given.

    Frames of a fixed size: the FFT of a whole clip costs a hundred times
    more at a length with large prime factors. Four frames a batch keep
    each temporary at a quarter of a megabyte.
    """
    view = np.lib.stride_tricks.sliding_window_view(padded[: f.padded], f.size)[:: f.step]
    spectra = _spectra(rate_hz, f.size, weighted is not None, magnitude is not None)
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
