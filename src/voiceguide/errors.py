"""The errors voiceguide raises, caught once by the CLI.

    VoiceguideError
    ├── InputError      the user's own input is wrong: exit status 2
    │   ├── RoutineError    a routine file (names file, line, field)
    │   ├── DurationError   a duration that does not parse
    │   ├── TimingError     a request the plan cannot meet
    │   └── OutputError     the output folder cannot be written (the user chose it)
    └── ToolError       a tool underneath failed: exit status 1
        ├── SpeechError     pyttsx3 / espeak-ng
        ├── FfmpegError     ffmpeg missing, failing or killed
        └── DiskFullError   the disk filled up while writing

    KeyboardInterrupt
    └── Terminated      SIGTERM, unwound like Ctrl-C: exit status 143 (Ctrl-C: 130)

Programmer mistakes are not in this tree, so catching ``VoiceguideError``
never hides a bug. ``Terminated`` is a ``KeyboardInterrupt`` so that every
``finally`` (temporary files, child processes) runs on SIGTERM as on Ctrl-C.
"""

from __future__ import annotations

import errno
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def one_line(text: str) -> str:
    """Escape newlines and other control characters a stranger's file may put in a message."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def given_as(value: str, *, option: str | None = None, variable: str | None = None) -> str:
    """How a message names a setting: ``--voice nope`` typed on the command line, or
    ``$VOICEGUIDE_VOICE=nope`` when it came from the environment (``variable``), so the user
    knows where to change it. Used where a setting may come from either (the language, the
    routines folder, ffmpeg); the voice's checks name ``--voice`` and ``speakers`` rewrites
    that for ``$VOICEGUIDE_VOICE``."""
    if variable is not None:
        return f"${variable}={one_line(value)}"
    return f"{option} {one_line(value)}"


def joined(words: list[str] | tuple[str, ...]) -> str:
    """``a``, ``a and b``, ``a, b and c``: names listed in a message."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def shortened(text: str, limit: int = 60) -> str:
    """``text`` on one line, cut to ``limit`` characters: a sentence quoted in a message."""
    text = one_line(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_STEP_FIELD = re.compile(r"^(steps\[(\d+)\])(.*)$", re.DOTALL)


def step_index(field: str) -> int | None:
    """The index of the step a field belongs to (``steps[2].say``: 2), or None."""
    match = _STEP_FIELD.match(field)
    return int(match.group(2)) if match else None


def heard_field(field: str, step_title: str | None) -> str:
    """A step's field as the listener knows the step: ``steps[2] (Step 3: Kneading).say``.

    The index alone where the title is unknown (``None``) or is the field itself.
    """
    match = _STEP_FIELD.match(field)
    if match is None or not step_title or match.group(3).startswith(".title"):
        return field
    heard = f"Step {int(match.group(2)) + 1}: {shortened(step_title, 40)}"
    return f"{match.group(1)} ({heard}){match.group(3)}"


class VoiceguideError(Exception):
    """Base of every error meant for the user; ``str()`` is the one line shown."""

    exit_code = 1


class InputError(VoiceguideError):
    """The user's input cannot be used as given; the message says what would be."""

    exit_code = 2


class RoutineError(InputError):
    """A routine file is not valid; the message starts with ``file:line: field:``.

    ``field`` is the field's name as written (``steps[2].say``); with
    ``step_title`` a step's field is shown with the step as announced
    (``steps[2] (Step 3: Kneading).say``).
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        field: str | None = None,
        step_title: str | None = None,
    ) -> None:
        self.path = None if path is None else str(path)
        self.line = line
        self.field = field
        self.step_title = step_title
        self.reason = message
        where = ""
        if self.path is not None:
            where = self.path + (f":{line}" if line is not None else "") + ": "
        if field:
            where += f"{heard_field(field, step_title)}: "
        super().__init__(one_line(where + message))


class DurationError(InputError):
    """A duration is not in one of the accepted forms."""


class TimingError(InputError):
    """The requested timing cannot be met; the message states what can."""


class OutputError(InputError):
    """The output folder cannot be created or written; the user chose it, so exit status 2."""


class ToolError(VoiceguideError):
    """A tool underneath (speech engine, ffmpeg, tag writer) failed."""

    exit_code = 1

    def __init__(
        self, message: str, *, command: list[str] | None = None, stderr: str | None = None
    ) -> None:
        self.command = command
        self.stderr = stderr
        super().__init__(message)


class SpeechError(ToolError):
    """The speech engine could not be loaded, hung, or wrote no audio."""


class FfmpegError(ToolError):
    """ffmpeg is missing, failed, or was killed."""


class DiskFullError(ToolError):
    """The disk filled up while a file was written; the temporary file is removed."""


# ---------------------------------------------------------------- OS errors, mapped once

_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_NOT_WRITABLE = {
    errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EEXIST, errno.EISDIR,
    errno.ENOENT, errno.ENAMETOOLONG, errno.ELOOP,
}  # fmt: skip
DISK_FULL_TEXT = "No space left on device"  # what ffmpeg prints, even when it exits 0


def disk_full(target: Path | str) -> DiskFullError:
    return DiskFullError(
        f"no space left on the disk writing {target}; free some space and build again "
        "(files already there are untouched)"
    )


def os_error_behind(exc: BaseException | None) -> OSError | None:
    """The OSError behind an exception, if any (mutagen and others wrap their own)."""
    while exc is not None:
        if isinstance(exc, OSError):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def write_error(
    exc: BaseException, target: Path, *, hint: str = "choose a folder you can write to with -o"
) -> VoiceguideError:
    """Any failure met while writing ``target``, as the user's error or a fault, on one line.

    The one mapping of OS errors for every writer: a full disk is a fault
    (exit 1), a folder that cannot be written is the user's (exit 2, with
    ``hint``), anything else a tool's failure naming the file.
    """
    if isinstance(exc, VoiceguideError):
        if isinstance(exc, DiskFullError):
            return disk_full(target)
        return exc
    cause = os_error_behind(exc)
    if cause is not None and cause.errno in _FULL:
        return disk_full(target)
    if cause is not None and cause.errno in _NOT_WRITABLE:
        reason = cause.strerror or str(cause)
        return OutputError(f"cannot write to the folder {target.parent}: {reason}; {hint}")
    reason = (cause.strerror if cause is not None else None) or str(exc)
    return ToolError(f"could not write {target}: {one_line(reason)}")


def is_disk_full(exc: OSError) -> bool:
    return exc.errno in _FULL


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived; raised from the signal handler so the build unwinds cleanly."""
