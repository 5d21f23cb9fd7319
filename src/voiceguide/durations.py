"""Durations as people write them, held as whole milliseconds.

Accepted forms: ``90s``, ``12m``, ``1h30m``, ``1h 5m 30s``, ``2.5s``, ``12:30``
(minutes:seconds) and ``1:02:03`` (hours:minutes:seconds). Integer
milliseconds everywhere else keep the timeline exact: nothing downstream adds
up floats.
"""

from __future__ import annotations

import re

from .errors import DurationError

ACCEPTED = "90s, 12m, 1h30m, 1h 5m 30s, 12:30 or 1:02:03"

_UNITS = re.compile(
    r"""^\s*
    (?:(?P<h>\d+)\s*h\s*)?
    (?:(?P<m>\d+)\s*m(?!s)\s*)?
    (?:(?P<s>\d+(?:\.\d{1,3})?)\s*s\s*)?
    (?:(?P<ms>\d+)\s*ms\s*)?
    $""",
    re.VERBOSE,
)
_CLOCK = re.compile(r"^\s*(?:(?P<h>\d+):)?(?P<m>\d+):(?P<s>\d{2})\s*$")


def parse_duration(text: str | int | float) -> int:
    """Return ``text`` as milliseconds, or raise ``DurationError`` naming the forms."""
    raw = str(text)
    match = _UNITS.match(raw)
    if match and any(match.group(k) for k in ("h", "m", "s", "ms")):
        h, m, ms = (int(match.group(k) or 0) for k in ("h", "m", "ms"))
        seconds = match.group("s") or "0"
        whole, _, frac = seconds.partition(".")
        sec_ms = int(whole) * 1000 + int((frac + "000")[:3])
        return ((h * 60 + m) * 60) * 1000 + sec_ms + ms
    match = _CLOCK.match(raw)
    if match:
        h, m, s = (int(match.group(k) or 0) for k in ("h", "m", "s"))
        if s >= 60 or (match.group("h") is not None and m >= 60):
            raise DurationError(f'"{raw}" is not a duration: minutes and seconds go up to 59')
        return ((h * 60 + m) * 60 + s) * 1000
    raise DurationError(f'"{raw}" is not a duration; use {ACCEPTED}')


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
