"""`voiceguide check`: one test per class of bad routine file, exact message, exit status 2."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voiceguide.check import problems_in
from voiceguide.cli import cli
from voiceguide.speech import Speaker

from .conftest import ROOT, ROUTINES
from .tiny import MINIMAL

TEMPLATE_ACCEPTED = (
    "a routine's text may use {{ names }}, {% if %} and the filters abs, capitalize, count, d, "
    "default, first, int, join, last, length, lower, round, string, title, trim, upper"
)


def check(*paths: Path | str):
    return CliRunner().invoke(cli, ["check", *map(str, paths)])


def write(tmp_path: Path, text: str | bytes, name: str = "mine.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def edited(old: str, new: str) -> str:
    assert old in MINIMAL
    return MINIMAL.replace(old, new)


CASES = {
    "not YAML": (
        "title: [unclosed\nsteps: x\n",
        "2: a list in brackets [...] that is not closed with ]",
    ),
    "YAML that is not a mapping": (
        "- one\n- two\n",
        "1: the routine must be a mapping of keys to values, such as title:, steps:",
    ),
    "python tag": (
        edited("Stroke the back.", "!!python/object/apply:os.system ['true']"),
        "6: steps[0] (Step 1: One).say: the tag !!python/object/apply:os.system is not allowed; use plain YAML",
    ),
    "any other tag": (
        edited("Tiny", "!secret Tiny"),
        "1: title: the tag !secret is not allowed; use plain YAML",
    ),
    "alias": (
        edited("title: Tiny", "title: &t Tiny\ndescription: *t"),
        "1: anchors and aliases (&name, *name) are not allowed; write the text out",
    ),
    "unknown key with a suggestion": (
        edited("    duration: 1m\n", "    duration: 1m\n    mni: 30s\n"),
        '6: steps[0] (Step 1: One).mni: unknown key; did you mean "min"? '
        "(known keys: id, title, duration, say, min, max, cues, reminders)",
    ),
    "a list as a key": (  # once "unexpected TypeError", exit 1
        "? [a, b]\n: x\n" + MINIMAL,
        "1: keys must be plain words, not a list",
    ),
    "a mapping as a key in a step": (
        MINIMAL + "    ? {x: 1}\n    : y\n",
        "7: steps[0] (Step 1: One): keys must be plain words, not a mapping",
    ),
    "missing field": (
        edited("    title: One\n", ""),
        "3: steps[0].title: missing; a step needs id, title, duration and say",
    ),
    "wrong type": (
        edited("title: One", "title: [a, b]"),
        "4: steps[0].title: must be text, not a list",
    ),
    "an integer of 5,000 digits under an unknown key": (  # once "unexpected ValueError", exit 1
        MINIMAL + "extra: " + "1" * 5000 + "\n",
        "7: extra: unknown key (known keys: title, steps, audience, description, include, intro, "
        "contraindications, cautions, rest, outro, sounds, person, position, voice, pronounce, "
        "language)",
    ),
    "an integer of 5,000 digits as the title": (
        edited("title: Tiny", "title: " + "1" * 5000),
        "1: title: is 5000 characters long; a text can have at most 4000 (about four minutes of "
        "speech): shorten it or split it into cues",
    ),
    "a hexadecimal integer of 5,000 digits as a step's title": (
        edited("title: One", "title: 0x" + "f" * 4998),
        "4: steps[0].title: is 5000 characters long; a text can have at most 4000 (about four "
        "minutes of speech): shorten it or split it into cues",
    ),
    "steps not a list": (
        "title: T\nsteps: []\n",
        "2: steps: must be a list with at least one step (id, title, duration, say)",
    ),
    "duration that does not parse": (
        edited("1m", "12 mins later"),
        '5: steps[0] (Step 1: One).duration: "12 mins later" is not a duration; '
        "use 90s, 12m, 30 min, 1.5h, 1h30m, 1h 5m 30s, 12:30 or 1:02:03",
    ),
    "zero duration": (
        edited("1m", "0s"),
        '5: steps[0] (Step 1: One).duration: "0s" is no time at all; give a positive duration such as 5m',
    ),
    "negative duration": (
        edited("1m", "-5m"),
        '5: steps[0] (Step 1: One).duration: "-5m" is negative; give a positive duration such as 5m',
    ),
    "duration over six hours": (
        edited("1m", "7h"),
        '5: steps[0] (Step 1: One).duration: "7h" is longer than 6h; a routine can last at most 6h in all',
    ),
    "over six hours in all": (
        "title: T\nsteps:\n"
        "  - {id: a, title: A, duration: 4h, min: 1h, max: 5h, say: Stroke.}\n"
        "  - {id: b, title: B, duration: 1h, max: 2h, say: Rub.}\n",
        "3: steps: the steps at their max and the rest add up to 7h; "
        "a routine can last at most 6h in all",
    ),
    "5,000 steps": (  # once 88 s, 1.7 GB and 1.5 GB of clips for 5,000 error lines
        "title: T\nsteps:\n"
        + "  - {id: s, title: S, duration: 3s, say: Stroke the back slowly.}\n" * 5000,
        "3: steps: has 5000 steps; a routine can have at most 100",
    ),
    "21 cues in a step": (
        MINIMAL + "    cues:\n" + "      - {at: half, say: Rub.}\n" * 21,
        "8: steps[0] (Step 1: One).cues: has 21 cues; a step can have at most 20",
    ),
    "21 reminders in a step": (
        MINIMAL + "    reminders:\n" + "      - Rub.\n" * 21,
        "8: steps[0] (Step 1: One).reminders: has 21 texts; it can have at most 20",
    ),
    "51 cautions": (
        MINIMAL + "cautions:\n" + "  - Mind the neck.\n" * 51,
        "8: cautions: has 51 texts; it can have at most 50",
    ),
    "801 words in a text": (
        edited("Stroke the back.", "Stroke" + " on" * 800 + "."),
        "6: steps[0] (Step 1: One).say: has 801 words; a text can have at most 800 (about five minutes of "
        "speech): shorten it or split it into cues",
    ),
    "over 10,000 words in all": (
        MINIMAL + "cautions:\n" + ("  - Mind" + " on" * 799 + ".\n") * 13,
        "1: its texts have 10405 words in all; a routine can have at most 10000 (about an hour "
        "of speech)",
    ),
    "min greater than max": (
        edited("    duration: 1m\n", "    duration: 1m\n    min: 3m\n    max: 2m\n"),
        "6: steps[0] (Step 1: One).min: 3m is longer than max 2m; min must be at most max",
    ),
    "cue outside its step": (
        MINIMAL + "    cues:\n      - at: 1m\n        say: Late.\n",
        '8: steps[0] (Step 1: One).cues[0].at: "1m" falls outside its step, which is at most 1m long; '
        "give a time under 1m from its start, or half",
    ),
    "cue at a time that does not parse": (
        MINIMAL + "    cues:\n      - at: soon\n        say: Now.\n",
        '8: steps[0] (Step 1: One).cues[0].at: "soon" is not half, a time after the start (2m) '
        "or a time before the end (-1m)",
    ),
    "a step id of 65 characters": (  # was "is not a usable id", without the limit
        edited("id: one", "id: " + "a" * 65),
        '3: steps[0] (Step 1: One).id: "aaaaaaaaaaaaaaaaaaaaaaa…" is 65 characters long; '
        "an id can have at most 64 characters",
    ),
    "a step id that does not start with a letter or digit": (
        edited("id: one", "id: -one"),
        '3: steps[0] (Step 1: One).id: "-one" is not a usable id; use lowercase letters, '
        "digits, - and _, starting with a letter or digit",
    ),
    "cue at a list": (  # was '"" is not half, ...'
        MINIMAL + "    cues:\n      - at: [half]\n        say: Now.\n",
        "8: steps[0] (Step 1: One).cues[0].at: must be half, a time after the start (2m) or a "
        "time before the end (-1m), not a list",
    ),
    "cue at an empty text": (
        MINIMAL + '    cues:\n      - at: ""\n        say: Now.\n',
        "8: steps[0] (Step 1: One).cues[0].at: is empty; write half, a time after the start "
        "(2m) or a time before the end (-1m)",
    ),
    "empty duration": (
        edited("1m", '""'),
        "5: steps[0] (Step 1: One).duration: is empty; give a duration such as 90s, 12m, "
        "30 min, 1.5h, 1h30m, 1h 5m 30s, 12:30 or 1:02:03",
    ),
    "empty step id": (  # was "write the words to say"
        edited("id: one", 'id: ""'),
        "3: steps[0] (Step 1: One).id: is empty; give the step an id: lowercase letters, "
        "digits, - and _, starting with a letter or digit",
    ),
    "duplicate step ids": (
        MINIMAL + "  - id: one\n    title: Again\n    duration: 1m\n    say: Again.\n",
        '7: steps[1] (Step 2: Again).id: "one" is already used by steps[0] (Step 1: One); '
        "give each step its own id",
    ),
    "template with an unknown name": (
        edited("Stroke the back.", "Stroke {{ nobody }}."),
        "6: steps[0] (Step 1: One).say: template error: 'nobody' is undefined; "
        "names you can use: next, rest, routine, step",
    ),
    "template reaching for the class hierarchy": (
        edited("Stroke the back.", "\"{{ ''.__class__.__mro__ }}\""),
        "6: steps[0] (Step 1: One).say: template refused: access to attribute '__class__' of 'str' object "
        "is unsafe; a template may use only next, rest, routine, step and their fields",
    ),
    "template reaching for globals": (  # Jinja's own globals (cycler, lipsum, range) are gone
        edited("Stroke the back.", '"{{ cycler.__init__.__globals__ }}"'),
        "6: steps[0] (Step 1: One).say: template error: 'cycler' is undefined; "
        "names you can use: next, rest, routine, step",
    ),
    "a word YAML reads as true/false": (
        edited("Stroke the back.", "No"),
        "6: steps[0] (Step 1: One).say: must be text, not true/false: YAML reads No as one; "
        'to say the word, write it in quotes: "No"',
    ),
    "template with a misspelled name under a default": (  # the default is for fields only
        edited("Stroke the back.", "\"{{ stpe.title | default('the step') }} now.\""),
        "6: steps[0] (Step 1: One).say: template error: 'stpe' is undefined; "
        "names you can use: next, rest, routine, step",
    ),
    "template printing one of Jinja's functions": (  # once a memory address in the speech
        edited("Stroke the back.", '"{{ lipsum }} now."'),
        "6: steps[0] (Step 1: One).say: template error: 'lipsum' is undefined; "
        "names you can use: next, rest, routine, step",
    ),
    "template printing a method": (
        edited("Stroke the back.", '"{{ routine.title.format }} now."'),
        "6: steps[0] (Step 1: One).say: template refused: access to attribute 'format' of 'str' object "
        "is unsafe; a template may use only next, rest, routine, step and their fields",
    ),
    "template printing a method of a step": (
        edited("Stroke the back.", '"{{ step.items }} now."'),
        "6: steps[0] (Step 1: One).say: template refused: access to attribute 'items' of 'dict' object "
        "is unsafe; a template may use only next, rest, routine, step and their fields",
    ),
    "template with an infinite number": (  # once a NameError from Jinja's compiled code
        edited("Stroke the back.", '"{{ 1e400|int }} strokes."'),
        "6: steps[0] (Step 1: One).say: template refused: the number inf is too large; "
        f"{TEMPLATE_ACCEPTED}",
    ),
    "template that would take unbounded memory": (
        edited("Stroke the back.", "\"{{ 'ab ' * 30000000 }}\""),
        f"6: steps[0] (Step 1: One).say: template refused: arithmetic is not allowed; {TEMPLATE_ACCEPTED}",
    ),
    "template that grows while it renders": (  # once 73 s and 7.6 GB before the length check
        edited("Stroke the back.", '\'{{ "abcdefghij"' + '|join("0123456789")' * 8 + " }} end.'"),
        '6: steps[0] (Step 1: One).say: template refused: the filter "join" would make 11980 characters; '
        "a value made while a text renders can have at most 4000",
    ),
    "template of names that grows while it renders": (
        edited("Stroke the back.", "'{{ routine.title" + "|join(routine.title)" * 6 + " }}'"),
        '6: steps[0] (Step 1: One).say: template refused: the filter "join" would make 9376 characters; '
        "a value made while a text renders can have at most 4000",
    ),
    "template with a loop": (
        edited("Stroke the back.", '"{% for i in range(9) %}Rub. {% endfor %}"'),
        "6: steps[0] (Step 1: One).say: template refused: a loop ({% for %}) is not allowed; "
        f"{TEMPLATE_ACCEPTED}",
    ),
    "template calling a function": (
        edited("Stroke the back.", "\"{{ cycler('a', 'b') }}\""),
        f"6: steps[0] (Step 1: One).say: template refused: a function call is not allowed; {TEMPLATE_ACCEPTED}",
    ),
    "empty narration": (
        edited("Stroke the back.", '""'),
        "6: steps[0] (Step 1: One).say: is empty; write the words to say",
    ),
    "whitespace-only narration": (
        edited("Stroke the back.", '"   \\n\\t "'),
        "6: steps[0] (Step 1: One).say: is empty; write the words to say",
    ),
    "20,000-character narration": (
        edited("Stroke the back.", "a" * 20_000),
        "6: steps[0] (Step 1: One).say: is 20000 characters long; a text can have at most 4000 "
        "(about four minutes of speech): shorten it or split it into cues",
    ),
    "emoji": (
        edited("Stroke the back.", "Stroke the back 😀."),
        '6: steps[0] (Step 1: One).say: contains the emoji "😀", which the speech engine would read out by '
        "its name; write the words you mean instead",
    ),
    "punctuation only": (
        edited("Stroke the back.", '"?"'),
        '6: steps[0] (Step 1: One).say: has no letters or digits to say aloud ("?"); write words',
    ),
    "a sentence with nothing to say": (
        edited("Stroke the back.", '"Stroke. ... Rub."'),
        "6: steps[0] (Step 1: One).say: has a sentence that has no letters or digits to say aloud "
        '("..."); write words',
    ),
    "a character YAML does not allow": (
        "title: Tiny\x1f\nsteps: x\n",
        "1: contains the character U+001F, which YAML does not allow; remove it",
    ),
    "control character": (
        edited("Stroke the back.", '"Stroke\\0 the back."'),
        "6: steps[0] (Step 1: One).say: contains the character U+0000, which cannot be spoken; "
        "use letters, digits and punctuation",
    ),
    "right-to-left override in the title": (  # it reached the page, captions, feed and tags
        edited("title: Tiny", 'title: "Tiny \\u202Erub"'),
        "1: title: contains the character U+202E (RIGHT-TO-LEFT OVERRIDE), which changes the "
        "order text is shown in; remove it",
    ),
    "zero-width space in the title": (
        edited("title: Tiny", 'title: "Ti\\u200Bny"'),
        "1: title: contains the invisible character U+200B (ZERO WIDTH SPACE); remove it",
    ),
    "escape in the description": (  # description was not checked at all: ESC reached the ID3
        edited("title: Tiny", 'title: Tiny\ndescription: "Calm \\e[2J words"'),
        "2: description: contains the control character U+001B; remove it",
    ),
    "NUL in the description": (
        edited("title: Tiny", 'title: Tiny\ndescription: "Calm\\0 words"'),
        "2: description: contains the control character U+0000; remove it",
    ),
    "C1 control in a step title": (
        edited("title: One", 'title: "One\\x9b"'),
        "4: steps[0].title: contains the character U+009B, which cannot be spoken; "
        "use letters, digits and punctuation",
    ),
    "zero-width joiner alone": (  # was refused as "contains the emoji"
        edited("title: One", 'title: "\\u200D"'),
        "4: steps[0].title: contains the invisible character U+200D (ZERO WIDTH JOINER) "
        "outside a word; it belongs only right after a letter, in the scripts that need it: "
        "remove it",
    ),
    "left-to-right isolate made by a template": (
        edited("Stroke the back.", "'Stroke {{ \"\\u2066\" }}the back.'"),
        "6: steps[0] (Step 1: One).say: has a sentence that contains the character U+2066 (LEFT-TO-RIGHT "
        "ISOLATE), which changes the order text is shown in; remove it",
    ),
    "lone surrogate in the description": (  # passed check, then failed the build's tags
        edited("title: Tiny", 'title: Tiny\ndescription: "x\\ud800y"'),
        "2: description: contains U+D800, a lone surrogate (half of a UTF-16 pair), which no "
        "text can hold; remove it",
    ),
    "private-use character in the description": (
        edited("title: Tiny", 'title: Tiny\ndescription: "x\\ue000y"'),
        "2: description: contains U+E000, a private-use character, which has no agreed "
        "meaning or sound; remove it",
    ),
    "unassigned code point in the description": (
        edited("title: Tiny", 'title: Tiny\ndescription: "x\\uffffy"'),
        "2: description: contains U+FFFF, not an assigned Unicode character; remove it",
    ),
    "lone surrogate in a step's words": (
        edited("Stroke the back.", '"Stroke\\udfff the back."'),
        "6: steps[0] (Step 1: One).say: contains U+DFFF, a lone surrogate (half of a UTF-16 "
        "pair), which no text can hold; remove it",
    ),
    "include that tries to leave the parts folder": (
        MINIMAL + "include: [../../etc/passwd]\n",
        '7: include[0]: "../../etc/passwd" is not a shared part '
        "(parts: child-principles, child-safety, preparation, principles, rest, safety, women)",
    ),
    "include of an unknown part": (
        MINIMAL + "include: [safty]\n",
        '7: include[0]: "safty" is not a shared part; did you mean "safety"? '
        "(parts: child-principles, child-safety, preparation, principles, rest, safety, women)",
    ),
    "empty voice": (  # was "is empty; write the words to say"
        MINIMAL + 'voice: ""\n',
        "7: voice: is empty; write a voice's name (see `voiceguide voices`), or leave it out "
        "for the default",
    ),
    "empty language": (
        MINIMAL + 'language: ""\n',
        "7: language: is empty; write a language tag such as en, de or ru, or leave it out for "
        "English",
    ),
    "empty sound": (
        MINIMAL + 'sounds: {step: ""}\n',
        "7: sounds.step: is empty; write the path of a WAV or MP3 file, or leave it out for the "
        "usual sound",
    ),
    "empty audience": (
        edited("title: Tiny", 'title: Tiny\naudience: ""'),
        "2: audience: is empty; write adult or child, or leave it out",
    ),
    "empty respelling": (
        MINIMAL + 'pronounce: {coccyx: ""}\n',
        '7: pronounce.coccyx: is empty; write how to say "coccyx"',
    ),
    "unknown audience": (
        edited("title: Tiny", "title: Tiny\naudience: baby"),
        '2: audience: "baby" is not one of adult, child',
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_file_gives_one_exact_line_and_exit_2(tmp_path: Path, case: str) -> None:
    text, expected = CASES[case]
    path = write(tmp_path, text)
    result = check(path)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {path}:{expected}\n"
    assert result.stdout == ""


# Every text field of a routine: what is written in MINIMAL, or added to it (None), with a
# lone surrogate (X) in the field, the line it is on and the field's name.
SURROGATE_IN = {
    "title": ("title: Tiny", "title: X", 1, "title"),
    "description": (None, "description: X", 7, "description"),
    "audience": (None, "audience: X", 7, "audience"),
    "person": (None, "person: X", 7, "person"),
    "position": (None, "position: X", 7, "position"),
    "outro": (None, "outro: X", 7, "outro"),
    "voice": (None, "voice: X", 7, "voice"),
    "language": (None, "language: X", 7, "language"),
    "intro": (None, "intro: [X]", 7, "intro[0]"),
    "cautions": (None, "cautions: [X]", 7, "cautions[0]"),
    "contraindications": (None, "contraindications: [X]", 7, "contraindications[0]"),
    "rest": (None, "rest: {duration: 1m, say: X}", 7, "rest.say"),
    "sounds": (None, "sounds: {step: X}", 7, "sounds.step"),
    "pronounce": (None, "pronounce: {coccyx: X}", 7, "pronounce.coccyx"),
    "step id": ("id: one", "id: X", 3, "steps[0] (Step 1: One).id"),
    "step title": ("title: One", "title: X", 4, "steps[0].title"),
    "step words": ("say: Stroke the back.", "say: X", 6, "steps[0] (Step 1: One).say"),
    "reminder": (None, "    reminders: [X]", 7, "steps[0] (Step 1: One).reminders[0]"),
    "cue": (None, "    cues: [{at: half, say: X}]", 7, "steps[0] (Step 1: One).cues[0].say"),
}


@pytest.mark.parametrize("field", list(SURROGATE_IN))
def test_a_lone_surrogate_is_refused_in_every_text_field(tmp_path: Path, field: str) -> None:
    old, new, line, name = SURROGATE_IN[field]
    new = new.replace("X", '"a\\ud800b"')
    path = write(tmp_path, MINIMAL + new + "\n" if old is None else edited(old, new))
    assert problems_in(path) == [
        f"{path}:{line}: {name}: contains U+D800, a lone surrogate (half of a UTF-16 pair), "
        "which no text can hold; remove it"
    ]


@pytest.mark.parametrize(
    "word",
    [
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian: a non-joiner inside
        "\u0915\u094d\u200d\u0937",  # Devanagari: a joiner after the virama
        "\u0d28\u0d4d\u200d",  # Malayalam: a chillu written with a joiner at the word's end
    ],
)
def test_a_joiner_that_a_script_needs_inside_a_word_is_accepted(tmp_path: Path, word: str) -> None:
    path = write(tmp_path, edited("Stroke the back.", f'"{word} {word}."'))
    assert problems_in(path) == []


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xff\xfe title")
    result = check(path)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {path}: not UTF-8 text (invalid start byte at byte 0); save it as UTF-8 YAML\n"
    )


@pytest.mark.parametrize("written", ["folder.yaml", "folder/"])
def test_a_folder_given_as_the_routine_is_named_a_folder(tmp_path: Path, written: str) -> None:
    """find_routine said "no such routine file" before the loader could say what it is."""
    (tmp_path / written).mkdir()
    given = f"{tmp_path}/{written}"
    result = check(given)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {given}: is a folder, not a routine file\n"


def test_a_huge_integer_in_one_file_leaves_the_next_file_checked(tmp_path: Path) -> None:
    huge = write(tmp_path, MINIMAL + "extra: " + "1" * 5000 + "\n", "huge.yaml")
    empty = write(tmp_path, edited("Stroke the back.", '""'), "empty.yaml")
    result = check(huge, empty)
    assert result.exit_code == 2
    assert [line.split(": ", 2)[1] for line in result.stderr.splitlines()] == [
        f"{huge}:7",
        f"{empty}:6",
    ]


def test_a_routine_path_that_does_not_exist(tmp_path: Path) -> None:
    result = check(tmp_path / "nothere.yaml")
    assert result.exit_code == 2
    assert result.stderr == f"Error: {tmp_path / 'nothere.yaml'}: no such routine file\n"


@pytest.mark.usefixtures("real_engine")  # the check times the words with it
def test_every_problem_of_every_file_is_reported(tmp_path: Path) -> None:
    first = write(
        tmp_path,
        edited("    duration: 1m\n", "    duraton: 1m\n").replace("title: One", "title: [x]"),
        "first.yaml",
    )
    second = write(tmp_path, edited("1m", "0s"), "second.yaml")
    good = write(tmp_path, MINIMAL, "good.yaml")
    result = check(first, good, second)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"Error: {first}:3: steps[0].duration: missing; a step needs id, title, duration and say",
        f"Error: {first}:4: steps[0].title: must be text, not a list",
        f'Error: {first}:5: steps[0].duraton: unknown key; did you mean "duration"? '
        "(known keys: id, title, duration, say, min, max, cues, reminders)",
        f'Error: {second}:5: steps[0] (Step 1: One).duration: "0s" is no time at all; '
        "give a positive duration such as 5m",
    ]
    assert result.stdout == f"ok {good}\n"


def test_build_of_a_bad_file_names_the_first_problem_and_how_to_see_all(tmp_path: Path) -> None:
    path = write(tmp_path, edited("1m", "0s").replace("Stroke the back.", '""'))
    result = CliRunner().invoke(cli, ["build", str(path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.stderr == (
        f'Error: {path}:5: steps[0] (Step 1: One).duration: "0s" is no time at all; give a '
        f"positive duration such as 5m (and 1 more; `voiceguide check {path}` lists them)\n"
    )
    assert not (tmp_path / "out").exists()


def test_the_engine_reads_emoji_out_by_name_which_is_why_they_are_refused(
    speaker: Speaker,
) -> None:
    assert abs(speaker.length_ms("😀") - speaker.length_ms("grinning face")) <= 20
    assert abs(speaker.length_ms("☃") - speaker.length_ms("snowman")) <= 20


@pytest.mark.parametrize("text", ["Caresse légère, façon crème.", "Погладьте спину ладонями."])
def test_the_engine_speaks_accents_and_cyrillic(speaker: Speaker, text: str) -> None:
    assert speaker.length_ms(text) > 1000


@pytest.mark.usefixtures("real_engine")  # the check times the words with it
def test_text_in_other_scripts_is_accepted(tmp_path: Path) -> None:
    path = write(
        tmp_path, edited("Stroke the back.", "Caresse légère, façon crème. Погладьте спину.")
    )
    result = check(path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"ok {path}\n"


@pytest.mark.usefixtures("real_engine")  # the check times the words with it
def test_every_shipped_routine_checks_clean() -> None:
    result = CliRunner().invoke(cli, ["check", "--routines", str(ROUTINES)])
    assert result.exit_code == 0, result.stderr
    assert sorted(result.stdout.splitlines()) == sorted(f"ok {p}" for p in ROUTINES.glob("*.yaml"))


def test_an_empty_routines_folder_adds_nothing_to_the_built_in_ones(
    tmp_path: Path,
    clip_cache: Path,  # the check times the four routines' words
) -> None:
    result = CliRunner().invoke(cli, ["check", "--routines", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    assert sorted(Path(line.removeprefix("ok ")).stem for line in result.stdout.splitlines()) == [
        "child",
        "classic",
        "partner",
        "therapeutic",
    ]


@pytest.mark.usefixtures("real_engine")  # the check times the words with it
def test_the_readme_example_routine_checks_clean(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Routine files", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = write(tmp_path, example, "example.yaml")
    result = check(path)
    assert result.exit_code == 0, result.stderr


def test_every_template_problem_of_a_file_is_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "title: T\nintro:\n  - Hello {{ who }}.\nsteps:\n  - id: a\n    title: A\n"
        "    duration: 1m\n    say: \"{{ ''.__class__ }}\"\n    cues:\n      - at: half\n"
        "        say: Now {{ nope }}.\n  - id: b\n    title: B\n    duration: 1m\n"
        "    say: Fine, {{ step.title }}.\noutro: Bye {{ x }}\n",
    )
    result = check(path)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"Error: {path}:3: intro[0]: template error: 'who' is undefined; "
        "names you can use: rest, routine",
        f"Error: {path}:8: steps[0] (Step 1: A).say: template refused: access to attribute '__class__' of "
        "'str' object is unsafe; a template may use only next, rest, routine, step and their fields",
        f"Error: {path}:11: steps[0] (Step 1: A).cues[0].say: template error: 'nope' is undefined; "
        "names you can use: next, rest, routine, step",
        f"Error: {path}:16: outro: template error: 'x' is undefined; names you can use: rest, routine",
    ]


@pytest.mark.parametrize("name", ["index", "feed", "icon", "sw", "manifest", "service-worker"])
def test_a_routine_named_for_one_of_the_output_folders_files_is_refused_as_build_does(
    tmp_path: Path, name: str
) -> None:
    """check said ok, then build refused the track's name, naming no file."""
    path = write(tmp_path, MINIMAL, f"{name}.yaml")
    assert problems_in(path) == [
        f'{path}: the routine id "{name}" is a name the output folder keeps for its own files '
        "(feed, icon, index, manifest, service-worker, sw); rename the file (for example "
        f"my-{name}.yaml), or build it with --name my-{name}"
    ]


@pytest.mark.usefixtures("real_engine")  # the rest of the file is checked: its words timed
def test_check_of_a_routine_named_index_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL, "index.yaml")
    result = check(path)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f'Error: {path}: the routine id "index" is a name the output folder keeps for its own '
        "files (feed, icon, index, manifest, service-worker, sw); rename the file (for example "
        "my-index.yaml), or build it with --name my-index\n"
    )


def test_a_translation_named_index_is_named_index_and_its_language(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "language: de\n", "index.yaml")
    assert problems_in(path) == []


NOT_AN_ID = (
    "is not a usable routine id; name the file with lowercase letters, digits, - and _ "
    "(for example my-routine.yaml)"
)


@pytest.mark.parametrize(
    ("file_name", "shown", "why"),
    [
        ("My Routine.yaml", "My Routine.yaml", f'"My Routine" {NOT_AN_ID}'),
        # ``$`` matches before a trailing newline: "abc\n" passed as an id
        ("abc\n.yaml", "abc\\n.yaml", f'"abc\\n" {NOT_AN_ID}'),
        (
            "a" * 65 + ".yaml",
            "a" * 65 + ".yaml",
            '"aaaaaaaaaaaaaaaaaaaaaaa…" is 65 characters long; a routine id can have at most '
            "64 characters",
        ),
    ],
    ids=["a space and capitals", "a newline at the end", "longer than an id"],
)
def test_a_file_name_that_is_not_a_usable_id(
    tmp_path: Path, file_name: str, shown: str, why: str
) -> None:
    path = write(tmp_path, MINIMAL, file_name)
    result = check(path)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {tmp_path}/{shown}: {why}\n"


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10**6), st.floats(allow_nan=False),
    st.text(max_size=30), st.sampled_from(["1m", "-1m", "half", "0s", "7h", "{{ x }}", "12:30"]),
)  # fmt: skip
_keys = st.sampled_from(
    ["title", "steps", "id", "say", "duration", "min", "max", "cues", "at", "rest", "intro",
     "include", "contraindications", "audience", "outro", "description", "bogus"]
)  # fmt: skip
_documents = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=6),
    max_leaves=30,
)


@pytest.mark.slow  # 150 generated documents, each checked whole: about 10 s
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=_documents)
def test_check_never_raises_on_any_document(document: object) -> None:
    """Whatever a stranger writes, the answer is a list of one-line problems, never a crash."""
    import yaml

    problems = problems_in_text(yaml.safe_dump(document, allow_unicode=True))
    assert all("\n" not in p for p in problems)


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=200))
def test_check_never_raises_on_any_text(text: str) -> None:
    problems = problems_in_text(text)
    assert all("\n" not in p for p in problems)


def problems_in_text(text: str) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        return problems_in(path)


@pytest.mark.usefixtures("real_engine")  # the check times the words with it
def test_names_filters_and_conditions_are_allowed_in_templates(tmp_path: Path) -> None:
    say = '"{{ step.title | upper }} now{% if next.title %}, then {{ next.title }}{% endif %}."'
    path = write(tmp_path, edited("Stroke the back.", say))
    result = check(path)
    assert result.exit_code == 0, result.stderr


def test_a_file_too_big_to_be_a_routine_is_refused_unread(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "#" * 1_000_000)
    result = check(path)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {path}: is 1000089 bytes; a routine file can be at most 1000000 bytes\n"
    )


def test_check_refuses_what_build_would_naming_file_line_and_field(
    tmp_path: Path, clip_cache: Path
) -> None:
    """The issue's two files: a cue past its step's end, a step too short for its words;
    both were "ok" in check and refused by build. Now check names each, and build agrees."""
    examples = ROOT / "tests" / "examples"
    knead, short = examples / "knead.yaml", examples / "short.yaml"
    result = CliRunner().invoke(
        cli, ["check", str(knead), str(short), "--cache-dir", str(clip_cache)]
    )
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(
        f'Error: {knead}:9: steps[0] (Step 1: Kneading).cues[0].at: "6m" lies past the step\'s end: the step is '
        "5m long (its duration), and this cue with its words needs 6m"
    )
    assert lines[1].startswith(f"Error: {short}:5: steps[0] (Step 1: Stroking).duration: 10s is")
    for path, line in ((knead, lines[0]), (short, lines[1])):
        built = CliRunner().invoke(
            cli, ["build", str(path), "-o", str(tmp_path), "--cache-dir", str(clip_cache)]
        )
        assert (built.exit_code, built.stderr) == (2, line + "\n")  # the same line, word for word
        assert list(tmp_path.iterdir()) == []


def test_check_reports_every_step_too_short_in_one_pass(tmp_path: Path, clip_cache: Path) -> None:
    words = "Stroke the back slowly from the waist up to the neck, then out to the sides."
    text = "title: T\nsteps:\n" + "".join(
        f"  - id: s{i}\n    title: S{i}\n    duration: 5s\n    say: {words}\n" for i in range(3)
    )
    path = write(tmp_path, text)
    result = CliRunner().invoke(cli, ["check", str(path), "--cache-dir", str(clip_cache)])
    assert result.exit_code == 2
    assert [
        line.split(": ", 2)[2].split(": 5s is too short")[0] for line in result.stderr.splitlines()
    ] == [f"steps[{i}] (Step {i + 1}: S{i}).duration" for i in range(3)]
    assert [line.split(":")[2] for line in result.stderr.splitlines()] == ["5", "9", "13"]


def test_check_decodes_the_routines_own_sounds_as_build_would(
    tmp_path: Path, clip_cache: Path
) -> None:
    (tmp_path / "bad.wav").write_bytes(b"not audio")
    path = write(tmp_path, "title: T\nsounds:\n  step: bad.wav\n" + MINIMAL.split("\n", 1)[1])
    result = CliRunner().invoke(
        cli, ["check", str(path), str(ROUTINES / "child.yaml"), "--cache-dir", str(clip_cache)]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {path}:3: sounds.step: ")
    assert "cannot be decoded as audio" in result.stderr and result.stderr.count("\n") == 1
    assert result.stdout == f"ok {ROUTINES / 'child.yaml'}\n"  # the next file is still checked


def test_each_bad_caution_is_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "cautions:\n  - Mind {{ nobody }}.\n  - Also {{ noone }}.\n")
    result = check(path)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"Error: {path}:8: cautions[0]: template error: 'nobody' is undefined; "
        "names you can use: rest, routine",
        f"Error: {path}:9: cautions[1]: template error: 'noone' is undefined; "
        "names you can use: rest, routine",
    ]


def test_an_unknown_voice_gets_the_same_line_as_in_script(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL)
    checked = CliRunner().invoke(cli, ["check", str(path), "--voice", "jeo"])
    scripted = CliRunner().invoke(cli, ["script", str(path), "--voice", "jeo"])
    assert (checked.exit_code, checked.stdout) == (2, "")
    assert "no such voice; did you mean" in checked.stderr and "joe" in checked.stderr
    assert checked.stderr == scripted.stderr and checked.stderr.count("\n") == 1


@pytest.mark.usefixtures("real_engine")  # check times the words with it
def test_a_routine_is_found_by_its_id_as_every_command_finds_it(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    write(mine, MINIMAL, "neck.yaml")
    result = CliRunner().invoke(cli, ["check", "nekc", "neck", "--routines", str(mine)])
    assert result.exit_code == 2
    assert result.stdout == f"ok {mine / 'neck.yaml'}\n"  # the next one is still checked
    assert result.stderr.startswith('Error: no routine "nekc"; did you mean "neck"? ')
    assert result.stderr.count("\n") == 1


def test_a_routines_unknown_voice_is_refused_by_check_as_by_build(tmp_path: Path) -> None:
    """The probe's `voice: nosuchvoice`: check must not say ok where build refuses."""
    path = write(tmp_path, "title: Tiny\nvoice: nosuchvoice\n" + MINIMAL.split("\n", 1)[1])
    checked = check(path)
    built = CliRunner().invoke(cli, ["build", str(path), "-o", str(tmp_path / "out")])
    assert (checked.exit_code, checked.stdout) == (2, "")
    # the value named, as --voice nosuchvoice names it
    assert checked.stderr.startswith(f'Error: {path}:2: voice: "nosuchvoice": no such voice')
    assert (built.exit_code, built.stderr) == (2, checked.stderr)


def test_check_shows_20_problems_of_a_file_then_how_many_more(tmp_path: Path) -> None:
    steps = "".join(f"  - {{id: s{i}, title: S, duration: soon, say: Rub.}}\n" for i in range(30))
    path = write(tmp_path, "title: T\nsteps:\n" + steps)
    result = check(path)
    lines = result.stderr.splitlines()
    assert result.exit_code == 2 and len(lines) == 21
    assert lines[0].startswith(f'Error: {path}:3: steps[0] (Step 1: S).duration: "soon" is not')
    assert lines[-1] == f"Error: {path}: and 10 more; fix these and check again"


def test_one_routine_adds_at_most_so_much_speech_to_the_clip_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The budget is charged with each sentence's guessed length before it is spoken, so a
    routine over it writes nothing. Here the limit is made small; it is two hours."""
    from voiceguide import script
    from voiceguide.errors import InputError
    from voiceguide.routine import load_routine
    from voiceguide.settings import BuildOptions
    from voiceguide.speech import FakeEngine

    assert script.MAX_NEW_SPEECH_MS == 2 * 3_600_000
    monkeypatch.setattr(script, "MAX_NEW_SPEECH_MS", 5_000)
    routine = load_routine(write(tmp_path, MINIMAL))
    cache = tmp_path / "clips"
    with Speaker(FakeEngine(), cache_dir=cache) as speaker, pytest.raises(InputError) as err:
        script.prepare(routine, BuildOptions(cache_dir=cache), speaker)
    assert str(err.value) == (
        f"{routine.path}: would add over 5s of new speech to the clip cache (about 0 MB); "
        "a routine may add at most that in one command: shorten its texts or use fewer steps"
    )
    assert not cache.exists() or not any(cache.rglob("*.wav"))


@pytest.mark.parametrize(("written", "meant"), [("time", "duration"), ("text", "say")])
def test_a_key_written_with_another_word_finds_the_key_it_means(
    tmp_path: Path, written: str, meant: str
) -> None:
    text = "title: T\nsteps:\n  - id: a\n    title: A\n    duration: 1m\n    say: Stroke.\n"
    path = write(tmp_path, text.replace(f"    {meant}:", f"    {written}:"))
    result = check(path)
    assert result.exit_code == 2
    assert f'steps[0] (Step 1: A).{written}: unknown key; did you mean "{meant}"?' in result.stderr


@pytest.mark.parametrize(
    ("title", "shown"),
    [
        ("Kneading", "steps[0] (Step 1: Kneading).duration"),
        ("[Kneading]", "steps[0].duration"),  # a list: no title to show
        ("Kneading 😀", "steps[0].duration"),  # refused itself: the index alone
        ("K" * 50, f"steps[0] (Step 1: {'K' * 39}…).duration"),
    ],
)
def test_a_steps_field_is_named_by_the_step_as_announced(
    tmp_path: Path, title: str, shown: str
) -> None:
    path = write(tmp_path, edited("title: One", f"title: {title}").replace("1m", "soon"))
    result = check(path)
    assert result.exit_code == 2
    assert f'Error: {path}:5: {shown}: "soon" is not a duration' in result.stderr


@pytest.mark.parametrize(
    "say",
    ["{{ " + "(" * 120 + "x" + ")" * 120 + " }} end.", "{{ x" + "|upper" * 600 + " }} end."],
    ids=["brackets 120 deep", "600 filters"],
)
def test_a_template_nested_hundreds_deep_is_one_line_not_a_crash(tmp_path: Path, say: str) -> None:
    """A few hundred characters that would exhaust Python's recursion compiling the template."""
    steps = f"steps:\n  - id: a\n    title: A\n    duration: 1m\n    say: '{say}'\n"
    path = write(tmp_path, "title: T\n" + steps)
    result = check(path)
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "template refused: expressions nested too deeply" in result.stderr
