"""Durations as people write them, held as whole milliseconds.

Accepted: ``0``, ``90s``, ``12m``, ``1h30m``, ``1h 5m 30s``, ``2.5s``,
``0.5h``, the words people type (``30 min``, ``45min``, ``1.5 h``, ``90 sec``,
``2 hours``), ``12:30`` (minutes:seconds) and ``1:02:03``. A bare number
other than 0 is refused: ``30`` could be seconds or minutes, so the message
asks "did you mean 30m?". Integer milliseconds everywhere else keep the
timeline exact: nothing downstream adds up floats.

Two ways back to text: ``format_duration`` is exact to the millisecond (the
inverse of parsing, for JSON and round trips); ``format_human`` rounds to what
a person can use (``10m``, ``1m55s``, ``32m1s``), up or down where a message
says "at least" or "at most", so the number shown still holds.
"""

from __future__ import annotations

import re
from typing import Literal

from ..errors import DurationError, one_line

ACCEPTED = "90s, 12m, 30 min, 1.5h, 1h30m, 1h 5m 30s, 12:30 or 1:02:03"
MAX_MS = 24 * 3_600_000  # longer than any track; keeps absurd numbers out of the arithmetic

_UNIT_MS = {"h": 3_600_000, "m": 60_000, "s": 1000, "ms": 1}
_UNIT_WORDS = {
    "h": ("h", "hr", "hrs", "hour", "hours"),
    "m": ("m", "min", "mins", "minute", "minutes"),
    "s": ("s", "sec", "secs", "second", "seconds"),
    "ms": ("ms",),
}
_UNIT_OF = {word: unit for unit, words in _UNIT_WORDS.items() for word in words}
# ASCII digits only: ``\d`` would also take Arabic-Indic and other digits.
_TERM = re.compile(r"[ \t]*([0-9]{1,9}(?:\.[0-9]{1,6})?)[ \t]*([A-Za-z]+)[ \t]*")
_CLOCK = re.compile(r"^[ \t]*(?:(?P<h>[0-9]{1,9}):)?(?P<m>[0-9]{1,9}):(?P<s>[0-9]{2})[ \t]*\Z")
_BARE = re.compile(r"^[ \t]*([0-9]{1,9}(?:\.[0-9]{1,6})?)[ \t]*\Z")


def parse_duration(text: str | int | float) -> int:
    """Return ``text`` as milliseconds, or raise ``DurationError`` naming the forms."""
    raw = str(text)
    shown = printable(raw)
    bare = _BARE.match(raw)
    if bare:
        if float(bare.group(1)) == 0:
            return 0  # zero needs no unit: --rest 0
        raise DurationError(
            f'"{shown}" has no unit; did you mean {bare.group(1)}m? (durations are written '
            f"{ACCEPTED})"
        )
    ms = _with_units(raw)
    if ms is None:
        ms = _clock(raw, shown)
    if ms is None:
        raise DurationError(f'"{shown}" is not a duration; use {ACCEPTED}')
    if ms > MAX_MS:
        raise DurationError(f'"{shown}" is longer than {format_duration(MAX_MS)}')
    return ms


def _with_units(raw: str) -> int | None:
    """``1h 30m``, ``0.5h``, ``90 sec``: numbers with units, largest unit first, each once."""
    total = 0  # in millionths of a millisecond: exact for up to 6 decimals
    position, previous = 0, MAX_MS + 1
    while position < len(raw):
        match = _TERM.match(raw, position)
        if match is None:
            return None
        unit = _UNIT_OF.get(match.group(2).lower())
        if unit is None or _UNIT_MS[unit] >= previous:
            return None
        previous = _UNIT_MS[unit]
        whole, _, frac = match.group(1).partition(".")
        total += int(whole + frac.ljust(6, "0")) * _UNIT_MS[unit]
        position = match.end()
    if position == 0:
        return None
    return min(MAX_MS + 1, (total + 500_000) // 1_000_000)


def _clock(raw: str, shown: str) -> int | None:
    match = _CLOCK.match(raw)
    if match is None:
        return None
    h, m, s = (int(match.group(k) or 0) for k in ("h", "m", "s"))
    if s >= 60 or (match.group("h") is not None and m >= 60):
        raise DurationError(
            f'"{shown}" is not a duration: minutes and seconds go up to 59; use {ACCEPTED}'
        )
    return ((h * 60 + m) * 60 + s) * 1000


def printable(text: str, limit: int = 40) -> str:
    """Text as it can be quoted in a one-line message: control characters escaped, cut short."""
    out = one_line(text)
    return out if len(out) <= limit else out[: limit - 1] + "…"


def format_duration(ms: int) -> str:
    """Render milliseconds exactly (``1h2m3s``, ``14m10s``, ``2.5s``), the inverse of parsing."""
    if ms < 0:
        return "-" + format_duration(-ms)
    seconds, rest_ms = divmod(ms, 1000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    out = ""
    if hours:
        out += f"{hours}h"
    if minutes:
        out += f"{minutes}m"
    if rest_ms:
        out += f"{seconds}.{rest_ms:03d}".rstrip("0") + "s"
    elif seconds or not out:
        out += f"{seconds}s"
    return out


Rounding = Literal["nearest", "up", "down"]


def format_human(ms: int, rounding: Rounding = "nearest") -> str:
    """Milliseconds as a person uses them: whole seconds (``32m1s``), tenths under 10 s.

    ``up`` for a least ("at least 11s" when the words take 10.125 s), ``down``
    for a most, so a rounded number the user types back still holds.
    """
    if ms < 0:
        return "-" + format_human(-ms, {"up": "down", "down": "up"}.get(rounding, rounding))  # type: ignore[arg-type]
    step = 100 if ms < 10_000 else 1000
    whole = {"nearest": (ms + step // 2) // step, "up": -(-ms // step), "down": ms // step}
    return format_duration(whole[rounding] * step)


def format_clock(ms: int) -> str:
    """``mm:ss`` (or ``h:mm:ss``) to the nearest second, the way scripts print timestamps
    for people (the JSON plan keeps milliseconds)."""
    seconds = (ms + 500) // 1000
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes:02d}:{seconds:02d}"
