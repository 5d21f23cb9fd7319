"""What the audio stage is given: plain events, each a sound at a sample index."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EventKind = Literal["speech", "sound"]


@dataclass(frozen=True)
class AudioEvent:
    """Something that sounds on the track: a sentence (``key`` is its text) or a sound (its name)."""

    start: int  # sample index
    kind: EventKind
    key: str
