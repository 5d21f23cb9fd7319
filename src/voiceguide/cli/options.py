"""The command line's options: their types, groups and how they become BuildOptions.

Shared by several commands (``script`` and ``build`` take the same timing
and voice options), so they are declared once here and commands.py stays the
commands themselves. Nothing heavy is imported here: ``voiceguide --help``
and ``list`` must answer before numpy or the audio stages would have loaded,
so defaults that live in those stages are resolved in ``make_options``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from ..errors import DurationError, InputError, one_line
from ..routine.durations import format_duration, parse_duration

if TYPE_CHECKING:
    from pathlib import Path

    from ..settings import BuildOptions

__all__ = ["LANGUAGE_TEXT", "SafePath", "Text", "make_options"]

RATE_RANGE = (80, 400)
LOUDNESS_RANGE = (-40.0, -6.0)
AMBIENT_HELP = "noise, waves or a path to an audio file"  # audio.ambient.GENERATED, as said


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
            self.fail(
                f'"{one_line(value)}" is not ID=DURATION, for example kneading=12m', param, ctx
            )
        try:
            return step_id.strip(), parse_duration(raw)
        except DurationError as exc:
            self.fail(f"{step_id.strip()}: {exc}", param, ctx)


class Number(click.ParamType):
    """A number within bounds, refused in words a user knows (not "integer range")."""

    def __init__(
        self, kind: type[int] | type[float], low: float | None, high: float | None, what: str
    ) -> None:
        self.kind, self.low, self.high, self.what = kind, low, high, what
        self.name = "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number: float | None
        if isinstance(value, self.kind):
            number = value
        else:
            try:
                number = self.kind(str(value).strip())
            except ValueError:
                number = None
        if (
            number is None
            or not math.isfinite(number)  # nan passes every comparison: a silent track
            or (self.low is not None and number < self.low)
            or (self.high is not None and number > self.high)
        ):
            self.fail(f'"{one_line(str(value))}" is not {self.what}', param, ctx)
        return number


DURATION = DurationType()
MIN_MAX_SILENCE_MS = 30_000  # a shorter limit would leave the steps little but reminders
RATE = Number(
    int,
    *RATE_RANGE,
    f"a number of words a minute from {RATE_RANGE[0]} to {RATE_RANGE[1]}, e.g. 150",
)
LOUDNESS = Number(float, *LOUDNESS_RANGE, "a loudness in LUFS from -40 to -6, e.g. -16")
JOBS = Number(int, 1, None, "a number of builds at once: 1 or more")


class SafePath(click.Path):
    """A click.Path that refuses, each in one line saying what it ``accepts``, an empty value
    (``Path("")`` is the current folder: ``--cache-dir ""`` filled it with the cache), NUL
    bytes (not a ValueError) and, for a folder, a file (not click's "Directory ... is a
    file."); it gives a ``pathlib.Path``: pathlib is imported when a path is given, not for
    ``--help``."""

    def __init__(self, *, accepts: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.accepts = accepts

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = os.fsdecode(value) if isinstance(value, bytes) else str(value)
        if not text.strip():
            self.fail(f"empty; give {self.accepts}", param, ctx)
        if "\0" in text:
            self.fail(f'"{one_line(text)}" contains a NUL byte', param, ctx)
        if not self.file_okay and os.path.exists(text) and not os.path.isdir(text):
            self.fail(f'"{one_line(text)}" is a file; give {self.accepts}', param, ctx)
        from pathlib import Path

        return Path(os.fsdecode(super().convert(value, param, ctx)))


class Text(click.ParamType):
    """A word the user must give if they give the option: an empty one (``--voice ""``) is
    refused saying what it ``accepts``, not taken for the option left out."""

    name = "text"

    def __init__(self, accepts: str) -> None:
        self.accepts = accepts

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        if not str(value).strip():
            self.fail(f"empty; give {self.accepts}", param, ctx)
        return str(value)


LANGUAGE_TEXT = Text("a language tag such as de or ru")


def _apply(options: list[Callable[[Any], Any]], func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(options):
        func = option(func)
    return func


def timing_options(func: Callable[..., Any]) -> Callable[..., Any]:
    return _apply([
        click.option("--duration", type=DURATION, help="Whole track length, intro and rest included, e.g. 45m, 1h or 45:00; steps are scaled to fit."),
        click.option("--step", "pins", type=StepPinType(), multiple=True, help="Pin a step's length, e.g. kneading=12m (repeatable)."),
        click.option("--rest", type=DURATION, help="Length of the rest under a blanket at the end; 0 drops it."),
        click.option("--no-intro", is_flag=True, help="Skip the preparation; the checklist and cautions are still read (see --no-checklist)."),
        click.option("--no-checklist", is_flag=True, help="Do not read the checklist of contraindications and the cautions (prints a warning)."),
        click.option("--pause", "pause", type=DURATION, show_default="2m", help="Silence after the intro to get ready, ended by the bell of step 1; 0 for none."),
        click.option("--max-silence", type=DURATION, show_default="90s", help="Longest silence inside a step; the step's reminders fill longer ones."),
        click.option("--no-reminders", is_flag=True, help="Do not fill long silences inside steps with the steps' reminders."),
        click.option("--lead-in", type=DURATION, show_default="6s", help="Time from 'get ready' to the first instruction."),
        click.option("--no-heads-up", is_flag=True, help="Do not name the next step 30 seconds before each step ends."),
    ], func)  # fmt: skip


def voice_options(func: Callable[..., Any]) -> Callable[..., Any]:
    return _apply([
        click.option("--voice", type=Text("a voice from `voiceguide voices`, e.g. joe or espeak"), help="A voice from `voiceguide voices`: the Piper voice joe (the default where Piper is installed), espeak (espeak-ng's English voice, the default otherwise), an espeak-ng id, language (en, en-gb, de) or name, or a Piper voice's NAME.onnx path. Overrides the routine's voice: and $VOICEGUIDE_VOICE."),
        click.option("--rate", type=RATE, default=150, show_default=True, help="Speaking rate in English words a minute; German and Russian are spoken at the same setting (see docs/voices.md)."),
        click.option("--cache-dir", type=SafePath(file_okay=False, accepts="a folder for the clip cache, or --no-cache"), help="Where spoken clips are cached (default: ~/.cache/voiceguide/clips)."),
        click.option("--no-cache", is_flag=True, help="Synthesize every clip afresh and keep none."),
    ], func)  # fmt: skip


def sound_options(func: Callable[..., Any]) -> Callable[..., Any]:
    return _apply([
        click.option("--ambient", metavar="NAME|PATH", type=Text(AMBIENT_HELP), help=f"An ambient bed under the voice, ducked while it speaks: {AMBIENT_HELP}. Off by default."),
        click.option("--loudness", type=LOUDNESS, show_default="-16", help="Integrated loudness of the track in LUFS (EBU R128)."),
    ], func)  # fmt: skip


def _routines_folder(path: Any) -> Any:
    """--routines (or $VOICEGUIDE_ROUTINES) names a folder that is there, checked before the
    command runs (``routine.library.user_dir``: a mistyped one would list no routine of yours)."""
    from ..routine.library import user_dir

    user_dir(path)
    return path


language_option = click.option(
    "--language",
    type=LANGUAGE_TEXT,
    metavar="TAG",  # $VOICEGUIDE_LANGUAGE is read by routine.library.language_asked
    help="The language of the built-in routines to use (en, de, ru; default: $VOICEGUIDE_LANGUAGE, else en). A routine file given by path speaks the language of its own language: field.",
)

routines_option = click.option(
    "--routines",
    "routines_dir",
    type=SafePath(accepts="the folder that holds your routine files"),
    callback=lambda ctx, param, value: _routines_folder(value),
    default=None,
    help="A folder of your own routines, added to the built-in ones (default: $VOICEGUIDE_ROUTINES, else ./routines if it exists).",
)


def cache_dir(kw: dict[str, Any]) -> Path | None:
    """The clip cache ``--cache-dir`` and ``--no-cache`` ask for (None: none); both at once
    conflict, and one of them would be silently ignored."""
    from ..speech.cache import default_cache_dir

    if kw["no_cache"] and kw["cache_dir"] is not None:
        raise InputError(
            "--cache-dir and --no-cache conflict: --no-cache keeps no clips; give one of them"
        )
    return None if kw["no_cache"] else (kw["cache_dir"] or default_cache_dir())


def make_options(**kw: Any) -> BuildOptions:
    from ..audio import ambient
    from ..narration import LEAD_IN_MS
    from ..pcm import TARGET_LUFS
    from ..settings import MAX_SILENCE_MS, PAUSE_MS, BuildOptions
    from ..timeline import TimingRequest

    pins: dict[str, int] = {}
    for step_id, ms in kw["pins"]:
        if step_id in pins:
            raise click.BadParameter(f'step "{step_id}" is pinned twice', param_hint="'--step'")
        pins[step_id] = ms
    max_silence = kw.get("max_silence")
    if max_silence is not None and kw.get("no_reminders"):
        raise InputError(
            "--max-silence and --no-reminders conflict: --max-silence is when reminders fill "
            "a silence, --no-reminders leaves every silence unfilled; give one of them"
        )
    max_silence = MAX_SILENCE_MS if max_silence is None else max_silence
    if max_silence < MIN_MAX_SILENCE_MS:
        raise click.BadParameter(
            f"{format_duration(max_silence)} is too short to leave room for the words; "
            f"give at least {format_duration(MIN_MAX_SILENCE_MS)}, or --no-reminders",
            param_hint="'--max-silence'",
        )
    pause = kw.get("pause")
    loudness = kw.get("loudness")
    return BuildOptions(
        timing=TimingRequest(
            total_ms=kw["duration"],
            pins=pins,
            rest_ms=kw["rest"],
            intro=not kw["no_intro"],
        ),
        checklist=not kw.get("no_checklist", False),
        pause_ms=PAUSE_MS if pause is None else pause,
        max_silence_ms=None if kw.get("no_reminders") else max_silence,
        voice=kw["voice"],
        rate_wpm=kw["rate"],
        lead_in_ms=LEAD_IN_MS if kw["lead_in"] is None else kw["lead_in"],
        heads_up=not kw["no_heads_up"],
        ambient=ambient.resolve(kw["ambient"]) if kw.get("ambient") else None,
        loudness_lufs=TARGET_LUFS if loudness is None else loudness,
        cache_dir=cache_dir(kw),
    )
