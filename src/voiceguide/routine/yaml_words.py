"""What YAML's parser means, said in the words of someone writing a routine file.

PyYAML reports problems in its grammar's terms (``expected <block end>, but
found '<block mapping start>'``). A routine's author knows keys, values,
lists, indentation and quotes: each known problem is said that way, with the
line it is on; one not known here still avoids the parser's jargon.
"""

from __future__ import annotations

import re

import yaml

INDENT = (
    "this line is indented differently from the lines above it; keys of one group line up "
    "under each other, and a list item (- ...) sits under the key it belongs to"
)

# (pattern on the parser's problem, on its context, what to say); first match wins
_SAID: tuple[tuple[str, str, str], ...] = (
    (r"found character '\\t'|tab character", "", "a tab; indent with spaces"),
    (r"unexpected end of stream", r"quoted scalar", "a quote that is opened on line {context} is never closed; close it, or leave the quotes out"),
    (r"found unknown escape character", r"double-quoted", "a backslash in double quotes starts an escape; use single quotes or write \\\\"),
    (r"mapping values are not allowed here", "", "a second colon on one line; put text with a colon in quotes (say: \"Note: ...\"), or start the next key on a line of its own"),
    (r"could not find expected ':'", "", "a key without its colon; write key: value"),
    (r"expected ',' or '\]'", "", "a list in brackets [...] that is not closed with ]"),
    (r"expected ',' or '\}'", "", "braces {...} that are not closed with }; a text starting with { needs quotes"),
    (r"expected <block end>, but found '-'|'<block sequence start>'", "", "a list item (- ...) where a key was expected; indent it under the key it belongs to"),
    (r"did not find expected '-' indicator", "", "a line inside a list that does not start with \"- \"; check its indentation"),
    (r"expected <block end>|did not find expected key|expected <document start>", "", INDENT),
    (r"undefined alias", "", "an alias (*name) is not allowed; write the value out"),
    (r"found character '(.)' that cannot start any token", "", "a value cannot start with {0}; put the value in quotes"),
)  # fmt: skip


def plain_reason(exc: yaml.MarkedYAMLError, text: str = "") -> str:
    """The parser's problem in a routine author's words (the line is said by the caller)."""
    problem = " ".join(str(exc.problem or "").split())
    context = " ".join(str(exc.context or "").split())
    context_line = exc.context_mark.line + 1 if exc.context_mark else "above"
    if "mapping values are not allowed" in problem and exc.problem_mark is not None:
        lines = text.splitlines()
        line = lines[exc.problem_mark.line] if exc.problem_mark.line < len(lines) else ""
        if line.count(":") == 1:  # one colon: the key is indented into the value above
            return INDENT
    for pattern, in_context, said in _SAID:
        found = re.search(pattern, problem)
        if found and (not in_context or re.search(in_context, context)):
            said = said.replace("{context}", str(context_line))
            return said.replace("{0}", found.group(1)) if found.groups() else said
    return "this line cannot be read as YAML; check its indentation, its colons and its quotes"
