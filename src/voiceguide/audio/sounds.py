"""Bells and tones synthesized in code: no binary assets in the repository.

Each sound has a sharp attack (so its start can be found to the millisecond
in the decoded track) and a smooth exponential decay. Levels are set later
(see loudness.py): the bells sit a few LU under the voice. A routine may name
its own WAV or MP3 for any of them (``sounds:`` in the routine file).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import FfmpegError, InputError
from ..pcm import RATE_HZ

if TYPE_CHECKING:
    import numpy as np

# numpy is imported where a sound is made: `voiceguide check` needs only the lengths.

MAX_OWN_SOUND_MS = 4000  # a routine's own sound is cut (with a fade) so it cannot bury the words
# Only a file's first 8 s are decoded, however long it is (a few MB of FLAC can hold hours):
# room for the 4 s kept after up to 4 s of silence before the sound starts.
OWN_SOUND_READ_MS = 2 * MAX_OWN_SOUND_MS


# A sound has died away where it falls this far under its own peak, for good. The words'
# quietest syllables (the 10th percentile of a sentence's 20 ms frames) measure -33 dB
# under their clip's peak in the median, -39 dB at the lowest (both voices, the four
# routines), and a sound is levelled to peak at least 5 dB under the words
# (loudness.SOUND_UNDER_LU, SOUND_CEILING_DBFS): -40 dB under its own peak is well under
# every syllable. No word starts before (``timeline.place``: the words wait for the sound).
AUDIBLE_DB = -40.0


def _bell(
    fundamental: float,
    partials: tuple[tuple[float, float, float], ...],
    seconds: float,
    peak: float,
    fade: float = 0.05,
) -> np.ndarray:
    """Sum of decaying partials: (frequency ratio, amplitude, decay time in s), faded out
    to true zero over its last ``fade`` seconds (a raised cosine)."""
    import numpy as np

    t = np.arange(int(RATE_HZ * seconds)) / RATE_HZ
    wave = np.zeros_like(t)
    for ratio, amplitude, decay in partials:
        wave += amplitude * np.sin(2 * np.pi * fundamental * ratio * t) * np.exp(-t / decay)
    attack = np.minimum(1.0, t / 0.004)  # 4 ms: no click, still a clear onset
    left = np.clip((seconds - t) / fade, 0.0, 1.0)
    release = 0.5 - 0.5 * np.cos(np.pi * left)
    wave *= attack * release
    wave *= peak / np.max(np.abs(wave))
    return (wave * 32767).astype(np.int16)


# name: (fundamental Hz, partials (ratio, amplitude, decay s), length s, peak, fade s)
_BELLS: dict[str, tuple[float, tuple[tuple[float, float, float], ...], float, float, float]] = {
    # a soft bell that opens each step, faded out before the step's title (1.2 s after it)
    "step": (587.3, ((1.0, 1.0, 0.9), (2.0, 0.45, 0.5), (2.76, 0.25, 0.35), (5.4, 0.1, 0.15)), 1.05, 0.35, 0.6),
    # a lighter, shorter tone for reminders inside a step, gone before their words (0.6 s)
    "reminder": (1174.7, ((1.0, 1.0, 0.25), (2.0, 0.2, 0.12)), 0.45, 0.22, 0.2),
    # a lower, longer closing bell: the words after it wait for it
    "end": (392.0, ((1.0, 1.0, 1.4), (2.0, 0.5, 0.9), (3.0, 0.3, 0.6), (4.2, 0.15, 0.4)), 3.0, 0.4, 0.6),
}  # fmt: skip


@functools.cache
def sound(name: str) -> np.ndarray:
    """The named sound's samples at the track's rate."""
    if name not in _BELLS:
        raise KeyError(f"no sound named {name!r}")
    return _bell(*_BELLS[name])


SOUND_NAMES = ("step", "reminder", "end")


def builtin_lengths_ms() -> dict[str, int]:
    """The built-in sounds' lengths, as ``sound_lengths_ms`` gives them, without making them."""
    return {name: round(int(RATE_HZ * _BELLS[name][2]) * 1000 / RATE_HZ) for name in SOUND_NAMES}


def audible_ms(samples: np.ndarray) -> int:
    """Where a sound has died away (``audible_end``), in milliseconds from its start."""
    return -(-audible_end(samples) * 1000 // RATE_HZ)


def audible_end(samples: np.ndarray) -> int:
    """The sample just after a sound's last one above ``AUDIBLE_DB`` under its peak (0 for
    silence): where the words after it may begin, and where a user's sound is cut."""
    import numpy as np

    magnitude = np.abs(samples.astype(np.float64))
    peak = float(magnitude.max(initial=0.0))
    if peak == 0.0:
        return 0
    return int(np.flatnonzero(magnitude > peak * 10 ** (AUDIBLE_DB / 20))[-1]) + 1


def sound_lengths_ms(sounds: Mapping[str, np.ndarray] | None = None) -> dict[str, int]:
    chosen = sounds if sounds is not None else {n: sound(n) for n in SOUND_NAMES}
    return {name: round(s.size * 1000 / RATE_HZ) for name, s in chosen.items()}


class SoundFileError(InputError):
    """A user's sound file cannot be used; ``reason`` is said without where it was named."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def with_own(own: Mapping[str, str | Path]) -> dict[str, np.ndarray]:
    """The built-in sounds, with any named in ``own`` replaced by the user's files.

    Raises ``SoundFileError`` carrying the sound's name in ``name``.
    """
    out = {name: sound(name) for name in SOUND_NAMES}
    for name, path in own.items():
        try:
            out[name] = own_sound(Path(path))
        except SoundFileError as exc:
            exc.name = name  # type: ignore[attr-defined]
            raise
    return out


def own_sound(path: Path) -> np.ndarray:
    """A user's WAV/MP3, decoded and resampled by ffmpeg, cut to MAX_OWN_SOUND_MS from its
    attack; only its first OWN_SOUND_READ_MS are read."""
    import numpy as np

    from .decode import decode

    try:
        samples = decode(path, max_ms=OWN_SOUND_READ_MS)
    except FfmpegError as exc:
        raise SoundFileError(f"{path}: cannot be decoded as audio ({exc})") from None
    magnitude = np.abs(samples.astype(np.int32))
    loud = np.flatnonzero(magnitude > 200)  # start at its attack
    if loud.size == 0:
        raise SoundFileError(f"{path}: is silent in its first {OWN_SOUND_READ_MS // 1000}s")
    trimmed = samples[loud[0] : audible_end(samples)].astype(np.float64)  # end where it dies away
    cap = RATE_HZ * MAX_OWN_SOUND_MS // 1000
    if trimmed.size > cap:
        trimmed = trimmed[:cap]
        fade = RATE_HZ // 5
        trimmed[-fade:] *= np.linspace(1.0, 0.0, fade)
    return np.rint(trimmed).astype(np.int16)
