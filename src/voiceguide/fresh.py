"""Up to date: a digest of every input of a build, and whether the outputs carry it.

A build whose inputs have not changed is skipped: the fingerprint of
everything that goes into a track (the routine file, the options, the voice,
the engines' and voiceguide's versions) is stored in the JSON plan beside it,
and a build that finds the same fingerprint with complete outputs does
nothing. One build of a given track runs at a time, across processes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock

from .ffmpeg import ffmpeg_exe
from .output.site import track_files
from .package_digest import code_digest

if TYPE_CHECKING:
    from .build import BuildOptions
    from .routine import Routine
    from .speech import Speaker


@contextlib.contextmanager
def output_lock(target: Path) -> Iterator[None]:
    """One build of a given track at a time, across processes.

    Two builds of one routine into one folder would otherwise race: each
    file is replaced atomically, but the MP3 of one could end up beside the
    plan of the other. The lock file is in the temporary folder, keyed by the
    target's path (filelock's flock: released by the kernel if a build dies).
    """
    key = hashlib.sha256(str(target.resolve()).encode()).hexdigest()[:24]
    with FileLock(Path(tempfile.gettempdir()) / f"voiceguide-{key}.lock"):
        yield


@functools.cache
def _ffmpeg_id() -> str:
    """The encoder binary by path, size and time: no process started to ask its version."""
    exe = ffmpeg_exe()
    st = os.stat(exe)
    return f"{exe} {st.st_size} {st.st_mtime_ns}"


def routine_sources(routine: Routine) -> list[Path]:
    """The user's files a track is made from (shared parts are package data, in the digest)."""
    return [Path(routine.path)]


def _option_files(options: BuildOptions) -> list[list[str]]:
    """Files named by options (an ambient bed's file): their content, not just their name."""
    named = [getattr(options, "ambient", None)]
    return [
        [str(p), hashlib.sha256(Path(p).read_bytes()).hexdigest()]
        for p in named
        if isinstance(p, str | Path) and Path(p).is_file()
    ]


def fingerprint(routine: Routine, options: BuildOptions, speaker: Speaker) -> str:
    """A digest of every input of a build: same digest, same track."""
    settings = dataclasses.asdict(dataclasses.replace(options, cache_dir=None))
    material = {
        "voiceguide": code_digest(),  # its code, data, version, Python
        "options": settings,
        "voice": speaker.engine_fingerprint,
        "ffmpeg": _ffmpeg_id(),
        "option files": _option_files(options),
        "sources": [
            [str(p), hashlib.sha256(p.read_bytes()).hexdigest()] for p in routine_sources(routine)
        ],
    }
    text = json.dumps(material, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def up_to_date(routine_id: str, out_dir: Path, stamp: str) -> list[Path] | None:
    """The outputs, if they carry ``stamp`` and the MP3 is whole; else None."""
    files = track_files(out_dir, routine_id)
    mp3, sidecar = files["mp3"], files["plan"]
    try:
        doc = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("fingerprint") != stamp:
        return None
    sidecars = [files["captions"], files["page"], files["chapters"]]
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
