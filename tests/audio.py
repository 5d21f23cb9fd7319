"""Ear-free measurements of decoded audio, shared by the tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from voiceguide.audio.decode import decode
from voiceguide.pcm import RATE_HZ


def decoded(path: Path) -> np.ndarray:
    """The MP3 decoded by ffmpeg, as floats in [-1, 1]."""
    return decode(path).astype(np.float32) / 32768.0


def at(ms: float) -> int:
    return round(ms * RATE_HZ / 1000)


def onset_ms(
    x: np.ndarray, around_ms: float, *, window_ms: float = 500, threshold: float = 0.02
) -> float | None:
    """First time near ``around_ms`` where the signal rises above ``threshold``."""
    lo = max(0, at(around_ms - window_ms))
    hi = min(x.size, at(around_ms + window_ms))
    loud = np.flatnonzero(np.abs(x[lo:hi]) > threshold)
    return None if loud.size == 0 else (lo + loud[0]) * 1000 / RATE_HZ


def peak(x: np.ndarray, start_ms: float, end_ms: float) -> float:
    seg = x[max(0, at(start_ms)) : max(0, at(end_ms))]
    return float(np.max(np.abs(seg))) if seg.size else 0.0


def rms_db(x: np.ndarray, start_ms: float, end_ms: float) -> float:
    seg = x[max(0, at(start_ms)) : max(0, at(end_ms))].astype(np.float64)
    if seg.size == 0:
        return -120.0
    return float(20 * np.log10(np.sqrt(np.mean(seg**2)) + 1e-9))


def energy_onset_ms(x: np.ndarray, planned_ms: int) -> float | None:
    """Where the level in 5 ms frames first rises well above what rang just before.

    Measured on the second difference of the samples (a high-pass of 12 dB an
    octave): a bell may still be ringing under the first words of a step,
    and soft openings like "th" and "n" are mostly high frequencies ("The
    massage is over." opens 2 dB over the end bell's ring on the first
    difference, 15 dB on the second). Only the half second around
    ``planned_ms`` is differenced, not the whole track.
    """
    lo = max(0, at(planned_ms - 300))
    before = x[max(0, lo - 2) : lo] if lo else np.zeros(0, dtype=x.dtype)
    y = np.diff(x[lo : at(planned_ms + 200)], n=2, prepend=np.pad(before, (2 - before.size, 0)))
    frame = at(5)
    # what rang just before: a bell's tail decays, so its level 250 ms earlier would set
    # the bar too high for a soft "n" or "th" (30 ms back: clear of the MP3's pre-echo)
    base = y[max(0, at(planned_ms - 60) - lo) : max(0, at(planned_ms - 30) - lo)]
    base = base.astype(np.float64)
    baseline = float(np.sqrt(np.mean(base**2))) if base.size else 0.0
    for i in range(max(0, at(planned_ms - 100)), at(planned_ms + 150), frame):
        seg = y[i - lo : i - lo + frame].astype(np.float64)
        if float(np.sqrt(np.mean(seg**2))) > max(3 * baseline, 0.002):
            return i * 1000 / 22050
    return None
