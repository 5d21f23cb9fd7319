"""The speech seam: a fake engine stands in where speech is not the point.

Timing, mixing and faults are about where sounds land and what happens when
the engine misbehaves, not about the voice: a ``FakeEngine`` speaks each
sentence as a tone as long as its words, instantly and the same every time,
and a plain function makes it fail in any way a test needs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mutagen.id3 import ID3

import voiceguide
import voiceguide.script as script_module
from voiceguide.build import BuildOptions, build, prepare
from voiceguide.errors import SpeechError
from voiceguide.pcm import RATE_HZ
from voiceguide.routine import load_routine, parse_routine
from voiceguide.speech import DEFAULT_RATE_WPM, FakeEngine, Speaker
from voiceguide.speech.fake import tone_for
from voiceguide.speech.pace import guess_ms
from voiceguide.timeline import TimingRequest
from voiceguide.timeline.plan import DurationRangeError

from .audio import decoded, energy_onset_ms, onset_ms
from .tiny import TINY, tiny_routine

SHORT = BuildOptions(timing=TimingRequest(rest_ms=0, intro=False))


def test_a_warm_cache_never_calls_the_engine(tmp_path: Path) -> None:
    cold = FakeEngine()
    with Speaker(cold, cache_dir=tmp_path) as speaker:
        first = speaker.clip("Stroke the back slowly.")
    warm = FakeEngine()
    with Speaker(warm, cache_dir=tmp_path) as speaker:
        assert np.array_equal(speaker.clip("Stroke the back slowly."), first)
    assert cold.said == ["Stroke the back slowly."] and warm.said == []
    assert cold.closed and warm.closed


def test_the_cache_key_follows_the_engine_fingerprint(tmp_path: Path) -> None:
    with (
        Speaker(FakeEngine(version="1"), cache_dir=tmp_path) as a,
        Speaker(FakeEngine(version="2"), cache_dir=tmp_path) as b,
    ):
        assert a.fingerprint("Rest now.") != b.fingerprint("Rest now.")


@pytest.mark.usefixtures("whole_track")
def test_chimes_and_words_land_where_the_plan_says_with_the_fake_voice(tmp_path: Path) -> None:
    """The timing contract, measured in the decoded MP3, with instant tones for words."""
    routine = load_routine(tiny_routine(tmp_path / "routines", text=TINY))
    with Speaker(FakeEngine(), cache_dir=None) as speaker:
        build(routine, tmp_path / "out", SHORT, speaker)
    plan = json.loads((tmp_path / "out" / "tiny.json").read_text())
    assert plan["voice"] == {"id": "fake", "engine": "fake", "language": None}  # who spoke
    assert str(ID3(tmp_path / "out" / "tiny.mp3")["TXXX:voice"]) == "fake (fake)"
    audio = decoded(tmp_path / "out" / "tiny.mp3")
    assert abs(audio.size / RATE_HZ * 1000 - plan["total_ms"]) <= 50
    for event in plan["events"]:
        if event["kind"] == "sound":  # a bell: the first loud sample
            found = onset_ms(audio, event["start_ms"], window_ms=200, threshold=0.01)
        else:  # words: where the level rises over the bell still ringing
            found = energy_onset_ms(audio, event["start_ms"])
        assert found is not None and abs(found - event["start_ms"]) <= 50, event


@pytest.mark.usefixtures("whole_track")
def test_an_engine_that_says_nothing_fails_the_build_naming_the_words(tmp_path: Path) -> None:
    routine = load_routine(tiny_routine(tmp_path / "routines", text=TINY))
    silent = FakeEngine(lambda text: np.zeros(RATE_HZ, dtype=np.int16))
    with (
        Speaker(silent, cache_dir=None) as speaker,
        pytest.raises(SpeechError, match=r'said nothing for "Get ready\."'),
    ):
        build(routine, tmp_path / "out", SHORT, speaker)
    assert not (tmp_path / "out" / "tiny.mp3").exists()


@pytest.mark.usefixtures("whole_track")
def test_an_engine_failing_midway_leaves_the_previous_track(tmp_path: Path) -> None:
    routine = load_routine(tiny_routine(tmp_path / "routines", text=TINY))
    with Speaker(FakeEngine(), cache_dir=None) as speaker:
        build(routine, tmp_path / "out", SHORT, speaker)
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}

    def breaks(text: str) -> np.ndarray:
        if "Press" in text:
            raise SpeechError(f'the speech engine failed on "{text}": simulated')
        return tone_for(text)

    changed = BuildOptions(timing=TimingRequest(rest_ms=0, intro=False, total_ms=30_000))
    with Speaker(FakeEngine(breaks), cache_dir=None) as speaker, pytest.raises(SpeechError):
        build(routine, tmp_path / "out", changed, speaker)
    after = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    assert after == before


@pytest.mark.usefixtures("whole_track")
def test_a_track_left_over_the_true_peak_limit_says_so_in_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check's last word reaches the user: here every piece is taken to be over and no
    dip helps, so the build warns with the peak found and what would leave more room."""
    from voiceguide.mp3 import true_peak

    monkeypatch.setattr(true_peak, "over_limit", lambda peaks, limit_dbtp=-1.0: True)
    monkeypatch.setattr(true_peak, "WHOLE_PIECE_MAX", 0)
    monkeypatch.setattr(true_peak, "dip", lambda peaks, aim: np.ones_like(peaks))
    routine = load_routine(tiny_routine(tmp_path / "routines", text=TINY))
    with Speaker(FakeEngine(), cache_dir=None) as speaker:
        result = build(routine, tmp_path / "out", SHORT, speaker)
    said = [w for w in result.warnings if "true peak" in w]
    assert len(said) == 1 and "--loudness" in said[0], result.warnings
    assert (tmp_path / "out" / "tiny.mp3").exists()


class _SideBySide(FakeEngine):
    """An engine that speaks only in batches, as Piper's workers do; alone is a failure."""

    def __init__(self, speak: Callable[[str], np.ndarray] = tone_for) -> None:
        super().__init__(speak)
        self.batches: list[list[str]] = []

    def synthesize_many(self, texts: Iterable[str]) -> Iterator[tuple[str, np.ndarray]]:
        batch = list(texts)
        self.batches.append(batch)
        for text in batch:
            yield text, self.speak(text)

    def synthesize(self, text: str) -> np.ndarray:
        raise AssertionError(f'"{text}" was spoken alone: a second worker would sit idle')


def _slow(text: str) -> np.ndarray:
    """Speech at half the asked pace: the guess of its length is half the truth."""
    return np.tile(tone_for(text), 2)


def test_each_round_of_fitting_speaks_its_new_sentences_side_by_side() -> None:
    """The words say the fitted lengths; where the guess of the speech was wrong (here it is
    twice as slow as asked), a later round brings new sentences, spoken side by side too."""
    routine = load_routine(Path(voiceguide.__file__).parent / "routines" / "therapeutic.yaml")
    engine = _SideBySide(_slow)
    with Speaker(engine, cache_dir=None) as speaker:
        prepare(routine, BuildOptions(timing=TimingRequest(total_ms=90 * 60_000)), speaker)
    assert len([batch for batch in engine.batches if batch]) >= 2


def _as_guessed(text: str) -> np.ndarray:
    """Speech exactly as long as the guess at the default pace says (``pace.guess_ms``)."""
    return np.resize(tone_for(text), max(1, RATE_HZ * guess_ms(text, DEFAULT_RATE_WPM) // 1000))


def test_speech_as_long_as_guessed_is_spoken_in_one_round() -> None:
    """The first words spoken are those of a plan fitted to the guessed speech, not the
    routine's own lengths: at 70 minutes every length said changes from the routine's, and
    a cold build would speak those sentences twice."""
    routine = load_routine(Path(voiceguide.__file__).parent / "routines" / "therapeutic.yaml")
    engine = _SideBySide(_as_guessed)
    with Speaker(engine, cache_dir=None) as speaker:
        script = prepare(routine, BuildOptions(timing=TimingRequest(total_ms=70 * 60_000)), speaker)
        said = {speaker.spoken(e.text) for e in script.speech}
    batches = [batch for batch in engine.batches if batch]
    assert len(batches) == 1
    assert said <= set(batches[0])


def test_a_guess_too_long_for_the_total_starts_from_the_routine_own_lengths() -> None:
    """Speech twice as fast as guessed, and a total a few seconds over the shortest the
    measured speech allows: no plan can be fitted to the guessed speech, the fit starts
    from the routine's own lengths, and the measured speech fits the total exactly."""
    routine = load_routine(Path(voiceguide.__file__).parent / "routines" / "therapeutic.yaml")
    short = BuildOptions(timing=TimingRequest(total_ms=30 * 60_000))
    with Speaker(_SideBySide(_fast)) as speaker, pytest.raises(DurationRangeError) as too_short:
        prepare(routine, short, speaker)
    total = too_short.value.low + 5_000
    leading: list[bool] = []
    real = script_module.guessed_plans

    def recording(*args: Any, **kwargs: Any) -> Any:
        plans = real(*args, **kwargs)
        leading.append(bool(plans))
        return plans

    with pytest.MonkeyPatch.context() as patch, Speaker(_SideBySide(_fast)) as speaker:
        patch.setattr(script_module, "guessed_plans", recording)
        script = prepare(routine, BuildOptions(timing=TimingRequest(total_ms=total)), speaker)
    assert leading == [False]
    assert script.plan.total_ms == total


@pytest.mark.parametrize("name", ["classic", "therapeutic", "partner", "child"])
def test_a_cold_build_speaks_what_the_track_says_and_only_other_wordings_of_lengths(
    name: str,
) -> None:
    """Reminder lines a step's silences do not need, and a heads-up crowded out, are never
    spoken; what is spoken and not said is another wording of a length, spoken ahead in case
    the measured speech crossed a rounding edge (``timeline.fit``)."""
    routine = load_routine(Path(voiceguide.__file__).parent / "routines" / f"{name}.yaml")
    other_total = {"classic": 60, "therapeutic": 70, "partner": 50, "child": 30}[name] * 60_000
    for total_ms in (None, other_total):
        engine = FakeEngine()
        with Speaker(engine, cache_dir=None, pronounce=routine.pronounce) as speaker:
            script = prepare(routine, BuildOptions(timing=TimingRequest(total_ms)), speaker)
            said = {speaker.spoken(e.text) for e in script.speech}
        assert said <= set(engine.said)
        assert all("minute" in s for s in set(engine.said) - said), set(engine.said) - said
        assert len(engine.said) == len(set(engine.said))


_LONG_INTRO = " ".join(f"Sentence {n} of a long introduction, said slowly." for n in range(40))
_LINES = ("Keep kneading.", "Check the pressure.", "Slow and steady.", "Breathe with them.")
_ONE_STEP = f"""title: T
intro: {_LONG_INTRO}
steps:
  - id: long
    title: Long
    duration: 10m
    min: 1m
    max: 30m
    say: Knead slowly.
    reminders:
""" + "".join(f"      - {line}\n" for line in _LINES)


def _fast(text: str) -> np.ndarray:
    """Speech at twice the asked pace: the intro takes half the guess, the step is longer."""
    tone = tone_for(text)
    return tone[: tone.size // 2]


def test_reminders_a_longer_silence_needs_are_spoken_side_by_side_before_placing() -> None:
    """Spoken ahead were the lines the guessed plan's silences needed; measured, the intro is
    shorter and the step longer, and its silences need one line more. That line is spoken
    (side by side, as every batch) before the words are placed, never alone while placing."""
    routine = parse_routine(_ONE_STEP, path="t.yaml", routine_id="t")
    late_lines: list[str] = []
    for total_s in range(600, 1110, 30):
        engine = _SideBySide(_fast)
        with Speaker(engine, cache_dir=None) as speaker:
            timing = TimingRequest(total_ms=total_s * 1000, rest_ms=0)
            script = prepare(routine, BuildOptions(timing=timing), speaker)
        assert {e.text for e in script.speech} <= {s for batch in engine.batches for s in batch}
        late_lines += [s for batch in engine.batches[1:] for s in batch if s in _LINES]
    assert late_lines  # the guess was off enough for placing to ask for more somewhere


def test_the_script_is_the_same_from_an_empty_cache_and_one_filled_at_another_length(
    tmp_path: Path,
) -> None:
    """What is spoken ahead depends on the cache (only what is missing is spoken); the fitted
    plan and the placed words must not: the same inputs give the same track."""
    routine = load_routine(Path(voiceguide.__file__).parent / "routines" / "therapeutic.yaml")
    seventy = BuildOptions(timing=TimingRequest(total_ms=70 * 60_000))
    with Speaker(FakeEngine(_fast), cache_dir=tmp_path / "filled") as speaker:
        prepare(routine, BuildOptions(timing=TimingRequest(total_ms=85 * 60_000)), speaker)
    scripts, spoken = [], []
    for cache in ("filled", "empty"):
        engine = FakeEngine(_fast)
        with Speaker(engine, cache_dir=tmp_path / cache) as speaker:
            scripts.append(prepare(routine, seventy, speaker))
        spoken.append(len(engine.said))
    assert spoken[0] < spoken[1]  # the filled cache spared sentences: the two took other paths
    assert scripts[0] == scripts[1]


class _Mislabelled(FakeEngine):
    """Answers a batch under other words (a broken engine): one by one it is right."""

    def synthesize_many(self, texts: Iterable[str]) -> Iterator[tuple[str, np.ndarray]]:
        for text in texts:
            yield f"{text} (sic)", self.speak(text)


def test_an_engine_that_answers_for_other_words_is_an_error_not_a_loop() -> None:
    routine = parse_routine(_ONE_STEP, path="t.yaml", routine_id="t")
    timing = TimingRequest(total_ms=900_000, rest_ms=0)
    with Speaker(_Mislabelled(), cache_dir=None) as speaker, pytest.raises(SpeechError) as err:
        prepare(routine, BuildOptions(timing=timing), speaker)
    assert "the speech engine did not say" in str(err.value)
