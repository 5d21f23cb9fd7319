"""Atomic writes: a build's files appear complete under their final names, or not at all.

Every file is written to a temporary path beside its target and renamed into
place only when complete, so an interrupted build leaves the previous good
file, never a half one under the final name. Failures are mapped once, by
``errors.write_error``.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .. import signals
from ..errors import (
    OutputError,
    RoutineError,
    VoiceguideError,
    disk_full,
    is_disk_full,
    one_line,
    write_error,
)

# What this process has put in place, in order: the first file of each group committed (a
# track's MP3 for the track and its sidecars, index.html, feed.xml), and the tracks that
# other processes were still building when a signal came (each the old one or the new
# one). An interrupted command names them, so its last line says what is true.
replaced: list[Path] = []
unsure: list[Path] = []


@contextlib.contextmanager
def atomic_paths(*targets: Path) -> Iterator[list[Path]]:
    """Temporary paths beside ``targets``, all renamed onto them only if the block succeeds.

    The files of one build are committed together, after every one of them is
    complete: a failure or an interrupt anywhere leaves the previous build's
    files as they were (a track and a plan that belong together) and removes
    every temporary file. Write failures become one clear error naming the
    final file: a folder that cannot be written is the user's (exit 2), a
    full disk is a fault (exit 1).
    """
    temps: list[Path] = []
    current = targets[0]
    try:
        for target in targets:
            current = target
            temps.append(_temp_beside(target))
        current = targets[0]
        yield temps
        with signals.held():
            for tmp, target in zip(temps, targets, strict=True):
                current = target
                os.replace(tmp, target)
            replaced.append(targets[0])
    except (OSError, VoiceguideError) as exc:
        raise write_error(exc, current) from exc
    finally:
        with signals.held():  # a signal landing here would leave the rest of the files
            for tmp in temps:
                tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target``; renamed onto it only if the block succeeds."""
    with atomic_paths(target) as (tmp,):
        yield tmp


def write_text(target: Path, text: str) -> None:
    """One text file, atomically (the folder's index and feed)."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _temp_beside(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; finished files are ordinary
    return tmp_path


def remove_leftovers(folder: Path, name: str) -> None:
    """Remove the hidden temporary files (``.classic.mp3.*.part``) of the files named
    ``name.*`` that a process killed outright left behind (SIGKILL, the OOM killer, a power
    cut: its own cleanup never ran).

    The caller holds the lock of those files (``fresh.output_lock``), so no live build
    owns them (an encoder the killed build started, in a process group of its own, may
    still be writing one for a moment: unlinked, its bytes go nowhere). A name has no dots
    (``output_name``): ``.classic.`` never starts another track's temporary files
    (``.classic-ru.``), nor the folder check's probe, which is not a ``.part``.
    """
    for path in folder.glob(f".{name}.*.part"):
        with contextlib.suppress(OSError):  # one that cannot go is clutter, not a failure
            path.unlink()


def check_output_dir(out_dir: Path) -> list[Path]:
    """Fail before any work if ``out_dir`` cannot be created or written to; the folders it
    made, innermost first, for ``remove_empty`` once the command is over."""
    if "\0" in str(out_dir):
        raise OutputError("-o: a folder name cannot contain a NUL byte")
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(
            f"-o {out_dir}: is a file, not a folder; give a folder, or FILE.mp3 to name the track"
        )
    made: list[Path] = []
    folder = Path(os.path.abspath(out_dir))
    while not folder.exists() and folder != folder.parent:
        made.append(folder)
        folder = folder.parent
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out_dir, prefix=".voiceguide-probe.", suffix=".probe")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        remove_empty(made)
        if is_disk_full(exc):
            raise disk_full(out_dir) from exc
        reason = exc.strerror or str(exc)
        raise OutputError(
            f"-o {out_dir}: cannot write to this folder ({reason}); choose one you can write to"
        ) from exc
    return made


def remove_empty(folders: list[Path]) -> None:
    """Remove the folders a command made (innermost first) that it left empty: a build
    refused for its routine, its voice or its cache leaves no new, empty folder behind. One
    that holds anything, and every folder that was there before, stays."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            break


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# A track's files are <name>.mp3, .json, .vtt, .html, .chapters.json and .manifest.json, and
# the folder lists every <name>.json it finds (``site.find_tracks``): a name with no dot and
# no capital cannot be another track's file ("foo.chapters") or one the folder skips ("Mine").
TRACK_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,99}")
# The folder's own files and names kept for them: index.html, feed.xml, ...
RESERVED_NAMES = frozenset({"index", "feed", "manifest", "icon", "sw", "service-worker"})


def routine_track_name(routine_id: str, language: str, *, source: str | None = None) -> str:
    """The name a routine's track is given when no other is: its id, and its language after
    it where that is not English (``classic-ru``: the shipped routines' translations share
    their English ids, and a translation never replaces the English track).

    ``build`` names a track with it and ``check`` asks it, so a routine that ``check``
    passes is one ``build`` can name. An id the folder keeps for its own files
    (``index.yaml`` would be index.html) is refused naming ``source``, the routine file.
    """
    tag = language.lower()
    name = routine_id if tag.split("-")[0] == "en" else f"{routine_id}-{tag}"
    if name in RESERVED_NAMES:
        raise RoutineError(
            f'the routine id "{routine_id}" is a name the output folder keeps for its own '
            f"files ({', '.join(sorted(RESERVED_NAMES))}); rename the file (for example "
            f"my-{routine_id}.yaml), or build it with --name my-{routine_id}",
            path=source,
        )
    return output_name(name, option="the routine id")


def output_name(name: str, *, option: str = "--name") -> str:
    """A name for a track's files (``--name``, ``-o FILE.mp3``, a routine's id): one that
    stays in the output folder, is listed by its index and feed, and cannot overwrite another
    track's files or the folder's own."""
    if not TRACK_NAME.fullmatch(name):
        raise OutputError(
            f'{option} "{one_line(name)}": a track\'s name is lowercase letters, digits, "-" and'
            ' "_" (no dots), starting with a letter or digit, for example classic-30m'
        )
    if name in RESERVED_NAMES:
        other = (  # --name cannot go with -o FILE.mp3: the file names the track
            "give the file another name, for example -o classic-30m.mp3"
            if option == "-o"
            else "give the track another with --name, for example classic-30m"
        )
        raise OutputError(f'{option} "{name}": the folder\'s own files use this name; {other}')
    return name
