"""An infeasible --duration shows the way: each suggested change, run, plans the asked length.

With the real engine (speech lengths are the point): the message names what
holds the time and the range each change gives; every range it prints is
met at both ends, and the change whose range holds the asked length builds
exactly that length.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from voiceguide.cli import cli
from voiceguide.routine.durations import parse_duration

ASKED = [("classic", "20m"), ("child", "10m")]
OFFER = re.compile(r"; with (--[^;]*?) it can be ([0-9hms.]+) to ([0-9hms.]+)")


def script(clip_cache: Path, routine: str, *args: str):
    return CliRunner().invoke(
        cli, ["script", routine, "--cache-dir", str(clip_cache), *args], catch_exceptions=False
    )


def planned_total(output: str) -> int:
    """The total from the first line of `voiceguide script`: "Title (id): 20m"."""
    return parse_duration(output.splitlines()[0].rsplit(": ", 1)[1])


@pytest.mark.parametrize(("routine", "duration"), ASKED)
def test_the_refusal_names_what_holds_the_time_and_each_way_out(
    clip_cache: Path, routine: str, duration: str
) -> None:
    refused = script(clip_cache, routine, "--duration", duration)
    assert refused.exit_code == 2 and refused.stderr.count("\n") == 1, refused.stderr
    message = refused.stderr
    assert message.startswith(f"Error: --duration {duration}: {routine} can be ")
    for held in ("the intro", "the rest 15m", "the steps at least"):
        assert held in message
    offers = OFFER.findall(message)
    assert [o[0] for o in offers][:1] == ["--rest 0"]
    assert any(o[0] == "--no-intro" for o in offers)
    # a shorter rest is offered where one would reach (with the pause after the intro the
    # shortest tracks may need more than the rest can give: then --rest 0 is the way)
    reaching = [
        o
        for o in offers
        if parse_duration(o[1]) <= parse_duration(duration) <= parse_duration(o[2])
    ]
    assert reaching, message
    for option, low, high in offers:
        # both ends of every range shown are met with that change...
        for end in (low, high):
            result = script(clip_cache, routine, "--duration", end, *shlex.split(option))
            assert result.exit_code == 0, (option, end, result.stderr)
            assert planned_total(result.stdout) == parse_duration(end)
        # ...and the asked length exactly where the range holds it
        result = script(clip_cache, routine, "--duration", duration, *shlex.split(option))
        if parse_duration(low) <= parse_duration(duration) <= parse_duration(high):
            assert result.exit_code == 0, (option, result.stderr)
            assert planned_total(result.stdout) == parse_duration(duration)
        else:
            assert result.exit_code == 2


def test_a_suggested_change_builds_the_asked_length(clip_cache: Path, tmp_path: Path) -> None:
    refused = script(clip_cache, "child", "--duration", "10m")
    option = next(
        o[0]
        for o in OFFER.findall(refused.stderr)
        if parse_duration(o[1]) <= 600_000 <= parse_duration(o[2])
    )
    args = ["build", "child", "--duration", "10m", *shlex.split(option), "-o", str(tmp_path)]
    result = CliRunner().invoke(cli, [*args, "--cache-dir", str(clip_cache)])
    assert result.exit_code == 0, result.stderr
    assert json.loads((tmp_path / "child.json").read_text())["total_ms"] == 600_000


def test_too_long_suggests_a_longer_rest(clip_cache: Path) -> None:
    refused = script(clip_cache, "child", "--duration", "2h")
    assert refused.exit_code == 2
    assert "the steps at most" in refused.stderr
    (option, low, high), *_ = OFFER.findall(refused.stderr)
    assert option.startswith("--rest ") and parse_duration(low) <= 7_200_000 <= parse_duration(high)


def test_too_long_with_every_step_pinned_points_the_longer_way(clip_cache: Path) -> None:
    """It offered --rest 0 --no-intro and ended "shorter than that needs shorter steps" for a
    --duration longer than the routine could be."""
    pins = ["stroking=3m", "rubbing=3m", "kneading=10m", "cupping=3m", "vibration=3m"]
    pinned = [arg for pin in [*pins, "final-stroking=3m"] for arg in ("--step", pin)]
    refused = script(clip_cache, "classic", *pinned, "--duration", "50m")
    message = refused.stderr
    assert refused.exit_code == 2 and message.count("\n") == 1, message
    assert "--no-intro" not in message and "--rest 0" not in message and "shorter" not in message
    offers = re.findall(r"; with (--[^;]*?) it can be only ([0-9hms.]+)", message)
    assert [option.split()[0] for option, _ in offers] == ["--rest"]  # the longer rest, the one way
    (option, only), *_ = offers
    assert parse_duration(option.split()[1]) > 15 * 60_000 and parse_duration(only) >= 50 * 60_000
    assert message.rstrip().endswith(
        "; or make the steps longer: raise their max in a copy of the routine file, "
        "or pin them longer with --step"
    )


@pytest.mark.parametrize("routine", ["classic", "therapeutic", "partner", "child"])
def test_the_range_named_is_met_at_both_ends_and_not_beyond(clip_cache: Path, routine: str) -> None:
    """The intro says the massage's length, so the words said at the shortest total are not
    those of the routine's own lengths: the range is measured on the words said at its ends
    (it once named a shortest total a second short of what the build then met)."""
    refused = script(clip_cache, routine, "--duration", "1m")
    named = re.search(r"can be ([0-9hms.]+) to ([0-9hms.]+) with these settings", refused.stderr)
    assert named, refused.stderr
    low, high = (parse_duration(end) for end in named.groups())
    for total in (low, high):
        result = script(clip_cache, routine, "--duration", f"{total // 1000}s")
        assert result.exit_code == 0, (total, result.stderr)
        assert planned_total(result.stdout) == total
    for total in (low - 1000, high + 1000):
        assert script(clip_cache, routine, "--duration", f"{total // 1000}s").exit_code == 2


def test_a_day_long_duration_is_refused_with_the_way_out_not_an_error_of_its_own(
    clip_cache: Path,
) -> None:
    """The rest that would reach a day gives a range that ends at a day, not past it (once
    '"24h57s" is longer than 24h', naming no option)."""
    refused = script(clip_cache, "classic", "--duration", "24h")
    assert refused.exit_code == 2 and refused.stderr.count("\n") == 1, refused.stderr
    assert refused.stderr.startswith("Error: --duration 24h: classic can be ")
    option, _low, high = OFFER.findall(refused.stderr)[0]
    assert option.startswith("--rest ") and high == "24h"
    met = script(clip_cache, "classic", "--duration", "24h", *shlex.split(option))
    assert met.exit_code == 0, met.stderr
    assert planned_total(met.stdout) == parse_duration("24h")
