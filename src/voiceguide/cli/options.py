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
from ..build import BuildOptions
from ..errors import DurationError
from ..narration import LEAD_IN_MS
from ..routine import parse_duration
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


class SafePath(click.Path):
    """A click.Path that refuses NUL bytes with a clear line (exit 2), not a ValueError."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if "\0" in str(value):
            self.fail(f'"{shown(str(value))}" contains a NUL byte', param, ctx)
        return super().convert(value, param, ctx)


def shown(text: str) -> str:
    """``text`` on one line: control characters (NUL, newlines) escaped."""
    return "".join(c if c.isprintable() else _escape(ord(c)) for c in text)


def _escape(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def timing_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--duration", type=DURATION, help="Whole track length, e.g. 20m or 45:00; steps are scaled to fit."),
        click.option("--step", "pins", type=StepPinType(), multiple=True, help="Pin a step's length, e.g. kneading=12m (repeatable)."),
        click.option("--rest", type=DURATION, help="Length of the rest under a blanket at the end; 0 drops it."),
        click.option("--no-intro", is_flag=True, help="Skip the preparation and safety intro."),
        click.option("--lead-in", type=DURATION, default=LEAD_IN_MS, show_default="6s", help="Time from 'get ready' to the first instruction."),
        click.option("--no-heads-up", is_flag=True, help="Do not name the next step 30 seconds before each step ends."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def voice_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--voice", help="A voice from `voiceguide voices`: an espeak-ng id (default gmw/en-us), the Piper voice joe, or a Piper voice's NAME.onnx path. Overrides the routine's voice:."),
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
    return BuildOptions(
        timing=TimingRequest(
            total_ms=kw["duration"],
            pins=pins,
            rest_ms=kw["rest"],
            intro=not kw["no_intro"],
        ),
        voice=kw["voice"],
        rate_wpm=kw["rate"],
        lead_in_ms=kw["lead_in"],
        heads_up=not kw["no_heads_up"],
        ambient=ambient.resolve(kw["ambient"]) if kw.get("ambient") else None,
        loudness_lufs=kw.get("loudness", TARGET_LUFS),
        cache_dir=None if kw["no_cache"] else (kw["cache_dir"] or default_cache_dir()),
    )
