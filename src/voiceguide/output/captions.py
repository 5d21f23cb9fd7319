"""WebVTT captions: every spoken line at the time it is really said."""

from __future__ import annotations

from collections.abc import Iterable


def _vtt_time(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _vtt_text(text: str) -> str:
    """Cue payload: escapes what WebVTT reserves; "-->" and blank lines cannot appear."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(text.split())


def captions_vtt(title: str, lines: Iterable[tuple[int, int, str]], language: str = "en") -> str:
    """WebVTT with one cue per (start_ms, end_ms, text) line.

    The header says the lines' language (BCP-47) as "Language:", which players that read
    WebVTT headers take, and the rest ignore; the page's <track srclang> says it too.
    """
    out = ["WEBVTT", "Kind: captions", f"Language: {language}", "", f"NOTE {_vtt_text(title)}", ""]
    for index, (start_ms, end_ms, text) in enumerate(lines, start=1):
        out += [str(index), f"{_vtt_time(start_ms)} --> {_vtt_time(end_ms)}", _vtt_text(text), ""]
    return "\n".join(out)
