"""Sounds made in code, and a routine's own sound files in their place."""

from __future__ import annotations

import json
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from voiceguide import ffmpeg
from voiceguide.audio.sounds import SOUND_NAMES, sound
from voiceguide.build import BuildOptions, build, routine_sounds
from voiceguide.cli import cli
from voiceguide.errors import RoutineError
from voiceguide.pcm import RATE_HZ
from voiceguide.routine import load_routine
from voiceguide.speech import Speaker

from .audio import at, decoded
from .short_routine import write_short

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def dominant_hz(x: np.ndarray, rate: int = RATE_HZ) -> float:
    spectrum = np.abs(np.fft.rfft(x.astype(np.float64) * np.hanning(x.size)))
    return float(np.fft.rfftfreq(x.size, 1 / rate)[np.argmax(spectrum)])


def test_step_reminder_and_end_sounds_are_distinct() -> None:
    pitches = {name: dominant_hz(sound(name)[: RATE_HZ // 2]) for name in SOUND_NAMES}
    lengths = {name: sound(name).size for name in SOUND_NAMES}
    assert len({round(p / 50) for p in pitches.values()}) == 3, pitches
    assert pitches["end"] < pitches["step"] < pitches["reminder"]  # closing low, reminder light
    assert lengths["reminder"] < lengths["step"] < lengths["end"]


def test_sounds_strike_at_once_and_ring_out_to_silence() -> None:
    for name in SOUND_NAMES:
        x = np.abs(sound(name).astype(np.float64))
        assert x[: at(10)].max() > 0.5 * x.max(), name  # loud within 10 ms: a findable onset
        assert x[-at(5) :].max() < 0.01 * x.max(), name  # no click at the end


def write_tone(path: Path, hz: float, seconds: float) -> None:
    """A stereo 44.1 kHz WAV, so decoding must also mix down and resample."""
    rate = 44_100
    t = np.arange(int(rate * seconds)) / rate
    tone = (np.sin(2 * np.pi * hz * t) * np.exp(-t / 0.5) * 20_000).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.repeat(tone, 2).tobytes())


def test_a_routine_may_name_its_own_step_sound(tmp_path: Path, speaker: Speaker) -> None:
    write_tone(tmp_path / "gong.wav", 330.0, 1.0)
    routine = load_routine(write_short(tmp_path, "sounds:\n  step: gong.wav\n"))
    build(routine, tmp_path / "out", BuildOptions(), speaker)
    plan = json.loads((tmp_path / "out" / "short.json").read_text())
    audio = decoded(tmp_path / "out" / "short.mp3")
    for part in (p for p in plan["parts"] if p["kind"] == "step"):
        chime = next(c for c in plan["events"] if c["part"] == part["id"] and c["kind"] == "sound")
        assert chime["text"] == "step" and abs(chime["end_ms"] - chime["start_ms"] - 1000) <= 5
        heard = audio[at(part["start_ms"]) : at(part["start_ms"] + 900)]
        assert abs(dominant_hz(heard) - 330.0) < 10  # the gong, not the built-in bell
    rest = next(p for p in plan["parts"] if p["kind"] == "rest")
    assert abs(dominant_hz(audio[at(rest["start_ms"]) : at(rest["start_ms"] + 900)]) - 392) < 10


def test_a_missing_sound_file_names_its_line(tmp_path: Path) -> None:
    path = write_short(tmp_path, "sounds:\n  end: nowhere.mp3\n")
    with pytest.raises(RoutineError) as caught:
        load_routine(path)
    line = path.read_text().splitlines().index("  end: nowhere.mp3") + 1
    assert f"short.yaml:{line}: sounds.end:" in str(caught.value)
    assert "nowhere.mp3: no such sound file" in str(caught.value)


def test_an_unknown_sound_name_is_exit_2_with_the_known_ones(tmp_path: Path) -> None:
    write_tone(tmp_path / "gong.wav", 330.0, 1.0)
    path = write_short(tmp_path, "sounds:\n  bell: gong.wav\n")
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 2
    assert "sounds.bell: unknown key" in result.stderr and "step, reminder, end" in result.stderr


def test_a_file_that_is_not_audio_is_a_routine_error(tmp_path: Path) -> None:
    (tmp_path / "notes.wav").write_text("not audio")
    routine = load_routine(write_short(tmp_path, "sounds:\n  reminder: notes.wav\n"))
    with pytest.raises(RoutineError, match=r"sounds\.reminder: .*notes\.wav: cannot be decoded"):
        routine_sounds(routine)


def make_audio(path: Path, *sources: str, seconds: float = 1.0) -> Path:
    """A file of the kind its suffix names, made by the real ffmpeg from lavfi sources
    joined end to end (``sine=f=330:d=0.5``, ``anullsrc``), mono 8 kHz."""
    inputs = [arg for s in sources for arg in ("-f", "lavfi", "-i", s)]
    joined = "".join(f"[{i}]" for i in range(len(sources))) + f"concat=n={len(sources)}:v=0:a=1"
    graph = f"{joined},atrim=0:{seconds}"
    ffmpeg.run([*inputs, "-filter_complex", graph, "-ar", "8000", str(path)], doing="make a file")
    return path


@pytest.mark.parametrize("suffix", ["wav", "flac", "mp3", "ogg", "opus", "m4a", "webm", "aiff"])
def test_own_sounds_may_be_any_ordinary_audio_file(tmp_path: Path, suffix: str) -> None:
    make_audio(tmp_path / f"gong.{suffix}", "sine=f=330:d=1", seconds=1.0)
    routine = load_routine(write_short(tmp_path, f"sounds:\n  step: gong.{suffix}\n"))
    gong = routine_sounds(routine)["step"]
    assert abs(gong.size - RATE_HZ) < RATE_HZ // 20 and abs(dominant_hz(gong) - 330) < 10


def test_a_playlist_named_as_a_sound_is_refused(tmp_path: Path) -> None:
    """ffmpeg would follow an ffconcat playlist saved as bell.wav to the files it lists: a
    few lines could stand for hours of audio, or for files the routine's author never sent."""
    make_audio(tmp_path / "gong.flac", "sine=f=330:d=1", seconds=1.0)
    (tmp_path / "bell.wav").write_text("ffconcat version 1.0\nfile gong.flac\nfile gong.flac\n")
    routine = load_routine(write_short(tmp_path, "sounds:\n  step: bell.wav\n"))
    with pytest.raises(RoutineError) as caught:
        routine_sounds(routine)
    assert str(caught.value).endswith(
        "bell.wav: cannot be decoded as audio (not a kind of audio file voiceguide reads; use "
        "WAV, FLAC, MP3, Ogg (Vorbis, Opus), M4A, WebM, AIFF, AAC, CAF or WavPack)"
    )
    assert ": sounds.step: " in str(caught.value)


def test_only_a_long_sound_files_first_seconds_are_decoded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten minutes of FLAC fill a few hundred kB, 26 MB once decoded; two hours would fill
    gigabytes. ffmpeg stops after the first 8 s, so the cost is a short file's."""
    make_audio(tmp_path / "long.flac", "sine=f=330:d=0.5", "anullsrc=r=8000:cl=mono", seconds=600)
    given: list[tuple[list[str], int]] = []

    def counted(args: list[str], **kw: Any) -> ffmpeg.Result:
        result = real_run(args, **kw)
        given.append((args, len(result.stdout)))
        return result

    real_run = ffmpeg.run
    monkeypatch.setattr(ffmpeg, "run", counted)
    routine = load_routine(write_short(tmp_path, "sounds:\n  end: long.flac\n"))
    bell = routine_sounds(routine)["end"]
    [(args, decoded_bytes)] = given
    assert args[args.index("-t") + 1] == "8.000" and args.index("-t") < args.index("-i")
    assert decoded_bytes <= 2 * RATE_HZ * 8.1  # 16-bit samples
    assert abs(bell.size - RATE_HZ // 2) < RATE_HZ // 20  # the tone, where it dies away


def outside_the_folder(tmp_path: Path) -> dict[str, str]:
    """Three ways a routine in tmp_path/shared might name a file that is not its own."""
    private = tmp_path / "private.yaml"
    private.write_text("a file of yours\n")
    folder = tmp_path / "shared"
    folder.mkdir()
    (folder / "bell.wav").symlink_to(private)
    return {"absolute": str(private), "up": "../private.yaml", "symlink": "bell.wav"}


@pytest.mark.parametrize(
    ("how", "why"),
    [
        ("absolute", "is an absolute path"),
        ("up", "leads outside the routine's folder"),
        ("symlink", "leads outside the routine's folder"),
    ],
)
@pytest.mark.parametrize("command", ["check", "build"])
def test_a_sound_outside_the_routines_folder_is_refused(
    tmp_path: Path, how: str, why: str, command: str
) -> None:
    """README: sound paths are relative to the routine file. A stranger's routine must not
    put one of your own files into the track you build from it."""
    written = outside_the_folder(tmp_path)[how]
    path = write_short(tmp_path / "shared", f"sounds:\n  step: {written}\n")
    line = path.read_text().splitlines().index(f"  step: {written}") + 1
    output = ["-o", str(tmp_path / "out")] if command == "build" else []
    result = CliRunner().invoke(cli, [command, str(path), *output])
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {path}:{line}: sounds.step: {written}: {why}; name a file in the routine's "
        "folder or below it, such as sounds/gong.wav\n"
    )
    assert not (tmp_path / "out").exists()


def test_a_sound_in_a_folder_below_the_routine_or_linked_within_it_is_its_own(
    tmp_path: Path,
) -> None:
    (tmp_path / "sounds").mkdir()
    write_tone(tmp_path / "sounds" / "gong.wav", 330.0, 1.0)
    (tmp_path / "bell.wav").symlink_to(tmp_path / "sounds" / "gong.wav")
    routine = load_routine(
        write_short(tmp_path, "sounds:\n  step: sounds/gong.wav\n  end: sounds/../bell.wav\n")
    )
    assert set(routine.sounds) == {"step", "end"}
