"""YAML's parser errors said in a routine author's words: what is wrong, at which line."""

from __future__ import annotations

import pytest

from voiceguide.errors import RoutineError
from voiceguide.routine import parse_routine

JARGON = (
    "<block",
    "block end",
    "mapping start",
    "token",
    "scalar",
    "stream",
    "expected <",
    "but found",
)


@pytest.mark.parametrize(
    ("text", "line", "said"),
    [
        (
            "title: x\nsteps:\n  - id: a\n    title: A\n   duration: 1m\n",
            5,
            "is indented differently",
        ),
        ("title: x\n steps: 1\n", 2, "is indented differently"),
        ('title: "x\nsteps: 1\n', 3, "a quote that is opened on line 1 is never closed"),
        ("title: x: y\nsteps: []\n", 1, "put text with a colon in quotes"),
        ("title: x\n\tsteps: []\n", 2, "a tab; indent with spaces"),
        ("title: [x\nsteps: 1\n", 2, "not closed with ]"),
        ("title: x\n- a\n", 2, "a list item (- ...) where a key was expected"),
        ("title: @x\n", 1, "a value cannot start with @; put the value in quotes"),
        ("title: {x\n", 2, "braces {...} that are not closed with }"),
    ],
)
def test_parser_problems_are_said_plainly_with_their_line(text: str, line: int, said: str) -> None:
    with pytest.raises(RoutineError) as caught:
        parse_routine(text, path="mine.yaml", routine_id="mine")
    message = str(caught.value)
    assert message.startswith(f"mine.yaml:{line}: ") and said in message, message
    assert not [word for word in JARGON if word in message], message


def test_the_fast_parser_and_the_python_parser_read_a_routine_alike() -> None:
    import yaml

    from voiceguide.routine.load import load_routine
    from voiceguide.routine.schema import _compose

    from .conftest import ROUTINES

    for path in sorted(ROUTINES.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        fast, slow = _compose(text), yaml.compose(text, Loader=yaml.SafeLoader)
        assert yaml.serialize(fast) == yaml.serialize(slow)
        assert load_routine(path).steps
