"""Builds as a whole: up to date or not, and the same samples however they are built.

Streaming or whole-buffer, cold or warm cache, alone or in parallel, the
decoded track is identical; many routines build side by side, a failing one
reported while the rest are built; two builds of one routine at once leave
one valid track.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner

from voiceguide.audio import loudness, mixer
from voiceguide.build import BuildOptions, audio_events, prepare, routine_sounds
from voiceguide.cli import cli
from voiceguide.cli.progress import Bars, interactive
from voiceguide.mp3 import pieces, true_peak
from voiceguide.pcm import sample_index
from voiceguide.routine import load_routine
from voiceguide.speech import Speaker

from .audio import decoded
from .tiny import TINY, tiny_routine


def invoke(*args: str):
    return CliRunner().invoke(cli, ["build", *args], catch_exceptions=False)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return tiny_routine(tmp_path / "routines")


def test_an_unchanged_build_is_up_to_date_and_touches_nothing(
    tiny: Path, clip_cache: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = (str(tiny), "--cache-dir", str(clip_cache), "-o", str(out))
    assert invoke(*args).stdout == f"built {out / 'tiny.mp3'}\n"
    stamp = (out / "tiny.mp3").stat().st_mtime_ns
    again = invoke(*args)
    assert again.exit_code == 0 and again.stdout == f"{out / 'tiny.mp3'} is up to date\n"
    assert (out / "tiny.mp3").stat().st_mtime_ns == stamp
    assert invoke(*args, "--force").stdout.startswith("built ")
    assert (out / "tiny.mp3").stat().st_mtime_ns != stamp


@pytest.mark.parametrize(
    "change",
    ["an option", "the routine file", "a truncated track", "a missing plan", "another plan"],
)
def test_a_changed_input_or_damaged_output_builds_again(
    change: str, tiny: Path, clip_cache: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = [str(tiny), "--cache-dir", str(clip_cache), "-o", str(out)]
    assert invoke(*args).exit_code == 0
    mp3, plan = out / "tiny.mp3", out / "tiny.json"
    if change == "an option":
        args += ["--lead-in", "7s"]
    elif change == "the routine file":
        tiny.write_text(TINY.replace("duration: 10s", "duration: 11s"))
    elif change == "a truncated track":
        mp3.write_bytes(mp3.read_bytes()[: mp3.stat().st_size // 2])
    elif change == "a missing plan":
        plan.unlink()
    else:
        doc = json.loads(plan.read_text())
        plan.write_text(json.dumps({**doc, "fingerprint": "0" * 64}))
    assert invoke(*args).stdout.startswith("built ")


def reference_mix(speaker: Speaker, routine: Path, target: Path) -> None:
    """The whole track as one buffer, cut into the same pieces and checked for true peak as a
    build does: what streaming must equal (the MP3 is lossy: the pieces must be the same)."""
    loaded = load_routine(routine)
    options = BuildOptions()
    with speaker:
        script = prepare(loaded, options, speaker)
        clips = speaker.clips(c.text for c in script.speech)
    leveled = loudness.level(
        audio_events(script), clips, routine_sounds(loaded), target=options.loudness_lufs
    )
    placed = mixer.placements(audio_events(script), leveled.clips, leveled.sounds)
    total = sample_index(script.plan.total_ms)
    whole = mixer.mix(placed, total)

    def render(begin: int, end: int) -> list[bytes]:
        return [whole[2 * begin : 2 * end]]

    sounding = [(p.start, p.end) for p in placed]
    pieces.encode(pieces.Source(render, total, sounding, true_peak.PeakCheck(render)), target)
    assert len(pieces.layout(total, sounding)) > 1  # the joins are part of what is compared


def test_the_track_is_the_same_streamed_or_whole_cold_or_warm_alone_or_parallel(
    tmp_path: Path, real_speaker: Callable[..., Speaker]
) -> None:
    routines = tmp_path / "routines"
    tiny = tiny_routine(routines)
    tiny_routine(routines, "twin")
    cache = tmp_path / "cache"  # starts empty: the first build synthesizes every clip
    cold, warm, parallel = tmp_path / "cold", tmp_path / "warm", tmp_path / "parallel"
    assert invoke(str(tiny), "--cache-dir", str(cache), "-o", str(cold)).exit_code == 0
    assert invoke(str(tiny), "--cache-dir", str(cache), "-o", str(warm)).exit_code == 0
    both = invoke(*map(str, sorted(routines.glob("*.yaml"))), "--jobs", "2", "--cache-dir", str(cache), "-o", str(parallel))  # fmt: skip
    assert both.exit_code == 0 and sorted(both.stdout.splitlines()) == [
        f"built {parallel / 'tiny.mp3'}",
        f"built {parallel / 'twin.mp3'}",
    ]
    reference_mix(real_speaker(cache_dir=cache), tiny, tmp_path / "whole.mp3")
    expected = decoded(tmp_path / "whole.mp3")
    assert expected.size > 20 * 22_050 and np.abs(expected).max() > 0.1
    for track in (cold / "tiny.mp3", warm / "tiny.mp3", parallel / "tiny.mp3", parallel / "twin.mp3"):  # fmt: skip
        assert np.array_equal(decoded(track), expected), track


def test_fifty_routines_build_with_one_failure_reported_and_the_rest_built(
    tmp_path: Path, clip_cache: Path
) -> None:
    routines = tmp_path / "routines"
    for n in range(49):
        tiny_routine(routines, f"r{n:02d}")
    tiny_routine(routines, "r49", TINY.replace("duration: 10s", "duration: ten seconds"))
    out = tmp_path / "out"
    result = invoke(*map(str, sorted(routines.glob("*.yaml"))), "--jobs", "2", "--no-intro", "--cache-dir", str(clip_cache), "-o", str(out))  # fmt: skip
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if not line.startswith("Warning:")]
    assert len(errors) == 1 and errors[0].startswith(f"Error: {routines / 'r49.yaml'}:")
    assert "duration" in errors[0]
    assert sorted(result.stdout.splitlines()) == [f"built {out / f'r{n:02d}.mp3'}" for n in range(49)]  # fmt: skip
    assert sorted(p.name for p in out.glob("*.mp3")) == [f"r{n:02d}.mp3" for n in range(49)]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary leftovers


@pytest.mark.parametrize("force", [False, True])
def test_two_builds_of_one_routine_at_once_leave_one_valid_track(
    force: bool, tiny: Path, clip_cache: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    command = [sys.executable, "-c", "from voiceguide.cli import main; main()", "build", str(tiny)]
    command += ["--cache-dir", str(clip_cache), "-o", str(out)] + (["--force"] if force else [])
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in "ab"]
    results = [(p.wait(timeout=120), *p.communicate()) for p in runs]
    assert [code for code, _, _ in results] == [0, 0]
    assert not [err for _, _, err in results if b"Error" in err]
    said = sorted(out_text.decode() for _, out_text, _ in results)
    mp3 = out / "tiny.mp3"
    # they take turns: without --force the second finds the first one's track up to date
    second = f"built {mp3}\n" if force else f"{mp3} is up to date\n"
    assert said == sorted([f"built {mp3}\n", second])
    names = [
        "index.html", "tiny.chapters.json", "tiny.html", "tiny.json", "tiny.manifest.json",
        "tiny.mp3", "tiny.vtt",
    ]  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == names
    plan = json.loads((out / "tiny.json").read_text())
    audio = decoded(out / "tiny.mp3")
    assert abs(audio.size * 1000 / 22_050 - plan["total_ms"]) <= 50


def test_bars_on_a_terminal_show_each_build_and_leave_its_final_line() -> None:
    screen = io.StringIO()
    bars = Bars(screen)
    a, b = Path("routines/a.yaml"), Path("routines/b.yaml")
    bars.update(a, "speaking", 0.5)
    bars.update(b, "mixing", 0.25)
    bars.finish(a, "built output/a.mp3")
    bars.close()
    text = screen.getvalue()
    assert "a                        speaking [" in text and " 50%" in text and " 25%" in text
    assert "\x1b[2F\x1b[J" in text and text.endswith("\x1b[1F\x1b[J")
    assert "built output/a.mp3\n" in text


def test_no_bars_in_a_pipe_or_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert interactive(Tty()) and not interactive(io.StringIO())
    monkeypatch.setenv("CI", "true")
    assert not interactive(Tty())


def test_default_jobs_is_the_number_of_cores() -> None:
    from voiceguide.cli.commands import build_command

    jobs = next(p for p in build_command.params if p.name == "jobs")
    assert jobs.get_default(click.Context(build_command)) == (os.cpu_count() or 1)
