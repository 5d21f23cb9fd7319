"""What a build is asked for besides the routine: a plain value, shared by every stage above.

``BuildOptions`` sits below the orchestrator (``build``) and the modules it
calls (``script``, ``advice``, ``fresh``), so each of them can name it
without importing the others. ``narrate_with`` is the one reading of these
settings into words: planning, advice and the build say the same things.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .narration import LEAD_IN_MS, Narration, narrate
from .narration.render import default_lengths
from .pcm import TARGET_LUFS
from .routine import REST_ID, Routine
from .speech.engine import DEFAULT_RATE_WPM
from .timeline.plan import TimingRequest

PAUSE_MS = 120_000  # after the intro: towel, sheet, oil, washed and warmed hands
MAX_SILENCE_MS = 90_000  # no silence inside a step lasts longer, by default


@dataclass(frozen=True)
class BuildOptions:
    timing: TimingRequest = field(default_factory=TimingRequest)
    voice: str | None = None
    rate_wpm: int = DEFAULT_RATE_WPM
    lead_in_ms: int = LEAD_IN_MS
    cache_dir: Path | None = None
    heads_up: bool = True
    checklist: bool = True  # read the checklist and cautions even without the intro
    pause_ms: int = PAUSE_MS  # after the intro, time to get ready; step 1's bell ends it
    max_silence_ms: int | None = MAX_SILENCE_MS  # None: no reminders fill long silences
    ambient: str | None = None  # a generated bed's name or an audio file
    loudness_lufs: float = TARGET_LUFS


def narrate_with(
    routine: Routine,
    options: BuildOptions,
    lengths: Mapping[str, int] | None = None,
    *,
    timing: TimingRequest | None = None,
) -> Narration:
    """The routine's words with these settings (``timing``: another request to weigh, for
    advice), saying the part ``lengths`` given."""
    timing = options.timing if timing is None else timing
    if timing.rest_ms and REST_ID not in (lengths or {}):  # a rest asked for is said as asked
        lengths = {**(lengths or default_lengths(routine)), REST_ID: timing.rest_ms}
    return narrate(
        routine,
        intro=timing.intro,
        checklist=options.checklist,
        lead_in_ms=options.lead_in_ms,
        heads_up=options.heads_up,
        rest=timing.rest_ms != 0,
        lengths=lengths,
        pause_ms=options.pause_ms,
        reminders=options.max_silence_ms is not None,
    )
