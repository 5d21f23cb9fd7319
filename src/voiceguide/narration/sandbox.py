"""What a routine's own template may contain: names, filters and ``{% if %}``, nothing more.

The Jinja sandbox stops templates from reaching Python internals, but not
from spending unbounded time or memory: ``{{ 'ab' * 10**9 }}``, nested
``{% for %}`` loops or ``'{:>999999999}'.format(1)`` are all "safe" to it.
A routine's words need only names (``{{ step.title }}``), a few filters and
conditions, so every other construct is refused before rendering. What is
left can still grow: ``join`` puts its separator between every two
characters, so ``"abcdefghij"|join("0123456789")`` nested eight times asks
for about 2 * 10**9 characters. ``BoundedSandbox`` therefore checks every
filter's result (and ``join``'s size before it joins) against
``MAX_VALUE_CHARS``, whether the filter runs while the template renders or
when Jinja folds constants as it compiles: no value made while rendering is
longer than a text may be, so a template costs at most its own length times
that limit.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sized
from typing import Any

from jinja2 import Environment, Undefined, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..routine.schema import MAX_TEXT_CHARS

MAX_VALUE_CHARS = MAX_TEXT_CHARS  # any value made while rendering, as long as a text may be

ALLOWED_FILTERS = frozenset(
    {"upper", "lower", "capitalize", "title", "trim", "default", "d", "string", "length",
     "count", "first", "last", "abs", "round", "int", "join"}
)  # fmt: skip
_ALLOWED = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Const, nodes.Getattr,
    nodes.Getitem, nodes.Slice, nodes.If, nodes.CondExpr, nodes.And, nodes.Or, nodes.Not,
    nodes.Compare, nodes.Operand, nodes.Concat, nodes.Filter, nodes.Test, nodes.Neg, nodes.Pos,
)  # fmt: skip
_NAMES = {
    nodes.For: "a loop ({% for %})",
    nodes.Call: "a function call",
    nodes.Macro: "a macro",
    nodes.CallBlock: "a call block",
    nodes.Assign: "{% set %}",
    nodes.AssignBlock: "{% set %}",
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% import %}",
    nodes.Extends: "{% extends %}",
    nodes.Block: "{% block %}",
    nodes.BinExpr: "arithmetic",
}


def refused_construct(env: Environment, source: str) -> str | None:
    """Why ``source`` may not be rendered, or None. Syntax errors are left to rendering."""
    try:
        tree = env.parse(source)
    except RecursionError:  # brackets or filters nested hundreds deep: no real text is
        return "expressions nested too deeply"
    except Exception:  # a syntax error: rendering reports it with its message
        return None
    for node in tree.find_all(nodes.Node):
        if isinstance(node, nodes.Filter) and node.name not in ALLOWED_FILTERS:
            return f'the filter "{node.name}" is not allowed'
        if isinstance(node, nodes.Test) and node.name not in ("defined", "undefined", "none"):
            return f'the test "{node.name}" is not allowed'
        if isinstance(node, nodes.Const) and node.value in (math.inf, -math.inf):
            return f"the number {node.value} is too large"  # compiled, it is a name not defined
        if not isinstance(node, _ALLOWED):
            what = next((v for k, v in _NAMES.items() if isinstance(node, k)), None)
            return f"{what or type(node).__name__.lower()} is not allowed"
    return None


ACCEPTED = "a routine's text may use {{ names }}, {% if %} and the filters " + ", ".join(
    sorted(ALLOWED_FILTERS)
)


class TooLong(Exception):
    """A filter would make a value over ``MAX_VALUE_CHARS`` long while a template renders."""

    def __init__(self, name: str, size: int) -> None:
        self.name, self.size = name, size
        super().__init__(
            f'the filter "{name}" would make {size} characters; a value made while a text '
            f"renders can have at most {MAX_VALUE_CHARS}"
        )


def _size(value: object) -> int:
    return len(value) if isinstance(value, str | Sized) else 0


def _join_size(value: object, separator: object) -> int:
    """What ``join`` would make, counted before it is made (a string or a list of values)."""
    if isinstance(value, str):
        items: list[object] = list(value)
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        return 0  # a context object: joined, then measured
    return sum(len(str(i)) for i in items) + max(len(items) - 1, 0) * len(str(separator))


def _bounded(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` with its result (and ``join``'s, before joining) held to ``MAX_VALUE_CHARS``;
    the wrapper keeps Jinja's ``pass_eval_context`` marks, which ``wraps`` copies."""

    @functools.wraps(func)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        if name == "join":
            values = [a for a in args if not _is_context(a)]
            if values:
                separator = values[1] if len(values) > 1 else kwargs.get("d", "")
                size = _join_size(values[0], separator)
                if size > MAX_VALUE_CHARS:
                    raise TooLong(name, size)
        out = func(*args, **kwargs)
        size = _size(out)
        if size > MAX_VALUE_CHARS:
            raise TooLong(name, size)
        return out

    return bounded


def _is_context(value: object) -> bool:
    from jinja2.nodes import EvalContext
    from jinja2.runtime import Context

    return isinstance(value, EvalContext | Context | Environment)


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with only the allowed filters, each bounded (``_bounded``),
    no globals and no methods: ``{{ lipsum }}`` or ``{{ step.title.upper }}`` would put a
    function's name and memory address into the speech."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals = {}  # range, lipsum, cycler, joiner, namespace, dict: the names are the context's
        self.filters = {
            name: _bounded(name, func)
            for name, func in self.filters.items()
            if name in ALLOWED_FILTERS
        }

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Undefined):  # ``{{ nobody.__init__ }}``: the error is the unknown name
            str(obj)  # the texts render with StrictUndefined: this raises "'nobody' is undefined"
        return super().getattr(obj, attribute)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return not callable(value) and super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value: Any) -> None:
        """``str.format`` is a method like any other here: calls are refused before rendering."""
        return None
