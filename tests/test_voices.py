"""Voices by their plain names: id, language code or name, any case; ranked suggestions.

``resolve`` is pure and tested on the real engine's list (espeak-ng's 141
voices through pyttsx3); the engine's own ``check_voice`` is tested with the
real worker, and a clip spoken in the chosen voice.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from voiceguide.cli import cli
from voiceguide.errors import InputError
from voiceguide.speech import FakeEngine, Speaker, VoiceInfo
from voiceguide.speech.pyttsx3_engine import Pyttsx3Engine
from voiceguide.speech.select import check_voice
from voiceguide.speech.voices import resolve

from .tiny import TINY


@pytest.fixture(scope="module")
def voices(speaker: Speaker) -> list[VoiceInfo]:
    return speaker.voices()


@pytest.mark.parametrize(
    ("typed", "voice_id"),
    [
        ("en", "gmw/en"),
        ("en-gb", "gmw/en"),
        ("EN-GB", "gmw/en"),
        ("de", "gmw/de"),
        ("English (Great Britain)", "gmw/en"),
        ("english  (great britain)", "gmw/en"),
        ("gmw/en-US", "gmw/en-us"),
        ("en-us", "gmw/en-us"),
        ("en_US", "gmw/en-us"),
        ("German", "gmw/de"),
        ("fr", "roa/fr"),
    ],
)
def test_a_language_code_id_or_name_names_one_voice(
    voices: list[VoiceInfo], typed: str, voice_id: str
) -> None:
    assert resolve(typed, voices).id == voice_id


@pytest.mark.parametrize(
    ("typed", "first", "language"),
    [("english", "gmw/en", "en"), ("gmw/en-usa", "gmw/en-us", "en"), ("de-at", "gmw/de", "de")],
)
def test_suggestions_put_what_was_typed_and_its_language_first(
    voices: list[VoiceInfo], typed: str, first: str, language: str
) -> None:
    with pytest.raises(InputError) as caught:
        resolve(typed, voices)
    message = str(caught.value)
    assert message.startswith(f"--voice {typed}: no such voice; did you mean {first} (")
    suggested = [part.split(" (")[0] for part in message.split("did you mean ")[1].split(", gmw")]
    by_id = {v.id: v for v in voices}
    for voice_id in [suggested[0], *("gmw" + s for s in suggested[1:])]:
        assert by_id[voice_id].languages[0].startswith(language)  # no Basque for "en"


def test_a_name_that_fits_several_voices_lists_them() -> None:
    twins = [VoiceInfo("a/x", "Twin", ("xx",)), VoiceInfo("b/x", "Twin", ("yy",))]
    with pytest.raises(InputError, match=r"--voice twin: names 2 voices; choose one of a/x"):
        resolve("twin", twins)


def test_the_engine_settles_a_plain_name_on_its_voice_and_speaks_with_it(
    real_engine: Callable[..., Pyttsx3Engine],
) -> None:
    english = real_engine("EN-GB")
    german = real_engine("de")
    try:
        english.check_voice()
        german.check_voice()
        assert (english.voice, german.voice) == ("gmw/en", "gmw/de")
        assert "gmw/en\0" in english.fingerprint
        said = {e.voice: e.synthesize("Guten Tag, wie geht es dir?") for e in (english, german)}
        assert all(s.size > 10_000 for s in said.values())
        assert said["gmw/en"].size != said["gmw/de"].size  # two voices, two readings
    finally:
        english.close()
        german.close()


def test_script_takes_a_plain_voice_name(tmp_path: Path, clip_cache: Path) -> None:
    routine = tmp_path / "tiny.yaml"
    routine.write_text(TINY)
    args = ["script", str(routine), "--cache-dir", str(clip_cache), "--no-heads-up"]
    result = CliRunner().invoke(cli, [*args, "--voice", "en-gb"])
    assert result.exit_code == 0, result.stderr
    refused = CliRunner().invoke(cli, [*args, "--voice", "englsh"])
    assert refused.exit_code == 2 and refused.stderr.count("\n") == 1
    assert refused.stderr.startswith("Error: --voice englsh: no such voice; did you mean gmw/en")


class _Unknown(FakeEngine):
    """An engine that knows no voice by the name given, as pyttsx3's answers for a typo."""

    def check_voice(self) -> None:
        raise InputError(f"--voice {self.voice}: no such voice")


@pytest.mark.parametrize("typed", ["natural", "Piper", "neural"])
def test_asking_for_the_natural_voice_by_kind_names_it(typed: str) -> None:
    with pytest.raises(InputError) as err:
        check_voice(_Unknown(voice=typed))
    assert str(err.value).startswith(f"--voice {typed}: the natural voice is joe (--voice joe)")
    assert "Maltese" not in str(err.value)


@pytest.mark.parametrize("typed", ["female", "male", "Woman"])
def test_asking_for_a_voice_by_gender_says_how_voices_are_chosen(typed: str) -> None:
    with pytest.raises(InputError) as err:
        check_voice(_Unknown(voice=typed))
    message = str(err.value)
    assert message.startswith(f"--voice {typed}: voices are chosen by name or language")
    assert "joe" in message and "voiceguide voices" in message and "\n" not in message


@pytest.mark.usefixtures("real_engine")  # the command speaks the routine with espeak-ng
def test_an_espeak_voice_of_another_language_reads_the_routine_with_a_warning(
    tmp_path: Path,
) -> None:
    """An espeak-ng voice reads any text, with its own language's sounds: a German voice on
    an English routine is said to the user (a Piper voice of another language is refused)."""
    routine = tmp_path / "tiny.yaml"
    routine.write_text(TINY, encoding="utf-8")
    result = CliRunner().invoke(cli, ["script", str(routine), "--voice", "de", "--no-cache"])
    assert result.exit_code == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if "speaks de" in line]
    assert warned == [
        f"Warning: the voice gmw/de speaks de, not English, the language of {routine}: it reads "
        "the words with its own language's sounds (`voiceguide voices --language en` lists the "
        "voices that speak it)"
    ]
    same = CliRunner().invoke(cli, ["script", str(routine), "--voice", "en-gb", "--no-cache"])
    assert same.exit_code == 0 and "speaks" not in same.stderr
