"""The speech seam: a fake engine stands in where speech is not the point.

Timing, mixing and faults are about where sounds land and what happens when
the engine misbehaves, not about the voice: a ``FakeEngine`` speaks each
sentence as a tone as long as its words, instantly and the same every time,
and a plain function makes it fail in any way a test needs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pytest

import voiceguide
from voiceguide.build import BuildOptions, build, prepare
from voiceguide.errors import SpeechError
from voiceguide.pcm import RATE_HZ
from voiceguide.routine import load_routine
from voiceguide.speech import FakeEngine, Speaker
from voiceguide.speech.fake import tone_for
from voiceguide.timeline import TimingRequest

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


def test_the_cache_key_follows_the_engine_id(tmp_path: Path) -> None:
    with (
        Speaker(FakeEngine(version="1"), cache_dir=tmp_path) as a,
        Speaker(FakeEngine(version="2"), cache_dir=tmp_path) as b,
    ):
        assert a.key("Rest now.") != b.key("Rest now.")


def test_chimes_and_words_land_where_the_plan_says_with_the_fake_voice(tmp_path: Path) -> None:
    """The timing contract, measured in the decoded MP3, with instant tones for words."""
    routine = load_routine(tiny_routine(tmp_path / "routines", text=TINY))
    with Speaker(FakeEngine(), cache_dir=None) as speaker:
        build(routine, tmp_path / "out", SHORT, speaker)
    plan = json.loads((tmp_path / "out" / "tiny.json").read_text())
    audio = decoded(tmp_path / "out" / "tiny.mp3")
    assert abs(audio.size / RATE_HZ * 1000 - plan["total_ms"]) <= 50
    for event in plan["events"]:
        if event["kind"] == "sound":  # a bell: the first loud sample
            found = onset_ms(audio, event["start_ms"], window_ms=200, threshold=0.01)
        else:  # words: where the level rises over the bell still ringing
            found = energy_onset_ms(audio, event["start_ms"])
        assert found is not None and abs(found - event["start_ms"]) <= 50, event


def test_an_engine_that_says_nothing_fails_the_build_naming_the_words(tmp_path: Path) -> None:
    routine = load_routine(tiny_routine(tmp_path / "routines", text=TINY))
    silent = FakeEngine(lambda text: np.zeros(RATE_HZ, dtype=np.int16))
    with (
        Speaker(silent, cache_dir=None) as speaker,
        pytest.raises(SpeechError, match=r'said nothing for "Get ready\."'),
    ):
        build(routine, tmp_path / "out", SHORT, speaker)
    assert not (tmp_path / "out" / "tiny.mp3").exists()


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


def test_a_track_left_over_the_true_peak_limit_says_so_in_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check's last word reaches the user: here every piece is taken to be over and no
    dip helps, so the build warns with the peak found and what would leave more room."""
    from voiceguide.audio import true_peak

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

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []

    def synthesize_many(self, texts: Iterable[str]) -> Iterator[tuple[str, np.ndarray]]:
        batch = list(texts)
        self.batches.append(batch)
        for text in batch:
            yield text, self.speak(text)

    def synthesize(self, text: str) -> np.ndarray:
        raise AssertionError(f'"{text}" was spoken alone: a second worker would sit idle')


def test_each_round_of_fitting_speaks_its_new_sentences_side_by_side() -> None:
    """The words say the fitted lengths, so a later round brings a few new sentences."""
    routine = load_routine(Path(voiceguide.__file__).parent / "routines" / "therapeutic.yaml")
    engine = _SideBySide()
    with Speaker(engine, cache_dir=None) as speaker:
        prepare(routine, BuildOptions(timing=TimingRequest(total_ms=60 * 60_000)), speaker)
    assert len([batch for batch in engine.batches if batch]) >= 2
