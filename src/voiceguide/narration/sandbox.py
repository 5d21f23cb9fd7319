"""What a routine's own template may contain: names, filters and ``{% if %}``, nothing more.

The Jinja sandbox stops templates from reaching Python internals, but not
from spending unbounded time or memory: ``{{ 'ab' * 10**9 }}``, nested
``{% for %}`` loops or ``'{:>999999999}'.format(1)`` are all "safe" to it.
A routine's words need only names (``{{ step.title }}``), a few filters and
conditions, so every other construct is refused before rendering; what is
left costs at most a few times the template's own length.
"""

from __future__ import annotations

from jinja2 import Environment, nodes

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
    except Exception:  # a syntax error: rendering reports it with its message
        return None
    for node in tree.find_all(nodes.Node):
        if isinstance(node, nodes.Filter) and node.name not in ALLOWED_FILTERS:
            return f'the filter "{node.name}" is not allowed'
        if isinstance(node, nodes.Test) and node.name not in ("defined", "undefined", "none"):
            return f'the test "{node.name}" is not allowed'
        if not isinstance(node, _ALLOWED):
            what = next((v for k, v in _NAMES.items() if isinstance(node, k)), None)
            return f"{what or type(node).__name__.lower()} is not allowed"
    return None


ACCEPTED = "a routine's text may use {{ names }}, {% if %} and the filters " + ", ".join(
    sorted(ALLOWED_FILTERS)
)
