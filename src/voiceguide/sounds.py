"""Bells and tones synthesized in code: no binary assets in the repository.

Each sound has a sharp attack (so its start can be found to the millisecond
in the decoded track) and a smooth exponential decay. Peaks sit a few dB
under the voice.
"""

from __future__ import annotations

import functools

import numpy as np

from .speech import RATE_HZ


def _bell(
    fundamental: float,
    partials: tuple[tuple[float, float, float], ...],
    seconds: float,
    peak: float,
) -> np.ndarray:
    """Sum of decaying partials: (frequency ratio, amplitude, decay time in s)."""
    t = np.arange(int(RATE_HZ * seconds)) / RATE_HZ
    wave = np.zeros_like(t)
    for ratio, amplitude, decay in partials:
        wave += amplitude * np.sin(2 * np.pi * fundamental * ratio * t) * np.exp(-t / decay)
    attack = np.minimum(1.0, t / 0.004)  # 4 ms: no click, still a clear onset
    release = np.clip((seconds - t) / 0.05, 0.0, 1.0)  # last 50 ms fade to true zero
    wave *= attack * release
    wave *= peak / np.max(np.abs(wave))
    return (wave * 32767).astype(np.int16)


@functools.cache
def sound(name: str) -> np.ndarray:
    """The named sound's samples at the track's rate."""
    if name == "step":  # a soft bell that opens each step
        return _bell(
            587.3,
            ((1.0, 1.0, 0.9), (2.0, 0.45, 0.5), (2.76, 0.25, 0.35), (5.4, 0.1, 0.15)),
            2.2,
            0.35,
        )
    if name == "cue":  # a lighter, shorter tone for reminders inside a step
        return _bell(1174.7, ((1.0, 1.0, 0.25), (2.0, 0.2, 0.12)), 0.7, 0.22)
    if name == "end":  # a lower, longer closing bell
        return _bell(
            392.0, ((1.0, 1.0, 1.4), (2.0, 0.5, 0.9), (3.0, 0.3, 0.6), (4.2, 0.15, 0.4)), 3.0, 0.4
        )
    raise KeyError(f"no sound named {name!r}")


SOUND_NAMES = ("step", "cue", "end")


def sound_lengths_ms() -> dict[str, int]:
    return {name: round(sound(name).size * 1000 / RATE_HZ) for name in SOUND_NAMES}
