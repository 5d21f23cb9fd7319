"""Durations the user chooses, measured in the decoded MP3 built by the real engines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from voiceguide.cli import cli
from voiceguide.pcm import RATE_HZ

from .audio import decoded, onset_ms
from .conftest import ROUTINES

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def run_build(out: Path, clip_cache: Path, *options: str):
    args = ["build", "classic", "--routines", str(ROUTINES), "-o", str(out)]
    result = CliRunner().invoke(cli, [*args, "--cache-dir", str(clip_cache), *options])
    assert result.exit_code == 0, result.stderr
    return result, json.loads((out / "classic.json").read_text())


@pytest.fixture(scope="module")
def twenty_minutes(tmp_path_factory: pytest.TempPathFactory, clip_cache: Path):
    out = tmp_path_factory.mktemp("twenty")
    result, plan = run_build(out, clip_cache, "--duration", "20m", "--rest", "0", "--pause", "0")
    return result, plan, decoded(out / "classic.mp3")


@pytest.fixture(scope="module")
def kneading_pinned(tmp_path_factory: pytest.TempPathFactory, clip_cache: Path):
    out = tmp_path_factory.mktemp("pinned")
    options = ["--duration", "20m", "--rest", "0", "--pause", "0", "--step", "kneading=12m"]
    result, plan = run_build(out, clip_cache, *options)
    return result, plan, decoded(out / "classic.mp3")


def test_duration_20m_gives_a_track_of_1200s_within_50ms(twenty_minutes) -> None:
    _, plan, audio = twenty_minutes
    assert plan["total_ms"] == 1_200_000
    assert "rest" not in [p["id"] for p in plan["parts"]]
    assert abs(audio.size * 1000 / RATE_HZ - 1_200_000) <= 50


def test_a_pin_outside_the_steps_range_is_kept_with_a_warning_on_stderr(clip_cache: Path) -> None:
    args = ["script", "classic", "--routines", str(ROUTINES), "--cache-dir", str(clip_cache)]
    result = CliRunner().invoke(cli, [*args, "--step", "kneading=40m"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "Warning: --step kneading=40m is outside the step's range" in result.stderr
    assert "     40m  3. Kneading  (pinned)" in result.stdout


def test_next_chime_lands_720s_after_a_kneading_pinned_to_12m(kneading_pinned) -> None:
    _, plan, audio = kneading_pinned
    parts = [p for p in plan["parts"] if p["kind"] == "step"]
    index = next(i for i, p in enumerate(parts) if p["id"] == "kneading")
    kneading, following = parts[index], parts[index + 1]
    assert kneading["end_ms"] - kneading["start_ms"] == 720_000
    heard_kneading = onset_ms(audio, kneading["start_ms"])
    heard_next = onset_ms(audio, following["start_ms"])
    assert heard_kneading is not None and heard_next is not None
    assert abs(heard_next - heard_kneading - 720_000) <= 50
    assert abs(audio.size * 1000 / RATE_HZ - 1_200_000) <= 50


def test_script_prints_the_fitted_plan_before_the_narration(clip_cache: Path) -> None:
    args = ["script", "classic", "--routines", str(ROUTINES), "--cache-dir", str(clip_cache)]
    result = CliRunner().invoke(
        cli,
        [*args, "--duration", "20m", "--rest", "0", "--pause", "0", "--step", "kneading=12m"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("Classic back massage (classic): 20m\n")
    assert out.index("Plan:") < out.index("1. Stroking") < out.index("Narration:")
    assert "    12m  3. Kneading  (pinned)" in out and "  20:00 " in out.split("Narration:")[0]


def test_infeasible_duration_is_exit_2_with_the_feasible_range(clip_cache: Path) -> None:
    args = ["script", "classic", "--routines", str(ROUTINES), "--cache-dir", str(clip_cache)]
    result = CliRunner().invoke(cli, [*args, "--duration", "5m"])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --duration 5m: classic can be ")
    assert " with these settings (the intro " in result.stderr
    assert "; with --rest 0 it can be " in result.stderr and result.stderr.count("\n") == 1


def test_unknown_step_is_exit_2_listing_the_steps(clip_cache: Path) -> None:
    args = ["script", "classic", "--routines", str(ROUTINES), "--cache-dir", str(clip_cache)]
    result = CliRunner().invoke(cli, [*args, "--step", "kneeding=12m"])
    assert result.exit_code == 2
    assert 'has no step "kneeding"; its steps are stroking, rubbing, kneading' in result.stderr
