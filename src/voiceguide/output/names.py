"""How a track is named wherever a listener meets it: the index, the player page, the
feed, the MP3's title tag, the chapters file.

Tracks of one routine differ by their length, their voice and the name they were
given (``--name``), so the name says all three: "Classic back massage · 40 min · joe
· evening". It is made from the plan document alone (the JSON beside the track), so
every file of a track, and the folder's index and feed, name it alike; a plan written
before the voice and the name were recorded is named by its title and length.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

SEPARATOR = " · "


def length_label(ms: int) -> str:
    """The track's length as a listener reads it on a list: "40 min", "1 h 5 min"."""
    minutes = max(1, round(ms / 60_000))
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def voice_label(voice: str) -> str:
    """A voice's short name: "joe", "en-us" for espeak-ng's ``gmw/en-us``, a Piper file's
    stem for its ``.onnx`` path."""
    if voice.lower().endswith(".onnx"):
        return PurePath(voice).stem
    return voice.rsplit("/", 1)[-1]


def track_title(document: Mapping[str, Any]) -> str:
    """The routine's title, the track's length, its voice and its name where one was given."""
    return SEPARATOR.join(title_parts(document))


def title_parts(document: Mapping[str, Any]) -> list[str]:
    """What ``track_title`` joins, for a page that keeps each piece whole."""
    parts = [str(document.get("title") or document.get("routine") or "")]
    parts.append(length_label(int(document.get("total_ms") or 0)))
    voice = document.get("voice")
    voice_id = voice.get("id") if isinstance(voice, Mapping) else voice
    if isinstance(voice_id, str) and voice_id:
        parts.append(voice_label(voice_id))
    name = document.get("name")
    if isinstance(name, str) and name and name != document.get("routine"):
        parts.append(name)
    return parts
