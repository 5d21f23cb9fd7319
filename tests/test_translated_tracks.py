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
from voiceguide.audio.sounds import builtin_lengths_ms
from voiceguide.build import BuildOptions, build
from voiceguide.pcm import RATE_HZ
from voiceguide.routine import load_routine
from voiceguide.settings import narrate_with
from voiceguide.speech import Speaker
from voiceguide.timeline import TimingRequest, needs

from .audio import decoded, onset_ms
from .test_language_tracks import CYRILLIC, cues

ROUTINES = Path(__file__).resolve().parent.parent / "src" / "voiceguide" / "routines"
TRANSLATED = [
    (tag, p.stem) for tag in ("de", "ru") for p in sorted((ROUTINES / tag).glob("*.yaml"))
]
# words of the English catalogue that are no German word ("Minute" is both)
SPARE_MS = 3_000
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
            sound_ms = builtin_lengths_ms()
            need = dict(needs(narrate_with(routine, base), said.length_ms, sound_ms))
            for _ in range(8):  # the words say the lengths: pin to what those words need
                again = needs(narrate_with(routine, base, need), said.length_ms, sound_ms)
                if all(again[k] <= v for k, v in need.items()):
                    break
                need = {k: max(v, again[k]) for k, v in need.items()}
            # three seconds to spare: each length is said rounded, and the words of a longer
            # pin can take a little longer (these tracks are about their words, not their fit)
            timing = TimingRequest(
                pins={s.id: need[s.id] + SPARE_MS for s in routine.steps},
                rest_ms=need["rest"] + SPARE_MS if "rest" in need else None,
            )
            options = BuildOptions(timing=timing, voice=voice, pause_ms=0)
            build(routine, out, options, speaker, name=f"{routine_id}-{tag}")
        plan = json.loads((out / f"{routine_id}-{tag}.json").read_text(encoding="utf-8"))
        tracks[(tag, routine_id)] = (out, plan)
    return tracks


@pytest.mark.parametrize(("tag", "routine_id"), TRANSLATED)
def test_a_translated_routine_holds_the_timing_contract(built, tag: str, routine_id: str) -> None:
    out, plan = built[(tag, routine_id)]
    audio = decoded(out / f"{routine_id}-{tag}.mp3")
    assert plan["language"] == tag
    assert abs(audio.size * 1000 / RATE_HZ - plan["total_ms"]) <= 50
    steps = [p for p in plan["parts"] if p["kind"] == "step"]
    assert len(steps) == len(load_routine(ROUTINES / f"{routine_id}.yaml").steps)
    for part in steps:
        found = onset_ms(audio, part["start_ms"])
        assert found is not None and abs(found - part["start_ms"]) <= 50, part["id"]


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
