"""A routine's steps, each with its bounds and its cues, checked node by node.

Part of loading a routine file (``load``): every problem is reported on
the ``Doc`` with its line and field, and a step with one is left out, so
the file's other problems are found in the same pass.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import yaml

from ..errors import RoutineError, heard_field
from .durations import format_duration
from .ids import SPELLING, id_problem
from .model import Anchor, CueSpec, Step
from .schema import INVALID, MAX_CUES, MAX_REMINDERS, MAX_STEPS, Doc, Entry, Skip, kind_of


def read_steps(doc: Doc, entry: Entry) -> tuple[Step, ...]:
    """The ``steps:`` list: every step that has no problem, each id once (a repeated id is
    reported where it repeats, so the first keeps its place in the messages)."""
    value, node = entry
    if value is INVALID:
        raise Skip
    if not isinstance(value, list) or not value:
        raise doc.fail(node, "steps", "must be a list with at least one step (id, title, duration, say)")  # fmt: skip
    if len(value) > MAX_STEPS:  # refused unread: each step would cost a check and speech
        raise doc.fail(node, "steps", f"has {len(value)} steps; a routine can have at most {MAX_STEPS}")  # fmt: skip
    steps: list[Step] = []
    seen: dict[str, str] = {}  # id -> the step that has it, as messages name it
    for index, (_, step_node) in enumerate(value):
        step = doc.attempt(_step, doc, step_node, f"steps[{index}]", default=None)
        if step is None:
            continue
        if step.id in seen:
            doc.report(
                step_node.value[0][0] if isinstance(step_node, yaml.MappingNode) else step_node,
                f"steps[{index}].id",
                f'"{step.id}" is already used by {seen[step.id]}; give each step its own id',
            )
            continue
        seen[step.id] = heard_field(f"steps[{index}]", step.title)
        steps.append(step)
    return tuple(steps)


def _step(doc: Doc, node: yaml.Node, where: str) -> Step | None:
    found = doc.mapping(
        node,
        where,
        required=("id", "title", "duration", "say"),
        optional=("min", "max", "cues", "reminders"),
        what="a step",
    )

    def get(key: str, check: Callable[[Entry, str], Any]) -> Any:
        """One field's checked value, or None if it is absent or has a recorded problem."""
        if key not in found:
            return None
        return doc.attempt(check, found[key], f"{where}.{key}", default=None)

    step_id = get("id", functools.partial(doc.text, empty=f"give the step an id: {SPELLING}"))
    why = id_problem(step_id) if step_id is not None else None
    if why:
        doc.report(found["id"][1], f"{where}.id", why)
        step_id = None
    title, say = get("title", doc.text), get("say", doc.text)
    duration = get("duration", doc.duration)
    low = get("min", doc.duration) if "min" in found else duration
    high = get("max", doc.duration) if "max" in found else duration
    bounds_ok = None not in (duration, low, high)
    if bounds_ok and low > high:
        doc.report(
            found["min"][1],
            f"{where}.min",
            f"{format_duration(low)} is longer than max {format_duration(high)}; "
            "min must be at most max",
        )
        bounds_ok = False
    elif bounds_ok and not low <= duration <= high:
        doc.report(
            found["duration"][1],
            f"{where}.duration",
            f"{format_duration(duration)} is not between min {format_duration(low)} "
            f"and max {format_duration(high)}",
        )
        bounds_ok = False
    cues: list[CueSpec] = []
    if "cues" in found:
        cue_value, cue_node = found["cues"]
        if cue_value is not INVALID and not isinstance(cue_value, list):
            doc.report(cue_node, f"{where}.cues", "must be a list of cues, each with at: and say:")
        elif isinstance(cue_value, list) and len(cue_value) > MAX_CUES:
            doc.report(
                cue_node,
                f"{where}.cues",
                f"has {len(cue_value)} cues; a step can have at most {MAX_CUES}",
            )
        elif isinstance(cue_value, list):
            for i, (_, item) in enumerate(cue_value):
                cue = doc.attempt(_cue, doc, item, f"{where}.cues[{i}]", high, default=None)
                if cue is not None:
                    cues.append(cue)
    lines: tuple[str, ...] = ()
    if "reminders" in found:
        lines = doc.attempt(
            doc.texts, found["reminders"], f"{where}.reminders", limit=MAX_REMINDERS, default=()
        )
    if None in (step_id, title, say) or not bounds_ok:
        raise Skip
    return Step(step_id, title, say, duration, low, high, tuple(cues), lines)


def _cue(doc: Doc, node: yaml.Node, where: str, step_max_ms: int | None) -> CueSpec:
    found = doc.mapping(node, where, required=("at", "say"), optional=(), what="a cue")
    say = doc.attempt(doc.text, found["say"], f"{where}.say", default=None) if "say" in found else None  # fmt: skip
    if "at" not in found or found["at"][0] is INVALID:
        raise Skip
    written, at_node = found["at"]
    accepted = "half, a time after the start (2m) or a time before the end (-1m)"
    if not isinstance(written, str):
        raise doc.fail(at_node, f"{where}.at", f"must be {accepted}, not {kind_of(written)}")
    at = written.strip()
    if not at:
        raise doc.fail(at_node, f"{where}.at", f"is empty; write {accepted}")
    anchor: Anchor
    if at == "half":
        anchor, offset = "half", 0
    else:
        anchor = "end" if at.startswith("-") else "start"
        try:
            offset = doc.duration((at.lstrip("-+"), at_node), f"{where}.at")
        except RoutineError:
            raise doc.fail(at_node, f"{where}.at", f'"{at}" is not {accepted}') from None
        if step_max_ms is not None and offset >= step_max_ms:
            side = "end" if anchor == "end" else "start"
            raise doc.fail(
                at_node,
                f"{where}.at",
                f'"{at}" falls outside its step, which is at most {format_duration(step_max_ms)} '
                f"long; give a time under {format_duration(step_max_ms)} from its {side}, or half",
            )
    if say is None:
        raise Skip
    return CueSpec(anchor=anchor, offset_ms=offset, say=say, at=at)
