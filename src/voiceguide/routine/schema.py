"""Check composed YAML nodes field by field, collecting every problem.

Routine files come from strangers, so the YAML is only *composed* with the
safe loader (no objects are built) and every tag beyond plain YAML, every
alias and every unprintable or unspeakable character is refused. A problem
in one field does not stop the others from being checked: ``voiceguide
check`` reports them all in one pass, and each names the file, the line and
the field, and says what would be accepted.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any, TypeVar

import yaml

from ..errors import DurationError, RoutineError, joined, step_index
from .characters import unshowable, unspeakable
from .durations import ACCEPTED, format_duration, parse_duration
from .yaml_words import plain_reason

T = TypeVar("T")

MAX_TEXT_CHARS = 4000  # about four and a half minutes of speech at 150 words a minute
# Bounds no real routine reaches, so a stranger's file costs bounded work (docs/architecture.md
# gives the shipped routines' figures): the most the four have is 10 steps, 2 cues and 3
# reminders in a step, 68 words in a text and 818 words in all.
MAX_STEPS = 100
MAX_CUES = 20  # in one step
MAX_REMINDERS = 20  # in one step
MAX_LIST_TEXTS = 50  # intro, contraindications, cautions: each
MAX_TEXT_WORDS = 800  # about five minutes of speech
MAX_ROUTINE_WORDS = 10_000  # about an hour of speech at 150 words a minute
MAX_TOTAL_MS = 6 * 3_600_000

_PLAIN_TAGS = {
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq")
}
# Scalars read as the characters written: no field of a routine is a number (durations are
# parsed from their text, with bounds), and YAML 1.1 would turn "12:30" into 750, "010" into 8
# and "1_000" into 1000, and fail on an integer of more than 4,300 digits.
_AS_WRITTEN = {f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float")}
_BOOL = "tag:yaml.org,2002:bool"
_TRUE = frozenset(("true", "yes", "on"))  # only a value's kind is used: text refuses both
_RESOLVER = yaml.resolver.Resolver()

# Keys written with another word for what a known key means, and the key meant: a
# misspelling finds its key by spelling, a synonym by meaning ("time:" is not "title:").
KEY_SYNONYMS = {
    "time": "duration",
    "length": "duration",
    "minutes": "duration",
    "seconds": "duration",
    "text": "say",
    "words": "say",
    "speak": "say",
    "spoken": "say",
    "instructions": "say",
    "name": "title",
    "heading": "title",
    "shortest": "min",
    "minimum": "min",
    "longest": "max",
    "maximum": "max",
    "tips": "reminders",
    "repeat": "reminders",
    "when": "at",
    "sound": "sounds",
    "parts": "include",
    "warnings": "cautions",
    "pose": "position",
    "posture": "position",
}


class Skip(Exception):
    """A field whose problem is already recorded: stop checking it, go on with the rest."""


class Invalid:
    """Stands for a value already reported as bad (a refused tag or alias)."""


INVALID = Invalid()

Entry = tuple[Any, yaml.Node]


def _compose(text: str) -> yaml.Node | None:
    """The node tree, by libyaml where it is built in (five times faster: `voiceguide list`
    reads every routine); a file it refuses is read again by the Python parser, whose
    problems name the character and line that ``yaml_words`` explains."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            root = yaml.compose(text, Loader=fast)
        except (yaml.YAMLError, RecursionError):
            pass
        else:
            _plain_style(root)
            return root
    return yaml.compose(text, Loader=yaml.SafeLoader)


def _plain_style(root: yaml.Node | None) -> None:
    """libyaml marks a plain scalar with style "", the Python parser with None: use None."""
    stack = [root] if root is not None else []
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if node.style == "":
                node.style = None
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend(item for pair in node.value for item in pair)


class Doc:
    """One YAML document being checked; ``problems`` collects what is wrong."""

    def __init__(self, text: str, path: str) -> None:
        self.path = path
        self.lines: dict[str, int] = {}
        self.problems: list[RoutineError] = []
        try:
            node = _compose(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            raise RoutineError(plain_reason(exc, text), path=path, line=line) from None
        except yaml.reader.ReaderError as exc:
            line = text[: exc.position].count("\n") + 1
            raise RoutineError(
                f"contains the character U+{exc.character:04X}, which YAML does not allow; "
                "remove it"
                if isinstance(exc.character, int)
                else f"not readable as text ({exc.reason})",
                path=path,
                line=line,
            ) from None
        except yaml.YAMLError:
            raise RoutineError(
                "cannot be read as YAML; check its indentation, its colons and its quotes",
                path=path,
            ) from None
        except RecursionError:
            raise RoutineError("nested too deeply to be a routine", path=path) from None
        if node is None:
            raise RoutineError("the file is empty; a routine needs title and steps", path=path)
        self._refuse_aliases(node)
        self.root = node

    def _refuse_aliases(self, root: yaml.Node) -> None:
        """An alias makes one node appear twice; refused before anything is expanded,
        so a "billion laughs" file costs nothing."""
        seen: set[int] = set()
        todo = [root]
        while todo:
            node = todo.pop()
            if id(node) in seen:
                raise RoutineError(
                    "anchors and aliases (&name, *name) are not allowed; write the text out",
                    path=self.path,
                    line=node.start_mark.line + 1,
                )
            seen.add(id(node))
            if isinstance(node, yaml.SequenceNode):
                todo.extend(node.value)
            elif isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    todo.extend((key, value))

    # -- recording

    def fail(self, node: yaml.Node | None, field_path: str, message: str) -> RoutineError:
        line = node.start_mark.line + 1 if node is not None else None
        return RoutineError(
            message,
            path=self.path,
            line=line,
            field=field_path or None,
            step_title=self.step_title(field_path),
        )

    def step_title(self, field_path: str) -> str | None:
        """The title of the step a field belongs to (``steps[2].say``: the third's), as
        written, if it is one a step may have; else None (the message names the index)."""
        index = step_index(field_path)
        steps = _get(getattr(self, "root", None), "steps")
        if index is None or not isinstance(steps, yaml.SequenceNode):
            return None
        title = _get(steps.value[index], "title") if index < len(steps.value) else None
        if not isinstance(title, yaml.ScalarNode) or not _as_written(title):
            return None
        text = title.value.strip()
        ok = text and len(text) <= MAX_TEXT_CHARS and unspeakable(text) is None
        return text if ok else None

    def report(self, node: yaml.Node | None, field_path: str, message: str) -> None:
        self.add(self.fail(node, field_path, message))

    def add(self, problem: RoutineError) -> None:
        """Record a problem once (a node can be looked at from its parent and on its own)."""
        if all(str(p) != str(problem) for p in self.problems):
            self.problems.append(problem)

    def attempt(self, check: Callable[..., T], *args: Any, default: T, **kw: Any) -> T:
        """Run one field's check; on a problem, record it and carry on with ``default``."""
        try:
            return check(*args, **kw)
        except RoutineError as exc:
            self.add(exc)
        except Skip:
            pass
        return default

    # -- plain values

    def value(self, node: yaml.Node, field_path: str) -> Any:
        """Plain Python value of a node, refusing any tag that could build objects.

        A scalar is its text as written (``_as_written``), or True/False or None for what
        YAML reads as a boolean or as nothing, which no text field takes. Nothing is
        constructed, so no scalar can fail to convert.
        """
        self.lines.setdefault(field_path, node.start_mark.line + 1)
        if node.tag not in _PLAIN_TAGS and not _implicit(node):
            shown = node.tag.replace("tag:yaml.org,2002:", "!!")
            self.report(node, field_path, f"the tag {shown} is not allowed; use plain YAML")
            return INVALID
        if isinstance(node, yaml.ScalarNode):
            if _as_written(node):
                return node.value
            return node.value.lower() in _TRUE if node.tag == _BOOL else None
        if isinstance(node, yaml.SequenceNode):
            return [
                (self.value(item, f"{field_path}[{i}]"), item) for i, item in enumerate(node.value)
            ]
        mapping: dict[str, Entry] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _PLAIN_TAGS:
                kind = {yaml.SequenceNode: ", not a list", yaml.MappingNode: ", not a mapping"}
                self.report(
                    key_node, field_path, "keys must be plain words" + kind.get(type(key_node), "")
                )
                continue
            key = key_node.value
            child = f"{field_path}.{key}" if field_path else key
            if key in mapping:
                self.report(key_node, child, "appears twice; give each key once")
                continue
            mapping[key] = (self.value(value_node, child), value_node)
        return mapping

    def mapping(
        self,
        node: yaml.Node,
        field_path: str,
        *,
        required: tuple[str, ...],
        optional: tuple[str, ...],
        what: str = "",
    ) -> dict[str, Entry]:
        """The known keys of a mapping; unknown and missing keys are each reported."""
        what = what or field_path or "the routine"
        if not isinstance(node, yaml.MappingNode):
            example = ", ".join(f"{k}:" for k in required) or ", ".join(f"{k}:" for k in optional)
            raise self.fail(
                node, field_path, f"{what} must be a mapping of keys to values, such as {example}"
            )
        mapping = self.value(node, field_path)
        if mapping is INVALID:
            raise Skip
        allowed = required + optional
        known: dict[str, Entry] = {}
        for key_node, _ in node.value:
            key = key_node.value
            if not isinstance(key_node, yaml.ScalarNode) or key not in mapping:
                continue  # a list or mapping as a key (? [a, b]) is reported by value()
            if key in allowed:
                known[key] = mapping[key]
                continue
            meant = KEY_SYNONYMS.get(str(key).lower())
            close = (
                [meant] if meant in allowed else difflib.get_close_matches(str(key), allowed, n=1)
            )
            hint = f'; did you mean "{close[0]}"?' if close else ""
            child = f"{field_path}.{key}" if field_path else str(key)
            self.report(key_node, child, f"unknown key{hint} (known keys: {', '.join(allowed)})")
        for key in required:
            if key not in mapping:
                child = f"{field_path}.{key}" if field_path else key
                self.report(node, child, f"missing; {what} needs {joined(required)}")
        return known

    # -- typed fields

    def text(
        self,
        entry: Entry,
        field_path: str,
        *,
        allow_empty: bool = False,
        spoken: bool = True,
        empty: str = "write the words to say",
    ) -> str:
        """A text field's words, stripped; ``empty`` says what to write when there are none
        (a voice or a language is not words to say)."""
        value, node = entry
        if value is INVALID:
            raise Skip
        if not isinstance(value, str):
            raise self.fail(node, field_path, f"must be text, not {kind_of(value, node)}")
        out = value.strip()
        if not out and not allow_empty:
            raise self.fail(node, field_path, f"is empty; {empty}")
        if len(out) > MAX_TEXT_CHARS:
            raise self.fail(
                node,
                field_path,
                f"is {len(out)} characters long; a text can have at most {MAX_TEXT_CHARS} "
                "(about four minutes of speech): shorten it or split it into cues",
            )
        words = len(out.split()) if spoken else 0
        if words > MAX_TEXT_WORDS:
            raise self.fail(
                node,
                field_path,
                f"has {words} words; a text can have at most {MAX_TEXT_WORDS} "
                "(about five minutes of speech): shorten it or split it into cues",
            )
        why = (unspeakable if spoken else unshowable)(out) if out else None
        if why:
            raise self.fail(node, field_path, why)
        return out

    def texts(
        self, entry: Entry, field_path: str, *, limit: int = MAX_LIST_TEXTS
    ) -> tuple[str, ...]:
        value, node = entry
        if value is INVALID:
            raise Skip
        if isinstance(value, str):
            return (self.text(entry, field_path),)
        if not isinstance(value, list):
            raise self.fail(
                node, field_path, f"must be text or a list of texts, not {kind_of(value, node)}"
            )
        if len(value) > limit:
            raise self.fail(
                node, field_path, f"has {len(value)} texts; it can have at most {limit}"
            )
        out = [
            self.attempt(self.text, item, f"{field_path}[{i}]", default=None)
            for i, item in enumerate(value)
        ]
        return tuple(t for t in out if t is not None)

    def slugs(self, entry: Entry, field_path: str) -> list[tuple[str, yaml.Node, str]]:
        """A list of plain words (with each one's node and field), for names like include."""
        value, node = entry
        if value is INVALID:
            raise Skip
        if isinstance(value, str):
            value = [(value, node)]
        if not isinstance(value, list):
            raise self.fail(node, field_path, f"must be a list of names, not {kind_of(value)}")
        out = []
        for i, (item, item_node) in enumerate(value):
            where = f"{field_path}[{i}]"
            if item is INVALID:
                continue
            if not isinstance(item, str):
                self.report(item_node, where, f"must be a name, not {kind_of(item)}")
                continue
            out.append((item, item_node, where))
        return out

    def duration(self, entry: Entry, field_path: str) -> int:
        value, node = entry
        if value is INVALID:
            raise Skip
        if not isinstance(node, yaml.ScalarNode) or isinstance(value, bool) or value is None:
            raise self.fail(node, field_path, f"must be a duration such as {ACCEPTED}")
        raw = value.strip()
        if not raw:
            raise self.fail(node, field_path, f"is empty; give a duration such as {ACCEPTED}")
        if raw.startswith("-"):
            raise self.fail(
                node, field_path, f'"{raw}" is negative; give a positive duration such as 5m'
            )
        try:
            ms = parse_duration(raw)
        except DurationError as exc:
            raise self.fail(node, field_path, str(exc)) from None
        if ms <= 0:
            raise self.fail(
                node, field_path, f'"{raw}" is no time at all; give a positive duration such as 5m'
            )
        if ms > MAX_TOTAL_MS:
            raise self.fail(
                node,
                field_path,
                f'"{raw}" is longer than {format_duration(MAX_TOTAL_MS)}; '
                f"a routine can last at most {format_duration(MAX_TOTAL_MS)} in all",
            )
        return ms


def _implicit(node: yaml.Node) -> bool:
    """A plain scalar YAML gave a tag of its own (a date, "="): its text as written."""
    return (
        isinstance(node, yaml.ScalarNode)
        and node.style is None
        and node.tag == _RESOLVER.resolve(yaml.ScalarNode, node.value, (True, False))
    )


def _as_written(node: yaml.ScalarNode) -> bool:
    """Whether a scalar stands for its own text: all but true/false and nothing."""
    return node.tag in _AS_WRITTEN or (node.tag not in _PLAIN_TAGS and _implicit(node))


def _get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value of ``key`` in a mapping node (its first, if written twice), or None."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value
    return None


def kind_of(value: Any, node: yaml.Node | None = None) -> str:
    """What a value that is not the text wanted is, in a message's words: "a list"...; a
    word YAML reads as true/false (``say: No``) says how to keep it a word."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    if isinstance(value, bool) and isinstance(node, yaml.ScalarNode):
        word = node.value
        return (
            f'true/false: YAML reads {word} as one; to say the word, write it in quotes: "{word}"'
        )
    return "true/false" if isinstance(value, bool) else "text"
