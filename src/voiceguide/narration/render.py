"""Turn a routine into words: every part's text, rendered and split into sentences.

A pure step. ``narrate`` renders every part's text through Jinja's sandbox
(routine files may come from strangers) and splits it into sentences: the
words do not depend on times, so they can be measured before the plan is
fitted (``timeline.place`` lays them on it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..errors import RoutineError
from ..routine.model import INTRO_ID, OUTRO_ID, REST_ID, Anchor, ReminderSpec, Routine
from ..routine.schema import MAX_TEXT_CHARS, unspeakable
from .sandbox import ACCEPTED, refused_construct

# Pauses that belong to the words, in milliseconds.
SENTENCE_PAUSE_MS = 650  # room to breathe: about 150 words a minute with the pauses
PARAGRAPH_PAUSE_MS = 1200
LEAD_IN_MS = 6000  # from "get ready" to the first instruction: its words at 150 wpm, then a pause
HEADS_UP_MS = 30_000  # before a step ends, the next one is named
HEADS_UP_WORDS = "Thirty seconds"  # HEADS_UP_MS as said


@dataclass(frozen=True)
class Sentence:
    text: str
    pause_after_ms: int


@dataclass(frozen=True)
class Reminder:
    """Words said inside a part at a point anchored to its start, half or end."""

    anchor: Anchor
    offset_ms: int
    sentences: tuple[Sentence, ...]
    sound: str | None = "cue"


@dataclass(frozen=True)
class PartText:
    part_id: str
    sound: str | None  # played at the part's start
    opening: tuple[Sentence, ...]  # said right after it
    reminders: tuple[Reminder, ...] = ()
    min_ms: int = 0  # the part is never shorter (the intro's lead-in)


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
            for r in part.reminders:
                for s in r.sentences:
                    seen.setdefault(s.text)
        return list(seen)


# ---------------------------------------------------------------- rendering

_ENV = ImmutableSandboxedEnvironment(
    undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False
)


def _builtin(name: str) -> jinja2.Template:
    text = (
        resources.files("voiceguide.narration")
        .joinpath("templates", name)
        .read_text(encoding="utf-8")
    )
    return _ENV.from_string(text)


def render(template: str, context: Mapping[str, object], *, routine: Routine, field: str) -> str:
    """Render one of the routine's own texts; template faults become routine errors
    naming the file and line the words came from (the routine's, or an included part's)."""
    path, line, shown = routine.where(field)

    def fault(message: str) -> RoutineError:
        return RoutineError(message, path=path, line=line, field=shown)

    refused = refused_construct(_ENV, template)
    if refused:
        raise fault(f"template refused: {refused}; {ACCEPTED}")
    try:
        out = _ENV.from_string(template).render(**context)
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


def split_sentences(text: str) -> tuple[Sentence, ...]:
    """Sentences with the pause after each: short between sentences, longer between paragraphs."""
    out: list[Sentence] = []
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    for p_index, paragraph in enumerate(paragraphs):
        flat = " ".join(paragraph.split())
        pieces = [s.strip() for s in _SENTENCE_END.split(flat) if s.strip()]
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
    lead_in_ms: int = LEAD_IN_MS,
    heads_up: bool = True,
    rest: bool = True,
) -> Narration:
    """Render every part's words (sandboxed), split into sentences, untimed.

    The intro opens with "get ready" at 0 and gives its first instruction at
    ``lead_in_ms``, so the listener has time to lay the phone down. With
    ``heads_up``, each step ends with a reminder HEADS_UP_MS before its end
    naming what comes next, so hands can finish the movement. ``place``
    takes it like any reminder, in time order: where a routine cue before it
    is still speaking, or the step is too short, it gives way with a warning. ``rest=False``
    drops the routine's rest (``--rest 0``).
    """
    has_rest = rest and routine.rest is not None
    base = {
        "routine": {
            "title": routine.title,
            "audience": routine.audience,
            "steps": len(routine.steps),
        },
    }
    parts: dict[str, PartText] = {}
    body: tuple[Reminder, ...] = ()
    if intro:
        said = [
            render(t, base, routine=routine, field=f"intro[{i}]")
            for i, t in enumerate(routine.intro)
        ]
        checklist = [
            render(t, base, routine=routine, field=f"contraindications[{i}]")
            for i, t in enumerate(routine.contraindications)
        ]
        intro_text = _builtin("intro.j2").render(
            title=routine.title, intro=said, contraindications=checklist
        )
        body = (Reminder("start", lead_in_ms, split_sentences(intro_text), sound=None),)
    get_ready = split_sentences(_builtin("get_ready.j2").render(title=routine.title))
    parts[INTRO_ID] = PartText(INTRO_ID, None, get_ready, body, min_ms=lead_in_ms)

    announce = _builtin("step.j2")
    heads_up_template = _builtin("heads_up.j2")
    for number, step in enumerate(routine.steps, start=1):
        where = f"steps[{number - 1}]"
        following = routine.steps[number] if number < len(routine.steps) else None
        context = {
            **base,
            "step": {"id": step.id, "title": step.title, "number": number},
            "next": {"title": following.title if following else ""},
        }
        header = announce.render(number=number, total=len(routine.steps), title=step.title)
        body = render(step.say, context, routine=routine, field=f"{where}.say")
        reminders = tuple(
            _reminder(
                cue, render(cue.say, context, routine=routine, field=f"{where}.cues[{i}].say")
            )
            for i, cue in enumerate(step.reminders)
        )
        if heads_up:
            words = heads_up_template.render(
                left=HEADS_UP_WORDS, next=following.title if following else "", rest=has_rest
            )
            reminders += (Reminder("end", HEADS_UP_MS, split_sentences(words)),)
        parts[step.id] = PartText(
            step.id, "step", _join(split_sentences(header), split_sentences(body)), reminders
        )
    if routine.rest and has_rest:
        rest_words = render(routine.rest.say, base, routine=routine, field="rest.say")
        parts[REST_ID] = PartText(REST_ID, "end", split_sentences(rest_words))
    # With the rest dropped (--rest 0) the closing words must not say it is over.
    outro = (
        render(routine.outro, base, routine=routine, field="outro")
        if routine.outro
        else _builtin("outro.j2").render(rest=has_rest)
    )
    parts[OUTRO_ID] = PartText(OUTRO_ID, "end", split_sentences(outro))
    return Narration(routine_id=routine.id, parts=parts)


def _reminder(cue: ReminderSpec, words: str) -> Reminder:
    return Reminder(cue.anchor, cue.offset_ms, split_sentences(words))
