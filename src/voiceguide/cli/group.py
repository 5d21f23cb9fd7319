"""How the command line fails: one ``Error:`` line, the right exit status, no usage banner.

click prints its usage banner and a "Try --help" line before an option
error, and words of its own ("is not a valid integer range"). Here every
failure, click's included, is one line in the user's words: exit 2 for
their input, 1 for a tool underneath, 130 for Ctrl-C and 143 for SIGTERM.
"""

from __future__ import annotations

import functools
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import click

from ..errors import Terminated, VoiceguideError, joined, one_line

INTERRUPTED = "interrupted; files already in place are untouched"
# click 8.2+ answers a bare `voiceguide` with its help, raised as a usage error (exit 2): the
# help is shown as click shows it, many lines, not squashed into one ``Error:`` line.
_HELP_ERRORS = tuple(
    e for e in (getattr(click.exceptions, "NoArgsIsHelpError", None),) if e is not None
)
TERMINATED = "stopped by SIGTERM; files already in place are untouched"


def stopped(terminated: bool) -> str:
    """What a signal's one line says: which files were already replaced (each whole), if any.

    The files are those ``output.files`` committed in this process (or its
    workers reported); if it was never loaded, nothing was written.
    """
    files = sys.modules.get("voiceguide.output.files")
    done = list(dict.fromkeys(getattr(files, "replaced", ())))
    unsure = [p for p in dict.fromkeys(getattr(files, "unsure", ())) if p not in done]
    if not done and not unsure:
        return TERMINATED if terminated else INTERRUPTED
    said = ["stopped by SIGTERM" if terminated else "interrupted"]
    if done:
        said.append(
            f"{_listed(done)} {'was' if len(done) == 1 else 'were'} already replaced, whole"
        )
    if unsure:
        said.append(f"{_listed(unsure)} may be the old or the new, whole either way")
    return "; ".join([*said, "other files are untouched"])


def _listed(paths: list[Any]) -> str:
    names = [one_line(str(path)) for path in paths]
    if len(names) > 4:
        return f"{', '.join(names[:3])} and {len(names) - 3} more"
    return joined(names)


def _debug() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.find_root().params.get("debug"))


def warn(messages: tuple[str, ...] | list[str]) -> None:
    for message in messages:
        click.echo(f"Warning: {message}", err=True)


def fail(message: str, code: int) -> None:
    if _debug():
        import traceback

        traceback.print_exc()
    click.echo(f"Error: {one_line(message)}", err=True)
    sys.exit(code)


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """One ``Error:`` line and the right exit status, whatever goes wrong; --debug adds the traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise  # the group turns these into one line
        except VoiceguideError as exc:
            fail(str(exc), exc.exit_code)
        except Terminated:
            fail(stopped(True), 128 + signal.SIGTERM)
        except KeyboardInterrupt:
            fail(stopped(False), 128 + signal.SIGINT)
        except BrokenPipeError:
            reader_gone()
        except Exception as exc:
            fail(
                f"unexpected {type(exc).__name__}: {exc} (a bug in voiceguide; "
                "run again with --debug for the traceback)",
                1,
            )

    return wrapper


def reader_gone() -> NoReturn:
    """The command whose output was piped into one that stopped reading (``| head``): stop
    quietly, as a command killed by SIGPIPE would (exit status 141), without Python's own
    complaint when it flushes stdout on the way out."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(128 + signal.SIGPIPE)


def click_message(exc: click.ClickException) -> str:
    """click's error in one line, naming the option as the user typed it."""
    if isinstance(exc, click.MissingParameter) and exc.param is not None:
        name = exc.param.human_readable_name
        command = exc.ctx.command_path if exc.ctx else "voiceguide"
        return f"missing {name}; for example: {_example(exc.ctx) or command + ' --help'}"
    if isinstance(exc, click.NoSuchOption):
        close = sorted(exc.possibilities or [])
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        command = exc.ctx.command_path if exc.ctx else "voiceguide"
        return f"{exc.option_name}: no such option{hint} (see `{command} --help`)"
    if isinstance(exc, click.BadParameter):
        return f"{_option_name(exc)}: {exc.message}"
    return " ".join(exc.format_message().split())


def _option_name(exc: click.BadParameter) -> str:
    """The option as a user writes it (``--output``), or the argument's name (``ROUTINE``)."""
    param = exc.param
    if isinstance(param, click.Option):
        return max(param.opts, key=len)
    if param is not None:
        return param.human_readable_name
    hint = exc.param_hint
    if isinstance(hint, Sequence) and not isinstance(hint, str):
        hint = hint[-1]
    return str(hint or "option").strip("'\"")


def _example(ctx: click.Context | None) -> str:
    """The first example line of the command's help, if it has one."""
    if ctx is None or not ctx.command.help:
        return ""
    lines = [line.strip() for line in ctx.command.help.splitlines()]
    return next((line for line in lines if line.startswith("voiceguide ")), "")


def _columns() -> int:
    """``shutil.get_terminal_size().columns``, without importing shutil (and bz2 and lzma
    with it: a twentieth of `voiceguide --help`)."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class Formatter(click.HelpFormatter):
    """click's help formatter, its width found as click finds it but by ``_columns``."""

    def __init__(
        self, indent_increment: int = 2, width: int | None = None, max_width: int | None = None
    ) -> None:
        if width is None and click.formatting.FORCED_WIDTH is None:
            width = max(min(_columns(), max_width or 80) - 2, 50)
        super().__init__(indent_increment, width, max_width)


class Context(click.Context):
    formatter_class = Formatter


class Command(click.Command):
    """A command whose extra arguments are one line saying what it takes (click said only "Got
    unexpected extra argument (child)")."""

    context_class = Context

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.allow_extra_args = True  # kept in ctx.args, to be named here
        rest = super().parse_args(ctx, args)
        if ctx.args and not ctx.resilient_parsing:
            takes = [p.human_readable_name for p in self.params if isinstance(p, click.Argument)]
            what = f"takes one {takes[0]}" if takes else "takes no arguments, only options"
            extra = joined([f'"{one_line(arg)}"' for arg in ctx.args])
            many = "an argument" if len(ctx.args) == 1 else f"{len(ctx.args)} arguments"
            raise click.UsageError(
                f"{extra}: {many} too many; `{ctx.command_path}` {what} "
                f"(see `{ctx.command_path} --help`)",
                ctx,
            )
        return rest


class Group(click.Group):
    """A click group whose errors are one line, and whose unknown commands get a did-you-mean."""

    context_class = Context
    command_class = Command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            import difflib

            close = difflib.get_close_matches(name, self.list_commands(ctx), n=1)
            hint = f'; did you mean "{close[0]}"?' if close else ""
            raise click.UsageError(
                f'no command "{one_line(name)}"{hint} (commands: {", ".join(self.list_commands(ctx))})',
                ctx,
            )
        return super().resolve_command(ctx, args)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv  # asked before click parses (and empties) the list
        try:
            with self.make_context(prog_name or "voiceguide", argv, **extra) as ctx:
                self.invoke(ctx)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            if isinstance(exc, _HELP_ERRORS):
                exc.show()
                sys.exit(exc.exit_code)
            click.echo(f"Error: {one_line(click_message(exc))}", err=True)
            sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
        except VoiceguideError as exc:  # raised by an option's check, before the command ran
            if debug:  # the context that would say so is gone
                import traceback

                traceback.print_exc()
            click.echo(f"Error: {one_line(str(exc))}", err=True)
            sys.exit(exc.exit_code)
        except Terminated:
            click.echo(f"Error: {stopped(True)}", err=True)
            sys.exit(128 + signal.SIGTERM)
        except (KeyboardInterrupt, click.Abort):
            click.echo(f"Error: {stopped(False)}", err=True)
            sys.exit(128 + signal.SIGINT)
        sys.exit(0)
