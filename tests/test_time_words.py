"""True about time: every length said is the fitted one, in words.

The plan fits the parts to how long their words take, and the words say
the fitted lengths, so the two are fitted in turn until they agree
(``timeline.fit``). Where timing is the point the real engine measures the
words; the pure cases use a stand-in for speech lengths.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from voiceguide.build import BuildOptions, prepare
from voiceguide.narration import narrate
from voiceguide.narration.lengths import english_number, number_words, spoken_length
from voiceguide.routine import Routine, load_routine, parse_routine
from voiceguide.speech import Speaker
from voiceguide.timeline import Plan, Script, TimingRequest, WordsDoNotSettle, fit
from voiceguide.timeline.fit import guessed_plans, plan_lengths
from voiceguide.timeline.place import asked

from .conftest import ROUTINES

SOUNDS = {"step": 500, "reminder": 300, "end": 800}


@pytest.mark.parametrize(
    ("ms", "said"),
    [
        (7_400, "seven seconds"),
        (30_000, "thirty seconds"),
        (44_000, "forty-five seconds"),
        (60_000, "one minute"),
        (90_000, "a minute and a half"),
        (270_000, "four and a half minutes"),
        (719_000, "twelve minutes"),
        (725_000, "twelve minutes"),
        (750_000, "twelve and a half minutes"),
        (1_170_000, "nineteen and a half minutes"),
        (
            1_530_000,
            "twenty-six minutes",
        ),  # whole minutes from twenty: not "twenty-five and a half"
        (3_030_000, "fifty minutes"),
        (3_580_000, "one hour"),
        (3_600_000, "one hour"),
        (5_400_000, "an hour and a half"),
        (4_500_000, "one hour and fifteen minutes"),
    ],
)
def test_lengths_are_said_in_words_rounded_for_the_ear(ms: int, said: str) -> None:
    assert spoken_length(ms) == said


def test_english_numbers_are_num2words_own_words() -> None:
    """Lengths say their numbers without importing num2words (a tenth of `check`'s start),
    in the words num2words would have given."""
    from num2words import num2words

    assert [english_number(n) for n in range(1000)] == [num2words(n) for n in range(1000)]
    assert number_words(1234) == num2words(1234)  # beyond the table: num2words itself


def sentences_of(script: Script, part_id: str) -> list[str]:
    return [e.text for e in script.speech if e.part_id == part_id]


def assert_lengths_said_are_the_fitted_ones(script: Script) -> None:
    plan = script.plan
    for part in plan.steps:
        said = sentences_of(script, part.id)
        words = spoken_length(part.length_ms)
        assert said[0] == f"Step {part.number} of {len(plan.steps)}: {part.title}."
        assert said[1] == words[:1].upper() + words[1:] + ".", part.id
    massage = spoken_length(sum(p.length_ms for p in plan.steps))
    intro = " ".join(sentences_of(script, "intro"))
    assert f"takes {massage}" in intro
    rest = [p for p in plan.parts if p.id == "rest"]
    if rest:
        rest_words = spoken_length(rest[0].length_ms)
        assert f"rest for {rest_words}." in " ".join(sentences_of(script, "rest"))
        assert f"then {rest_words} of rest" in intro
    else:
        assert "of rest" not in intro


SETTINGS = [
    ("classic", TimingRequest(), 28 * 60_000, "Twelve minutes.", "fifteen minutes"),
    (
        "classic",
        TimingRequest(total_ms=40 * 60_000, pins={"kneading": 14 * 60_000}, rest_ms=10 * 60_000),
        None,
        "Fourteen minutes.",
        "ten minutes",
    ),
    ("partner", TimingRequest(total_ms=25 * 60_000, rest_ms=0), None, None, None),
    (
        "therapeutic",
        TimingRequest(total_ms=90 * 60_000, pins={"neck": 90_000 * 7}, rest_ms=20 * 60_000),
        None,
        "Ten and a half minutes.",
        "twenty minutes",
    ),
]


@pytest.mark.parametrize(("routine_id", "timing", "massage_ms", "step_said", "rest_said"), SETTINGS)
def test_every_length_said_is_the_fitted_one(
    speaker: Speaker,
    routine_id: str,
    timing: TimingRequest,
    massage_ms: int | None,
    step_said: str | None,
    rest_said: str | None,
) -> None:
    """Three --duration/--rest/--step settings (and the defaults), the real engine's words."""
    routine = load_routine(ROUTINES / f"{routine_id}.yaml")
    script = prepare(routine, BuildOptions(timing=timing), speaker)
    if timing.total_ms is not None:
        assert script.plan.total_ms == timing.total_ms
    assert_lengths_said_are_the_fitted_ones(script)
    if massage_ms is not None:
        assert sum(p.length_ms for p in script.plan.steps) == massage_ms
    pinned = next(iter(timing.pins), None)
    if step_said and pinned:
        assert sentences_of(script, pinned)[1] == step_said
    if rest_said:
        assert f"rest for {rest_said}." in " ".join(sentences_of(script, "rest"))
    words = " ".join(e.text for e in script.speech).lower()
    assert "half an hour" not in words and "about an hour" not in words


def test_the_words_the_plan_was_fitted_to_are_the_words_for_its_lengths(speaker: Speaker) -> None:
    routine = load_routine(ROUTINES / "classic.yaml")
    for total in (20 * 60_000, 33 * 60_000 + 17_000, 44 * 60_000):
        request = TimingRequest(total_ms=total, rest_ms=0)

        def words(lengths):
            return narrate(routine, lengths=lengths, rest=False, pause_ms=120_000)

        narration, plan = fit(routine, request, words, speaker.length_ms, SOUNDS)
        assert plan.total_ms == total
        assert words(plan_lengths(plan)) == narration


def test_a_length_on_a_rounding_edge_settles_with_the_longer_words() -> None:
    """Said as "three minutes" the intro is long and the step comes out shorter; said
    shorter, the step is three minutes again. The fit keeps the longer need and settles."""
    routine = parse_routine(
        "title: T\nintro: It takes {{ routine.length }}.\nsteps:\n  - id: a\n    title: A\n"
        "    duration: 3m\n    min: 1m\n    max: 5m\n    say: Stroke.\n",
        path="t.yaml",
        routine_id="t",
    )

    def speech_ms(text: str) -> int:
        return 60_000 if "three minutes" in text else 1_000

    def words(lengths):
        return narrate(routine, lengths=lengths)

    for total in (200_000, 205_000):
        narration, plan = fit(routine, TimingRequest(total_ms=total), words, speech_ms, SOUNDS)
        assert plan.total_ms == total
        assert words(plan_lengths(plan)) == narration


def _words_a_minute(wpm: int) -> Callable[[str], int]:
    return lambda text: len(text.split()) * 60_000 // wpm


def _ahead(
    routine: Routine, request: TimingRequest, guess: Callable[[str], int]
) -> tuple[list[Plan], set[str]]:
    """What a build speaks before fitting (``build.prepare``): the plans fitted to the guess,
    and every sentence fitting and placing them asks for."""
    words = narrate_with(routine)
    plans = guessed_plans(routine, request, words, guess, SOUNDS)
    said = {s for p in plans for s in asked(words(plan_lengths(p)), guess, SOUNDS, p)}
    return plans, said


@pytest.mark.parametrize("total_min", [20, 33, 40])
def test_a_right_guess_of_the_speech_fits_in_one_round_to_the_same_plan(total_min: int) -> None:
    """Started from the plan fitted to the guess, where the speech takes what the guess said
    one round is measured (from the routine's own lengths, a requested total changes the
    lengths said and a second round is), and the plan is the one the measured rounds give."""
    routine = load_routine(ROUTINES / "classic.yaml")
    request = TimingRequest(total_ms=total_min * 60_000, rest_ms=0)
    speech_ms = _words_a_minute(150)
    plans, _ = _ahead(routine, request, speech_ms)
    fits = {}
    for start in (None, plan_lengths(plans[0])):
        heard: list[list[str]] = []
        fits[start is None] = fit(
            routine, request, narrate_with(routine), speech_ms, SOUNDS,
            start=start, hear=heard.append,
        )  # fmt: skip
        assert len(heard) == (2 if start is None else 1)
    assert fits[True] == fits[False]


@pytest.mark.slow  # fits the classic routine at every total 10 s apart: seconds of planning
@pytest.mark.parametrize("miss", [0.96, 1.04])
def test_a_guess_a_few_percent_off_has_every_sentence_spoken_ahead(miss: float) -> None:
    """With the guessed plan's words go those of plans for speech 5% shorter and longer:
    where the guess was off and a length the words say crossed a rounding edge ("five
    minutes", "five and a half"), the wording the measured speech needs was spoken ahead,
    so a cold build never waits for a round. Over totals 10 seconds apart, 30 to 43 minutes."""
    routine = load_routine(ROUTINES / "classic.yaml")
    speech_ms = _words_a_minute(150)
    rounds: list[int] = []
    for total_s in range(30 * 60, 43 * 60, 10):
        request = TimingRequest(total_ms=total_s * 1000, rest_ms=0)
        plans, ahead = _ahead(routine, request, lambda text: round(speech_ms(text) * miss))
        heard: list[list[str]] = []
        narration, plan = fit(
            routine, request, narrate_with(routine), speech_ms, SOUNDS,
            start=plan_lengths(plans[0]), hear=heard.append,
        )  # fmt: skip
        assert {s for round_ in heard for s in round_} <= ahead
        assert set(asked(narration, speech_ms, SOUNDS, plan)) <= ahead
        rounds.append(len(heard))
    assert max(rounds) >= 2  # the guess was off enough to need a measured round somewhere


def test_a_guess_no_plan_can_meet_gives_no_plans_to_start_from() -> None:
    """A guess far too long (every sentence ten minutes) cannot be fitted to the total: the
    fit starts from the routine's own lengths, as without a guess, and the speech fits."""
    routine = load_routine(ROUTINES / "classic.yaml")
    request = TimingRequest(total_ms=30 * 60_000, rest_ms=0)
    plans, ahead = _ahead(routine, request, lambda text: 600_000)
    assert plans == [] and ahead == set()
    _, plan = fit(routine, request, narrate_with(routine), _words_a_minute(150), SOUNDS)
    assert plan.total_ms == 30 * 60_000


def test_words_that_never_settle_are_a_clear_error() -> None:
    """Each new wording takes longer than any before it: the fit gives up, saying why."""
    routine = parse_routine(
        "title: T\nintro: It takes {{ routine.length }}.\nsteps:\n  - id: a\n    title: A\n"
        "    duration: 10m\n    min: 1m\n    max: 20m\n    say: Stroke.\n",
        path="t.yaml",
        routine_id="t",
    )
    heard: dict[str, int] = {}

    def speech_ms(text: str) -> int:
        if "takes" in text:
            heard.setdefault(text, 40_000 * (len(heard) + 1))
            return heard[text]
        return 1_000

    with pytest.raises(WordsDoNotSettle) as err:
        fit(routine, TimingRequest(total_ms=15 * 60_000), narrate_with(routine), speech_ms, SOUNDS)
    message = str(err.value)
    assert "do not settle after 5 fits: intro, a keep changing" in message
    assert "--duration" in message and "--step" in message
    assert err.value.exit_code == 2


def narrate_with(routine):
    return lambda lengths: narrate(routine, lengths=lengths)
