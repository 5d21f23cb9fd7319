"""Languages: every word voiceguide itself says, as data, one folder per language.

``languages/<tag>/phrases.yaml`` holds a language's catalogue: the tool's
phrases (step announcements, the heads-up, the checklist's frame, the pause,
the finish), the words around lengths with their plural forms, the
abbreviations its sentence splitter and ``check`` must know, and the
espeak-ng voice that speaks it. ``parts/`` beside it holds the shared parts
a routine can include, in that language, and ``pronounce.yaml`` (optional)
the words its voices misread. Adding a language is a folder of data: no code
names a language (see CONTRIBUTING.md, "Adding a language").

Numbers become words through num2words and a countable phrase takes the form
of the number's CLDR plural category through Babel, each imported on first
use. A catalogue that lacks a key, a form or a placeholder the English one
has is refused, naming the file: nothing is said in a mix of two languages.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError
from .numbers import english_number

DEFAULT = "en"
CATALOGUE = "phrases.yaml"
# A BCP-47 tag as routines write it: a language, then optional subtags (de, pt-BR, sr-Latn).
TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
COUNTED = ("second", "minute", "hour", "minutes_and_a_half")  # length phrases with forms
_UNIT_OF = {"minutes_and_a_half": "minute"}  # whose gender a phrase's number takes


def folder() -> Path:
    """Where the language folders are (package data, beside this file)."""
    return Path(__file__).resolve().parent


def known() -> list[str]:
    """The tags that have a catalogue, sorted."""
    return sorted(p.parent.name for p in folder().glob(f"*/{CATALOGUE}"))


def normal_tag(tag: str) -> str:
    """``pt_br`` -> ``pt-BR``: BCP-47's usual case, language lower, region upper."""
    parts = tag.replace("_", "-").split("-")
    out = [parts[0].lower()]
    for sub in parts[1:]:
        out.append(sub.upper() if len(sub) == 2 else sub.title() if len(sub) == 4 else sub.lower())
    return "-".join(out)


def catalogue_tag(tag: str) -> str | None:
    """The catalogue that speaks ``tag``: its own folder, else its language's (de-AT -> de)."""
    tag = normal_tag(tag)
    have = known()
    if tag in have:
        return tag
    primary = tag.split("-")[0]
    return primary if primary in have else None


def english_name(tag: str) -> str:
    """``ru`` -> ``Russian``, from CLDR (Babel); the tag itself if Babel does not know it."""
    try:
        from babel import Locale, UnknownLocaleError

        return str(Locale.parse(normal_tag(tag), sep="-").english_name)
    except (ImportError, ValueError, UnknownLocaleError):
        return tag


def missing_catalogue(tag: str) -> str:
    """Why a routine in ``tag`` cannot be spoken: the file to write, and what exists."""
    where = folder() / normal_tag(tag).split("-")[0] / CATALOGUE
    return (
        f'voiceguide does not speak {english_name(tag)} ("{tag}") yet: write {where} and the '
        f"shared parts beside it (see CONTRIBUTING.md, Adding a language); languages: "
        + ", ".join(known())
    )


class _Capitalized(string.Formatter):
    """``{name}`` is the value; ``{Name}`` the value with a capital first letter."""

    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, str) and key not in kwargs and key[:1].isupper():
            value = str(kwargs[key[:1].lower() + key[1:]])
            return value[:1].upper() + value[1:]
        return super().get_value(key, args, kwargs)


_FORMAT = _Capitalized()


def fill(phrase: str, **values: object) -> str:
    return _FORMAT.format(phrase, **values)


def placeholders(phrase: str) -> set[str]:
    """The names a phrase asks for, capitals folded (``{Length}`` asks for length)."""
    return {
        name[:1].lower() + name[1:] for _, name, _, _ in string.Formatter().parse(phrase) if name
    }


@dataclass(frozen=True)
class Language:
    """One language's catalogue, read from its folder."""

    tag: str
    name: str
    path: Path  # the catalogue file
    espeak_voice: str
    person: Mapping[str, str]
    position: str
    phrases: Mapping[str, str]
    lengths: Mapping[str, Any]
    part_titles: Mapping[str, str]  # intro, rest, outro: the parts around the steps
    genders: Mapping[str, str] = field(default_factory=dict)  # unit -> num2words gender
    number_language: str = ""  # num2words' code, when it is not the tag
    abbreviations: tuple[str, ...] = ()
    shortened: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    written_out: str = ""  # check's example of lengths in words ("two minutes, ten centimetres")
    signs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def parts_dir(self) -> Path:
        return self.folder / "parts"

    def say(self, key: str, **values: object) -> str:
        """A phrase of the catalogue with its placeholders filled."""
        return fill(self.phrases[key], **values)

    def say_length(self, key: str, **values: object) -> str:
        return fill(str(self.lengths[key]), **values)

    def plural(self, number: int) -> str:
        """The CLDR plural category of ``number`` in this language (Babel)."""
        return _plural_rule(self.tag)(number)

    def counted(self, key: str, number: int) -> str:
        """A length phrase in the form for ``number``, with the number in words."""
        forms = self.lengths[key]
        phrase = forms.get(self.plural(number)) or forms["other"]
        gender = self.genders.get(_UNIT_OF.get(key, key))
        return fill(phrase, n=self.number(number, gender=gender))

    def number(self, value: int, *, gender: str | None = None) -> str:
        """``value`` in words (num2words), in ``gender`` where the language has genders."""
        lang = self.number_language or self.tag.replace("-", "_")
        if lang == "en" and 0 <= value < 1000:
            return english_number(value)
        from num2words import num2words  # type: ignore[import-untyped]

        if gender:
            return str(num2words(value, lang=lang, gender=gender))
        return str(num2words(value, lang=lang))


@functools.cache
def _plural_rule(tag: str) -> Any:
    from babel import Locale

    return Locale.parse(tag, sep="-").plural_form


def get(tag: str) -> Language:
    """The catalogue that speaks ``tag`` (de-AT falls back to de); an ``InputError`` naming the
    file to write if there is none."""
    found = catalogue_tag(tag) if TAG.match(tag) else None
    if found is None:
        raise InputError(missing_catalogue(tag))
    return _load(found)


@functools.cache
def _load(tag: str) -> Language:
    path = folder() / tag / CATALOGUE
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict):
            raise ValueError("not a mapping")
        numbers = doc.get("numbers") or {}
        language = Language(
            tag=tag,
            name=str(doc["name"]),
            path=path,
            espeak_voice=str(doc["espeak_voice"]),
            person={str(k): str(v) for k, v in doc["person"].items()},
            position=str(doc["position"]),
            phrases={str(k): str(v) for k, v in doc["phrases"].items()},
            lengths=dict(doc["lengths"]),
            part_titles={str(k): str(v) for k, v in doc["part_titles"].items()},
            genders={str(k): str(v) for k, v in (numbers.get("genders") or {}).items()},
            number_language=str(numbers.get("language") or ""),
            abbreviations=tuple(str(a) for a in doc.get("abbreviations") or ()),
            shortened=tuple(str(a) for a in doc.get("shortened") or ()),
            units=tuple(str(a) for a in doc.get("units") or ()),
            written_out=str(doc.get("written_out") or ""),
            signs={str(k): tuple(str(w) for w in v) for k, v in (doc.get("signs") or {}).items()},
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError, ValueError) as exc:
        raise InputError(f"{path}: not a usable language catalogue ({exc})") from None
    if tag != DEFAULT:
        problems = differences(language, _load(DEFAULT))
        if problems:
            raise InputError(f"{path}: {problems[0]}")
    return language


def differences(language: Language, source: Language) -> list[str]:
    """What ``language``'s catalogue lacks against the source (English): keys, forms,
    placeholders. Empty when it is complete."""
    out: list[str] = []
    for key, phrase in source.phrases.items():
        if key not in language.phrases:
            out.append(f'phrases.{key} is missing (English: "{phrase}")')
        elif placeholders(language.phrases[key]) != placeholders(phrase):
            out.append(
                f"phrases.{key} must use the placeholders "
                + ", ".join(f"{{{p}}}" for p in sorted(placeholders(phrase)))
            )
    for key in source.lengths:
        if key not in language.lengths:
            out.append(f"lengths.{key} is missing")
            continue
        value = language.lengths[key]
        if key in COUNTED:
            if not isinstance(value, dict) or "other" not in value:
                out.append(f"lengths.{key} needs its plural forms (at least other)")
                continue
            wanted = set(_plural_rule(language.tag).tags) | {"other"}
            lacking = sorted(wanted - set(value))
            if lacking:
                out.append(f"lengths.{key} lacks the forms {', '.join(lacking)}")
    for kind in source.part_titles:
        if kind not in language.part_titles:
            out.append(f'part_titles.{kind} is missing (English: "{source.part_titles[kind]}")')
    if source.written_out and not language.written_out:
        out.append(f'written_out is missing (English: "{source.written_out}")')
    for name in ("adult", "child"):
        if name not in language.person:
            out.append(f"person.{name} is missing")
    return out
