"""A two-step routine that builds in seconds: for end-to-end tests of sound and level."""

from __future__ import annotations

from pathlib import Path

SHORT = """\
title: Short test routine
description: Two short steps, for tests.
steps:
  - id: warm
    title: Warming
    duration: 75s
    say: |
      Rub your palms together. Then rest them flat on the back.

      Breathe slowly.
  - id: press
    title: Pressing
    duration: 75s
    say: Press gently along the spine.
    cues:
      - at: half
        say: Now the other side.
rest:
  duration: 40s
  say: Rest now under a blanket.
"""


def write_short(folder: Path, extra: str = "", name: str = "short") -> Path:
    """The short routine as a file in ``folder``, with ``extra`` YAML appended."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(SHORT + extra, encoding="utf-8")
    return path
