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

Each round's words must be spoken to be measured, and a cold build with a
neural voice waits for every sentence a later round brings. So a build
starts (``start``) not from the routine's own lengths, which a requested
total nearly always changes, but from a plan fitted to a guess of the
speech (``guessed_plans``: from the letters and the pace), and it speaks
ahead the words of plans fitted to speech a little shorter and longer
(``GUESS_MISS``), so that a length near a rounding edge ("five minutes" or
"five and a half") has both wordings ready. The guess chooses what is
spoken first and where the fit starts; the plan is then fitted to the
measured speech. Since each part keeps the most any wording it passed
through needed, the start can move a part on a rounding edge by a second:
the guess (its constants in ``speech.pace``) is part of what makes a track,
the same from any cache.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from ..errors import TimingError
from ..narration import Narration
from ..routine.model import REST_ID, Routine
from .place import Lengths, measured_by_needs, needs
from .plan import Plan, TimingRequest, feasible_range, make_plan

MAX_ROUNDS = 5
# How far the guessed speech may be from the measured: over 20 sentences in a row (an intro)
# the guess misses by 1% in the median and 6% at worst (see ``speech.pace.guess_ms``).
GUESS_MISS = 0.05

Narrate = Callable[[Mapping[str, int]], Narration]
Hear = Callable[[list[str]], object]  # the sentences a round will measure, before it does


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


def guessed_plans(
    routine: Routine,
    request: TimingRequest,
    narrate: Narrate,
    guess_ms: Lengths,
    sound_ms: Mapping[str, int],
) -> list[Plan]:
    """The plan fitted to guessed speech, then those fitted to speech ``GUESS_MISS`` shorter
    and longer (the speech only: pauses and chimes keep their lengths). Where the guess
    itself cannot be fitted, the first of the others that can leads; where none can, there
    are none, and the measured rounds say what is wrong, if anything is."""
    words = narrate(first_guess(routine, request))
    plans: list[Plan] = []
    for factor in (1.0, 1 - GUESS_MISS, 1 + GUESS_MISS):

        def scaled(text: str, factor: float = factor) -> int:
            return round(guess_ms(text) * factor)

        try:
            plans.append(make_plan(routine, request, needs(words, scaled, sound_ms)))
        except TimingError:
            continue
    return plans


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
    start: Mapping[str, int] | None = None,
    hear: Hear | None = None,
) -> tuple[Narration, Plan]:
    """The narration and the plan fitted to it, the words saying the plan's lengths.

    ``narrate(lengths)`` renders the words for the given part lengths (the
    first for ``start``, by default ``first_guess``); ``speech_ms(sentence)``
    says how long a sentence takes; ``hear(sentences)`` is given the
    sentences each round measures before it measures any (a build speaks
    them side by side there).
    """
    narration = narrate(first_guess(routine, request) if start is None else start)
    floor: dict[str, int] = {}
    for round_number in range(max_rounds):
        measured = _measured(narration, speech_ms, sound_ms, hear)
        if round_number == 0:  # words for guessed lengths: they set no floor
            plan = make_plan(routine, request, measured)
        else:
            plan = make_plan(routine, request, _raised(floor, measured))
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


def feasible_totals(
    routine: Routine,
    request: TimingRequest,
    narrate: Narrate,
    speech_ms: Lengths,
    sound_ms: Mapping[str, int],
    *,
    hear: Hear | None = None,
) -> tuple[int, int]:
    """The shortest and longest ``--duration`` a build with these settings meets.

    Each end is measured on the words said at that end: the intro says the
    massage's length, so the words of the routine's own lengths can take a
    second less than those of the shortest plan, and a range measured on them
    names a total the build then refuses. The first round moves an end either
    way (to the words said there); after that, as in ``fit``, each part keeps
    the most its words needed in any round, so an end only moves inwards.
    """
    current = _measured(narrate(first_guess(routine, request)), speech_ms, sound_ms, hear)
    ends: list[int] = []
    for end in (0, 1):
        total = feasible_range(routine, request, current)[end]
        floor: dict[str, int] = {}
        for _ in range(MAX_ROUNDS):
            at_end = make_plan(routine, replace(request, total_ms=total), floor or current)
            words = narrate(plan_lengths(at_end))
            _raised(floor, _measured(words, speech_ms, sound_ms, hear))
            moved = feasible_range(routine, request, floor)[end]
            if moved == total:
                break
            total = moved
        ends.append(total)
    return ends[0], ends[1]


def _measured(
    words: Narration, speech_ms: Lengths, sound_ms: Mapping[str, int], hear: Hear | None
) -> dict[str, int]:
    """What each part's words need, their sentences first given to ``hear``."""
    if hear is not None:
        hear(measured_by_needs(words, sound_ms))
    return needs(words, speech_ms, sound_ms)


def _raised(floor: dict[str, int], measured: Mapping[str, int]) -> dict[str, int]:
    """``floor`` raised, in place, to what these words need where they need more."""
    for part_id, need in measured.items():
        floor[part_id] = max(floor.get(part_id, 0), need)
    return floor
