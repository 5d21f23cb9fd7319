"""A routine's text without Jinja markup is rendered without Jinja, to exactly what Jinja gives."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from voiceguide.narration.render import _compiled, plain

# the characters that matter to Jinja's lexer and line ends, and ordinary text
TEXT = st.text(alphabet=st.sampled_from(list("{}%#-+ \t\r\nab.,:'\"\\é")), max_size=40)


@given(TEXT)
def test_a_plain_text_renders_as_jinja_renders_it(text: str) -> None:
    fast = plain(text)
    if fast is not None:
        assert fast == _compiled(text).render()
    else:
        assert any(mark in text for mark in ("{{", "{%", "{#"))


def test_line_ends_and_the_last_one() -> None:
    assert plain("Stroke.\r\nPress.\rKnead.\n") == "Stroke.\nPress.\nKnead."
    assert plain("Two ends.\n\n") == "Two ends.\n"
    assert plain("A { brace } and 100% and #1.") == "A { brace } and 100% and #1."
    assert plain("Hello {{ name }}") is None
