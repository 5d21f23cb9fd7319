"""The command line's options: their types, groups and how they become BuildOptions.

Shared by several commands (``script`` and ``build`` take the same timing
and voice options), so they are declared once here and commands.py stays the
commands themselves.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..audio import ambient
from ..audio.loudness import TARGET_LUFS
from ..build import MAX_SILENCE_MS, PAUSE_MS, BuildOptions
from ..errors import DurationError
from ..errors import one_line as shown
from ..narration import LEAD_IN_MS
from ..routine import format_duration, parse_duration
from ..speech import DEFAULT_RATE_WPM, default_cache_dir
from ..timeline import TimingRequest


class DurationType(click.ParamType):
    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_duration(value)
        except DurationError as exc:
            self.fail(str(exc), param, ctx)


class StepPinType(click.ParamType):
    name = "ID=DURATION"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, int]:
        if isinstance(value, tuple):
            return value
        step_id, sep, raw = str(value).partition("=")
        if not sep or not step_id.strip():
            self.fail(f'"{value}" is not ID=DURATION, for example kneading=12m', param, ctx)
        try:
            return step_id.strip(), parse_duration(raw)
        except DurationError as exc:
            self.fail(f"{step_id.strip()}: {exc}", param, ctx)


DURATION = DurationType()
MIN_MAX_SILENCE_MS = 30_000  # a shorter limit would leave the steps little but reminders


class SafePath(click.Path):
    """A click.Path that refuses NUL bytes with a clear line (exit 2), not a ValueError."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if "\0" in str(value):
            self.fail(f'"{shown(str(value))}" contains a NUL byte', param, ctx)
        return super().convert(value, param, ctx)


def timing_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--duration", type=DURATION, help="Whole track length, e.g. 20m or 45:00; steps are scaled to fit."),
        click.option("--step", "pins", type=StepPinType(), multiple=True, help="Pin a step's length, e.g. kneading=12m (repeatable)."),
        click.option("--rest", type=DURATION, help="Length of the rest under a blanket at the end; 0 drops it."),
        click.option("--no-intro", is_flag=True, help="Skip the preparation; the checklist and cautions are still read (see --no-checklist)."),
        click.option("--no-checklist", is_flag=True, help="Do not read the checklist of contraindications and the cautions (prints a warning)."),
        click.option("--pause", "pause", type=DURATION, default=PAUSE_MS, show_default="2m", help="Silence after the intro to get ready, ended by the bell of step 1; 0 for none."),
        click.option("--max-silence", type=DURATION, default=MAX_SILENCE_MS, show_default="3m", help="Longest silence inside a step; the step's reminders fill longer ones."),
        click.option("--no-reminders", is_flag=True, help="Do not fill long silences inside steps with the steps' reminders."),
        click.option("--lead-in", type=DURATION, default=LEAD_IN_MS, show_default="5s", help="Time from 'get ready' to the first instruction."),
        click.option("--no-heads-up", is_flag=True, help="Do not name the next step 30 seconds before each step ends."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def voice_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--voice", help="espeak-ng voice id (see `voiceguide voices`), default gmw/en-us."),
        click.option("--rate", type=click.IntRange(80, 400), default=DEFAULT_RATE_WPM, show_default=True, help="Speaking rate in words a minute."),
        click.option("--cache-dir", type=SafePath(file_okay=False, path_type=Path), help="Where spoken clips are cached (default: ~/.cache/voiceguide/clips)."),
        click.option("--no-cache", is_flag=True, help="Synthesize every clip afresh and keep none."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def sound_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--ambient", metavar="NAME|PATH", help=f"An ambient bed under the voice, ducked while it speaks: {ambient.describe()}. Off by default."),
        click.option("--loudness", type=click.FloatRange(-40, -6), default=TARGET_LUFS, show_default=True, help="Integrated loudness of the track in LUFS (EBU R128)."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


routines_option = click.option(
    "--routines",
    "routines_dir",
    type=SafePath(file_okay=False, path_type=Path),
    default=lambda: os.environ.get("VOICEGUIDE_ROUTINES", "routines"),
    show_default="routines/ or $VOICEGUIDE_ROUTINES",
    help="Folder of routine files that ids refer to.",
)


def make_options(**kw: Any) -> BuildOptions:
    pins: dict[str, int] = {}
    for step_id, ms in kw["pins"]:
        if step_id in pins:
            raise click.BadParameter(f'step "{step_id}" is pinned twice', param_hint="'--step'")
        pins[step_id] = ms
    max_silence = kw.get("max_silence", MAX_SILENCE_MS)
    if max_silence < MIN_MAX_SILENCE_MS:
        raise click.BadParameter(
            f"{format_duration(max_silence)} is too short to leave room for the words; "
            f"give at least {format_duration(MIN_MAX_SILENCE_MS)}, or --no-reminders",
            param_hint="'--max-silence'",
        )
    return BuildOptions(
        timing=TimingRequest(
            total_ms=kw["duration"],
            pins=pins,
            rest_ms=kw["rest"],
            intro=not kw["no_intro"],
        ),
        checklist=not kw.get("no_checklist", False),
        pause_ms=kw.get("pause", PAUSE_MS),
        max_silence_ms=None if kw.get("no_reminders") else max_silence,
        voice=kw["voice"],
        rate_wpm=kw["rate"],
        lead_in_ms=kw["lead_in"],
        heads_up=not kw["no_heads_up"],
        ambient=ambient.resolve(kw["ambient"]) if kw.get("ambient") else None,
        loudness_lufs=kw.get("loudness", TARGET_LUFS),
        cache_dir=None if kw["no_cache"] else (kw["cache_dir"] or default_cache_dir()),
    )
