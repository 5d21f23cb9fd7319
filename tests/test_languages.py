# ruff: noqa: RUF001  (Russian words are written in Cyrillic on purpose)
"""Everything said in a routine's own language: catalogues as data, lengths by CLDR plural
rules and num2words, the voice that speaks it, and refusals in one line."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from voiceguide import languages
from voiceguide.cli import cli
from voiceguide.narration import narrate, split_sentences
from voiceguide.narration.lengths import spoken_length
from voiceguide.narration.readability import hard_to_say
from voiceguide.output.captions import captions_vtt
from voiceguide.output.feed import PODCAST_NS, feed_xml
from voiceguide.output.track import id3_chapters
from voiceguide.routine import INTRO_ID, OUTRO_ID, load_routine
from voiceguide.routine.load import load_part, part_names
from voiceguide.script import prepare
from voiceguide.settings import BuildOptions
from voiceguide.speech import FakeEngine, Speaker
from voiceguide.timeline import Plan, TimingRequest, make_plan

RU_ROUTINE = """\
title: Короткий массаж
language: ru
include: [safety, principles, women, preparation, rest]
steps:
  - id: stroking
    title: Поглаживание
    duration: 2m
    min: 1m
    max: 5m
    say: Начните с поглаживания, т. е. с лёгких движений вдоль позвоночника.
  - id: rubbing
    title: Растирание
    duration: 3m
    min: 1m
    max: 30m
    say: Растирайте ребром ладони.
"""


def routine_file(tmp_path: Path, text: str = RU_ROUTINE, name: str = "kurz.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("tag", "ms", "said"),
    [
        ("ru", 60_000, "одна минута"),
        ("ru", 120_000, "две минуты"),
        ("ru", 300_000, "пять минут"),
        ("ru", 1_260_000, "двадцать одна минута"),
        ("ru", 1_320_000, "двадцать две минуты"),
        ("ru", 90_000, "полторы минуты"),
        ("ru", 150_000, "две с половиной минуты"),
        ("ru", 330_000, "пять с половиной минут"),
        ("ru", 1_000, "одна секунда"),
        ("ru", 3_000, "три секунды"),
        ("ru", 45_000, "сорок пять секунд"),
        ("ru", 3_600_000, "один час"),
        ("ru", 5_400_000, "полтора часа"),
        ("ru", 4_500_000, "один час пятнадцать минут"),
        ("de", 60_000, "eine Minute"),
        ("de", 120_000, "zwei Minuten"),
        ("de", 90_000, "anderthalb Minuten"),
        ("de", 150_000, "zweieinhalb Minuten"),
        ("de", 1_260_000, "einundzwanzig Minuten"),
        ("de", 1_000, "eine Sekunde"),
        ("de", 30_000, "dreißig Sekunden"),
        ("de", 5_400_000, "anderthalb Stunden"),
        ("de", 4_500_000, "eine Stunde und fünfzehn Minuten"),
    ],
)
def test_lengths_follow_the_languages_grammar(tag: str, ms: int, said: str) -> None:
    assert spoken_length(ms, tag) == said


@pytest.mark.parametrize("tag", [t for t in languages.known() if t != "en"])
def test_every_catalogue_has_the_english_keys_forms_and_placeholders(tag: str) -> None:
    language = languages.get(tag)
    assert languages.differences(language, languages.get("en")) == []
    for name in part_names():
        assert (language.parts_dir / f"{name}.yaml").is_file(), name
        load_part(name, tag)


def test_a_language_tag_with_a_region_is_spoken_by_its_languages_catalogue() -> None:
    assert languages.get("de-AT").tag == "de"
    assert languages.normal_tag("pt_br") == "pt-BR"


def test_the_splitter_knows_each_languages_abbreviations() -> None:
    ru = [s.text for s in split_sentences("Делайте так, т. е. медленно. Потом быстрее.", "ru")]
    assert ru == ["Делайте так, т. е. медленно.", "Потом быстрее."]
    de = [s.text for s in split_sentences("Nimm z. B. Öl. Dann streich.", "de")]
    assert de == ["Nimm z. B. Öl.", "Dann streich."]


def test_check_warns_of_each_languages_shortened_words() -> None:
    assert any('"т. е."' in w for w in hard_to_say("Делайте так, т. е. медленно.", "ru"))
    assert any('"и т. д."' in w or '"т. д."' in w for w in hard_to_say("Руки и т. д.", "ru"))
    assert any('"z. B."' in w for w in hard_to_say("Nimm z. B. Öl.", "de"))
    assert any('"usw."' in w for w in hard_to_say("Öl, Creme usw.", "de"))
    assert any('"2 мин"' in w for w in hard_to_say("Ждите 2 мин.", "ru"))


def test_a_russian_routine_says_everything_in_russian(tmp_path: Path) -> None:
    routine = load_routine(routine_file(tmp_path))
    assert routine.language == "ru" and routine.person == "человек"
    said = narrate(routine, lengths={"stroking": 120_000, "rubbing": 1_260_000, "rest": 900_000})
    text = [s.text for part in said.parts.values() for s in part.opening]
    text += [s.text for p in said.parts.values() for c in p.cues for s in c.sentences]
    assert "Шаг 1, всего 2." in text and "Две минуты." in text
    assert "Двадцать одна минута." in text
    assert "Тридцать секунд до конца шага." in text and "Дальше: Растирание." in text
    assert "Отдых: пятнадцать минут." in text
    assert "Высокая температура тела." in text
    ascii_words = [t for t in text if any("a" <= c.lower() <= "z" for c in t)]
    assert ascii_words == []  # nothing in English


def test_a_routine_in_a_language_without_a_catalogue_names_the_file_to_write(
    tmp_path: Path,
) -> None:
    path = routine_file(tmp_path, RU_ROUTINE.replace("language: ru", "language: fr"))
    result = CliRunner().invoke(cli, ["script", str(path)])
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "\n" not in line
    assert "French" in line and "languages/fr/phrases.yaml" in line and "de, en, ru" in line


def test_an_unknown_language_or_a_missing_translation_is_one_line_naming_what_exists() -> None:
    unknown = CliRunner().invoke(cli, ["script", "classic", "--language", "xx"])
    assert unknown.exit_code == 2
    assert unknown.stderr == "Error: --language xx: no such language; languages: de, en, ru\n"
    listed = CliRunner().invoke(cli, ["list"], env={"VOICEGUIDE_LANGUAGE": "xx"})
    assert listed.exit_code == 2  # named where it was set, not as an option never given
    assert (
        listed.stderr == "Error: $VOICEGUIDE_LANGUAGE=xx: no such language; languages: de, en, ru\n"
    )


def test_joe_reading_a_russian_routine_names_the_voices_that_would(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["script", str(routine_file(tmp_path)), "--voice", "joe"])
    assert result.exit_code == 2
    assert "--voice joe speaks en-us, not Russian" in result.stderr
    assert "zle/ru" in result.stderr and "voiceguide voices --language ru" in result.stderr


def test_a_piper_voice_is_checked_against_the_routines_language_by_its_config(
    tmp_path: Path,
) -> None:
    """No Piper voice but joe can be installed here: the config file alone is enough."""
    model = tmp_path / "de_DE-thorsten-medium.onnx"
    model.write_bytes(b"\x08\x07")
    config = {"language": {"code": "de_DE"}, "espeak": {"voice": "de"}}
    (tmp_path / (model.name + ".json")).write_text(json.dumps(config), encoding="utf-8")
    result = CliRunner().invoke(cli, ["script", str(routine_file(tmp_path)), "--voice", str(model)])
    assert result.exit_code == 2
    assert "speaks de-de, not Russian" in result.stderr


@pytest.mark.usefixtures("real_engine")
def test_a_russian_routine_by_path_is_spoken_with_the_russian_voice(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["script", str(routine_file(tmp_path)), "--duration", "30m", "--no-cache"]
    )
    assert result.exit_code == 0, result.stderr
    assert "Шаг 2, всего 2." in result.stdout
    assert "Приготовьтесь." in result.stdout


@pytest.mark.usefixtures("real_engine")
@pytest.mark.parametrize(
    ("tag", "say", "warned"),
    [
        ("ru", "Начните с поглаживания, т. е. с лёгких движений.", '"т. е."'),
        ("de", "Beginne mit Streichen, z. B. mit leichten Bewegungen.", '"z. B."'),
    ],
)
def test_check_a_routine_in_each_language(tmp_path: Path, tag: str, say: str, warned: str) -> None:
    text = RU_ROUTINE.replace("language: ru", f"language: {tag}")
    text = text.replace("Начните с поглаживания, т. е. с лёгких движений вдоль позвоночника.", say)
    path = routine_file(tmp_path, text)
    result = CliRunner().invoke(cli, ["check", str(path), "--no-cache"])
    assert result.exit_code == 0, result.stderr
    assert f"ok {path}" in result.stdout
    assert warned in result.stderr and "is read as a word" in result.stderr


@pytest.mark.parametrize(
    ("tag", "titles"),
    [
        ("en", ["Introduction", "Stroking", "Rubbing", "Rest", "Finish"]),
        ("ru", ["Вступление", "Поглаживание", "Растирание", "Отдых", "Завершение"]),
        ("de", ["Einführung", "Streichen", "Reiben", "Ruhepause", "Abschluss"]),
    ],
)
def test_the_parts_around_the_steps_are_named_in_the_routines_language(
    tmp_path: Path, tag: str, titles: list[str]
) -> None:
    """The plan's titles are the chapters (ID3 and JSON), the page's and `script`'s."""
    text = RU_ROUTINE.replace("language: ru", f"language: {tag}")
    for russian, own in zip(("Поглаживание", "Растирание"), titles[1:3], strict=True):
        text = text.replace(russian, own)
    routine = load_routine(routine_file(tmp_path, text))
    needs = {INTRO_ID: 20_000, OUTRO_ID: 10_000}
    plan = make_plan(routine, TimingRequest(), needs)
    assert [p.title for p in plan.parts] == titles
    document = {
        "parts": [
            {"title": p.title, "number": p.number, "start_ms": p.start_ms, "end_ms": p.end_ms}
            for p in plan.parts
        ]
    }
    assert [c.title for c in id3_chapters(document)][-1] == titles[-1]


def test_the_feed_and_the_captions_carry_the_tracks_language() -> None:
    track = {
        "title": "Короткий массаж",
        "guid": "voiceguide:kurz:1",
        "published": datetime(2026, 1, 2, tzinfo=UTC),
        "page": "kurz.html",
        "mp3": "kurz.mp3",
        "chapters": "kurz.chapters.json",
        "captions": "kurz.vtt",
        "bytes": 123,
        "duration_ms": 60_000,
        "language": "ru",
    }
    rss = ET.fromstring(feed_xml([track], "http://192.168.1.2:8000/"))
    assert rss.findtext("channel/language") == "ru"
    transcript = rss.find(f"channel/item/{{{PODCAST_NS}}}transcript")
    assert transcript is not None
    assert transcript.attrib == {
        "url": "http://192.168.1.2:8000/kurz.vtt",
        "type": "text/vtt",
        "language": "ru",
        "rel": "captions",
    }
    vtt = captions_vtt("Короткий массаж", [(0, 1_000, "Приготовьтесь.")], "ru")
    assert vtt.startswith("WEBVTT\nKind: captions\nLanguage: ru\n\n")


@pytest.mark.parametrize(
    ("tag", "text", "suggested"),
    [
        ("en", "Wait 2 min.", "(two minutes, ten centimetres)"),
        ("de", "Warte 2 Min.", "(zwei Minuten, zehn Zentimeter)"),
        ("ru", "Ждите 2 мин.", "(две минуты, десять сантиметров)"),
    ],
)
def test_checks_advice_suggests_words_in_the_routines_language(
    tag: str, text: str, suggested: str
) -> None:
    """The message is for the author (English); the words it suggests are the routine's."""
    [warning] = hard_to_say(text, tag)
    assert warning.endswith(f"write it out in words {suggested}")


DE_ROUTINE = (
    RU_ROUTINE.replace("language: ru", "language: de")
    .replace("Короткий массаж", "Kurze Massage")
    .replace("Поглаживание", "Streichen")
    .replace("Растирание", "Reiben")
    .replace("Начните с поглаживания, т. е. с лёгких движений вдоль позвоночника.", "Streiche.")
    .replace("Растирайте ребром ладони.", "Reibe mit der Handkante.")
)


def said_at(tmp_path: Path, text: str, **timing: object) -> tuple[list[str], Plan]:
    """Every sentence of the timed script at these settings (the fake voice: the words are
    the point), and its plan."""
    routine = load_routine(routine_file(tmp_path, text))
    options = BuildOptions(timing=TimingRequest(**timing))  # type: ignore[arg-type]
    with Speaker(FakeEngine(), cache_dir=None) as speaker:
        script = prepare(routine, options, speaker)
    return [e.text for e in script.speech], script.plan


@pytest.mark.parametrize(
    ("text", "timing", "said"),
    [
        (
            RU_ROUTINE,
            {"pins": {"stroking": 60_000, "rubbing": 120_000}, "rest_ms": 300_000},
            ["Одна минута.", "Две минуты.", "Отдых: пять минут.", "Тридцать секунд до конца шага."],
        ),
        (
            RU_ROUTINE,
            {"pins": {"stroking": 90_000, "rubbing": 1_260_000}, "rest_ms": 60_000},
            ["Полторы минуты.", "Двадцать одна минута.", "Отдых: одна минута."],
        ),
        (
            RU_ROUTINE,
            {"pins": {"stroking": 300_000, "rubbing": 1_320_000}, "rest_ms": 1_200_000},
            ["Пять минут.", "Двадцать две минуты.", "Отдых: двадцать минут."],
        ),
        (
            DE_ROUTINE,
            {"pins": {"stroking": 60_000, "rubbing": 120_000}, "rest_ms": 300_000},
            [
                "Eine Minute.",
                "Zwei Minuten.",
                "ruhen: fünf Minuten lang.",
                "Noch dreißig Sekunden.",
            ],
        ),
        (
            DE_ROUTINE,
            {"pins": {"stroking": 90_000, "rubbing": 1_260_000}, "rest_ms": 60_000},
            ["Anderthalb Minuten.", "Einundzwanzig Minuten.", "ruhen: eine Minute lang."],
        ),
        (
            DE_ROUTINE,
            {"pins": {"stroking": 150_000, "rubbing": 1_320_000}, "rest_ms": 90_000},
            ["Zweieinhalb Minuten.", "Zweiundzwanzig Minuten.", "ruhen: anderthalb Minuten lang."],
        ),
    ],
)
def test_lengths_said_at_step_and_rest_settings(
    tmp_path: Path, text: str, timing: dict[str, object], said: list[str]
) -> None:
    """--step and --rest as a build takes them: each length is said in the routine's language."""
    sentences, _ = said_at(tmp_path, text, **timing)
    for expected in said:
        assert any(s.endswith(expected) for s in sentences), (expected, sentences)


@pytest.mark.parametrize(("text", "tag"), [(RU_ROUTINE, "ru"), (DE_ROUTINE, "de")])
@pytest.mark.parametrize(
    "timing",
    [
        {"total_ms": 10 * 60_000, "rest_ms": 0},
        {"total_ms": 25 * 60_000},
        {"total_ms": 40 * 60_000, "pins": {"stroking": 90_000}},
    ],
)
def test_lengths_said_at_duration_settings(
    tmp_path: Path, text: str, tag: str, timing: dict[str, object]
) -> None:
    """--duration: the fitted steps' lengths are said, in words of the routine's language."""
    sentences, plan = said_at(tmp_path, text, **timing)
    assert plan.total_ms == timing["total_ms"]
    for step in plan.steps:
        length = spoken_length(step.length_ms, tag)
        assert f"{length[:1].upper()}{length[1:]}." in sentences, (length, sentences)
        assert not re.search(r"\d", length)


def test_a_routines_own_piper_voice_of_another_language_is_named_at_its_line(
    tmp_path: Path,
) -> None:
    """`voice: joe` in a Russian routine: the routine's error, at its line, naming the voice
    as the file does (not as the --voice option it did not come from)."""
    path = routine_file(
        tmp_path, RU_ROUTINE.replace("language: ru\n", "language: ru\nvoice: joe\n")
    )
    result = CliRunner().invoke(cli, ["script", str(path)])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
    assert ': voice: "joe" speaks en-us, not Russian' in result.stderr
    assert "--voice joe" not in result.stderr
