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
