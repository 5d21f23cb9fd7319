# ruff: noqa: RUF001  (Russian words are written in Cyrillic on purpose)
"""A user's routine in Russian (and a smaller one in German), given by path and built with the
real espeak-ng: the timing contract holds, and the captions and chapters are in its language."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from mutagen.id3 import ID3

from voiceguide.cli import cli
from voiceguide.narration import narrate
from voiceguide.pcm import RATE_HZ
from voiceguide.routine import load_routine

from .audio import decoded, onset_ms
from .test_languages import DE_ROUTINE, RU_ROUTINE

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

LATIN = re.compile(r"[A-Za-z]")
CYRILLIC = re.compile(r"[А-Яа-яЁё]")

# (language, routine, options): short steps and rest keep the tracks a few minutes long;
# German skips the preparation (its checklist is still read) to be smaller still.
TRACKS = {
    "ru": (RU_ROUTINE, ["--step", "stroking=1m", "--step", "rubbing=90s", "--rest", "1m"]),
    "de": (DE_ROUTINE, ["--step", "stroking=1m", "--step", "rubbing=1m", "--rest", "0"]),
}


@pytest.fixture(scope="module", params=sorted(TRACKS))
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, clip_cache):
    tag = request.param
    text, options = TRACKS[tag]
    if tag == "de":
        options = [*options, "--no-intro"]
    folder = tmp_path_factory.mktemp(f"track-{tag}")
    routine = folder / "kurz.yaml"
    routine.write_text(text, encoding="utf-8")
    out = folder / "out"
    args = ["build", str(routine), "-o", str(out), "--cache-dir", str(clip_cache), "--pause", "0"]
    result = CliRunner().invoke(cli, [*args, *options])
    assert result.exit_code == 0, result.stderr
    plan = json.loads((out / f"kurz-{tag}.json").read_text(encoding="utf-8"))
    return tag, out, plan, decoded(out / f"kurz-{tag}.mp3")


def test_the_track_is_as_long_as_its_plan_and_each_steps_chime_is_on_time(built) -> None:
    tag, _, plan, audio = built
    assert plan["language"] == tag
    assert abs(audio.size * 1000 / RATE_HZ - plan["total_ms"]) <= 50
    steps = [p for p in plan["parts"] if p["kind"] == "step"]
    chimes = [
        e for e in plan["events"] if e["kind"] == "sound" and e["part"] in {s["id"] for s in steps}
    ]
    assert {e["part"] for e in chimes} == {s["id"] for s in steps}
    for step in steps:
        chime = next(e for e in chimes if e["part"] == step["id"])
        assert chime["start_ms"] == step["start_ms"]
        heard = onset_ms(audio, chime["start_ms"], window_ms=200, threshold=0.01)
        assert heard is not None and abs(heard - step["start_ms"]) <= 50, step


def cues(vtt: str) -> list[str]:
    """The captions' lines: each cue's text after its timing line."""
    lines = vtt.split("\n")
    return [lines[i + 1] for i, line in enumerate(lines) if " --> " in line]


def test_the_captions_and_chapters_are_in_the_routines_language(built) -> None:
    tag, out, plan, _ = built
    vtt = (out / f"kurz-{tag}.vtt").read_text(encoding="utf-8")
    assert vtt.startswith(f"WEBVTT\nKind: captions\nLanguage: {tag}\n")
    said = cues(vtt)
    assert len(said) >= 10
    chapters = json.loads((out / f"kurz-{tag}.chapters.json").read_text(encoding="utf-8"))[
        "chapters"
    ]
    titles = [c["title"] for c in chapters]
    id3 = [str(frame.sub_frames["TIT2"]) for frame in ID3(out / f"kurz-{tag}.mp3").getall("CHAP")]
    assert sorted(id3) == sorted(
        f"{p['number']}. {p['title']}" if p["number"] else p["title"] for p in plan["parts"]
    )
    if tag == "ru":
        assert [line for line in said if LATIN.search(line)] == []  # no English, no Latin
        assert all(CYRILLIC.search(line) for line in said)
        assert titles == ["Вступление", "Поглаживание", "Растирание", "Отдых", "Завершение"]
        assert "Шаг 2, всего 2. Растирание. Полторы минуты." in " ".join(said)
    else:
        # words of the English catalogue that are no German word ("Minute" is both)
        english = re.compile(r"\b([Tt]he|and|[Ss]teps?|minutes|seconds?|[Rr]est|left|[Nn]ext)\b")
        assert [line for line in said if english.search(line)] == []
        assert titles == ["Einführung", "Streichen", "Reiben", "Abschluss"]
        assert "Schritt 2 von 2: Reiben. Eine Minute." in " ".join(said)


@pytest.mark.parametrize(
    ("tag", "voice", "wpm"), [("de", "gmw/de", 135.3), ("ru", "zle/ru", 127.4)]
)
def test_rate_150_speaks_each_language_at_the_pace_docs_voices_gives(
    tmp_path: Path, real_speaker, clip_cache: Path, tag: str, voice: str, wpm: float
) -> None:
    """No per-language factor: --rate 150 is English's setting, and German and Russian words,
    longer than English ones, come out fewer a minute (docs/voices.md, "--rate in other
    languages"): the tool's own sentences, words over the clips' trimmed seconds."""
    text = RU_ROUTINE if tag == "ru" else DE_ROUTINE
    (tmp_path / "kurz.yaml").write_text(text, encoding="utf-8")
    texts = list(dict.fromkeys(narrate(load_routine(tmp_path / "kurz.yaml")).sentences()))
    with real_speaker(cache_dir=clip_cache, voice=voice, rate_wpm=150) as speaker:
        speaker.prefetch(texts)
        seconds = sum(speaker.clip(t).size for t in texts) / RATE_HZ
    measured = sum(len(t.split()) for t in texts) / seconds * 60
    assert abs(measured - wpm) <= 0.08 * wpm, measured
