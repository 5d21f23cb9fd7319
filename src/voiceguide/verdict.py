"""Remembered answers of ``voiceguide check`` (and ``list``): a file found ok is ok again while
nothing it rests on changed.

Like build's "up to date" (``fresh``): checking a routine renders its words
in the template sandbox and times them, which loads YAML, Jinja and the
timeline, several times the start-up of the command line itself. Checked
again unchanged (an editor's save hook, a pre-commit run over every file),
the answer is the same, so an ok verdict is stored beside the clip cache
(``checks/``) and a repeat check of the same file needs only click and a few
digests. Problems are never stored: a file with one is checked afresh every
time, and says so in full.

A verdict holds while all it rests on is the same:

- the file's bytes, and its place (the routine's own sounds are found beside it);
- voiceguide's code and data (templates, shared parts, the pronunciation
  table: every file of the package, hashed), its version, the Python running
  it, and every installed distribution by name and version (PyYAML, Jinja,
  pyttsx3, espeakng-loader, piper-tts ...);
- the voice and rate, and the speech engine as ``speech.stamp`` sees it;
- the routine's own sound files, by content;
- the cached clips whose lengths were timed, by size: a clip that is gone or
  was spoken again is timed again.

The shared parts a routine includes ship inside the package, so they are in
the code's digest; a user's routines folder holds no parts.

``voiceguide list`` keeps its lines the same way (``list.txt``): they follow
from the code and the routine files listed, so a repeat listing reads no YAML.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from .package_digest import code_digest, digest
from .speech.stamp import engine_stamp

if TYPE_CHECKING:
    from .check import Checked

FORMAT = "voiceguide remembered 1"
FOLDER = "checks"  # inside the clip cache folder, beside levels/


@functools.cache
def installed() -> tuple[str, ...]:
    """Every installed distribution by its metadata folder's name (name-version), from the
    import path's package folders (not the standard library's, which ``sys.version`` names)."""
    found: list[str] = []
    for entry in sys.path:
        if os.path.basename(entry) not in ("site-packages", "dist-packages"):
            continue
        try:
            names = os.listdir(entry)
        except OSError:
            continue
        found += [n for n in names if n.endswith((".dist-info", ".egg-info"))]
    return tuple(sorted(found))


def _file_digest(path: str) -> str:
    try:
        return digest(Path(path).read_bytes())
    except OSError:
        return "absent"


def _size(path: str) -> str:
    try:
        return str(os.stat(path).st_size)
    except OSError:
        return "absent"


class Ticket(NamedTuple):
    """One file's place in the store and the key its verdict must carry: taken before the
    check, from the bytes the check is about to read, so an edit during it never passes."""

    entry: Path
    key: str
    path: str = ""  # the file read, and the digest of its bytes when the ticket was taken
    data: str = ""


class Verdicts:
    """The ok verdicts stored in ``cache_dir/checks``, for one voice and rate.

    An entry is a few lines of text (no JSON: its import is a twentieth of a
    repeat check): the format, the key, then one line per warning, sound
    file and clip, each a kind, a value and, last, the text or path, and "end".
    """

    def __init__(self, cache_dir: Path, *, voice: str | None, rate_wpm: int) -> None:
        self.folder = cache_dir / FOLDER
        self.voice, self.rate_wpm = voice, rate_wpm
        setting = [FORMAT, code_digest(), *installed(), *engine_stamp(voice, rate_wpm)]
        self._setting = digest("\0".join(setting).encode())

    def ticket(self, path: Path) -> Ticket | None:
        """None if the file cannot be read (the check will say why)."""
        try:
            real = os.path.realpath(path)
            data = digest(Path(real).read_bytes())
        except (OSError, ValueError):
            return None
        # the folder as given too: a routine's own sounds are found beside the path it was
        # given by, so two links to one file in two folders are two verdicts
        given = os.path.dirname(os.path.abspath(path))
        name = digest(f"{real}\0{given}\0{self.voice}\0{self.rate_wpm}".encode())[:32]
        key = digest(f"{self._setting}\0{real}\0{given}\0{data}".encode())
        return Ticket(self.folder / f"{name}.txt", key, real, data)

    def recall(self, ticket: Ticket) -> list[str] | None:
        """The warnings of the file's remembered ok verdict, or None if there is none that holds."""
        body = read_entry(ticket)
        if body is None:
            return None
        warnings = []
        holds = {"sound": _file_digest, "clip": _size}
        for line in body:
            kind, value, rest = [*line.split(" ", 2), "", ""][:3]
            if kind == "warning":
                warnings.append(rest)
            elif kind not in holds or holds[kind](rest) != value:
                return None  # a sound file or clip it rests on changed, or a line is not ours
        return warnings

    def remember(self, ticket: Ticket, checked: Checked) -> None:
        """Store an ok verdict (a file with problems is never stored)."""
        if checked.problems or _file_digest(ticket.path) != ticket.data:
            return  # a file with problems, or one saved again while it was checked
        body = [f"warning - {w}" for w in checked.warnings]
        body += [f"sound {_file_digest(p)} {p}" for p in map(os.path.abspath, checked.sounds)]
        body += [f"clip {_size(p)} {p}" for p in map(os.path.abspath, checked.clips)]
        if all(line.split(" ", 2)[1] != "absent" for line in body):
            write_entry(ticket, body)  # else something it rests on is already gone


def listing_ticket(cache_dir: Path, routines: list[tuple[str, Path, str]]) -> Ticket | None:
    """``voiceguide list``'s place in the store: its lines follow from the code, the
    installed distributions and the routines listed (id, file and how it is listed, and
    the file's bytes); None if a file cannot be read (the listing will say why)."""
    said = [FORMAT, "list", code_digest(), *installed()]
    try:
        for routine_id, path, how in routines:
            real = os.path.realpath(path)
            said += [routine_id, str(path), real, how, digest(Path(real).read_bytes())]
    except (OSError, ValueError):
        return None
    return Ticket(cache_dir / FOLDER / "list.txt", digest("\0".join(said).encode()))


def read_entry(ticket: Ticket) -> list[str] | None:
    """The lines stored under ``ticket``, if they were stored with its key and are whole."""
    try:
        lines = ticket.entry.read_text(encoding="utf-8").split("\n")
    except (OSError, ValueError):
        return None
    if lines[:2] != [FORMAT, f"key {ticket.key}"] or lines[-1] != "end":
        return None
    return lines[2:-1]


def write_entry(ticket: Ticket, body: list[str]) -> None:
    """Store ``body`` (lines) under ``ticket``, atomically; a cache that cannot be written
    only means the next run does the work again."""
    if any("\n" in line or "\r" in line for line in body):
        return
    tmp = ticket.entry.with_name(f"{ticket.entry.name}.{os.getpid()}.tmp")
    try:
        ticket.entry.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text("\n".join([FORMAT, f"key {ticket.key}", *body, "end"]), encoding="utf-8")
        os.replace(tmp, ticket.entry)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
