"""Fuzzing (hypothesis): routine documents, durations and CLI arguments from strangers.

Whatever comes in, loading, narrating, planning and placing either work or raise one of
voiceguide's own errors: one line, exit status 2. `check` and `script` never show a
traceback. Example counts come from the profile in conftest.py (bounded for CI).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from voiceguide.audio.sounds import sound_lengths_ms
from voiceguide.cli import cli
from voiceguide.errors import DurationError, InputError, VoiceguideError
from voiceguide.narration import narrate
from voiceguide.routine import parse_routine
from voiceguide.routine.durations import parse_duration
from voiceguide.timeline import needs, place
from voiceguide.timeline.plan import make_plan

from .conftest import ROUTINES
from .strategies import estimate, requests

DURATIONS = ["90s", "12m", "1h30m", "1h 5m 30s", "12:30", "1:02:03", "0", "0s", "-1m", "25h"]
TRICKS = [
    "half",
    "{{ step.title }}",
    "{{ nobody }}",
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{% for x in %}",
    "{{ 1/0 }}",
    "{{ 'a' * 100000 }}",
    "Ünïcödé, кириллица, 🙂.",
    "",
    "   ",
]
plain_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**12),
    st.floats(),
    plain_text,
    st.sampled_from(DURATIONS + TRICKS),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(plain_text, inner, max_size=3),
    max_leaves=6,
)
words = st.sampled_from(["Press gently.", "Now the other side.", *TRICKS]) | values
durations = st.sampled_from(DURATIONS) | values

cues = st.fixed_dictionaries(
    {},
    optional={
        "at": st.sampled_from(["half", "1m", "-1m", "-30s", "2m", "x"]) | values,
        "say": words,
    },
)
steps = st.fixed_dictionaries(
    {},
    optional={
        "id": st.sampled_from(["a", "b", "kneading", "Bad Id", "../x"]) | values,
        "title": words,
        "duration": durations,
        "min": durations,
        "max": durations,
        "say": words,
        "cues": st.lists(cues, max_size=3) | values,
        "color": values,
    },
)
documents = st.fixed_dictionaries(
    {},
    optional={
        "title": words,
        "audience": st.sampled_from(["adult", "child", "dog"]) | values,
        "intro": st.lists(words, max_size=2) | words,
        "contraindications": st.lists(words, max_size=2) | values,
        "steps": st.lists(steps, max_size=4) | values,
        "rest": st.fixed_dictionaries({}, optional={"duration": durations, "say": words}) | values,
        "outro": words,
        "extra": values,
    },
)


good_durations = st.sampled_from(["30s", "90s", "2m", "3m", "5m", "12:30", "1m 30s", "2.5s"])
good_words = st.sampled_from(
    ["Press gently.", "Now the other side.", "{{ step.title }}.", "Ünï 🙂."]
)


@st.composite
def near_valid_documents(draw: st.DrawFn) -> dict:
    """A valid routine with up to two fields broken: most of the pipeline gets exercised."""
    steps = []
    for i in range(draw(st.integers(1, 3))):
        step = {"id": f"s{i}", "title": f"Step {i}", "say": draw(good_words)}
        step.update(
            dict(
                zip(
                    ("min", "duration", "max"),
                    sorted(
                        draw(st.lists(good_durations, min_size=3, max_size=3)), key=parse_duration
                    ),
                    strict=True,
                )
            )
        )
        at = st.sampled_from(["half", "1m", "-1m", "-30s", "10s"])
        step["events"] = draw(
            st.lists(st.fixed_dictionaries({"at": at, "say": good_words}), max_size=2)
        )
        steps.append(step)
    doc = {"title": "Fuzz", "intro": [draw(good_words)], "steps": steps}
    if draw(st.booleans()):
        doc["rest"] = {"duration": draw(good_durations), "say": draw(good_words)}
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        cues = [c for s in steps if isinstance(s.get("cues"), list) for c in s["events"]]
        targets = [t for t in (doc, *steps, *cues) if isinstance(t, dict)]
        target = draw(st.sampled_from(targets))
        key = draw(st.sampled_from([*target, "outro", "extra"]))
        if draw(st.booleans()):
            target[key] = draw(values | durations | words)
        else:
            target.pop(key, None)
    return doc


@st.composite
def routine_texts(draw: st.DrawFn) -> str:
    """YAML made from a random document, sometimes cut short or given a dangerous tag."""
    document = draw(near_valid_documents() | near_valid_documents() | documents | values)
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    how = draw(st.sampled_from(["as is", "as is", "as is", "cut", "tag", "noise"]))
    if how == "cut":
        text = text[: draw(st.integers(0, len(text)))]
    elif how == "tag":
        text = "!!python/object/apply:os.system [echo hi]\n" if draw(st.booleans()) else text
        text = text.replace("title:", "title: !!python/name:os.system", 1)
    elif how == "noise":
        text = draw(st.text(max_size=60))
    return text


def is_clear(exc: VoiceguideError) -> bool:
    message = str(exc)
    return bool(message.strip()) and "\n" not in message and "Traceback" not in message


@given(st.text(max_size=30))
def test_any_text_is_a_duration_or_a_duration_error(text: str) -> None:
    try:
        ms = parse_duration(text)
    except DurationError as exc:
        assert is_clear(exc)
    else:
        assert isinstance(ms, int) and ms >= 0


@given(routine_texts(), st.data())
def test_load_narrate_plan_and_place_raise_only_clear_input_errors(text: str, data) -> None:
    try:
        routine = parse_routine(text, path="fuzz.yaml", routine_id="fuzz")
        request = data.draw(requests(routine))
        narration = narrate(routine, intro=request.intro, rest=request.rest_ms != 0)
        sound_ms = sound_lengths_ms()
        plan = make_plan(routine, request, needs(narration, estimate, sound_ms))
        place(narration, plan, estimate, sound_ms)
    except InputError as exc:
        assert is_clear(exc), str(exc)


@given(routine_texts())
def test_check_reports_any_document_in_one_line_a_problem_with_exit_0_or_2(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_text(text, encoding="utf-8")
        result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code in (0, 2), result.exception
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if result.exit_code == 2:
        lines = result.stderr.splitlines()  # check reports every problem, one line each
        assert lines and all(line.startswith("Error: ") for line in lines), result.stderr
    else:
        assert result.stdout == f"ok {path}\n"


arg_durations = st.sampled_from([*DURATIONS, "20m", "45m", "2h"]) | plain_text
options = st.one_of(
    st.tuples(st.just("--duration"), arg_durations),
    st.tuples(st.just("--rest"), arg_durations),
    st.tuples(st.just("--lead-in"), st.sampled_from(["0", "3s", "10s", "1m"]) | plain_text),
    st.tuples(
        st.just("--step"),
        st.builds(
            "{}={}".format,
            st.sampled_from(["kneading", "stroking", "rubbing", "nope", "", " "]) | plain_text,
            arg_durations,
        )
        | plain_text,
    ),
    st.tuples(st.just("--no-intro")),
)


@given(st.lists(options, max_size=4))
def test_script_with_any_timing_options_prints_or_fails_with_exit_2(clip_cache, args) -> None:
    flat = [a for option in args for a in option]
    base = ["script", "classic", "--routines", str(ROUTINES), "--cache-dir", str(clip_cache)]
    result = CliRunner().invoke(cli, [*base, *flat])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 2), (flat, result.stderr)
    if result.exit_code == 0:
        assert result.stdout.startswith("Classic back massage (classic): ")
    else:
        assert "Error: " in result.stderr and "Traceback" not in result.stderr
