"""The end-to-end contract, measured in the decoded MP3 of routines/classic.yaml."""

import itertools

import pytest

from .audio import decoded, onset_ms, peak, rms_db

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def audio(classic_build):
    return decoded(classic_build["mp3"])


def test_track_length_equals_the_plan_within_50ms(classic_build, audio) -> None:
    assert abs(audio.size * 1000 / 22050 - classic_build["plan"]["total_ms"]) <= 50


def test_each_step_chime_starts_within_50ms_of_its_planned_start(classic_build, audio) -> None:
    steps = [p for p in classic_build["plan"]["parts"] if p["kind"] == "step"]
    assert len(steps) == 6
    for part in steps:
        found = onset_ms(audio, part["start_ms"])
        assert found is not None, part["id"]
        assert abs(found - part["start_ms"]) <= 50, part["id"]


def test_the_second_before_each_step_is_silent(classic_build, audio) -> None:
    for part in classic_build["plan"]["parts"][1:]:
        assert peak(audio, part["start_ms"] - 1000, part["start_ms"] - 30) < 0.003, part["id"]


def test_speech_follows_each_chime(classic_build, audio) -> None:
    speech = [c for c in classic_build["plan"]["events"] if c["kind"] == "speech"]
    for part in classic_build["plan"]["parts"]:
        if part["kind"] != "step":
            continue
        first = next(c for c in speech if c["part"] == part["id"])
        assert 0 < first["start_ms"] - part["start_ms"] <= 2_000
        # voice energy well above silence over the first spoken sentence
        assert rms_db(audio, first["start_ms"], first["end_ms"]) > -35, part["id"]


def test_silence_between_the_words_and_the_next_step(classic_build, audio) -> None:
    kneading = next(p for p in classic_build["plan"]["parts"] if p["id"] == "kneading")
    events = sorted(
        (e["start_ms"], e["end_ms"]) for e in classic_build["plan"]["events"]
        if e["part"] == "kneading"
    )  # fmt: skip
    # the longest silence the plan leaves between two of the step's words: silent in the file
    start, end = max(itertools.pairwise(events), key=lambda pair: pair[1][0] - pair[0][1])
    gap_start, gap_end = start[1], end[0]
    assert gap_end - gap_start > 60_000
    assert kneading["start_ms"] < gap_start and gap_end < kneading["end_ms"]
    middle = (gap_start + gap_end) // 2
    assert rms_db(audio, middle - 5_000, middle + 5_000) < -80
