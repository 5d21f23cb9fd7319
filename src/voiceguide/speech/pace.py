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

import bisect

# (measured words a minute, pyttsx3 rate), espeak-ng voice gmw/en-us, ascending: rates 90-140
# measured on the four routines' 207 sentences (1,426 words); the others from a first table
# on 40 other sentences, scaled by 0.897, the ratio of the two where they overlap.
PYTTSX3_TABLE: tuple[tuple[float, float], ...] = (
    (96.8, 80.0), (102.9, 90.0), (114.2, 100.0), (125.7, 110.0), (136.8, 120.0),
    (148.8, 130.0), (160.2, 140.0), (181.6, 160.0), (204.3, 180.0), (225.6, 200.0),
    (248.1, 220.0), (277.6, 250.0),
)  # fmt: skip

# (measured words a minute, Piper length_scale), the bundled voice joe, ascending: 1.4-2.2
# measured on the four routines' sentences; the faster ones from a first table on 40 other
# sentences, scaled by 0.875 (the ratio of the two where they overlap).
PIPER_TABLE: tuple[tuple[float, float], ...] = (
    (110.2, 2.2), (120.2, 2.0), (131.0, 1.8), (144.6, 1.6), (163.8, 1.4),
    (177.2, 1.3), (197.5, 1.15), (208.7, 1.0), (216.2, 0.9), (236.0, 0.8),
)  # fmt: skip


def pyttsx3_rate(wpm: float) -> int:
    """pyttsx3's ``rate`` property that speaks ``wpm`` words a minute."""
    return max(1, round(_lookup(PYTTSX3_TABLE, wpm, inverse=False)))


def piper_length_scale(wpm: float) -> float:
    """Piper's ``length_scale`` that speaks ``wpm`` words a minute (4 decimals: part of the engine's fingerprint)."""
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
    # linear between the two measured points around it (np.interp, without importing numpy:
    # `voiceguide check` asks for the rate and must start quickly)
    i = max(1, bisect.bisect_left(paces, wpm))
    x0, x1, y0, y1 = paces[i - 1], paces[i], settings[i - 1], settings[i]
    return float(y0 + (y1 - y0) * (wpm - x0) / (x1 - x0)) if x1 != x0 else float(y0)


# A sentence's length at 150 words a minute, per letter or digit and per stop (, ; : . ! ?)
# less a constant: least squares over the four routines' 258 sentences, both engines (espeak-ng:
# 70 ms, 557 ms, -117 ms; the bundled Piper voice: 73, 608, -263). Over 20 sentences in a row
# it misses by 1% (median) to 6% (worst); words alone missed by 4% to 14%. A cold build's first
# plan is fitted to this guess (``timeline.fit``): changing these numbers can move a part on a
# rounding edge by a second, so it changes tracks (the same from any cache).
_GUESS_LETTER_MS = 72.0
_GUESS_STOP_MS = 580.0
_GUESS_LESS_MS = 190.0
_GUESS_WPM = 150.0
_STOPS = frozenset(",;:.!?")


def guess_ms(text: str, wpm: float) -> int:
    """How long ``text`` takes at ``wpm``, guessed from its letters and stops without speaking.

    Letters track speech better than words (long words take longer) and each
    stop is a pause. Good enough for a plan fitted to it to say the lengths
    the measured speech then gives, nearly always (see ``timeline.fit``).
    """
    if wpm <= 0:
        raise ValueError(f"a rate must be positive, not {wpm}")
    letters = sum(c.isalnum() for c in text)
    stops = sum(c in _STOPS for c in text)
    at_150 = _GUESS_LETTER_MS * letters + _GUESS_STOP_MS * stops - _GUESS_LESS_MS
    return max(0, round(at_150 * _GUESS_WPM / wpm))
