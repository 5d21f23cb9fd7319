"""Whether a track is up to date: the one list of a build's inputs, and its fingerprint.

A build whose inputs have not changed is skipped. ``inputs`` lists
everything that goes into a track: the routine file, the shared parts it
includes, its own sound files, voiceguide's code, the engine and voice, the
encoder and the options (an ambient file by its content). Its sha256, the
fingerprint, is stored in the JSON plan beside the track, and a build that
finds the same fingerprint with complete outputs does nothing. One build of
a given track runs at a time, across processes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import functools
import hashlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .errors import OutputError, ToolError
from .ffmpeg import ffmpeg_exe
from .output.site import track_files
from .routine.load import load_part

if TYPE_CHECKING:
    from .routine import Routine
    from .settings import BuildOptions
    from .speech import Speaker

PACKAGE = Path(__file__).resolve().parent


@contextlib.contextmanager
def output_lock(target: Path) -> Iterator[None]:
    """One build of a given track at a time, across processes.

    Two builds of one routine into one folder would otherwise race: each
    file is replaced atomically, but the MP3 of one could end up beside the
    plan of the other. The lock is a hidden file beside the target
    (``.classic.mp3.lock``), in the folder the build writes to, so only
    those who may write there can hold it; locked with flock (released by
    the kernel if a build dies) and removed when released. A lock that
    cannot be taken is one line naming it.
    """
    path = target.with_name(f".{target.name}.lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = _lock(path)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise OutputError(
                f"cannot take the lock {path} ({reason}); choose a folder you can write to with -o"
            ) from exc
        raise ToolError(f"cannot take the lock {path}: {reason}") from exc
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)  # while still held: a build waiting on it takes a new one
        os.close(fd)


def _lock(path: Path) -> int:
    """An open descriptor of ``path`` holding its flock, waiting for it if need be.

    The holder removes the file before letting go: a build that was waiting
    then holds a file no longer in place, and opens the one that is.
    Opened read-only, so a lock file someone else left in a shared folder
    can still be locked; never through a symlink, which could point anywhere.
    """
    while True:
        fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.path.samestat(os.fstat(fd), os.stat(path)):
                return fd
        except FileNotFoundError:
            pass
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)


def inputs(routine: Routine, options: BuildOptions, speaker: Speaker) -> list[list[str]]:
    """Everything a track is made from, as [what, which, content] rows: files by their bytes'
    sha256, so a file saved again unchanged leaves the track up to date."""
    rows = [["routine", routine.path, _file(routine.path)]]
    rows += [
        ["part", name, _file(load_part(name, routine.language).path)] for name in routine.include
    ]
    rows += [["sound", name, _file(path)] for name, path in sorted(routine.sounds.items())]
    rows.append(["voiceguide", __version__, code_fingerprint()])
    rows.append(["engine", speaker.engine.voice_id, speaker.engine_fingerprint])
    rows.append(["encoder", *_encoder()])
    settings = dataclasses.asdict(dataclasses.replace(options, cache_dir=None))
    rows.append(["options", "", json.dumps(settings, sort_keys=True, default=str)])
    if options.ambient and Path(options.ambient).is_file():
        rows.append(["ambient", str(options.ambient), _file(options.ambient)])
    return rows


def fingerprint(routine: Routine, options: BuildOptions, speaker: Speaker) -> str:
    """The sha256 of ``inputs``: same fingerprint, same track."""
    text = json.dumps(inputs(routine, options, speaker))
    return hashlib.sha256(text.encode()).hexdigest()


def _file(path: str | Path) -> str:
    """A file's bytes' sha256; "absent" for one that cannot be read (the build says why)."""
    try:
        with open(path, "rb") as fh:  # read in blocks: a stranger's file may be huge
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return "absent"


@functools.cache
def code_fingerprint() -> str:
    """Every file of the voiceguide package (templates, shared parts, the pronunciation
    table) by name and bytes, bytecode aside, and the Python running it."""
    summed = hashlib.sha256(f"{sys.version}\0{sys.executable}".encode())
    for path in sorted(p for p in PACKAGE.rglob("*") if p.is_file() and p.suffix != ".pyc"):
        data = path.read_bytes()
        summed.update(f"{path.relative_to(PACKAGE).as_posix()}\0{len(data)}\0".encode() + data)
    return summed.hexdigest()


@functools.cache
def _encoder() -> tuple[str, str]:
    """The ffmpeg binary by path, size and time: no process started to ask its version."""
    exe = ffmpeg_exe()
    st = os.stat(exe)
    return exe, f"{st.st_size} {st.st_mtime_ns}"


def up_to_date(routine_id: str, out_dir: Path, fingerprint: str) -> list[Path] | None:
    """The outputs, if they carry ``fingerprint`` and the MP3 is whole; else None."""
    files = track_files(out_dir, routine_id)
    mp3, sidecar = files["mp3"], files["plan"]
    try:
        doc = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # not our plan: build again
        return None
    if not isinstance(doc, dict) or doc.get("fingerprint") != fingerprint:
        return None
    sidecars = [files["captions"], files["page"], files["chapters"], files["manifest"]]
    if not all(p.is_file() for p in sidecars) or not _complete_mp3(mp3, doc.get("total_ms")):
        return None
    return [mp3, sidecar, *sidecars]


def _complete_mp3(path: Path, total_ms: object) -> bool:
    """An MP3 whose header-declared length is the plan's: not cut short, not another file."""
    from mutagen import MutagenError
    from mutagen.mp3 import MP3

    if not isinstance(total_ms, int):
        return False
    try:
        info = MP3(str(path)).info
        size = path.stat().st_size
    except (OSError, MutagenError):
        return False
    if info is None:
        return False
    # The Xing header states the length even of a file cut short: check the bytes too.
    whole = size >= 0.98 * info.length * info.bitrate / 8
    return whole and abs(info.length * 1000 - total_ms) <= 100
