"""Fit the routine's parts onto an exact timeline, in whole milliseconds.

The plan is pure: it takes the routine, what the user asked for, and how long
each part's words take to say (``needs``), and returns every part's start and
end. Nothing here touches audio, so every rule can be tested in microseconds.

With a requested total the intro, rest and outro keep their lengths, pinned
steps keep theirs, and the other steps share what is left in proportion to
their defaults, each clamped to its bounds (water-filling: one factor ``k``
such that ``sum(clamp(k * default, low, high))`` is exactly the budget, found
with exact fractions). ``feasible_range`` is the same arithmetic, so the range
an error reports is exactly the set of totals the planner meets.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from ..errors import InputError, TimingError
from ..routine.durations import format_duration
from ..routine.model import INTRO_ID, MIN_REST_MS, OUTRO_ID, REST_ID, Routine

PartKind = Literal["intro", "step", "rest", "outro"]


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
    kind: PartKind
    title: str
    start_ms: int
    end_ms: int
    number: int | None = None  # 1-based, steps only
    pinned: bool = False  # a step whose length the user fixed with --step

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


@dataclass(frozen=True)
class Flexible:
    """A step the planner may stretch: its default (the weight) and its bounds."""

    id: str
    weight: int
    low: int
    high: int


@dataclass(frozen=True)
class _Layout:
    """Everything about a request except the steps that share a total."""

    before: tuple[tuple[str, PartKind, str, int], ...]  # (id, kind, title, length)
    after: tuple[tuple[str, PartKind, str, int], ...]
    pinned: Mapping[str, int]
    flexible: tuple[Flexible, ...]
    warnings: tuple[str, ...]

    @property
    def fixed_ms(self) -> int:
        return sum(x[3] for x in self.before + self.after) + sum(self.pinned.values())

    @property
    def range_ms(self) -> tuple[int, int]:
        return (
            self.fixed_ms + sum(f.low for f in self.flexible),
            self.fixed_ms + sum(f.high for f in self.flexible),
        )


def make_plan(routine: Routine, request: TimingRequest, needs: Mapping[str, int]) -> Plan:
    """Lay out intro, steps, rest and outro, back to back.

    ``needs[part_id]`` is the shortest that part can be and still hold its
    words (from the narration's measured speech). Intro and outro are exactly
    that long; the rest keeps its length; steps take their defaults, or share
    what a requested total leaves.
    """
    layout = _layout(routine, request, needs, fitting=request.total_ms is not None)
    lengths = dict(layout.pinned)
    if request.total_ms is None:
        for step in routine.steps:
            if step.id not in lengths:
                _check_holds(step.id, step.duration_ms, needs, "is")
                lengths[step.id] = step.duration_ms
    else:
        low, high = layout.range_ms
        if not low <= request.total_ms <= high:
            raise TimingError(
                f"--duration {format_duration(request.total_ms)}: "
                + describe_range(routine.id, low, high)
            )
        lengths.update(share(layout.flexible, request.total_ms - layout.fixed_ms))

    parts: list[Part] = []
    clock = 0
    items: list[tuple[str, PartKind, str, int, int | None]] = [(*x, None) for x in layout.before]
    items += [(s.id, "step", s.title, lengths[s.id], n) for n, s in enumerate(routine.steps, 1)]
    items += [(*x, None) for x in layout.after]
    for part_id, kind, title, length, number in items:
        pinned = kind == "step" and part_id in layout.pinned
        parts.append(Part(part_id, kind, title, clock, clock + length, number, pinned))
        clock += length
    return Plan(routine.id, routine.title, tuple(parts), layout.warnings)


def feasible_range(
    routine: Routine, request: TimingRequest, needs: Mapping[str, int]
) -> tuple[int, int]:
    """The shortest and longest total ``make_plan`` can meet with these settings.

    Raises the same errors as ``make_plan`` for settings no total can rescue
    (a pin shorter than its step's words, an unknown step id).
    """
    return _layout(routine, request, needs, fitting=True).range_ms


def describe_range(routine_id: str, low: int, high: int) -> str:
    if low == high:
        return f"{routine_id} can only be {format_duration(low)} with these settings"
    return (
        f"{routine_id} can be between {format_duration(low)} and {format_duration(high)} "
        "with these settings"
    )


def _layout(
    routine: Routine, request: TimingRequest, needs: Mapping[str, int], *, fitting: bool
) -> _Layout:
    ids = [s.id for s in routine.steps]
    for step_id in request.pins:
        if step_id not in ids:
            raise InputError(
                f'--step {step_id}: {routine.id} has no step "{step_id}"; '
                f"its steps are {', '.join(ids)}"
            )
    before: list[tuple[str, PartKind, str, int]] = []
    if needs.get(INTRO_ID, 0) > 0:
        before.append((INTRO_ID, "intro", "Introduction", needs[INTRO_ID]))
    after: list[tuple[str, PartKind, str, int]] = []
    if request.rest_ms is None:
        rest_ms = routine.rest.duration_ms if routine.rest else 0
        _check_holds(REST_ID, rest_ms, needs, "is", rest=True)
    else:
        rest_ms = request.rest_ms
        if rest_ms > 0 and routine.rest is None:
            raise InputError(
                f"--rest {format_duration(rest_ms)}: {routine.id} has no rest; "
                "add a rest: section to the routine, or leave out --rest"
            )
        if rest_ms > 0:
            _check_holds(REST_ID, rest_ms, needs, "--rest", rest=True)
    if rest_ms > 0:
        after.append((REST_ID, "rest", "Rest", rest_ms))
    warnings: list[str] = []
    if request.rest_ms is not None and routine.rest is not None and rest_ms < MIN_REST_MS:
        what = "drops the rest" if rest_ms == 0 else "is a short rest"
        warnings.append(
            f"--rest {format_duration(rest_ms)} {what}; the article asks for at least "
            f"{format_duration(MIN_REST_MS)} under a warm blanket after a massage"
        )
    if needs.get(OUTRO_ID, 0) > 0:
        after.append((OUTRO_ID, "outro", "Finish", needs[OUTRO_ID]))

    pinned: dict[str, int] = {}
    flexible: list[Flexible] = []
    for step in routine.steps:
        if step.id in request.pins:
            pin = request.pins[step.id]
            _check_holds(step.id, pin, needs, "pinned")
            if not step.min_ms <= pin <= step.max_ms:
                warnings.append(
                    f"--step {step.id}={format_duration(pin)} is outside the step's range "
                    f"{format_duration(step.min_ms)} to {format_duration(step.max_ms)}; "
                    "kept as asked"
                )
            pinned[step.id] = pin
        elif fitting:
            need = needs.get(step.id, 0)
            if need > step.max_ms:
                raise TimingError(
                    f'step "{step.id}" can be at most {format_duration(step.max_ms)} but its '
                    f"words take {format_duration(need)}; raise its max, or pin it with "
                    f"--step {step.id}={format_duration(need)}"
                )
            flexible.append(
                Flexible(step.id, max(1, step.duration_ms), max(step.min_ms, need), step.max_ms)
            )
    return _Layout(tuple(before), tuple(after), pinned, tuple(flexible), tuple(warnings))


def _check_holds(
    part_id: str, length: int, needs: Mapping[str, int], how: str, *, rest: bool = False
) -> None:
    """A part shorter than its own words is an error naming the shortest that fits."""
    need = needs.get(part_id, 0)
    if length >= need:
        return
    name = "the rest" if rest else f'step "{part_id}"'
    verb = {"is": "is", "pinned": "is pinned to", "--rest": "is asked to be (--rest)"}[how]
    raise TimingError(
        f"{name} {verb} {format_duration(length)} but its words take {format_duration(need)}; "
        f"give it at least {format_duration(need)}"
    )


def share(flexible: tuple[Flexible, ...], budget: int) -> dict[str, int]:
    """Split ``budget`` ms among steps in proportion to their weights, within their bounds.

    Needs ``sum(low) <= budget <= sum(high)``. The exact solution is
    ``clamp(k * weight, low, high)`` for the one ``k`` that makes the sum the
    budget; whole milliseconds left by rounding down go to the longest step
    that still has room below its ``high`` (then the next longest), so the sum
    is exact and every step stays within its bounds.
    """
    if not flexible:
        if budget != 0:
            raise ValueError("no flexible step to take the budget")
        return {}
    low_sum = sum(f.low for f in flexible)
    high_sum = sum(f.high for f in flexible)
    if not low_sum <= budget <= high_sum:
        raise ValueError(f"budget {budget} outside [{low_sum}, {high_sum}]")
    k = _factor(flexible, budget)
    exact = {f.id: min(Fraction(f.high), max(Fraction(f.low), k * f.weight)) for f in flexible}
    lengths = {f.id: math.floor(exact[f.id]) for f in flexible}
    leftover = budget - sum(lengths.values())
    by_length = sorted(flexible, key=lambda f: exact[f.id], reverse=True)
    for f in by_length:
        if leftover == 0:
            break
        give = min(leftover, f.high - lengths[f.id])
        lengths[f.id] += give
        leftover -= give
    return lengths


def _factor(flexible: tuple[Flexible, ...], budget: int) -> Fraction:
    """The ``k`` with ``sum(clamp(k * weight, low, high)) == budget``.

    The sum is continuous, piecewise linear and non-decreasing in ``k``, with
    corners where a step meets a bound; find the segment holding the budget
    and solve the line there.
    """

    def total(k: Fraction) -> Fraction:
        return sum(
            (min(Fraction(f.high), max(Fraction(f.low), k * f.weight)) for f in flexible),
            Fraction(0),
        )

    corners = sorted(
        {Fraction(0)}
        | {Fraction(f.low, f.weight) for f in flexible}
        | {Fraction(f.high, f.weight) for f in flexible}
    )
    previous = corners[0]
    if total(previous) >= budget:
        return previous
    for corner in corners[1:]:
        reached = total(corner)
        if reached >= budget:
            # Between the corners the steps strictly inside their bounds grow linearly.
            slope = sum(
                f.weight
                for f in flexible
                if Fraction(f.low, f.weight) <= previous and corner <= Fraction(f.high, f.weight)
            )
            return previous + (budget - total(previous)) / slope
        previous = corner
    return corners[-1]
