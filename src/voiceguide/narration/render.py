"""Turn a routine into words: every part's text, rendered and split into sentences.

A pure step. ``narrate`` renders every part's text through Jinja's sandbox
(routine files may come from strangers) and splits it into sentences: the
words do not depend on times, so they can be measured before the plan is
fitted (``timeline.place`` lays them on it).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

import jinja2

from .. import languages
from ..errors import RoutineError
from ..languages import Language
from ..routine.characters import unspeakable
from ..routine.model import (
    INTRO_ID,
    MIN_REST_MS,
    OUTRO_ID,
    REST_ID,
    Anchor,
    CueSpec,
    Routine,
)
from ..routine.schema import MAX_TEXT_CHARS
from .lengths import spoken_length
from .sandbox import ACCEPTED, BoundedSandbox, TooLong, refused_construct

# Pauses that belong to the words, in milliseconds.
SENTENCE_PAUSE_MS = 650  # room to breathe: about 150 words a minute with the pauses
PARAGRAPH_PAUSE_MS = 1200
LEAD_IN_MS = 6000  # from "get ready" to the first instruction: its words at 150 wpm, then a pause
HEADS_UP_MS = 30_000  # before a step ends, the next one is named


@dataclass(frozen=True)
class Sentence:
    text: str
    pause_after_ms: int


@dataclass(frozen=True)
class Cue:
    """Words said inside a part at a point anchored to its start, half or end."""

    anchor: Anchor
    offset_ms: int
    sentences: tuple[Sentence, ...]
    sound: str | None = "reminder"
    heads_up: bool = False  # the built-in heads-up, not a reminder the user wrote


@dataclass(frozen=True)
class PartText:
    part_id: str
    sound: str | None  # played at the part's start
    opening: tuple[Sentence, ...]  # said right after it
    cues: tuple[Cue, ...] = ()
    min_ms: int = 0  # the part is never shorter (the intro's lead-in)
    hold_ms: int = 0  # silence kept after the words (the intro's time to get ready)
    # a step's `reminders:` lines, said in turn where it would be silent too long
    reminders: tuple[tuple[Sentence, ...], ...] = ()


@dataclass(frozen=True)
class Narration:
    routine_id: str
    parts: Mapping[str, PartText]

    def sentences(self) -> list[str]:
        """Every distinct sentence, in order: what the speech engine must say."""
        seen: dict[str, None] = {}
        for part in self.parts.values():
            for s in part.opening:
                seen.setdefault(s.text)
            for r in part.cues:
                for s in r.sentences:
                    seen.setdefault(s.text)
            for line in part.reminders:
                for s in line:
                    seen.setdefault(s.text)
        return list(seen)


# ---------------------------------------------------------------- rendering

_ENV = BoundedSandbox(
    undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False
)


@functools.lru_cache(maxsize=2048)
def _refused(template: str) -> str | None:
    return refused_construct(_ENV, template)


@functools.lru_cache(maxsize=2048)
def _compiled(template: str) -> jinja2.Template:
    """A text compiled once per process: `check` and `build` narrate a routine more than
    once, and compiling is most of what rendering costs."""
    return _ENV.from_string(template)


_MARKUP = ("{{", "{%", "{#")
_LINE_END = re.compile(r"\r\n|\r|\n")


def plain(template: str) -> str | None:
    """What a text with no Jinja markup renders to, without parsing or compiling it (most
    of a routine's texts are plain, and compiling them was most of `check`'s own time);
    None for a text with markup. Jinja writes each line end as "\\n" and drops one at
    the very end (``keep_trailing_newline=False``), so this does too."""
    if any(mark in template for mark in _MARKUP):
        return None
    lines = _LINE_END.split(template)
    if lines[-1] == "":
        del lines[-1]
    return "\n".join(lines)


def render(template: str, context: Mapping[str, object], *, routine: Routine, field: str) -> str:
    """Render one of the routine's own texts; template faults become routine errors
    naming the file and line the words came from (the routine's, or an included part's)."""

    def fault(message: str) -> RoutineError:
        return routine.error(field, message)

    out = plain(template)
    refused = None if out is not None else _refused(template)
    if refused:
        raise fault(f"template refused: {refused}; {ACCEPTED}")
    try:
        out = _compiled(template).render(**context) if out is None else out
    except TooLong as exc:
        raise fault(f"template refused: {exc}") from None
    except RecursionError:  # compiling or rendering expressions nested hundreds deep
        raise fault(f"template refused: expressions nested too deeply; {ACCEPTED}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise fault(f"template error: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        names = ", ".join(sorted(context))
        raise fault(f"template error: {exc.message}; names you can use: {names}") from None
    except jinja2.exceptions.SecurityError as exc:
        names = ", ".join(sorted(context))
        raise fault(
            f"template refused: {str(exc).rstrip('.')}; a template may use only {names} "
            "and their fields"
        ) from None
    except (TypeError, ValueError, ArithmeticError, AttributeError, LookupError) as exc:
        raise fault(f"template error: {exc}") from None
    if not out.strip():
        raise fault("renders to no words; write something to say")
    if len(out) > MAX_TEXT_CHARS:
        raise fault(f"renders to {len(out)} characters; a text can have at most {MAX_TEXT_CHARS}")
    for sentence in split_sentences(out, routine.language):
        why = unspeakable(sentence.text)
        if why:
            raise fault(f"has a sentence that {why}")
    return out


_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=\S)")


@functools.cache
def _abbreviation_end(tag: str) -> re.Pattern[str]:
    """Text ending in one of the language's abbreviations, or a leading part of one written
    with spaces ("z." of "z. B."): words written with a full stop that never end a sentence
    ("approx. 2 minutes", "z. B. Öl"). Others ("min.", "etc.") end one unless a lowercase
    word or a digit follows."""
    endings: set[str] = set()
    for written in languages.get(tag).abbreviations:
        words = written.rstrip(".").split()
        for n in range(1, len(words) + 1):
            endings.add(r"\s*".join(re.escape(w.rstrip(".")) + r"\." for w in words[:n]))
    alternatives = "|".join(sorted(endings, key=len, reverse=True))
    return re.compile(rf"(?:^|[\s(«„\"'])(?:{alternatives})$", re.IGNORECASE)


def _ends_sentence(before: str, after: str, tag: str) -> bool:
    """Whether the break between ``before`` and ``after`` ends a sentence.

    A full stop after one of the language's abbreviations, or one followed
    by a lowercase word or a digit, is inside a sentence.
    """
    if not before.endswith("."):
        return True
    if _abbreviation_end(tag).search(before):
        return False
    first = after[:1]
    return not (first.islower() or first.isdigit())


def _sentences_in(flat: str, tag: str) -> list[str]:
    pieces = [s.strip() for s in _SENTENCE_END.split(flat) if s.strip()]
    out: list[str] = []
    for piece in pieces:
        if out and not _ends_sentence(out[-1], piece, tag):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def split_sentences(text: str, language: str = languages.DEFAULT) -> tuple[Sentence, ...]:
    """Sentences with the pause after each: short between sentences, longer between paragraphs.
    ``language``: whose abbreviations do not end a sentence."""
    out: list[Sentence] = []
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    for p_index, paragraph in enumerate(paragraphs):
        pieces = _sentences_in(" ".join(paragraph.split()), language)
        for s_index, sentence in enumerate(pieces):
            last_in_paragraph = s_index == len(pieces) - 1
            is_last = last_in_paragraph and p_index == len(paragraphs) - 1
            pause = 0 if is_last else PARAGRAPH_PAUSE_MS if last_in_paragraph else SENTENCE_PAUSE_MS
            out.append(Sentence(sentence, pause))
    return tuple(out)


def _join(*blocks: tuple[Sentence, ...]) -> tuple[Sentence, ...]:
    """Concatenate sentence blocks with a paragraph pause between them."""
    out: list[Sentence] = []
    for block in blocks:
        if not block:
            continue
        if out:
            out[-1] = Sentence(out[-1].text, PARAGRAPH_PAUSE_MS)
        out.extend(block)
    return tuple(out)


def narrate(
    routine: Routine,
    *,
    intro: bool = True,
    checklist: bool = True,
    lead_in_ms: int = LEAD_IN_MS,
    heads_up: bool = True,
    rest: bool = True,
    lengths: Mapping[str, int] | None = None,
    pause_ms: int = 0,
    reminders: bool = True,
) -> Narration:
    """Render every part's words (sandboxed), split into sentences, untimed.

    The intro opens with "get ready" at 0 and gives its first instruction at
    ``lead_in_ms``: the title, the checklist and the cautions (kept with
    ``intro=False`` unless ``checklist=False`` too), then the preparation and
    ``pause_ms`` of silence to do it, which the bell of step 1 ends. With
    ``heads_up``, each step ends with a reminder HEADS_UP_MS before its end
    naming what comes next, so hands can finish the movement. ``place``
    takes it like any reminder, in time order: where a routine cue before it
    is still speaking, or the step is too short, it gives way with a warning. ``rest=False``
    drops the routine's rest (``--rest 0``). ``lengths`` (part id to
    milliseconds, from a fitted plan) are what the words say about time;
    without them the routine's defaults are said (see ``timeline.fit``).
    With ``reminders``, each step carries its ``reminders:`` lines for the
    timeline to say where the step would otherwise be silent too long.
    """
    has_rest = rest and routine.rest is not None
    lang = languages.get(routine.language)
    tag = lang.tag

    def length_of(ms: int) -> str:
        return spoken_length(ms, lang)

    def split(text: str) -> tuple[Sentence, ...]:
        return split_sentences(text, tag)

    said = dict(lengths) if lengths is not None else default_lengths(routine, rest=has_rest)
    massage_ms = sum(said.get(s.id, s.duration_ms) for s in routine.steps)
    base: dict[str, object] = {
        "routine": {
            "title": routine.title,
            "audience": routine.audience,
            "steps": len(routine.steps),
            "person": routine.person,
            "position": routine.position,
            # the shared preparation's couch and sheet are for one who lies down
            "lying": not any(w in routine.position.lower() for w in ("sit", "chair", "stand")),
            "length": length_of(massage_ms),
        },
        "rest": {"length": length_of(said[REST_ID]) if has_rest and REST_ID in said else ""},
    }
    parts: dict[str, PartText] = {}
    body: tuple[Cue, ...] = ()
    hold = pause_ms if intro and routine.intro else 0  # time to do what the intro asked
    if intro or checklist:
        words = _intro_words(routine, base, lang, intro=intro, checklist=checklist, pause_ms=hold)
        body = (Cue("start", lead_in_ms, split(words), sound=None),)
    get_ready = split(lang.say("get_ready"))
    parts[INTRO_ID] = PartText(INTRO_ID, None, get_ready, body, min_ms=lead_in_ms, hold_ms=hold)

    heads_up_left = length_of(HEADS_UP_MS)
    for number, step in enumerate(routine.steps, start=1):
        where = f"steps[{number - 1}]"
        following = routine.steps[number] if number < len(routine.steps) else None
        length = length_of(said.get(step.id, step.duration_ms))
        context = {
            **base,
            "step": {"id": step.id, "title": step.title, "number": number, "length": length},
            "next": {"title": following.title if following else ""},
        }
        header = lang.say(
            "step", number=number, total=len(routine.steps), title=step.title, length=length
        )
        words_of_step = render(step.say, context, routine=routine, field=f"{where}.say")
        timed = tuple(
            _cue(
                cue,
                render(cue.say, context, routine=routine, field=f"{where}.cues[{i}].say"),
                tag,
            )
            for i, cue in enumerate(step.cues)
        )
        if heads_up:
            if following:
                words = lang.say("heads_up_next", left=heads_up_left, next=following.title)
            else:
                words = lang.say(
                    "heads_up_rest" if has_rest else "heads_up_end", left=heads_up_left
                )
            timed += (Cue("end", HEADS_UP_MS, split(words), heads_up=True),)
        lines = tuple(
            split(render(line, context, routine=routine, field=f"{where}.reminders[{i}]"))
            for i, line in enumerate(step.reminders if reminders else ())
        )
        parts[step.id] = PartText(
            step.id, "step", _join(split(header), split(words_of_step)), timed, reminders=lines
        )
    if routine.rest and has_rest:
        rest_words = render(routine.rest.say, base, routine=routine, field="rest.say")
        parts[REST_ID] = PartText(REST_ID, "end", split(rest_words))
    # With the rest dropped (--rest 0) the closing words must not say it is over; after a rest
    # shorter than the article's, they say how long it should have been (as --rest 0 does).
    if routine.outro:
        outro = render(routine.outro, base, routine=routine, field="outro")
    elif has_rest and said.get(REST_ID, MIN_REST_MS) < MIN_REST_MS:
        outro = lang.say(
            "outro_after_short_rest", person=routine.person, at_least=length_of(MIN_REST_MS)
        )
    elif has_rest:
        outro = lang.say("outro_after_rest", person=routine.person)
    else:
        outro = lang.say("outro", person=routine.person, at_least=length_of(MIN_REST_MS))
    parts[OUTRO_ID] = PartText(OUTRO_ID, "end", split(outro))
    return Narration(routine_id=routine.id, parts=parts)


def default_lengths(routine: Routine, *, rest: bool = True) -> dict[str, int]:
    """What the words say before a plan is fitted: each step's and the rest's own length."""
    out = {s.id: s.duration_ms for s in routine.steps}
    if rest and routine.rest is not None:
        out[REST_ID] = routine.rest.duration_ms
    return out


def _intro_words(
    routine: Routine,
    base: Mapping[str, object],
    lang: Language,
    *,
    intro: bool,
    checklist: bool,
    pause_ms: int,
) -> str:
    """Title, checklist and cautions first, then the preparation and the time to do it: one
    paragraph each, each checklist item a sentence of its own."""

    def texts(name: str) -> list[str]:
        return [
            render(t, base, routine=routine, field=f"{name}[{i}]")
            for i, t in enumerate(getattr(routine, name))
        ]

    paragraphs = [lang.say("title", title=routine.title)]
    items = texts("contraindications") if checklist else []
    if items:
        # a child's checklist is said to the parent, before the child lies down
        child = routine.audience == "child"
        paragraphs.append(lang.say("checklist_before_child" if child else "checklist_before"))
        paragraphs += [_as_sentence(item) for item in items]
        paragraphs.append(lang.say("checklist_after"))
    paragraphs += texts("cautions") if checklist else []
    paragraphs += texts("intro") if intro else []
    if pause_ms > 0:
        paragraphs.append(lang.say("pause", pause=spoken_length(pause_ms, lang)))
    return "\n\n".join(paragraphs)


def _as_sentence(item: str) -> str:
    """A checklist item said as a sentence: a capital first, a full stop last."""
    ending = "" if item[-1:] in ".!?" else "."
    return f"{item[:1].upper()}{item[1:]}{ending}"


def _cue(cue: CueSpec, words: str, tag: str) -> Cue:
    return Cue(cue.anchor, cue.offset_ms, split_sentences(words, tag))
