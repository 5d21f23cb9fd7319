"""Short routine files for end-to-end tests that must stay fast."""

from __future__ import annotations

from pathlib import Path

MINIMAL = """\
title: Tiny
steps:
  - id: one
    title: One
    duration: 1m
    say: Stroke the back.
"""  # the smallest valid routine: bad-file tests break one thing in it

TINY = """\
title: Tiny back rub
steps:
  - id: stroke
    title: Stroking
    duration: 12s
    min: 8s
    max: 30s
    say: Stroke the back slowly.
    cues:
      - at: half
        say: Now the other side.
  - id: press
    title: Pressing
    duration: 10s
    min: 8s
    max: 30s
    say: Press gently with your palms.
"""


def tiny_routine(folder: Path, name: str = "tiny", text: str = TINY) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path
