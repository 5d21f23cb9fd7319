"""Load a routine file into plain, validated dataclasses.

Routine files may come from strangers: the YAML is checked node by node
(``schema.Doc``), every problem is collected, and each names the file, the
line and the field and says what would be accepted. Preparation and safety
texts that many routines share live once, as *parts* shipped inside the
package, one folder per language (``voiceguide/languages/<tag>/parts/*.yaml``);
a routine names them in ``include:``, so a user's own file anywhere can use
them too, and gets them in its own ``language:``. Part names are slugs
looked up in that one folder, never paths.
"""

from __future__ import annotations

import difflib
import functools
import re
from pathlib import Path
from typing import Any

from .. import languages
from ..errors import InputError, RoutineError
from .durations import format_duration
from .ids import id_problem, is_id
from .library import not_a_file
from .model import (
    AUDIENCES,
    Origin,
    Rest,
    Routine,
    RoutineProblems,
    SharedPart,
    Step,
)
from .schema import INVALID, MAX_ROUTINE_WORDS, MAX_TOTAL_MS, Doc, Entry, Skip
from .steps import read_steps

TOP_KEYS = ("title", "steps")
TOP_OPTIONAL = (
    "audience", "description", "include", "intro", "contraindications", "cautions", "rest",
    "outro", "sounds", "person", "position", "voice", "pronounce", "language",
)  # fmt: skip
SOUND_KEYS = ("step", "reminder", "end")  # the routine's own files may replace these sounds
PART_KEYS = ("about", "intro", "contraindications", "cautions", "rest")


def routine_id_for(path: Path) -> str:
    """The id is the file's stem; it names output files, so it must be a safe slug."""
    why = id_problem(
        path.stem,
        what="routine id",
        spelling="name the file with lowercase letters, digits, - and _ (for example "
        "my-routine.yaml)",
    )
    if why:
        raise RoutineError(why, path=path)
    return path.stem


MAX_FILE_BYTES = 1_000_000


def read_text(path: Path) -> str:
    """The file's text, or one clear line on why it cannot be a routine file."""
    try:
        size = path.stat().st_size if path.is_file() else 0
        if size > MAX_FILE_BYTES:
            raise RoutineError(
                f"is {size} bytes; a routine file can be at most {MAX_FILE_BYTES} bytes", path=path
            )
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        raise not_a_file(path) from None
    except UnicodeDecodeError as exc:
        raise RoutineError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8 YAML", path=path
        ) from None
    except ValueError as exc:  # a NUL byte in the path
        raise InputError(f"{path!r}: not a usable file name ({exc})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None


def load_routine(path: Path | str) -> Routine:
    """Read and validate one routine file."""
    path = Path(path)
    text = read_text(path)
    return parse_routine(text, path=path, routine_id=routine_id_for(path))


def parse_routine(text: str, *, path: Path | str, routine_id: str) -> Routine:
    """Validate routine YAML given as text; ``path`` only names it in messages.

    Raises ``RoutineProblems`` listing every problem found.
    """
    doc = Doc(text, str(path))
    routine = doc.attempt(_routine, doc, routine_id, default=None)
    if doc.problems or routine is None:
        raise RoutineProblems(sorted(doc.problems, key=lambda p: p.line or 0))
    return routine


# ---------------------------------------------------------------- parts


def _parts_dir(language: str = languages.DEFAULT) -> Path:
    # package data (not importlib.resources, whose import alone costs `voiceguide list` a
    # tenth of its start-up)
    return languages.get(language).parts_dir


def part_names(language: str = languages.DEFAULT) -> list[str]:
    """The shared parts a routine can include, by name: the English ones (every language
    has the same)."""
    folder = _parts_dir(languages.DEFAULT)
    return sorted(
        p.name.removesuffix(".yaml")
        for p in folder.iterdir()
        if p.name.endswith(".yaml") and is_id(p.name.removesuffix(".yaml"))
    )


@functools.cache
def load_part(name: str, language: str = languages.DEFAULT) -> SharedPart:
    """One shared part by name, in ``language``. Only names listed by ``part_names`` are ever
    opened; a part the language's folder lacks is an ``InputError`` naming the file to write."""
    if name not in part_names():
        raise KeyError(name)
    resource = _parts_dir(language).joinpath(f"{name}.yaml")
    if not resource.is_file():
        raise InputError(
            f'the shared part "{name}" is not translated into '
            f"{languages.get(language).name}: write {resource} (English: "
            f"{_parts_dir(languages.DEFAULT).joinpath(name + '.yaml')})"
        )
    path = str(resource)
    doc = Doc(resource.read_text(encoding="utf-8"), path)
    top = doc.mapping(doc.root, "", required=(), optional=PART_KEYS, what=f'the part "{name}"')
    part = SharedPart(
        name=name,
        path=path,
        intro=doc.attempt(doc.texts, top["intro"], "intro", default=()) if "intro" in top else (),
        contraindications=doc.attempt(
            doc.texts, top["contraindications"], "contraindications", default=()
        )
        if "contraindications" in top
        else (),
        cautions=doc.attempt(doc.texts, top["cautions"], "cautions", default=())
        if "cautions" in top
        else (),
        rest=doc.attempt(_rest, doc, top["rest"], default=None) if "rest" in top else None,
        lines=dict(doc.lines),
    )
    if doc.problems:
        raise RoutineProblems(doc.problems)
    return part


def _includes(doc: Doc, entry: Entry, language: str) -> list[SharedPart]:
    known = part_names()
    parts: list[SharedPart] = []
    for name, node, where in doc.slugs(entry, "include"):
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f'; did you mean "{close[0]}"?' if close else ""
            doc.report(
                node, where, f'"{name}" is not a shared part{hint} (parts: {", ".join(known)})'
            )
        elif any(p.name == name for p in parts):
            doc.report(node, where, f'"{name}" is included twice; name it once')
        else:
            try:
                parts.append(load_part(name, language))
            except InputError as exc:
                doc.report(node, where, str(exc))
    return parts


# ---------------------------------------------------------------- routines


def _routine(doc: Doc, routine_id: str) -> Routine:
    top = doc.mapping(doc.root, "", required=TOP_KEYS, optional=TOP_OPTIONAL)

    def optional_text(key: str, default: str = "", **kw: Any) -> str:
        return (
            doc.attempt(doc.text, top[key], key, default=default, **kw) if key in top else default
        )

    title = optional_text("title")
    audience = optional_text("audience", "adult", empty="write adult or child, or leave it out")
    if audience not in AUDIENCES:
        doc.report(top["audience"][1], "audience", f'"{audience}" is not one of adult, child')
    nothing: tuple[str, ...] = ()
    own_intro = (
        doc.attempt(doc.texts, top["intro"], "intro", default=nothing)
        if "intro" in top
        else nothing
    )
    own_cautions = (
        doc.attempt(doc.texts, top["cautions"], "cautions", default=nothing)
        if "cautions" in top
        else nothing
    )
    own_contra = (
        doc.attempt(doc.texts, top["contraindications"], "contraindications", default=nothing)
        if "contraindications" in top
        else nothing
    )
    language = (
        doc.attempt(_language, doc, top["language"], default=None) if "language" in top else None
    ) or languages.DEFAULT
    speaks = languages.get(language) if language in languages.known() else None
    no_parts: list[SharedPart] = []
    no_steps: tuple[Step, ...] = ()
    parts = (
        doc.attempt(_includes, doc, top["include"], language, default=no_parts)
        if "include" in top and speaks is not None
        else no_parts
    )
    steps = (
        doc.attempt(read_steps, doc, top["steps"], default=no_steps) if "steps" in top else no_steps
    )
    rest = doc.attempt(_rest, doc, top["rest"], default=None) if "rest" in top else None

    origins: dict[str, Origin] = {}
    intro: list[str] = []
    for i, line in enumerate(own_intro):
        origins[f"intro[{len(intro)}]"] = (doc.path, doc.lines.get(f"intro[{i}]"), f"intro[{i}]")
        intro.append(line)
    cautions: list[str] = []
    for path, lines, texts in [(doc.path, doc.lines, own_cautions)] + [
        (p.path, p.lines, p.cautions) for p in parts
    ]:
        for i, line in enumerate(texts):
            written = f"cautions[{i}]"
            origins[f"cautions[{len(cautions)}]"] = (path, lines.get(written), written)
            cautions.append(line)
    contra: list[str] = []
    sources = [(p.path, p.lines, p.intro, p.contraindications) for p in parts]
    for path, lines, part_intro, part_contra in [*sources, (doc.path, doc.lines, (), own_contra)]:
        for i, line in enumerate(part_intro):
            origins[f"intro[{len(intro)}]"] = (path, lines.get(f"intro[{i}]"), f"intro[{i}]")
            intro.append(line)
        for i, item in enumerate(part_contra):
            if item.lower() in (c.lower() for c in contra):
                continue  # a routine may repeat a shared item: say it once
            written = f"contraindications[{i}]"
            origins[f"contraindications[{len(contra)}]"] = (path, lines.get(written), written)
            contra.append(item)
    if rest is None:
        for part in parts:
            if part.rest is not None:
                rest = part.rest
                origins["rest.say"] = (part.path, part.lines.get("rest.say"), "rest.say")
                break

    spoken = [*intro, *cautions, *contra, title]
    spoken += [t for s in steps for t in (s.title, s.say, *(c.say for c in s.cues), *s.reminders)]
    words = sum(len(t.split()) for t in spoken) + (len(rest.say.split()) if rest else 0)
    if words > MAX_ROUTINE_WORDS:
        doc.report(
            doc.root,
            "",
            f"its texts have {words} words in all; a routine can have at most "
            f"{MAX_ROUTINE_WORDS} (about an hour of speech)",
        )
    longest = sum(s.max_ms for s in steps) + (rest.duration_ms if rest else 0)
    if longest > MAX_TOTAL_MS:
        doc.report(
            top["steps"][1],
            "steps",
            f"the steps at their max and the rest add up to {format_duration(longest)}; "
            f"a routine can last at most {format_duration(MAX_TOTAL_MS)} in all",
        )
    return Routine(
        id=routine_id,
        title=title,
        audience="child" if audience == "child" else "adult",
        description=optional_text("description", allow_empty=True, spoken=False),
        intro=tuple(intro),
        contraindications=tuple(contra),
        cautions=tuple(cautions),
        person=optional_text(
            "person", speaks.person.get(audience, speaks.person["adult"]) if speaks else ""
        ),
        position=optional_text("position", speaks.position if speaks else ""),
        steps=tuple(steps),
        rest=rest,
        outro=optional_text("outro"),
        include=tuple(p.name for p in parts),
        sounds=doc.attempt(_sounds, doc, top["sounds"], default={}) if "sounds" in top else {},
        voice=doc.attempt(_voice, doc, top["voice"], default=None) if "voice" in top else None,
        pronounce=(
            doc.attempt(_pronounce, doc, top["pronounce"], default={}) if "pronounce" in top else {}
        ),
        language=language,
        path=doc.path,
        lines=dict(doc.lines),
        origins=origins,
    )


def _language(doc: Doc, entry: Entry) -> str | None:
    """A BCP-47 tag with a catalogue (de-AT is spoken by de's); the catalogue's tag."""
    written = doc.text(
        entry,
        "language",
        spoken=False,
        empty="write a language tag such as en, de or ru, or leave it out for English",
    )
    if not languages.TAG.match(written):
        raise doc.fail(
            entry[1], "language", f'"{written}" is not a language tag; write one like en, de or ru'
        )
    found = languages.catalogue_tag(written)
    if found is None:
        raise doc.fail(entry[1], "language", languages.missing_catalogue(written))
    languages.get(found)  # a broken catalogue is refused here, naming its file
    return found


def _sounds(doc: Doc, entry: Entry) -> dict[str, str]:
    """Own WAV/MP3 files for the step, cue and end sounds, relative to the routine file."""
    if entry[0] is INVALID:
        raise Skip
    found = doc.mapping(entry[1], "sounds", required=(), optional=SOUND_KEYS)
    out: dict[str, str] = {}
    for name, item in found.items():
        where = f"sounds.{name}"
        written = doc.attempt(
            doc.text,
            item,
            where,
            default="",
            spoken=False,
            empty="write the path of a WAV or MP3 file, or leave it out for the usual sound",
        )
        if written:
            target = doc.attempt(_sound_path, doc, item, where, written, default=None)
            if target is not None:
                out[name] = str(target)
    return out


def _sound_path(doc: Doc, item: Entry, where: str, written: str) -> Path:
    """A sound file in the routine's folder or below it, symlinks followed.

    A stranger's routine must not reach past its own folder: ``/home/you/voice-memo.m4a`` or
    ``../../private.wav`` would put one of your files into the track they asked you to build.
    """
    folder = Path(doc.path).parent
    inside = " name a file in the routine's folder or below it, such as sounds/gong.wav"
    if Path(written).is_absolute():
        raise doc.fail(item[1], where, f"{written}: is an absolute path;{inside}")
    try:
        target = (folder / written).resolve()
    except RuntimeError:  # a symlink loop: no file at its end
        target = None
    if target is not None and not target.is_relative_to(folder.resolve()):
        raise doc.fail(item[1], where, f"{written}: leads outside the routine's folder;{inside}")
    if target is None or not target.is_file():
        raise doc.fail(item[1], where, f"{folder / written}: no such sound file")
    return target


def _voice(doc: Doc, entry: Entry) -> str:
    """A voice name, or a Piper voice's .onnx file relative to the routine file."""
    written = doc.text(
        entry,
        "voice",
        spoken=False,
        empty="write a voice's name (see `voiceguide voices`), or leave it out for the default",
    )
    if written.lower().endswith(".onnx") and not Path(written).expanduser().is_absolute():
        return str(Path(doc.path).parent / written)
    return written


_WORD = re.compile(r"^[^\W\d_]+(?:['\u2019-][^\W\d_]+)*(?: [^\W\d_]+(?:['\u2019-][^\W\d_]+)*)*$")


def _pronounce(doc: Doc, entry: Entry) -> dict[str, str]:
    """word -> respelling: what the speech engine is given instead of the word."""
    value, node = entry
    if value is INVALID:
        raise Skip
    if not isinstance(value, dict):
        raise doc.fail(node, "pronounce", "must be a mapping of word to respelling, such as coccyx: coxix")  # fmt: skip
    out: dict[str, str] = {}
    for word, item in value.items():
        where = f"pronounce.{word}"
        if not _WORD.match(str(word)):
            doc.report(item[1], where, "the key must be a word (letters, ' or -), such as coccyx")
            continue
        said = doc.attempt(doc.text, item, where, default="", empty=f'write how to say "{word}"')
        if said:
            out[str(word)] = said
    return out


def _rest(doc: Doc, entry: Entry) -> Rest | None:
    if entry[0] is INVALID:
        raise Skip
    found = doc.mapping(entry[1], "rest", required=("duration", "say"), optional=())
    duration = doc.attempt(doc.duration, found["duration"], "rest.duration", default=None) if "duration" in found else None  # fmt: skip
    say = doc.attempt(doc.text, found["say"], "rest.say", default=None) if "say" in found else None  # fmt: skip
    return None if duration is None or say is None else Rest(duration_ms=duration, say=say)
