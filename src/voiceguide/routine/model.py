"""A routine as plain, validated values: what the narrator and the planner read.

Part ids are here too: the intro, the rest and the finish are parts of every
routine, named alike by the narration and the plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from ..errors import RoutineError, step_index

E = TypeVar("E", bound=RoutineError)
Anchor = Literal["start", "half", "end"]
Audience = Literal["adult", "child"]
AUDIENCES: tuple[Audience, ...] = ("adult", "child")
MIN_REST_MS = 15 * 60_000  # the article: lie under a blanket "for at least 15 minutes"

INTRO_ID = "intro"
REST_ID = "rest"
OUTRO_ID = "outro"

# Where a field's words were written: (file, line, field as written there).
Origin = tuple[str, int | None, str]


class RoutineProblems(RoutineError):
    """Several problems in one routine file; ``str()`` is the first, ``problems`` holds all."""

    def __init__(self, problems: list[RoutineError]) -> None:
        self.problems = problems
        first = problems[0]
        more = len(problems) - 1
        suffix = f" (and {more} more; `voiceguide check {first.path}` lists them)" if more else ""
        super().__init__(
            first.reason + suffix,
            path=first.path,
            line=first.line,
            field=first.field,
            step_title=first.step_title,
        )


@dataclass(frozen=True)
class CueSpec:
    """A spoken reminder inside a step, anchored to its start, half or end."""

    anchor: Anchor
    offset_ms: int  # after the start, or before the end; 0 for half
    say: str
    at: str  # as written, for messages


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    say: str
    duration_ms: int
    min_ms: int
    max_ms: int
    cues: tuple[CueSpec, ...] = ()  # `cues:` in the file
    # `reminders:` in the file: short lines said in turn wherever the step would
    # otherwise be silent too long (the timeline decides when, the file what)
    reminders: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rest:
    duration_ms: int
    say: str


@dataclass(frozen=True)
class Routine:
    id: str
    title: str
    steps: tuple[Step, ...]
    audience: Audience = "adult"
    description: str = ""
    intro: tuple[str, ...] = ()  # the routine's own lines, then each included part's
    contraindications: tuple[str, ...] = ()  # each included part's, then the routine's own
    # read right after the checklist and kept with it when the intro is left out
    cautions: tuple[str, ...] = ()  # the routine's own, then each included part's
    person: str = "the person"  # who receives the massage, as said mid-sentence
    position: str = "lying face down"  # how they lie or sit, as said mid-sentence
    rest: Rest | None = None
    outro: str = ""
    include: tuple[str, ...] = ()
    sounds: Mapping[str, str] = field(default_factory=dict, compare=False)  # name -> file path
    voice: str | None = None  # the routine's own voice; --voice overrides it
    pronounce: Mapping[str, str] = field(default_factory=dict, compare=False)  # word -> respelling
    language: str = "en"  # the catalogue's tag (languages/<tag>/): everything said is in it
    path: str = ""
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)
    origins: Mapping[str, Origin] = field(default_factory=dict, compare=False, repr=False)

    def line_of(self, field_path: str) -> int | None:
        """The line a field was written on, for messages about it."""
        return self.where(field_path)[1]

    def where(self, field_path: str) -> Origin:
        """File, line and field name as written, even for words from an included part."""
        return self.origins.get(field_path) or (self.path, self.lines.get(field_path), field_path)

    def step_title(self, field_path: str) -> str | None:
        """The title of the step a field belongs to (``steps[2].say``: the third's), or None."""
        index = step_index(field_path)
        return self.steps[index].title if index is not None and index < len(self.steps) else None

    def error(
        self,
        field_path: str,
        message: str,
        kind: type[E] = RoutineError,  # type: ignore[assignment]
        **extra: Any,
    ) -> E:
        """A ``kind`` of error about a field: the file and line its words were written on,
        and for a step's field, the step as announced."""
        path, line, shown = self.where(field_path)
        title = self.step_title(field_path)
        return kind(message, path=path or None, line=line, field=shown, step_title=title, **extra)


@dataclass(frozen=True)
class SharedPart:
    """Shared words a routine can include: intro lines, contraindications, a rest."""

    name: str
    path: str
    intro: tuple[str, ...] = ()
    contraindications: tuple[str, ...] = ()
    cautions: tuple[str, ...] = ()
    rest: Rest | None = None
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)
