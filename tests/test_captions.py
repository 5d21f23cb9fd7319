"""What the listener hears and when: captions, lead-in, announcements, heads-up, tags.

Measured in the decoded MP3 of routines/classic.yaml (the shared session build).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import webvtt
from click.testing import CliRunner
from mutagen.id3 import ID3

from voiceguide.audio.sounds import sound_lengths_ms
from voiceguide.cli import cli
from voiceguide.narration import HEADS_UP_MS, LEAD_IN_MS, PARAGRAPH_PAUSE_MS, narrate
from voiceguide.routine import load_routine, parse_routine
from voiceguide.timeline import CHIME_TO_SPEECH_MS, REMINDER_TO_SPEECH_MS, needs, place
from voiceguide.timeline.place import asked
from voiceguide.timeline.plan import TimingRequest, make_plan

from .audio import decoded, energy_onset_ms, peak
from .conftest import ROUTINES
from .short_routine import SHORT

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def audio(classic_build) -> np.ndarray:
    return decoded(classic_build["mp3"])


def vtt_ms(stamp: str) -> int:
    h, m, s = stamp.split(":")
    return round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000)


def test_vtt_parses_and_holds_every_spoken_line_at_its_planned_time(classic_build) -> None:
    captions = webvtt.read(str(classic_build["dir"] / "classic.vtt")).captions
    speech = [c for c in classic_build["plan"]["events"] if c["kind"] == "speech"]
    assert [c.text for c in captions] == [c["text"] for c in speech]
    assert [(vtt_ms(c.start), vtt_ms(c.end)) for c in captions] == [
        (c["start_ms"], c["end_ms"]) for c in speech
    ]


def test_each_caption_starts_where_speech_energy_begins(classic_build, audio) -> None:
    captions = webvtt.read(str(classic_build["dir"] / "classic.vtt")).captions
    misses = []
    for caption in captions:
        start = vtt_ms(caption.start)
        found = energy_onset_ms(audio, start)
        if found is None or abs(found - start) > 50:
            misses.append((caption.text, start, found))
    assert not misses


def test_chapters_and_tags_read_back_with_mutagen(classic_build) -> None:
    tags = ID3(classic_build["mp3"])
    routine = load_routine(ROUTINES / "classic.yaml")
    assert str(tags["TIT2"]).startswith(f"{routine.title} · ")  # and its length, voice
    assert str(tags["TPE1"]) and str(tags["TALB"])
    assert str(tags["TXXX:voice"]) == "gmw/en-us (pyttsx3)"  # the suite's voice: espeak-ng
    assert classic_build["plan"]["voice"] == {
        "id": "gmw/en-us",
        "engine": "pyttsx3",
        "language": "en-us",
    }
    assert str(tags["TCON"]) == "Speech"
    assert tags.getall("COMM")[0].text[0] == routine.description
    assert "article" not in routine.description  # the listener has no article: the track
    chapters = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    parts = classic_build["plan"]["parts"]
    assert len(chapters) == len(parts)
    for chapter, part in zip(chapters, parts, strict=True):
        assert abs(chapter.start_time - part["start_ms"]) <= 1
        assert abs(chapter.end_time - part["end_ms"]) <= 1
    assert tags.getall("CTOC")[0].child_element_ids == [c.element_id for c in chapters]


def test_get_ready_comes_first_and_the_first_instruction_after_the_lead_in(
    classic_build, audio
) -> None:
    intro = [c for c in classic_build["plan"]["events"] if c["part"] == "intro"]
    assert intro[0]["text"] == "Get ready." and intro[0]["start_ms"] == 0
    first_instruction = next(c for c in intro if c["start_ms"] >= LEAD_IN_MS)
    get_ready_end = max(c["end_ms"] for c in intro if c["start_ms"] < LEAD_IN_MS)
    assert first_instruction["start_ms"] == LEAD_IN_MS
    assert energy_onset_ms(audio, 0) is not None
    assert peak(audio, get_ready_end + 60, LEAD_IN_MS - 30) < 0.003  # the phone is laid down
    found = energy_onset_ms(audio, LEAD_IN_MS)
    assert found is not None and abs(found - LEAD_IN_MS) <= 50


def test_each_step_is_announced_with_number_and_title_after_its_chime(classic_build) -> None:
    cues = classic_build["plan"]["events"]
    steps = [p for p in classic_build["plan"]["parts"] if p["kind"] == "step"]
    for number, part in enumerate(steps, start=1):
        first = next(c for c in cues if c["part"] == part["id"] and c["kind"] == "speech")
        assert first["text"] == f"Step {number} of {len(steps)}: {part['title']}."
        assert first["start_ms"] == part["start_ms"] + CHIME_TO_SPEECH_MS


def test_heads_up_names_what_comes_next_before_each_step_ends(classic_build) -> None:
    cues = classic_build["plan"]["events"]
    steps = [p for p in classic_build["plan"]["parts"] if p["kind"] == "step"]
    for index, part in enumerate(steps):
        said = [c for c in cues if c["part"] == part["id"] and c["kind"] == "speech"]
        left = next(c for c in said if c["text"] == "Thirty seconds left.")
        assert left["start_ms"] == part["end_ms"] - HEADS_UP_MS + REMINDER_TO_SPEECH_MS
        following = steps[index + 1]["title"] if index + 1 < len(steps) else "the rest"
        assert said[said.index(left) + 1]["text"] == f"Next: {following}."
        tone = [c for c in cues if c["part"] == part["id"] and c["kind"] == "sound"]
        assert any(c["start_ms"] == part["end_ms"] - HEADS_UP_MS for c in tone)


def test_heads_up_follows_kneadings_own_minute_cue_without_overlap(classic_build) -> None:
    kneading = [c for c in classic_build["plan"]["events"] if c["part"] == "kneading"]
    minute = next(c for c in kneading if c["text"] == "One minute of kneading left.")
    left = next(c for c in kneading if c["text"] == "Thirty seconds left.")
    assert minute["end_ms"] < left["start_ms"] - REMINDER_TO_SPEECH_MS


def estimate(text: str) -> int:
    return 70 * len(text)


def with_cue(at: str, say: str):
    extra = f"      - at: {at}\n        say: {say}"
    text = SHORT.replace("say: Now the other side.", f"say: Now the other side.\n{extra}")
    routine = parse_routine(text, path="short.yaml", routine_id="short")
    narration = narrate(routine)
    sound_ms = sound_lengths_ms()
    plan = make_plan(routine, TimingRequest(), needs(narration, estimate, sound_ms))
    return place(narration, plan, estimate, sound_ms)


def test_a_routine_cue_just_before_the_heads_up_wins_and_the_heads_up_gives_way() -> None:
    script = with_cue("-33s", "Slow down now, and let the strokes grow long and light.")
    press = [c.text for c in script.speech if c.part_id == "press"]
    assert "Slow down now, and let the strokes grow long and light." in press
    assert "Thirty seconds left." not in press
    assert any(
        w.startswith('step 2 "Pressing": the heads-up 30s before its end ("Thirty seconds left.')
        for w in script.warnings
    ), script.warnings
    warm = [c.text for c in script.speech if c.part_id == "warm"]
    assert "Thirty seconds left." in warm  # untouched where nothing collides


def test_a_heads_up_that_gives_way_is_never_asked_for_so_never_spoken() -> None:
    """A build speaks what placing asks for (``timeline.asked``): the heads-up crowded out
    of step 2 is not asked for, while the cue that won is."""
    extra = "      - at: -33s\n        say: Slow down now, and let the strokes grow long and light."
    text = SHORT.replace("say: Now the other side.", f"say: Now the other side.\n{extra}")
    routine = parse_routine(text, path="short.yaml", routine_id="short")
    narration = narrate(routine)
    sound_ms = sound_lengths_ms()
    plan = make_plan(routine, TimingRequest(), needs(narration, estimate, sound_ms))
    heads_up = next(r for r in narration.parts["press"].cues if r.heads_up)
    elsewhere = {
        s.text
        for part_id, part in narration.parts.items()
        if part_id != "press"
        for s in (*part.opening, *(x for r in part.cues for x in r.sentences))
    }
    own = {s.text for s in heads_up.sentences} - elsewhere
    assert own  # the heads-up says something only it says ("Next: ...")
    said = asked(narration, estimate, sound_ms, plan)
    assert "Slow down now, and let the strokes grow long and light." in said
    assert not own & set(said)


def test_a_routine_cue_colliding_just_after_the_heads_up_gives_way_instead() -> None:
    script = with_cue("-28s", "Slow down now.")
    press = [c.text for c in script.speech if c.part_id == "press"]
    assert "Thirty seconds left." in press and "Slow down now." not in press
    assert any(
        w.startswith('step 2 "Pressing": the cue at -28s ("Slow down now.") would overlap')
        for w in script.warnings
    ), script.warnings


def test_a_step_too_short_for_the_heads_up_drops_it_with_a_warning() -> None:
    routine = parse_routine(SHORT, path="short.yaml", routine_id="short")
    narration = narrate(routine)
    request = TimingRequest(pins={"warm": 35_000})
    plan = make_plan(routine, request, needs(narration, estimate, sound_lengths_ms()))
    script = place(narration, plan, estimate, sound_lengths_ms())
    assert "Thirty seconds left." not in [c.text for c in script.speech if c.part_id == "warm"]
    assert any(
        w.startswith('step 1 "Warming": the heads-up 30s before its end')
        and w.endswith("in its 35s, so it is left out")
        for w in script.warnings
    ), script.warnings


def test_last_step_names_the_finish_when_there_is_no_rest() -> None:
    routine = parse_routine(SHORT, path="short.yaml", routine_id="short")
    press = narrate(routine, rest=False).parts["press"]
    said = [s.text for r in press.cues for s in r.sentences]
    assert said[-2:] == ["Thirty seconds left.", "Then we finish."]


def test_no_heads_up_option_leaves_it_out(clip_cache) -> None:
    def script(*extra: str) -> str:
        args = ["script", str(ROUTINES / "classic.yaml"), "--cache-dir", str(clip_cache)]
        result = CliRunner().invoke(cli, [*args, *extra], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        return result.stdout

    assert len(re.findall("Thirty seconds left", script())) == 6
    assert "Thirty seconds left" not in script("--no-heads-up")


def test_default_pace_is_calm_and_the_rate_option_speeds_it_up(
    classic_build, tmp_path, speaker, real_speaker
) -> None:

    cues = classic_build["plan"]["events"]
    words, minutes = 0, 0.0
    for part in (p for p in classic_build["plan"]["parts"] if p["kind"] == "step"):
        said = [c for c in cues if c["part"] == part["id"] and c["kind"] == "speech"]
        opening = [said[1]]  # the step's own words, after its announcement
        for cue in said[2:]:
            if cue["start_ms"] - opening[-1]["end_ms"] > PARAGRAPH_PAUSE_MS:
                break  # a reminder, not the opening
            opening.append(cue)
        words += sum(len(c["text"].split()) for c in opening)
        minutes += (opening[-1]["end_ms"] - opening[0]["start_ms"]) / 60_000
    # the speech itself is 150 words a minute (issue 13: measured, trimmed clips); with the
    # pauses between sentences the opening words run at about 120 to 140
    assert 110 <= words / minutes <= 150
    text = said[1]["text"]
    with real_speaker(rate_wpm=220, cache_dir=tmp_path) as fast:
        assert fast.length_ms(text) < speaker.length_ms(text) * 0.8


def test_unknown_voice_is_exit_2_suggesting_close_matches(clip_cache) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "script",
            str(ROUTINES / "classic.yaml"),
            "--voice",
            "gmw/en-uss",
            "--cache-dir",
            str(clip_cache),
        ],
    )
    assert result.exit_code == 2
    assert (
        result.stderr.strip().splitlines() == [result.stderr.strip()]
        and "did you mean gmw/en-us" in result.stderr
    )
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("real_engine")  # the command lists the real engine's voices
def test_voices_lists_the_engines_voices() -> None:
    result = CliRunner().invoke(cli, ["voices"], catch_exceptions=False)
    assert result.exit_code == 0
    ids = [line.split()[0] for line in result.stdout.splitlines()]
    assert "gmw/en-us" in ids and len(ids) > 50
