"""One meaning for ``--rate``: words a minute, as the listener hears them, for every engine.

Neither engine's own setting is words a minute: pyttsx3's ``rate`` at 150
gave espeak-ng sentences of about 172 words a minute, and Piper's
``length_scale`` is a stretch factor whose pace is not even proportional to
it. So each engine's setting is read off a table measured here: the words of
every sentence of the four routines divided by their clips' length with the
silent edges trimmed (as the captions time them), pooled, for a range of
settings (``scripts/bench --speech`` measures the result). Between points the
setting is interpolated; beyond the ends, pace is taken as proportional to
the setting (pyttsx3) or to its inverse (Piper).
"""

from __future__ import annotations

import numpy as np

# (measured words a minute, pyttsx3 rate), espeak-ng voice gmw/en-us, ascending
PYTTSX3_TABLE: tuple[tuple[float, float], ...] = (
    (107.9, 80.0), (127.7, 100.0), (152.7, 120.0), (178.3, 140.0), (202.4, 160.0),
    (227.8, 180.0), (251.5, 200.0), (276.6, 220.0), (309.5, 250.0),
)  # fmt: skip

# (measured words a minute, Piper length_scale), the bundled voice joe, ascending
PIPER_TABLE: tuple[tuple[float, float], ...] = (
    (112.6, 2.5), (123.5, 2.25), (137.6, 2.0), (149.8, 1.8), (164.6, 1.6),
    (180.9, 1.45), (202.5, 1.3), (225.7, 1.15), (238.5, 1.0), (247.1, 0.9), (269.7, 0.8),
)  # fmt: skip


def pyttsx3_rate(wpm: float) -> int:
    """pyttsx3's ``rate`` property that speaks ``wpm`` words a minute."""
    return max(1, round(_lookup(PYTTSX3_TABLE, wpm, inverse=False)))


def piper_length_scale(wpm: float) -> float:
    """Piper's ``length_scale`` that speaks ``wpm`` words a minute (4 decimals: a cache key)."""
    return round(_lookup(PIPER_TABLE, wpm, inverse=True), 4)


def _lookup(table: tuple[tuple[float, float], ...], wpm: float, *, inverse: bool) -> float:
    if wpm <= 0:
        raise ValueError(f"a rate must be positive, not {wpm}")
    paces = [p for p, _ in table]
    settings = [s for _, s in table]
    for end in (0, -1):
        beyond = wpm < paces[0] if end == 0 else wpm > paces[-1]
        if beyond:
            ratio = wpm / paces[end]
            return settings[end] / ratio if inverse else settings[end] * ratio
    return float(np.interp(wpm, paces, settings))
