"""Narration and placement: pure, no audio (speech lengths are estimated)."""

import pytest

from voiceguide.audio.sounds import sound_lengths_ms
from voiceguide.errors import RoutineError
from voiceguide.narration import narrate, split_sentences
from voiceguide.routine import load_routine, parse_routine
from voiceguide.timeline import CHIME_TO_SPEECH_MS, TAIL_SILENCE_MS, needs, place
from voiceguide.timeline.plan import TimingRequest, make_plan

from .conftest import ROUTINES


def estimate(text: str) -> int:
    return 70 * len(text)


@pytest.fixture(scope="module")
def classic():
    return load_routine(ROUTINES / "classic.yaml")


def test_sentences_get_short_pauses_and_paragraphs_longer_ones() -> None:
    out = split_sentences("One. Two!\n\nThree?")
    assert [s.text for s in out] == ["One.", "Two!", "Three?"]
    assert out[0].pause_after_ms < out[1].pause_after_ms and out[2].pause_after_ms == 0


def test_every_step_is_announced_with_number_and_title(classic) -> None:
    narration = narrate(classic)
    assert narration.parts["kneading"].opening[0].text == "Step 3 of 6: Kneading."


def test_article_words_are_in_the_narration(classic) -> None:
    words = " ".join(narrate(classic).sentences()).lower()
    for phrase in ("christmas tree", "edge of your palm", "one half", "spoon", "blanket"):
        assert phrase in words


def test_template_with_unknown_name_is_a_routine_error() -> None:
    routine = parse_routine(
        "title: T\nsteps:\n  - id: a\n    title: A\n    duration: 1m\n    say: Hello {{ nobody }}\n",
        path="t.yaml",
        routine_id="t",
    )
    with pytest.raises(
        RoutineError,
        match=r"^t.yaml:6: steps\[0\] \(Step 1: A\).say: template error: 'nobody' is undefined",
    ):
        narrate(routine)


def test_sandbox_refuses_python_internals() -> None:
    routine = parse_routine(
        "title: T\nsteps:\n  - id: a\n    title: A\n    duration: 1m\n"
        "    say: \"{{ ''.__class__.__mro__[1].__subclasses__() }}\"\n",
        path="t.yaml",
        routine_id="t",
    )
    with pytest.raises(RoutineError, match="template"):
        narrate(routine)


def test_placed_speech_never_runs_into_the_last_second_of_a_part(classic) -> None:
    narration = narrate(classic)
    plan = make_plan(classic, TimingRequest(), needs(narration, estimate, sound_lengths_ms()))
    script = place(narration, plan, estimate, sound_lengths_ms())
    for cue in script.events:
        part = plan.part(cue.part_id)
        assert part.start_ms <= cue.start_ms
        assert cue.end_ms <= part.end_ms - TAIL_SILENCE_MS
    for step in plan.steps:
        first = [c for c in script.events if c.part_id == step.id]
        assert first[0].kind == "sound" and first[0].start_ms == step.start_ms
        assert first[1].start_ms == step.start_ms + CHIME_TO_SPEECH_MS


def test_half_cue_lands_at_the_half(classic) -> None:
    narration = narrate(classic)
    plan = make_plan(classic, TimingRequest(), needs(narration, estimate, sound_lengths_ms()))
    script = place(narration, plan, estimate, sound_lengths_ms())
    kneading = plan.part("kneading")
    tones = [c for c in script.events if c.part_id == "kneading" and c.text == "reminder"]
    assert tones[0].start_ms == kneading.start_ms + kneading.length_ms // 2
    assert tones[1].start_ms == kneading.end_ms - 60_000


def test_reminder_that_no_longer_fits_is_left_out_with_a_warning(classic) -> None:
    narration = narrate(classic)
    request = TimingRequest(pins={"kneading": 70_000})
    plan = make_plan(classic, request, needs(narration, estimate))
    script = place(narration, plan, estimate, sound_lengths_ms())
    assert any(
        w.startswith('step 3 "Kneading": the cue at -1m ("') and w.endswith(", so it is left out")
        for w in script.warnings
    ), script.warnings
    kneading = plan.part("kneading")
    for cue in script.events:
        if cue.part_id == "kneading":
            assert cue.end_ms <= kneading.end_ms - TAIL_SILENCE_MS
