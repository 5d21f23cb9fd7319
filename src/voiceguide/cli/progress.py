"""How a build run shows itself: bars on a terminal, one line per file elsewhere.

On a terminal every build in flight has a bar (what it is doing, how far);
a finished build's line is printed above the bars and stays. In a pipe or
under CI only the finished lines are written, one per file, so logs stay
readable. Presentation only: the runner reports events, this draws them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO

BAR_WIDTH = 30


def interactive(stream: TextIO) -> bool:
    """Bars only for a person at a terminal; never in CI logs."""
    return stream.isatty() and not os.environ.get("CI") and os.environ.get("TERM") != "dumb"


class Bars:
    """A bar per build in flight, redrawn in place with ANSI cursor moves."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.active: dict[Path, tuple[str, int]] = {}  # source -> (phase, percent)
        self.drawn = 0

    def update(self, source: Path, phase: str, fraction: float) -> None:
        percent = min(100, int(fraction * 100))
        if self.active.get(source) != (phase, percent):
            self.active[source] = (phase, percent)
            self._redraw()

    def finish(self, source: Path, line: str) -> None:
        """Replace the build's bar by its final line, printed above the others."""
        self.active.pop(source, None)
        self._redraw(above=line)

    def close(self) -> None:
        self.active.clear()
        self._redraw()

    def _redraw(self, above: str | None = None) -> None:
        out = []
        if self.drawn:
            out.append(f"\x1b[{self.drawn}F\x1b[J")  # up to the first bar, clear below
        if above is not None:
            out.append(above + "\n")
        for source, (phase, percent) in self.active.items():
            filled = BAR_WIDTH * percent // 100
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            out.append(f"{source.stem[:24]:<24} {phase:<8} [{bar}] {percent:3d}%\n")
        self.drawn = len(self.active)
        self.stream.write("".join(out))
        self.stream.flush()
