"""Up to date: every input of a build is in the fingerprint, and a changed one builds again.

The fingerprint is the digest of ``fresh.inputs``; these tests change one
input at a time and expect another fingerprint (the fake engine: speech is
not the point), and one end-to-end build shows a changed sound file heard.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from voiceguide import fresh
from voiceguide.cli import cli
from voiceguide.routine import load_routine
from voiceguide.settings import BuildOptions
from voiceguide.speech import FakeEngine, Speaker
from voiceguide.timeline import TimingRequest

from .audio import at, decoded
from .test_sounds import dominant_hz, write_tone
from .tiny import TINY, tiny_routine


def fingerprint(path: Path, options: BuildOptions | None = None) -> str:
    with Speaker(FakeEngine(), cache_dir=None) as speaker:
        return fresh.fingerprint(load_routine(path), options or BuildOptions(), speaker)


def with_bell(folder: Path, hz: float) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_tone(folder / "bell.wav", hz, 1.0)
    return tiny_routine(folder, text=TINY.replace("steps:", "sounds:\n  step: bell.wav\nsteps:"))


def test_a_routines_own_sound_file_is_an_input(tmp_path: Path) -> None:
    routine = with_bell(tmp_path, 330.0)
    before = fingerprint(routine)
    assert fingerprint(routine) == before  # the same inputs, the same fingerprint
    write_tone(tmp_path / "bell.wav", 440.0, 1.0)
    assert fingerprint(routine) != before


def test_the_routine_file_its_shared_parts_and_the_options_are_inputs(tmp_path: Path) -> None:
    routine = tiny_routine(tmp_path, text=TINY + "include: [safety]\n")
    before = fingerprint(routine)
    rows = fresh.inputs(
        load_routine(routine), BuildOptions(), Speaker(FakeEngine(), cache_dir=None)
    )
    assert [r[:2] for r in rows if r[0] in ("routine", "part")] == [
        ["routine", str(routine)],
        ["part", "safety"],
    ]
    assert fingerprint(routine, BuildOptions(timing=TimingRequest(rest_ms=0))) != before
    routine.write_text(TINY.replace("12s", "13s") + "include: [safety]\n", encoding="utf-8")
    assert fingerprint(routine) != before


def test_an_ambient_file_is_an_input_by_its_content(tmp_path: Path) -> None:
    routine = tiny_routine(tmp_path)
    write_tone(tmp_path / "bed.wav", 200.0, 1.0)
    options = BuildOptions(ambient=str(tmp_path / "bed.wav"))
    before = fingerprint(routine, options)
    write_tone(tmp_path / "bed.wav", 250.0, 1.0)
    assert fingerprint(routine, options) != before


@pytest.mark.slow
def test_a_changed_bell_file_is_heard_in_the_next_build(tmp_path: Path, clip_cache: Path) -> None:
    routine = with_bell(tmp_path / "routines", 330.0)
    out = tmp_path / "out"
    args = ["build", str(routine), "-o", str(out), "--cache-dir", str(clip_cache)]
    assert CliRunner().invoke(cli, args).stdout == f"built {out / 'tiny.mp3'}\n"
    write_tone(tmp_path / "routines" / "bell.wav", 660.0, 1.0)
    assert CliRunner().invoke(cli, args).stdout == f"built {out / 'tiny.mp3'}\n"
    plan = json.loads((out / "tiny.json").read_text(encoding="utf-8"))
    bell = next(e for e in plan["events"] if e["kind"] == "sound" and e["text"] == "step")
    heard = decoded(out / "tiny.mp3")[at(bell["start_ms"]) : at(bell["start_ms"] + 900)]
    assert abs(dominant_hz(heard) - 660.0) < 10  # the new bell, not the one built before


@pytest.mark.usefixtures("no_voice_env")
def test_the_engine_row_names_the_voice_that_speaks() -> None:
    """A German routine with no voice chosen is spoken by espeak-ng's German voice, and the
    inputs say so (they once named the default voice, joe, which does not speak German)."""
    from voiceguide.routine.library import find_routine
    from voiceguide.speakers import make_speaker

    routine = load_routine(find_routine("classic", language="de"))
    with make_speaker(BuildOptions(), routine) as speaker:
        rows = fresh.inputs(routine, BuildOptions(), speaker)
    assert [r[1] for r in rows if r[0] == "engine"] == ["gmw/de"]
