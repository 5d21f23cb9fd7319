"""The article's instructions, step by step, are in what each routine says aloud.

The lists below are kept by hand from `back-massage-at-home.txt`: for every
step, the phrases a listener must hear (direction, pressure, what to avoid).
Rewording a routine is fine; dropping one of these is a regression.
"""

from __future__ import annotations

import pytest

from voiceguide.narration import narrate
from voiceguide.routine import Routine, load_routine
from voiceguide.speech import Speaker
from voiceguide.timeline import needs

from .conftest import ROUTINES

PREPARATION = ["towel", "clean cotton sheet", "causes no allergy", "hard surface",
               "wash your hands", "disinfectant", "warm your hands", "warm blanket"]  # fmt: skip
SAFETY = ["go through this checklist", "do not go on if any of these applies",
          "a high body temperature", "drunk", "drugs", "kidneys", "heart", "liver",
          "blood pressure that is too low or too high", "an allergic reaction", "cancer",
          "if any of them applies, stop here, and do not go on"]  # fmt: skip
WOMEN = ["ask her first", "period", "pregnancy", "first three months", "never massage the sacrum or the coccyx"]  # fmt: skip
REST = ["warm blanket", "relaxed pose", "rest"]

KEY_INSTRUCTIONS: dict[str, dict[str, list[str]]] = {
    "classic": {
        "intro": [
            *PREPARATION,
            *SAFETY,
            *WOMEN,
            "stiff after sleep",
            "in the morning",
            "before bed",
        ],
        "stroking": ["along the spine", "christmas tree", "start light", "press a little harder"],
        "rubbing": [
            "edge of your palm",
            "from the sides in towards the spine",
            "back out",
            "not so hard that it hurts",
            "whole back is warm",
            "redness",
        ],
        "kneading": [
            "both hands",
            "thin fold of skin by the spine",
            "out to the side",
            "one half of the back at a time",
            "right half",
        ],
        "cupping": [
            "shape of a spoon",
            "sharp",
            "muscles only",
            "stay off the spine, the kidneys, and the shoulders",
            "never cause pain",
        ],
        "vibration": ["tremble", "nape of the neck", "along the spine", "never hurt"],
        "final-stroking": ["finish with stroking", "firm", "slower and lighter"],
        "rest": REST,
    },
    "therapeutic": {
        "intro": [
            *PREPARATION,
            *SAFETY,
            *WOMEN,
            "about an hour",
            "only after an acute attack has passed",
        ],
        "surface": ["hard surface"],
        "hands": ["wash your hands", "warm them"],
        "oil": ["oil or cream"],
        "light-strokes": [
            "light strokes",
            "from the shoulders down towards the waist",
            "firm, but soft",
            "press gently",
            "no special effort",
        ],
        "along-spine": [
            "edges of your palms",
            "along the spine",
            "smooth the shoulders",
            "little effort",
        ],
        "sides": ["sides", "from the bottom upwards"],
        "shoulders": ["circular movements", "no special effort"],
        "skin-folds": [
            "go deeper",
            "fold of skin with your fingers",
            "from the bottom to the top",
            "one side of the back at a time",
            "right side",
        ],
        "neck": ["spend longer here", "sitting"],
        "patting": ["pat the back lightly with your fingertips"],
        "rest": REST,
    },
    "partner": {
        "intro": [*PREPARATION, *SAFETY, *WOMEN, "about half an hour", "evening"],
        "atmosphere": ["aroma lamp", "sandalwood", "jasmine", "orange"],
        "ready": ["hard surface", "wash your hands", "cream or ointment"],
        "waist-up": [
            "begin at the waist",
            "whole palm, not the fingers",
            "move up",
            "takes away the pain",
        ],
        "nape": ["nape of the neck", "stretch the tops of the shoulders", "whole palm"],
        "stroking": ["finish with stroking", "whole palms"],
        "rest": REST,
    },
    "child": {
        "intro": [*PREPARATION, *SAFETY, "gentle", "never press on the spine"],
        "stroking": ["from the bottom upwards", "one side of the back at a time", "right side"],
        "fist": ["fist", "press carefully", "keep away from the spine"],
        "stroking-again": ["stroke the back"],
        "tapping": ["tap lightly", "pinch", "stay off the spine"],
        "light-strokes": ["finish with light, slow strokes"],
        "rest": REST,
    },
}


def load(routine_id: str) -> Routine:
    return load_routine(ROUTINES / f"{routine_id}.yaml")


def spoken(routine: Routine) -> dict[str, str]:
    """Every part's words (opening and reminders), lowercased, by part id."""
    out = {}
    for part_id, part in narrate(routine).parts.items():
        sentences = [*part.opening, *(s for r in part.reminders for s in r.sentences)]
        out[part_id] = " ".join(s.text for s in sentences).lower()
    return out


def test_every_shipped_routine_has_a_list_of_key_instructions() -> None:
    assert sorted(KEY_INSTRUCTIONS) == sorted(p.stem for p in ROUTINES.glob("*.yaml"))


@pytest.mark.parametrize("routine_id", sorted(KEY_INSTRUCTIONS))
def test_each_part_says_the_articles_key_instructions(routine_id: str) -> None:
    routine = load(routine_id)
    words = spoken(routine)
    expected = KEY_INSTRUCTIONS[routine_id]
    assert set(expected) == {s.id for s in routine.steps} | {"intro", "rest"}
    missing = {
        part: [phrase for phrase in phrases if phrase not in words[part]]
        for part, phrases in expected.items()
    }
    assert {part: gone for part, gone in missing.items() if gone} == {}


def test_women_notes_are_not_read_for_a_child() -> None:
    assert "pregnancy" not in spoken(load("child"))["intro"]


@pytest.mark.parametrize(
    ("routine_id", "steps", "low", "high"),
    [
        ("classic", 6, 25, 35),  # kneading 10-15m plus five shorter steps
        ("therapeutic", 10, 55, 65),  # "carried out for an hour"
        ("partner", 5, 25, 35),  # "it takes place for half an hour"
        ("child", 5, 5, 12),  # gentle and short
    ],
)
def test_step_counts_and_default_lengths_follow_the_article(
    routine_id: str, steps: int, low: int, high: int
) -> None:
    routine = load(routine_id)
    assert len(routine.steps) == steps
    minutes = sum(s.duration_ms for s in routine.steps) / 60_000
    assert low <= minutes <= high
    assert routine.rest is not None and routine.rest.duration_ms == 15 * 60_000


def test_classic_kneads_10_to_15_minutes_and_can_fit_a_20_minute_track() -> None:
    routine = load("classic")
    kneading = next(s for s in routine.steps if s.id == "kneading")
    assert (kneading.min_ms, kneading.max_ms) == (10 * 60_000, 15 * 60_000)
    assert 10 * 60_000 <= kneading.duration_ms <= 15 * 60_000
    assert sum(s.min_ms for s in routine.steps) <= 17 * 60_000


def test_the_child_routine_is_for_a_child() -> None:
    assert load("child").audience == "child"


@pytest.mark.parametrize("routine_id", sorted(KEY_INSTRUCTIONS))
def test_every_steps_words_fit_its_shortest_length(routine_id: str, speaker: Speaker) -> None:
    """Measured with the real engine: a step at its min still holds its opening words."""
    routine = load(routine_id)
    need = needs(narrate(routine), speaker.length_ms)
    too_long = {s.id: need[s.id] for s in routine.steps if need[s.id] > s.min_ms}
    assert too_long == {}
    assert all(need[s.id] <= 60_000 for s in routine.steps)


def test_therapeutic_spends_longest_on_the_neck() -> None:
    steps = load("therapeutic").steps
    longest = max(steps, key=lambda s: s.duration_ms)
    assert longest.id == "neck"
