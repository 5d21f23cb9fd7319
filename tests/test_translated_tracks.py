"""Each shipped routine's German and Russian translation built with the real espeak-ng voice of
its language: the timing contract holds and the captions are in that language.

Each step (and the rest) is pinned to the shortest that holds its words, so the whole text
is spoken and the tracks stay a few minutes long, as ``test_routines`` builds the English.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from voiceguide import languages
from voiceguide.build import BuildOptions, build
from voiceguide.routine import load_routine
from voiceguide.speech import Speaker

from .conftest import ROUTINES
from .pinned import assert_timing_contract, pinned_to_words
from .test_language_tracks import CYRILLIC, cues

TRANSLATED = [
    (tag, p.stem) for tag in ("de", "ru") for p in sorted((ROUTINES / tag).glob("*.yaml"))
]
# three seconds to spare: each length is said rounded, and the words of a longer pin can take
# a little longer (these tracks are about their words, not their fit)
SPARE_MS = 3_000
# words of the English catalogue that are no German word ("Minute" is both)
ENGLISH = re.compile(r"\b([Tt]he|and|[Ss]teps?|minutes|seconds?|[Rr]est|left|[Nn]ext)\b")


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory,
    real_speaker: Callable[..., Speaker],
    clip_cache: Path,
) -> dict[tuple[str, str], tuple[Path, dict]]:
    out = tmp_path_factory.mktemp("translated")
    tracks = {}
    for tag, routine_id in TRANSLATED:
        routine = load_routine(ROUTINES / tag / f"{routine_id}.yaml")
        voice = languages.get(tag).espeak_voice
        base = BuildOptions(voice=voice, pause_ms=0)
        with real_speaker(cache_dir=clip_cache, voice=voice) as speaker:
            said = speaker.for_routine(routine.pronounce)
            timing = pinned_to_words(routine, base, said.length_ms, spare_ms=SPARE_MS)
            options = BuildOptions(timing=timing, voice=voice, pause_ms=0)
            build(routine, out, options, speaker, name=f"{routine_id}-{tag}")
        plan = json.loads((out / f"{routine_id}-{tag}.json").read_text(encoding="utf-8"))
        tracks[(tag, routine_id)] = (out, plan)
    return tracks


@pytest.mark.parametrize(("tag", "routine_id"), TRANSLATED)
def test_a_translated_routine_holds_the_timing_contract(built, tag: str, routine_id: str) -> None:
    out, plan = built[(tag, routine_id)]
    assert plan["language"] == tag
    steps = len(load_routine(ROUTINES / f"{routine_id}.yaml").steps)
    assert_timing_contract(out / f"{routine_id}-{tag}.mp3", plan, steps)


@pytest.mark.parametrize(("tag", "routine_id"), TRANSLATED)
def test_a_translated_routines_captions_are_in_its_language(
    built, tag: str, routine_id: str
) -> None:
    out, _ = built[(tag, routine_id)]
    vtt = (out / f"{routine_id}-{tag}.vtt").read_text(encoding="utf-8")
    assert vtt.startswith(f"WEBVTT\nKind: captions\nLanguage: {tag}\n")
    said = cues(vtt)
    assert len(said) >= 20
    if tag == "ru":
        assert all(CYRILLIC.search(line) for line in said)
    else:
        assert [line for line in said if ENGLISH.search(line)] == []
