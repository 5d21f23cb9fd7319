"""Tracks you can tell apart: every place that names a track says its length, voice and name."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest
from mutagen.id3 import ID3

from voiceguide.build import build
from voiceguide.output.names import length_label, track_title, voice_label
from voiceguide.routine import load_routine
from voiceguide.settings import BuildOptions
from voiceguide.speech import FakeEngine, Speaker
from voiceguide.timeline import TimingRequest

from .phone import BASE_URL, FOUR


def test_length_and_voice_labels() -> None:
    assert [length_label(ms) for ms in (20_000, 2_400_000, 2_863_000, 3_600_000, 3_900_000)] == [
        "1 min",
        "40 min",
        "48 min",
        "1 h",
        "1 h 5 min",
    ]
    assert [voice_label(v) for v in ("joe", "gmw/en-us", "/v/en_GB-alan-low.onnx")] == [
        "joe",
        "en-us",
        "en_GB-alan-low",
    ]


def test_a_track_is_named_by_title_length_voice_and_name() -> None:
    plan = {"routine": "classic", "title": "Classic back massage", "total_ms": 2_400_000}
    assert track_title(plan) == "Classic back massage · 40 min"  # a plan from before
    assert track_title({**plan, "voice": "joe", "name": "classic"}) == (
        "Classic back massage · 40 min · joe"
    )
    assert track_title({**plan, "voice": "joe", "name": "evening"}) == (
        "Classic back massage · 40 min · joe · evening"
    )


def test_two_builds_of_one_routine_differ_everywhere_they_are_named(
    tmp_path: Path, whole_track: None
) -> None:
    src = tmp_path / "four.yaml"
    src.write_text(FOUR, encoding="utf-8")
    out = tmp_path / "out"
    routine = load_routine(src)
    with Speaker(FakeEngine(), cache_dir=None) as speaker:
        for name, intro in (("four", False), ("evening", True)):
            options = BuildOptions(timing=TimingRequest(intro=intro, rest_ms=0))
            build(routine, out, options, speaker, base_url=BASE_URL, name=name)
    plans = {n: json.loads((out / f"{n}.json").read_text()) for n in ("four", "evening")}
    titles = {n: track_title(p) for n, p in plans.items()}
    assert titles["four"].startswith("Four short steps · ") and titles["four"].endswith(" · fake")
    assert titles["evening"].endswith(" · fake · evening")
    assert titles["four"] != titles["evening"]

    # the plan says how the track was made
    evening = plans["evening"]
    assert (evening["name"], evening["voice"]["id"], evening["language"]) == (
        "evening",
        "fake",
        "en",
    )
    assert evening["options"]["rest_ms"] == 0 and evening["options"]["intro"] is True
    assert evening["options"]["rate_wpm"] == 150

    index = (out / "index.html").read_text()
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    for name, title in titles.items():
        assert f"<strong>{title}</strong>" in index
        assert f"<title>{title} · voiceguide</title>" in (out / f"{name}.html").read_text()
        assert ID3(out / f"{name}.mp3")["TIT2"].text == [title]
        assert json.loads((out / f"{name}.chapters.json").read_text())["title"] == title
        manifest = json.loads((out / f"{name}.manifest.json").read_text())
        assert (manifest["name"], manifest["start_url"]) == (title, f"{name}.html")
    assert sorted(e.title for e in feed.entries) == sorted(titles.values())


@pytest.mark.usefixtures("whole_track")
def test_a_translation_is_named_for_its_language_beside_the_english_track(tmp_path: Path) -> None:
    """The shipped translations share their English ids: a German build of a routine writes
    ``ID-de.*``, so it never replaces the English track of the same routine."""
    from .test_languages import DE_ROUTINE

    source = tmp_path / "kurz.yaml"
    source.write_text(DE_ROUTINE, encoding="utf-8")
    out = tmp_path / "out"
    options = BuildOptions(timing=TimingRequest(intro=False, rest_ms=0), pause_ms=0)
    with Speaker(FakeEngine()) as speaker:
        result = build(load_routine(source), out, options, speaker)
    assert [p.name for p in result.paths if p.suffix == ".mp3"] == ["kurz-de.mp3"]
    assert not (out / "kurz.mp3").exists()


def test_the_plan_names_an_ambient_file_by_its_name_not_its_folders(tmp_path: Path) -> None:
    """The plan is served and published: a bed given as a path is recorded by its file's name."""
    from voiceguide.build import track_facts

    source = tmp_path / "four.yaml"
    source.write_text(FOUR, encoding="utf-8")
    options = BuildOptions(ambient="/home/alice/private/rain.wav")
    with Speaker(FakeEngine()) as speaker:
        facts = track_facts(load_routine(source), options, speaker, "four")
    assert facts["options"]["ambient"] == "rain.wav"  # type: ignore[index]
    noise = track_facts(
        load_routine(source), BuildOptions(ambient="noise"), Speaker(FakeEngine()), "f"
    )
    assert noise["options"]["ambient"] == "noise"  # type: ignore[index]
