"""Place the words on the plan's timeline: every sentence and sound at its exact time.

A pure step: given the narration, the fitted plan and how long each sentence
takes to say, ``place`` lays sentences, chimes and pauses on the timeline.
``needs`` gives the planner the shortest each part can be.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from ..narration.render import (
    HEADS_UP_MS,
    PARAGRAPH_PAUSE_MS,
    Cue,
    Narration,
    PartText,
    Sentence,
)
from ..routine.durations import format_duration, format_human
from .plan import Part, Plan

# Gaps on the timeline, in milliseconds.
CHIME_TO_SPEECH_MS = 1200  # speech starts after the bell has rung (the built-in one is gone)
REMINDER_TO_SPEECH_MS = 600  # and after a reminder's lighter tone
SOUND_TO_SPEECH_MS = 150  # and never sooner than this after a sound ends (a longer one waits)
TAIL_SILENCE_MS = 1000  # the second before every part's end stays silent

EventKind = Literal["speech", "sound"]


@dataclass(frozen=True)
class Event:
    """One event on the timeline: a sentence spoken, or a sound played."""

    start_ms: int
    end_ms: int
    kind: EventKind
    text: str  # the sentence, or the sound's name
    part_id: str


@dataclass(frozen=True)
class Script:
    plan: Plan
    events: tuple[Event, ...]
    warnings: tuple[str, ...] = ()  # reminders that gave way, for the user to see

    @property
    def speech(self) -> tuple[Event, ...]:
        return tuple(e for e in self.events if e.kind == "speech")


Lengths = Callable[[str], int]


def _speaking_ms(sentences: tuple[Sentence, ...], lengths: Lengths) -> int:
    return sum(lengths(s.text) + s.pause_after_ms for s in sentences)


def opening_offset(part: PartText, sound_ms: Mapping[str, int] | None = None) -> int:
    """Where speech starts inside a part: after its chime, once the chime has died away
    (``sound_ms``: the sounds' lengths; each ends where it can no longer be heard)."""
    return _after_sound(part.sound, CHIME_TO_SPEECH_MS, sound_ms)


def _reminder_gap(reminder: Cue, sound_ms: Mapping[str, int] | None = None) -> int:
    return _after_sound(reminder.sound, REMINDER_TO_SPEECH_MS, sound_ms)


def _after_sound(sound: str | None, gap_ms: int, sound_ms: Mapping[str, int] | None) -> int:
    """From a sound's start to its words: ``gap_ms``, or longer for a sound still ringing then."""
    if not sound:
        return 0
    return max(gap_ms, (sound_ms or {}).get(sound, 0) + SOUND_TO_SPEECH_MS)


class Needs(dict[str, int]):
    """The shortest each part can be, and what holds it there (for messages).

    ``why[part_id]`` is ``"words"`` (its opening words and chime) or
    ``"cue N"`` (its N-th reminder anchored to the start, counted from 0).
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.why: dict[str, str] = {}


def needs(
    narration: Narration, lengths: Lengths, sound_ms: Mapping[str, int] | None = None
) -> Needs:
    """The shortest each part can be: its opening words, the reminders anchored
    to its start, its opening sound, and the silent second before the next part
    (``sound_ms``: the sounds' lengths; without them, sounds are taken as done by the
    time their words start, as the built-in step bell and reminder tone are)."""
    out = Needs()
    for part_id, part in narration.parts.items():
        # the words wait for the part's sound to die away (``opening_offset``)
        end = opening_offset(part, sound_ms) + _speaking_ms(part.opening, lengths)
        opening_end = end
        why = "words"
        for index, r in enumerate(part.cues):
            if r.anchor == "start":
                at = _follow_on(r, r.offset_ms, opening_end)
                reaches = at + _reminder_ms(r, lengths, sound_ms or {})
                if reaches > end:
                    end, why = reaches, f"cue {index}"
        out[part_id] = max(part.min_ms, end + max(TAIL_SILENCE_MS, part.hold_ms))
        out.why[part_id] = why
    return out


def place(
    narration: Narration,
    plan: Plan,
    lengths: Lengths,
    sound_ms: Mapping[str, int],
    *,
    max_silence_ms: int | None = None,
) -> Script:
    """Every sentence and sound at its exact time.

    Reminders keep their meaning as a part stretches (``half`` at the half,
    ``-1m`` a minute before the end) and are taken in time order. One that
    would start before the sounds and words ahead of it are over, or ring
    into the silent last second of its part, is left out with a warning: it
    never overlaps another cue or crosses into the next part. With
    ``max_silence_ms``, a step's ``reminders:`` lines fill every silence
    longer than that (see ``fill_silences``).
    """
    events: list[Event] = []
    warnings: list[str] = list(plan.warnings)
    for part in plan.parts:
        text = narration.parts[part.id]
        if text.sound:
            sound_end = part.start_ms + sound_ms[text.sound]
            events.append(Event(part.start_ms, sound_end, "sound", text.sound, part.id))
        clock = part.start_ms + opening_offset(text, sound_ms)  # after the sound has died away
        busy_until = _say(text.opening, clock, lengths, part.id, events)
        timed = sorted(
            ((_anchor_time(r, part.start_ms, part.end_ms), i, r) for i, r in enumerate(text.cues)),
        )
        for anchored, _, reminder in timed:
            at = _follow_on(reminder, anchored, busy_until)
            if at < busy_until:  # crowded out: its length is not asked (nor spoken)
                warnings.append(_left_out(part, reminder, crowded=part.start_ms <= anchored))
                continue
            end = at + _reminder_ms(reminder, lengths, sound_ms)
            if end > part.end_ms - TAIL_SILENCE_MS:
                warnings.append(_left_out(part, reminder, crowded=False))
                continue
            if reminder.sound:
                events.append(
                    Event(at, at + sound_ms[reminder.sound], "sound", reminder.sound, part.id)
                )
            gap = _reminder_gap(reminder, sound_ms)
            _say(reminder.sentences, at + gap, lengths, part.id, events)
            busy_until = end
        if max_silence_ms is not None and part.kind == "step":
            warnings += fill_silences(part, text, events, lengths, max_silence_ms)
    events.sort(key=lambda e: (e.start_ms, e.kind != "sound"))
    return Script(plan=plan, events=tuple(events), warnings=tuple(warnings))


def measured_by_needs(narration: Narration, sound_ms: Mapping[str, int]) -> list[str]:
    """The sentences ``needs`` sums, before any is measured (their lengths do not change
    which it asks for): what to speak, side by side, before measuring these words."""
    return asked(narration, lambda _: 0, sound_ms)


def asked(
    narration: Narration,
    lengths: Lengths,
    sound_ms: Mapping[str, int],
    plan: Plan | None = None,
    *,
    max_silence_ms: int | None = None,
) -> list[str]:
    """The sentences whose lengths ``needs`` (and ``place``, given the plan) ask for, each
    once: what must be spoken before fitting and placing these words, and no more (a step's
    reminder lines are said only where its silences need them). ``lengths`` may guess
    sentences not spoken yet; where the guess is wrong, a placement asks for others.
    """
    seen: dict[str, None] = {}

    def record(text: str) -> int:
        seen.setdefault(text)
        return lengths(text)

    needs(narration, record, sound_ms)
    if plan is not None:
        place(narration, plan, record, sound_ms, max_silence_ms=max_silence_ms)
    return list(seen)


def fill_silences(
    part: Part, text: PartText, events: list[Event], lengths: Lengths, max_silence_ms: int
) -> list[str]:
    """Say the step's reminder lines, in turn, inside every silence longer than the limit.

    The lines come from the routine file; only their times are chosen here:
    in each silence as few lines as keep every stretch of it within
    ``max_silence_ms``, evenly spaced. A silence with no lines to fill it is
    a warning naming the step, and so are lines that had to be said twice.
    """
    lines = text.reminders
    warnings: list[str] = []
    turn = 0
    for gap_start, gap_end in silences(part, [e for e in events if e.part_id == part.id]):
        span = gap_end - gap_start
        if span <= max_silence_ms:
            continue
        if not lines:
            warnings.append(
                f"{part.id}: {format_duration(span)} without a word; add reminders: "
                "to the step, or shorten it"
            )
            continue
        count = 0
        while True:
            count += 1
            said = [_speaking_ms(lines[(turn + i) % len(lines)], lengths) for i in range(count)]
            stretch = (span - TAIL_SILENCE_MS - sum(said)) // (count + 1)
            if stretch + TAIL_SILENCE_MS + count <= max_silence_ms or stretch <= 0:
                break
        if stretch <= 0:
            warnings.append(f"{part.id}: the reminders do not fit in {format_duration(span)}")
            continue
        clock = gap_start
        for length in said:
            clock += stretch
            _say(lines[turn % len(lines)], clock, lengths, part.id, events)
            clock += length
            turn += 1
    if turn > len(lines):
        warnings.append(
            f"{part.id}: its {len(lines)} reminder lines run out, and some are said again to "
            f"keep every silence under {format_duration(max_silence_ms)}; add reminders: to "
            "the step, or give a longer --max-silence"
        )
    return warnings


def silences(part: Part, events: list[Event]) -> list[tuple[int, int]]:
    """The stretches inside a part with no sound and no speech, from its start to its end."""
    out: list[tuple[int, int]] = []
    clock = part.start_ms
    for event in sorted(events, key=lambda e: e.start_ms):
        if event.start_ms > clock:
            out.append((clock, event.start_ms))
        clock = max(clock, event.end_ms)
    if part.end_ms > clock:
        out.append((clock, part.end_ms))
    return out


def longest_silences(script: Script) -> dict[str, int]:
    """Each step's longest stretch without a sound or a word, in milliseconds."""
    out: dict[str, int] = {}
    for part in script.plan.steps:
        own = [e for e in script.events if e.part_id == part.id]
        out[part.id] = max((end - start for start, end in silences(part, own)), default=0)
    return out


def _follow_on(reminder: Cue, at: int, busy_until: int) -> int:
    """Words with no tone of their own (the intro's body) wait for the words before them."""
    if reminder.sound is None and at < busy_until + PARAGRAPH_PAUSE_MS:
        return busy_until + PARAGRAPH_PAUSE_MS
    return at


def _reminder_ms(reminder: Cue, lengths: Lengths, sound_ms: Mapping[str, int]) -> int:
    """From a reminder's tone to the end of its words, which wait for the tone to die away."""
    return _reminder_gap(reminder, sound_ms) + _speaking_ms(reminder.sentences, lengths)


def _say(
    sentences: tuple[Sentence, ...], clock: int, lengths: Lengths, part_id: str, out: list[Event]
) -> int:
    for s in sentences:
        length = lengths(s.text)
        out.append(Event(clock, clock + length, "speech", s.text, part_id))
        clock += length + s.pause_after_ms
    return clock


def _anchor_time(reminder: Cue, start: int, end: int) -> int:
    if reminder.anchor == "half":
        return start + (end - start) // 2
    if reminder.anchor == "end":
        return end - reminder.offset_ms
    return start + reminder.offset_ms


def _left_out(part: Part, reminder: Cue, *, crowded: bool) -> str:
    """A reminder that gave way, in the user's terms: the step by its title, the heads-up
    by its name, a cue by the ``at:`` the user wrote."""
    where = f'step {part.number} "{part.title}"' if part.number else part.title
    what = (
        f'the heads-up {format_human(HEADS_UP_MS)} before its end ("{_first_words(reminder)}")'
        if reminder.heads_up
        else f'the cue at {_describe(reminder)} ("{_first_words(reminder)}")'
    )
    length = format_human(part.length_ms)
    why = (
        f"would overlap the words before it in its {length}"
        if crowded
        else (f"does not fit in its {length}")
    )
    return f"{where}: {what} {why}, so it is left out"


def _first_words(reminder: Cue, limit: int = 40) -> str:
    text = reminder.sentences[0].text if reminder.sentences else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(reminder: Cue) -> str:
    if reminder.anchor == "half":
        return "half"
    sign = "-" if reminder.anchor == "end" else ""
    return sign + format_duration(reminder.offset_ms)


def to_document(script: Script) -> dict[str, object]:
    """The plan and every event, as the JSON beside the track holds them."""
    plan = script.plan
    return {
        "routine": plan.routine_id,
        "title": plan.title,
        "total_ms": plan.total_ms,
        "parts": [
            {
                "id": p.id,
                "kind": p.kind,
                "title": p.title,
                "number": p.number,
                "start_ms": p.start_ms,
                "end_ms": p.end_ms,
            }
            for p in plan.parts
        ],
        "events": [
            {
                "part": e.part_id,
                "kind": e.kind,
                "start_ms": e.start_ms,
                "end_ms": e.end_ms,
                "text": e.text,
            }
            for e in script.events
        ],
    }
