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
from typing import TYPE_CHECKING, Literal

from .. import languages
from ..errors import InputError, TimingError
from ..routine.durations import MAX_MS, format_duration, format_human
from ..routine.model import INTRO_ID, MIN_REST_MS, OUTRO_ID, REST_ID, Routine
from .too_short import check_holds

if TYPE_CHECKING:
    from fractions import Fraction

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
        """The shortest and longest total, the longest a day at most (``within_a_day``)."""
        low = self.fixed_ms + sum(f.low for f in self.flexible)
        return low, min(self.fixed_ms + sum(f.high for f in self.flexible), MAX_MS)


def within_a_day(total_ms: int) -> None:
    """A track lasts at most a day: ``--rest``, ``--pause``, ``--lead-in`` and each pinned
    ``--step`` may be up to a day long, and together they could ask for several days."""
    if total_ms > MAX_MS:
        raise TimingError(
            f"the track would last {format_human(total_ms)}; a track can last at most "
            f"{format_duration(MAX_MS)}: shorten --rest, --pause, --lead-in or the steps "
            "pinned with --step"
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
                check_holds(routine, step.id, step.duration_ms, needs, "is")
                lengths[step.id] = step.duration_ms
    else:
        low, high = layout.range_ms
        within_a_day(low)
        if not low <= request.total_ms <= high:
            raise DurationRangeError(routine.id, request.total_ms, layout)
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
    within_a_day(clock)
    return Plan(routine.id, routine.title, tuple(parts), layout.warnings)


def feasible_range(
    routine: Routine, request: TimingRequest, needs: Mapping[str, int]
) -> tuple[int, int]:
    """The shortest and longest total ``make_plan`` can meet with these settings.

    Raises the same errors as ``make_plan`` for settings no total can rescue
    (a pin shorter than its step's words, an unknown step id).
    """
    low, high = _layout(routine, request, needs, fitting=True).range_ms
    within_a_day(low)
    return low, high


def describe_range(routine_id: str, low: int, high: int) -> str:
    return f"{routine_id} can be {span(low, high)} with these settings"


def span(low: int, high: int) -> str:
    """A feasible range for people: whole seconds, rounded inward so both ends still hold."""
    shown_low, shown_high = format_human(low, "up"), format_human(high, "down")
    if low == high or parse_back(shown_low) > parse_back(shown_high):
        shown_low, shown_high = format_duration(low), format_duration(high)
    if low == high:
        return f"only {shown_low}"
    return f"{shown_low} to {shown_high}"


def parse_back(text: str) -> int:
    from ..routine.durations import parse_duration

    return parse_duration(text)


class DurationRangeError(TimingError):
    """``--duration`` outside what the routine can be with these settings.

    Carries what holds the time (``held``: the intro, the rest, the finish,
    pinned steps, the other steps' minimums) so the caller can work out and
    say what each change the user can make would give.
    """

    def __init__(self, routine_id: str, total_ms: int, layout: _Layout) -> None:
        self.routine_id = routine_id
        self.total_ms = total_ms
        self.low, self.high = layout.range_ms
        self.held = held_time(layout, longest=total_ms > self.high)
        self.advice = ""
        super().__init__(self._text())

    def _text(self) -> str:
        holding = ", ".join(f"{what} {format_human(ms)}" for what, ms in self.held.items() if ms)
        return (
            f"--duration {format_human(self.total_ms)}: {self.routine_id} can be "
            f"{span(self.low, self.high)} with these settings ({holding})" + self.advice
        )

    def with_advice(self, advice: str) -> DurationRangeError:
        self.advice = advice
        self.args = (self._text(),)
        return self


def held_time(layout: _Layout, *, longest: bool = False) -> dict[str, int]:
    """Where the shortest (or longest) total goes, in the words the options use."""
    kinds = {x[1]: x[3] for x in layout.before + layout.after}
    steps = sum(f.high if longest else f.low for f in layout.flexible)
    bound = "at most" if longest else "at least"
    many = "steps" if len(layout.flexible) > 1 else "step"
    held = {
        "the intro": kinds.get("intro", 0),
        "the rest": kinds.get("rest", 0),
        "pinned steps": sum(layout.pinned.values()),
        f"the other {many} {bound}" if layout.pinned else f"the {many} {bound}": steps,
        "the closing words": kinds.get("outro", 0),
    }
    return {k: v for k, v in held.items() if k}


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
    titles = languages.get(routine.language).part_titles
    before: list[tuple[str, PartKind, str, int]] = []
    if needs.get(INTRO_ID, 0) > 0:
        before.append((INTRO_ID, "intro", titles["intro"], needs[INTRO_ID]))
    after: list[tuple[str, PartKind, str, int]] = []
    if request.rest_ms is None:
        rest_ms = routine.rest.duration_ms if routine.rest else 0
        check_holds(routine, REST_ID, rest_ms, needs, "is")
    else:
        rest_ms = request.rest_ms
        if rest_ms > 0 and routine.rest is None:
            raise InputError(
                f"--rest {format_duration(rest_ms)}: {routine.id} has no rest; "
                "add a rest: section to the routine, or leave out --rest"
            )
        if rest_ms > 0:
            check_holds(routine, REST_ID, rest_ms, needs, "--rest")
    if rest_ms > 0:
        after.append((REST_ID, "rest", titles["rest"], rest_ms))
    warnings: list[str] = []
    if request.rest_ms is not None and routine.rest is not None and rest_ms < MIN_REST_MS:
        what = "drops the rest" if rest_ms == 0 else "is a short rest"
        warnings.append(
            f"--rest {format_duration(rest_ms)} {what}; the article asks for at least "
            f"{format_duration(MIN_REST_MS)} under a warm blanket after a massage"
        )
    if needs.get(OUTRO_ID, 0) > 0:
        after.append((OUTRO_ID, "outro", titles["outro"], needs[OUTRO_ID]))

    pinned: dict[str, int] = {}
    flexible: list[Flexible] = []
    for step in routine.steps:
        if step.id in request.pins:
            pin = request.pins[step.id]
            check_holds(routine, step.id, pin, needs, "pinned")
            if not step.min_ms <= pin <= step.max_ms:
                warnings.append(
                    f"--step {step.id}={format_duration(pin)} is outside the step's range "
                    f"{format_human(step.min_ms)} to {format_human(step.max_ms)}; "
                    "kept as asked"
                )
            pinned[step.id] = pin
        elif fitting:
            need = needs.get(step.id, 0)
            if need > step.max_ms:
                check_holds(routine, step.id, step.max_ms, needs, "max")
            flexible.append(
                Flexible(step.id, max(1, step.duration_ms), max(step.min_ms, need), step.max_ms)
            )
    return _Layout(tuple(before), tuple(after), pinned, tuple(flexible), tuple(warnings))


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
    from fractions import Fraction  # here: `check` plans no total and skips its import

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

    from fractions import Fraction

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
