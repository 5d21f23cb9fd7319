"""What to change when ``--duration`` cannot be met: each change the user can make, and
the range it gives.

The planner says what the routine can be with the settings given and what
holds that time; this says what it could be instead: with ``--rest 0``,
with a shorter (or longer) ``--rest``, with ``--no-intro``, and with both
where neither alone reaches the length asked. Each range, the one the
message names first too, is worked out as the build would: the words are
narrated again for those settings (the rest dropped changes the closing
words) as they are said at each end of the range, and measured
(``timeline.fit.feasible_totals``), so a suggestion that claims to reach the
length does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from .errors import InputError
from .narration import Narration
from .routine import Routine
from .routine.durations import format_human
from .settings import BuildOptions, narrate_with
from .timeline import TimingRequest
from .timeline.fit import feasible_totals
from .timeline.plan import DurationRangeError, span

if TYPE_CHECKING:
    from .speech import Speaker

MINUTE = 60_000


def advise(
    exc: DurationRangeError,
    routine: Routine,
    options: BuildOptions,
    speaker: Speaker,
    sound_ms: Mapping[str, int],
) -> DurationRangeError:
    """``exc`` with the ranges each change would give appended to its message."""
    request = options.timing
    total = exc.total_ms

    def range_with(changed: TimingRequest) -> tuple[int, int] | None:
        def words(lengths: Mapping[str, int]) -> Narration:
            return narrate_with(routine, options, lengths, timing=changed)

        try:
            return feasible_totals(
                routine, changed, words, speaker.length_ms, sound_ms, hear=speaker.prefetch
            )  # the sentences of each round spoken side by side, not one by one
        except InputError:
            return None

    settled = range_with(request)  # the range the message names, on the words said at its ends
    if settled is not None:
        exc.low, exc.high = settled

    rest_now = (
        request.rest_ms
        if request.rest_ms is not None
        else (routine.rest.duration_ms if routine.rest else 0)
    )
    changes: list[tuple[str, TimingRequest]] = []
    if total < exc.low:
        if rest_now > 0:
            changes.append(("--rest 0", replace(request, rest_ms=0)))
            shorter = _round_down(rest_now - (exc.low - total))
            if 0 < shorter < rest_now:
                changes.append(
                    (f"--rest {format_human(shorter)}", replace(request, rest_ms=shorter))
                )
        if request.intro:
            changes.append(("--no-intro", replace(request, intro=False)))
    elif routine.rest is not None:
        longer = _round_up(rest_now + (total - exc.high))
        changes.append((f"--rest {format_human(longer)}", replace(request, rest_ms=longer)))

    found: list[tuple[str, tuple[int, int]]] = []
    for option, changed in changes:
        reach = range_with(changed)
        if reach is not None:
            found.append((option, reach))
    shorter = total < exc.low
    if found and shorter and not _reaches(found, total):
        both = replace(request, rest_ms=0, intro=False)
        if rest_now > 0 and request.intro and (reach := range_with(both)) is not None:
            found.append(("--rest 0 --no-intro", reach))
    advice = "".join(f"; with {option} it can be {span(*reach)}" for option, reach in found)
    if found and not _reaches(found, total):
        advice += (  # the way out in the direction asked: the steps themselves
            "; shorter than that needs shorter steps: lower their min in a copy of the "
            "routine file, or pin fewer with --step"
            if shorter
            else "; or make the steps longer: raise their max in a copy of the routine file, "
            "or pin them longer with --step"
        )
    return exc.with_advice(advice)


def _reaches(found: list[tuple[str, tuple[int, int]]], total: int) -> bool:
    return any(low <= total <= high for _, (low, high) in found)


def _round_down(ms: int) -> int:
    """A rest the user would type: whole minutes, or whole seconds under a minute."""
    return ms // MINUTE * MINUTE if ms >= MINUTE else ms // 1000 * 1000


def _round_up(ms: int) -> int:
    return -(-ms // MINUTE) * MINUTE
