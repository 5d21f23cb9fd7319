"""Durations as people write them, held as whole milliseconds.

Accepted forms: ``0``, ``90s``, ``12m``, ``1h30m``, ``1h 5m 30s``, ``2.5s``, ``12:30``
(minutes:seconds) and ``1:02:03`` (hours:minutes:seconds). Integer
milliseconds everywhere else keep the timeline exact: nothing downstream adds
up floats.
"""

from __future__ import annotations

import re

from ..errors import DurationError, one_line

ACCEPTED = "90s, 12m, 1h30m, 1h 5m 30s, 12:30 or 1:02:03"
MAX_MS = 24 * 3_600_000  # longer than any track; keeps absurd numbers out of the arithmetic

# ASCII digits only: ``\d`` would also take Arabic-Indic and other digits.
_UNITS = re.compile(
    r"""^[ \t]*
    (?:(?P<h>[0-9]{1,9})[ \t]*h[ \t]*)?
    (?:(?P<m>[0-9]{1,9})[ \t]*m(?!s)[ \t]*)?
    (?:(?P<s>[0-9]{1,9}(?:\.[0-9]{1,3})?)[ \t]*s[ \t]*)?
    (?:(?P<ms>[0-9]{1,9})[ \t]*ms[ \t]*)?
    \Z""",
    re.VERBOSE,
)
_CLOCK = re.compile(r"^[ \t]*(?:(?P<h>[0-9]{1,9}):)?(?P<m>[0-9]{1,9}):(?P<s>[0-9]{2})[ \t]*\Z")


def parse_duration(text: str | int | float) -> int:
    """Return ``text`` as milliseconds, or raise ``DurationError`` naming the forms."""
    raw = str(text)
    shown = printable(raw)
    if raw.strip(" \t") == "0":
        return 0  # zero needs no unit: --rest 0
    match = _UNITS.match(raw)
    if match and any(match.group(k) for k in ("h", "m", "s", "ms")):
        h, m, extra = (int(match.group(k) or 0) for k in ("h", "m", "ms"))
        whole, _, frac = (match.group("s") or "0").partition(".")
        ms = (h * 60 + m) * 60_000 + int(whole) * 1000 + int((frac + "000")[:3]) + extra
    else:
        match = _CLOCK.match(raw)
        if match is None:
            raise DurationError(f'"{shown}" is not a duration; use {ACCEPTED}')
        h, m, s = (int(match.group(k) or 0) for k in ("h", "m", "s"))
        if s >= 60 or (match.group("h") is not None and m >= 60):
            raise DurationError(
                f'"{shown}" is not a duration: minutes and seconds go up to 59; use {ACCEPTED}'
            )
        ms = ((h * 60 + m) * 60 + s) * 1000
    if ms > MAX_MS:
        raise DurationError(f'"{shown}" is longer than {format_duration(MAX_MS)}')
    return ms


def printable(text: str, limit: int = 40) -> str:
    """Text as it can be quoted in a one-line message: control characters escaped, cut short."""
    out = one_line(text)
    return out if len(out) <= limit else out[: limit - 1] + "…"


def format_duration(ms: int) -> str:
    """Render milliseconds compactly (``1h2m3s``, ``14m10s``, ``2.5s``), the inverse of parsing."""
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


def format_clock(ms: int) -> str:
    """``mm:ss.mmm`` (or ``h:mm:ss.mmm``), the way timestamps are printed in scripts."""
    seconds, rest_ms = divmod(ms, 1000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}.{rest_ms:03d}"
    return f"{minutes:02d}:{seconds:02d}.{rest_ms:03d}"
