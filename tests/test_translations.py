"""The shipped routines in German and Russian: each exists, keeps the English routine's
steps (ids, lengths, cues, reminders) and every caution, passes `check` with the real
voice of its language, and its language's respellings change what espeak-ng says."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from voiceguide.cli import cli
from voiceguide.languages import get
from voiceguide.routine import load_routine
from voiceguide.routine.library import find_routine
from voiceguide.routine.model import Routine, Step
from voiceguide.speech.pronounce import default_table

from .conftest import ROUTINES
from .phonemes import heard

SHIPPED = sorted(p.stem for p in ROUTINES.glob("*.yaml"))
LANGUAGES = ("de", "ru")

# An English caution word, and what the translation says for it (a regular expression).
CAUTIONS: dict[str, dict[str, str]] = {
    r"\bspine\b": {"de": "Wirbelsäule", "ru": "позвоночн"},
    r"\bsacrum\b": {"de": "Kreuzbein", "ru": "крестц|крестец"},
    r"\bcoccyx\b": {"de": "Steißbein", "ru": "копчик"},
    r"\bmiscarriage\b": {"de": "Fehlgeburt", "ru": "выкидыш"},
    r"\bkidneys\b": {"de": "Nieren", "ru": "почк|почек"},
    r"\barmpits\b": {"de": "Achseln", "ru": "подмыш"},
    r"\blymph nodes\b": {"de": "Lymphknoten", "ru": "лимфатическ"},
    r"\bsides of the neck\b": {
        "de": "Seiten des Halses|seitlich am Hals",
        "ru": "шею сбоку|бокам шеи",
    },
    r"\bspots\b|\bbroken skin\b|\bscratches\b": {"de": "Pickel", "ru": "прыщ"},
    r"\bhurts?\b|\bpain\b": {"de": "wehtu|schmerz", "ru": "бол"},
    r"\bforehead\b": {"de": "Stirn", "ru": "лоб"},
    r"\bpregnan": {"de": "Schwanger", "ru": "беременн"},
    r"\battack\b": {"de": "Anfall", "ru": "приступ"},
    r"\bmusculoskeletal\b": {"de": "Bewegungsapparat", "ru": "опорно-двигательн"},
}


def step_words(step: Step) -> str:
    return " ".join([step.say, *(c.say for c in step.cues), *step.reminders])


def cautions_missing(english: str, translated: str, tag: str) -> list[str]:
    return [
        word
        for word, said in CAUTIONS.items()
        if re.search(word, english, re.IGNORECASE)
        and not re.search(said[tag], translated, re.IGNORECASE)
    ]


def pair(name: str, tag: str) -> tuple[Routine, Routine]:
    return load_routine(ROUTINES / f"{name}.yaml"), load_routine(ROUTINES / tag / f"{name}.yaml")


@pytest.mark.parametrize("tag", LANGUAGES)
@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_routine_is_translated_and_found_by_language(name: str, tag: str) -> None:
    path = find_routine(name, language=tag)
    assert path == ROUTINES / tag / f"{name}.yaml"
    assert load_routine(path).language == tag


@pytest.mark.parametrize("tag", LANGUAGES)
@pytest.mark.parametrize("name", SHIPPED)
def test_a_translation_keeps_the_english_steps_lengths_cues_and_reminders(
    name: str, tag: str
) -> None:
    english, translated = pair(name, tag)
    assert translated.audience == english.audience
    assert translated.include == english.include
    assert (english.rest is None) == (translated.rest is None)
    assert len(translated.intro) == len(english.intro)
    assert len(translated.cautions) == len(english.cautions)
    assert [
        (s.id, s.duration_ms, s.min_ms, s.max_ms, [(c.anchor, c.offset_ms) for c in s.cues])
        for s in translated.steps
    ] == [
        (s.id, s.duration_ms, s.min_ms, s.max_ms, [(c.anchor, c.offset_ms) for c in s.cues])
        for s in english.steps
    ]
    assert [len(s.reminders) for s in translated.steps] == [len(s.reminders) for s in english.steps]
    assert all(s.title and s.say.strip() for s in translated.steps)


@pytest.mark.parametrize("tag", LANGUAGES)
@pytest.mark.parametrize("name", SHIPPED)
def test_every_english_caution_is_in_the_translated_step(name: str, tag: str) -> None:
    """A step that names the spine, the kidneys, the sacrum and coccyx (and why), the
    armpits, the lymph nodes, spots or pain names them in its translation too; so do the
    routine's own cautions and the shared parts it includes (checklist, women's notes)."""
    english, translated = pair(name, tag)
    for mine, theirs in zip(english.steps, translated.steps, strict=True):
        assert cautions_missing(step_words(mine), step_words(theirs), tag) == [], mine.id
    whole = " ".join([*english.cautions, *english.intro, *english.contraindications])
    said = " ".join([*translated.cautions, *translated.intro, *translated.contraindications])
    assert cautions_missing(whole, said, tag) == []
    assert len(translated.contraindications) == len(english.contraindications)


@pytest.mark.parametrize("tag", LANGUAGES)
@pytest.mark.parametrize("name", SHIPPED)
def test_the_translations_keep_their_jinja_placeholders(name: str, tag: str) -> None:
    placeholders = re.compile(r"\{\{\s*[\w.]+\s*\}\}")
    english = sorted(set(placeholders.findall((ROUTINES / f"{name}.yaml").read_text("utf-8"))))
    translated = (ROUTINES / tag / f"{name}.yaml").read_text("utf-8")
    assert sorted(set(placeholders.findall(translated))) == english


@pytest.mark.usefixtures("real_engine")
@pytest.mark.parametrize("tag", LANGUAGES)
@pytest.mark.parametrize("name", SHIPPED)
def test_check_passes_on_each_translation_with_its_languages_voice(name: str, tag: str) -> None:
    path = ROUTINES / tag / f"{name}.yaml"
    result = CliRunner().invoke(cli, ["check", str(path), "--no-cache"])
    assert result.exit_code == 0, result.stderr
    assert f"ok {path}" in result.stdout
    assert "warning" not in result.stderr.lower(), result.stderr


def test_each_languages_and_routines_respellings_change_what_espeak_ng_says() -> None:
    """The packaged tables of de and ru, with the shipped translations' own."""
    tables = []
    for tag in LANGUAGES:
        table = dict(default_table(tag))
        for name in SHIPPED:
            table.update(load_routine(ROUTINES / tag / f"{name}.yaml").pronounce)
        tables.append((get(tag).espeak_voice.split("/")[-1], table))
    rows = heard(tables)
    assert len(rows) >= 20
    for voice, word, was, now in rows:
        assert was != now, (voice, word)
