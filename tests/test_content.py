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
CHECKLIST = ["go through this checklist", "do not go on if any of these applies",
             "kidneys", "heart", "liver", "blood pressure", "too low or too high",
             "an allergic reaction", "cancer",
             "if any of them applies, stop here, and do not go on"]  # fmt: skip
SAFETY = [*CHECKLIST, "a high body temperature", "drunk", "drugs"]
# The same, said to a parent: plain words, and before the child lies down.
CHILD_PREPARATION = [p for p in PREPARATION if p != "disinfectant"] + ["hand sanitiser"]
CHILD_CHECKLIST = [*CHECKLIST, "before the child lies down", "a fever"]
# "The main principles of massage include sliding the hands on the back in the direction
# of the blood flow, while avoiding the location of the lymph nodes."
PRINCIPLES = ["in the direction of the blood flow", "keep away from the lymph nodes",
              "in the armpits", "at the sides of the neck"]  # fmt: skip
# "Massage of such zones, as a sacrum or coccyx, can lead to spontaneous miscarriage."
WOMEN = ["ask her first", "period", "pregnancy", "first three months",
         "never massage the sacrum or the coccyx", "can lead to a miscarriage"]  # fmt: skip
# The principles for a parent: what to do, without "blood flow" or "lymph nodes".
CHILD_PRINCIPLES = ["stroke the way each step tells you",
                    "keep away from the armpits and the sides of the neck"]  # fmt: skip
# "take cover with a blanket and lie down in a relaxed pose for at least 15 minutes"
REST = ["warm blanket", "relaxed pose", "rest for fifteen minutes"]

KEY_INSTRUCTIONS: dict[str, dict[str, list[str]]] = {
    "classic": {
        "intro": [
            *PREPARATION,
            *SAFETY,
            *PRINCIPLES,
            *WOMEN,
            "stiff after sleep",
            "in the morning",
            "before bed",
        ],
        "stroking": [
            "up towards the neck, beside the spine, not on it",
            "christmas tree",
            "start light",
            "press a little harder",
        ],
        "rubbing": [
            "edge of your palm",
            "from the sides in towards the spine",
            "back out",
            # "the pressure should not be strong so as not to cause pain"
            "ask how the pressure feels, and stop if it hurts",
            "do not press hard",
            "the pressure should not be strong",
            "stay clear of the armpits",  # the lymph nodes
            "whole back is warm",
            "redness",
        ],
        "kneading": [
            "both hands",
            "thin fold of skin beside the spine",
            "out to the side",
            "one half of the back at a time",
            "other half",
        ],
        "cupping": [
            "shape of a spoon",
            "sharp",
            "muscles only",
            # "excluding the spine, kidneys and shoulders", with where the kidneys are
            "stay off the spine, the shoulders, and the kidneys",
            "lower back, just below the ribs",
            "never cause pain",
        ],
        "vibration": ["tremble", "nape of the neck", "beside the spine, not on it", "never hurt"],
        "final-stroking": [
            "finish with stroking",
            "up beside the spine",
            "firm",
            "slower and lighter",
        ],
        "rest": REST,
    },
    "therapeutic": {
        "intro": [
            *PREPARATION[:3],
            "medicinal cream",
            *SAFETY,
            *PRINCIPLES,
            *WOMEN,
            # "done after the withdrawal of an attack of exacerbation"
            "only after an attack of back pain has passed, never during one",
            # "in the absence of contraindications and problems with the musculoskeletal system"
            "no musculoskeletal problems",
            "nothing on the checklist applies",
        ],
        "surface": ["hard surface", "clean sheet", "face down"],
        "hands": ["wash your hands", "disinfectant", "warm your hands"],
        # "If the massage is therapeutic, then use medicinal creams."
        "oil": ["medicinal cream"],
        "light-strokes": [
            "ask how the pressure feels, and stop at once if it hurts",
            "light strokes",
            "from the shoulders down towards the waist",
            "press gently",
            "no special effort",
        ],
        "along-spine": [
            "edges of your palms",
            "along the spine, beside it",
            "not on it",
            "smooth the shoulders",
            "little effort",
        ],
        "sides": ["sides", "from the bottom upwards", "stop below the armpits", "lymph nodes"],
        "shoulders": ["circular movements", "no special effort", "off the sides of the neck"],
        "skin-folds": [
            "go deeper",
            "fold of skin with your fingers",
            "from the bottom to the top",
            "one side of the back at a time",
            "other side",
        ],
        "neck": [
            "spend longer here",
            "sitting",
            "back of the neck, beside the spine",
            "off the sides of the neck, where the lymph nodes are",
        ],
        "patting": ["pat the back lightly with your fingertips"],
        "rest": REST,
    },
    "partner": {
        "intro": [*PREPARATION[:3], *SAFETY, *PRINCIPLES, *WOMEN, "evening"],
        "atmosphere": ["aroma lamp", "sandalwood", "jasmine", "orange"],
        "ready": ["hard surface", "wash your hands", "disinfectant", "cream or ointment"],
        "waist-up": [
            "begin at the waist",
            "ask your partner how the pressure feels, and stop if anything hurts",
            "whole palm, not the fingers",
            "move up",
            "takes away the pain",
        ],
        "nape": [
            "nape of the neck",
            "stretch the tops of the shoulders",
            "whole palm",
            "keep off the sides of the neck: the lymph nodes are there",
        ],
        "stroking": ["finish with stroking", "whole palms"],
        "rest": REST,
    },
    "child": {
        "intro": [
            *CHILD_PREPARATION,
            *CHILD_CHECKLIST,
            *CHILD_PRINCIPLES,
            "gentle",
            "never press on the spine",
        ],
        "stroking": [
            "from the bottom upwards",
            "one side of the back at a time",
            "other side",
            "stop below the armpits",
        ],
        "fist": [
            "ask the child to tell you if anything hurts, and stop at once if it does",
            "fist",
            "press carefully",
            "keep away from the spine",
        ],
        "stroking-again": ["stroke the child's back"],
        "tapping": ["tap lightly", "pinch", "stay off the spine"],
        "light-strokes": ["finish with light, slow strokes"],
        "rest": REST,
    },
}

# Each routine's first firm step opens (after its announcement) by asking about the
# pressure and saying to stop if it hurts: "the massage does not cause pain".
FIRST_FIRM_STEP = {
    "classic": "rubbing",
    "therapeutic": "light-strokes",
    "partner": "waist-up",
    "child": "fist",
}

# What the article contradicts or a listener would mishear, never said by any routine.
NEVER_SAID = [
    "press firmly",  # "the pressure should not be strong"
    "problems with the bones and joints",  # the article: musculoskeletal
    "both sides of the neck",  # the lymph nodes are there
    "move down along the spine",  # right after "stay off the spine": beside it
    "left half",  # whose left?
    "left side",
    "acute attack",  # of what?
    "contraindication",  # a word heard once
    "get up slowly when you are ready",  # the track speaks to the one giving the massage
    "cover up and rest",
    "about half an hour",  # lengths said are the fitted ones
    "about an hour",
]
# The child's words: its own checklist, and a child, not a person.
NEVER_SAID_TO_A_CHILD = ["drunk", "drugs", "the person", "pregnancy", "her first",
                         # adult words: say what to do instead
                         "blood flow", "lymph nodes", "disinfectant"]  # fmt: skip


def load(routine_id: str) -> Routine:
    return load_routine(ROUTINES / f"{routine_id}.yaml")


def spoken(routine: Routine, **kw: object) -> dict[str, str]:
    """Every part's words (opening and timed cues: always said), lowercased, by part id."""
    out = {}
    for part_id, part in narrate(routine, **kw).parts.items():  # type: ignore[arg-type]
        sentences = [*part.opening, *(s for r in part.cues for s in r.sentences)]
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


def full_text(routine: Routine, **kw: object) -> str:
    narration = narrate(routine, **kw)  # type: ignore[arg-type]
    return " ".join(narration.sentences()).lower()


@pytest.mark.parametrize("routine_id", sorted(FIRST_FIRM_STEP))
def test_the_first_firm_step_opens_with_ask_about_the_pressure_and_stop_if_it_hurts(
    routine_id: str,
) -> None:
    routine = load(routine_id)
    step_id = FIRST_FIRM_STEP[routine_id]
    opening = [s.text.lower() for s in narrate(routine).parts[step_id].opening]
    # the announcement, its length, then the first two sentences of the step's own words
    first_words = " ".join(opening[2:4])
    assert "ask" in first_words and "stop" in first_words and "hurt" in first_words
    earlier = [s.id for s in routine.steps][: [s.id for s in routine.steps].index(step_id)]
    for part_id in earlier:  # the line belongs to the first firm step, not before it
        assert "how the pressure feels" not in spoken(routine)[part_id]


@pytest.mark.parametrize("routine_id", sorted(KEY_INSTRUCTIONS))
def test_nothing_the_article_contradicts_is_said(routine_id: str) -> None:
    words = full_text(load(routine_id))
    assert [phrase for phrase in NEVER_SAID if phrase in words] == []


def test_the_child_hears_a_childs_checklist_and_is_called_the_child() -> None:
    routine = load("child")
    words = full_text(routine)
    assert [phrase for phrase in NEVER_SAID_TO_A_CHILD if phrase in words] == []
    assert "a fever" in words
    assert "cover the child with a warm blanket" in words
    assert "help the child to get up slowly" in words
    assert routine.person == "the child"


@pytest.mark.parametrize("routine_id", sorted(KEY_INSTRUCTIONS))
def test_the_checklist_comes_before_any_preparation(routine_id: str) -> None:
    intro = spoken(load(routine_id))["intro"]
    checklist = intro.index("go through this checklist")
    for preparation in ("towel", "wash your hands", "between your palms", "shower"):
        if preparation in intro:
            assert checklist < intro.index(preparation), preparation


@pytest.mark.parametrize("routine_id", sorted(KEY_INSTRUCTIONS))
def test_the_intro_ends_with_time_to_get_ready_and_says_the_track_can_be_paused(
    routine_id: str,
) -> None:
    intro = narrate(load(routine_id), pause_ms=120_000).parts["intro"]
    said = [s.text for s in intro.cues[0].sentences]
    assert said[-3:] == [
        "Now take two minutes to get all this ready.",
        "If you need longer, pause the track.",
        "A bell rings when step one begins.",
    ]
    assert intro.hold_ms == 120_000


@pytest.mark.parametrize("routine_id", sorted(KEY_INSTRUCTIONS))
def test_no_intro_keeps_the_checklist_and_cautions_unless_they_are_turned_off(
    routine_id: str,
) -> None:
    routine = load(routine_id)
    kept = spoken(routine, intro=False)["intro"]
    assert "go through this checklist" in kept and "sides of the neck" in kept
    assert "towel" not in kept
    if routine_id != "child":
        assert "pregnancy" in kept
    dropped = narrate(routine, intro=False, checklist=False).parts["intro"]
    assert dropped.cues == ()


@pytest.mark.parametrize(
    ("routine_id", "phrase"),
    [("partner", "between your palms"), ("therapeutic", "wash your hands"),
     ("therapeutic", "between your palms"), ("classic", "between your palms")],
)  # fmt: skip
def test_preparation_is_said_once(routine_id: str, phrase: str) -> None:
    assert full_text(load(routine_id)).count(phrase) == 1


@pytest.mark.parametrize("routine_id", sorted(KEY_INSTRUCTIONS))
def test_the_heads_up_never_names_a_step_the_listener_cannot_picture(routine_id: str) -> None:
    titles = " ".join(s.title.lower() for s in load(routine_id).steps)
    assert "cupping" not in titles  # said as "clapping with cupped palms"


@pytest.mark.parametrize("routine_id", sorted(KEY_INSTRUCTIONS))
def test_the_description_describes_the_track_not_an_article(routine_id: str) -> None:
    description = load(routine_id).description.lower()
    assert "article" not in description and "voice-guided" in description


def test_a_routine_says_its_own_position(tmp_path) -> None:
    from voiceguide.routine import parse_routine

    base = "title: T\ninclude: [preparation]\nsteps:\n  - id: a\n    title: A\n    duration: 1m\n    say: Stroke.\n"
    sitting = parse_routine(
        base + "position: sitting astride a chair, leaning on its back\n",
        path="t.yaml",
        routine_id="t",
    )
    said = full_text(sitting)
    assert "the massage is done sitting astride a chair, leaning on its back. lay the clean" in said
    assert "hard surface" not in said and "couch" not in said  # the preparation follows it
    assert "the massage is done lying face down" in full_text(
        parse_routine(base, path="t.yaml", routine_id="t")
    )


# The cautions of issue 24, where they apply: (routine, part) -> phrases said there (opening
# or timed cues, always said), each with the article's sentence it comes from.
BESIDE = "beside"  # "every step along the spine says beside it, not on it"
CAUTIONS: dict[tuple[str, str], list[str]] = {
    # "Massage of such zones, as a sacrum or coccyx, can lead to spontaneous miscarriage":
    # with the women's notes, and again where the hands first reach the lower back.
    **{
        (r, "intro"): ["sacrum or the coccyx", "can lead to a miscarriage"]
        for r in ("classic", "therapeutic", "partner")
    },
    ("classic", "stroking"): ["pregnant", "sacrum and the coccyx", "can lead to a miscarriage"],
    ("therapeutic", "light-strokes"): [
        "pregnant",
        "sacrum and the coccyx",
        "can lead to a miscarriage",
    ],
    ("partner", "waist-up"): ["pregnant", "sacrum and the coccyx", "can lead to a miscarriage"],
    # "They are carried out only on the muscles, excluding the spine, kidneys and shoulders."
    ("classic", "cupping"): ["stay off the spine", "kidneys", "just below the ribs"],
    ("therapeutic", "patting"): ["stay off the spine and the kidneys", "just below the ribs"],
    ("child", "tapping"): ["stay off the spine and the kidneys", "just below the ribs"],
    # along the spine: beside it, not on it
    ("classic", "stroking-2"): [BESIDE, "not on it"],
    ("classic", "rubbing"): ["stop beside the spine, never on it"],
    ("classic", "kneading"): ["beside the spine"],
    ("classic", "vibration"): ["beside the spine, not on it"],
    ("classic", "final-stroking"): ["up beside the spine"],
    ("therapeutic", "along-spine"): ["beside it", "not on it"],
    ("therapeutic", "neck"): ["beside the spine", "stay off the spine itself"],
    # "On the patient's body there may be acne that is injured during the procedure."
    ("classic", "intro"): ["keep off any spots or broken skin on the back"],
    ("therapeutic", "hands"): ["spots on the back", "can break them"],
    ("therapeutic", "oil"): ["keep off any spots or broken skin"],
    ("partner", "ready"): ["spots on the back", "can break them"],
    ("child", "intro"): ["keep off any spots or scratches"],
    # each stroking step says its direction
    ("therapeutic", "light-strokes-2"): [
        "from the shoulders down towards the waist",
        # why, against the introduction's blood-flow rule
        "unlike most strokes",
        "so the massage starts carefully",
        "the deeper work later goes upwards",
    ],
    ("partner", "stroking"): ["from the waist up to the shoulders"],
    ("child", "stroking"): ["from the bottom upwards"],
    ("child", "stroking-again"): ["from the bottom upwards"],
    ("child", "light-strokes"): ["from the bottom upwards"],
    # "After the procedure ... lie down in a relaxed pose for at least 15 minutes": see
    # test_a_short_rest_says_the_article_asks_for_fifteen_minutes
    # A small child may not say that something hurts: watch the face as well as ask.
    ("child", "fist"): ["ask the child", "watch the child's face"],
    ("child", "intro-2"): ["watch the child's face as well"],
    # the towel the preparation asks for is used; an hour face down says how the head rests
    ("classic", "intro-2"): ["roll up the towel, to rest the forehead on"],
    ("therapeutic", "surface"): ["roll up the towel", "under their forehead", "neck straight"],
    ("partner", "ready-2"): ["roll up the towel", "under their forehead"],
}


@pytest.mark.parametrize(("routine_id", "part"), sorted(CAUTIONS))
def test_each_caution_is_said_where_it_applies(routine_id: str, part: str) -> None:
    words = spoken(load(routine_id))[part.removesuffix("-2")]
    assert [p for p in CAUTIONS[routine_id, part] if p not in words] == []


def test_therapeutic_light_strokes_use_one_word_for_their_pressure() -> None:
    """The article: "starts with light influences ... intense, but at the same time soft":
    the step said "light" and then "firm"; it says light."""
    words = spoken(load("therapeutic"))["light-strokes"]
    assert "firm" not in words and "light" in words


@pytest.mark.parametrize("rest", ["5m", "14m"])
def test_a_short_rest_says_the_article_asks_for_fifteen_minutes(rest: str) -> None:
    """As --rest 0 does: the closing words after a rest shorter than fifteen minutes."""
    from voiceguide.routine.durations import parse_duration
    from voiceguide.routine.model import REST_ID

    routine = load("classic")
    lengths = {s.id: s.duration_ms for s in routine.steps} | {REST_ID: parse_duration(rest)}
    outro = " ".join(s.text for s in narrate(routine, lengths=lengths).parts["outro"].opening)
    assert "at least fifteen minutes" in outro.lower()
    full = " ".join(s.text for s in narrate(routine).parts["outro"].opening)
    assert full == "The rest is over. Help the person to get up slowly."


def test_the_childs_steps_speak_plainly_to_the_parent() -> None:
    routine = load("child")
    words = spoken(routine)
    intro = words["intro"]
    assert intro.index("before the child lies down") < intro.index("a fever")
    for step in routine.steps:
        assert [w for w in ("blood flow", "lymph", "disinfect") if w in words[step.id]] == []
