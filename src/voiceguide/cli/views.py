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
    """One line for `voiceguide list`: id, steps, the whole default length (intro and rest
    included, guessed to the minute, written as the index writes a track's), the massage and
    the rest in it, title."""
    from ..estimate import default_length_ms
    from ..output.names import length_label

    about = f"about {length_label(default_length_ms(routine))}"  # as the index names tracks
    steps_ms = sum(s.duration_ms for s in routine.steps)
    rest = f"{format_human(routine.rest.duration_ms)} rest" if routine.rest else "no rest"
    parts = f"({format_human(steps_ms)} massage, {rest})"
    count = len(routine.steps)
    steps = f"{count:>2} step{'s' if count != 1 else ' '}"
    return f"{routine.id:<14} {steps}  {about:<16}  {parts:<23}  {routine.title}"
