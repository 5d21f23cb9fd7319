"""Load a routine file into plain, validated dataclasses.

Routine files may come from strangers, so YAML is composed with the safe
loader and any tag beyond the plain YAML types is refused. Every error names
the file, the line and the field, and says what would be accepted.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .durations import parse_duration
from .errors import DurationError, InputError, RoutineError

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
AUDIENCES = ("adult", "child")
SOUND_KEYS = ("step", "cue", "end")  # the routine's own files may replace these sounds
_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


@dataclass(frozen=True)
class CueSpec:
    """A spoken reminder inside a step, anchored to its start, half or end."""

    anchor: str  # "start" | "half" | "end"
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
    cues: tuple[CueSpec, ...] = ()


@dataclass(frozen=True)
class Rest:
    duration_ms: int
    say: str


@dataclass(frozen=True)
class Routine:
    id: str
    title: str
    steps: tuple[Step, ...]
    audience: str = "adult"
    description: str = ""
    intro: tuple[str, ...] = ()
    contraindications: tuple[str, ...] = ()
    rest: Rest | None = None
    outro: str = ""
    sounds: Mapping[str, str] = field(default_factory=dict, compare=False)  # name -> file path
    path: str = ""
    lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)

    def line_of(self, field_path: str) -> int | None:
        """The line a field was written on, for messages about it."""
        return self.lines.get(field_path)

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)


def routine_id_for(path: Path) -> str:
    """The id is the file's stem; it names output files, so it must be a safe slug."""
    stem = path.stem
    if not ID_PATTERN.match(stem):
        raise RoutineError(
            f'"{stem}" is not a usable routine id; name the file with lowercase letters, '
            "digits, - and _ (for example my-routine.yaml)",
            path=path,
        )
    return stem


def load_routine(path: Path | str) -> Routine:
    """Read and validate one routine file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such routine file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a routine file") from None
    except UnicodeDecodeError as exc:
        raise RoutineError(f"not UTF-8 text ({exc.reason})", path=path) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    return parse_routine(text, path=path, routine_id=routine_id_for(path))


def parse_routine(text: str, *, path: Path | str, routine_id: str) -> Routine:
    """Validate routine YAML given as text; ``path`` only names it in messages."""
    doc = _Doc(text, str(path))
    return doc.routine(routine_id)


class _Doc:
    """Turns composed YAML nodes into checked values, remembering each field's line."""

    def __init__(self, text: str, path: str) -> None:
        self.path = path
        self.lines: dict[str, int] = {}
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            line = exc.problem_mark.line + 1 if exc.problem_mark else None
            raise RoutineError(f"not valid YAML: {exc.problem}", path=path, line=line) from None
        except yaml.YAMLError as exc:
            raise RoutineError(f"not valid YAML: {exc}", path=path) from None
        if node is None:
            raise RoutineError("the file is empty; a routine needs title and steps", path=path)
        self.root = node

    def fail(self, node: yaml.Node | None, field_path: str, message: str) -> RoutineError:
        line = node.start_mark.line + 1 if node is not None else None
        return RoutineError(message, path=self.path, line=line, field=field_path or None)

    def value(self, node: yaml.Node, field_path: str) -> Any:
        """Plain Python value of a node, refusing any tag that could build objects."""
        self.lines[field_path] = node.start_mark.line + 1
        if node.tag not in _PLAIN_TAGS:
            raise self.fail(node, field_path, f"the tag {node.tag} is not allowed; use plain YAML")
        if isinstance(node, yaml.ScalarNode):
            return yaml.SafeLoader(" ").construct_object(node) if node.tag != _STR else node.value
        if isinstance(node, yaml.SequenceNode):
            return [
                (self.value(item, f"{field_path}[{i}]"), item) for i, item in enumerate(node.value)
            ]
        mapping: dict[str, tuple[Any, yaml.Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(key_node, field_path, "keys must be plain words")
            key = key_node.value
            child = f"{field_path}.{key}" if field_path else key
            if key in mapping:
                raise self.fail(key_node, child, "appears twice")
            mapping[key] = (self.value(value_node, child), value_node)
        return mapping

    def mapping(
        self,
        node: yaml.Node,
        field_path: str,
        *,
        required: tuple[str, ...],
        optional: tuple[str, ...],
    ) -> dict[str, tuple[Any, yaml.Node]]:
        what = field_path or "the routine"
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, field_path, f"{what} must be a mapping of keys to values")
        mapping = self.value(node, field_path)
        allowed = required + optional
        for key in mapping:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f'; did you mean "{close[0]}"?' if close else ""
                keys = ", ".join(allowed)
                child = f"{field_path}.{key}" if field_path else key
                line_node = next(k for k, _ in node.value if k.value == key)
                raise self.fail(line_node, child, f"unknown key{hint} (known keys: {keys})")
        for key in required:
            if key not in mapping:
                child = f"{field_path}.{key}" if field_path else key
                raise self.fail(node, child, f"missing; {what} needs {', '.join(required)}")
        return mapping

    def text(
        self, entry: tuple[Any, yaml.Node], field_path: str, *, allow_empty: bool = False
    ) -> str:
        value, node = entry
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise self.fail(node, field_path, "must be text")
        out = str(value).strip()
        if not out and not allow_empty:
            raise self.fail(node, field_path, "is empty; write the words to say")
        if len(out) > 10_000:
            raise self.fail(node, field_path, f"is {len(out)} characters; at most 10000 are read")
        return out

    def texts(self, entry: tuple[Any, yaml.Node], field_path: str) -> tuple[str, ...]:
        value, node = entry
        if isinstance(value, str):
            return (self.text(entry, field_path),)
        if not isinstance(value, list):
            raise self.fail(node, field_path, "must be text or a list of texts")
        return tuple(self.text(item, f"{field_path}[{i}]") for i, item in enumerate(value))

    def duration(
        self, entry: tuple[Any, yaml.Node], field_path: str, *, allow_zero: bool = False
    ) -> int:
        value, node = entry
        raw = node.value if isinstance(node, yaml.ScalarNode) else value
        if not isinstance(node, yaml.ScalarNode) or isinstance(value, bool) or value is None:
            raise self.fail(node, field_path, "must be a duration such as 90s, 12m or 12:30")
        try:
            ms = parse_duration(raw)
        except DurationError as exc:
            raise self.fail(node, field_path, str(exc)) from None
        if ms <= 0 and not allow_zero:
            raise self.fail(
                node, field_path, f'"{raw}" is no time at all; give a positive duration'
            )
        return ms

    def routine(self, routine_id: str) -> Routine:
        top = self.mapping(
            self.root,
            "",
            required=("title", "steps"),
            optional=(
                "audience",
                "description",
                "intro",
                "contraindications",
                "rest",
                "outro",
                "sounds",
            ),
        )
        audience = "adult"
        if "audience" in top:
            audience = self.text(top["audience"], "audience")
            if audience not in AUDIENCES:
                raise self.fail(
                    top["audience"][1], "audience", f'"{audience}" is not one of adult, child'
                )
        steps_value, steps_node = top["steps"]
        if not isinstance(steps_value, list) or not steps_value:
            raise self.fail(steps_node, "steps", "must be a list with at least one step")
        steps: list[Step] = []
        seen: dict[str, int] = {}
        for index, (_, step_node) in enumerate(steps_value):
            step = self.step(step_node, f"steps[{index}]")
            if step.id in seen:
                raise self.fail(
                    step_node,
                    f"steps[{index}].id",
                    f'"{step.id}" is already used by steps[{seen[step.id]}]',
                )
            seen[step.id] = index
            steps.append(step)
        rest = None
        if "rest" in top:
            rest_map = self.mapping(
                top["rest"][1], "rest", required=("duration", "say"), optional=()
            )
            rest = Rest(
                duration_ms=self.duration(rest_map["duration"], "rest.duration"),
                say=self.text(rest_map["say"], "rest.say"),
            )
        return Routine(
            id=routine_id,
            title=self.text(top["title"], "title"),
            audience=audience,
            description=self.text(top["description"], "description", allow_empty=True)
            if "description" in top
            else "",
            intro=self.texts(top["intro"], "intro") if "intro" in top else (),
            contraindications=self.texts(top["contraindications"], "contraindications")
            if "contraindications" in top
            else (),
            steps=tuple(steps),
            rest=rest,
            outro=self.text(top["outro"], "outro") if "outro" in top else "",
            sounds=self.sounds(top["sounds"][1]) if "sounds" in top else {},
            path=self.path,
            lines=dict(self.lines),
        )

    def sounds(self, node: yaml.Node) -> dict[str, str]:
        """Own WAV/MP3 files for the step, cue and end sounds, relative to the routine file."""
        entry = self.mapping(node, "sounds", required=(), optional=SOUND_KEYS)
        out: dict[str, str] = {}
        for name, item in entry.items():
            where = f"sounds.{name}"
            target = Path(self.path).parent / self.text(item, where)
            if not target.is_file():
                raise self.fail(item[1], where, f"{target}: no such sound file")
            out[name] = str(target)
        return out

    def step(self, node: yaml.Node, where: str) -> Step:
        entry = self.mapping(
            node,
            where,
            required=("id", "title", "duration", "say"),
            optional=("min", "max", "cues"),
        )
        step_id = self.text(entry["id"], f"{where}.id")
        if not ID_PATTERN.match(step_id):
            raise self.fail(
                entry["id"][1],
                f"{where}.id",
                f'"{step_id}" must be lowercase letters, digits, - or _',
            )
        duration = self.duration(entry["duration"], f"{where}.duration")
        low = self.duration(entry["min"], f"{where}.min") if "min" in entry else duration
        high = self.duration(entry["max"], f"{where}.max") if "max" in entry else duration
        if low > high:
            raise self.fail(
                entry["min"][1], f"{where}.min", "is longer than max; min must be at most max"
            )
        if not low <= duration <= high:
            raise self.fail(
                entry["duration"][1], f"{where}.duration", "must lie between min and max"
            )
        cues: list[CueSpec] = []
        if "cues" in entry:
            cue_value, cue_node = entry["cues"]
            if not isinstance(cue_value, list):
                raise self.fail(cue_node, f"{where}.cues", "must be a list of {at, say}")
            for i, (_, item) in enumerate(cue_value):
                cues.append(self.cue(item, f"{where}.cues[{i}]", high))
        return Step(
            id=step_id,
            title=self.text(entry["title"], f"{where}.title"),
            say=self.text(entry["say"], f"{where}.say"),
            duration_ms=duration,
            min_ms=low,
            max_ms=high,
            cues=tuple(cues),
        )

    def cue(self, node: yaml.Node, where: str, step_max_ms: int) -> CueSpec:
        entry = self.mapping(node, where, required=("at", "say"), optional=())
        _, at_node = entry["at"]
        at = str(at_node.value).strip() if isinstance(at_node, yaml.ScalarNode) else ""
        if at == "half":
            anchor, offset = "half", 0
        else:
            anchor = "end" if at.startswith("-") else "start"
            try:
                offset = parse_duration(at.lstrip("-+"))
            except DurationError:
                raise self.fail(
                    at_node,
                    f"{where}.at",
                    f'"{at}" is not half, a time after the start (2m) '
                    "or a time before the end (-1m)",
                ) from None
            if offset >= step_max_ms:
                raise self.fail(at_node, f"{where}.at", f'"{at}" falls outside its step')
        return CueSpec(
            anchor=anchor, offset_ms=offset, say=self.text(entry["say"], f"{where}.say"), at=at
        )


_STR = "tag:yaml.org,2002:str"
