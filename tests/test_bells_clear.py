"""Words clear of the bells: no word starts while a bell or chime can still be heard.

A sound's audible end is found in its own samples (``sounds.audible_ms``: its last sample
above ``AUDIBLE_DB``, -40 dB under its peak, well under the words' quietest syllables, see
``sounds.AUDIBLE_DB``). The plan must start every word after it; the decoded track must be
quiet where the words after a bell begin.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from voiceguide.audio import sounds
from voiceguide.build import BuildOptions, prepare
from voiceguide.routine import load_routine
from voiceguide.speech import FakeEngine, Speaker
from voiceguide.timeline import CHIME_TO_SPEECH_MS, REMINDER_TO_SPEECH_MS, TimingRequest
from voiceguide.timeline.place import SOUND_TO_SPEECH_MS

from .audio import rms_db
from .conftest import ROUTINES
from .short_routine import write_short


def test_each_built_in_sound_dies_away_within_its_length() -> None:
    for name in sounds.SOUND_NAMES:
        samples = sounds.sound(name)
        assert 0 < sounds.audible_ms(samples) <= sounds.builtin_lengths_ms()[name], name
    # the step bell and the reminder tone are gone before their words' usual place
    assert sounds.audible_ms(sounds.sound("step")) + SOUND_TO_SPEECH_MS <= CHIME_TO_SPEECH_MS
    reminder = sounds.audible_ms(sounds.sound("reminder"))
    assert reminder + SOUND_TO_SPEECH_MS <= REMINDER_TO_SPEECH_MS


def test_audible_end_is_the_last_sample_over_the_floor() -> None:
    tone = np.zeros(22050, dtype=np.int16)
    tone[:100] = 10_000
    tone[2205] = 101  # 1 % of the peak: over -40 dB, heard
    tone[4410] = 99  # under it: not
    assert sounds.audible_ms(tone) == 101  # just after sample 2205 (100.0 ms)
    assert sounds.audible_ms(np.zeros(10, dtype=np.int16)) == 0


def overlaps(script: object) -> list[tuple[str, str]]:
    """(sound, words) for every word said while a sound of the plan can still be heard."""
    out = []
    heard = {name: sounds.audible_ms(sounds.sound(name)) for name in sounds.SOUND_NAMES}
    events = script.events  # type: ignore[attr-defined]
    for sound in (e for e in events if e.kind == "sound"):
        until = sound.start_ms + heard[sound.text]
        out += [
            (sound.text, e.text)
            for e in events
            if e.kind == "speech" and sound.start_ms <= e.start_ms < until
        ]
    return out


@pytest.mark.parametrize("name", ["classic", "therapeutic", "partner", "child"])
@pytest.mark.parametrize("total", [None, "short"])
def test_no_word_of_a_shipped_routine_starts_while_a_sound_rings(name: str, total: str) -> None:
    routine = load_routine(ROUTINES / f"{name}.yaml")
    timing = TimingRequest() if total is None else TimingRequest(rest_ms=0, intro=False)
    with Speaker(FakeEngine(), cache_dir=None) as speaker:
        script = prepare(routine, BuildOptions(timing=timing), speaker)
    assert not overlaps(script)
    assert any(e.kind == "sound" for e in script.events)


def test_words_wait_for_a_routines_own_long_sound(tmp_path: Path) -> None:
    """A routine's own bell (up to 4 s) is waited for too, not talked over."""
    long_bell = np.zeros(3 * 22050, dtype=np.int16)
    long_bell[: 3 * 22050 - 100] = 3000  # audible for 3 s
    routine = load_routine(write_short(tmp_path))
    with Speaker(FakeEngine(), cache_dir=None) as speaker:
        script = prepare(
            routine, BuildOptions(), speaker, own_sounds={**sounds.with_own({}), "step": long_bell}
        )
    for sound in (e for e in script.events if e.kind == "sound" and e.text == "step"):
        first = next(
            e for e in script.events if e.kind == "speech" and e.start_ms >= sound.start_ms
        )
        assert first.start_ms >= sound.start_ms + sounds.audible_ms(long_bell)


def test_in_the_decoded_track_the_words_after_a_bell_begin_in_quiet(classic_build) -> None:
    """Real espeak-ng build: just before each line that follows a sound, the bell has gone
    (under -50 dBFS, the MP3's noise floor region), and the line itself is heard."""
    from .audio import decoded

    audio = decoded(classic_build["mp3"])
    events = sorted(classic_build["plan"]["events"], key=lambda e: (e["start_ms"], e["kind"]))
    checked = 0
    for before, after in itertools.pairwise(events):
        if before["kind"] != "sound" or after["kind"] != "speech":
            continue
        start = after["start_ms"]
        quiet = rms_db(audio, start - SOUND_TO_SPEECH_MS + 30, start - 10)
        assert quiet < -50, (after["text"], quiet)
        words = rms_db(audio, start, start + 300)
        assert words > quiet + 25, (after["text"], words, quiet)
        checked += 1
    assert checked >= 6  # every step's title, the reminders, the rest and the end
