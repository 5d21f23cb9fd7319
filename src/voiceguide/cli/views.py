"""Plain-text views of routines and scripts, for the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..routine.durations import format_clock, format_human

if TYPE_CHECKING:  # `list` needs neither the timeline nor the narration's Jinja
    from ..routine.model import Routine
    from ..timeline import Plan, Script


def plan_table(plan: Plan) -> list[str]:
    """Each part's start, length and name, pinned steps marked, then where the track ends."""
    lines = [f"  {'start':<8} {'length':>7}  part"]
    for part in plan.parts:
        head = f"{part.number}. {part.title}" if part.number else part.title
        if part.pinned:
            head += "  (pinned)"
        lines.append(
            f"  {format_clock(part.start_ms):<8} {format_human(part.length_ms):>7}  {head}"
        )
    lines.append(f"  {format_clock(plan.total_ms):<8} {'':>7}  end")
    return lines


def script_text(script: Script) -> str:
    """The fitted plan, then the narration with timestamps, as `voiceguide script` prints it."""
    plan = script.plan
    from ..timeline import longest_silences

    lines = [f"{plan.title} ({plan.routine_id}): {format_human(plan.total_ms)}", ""]
    lines += ["Plan:", *plan_table(plan), ""]
    silences = longest_silences(script)
    if silences:
        worst = max(silences, key=lambda k: silences[k])
        lines += [
            f"Longest silence inside a step: {format_human(silences[worst])} ({worst})",
            "",
        ]
    lines += ["Narration:"]
    for part in plan.parts:
        head = f"Step {part.number}: {part.title}" if part.number else part.title
        lines.append(f"[{format_clock(part.start_ms)} - {format_clock(part.end_ms)}] {head}")
        for event in script.events:
            if event.part_id != part.id:
                continue
            what = event.text if event.kind == "speech" else f"({event.text} sound)"
            lines.append(f"  {format_clock(event.start_ms)}  {what}")
    return "\n".join(lines) + "\n"


def routine_line(routine: Routine) -> str:
    """One line for `voiceguide list`: id, steps, default length of the steps and rest."""
    steps_ms = sum(s.duration_ms for s in routine.steps)
    rest_ms = routine.rest.duration_ms if routine.rest else 0
    return (
        f"{routine.id:<14} {len(routine.steps):>2} steps  {format_human(steps_ms):>7} of massage"
        f" + {format_human(rest_ms)} rest  {routine.title}"
    )
