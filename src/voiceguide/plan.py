"""Fit the routine's parts onto an exact timeline, in whole milliseconds.

The plan is pure: it takes the routine, what the user asked for, and how long
each part's words take to say (``needs``), and returns every part's start and
end. Nothing here touches audio, so every rule can be tested in microseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .durations import format_duration
from .errors import InputError, TimingError
from .routines import Routine, Step

INTRO_ID = "intro"
REST_ID = "rest"
OUTRO_ID = "outro"


@dataclass(frozen=True)
class TimingRequest:
    """What the user asked of the timeline; ``None`` means the routine's own value."""

    total_ms: int | None = None
    pins: Mapping[str, int] = field(default_factory=dict)
    rest_ms: int | None = None
    intro: bool = True


@dataclass(frozen=True)
class Part:
    id: str
    kind: str  # "intro" | "step" | "rest" | "outro"
    title: str
    start_ms: int
    end_ms: int
    number: int | None = None  # 1-based, steps only

    @property
    def length_ms(self) -> int:
        return self.end_ms - self.start_ms


@dataclass(frozen=True)
class Plan:
    routine_id: str
    title: str
    parts: tuple[Part, ...]
    warnings: tuple[str, ...] = ()  # allowed but unusual requests, for the user to see

    @property
    def total_ms(self) -> int:
        return self.parts[-1].end_ms if self.parts else 0

    @property
    def steps(self) -> tuple[Part, ...]:
        return tuple(p for p in self.parts if p.kind == "step")

    def part(self, part_id: str) -> Part:
        for part in self.parts:
            if part.id == part_id:
                return part
        raise KeyError(part_id)


def make_plan(routine: Routine, request: TimingRequest, needs: Mapping[str, int]) -> Plan:
    """Lay out intro, steps, rest and outro.

    ``needs[part_id]`` is the shortest that part can be and still hold its
    words (from the narration's measured speech). Intro and outro are exactly
    that long; the rest keeps its length; steps take their defaults, or share
    what a requested total leaves, in proportion to their defaults and within
    their bounds.
    """
    ids = [s.id for s in routine.steps]
    for step_id in request.pins:
        if step_id not in ids:
            raise InputError(
                f'--step {step_id}: {routine.id} has no step "{step_id}"; its steps are {", ".join(ids)}'
            )
    fixed: list[tuple[str, str, str, int]] = []  # (id, kind, title, length) before steps
    if needs.get(INTRO_ID, 0) > 0:
        fixed.append((INTRO_ID, "intro", "Introduction", needs[INTRO_ID]))
    after: list[tuple[str, str, str, int]] = []
    rest_ms = request.rest_ms
    if rest_ms is None:
        rest_ms = routine.rest.duration_ms if routine.rest else 0
    if rest_ms > 0:
        rest_ms = max(rest_ms, needs.get(REST_ID, 0))
        after.append((REST_ID, "rest", "Rest", rest_ms))
    if needs.get(OUTRO_ID, 0) > 0:
        after.append((OUTRO_ID, "outro", "Finish", needs[OUTRO_ID]))

    lengths = _step_lengths(routine, request, needs, sum(x[3] for x in fixed + after))

    parts: list[Part] = []
    clock = 0

    def add(part_id: str, kind: str, title: str, length: int, number: int | None = None) -> None:
        nonlocal clock
        parts.append(Part(part_id, kind, title, clock, clock + length, number))
        clock += length

    for item in fixed:
        add(*item)
    for number, step in enumerate(routine.steps, start=1):
        add(step.id, "step", step.title, lengths[step.id], number)
    for item in after:
        add(*item)
    return Plan(routine_id=routine.id, title=routine.title, parts=tuple(parts))


def _bounds(step: Step, request: TimingRequest, needs: Mapping[str, int]) -> tuple[int, int]:
    need = needs.get(step.id, 0)
    if step.id in request.pins:
        pin = request.pins[step.id]
        if pin < need:
            raise TimingError(
                f'step "{step.id}" is pinned to {format_duration(pin)} but its words take '
                f"{format_duration(need)}; give it at least {format_duration(need)}"
            )
        return pin, pin
    low = max(step.min_ms, need)
    return low, max(step.max_ms, low)


def _step_lengths(
    routine: Routine, request: TimingRequest, needs: Mapping[str, int], fixed_ms: int
) -> dict[str, int]:
    bounds = {s.id: _bounds(s, request, needs) for s in routine.steps}
    if request.total_ms is None:
        lengths = {}
        for step in routine.steps:
            if step.id in request.pins:
                lengths[step.id] = request.pins[step.id]
                continue
            need = needs.get(step.id, 0)
            if step.duration_ms < need:
                raise TimingError(
                    f'step "{step.id}" is {format_duration(step.duration_ms)} but its words take '
                    f"{format_duration(need)}; give it at least {format_duration(need)}"
                )
            lengths[step.id] = step.duration_ms
        return lengths

    low_total = fixed_ms + sum(lo for lo, _ in bounds.values())
    high_total = fixed_ms + sum(hi for _, hi in bounds.values())
    if not low_total <= request.total_ms <= high_total:
        raise TimingError(
            f"--duration {format_duration(request.total_ms)}: {routine.id} can be between "
            f"{format_duration(low_total)} and {format_duration(high_total)} with these settings"
        )
    return _share(routine.steps, bounds, request.total_ms - fixed_ms)


def _share(
    steps: tuple[Step, ...], bounds: Mapping[str, tuple[int, int]], budget: int
) -> dict[str, int]:
    """Split ``budget`` among steps in proportion to their defaults, clamped to bounds.

    Steps that hit a bound are fixed there and the rest re-share what is left,
    until nothing moves; whole milliseconds left by rounding go to the longest
    flexible step so the sum is exact.
    """
    lengths: dict[str, int] = {}
    free = [s for s in steps if bounds[s.id][0] != bounds[s.id][1]]
    for s in steps:
        if s not in free:
            lengths[s.id] = bounds[s.id][0]
    remaining = budget - sum(lengths.values())
    while free:
        weight = sum(s.duration_ms for s in free)
        clamped = False
        for s in list(free):
            lo, hi = bounds[s.id]
            want = remaining * s.duration_ms / weight
            if want <= lo or want >= hi:
                lengths[s.id] = lo if want <= lo else hi
                free.remove(s)
                clamped = True
        remaining = budget - sum(lengths.values())
        if clamped:
            continue
        for s in free:
            lengths[s.id] = int(remaining * s.duration_ms // weight)
        leftover = budget - sum(lengths.values())
        longest = max(free, key=lambda s: lengths[s.id])
        lengths[longest.id] += leftover
        break
    return lengths
