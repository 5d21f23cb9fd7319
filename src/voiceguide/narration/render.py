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
from importlib import resources

import jinja2

from ..errors import RoutineError
from ..routine.model import (
    INTRO_ID,
    MIN_REST_MS,
    OUTRO_ID,
    REST_ID,
    Anchor,
    CueSpec,
    Routine,
)
from ..routine.schema import MAX_TEXT_CHARS, unspeakable
from .lengths import spoken_length
from .sandbox import ACCEPTED, BoundedSandbox, TooLong, refused_construct

# Pauses that belong to the words, in milliseconds.
SENTENCE_PAUSE_MS = 650  # room to breathe: about 150 words a minute with the pauses
PARAGRAPH_PAUSE_MS = 1200
LEAD_IN_MS = 6000  # from "get ready" to the first instruction: its words at 150 wpm, then a pause
HEADS_UP_MS = 30_000  # before a step ends, the next one is named
HEADS_UP_WORDS = spoken_length(HEADS_UP_MS).capitalize()  # "Thirty seconds"


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


@functools.cache
def _builtin(name: str) -> jinja2.Template:
    text = (
        resources.files("voiceguide.narration")
        .joinpath("templates", name)
        .read_text(encoding="utf-8")
    )
    return _ENV.from_string(text)


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
    path, line, shown = routine.where(field)

    def fault(message: str) -> RoutineError:
        return RoutineError(
            message, path=path, line=line, field=shown, step_title=routine.step_title(field)
        )

    out = plain(template)
    refused = None if out is not None else _refused(template)
    if refused:
        raise fault(f"template refused: {refused}; {ACCEPTED}")
    try:
        out = _compiled(template).render(**context) if out is None else out
    except TooLong as exc:
        raise fault(f"template refused: {exc}") from None
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
    for sentence in split_sentences(out):
        why = unspeakable(sentence.text)
        if why:
            raise fault(f"has a sentence that {why}")
    return out


_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=\S)")
# Words written with a full stop that never end a sentence ("approx. 2 minutes"). Others
# ("min.", "etc.") end one unless a lowercase word or a digit follows.
ABBREVIATIONS = frozenset(
    {"approx", "ca", "cf", "dr", "e.g", "eg", "i.e", "ie", "incl", "mr", "mrs", "ms", "prof",
     "vs", "resp"}
)  # fmt: skip


def _ends_sentence(before: str, after: str) -> bool:
    """Whether the break between ``before`` and ``after`` ends a sentence.

    A full stop after a known abbreviation, or one followed by a lowercase
    word or a digit, is inside a sentence.
    """
    if not before.endswith("."):
        return True
    if before.rsplit(maxsplit=1)[-1].rstrip(".").lower() in ABBREVIATIONS:
        return False
    first = after[:1]
    return not (first.islower() or first.isdigit())


def _sentences_in(flat: str) -> list[str]:
    pieces = [s.strip() for s in _SENTENCE_END.split(flat) if s.strip()]
    out: list[str] = []
    for piece in pieces:
        if out and not _ends_sentence(out[-1], piece):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def split_sentences(text: str) -> tuple[Sentence, ...]:
    """Sentences with the pause after each: short between sentences, longer between paragraphs."""
    out: list[Sentence] = []
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    for p_index, paragraph in enumerate(paragraphs):
        pieces = _sentences_in(" ".join(paragraph.split()))
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
            "length": spoken_length(massage_ms),
        },
        "rest": {"length": spoken_length(said[REST_ID]) if has_rest and REST_ID in said else ""},
    }
    parts: dict[str, PartText] = {}
    body: tuple[Cue, ...] = ()
    hold = pause_ms if intro and routine.intro else 0  # time to do what the intro asked
    if intro or checklist:
        words = _intro_words(routine, base, intro=intro, checklist=checklist, pause_ms=hold)
        body = (Cue("start", lead_in_ms, split_sentences(words), sound=None),)
    get_ready = split_sentences(_builtin("get_ready.j2").render(title=routine.title))
    parts[INTRO_ID] = PartText(INTRO_ID, None, get_ready, body, min_ms=lead_in_ms, hold_ms=hold)

    announce = _builtin("step.j2")
    heads_up_template = _builtin("heads_up.j2")
    for number, step in enumerate(routine.steps, start=1):
        where = f"steps[{number - 1}]"
        following = routine.steps[number] if number < len(routine.steps) else None
        length = spoken_length(said.get(step.id, step.duration_ms))
        context = {
            **base,
            "step": {"id": step.id, "title": step.title, "number": number, "length": length},
            "next": {"title": following.title if following else ""},
        }
        header = announce.render(
            number=number, total=len(routine.steps), title=step.title, length=length
        )
        words_of_step = render(step.say, context, routine=routine, field=f"{where}.say")
        timed = tuple(
            _cue(cue, render(cue.say, context, routine=routine, field=f"{where}.cues[{i}].say"))
            for i, cue in enumerate(step.cues)
        )
        if heads_up:
            words = heads_up_template.render(
                left=HEADS_UP_WORDS, next=following.title if following else "", rest=has_rest
            )
            timed += (Cue("end", HEADS_UP_MS, split_sentences(words), heads_up=True),)
        lines = tuple(
            split_sentences(render(line, context, routine=routine, field=f"{where}.reminders[{i}]"))
            for i, line in enumerate(step.reminders if reminders else ())
        )
        parts[step.id] = PartText(
            step.id,
            "step",
            _join(split_sentences(header), split_sentences(words_of_step)),
            timed,
            reminders=lines,
        )
    if routine.rest and has_rest:
        rest_words = render(routine.rest.say, base, routine=routine, field="rest.say")
        parts[REST_ID] = PartText(REST_ID, "end", split_sentences(rest_words))
    # With the rest dropped (--rest 0) the closing words must not say it is over.
    outro = (
        render(routine.outro, base, routine=routine, field="outro")
        if routine.outro
        else _builtin("outro.j2").render(
            rest=has_rest, person=routine.person, at_least=spoken_length(MIN_REST_MS)
        )
    )
    parts[OUTRO_ID] = PartText(OUTRO_ID, "end", split_sentences(outro))
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
    *,
    intro: bool,
    checklist: bool,
    pause_ms: int,
) -> str:
    """Title, checklist and cautions first, then the preparation and the time to do it."""

    def texts(name: str) -> list[str]:
        return [
            render(t, base, routine=routine, field=f"{name}[{i}]")
            for i, t in enumerate(getattr(routine, name))
        ]

    return _builtin("intro.j2").render(
        title=routine.title,
        contraindications=texts("contraindications") if checklist else [],
        cautions=texts("cautions") if checklist else [],
        intro=texts("intro") if intro else [],
        pause=spoken_length(pause_ms) if pause_ms > 0 else "",
    )


def _cue(cue: CueSpec, words: str) -> Cue:
    return Cue(cue.anchor, cue.offset_ms, split_sentences(words))
