"""Routine, step and part ids: the one rule for what makes a usable id.

A routine's id is its file's name and names its track's files; a step's id
names it in the plan, the captions and the page; a part's id is looked up
as a file. So an id is a slug: lowercase letters, digits, - and _, starting
with a letter or digit, at most 64 characters. It is matched whole
(``fullmatch``): a pattern ending in ``$`` would also match before a
trailing newline (a file named "abc\\n.yaml").
"""

from __future__ import annotations

import re

from ..errors import one_line, shortened

MAX_ID_CHARS = 64
_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")
SPELLING = "lowercase letters, digits, - and _, starting with a letter or digit"


def is_id(text: str) -> bool:
    """Whether ``text`` is a usable id."""
    return len(text) <= MAX_ID_CHARS and _ID.fullmatch(text) is not None


def id_problem(text: str, *, what: str = "id", spelling: str = f"use {SPELLING}") -> str | None:
    """Why ``text`` is not a usable ``what``, saying what would be (``spelling``), or None."""
    if len(text) > MAX_ID_CHARS:
        article = "an" if what[0] in "aeiou" else "a"
        return (
            f'"{shortened(text, 24)}" is {len(text)} characters long; {article} {what} can have '
            f"at most {MAX_ID_CHARS} characters"
        )
    if _ID.fullmatch(text) is None:
        return f'"{one_line(text)}" is not a usable {what}; {spelling}'
    return None
