"""Fit the plan to words that say the plan's own lengths: render, fit, render again.

The narration says how long each step and the rest last ("Step 3 of 6:
Kneading. Twelve minutes."), but those lengths are only known once the
plan is fitted, and the plan's fit depends on how long the words take. So:
render with a first guess (the routine's lengths, what the user pinned),
fit, render again with the fitted lengths, and repeat until the words no
longer change; then the plan was fitted to exactly the words it carries.
A change in the words moves a part by a second or two, so this settles in
one or two rounds. A length on a rounding edge could flip for ever (said
one way, the words fit the other), so each part is given the most its words
have needed in any round so far: the needs only grow, the flip stops, and
the part keeps a second of extra silence at most. When the words still do
not settle within ``MAX_ROUNDS``, ``WordsDoNotSettle`` says which parts and
what to change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..errors import TimingError
from ..narration import Narration
from ..routine.model import REST_ID, Routine
from .place import Lengths, needs
from .plan import Plan, TimingRequest, make_plan

MAX_ROUNDS = 5

Narrate = Callable[[Mapping[str, int]], Narration]


class WordsDoNotSettle(TimingError):
    """The words about time change the fit, which changes the words, round after round."""


def first_guess(routine: Routine, request: TimingRequest) -> dict[str, int]:
    """The lengths to say before any plan: pins, the asked rest, else the routine's own."""
    out = {s.id: request.pins.get(s.id, s.duration_ms) for s in routine.steps}
    rest_ms = routine.rest.duration_ms if routine.rest else 0
    if request.rest_ms is not None:
        rest_ms = request.rest_ms
    if rest_ms > 0:
        out[REST_ID] = rest_ms
    return out


def plan_lengths(plan: Plan) -> dict[str, int]:
    return {p.id: p.length_ms for p in plan.parts}


def fit(
    routine: Routine,
    request: TimingRequest,
    narrate: Narrate,
    speech_ms: Lengths,
    sound_ms: Mapping[str, int],
    *,
    max_rounds: int = MAX_ROUNDS,
) -> tuple[Narration, Plan]:
    """The narration and the plan fitted to it, the words saying the plan's lengths.

    ``narrate(lengths)`` renders the words for the given part lengths;
    ``speech_ms(sentence)`` says how long a sentence takes.
    """
    narration = narrate(first_guess(routine, request))
    floor: dict[str, int] = {}
    for round_number in range(max_rounds):
        measured = needs(narration, speech_ms, sound_ms)
        if round_number == 0:  # words for guessed lengths: they set no floor
            plan = make_plan(routine, request, measured)
        else:
            for part_id, need in measured.items():
                floor[part_id] = max(floor.get(part_id, 0), need)
            plan = make_plan(routine, request, floor)
        again = narrate(plan_lengths(plan))
        if again == narration:
            return narration, plan
        previous, narration = narration, again
    changed = [p for p in narration.parts if narration.parts[p] != previous.parts.get(p)]
    raise WordsDoNotSettle(
        f"the words that say how long the parts last do not settle after {max_rounds} fits: "
        f"{', '.join(changed)} keep changing, each wording fitting the other's lengths; "
        "ask for a total a few seconds longer or shorter (--duration), or pin the steps (--step)"
    )
