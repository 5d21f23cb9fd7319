"""The words' options and warnings on the command line: --no-intro, --no-checklist,
--rest, --pause, --no-reminders, and what `check` warns an engine would read badly."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from voiceguide.cli import cli
from voiceguide.narration import split_sentences

from .conftest import ROUTINES
from .tiny import MINIMAL


@pytest.fixture
def script(clip_cache: Path):
    def invoke(*args: str):
        return CliRunner().invoke(
            cli,
            ["script", str(ROUTINES / "classic.yaml"), "--cache-dir", str(clip_cache), *args],
            catch_exceptions=False,
        )

    return invoke


def test_no_intro_keeps_the_checklist_and_the_cautions_without_a_warning(script) -> None:
    result = script("--no-intro")
    assert result.exit_code == 0, result.stderr
    assert "Before you begin, go through this checklist." in result.stdout
    assert "During pregnancy, be very careful" in result.stdout
    assert "You need a towel" not in result.stdout
    assert "Warning" not in result.stderr


def test_turning_the_checklist_off_too_is_said_with_a_warning(script) -> None:
    result = script("--no-intro", "--no-checklist")
    assert result.exit_code == 0, result.stderr
    assert "checklist" not in result.stdout and "pregnancy" not in result.stdout
    assert result.stderr.splitlines() == [
        "Warning: --no-checklist: the track does not read the checklist of contraindications "
        "or the cautions; go through them yourself before you begin"
    ]


@pytest.mark.parametrize(
    ("rest", "warning", "said"),
    [
        ("10m", "--rest 10m is a short rest", "rest for ten minutes."),
        ("0", "--rest 0s drops the rest", "let them rest for at least fifteen minutes"),
        ("20m", None, "rest for twenty minutes."),
    ],
)
def test_a_rest_under_fifteen_minutes_is_warned_about(
    script, rest: str, warning: str | None, said: str
) -> None:
    result = script("--rest", rest)
    assert result.exit_code == 0, result.stderr
    if warning:
        assert result.stderr.splitlines() == [
            f"Warning: {warning}; the article asks for at least 15m under a warm blanket "
            "after a massage"
        ]
    else:
        assert result.stderr == ""
    assert said in result.stdout


def test_the_pause_after_the_intro_is_an_option_and_step_one_rings_after_it(script) -> None:
    long, none = script("--pause", "3m"), script("--pause", "0")
    assert "Now take three minutes to get all this ready." in long.stdout
    assert "pause the track" not in none.stdout

    def intro_length(stdout: str) -> str:
        line = next(x for x in stdout.splitlines() if x.strip().endswith("Introduction"))
        return line.split()[1]

    def as_ms(text: str) -> float:
        minutes, _, seconds = text.rstrip("s").partition("m")
        return int(minutes) * 60_000 + float(seconds or 0) * 1000

    assert as_ms(intro_length(long.stdout)) - as_ms(intro_length(none.stdout)) > 170_000


def test_no_reminders_brings_back_the_long_silence(script) -> None:
    quiet, filled = script("--no-reminders"), script()

    def longest(stdout: str) -> str:
        return next(x for x in stdout.splitlines() if x.startswith("Longest silence"))

    assert longest(quiet.stdout).startswith("Longest silence inside a step: 5m")
    assert "(kneading)" in longest(quiet.stdout)
    assert longest(filled.stdout) < "Longest silence inside a step: 3m"
    assert "Keep kneading." in filled.stdout and "Keep kneading." not in quiet.stdout


def test_the_splitter_keeps_abbreviations_inside_their_sentence() -> None:
    said = [s.text for s in split_sentences("Knead approx. 2 min & 30 sec. Then stop, e.g. now.")]
    assert said == ["Knead approx. 2 min & 30 sec.", "Then stop, e.g. now."]
    assert [s.text for s in split_sentences("Rest. Then go. Press gently; then stop.")] == [
        "Rest.", "Then go.", "Press gently;", "then stop.",
    ]  # fmt: skip


@pytest.mark.usefixtures("real_engine")  # the check times the words with it
def test_check_warns_about_what_an_engine_reads_badly(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        MINIMAL.replace("Stroke the back.", "Knead approx. 2 min & 30 sec, 50% softer.")
    )
    result = CliRunner().invoke(cli, ["check", str(mine)])
    assert result.exit_code == 0
    assert result.stdout == f"ok {mine}\n"
    warnings = result.stderr.splitlines()
    line = next(i for i, x in enumerate(MINIMAL.splitlines(), 1) if "Stroke the back." in x)
    where = f"Warning: {mine}:{line}: steps[0] (Step 1: One).say: "
    assert warnings == [
        where + '"&" is read differently by each speech engine; write "and"',
        where + '"%" is read differently by each speech engine; write "percent"',
        where + '"2 min": a number with a shortened unit is read letter by letter or guessed; '
        "write it out in words (two minutes, ten centimetres)",
        where + '"30 sec": a number with a shortened unit is read letter by letter or guessed; '
        "write it out in words (two minutes, ten centimetres)",
        where + '"approx." is read as a word; write the word in full',
    ]


@pytest.mark.usefixtures("real_engine")  # the check times the words with it
def test_the_shipped_routines_have_nothing_an_engine_reads_badly() -> None:
    result = CliRunner().invoke(cli, ["check", "--routines", str(ROUTINES)])
    assert result.exit_code == 0 and result.stderr == ""


def test_a_max_silence_too_short_for_words_is_refused(script) -> None:
    result = CliRunner().invoke(cli, ["script", "classic", "--max-silence", "10s"])
    assert result.exit_code == 2
    assert (
        "Error: --max-silence: 10s is too short to leave room for the words; "
        "give at least 30s, or --no-reminders" in result.stderr
    )
