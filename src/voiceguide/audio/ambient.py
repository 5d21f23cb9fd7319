"""An optional ambient bed under the voice: generated noise or waves, or a file.

The bed is one seamless loop held in memory (tens of seconds) and read by
sample index, so a block of any length at any point of an hours-long track
costs the same and memory does not grow with the track. Generated beds are
synthesized in the frequency domain, which makes them circular: the loop
joins itself without a seam. A file is decoded once and its tail is
crossfaded into its head. Under speech the bed is ducked with raised-cosine
fades; short pauses between sentences stay ducked, so the bed swells only
where the voice leaves room.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..errors import FfmpegError, InputError
from ..pcm import RATE_HZ
from .decode import decode
from .meter import db_to_gain, integrated_lufs

GENERATED = ("noise", "waves")
LOOP_SECONDS = 48  # generated loop; a multiple of the wave period
WAVE_PERIOD_S = 8.0
BED_UNDER_LU = 25.0  # the bed between words, under the target: under the loudness gate too
DUCK_DB = -12.0  # and this much lower under speech
FADE_DOWN_MS = 400  # the bed is fully ducked when the first word starts
FADE_UP_MS = 1200
CROSSFADE_S = 2.0  # where a file's loop joins itself


def describe() -> str:
    return f"{', '.join(GENERATED)} or a path to an audio file"


def resolve(choice: str) -> str:
    """Check an --ambient value before any audio is made: a bed's name or a file."""
    if choice in GENERATED or Path(choice).is_file():
        return choice
    raise InputError(f"--ambient {choice}: no such bed or file; use {describe()}")


@functools.cache
def generated(name: str) -> np.ndarray:
    """A circular loop of soft noise (``noise``) or slow swells of it (``waves``)."""
    n = RATE_HZ * LOOP_SECONDS
    rng = np.random.default_rng(20240611)
    spectrum = rng.standard_normal(n // 2 + 1) + 1j * rng.standard_normal(n // 2 + 1)
    freqs = np.fft.rfftfreq(n, 1 / RATE_HZ)
    shape = 1 / np.sqrt(np.maximum(freqs, 40.0))  # pink: equal energy per octave
    cutoff = 1200.0 if name == "noise" else 700.0  # soft: little hiss
    shape /= 1 + (freqs / cutoff) ** 2
    shape[freqs < 30] = 0.0
    noise = np.fft.irfft(spectrum * shape, n)
    if name == "waves":
        t = np.arange(n) / RATE_HZ
        swell = 0.5 - 0.5 * np.cos(2 * np.pi * t / WAVE_PERIOD_S)
        noise *= 0.15 + 0.85 * swell**1.5
    elif name != "noise":
        raise KeyError(name)
    return (noise / np.sqrt(np.mean(noise**2))).astype(np.float32)


def from_file(path: str) -> np.ndarray:
    """A file decoded once, its tail crossfaded into its head so it loops without a seam."""
    try:
        x = decode(Path(path)).astype(np.float32)
    except FfmpegError as exc:
        raise InputError(f"--ambient {path}: cannot be decoded as audio ({exc})") from None
    if x.size < RATE_HZ or not np.any(x):
        raise InputError(f"--ambient {path}: needs at least a second of sound")
    fade = min(int(CROSSFADE_S * RATE_HZ), x.size // 4)
    loop = x[: x.size - fade].copy()
    ramp = np.linspace(0.0, np.pi / 2, fade, dtype=np.float32)
    loop[:fade] = x[:fade] * np.sin(ramp) + x[x.size - fade :] * np.cos(ramp)  # equal power
    return loop / np.float32(np.sqrt(np.mean(loop.astype(np.float64) ** 2)) + 1e-9)


class AmbientBed:
    """``bed(begin, end)``: float samples of the ducked bed for a span (mixer.stream's hook)."""

    def __init__(
        self,
        loop: np.ndarray,
        speech: Iterable[tuple[int, int]],
        *,
        target: float,
        duck_db: float = DUCK_DB,
    ) -> None:
        own = integrated_lufs(np.resize(loop, min(loop.size * 2, RATE_HZ * 60)) * 3000)
        self.loop = loop * np.float32(3000 * db_to_gain(target - BED_UNDER_LU - own))
        self.duck = db_to_gain(duck_db)
        self.down = RATE_HZ * FADE_DOWN_MS // 1000
        self.up = RATE_HZ * FADE_UP_MS // 1000
        self.spans = _merge(sorted(speech), self.down + self.up)
        self.starts = [s for s, _ in self.spans]

    def depth(self, begin: int, end: int) -> np.ndarray:
        """0 where the bed plays in full, 1 where it is fully ducked, smooth in between."""
        t = np.arange(begin, end)
        out = np.zeros(end - begin, dtype=np.float32)
        first = max(0, bisect.bisect_right(self.starts, begin - self.up) - 1)
        for s, e in self.spans[first:]:
            if s - self.down >= end:
                break
            d = np.zeros_like(out)
            d[(t >= s) & (t < e)] = 1.0
            rising = (t >= s - self.down) & (t < s)
            d[rising] = _ease((t[rising] - (s - self.down)) / self.down)
            falling = (t >= e) & (t < e + self.up)
            d[falling] = _ease(1 - (t[falling] - e) / self.up)
            np.maximum(out, d, out=out)
        return out

    def __call__(self, begin: int, end: int) -> np.ndarray:
        samples = self.loop[np.arange(begin, end) % self.loop.size]
        return samples * (1 - (1 - self.duck) * self.depth(begin, end))


def _ease(x: np.ndarray) -> np.ndarray:
    return (0.5 - 0.5 * np.cos(np.pi * x)).astype(np.float32)


def _merge(spans: list[tuple[int, int]], gap: int) -> list[tuple[int, int]]:
    """Join spans closer than ``gap``: the bed does not swell in a sentence pause."""
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out and s - out[-1][1] < gap:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def load(choice: str) -> np.ndarray:
    resolve(choice)
    return generated(choice) if choice in GENERATED else from_file(choice)
