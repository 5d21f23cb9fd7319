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
from ..check import problems_in, warnings_in
from ..errors import InputError, Terminated, VoiceguideError
from ..output.feed import checked_base_url
from ..output.files import check_output_dir
from ..output.site import find_tracks
from ..routine import load_routine
from ..runner import Outcome, build_many, make_speaker
from ..speech import Speaker
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
    with make_speaker(options) as speaker:
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
@click.option(
    "--base-url",
    metavar="URL",
    help="Where the output folder is published (https://host/path/): also write feed.xml.",
)
@routines_option
@timing_options
@voice_options
@sound_options
@handle_errors
def build_command(routines: tuple[str, ...], build_all: bool, out_dir: Path, jobs: int, force: bool, base_url: str | None, routines_dir: Path, **kw: Any) -> None:  # fmt: skip
    """Build voice-guided MP3 tracks (with a JSON plan, WebVTT captions, a player page and
    podcast chapters beside each, and an index.html listing the folder's tracks).

    ROUTINES are ids from the routines folder or paths to YAML files. A track
    whose inputs have not changed since it was built is left as it is
    ("up to date") unless --force. With several routines, a failing one is
    reported and the others still build; the exit status is the worst.

    \b
    Examples:
        voiceguide build classic -o output
        voiceguide build --all --jobs 2
        voiceguide build --all --base-url https://example.org/massage/
    """
    if base_url is not None:
        checked = checked_base_url(base_url)
        if checked is None:
            raise InputError(
                f"--base-url {shown(base_url)}: not an absolute http(s) address of a folder; "
                "give one like https://example.org/massage/"
            )
        base_url = checked
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
        with make_speaker(options) as speaker:
            try:
                result = build(
                    routine,
                    out_dir,
                    options,
                    speaker,
                    force=force,
                    progress=(lambda p, f: bars.update(paths[0], p, f)) if bars else None,
                    base_url=base_url,
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
            base_url=base_url,
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
    """List the voices the speech engine offers (id, then name).

    \b
    Example:
        voiceguide voices
    """
    with Speaker(cache_dir=None) as speaker:
        for voice in speaker.voices():
            click.echo(f"{voice.id:<28} {voice.name}")


@cli.command()
@click.argument("files", nargs=-1, type=SafePath(path_type=Path))
@routines_option
@handle_errors
def check(files: tuple[Path, ...], routines_dir: Path) -> None:
    """Validate routine files (all in the routines folder if none are named).

    Every problem of every file is reported, one line each naming the file,
    line and field; the exit status is 2 if there is any. What a speech engine
    reads badly ("&", "%", "2 min", "approx.") is a warning.

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
        warn([shown(w) for w in warnings_in(path)])
        if problems:
            failed = True
        else:
            click.echo(f"ok {path}")
    if failed:
        sys.exit(2)


@cli.command()
@click.argument(
    "directory",
    type=SafePath(exists=True, file_okay=False, path_type=Path),
    default=Path("output"),
)
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Port to listen on (0: any free one).",
)
@click.option(
    "--token/--no-token",
    "use_token",
    default=True,
    show_default=True,
    help="Serve only under a random /<token>/ path (--no-token: to anyone who asks).",
)
@handle_errors
def serve(directory: Path, host: str, port: int, use_token: bool) -> None:
    """Serve DIRECTORY (default output/) read-only, for a phone on the same network.

    Prints the address to open on the phone and its QR code. Each track has
    its player page; feed.xml is the podcast feed for this address.

    \b
    Example:
        voiceguide serve output --port 8765
    """
    from ..web import lan, server  # starlette and uvicorn load only here

    token = lan.new_token() if use_token else None
    sock = server.bind(host, port)
    url = lan.share_url(host, sock.getsockname()[1], token)
    tracks = len(find_tracks(directory))
    click.echo(f"Serving {tracks} track{'' if tracks == 1 else 's'} from {shown(str(directory))}")
    click.echo(lan.terminal_qr(url, ansi=sys.stdout.isatty()), nl=False)
    click.echo(f"Open on your phone: {url}")
    click.echo(f"Podcast feed:       {url}feed.xml")
    click.echo("Anyone with this address can play these tracks while this runs. Ctrl-C stops it.")
    if not use_token:
        warn(["--no-token: anyone on this network can list and play the tracks"])
    try:
        server.serve(directory, sock, token)
    except (KeyboardInterrupt, Terminated) as stop:
        click.echo("Stopped serving.", err=True)
        sys.exit(128 + (signal.SIGTERM if isinstance(stop, Terminated) else signal.SIGINT))
    finally:
        sock.close()


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
