"""Write a build's files: the MP3 with tags and chapters, and its sidecars.

Every write is atomic: a temporary file beside the target, renamed into
place only when complete, so an interrupted build leaves the previous good
file, never a half one under the final name.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from mutagen.id3 import (
    CHAP,
    COMM,
    CTOC,
    ID3,
    TALB,
    TCON,
    TIT2,
    TPE1,
    CTOCFlags,
    ID3NoHeaderError,  # noqa: F401  (re-exported for callers)
)

from . import __version__
from .errors import DiskFullError, OutputError, ToolError, VoiceguideError
from .ffmpeg import encode_mp3
from .pieces import Source
from .pieces import encode as encode_pieces
from .script import Script

ARTIST = "voiceguide"


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
        for tmp, target in zip(temps, targets, strict=True):
            current = target
            os.replace(tmp, target)
    except DiskFullError as exc:
        raise DiskFullError(_disk_full(current)) from exc
    except OSError as exc:
        raise write_error(exc, current) from exc
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target``; renamed onto it only if the block succeeds."""
    with atomic_paths(target) as (tmp,):
        yield tmp


def _temp_beside(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; finished files are ordinary
    return tmp_path


_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_NOT_WRITABLE = {
    errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EEXIST, errno.EISDIR,
    errno.ENOENT, errno.ENAMETOOLONG, errno.ELOOP,
}  # fmt: skip


def _disk_full(target: Path) -> str:
    return (
        f"no space left on the disk writing {target}; free some space and build again "
        "(files already there are untouched)"
    )


def write_error(exc: OSError, target: Path) -> VoiceguideError:
    """An OSError met while writing ``target`` as the user's error or a fault, on one line."""
    if exc.errno in _FULL:
        return DiskFullError(_disk_full(target))
    reason = exc.strerror or str(exc)
    if exc.errno in _NOT_WRITABLE:
        return OutputError(
            f"cannot write to the folder {target.parent}: {reason}; "
            "choose a folder you can write to with -o"
        )
    return ToolError(f"could not write {target}: {reason}")


def check_output_dir(out_dir: Path) -> None:
    """Fail before any work if ``out_dir`` cannot be created or written to."""
    if "\0" in str(out_dir):
        raise OutputError("-o: a folder name cannot contain a NUL byte")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out_dir, prefix=".voiceguide-probe.", suffix=".part")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        if exc.errno in _FULL:
            raise DiskFullError(_disk_full(out_dir)) from exc
        reason = exc.strerror or str(exc)
        raise OutputError(
            f"-o {out_dir}: cannot write to this folder ({reason}); choose one you can write to"
        ) from exc


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(target: Path, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def plan_json(script: Script, *, fingerprint: str | None = None) -> str:
    """The plan as JSON; ``fingerprint`` (of the build's inputs) lets the next build skip."""
    plan = script.plan
    doc: dict[str, object] = {
        "routine": plan.routine_id,
        "title": plan.title,
        "total_ms": plan.total_ms,
        "generator": f"voiceguide {__version__}",
        "parts": [
            {
                "id": p.id,
                "kind": p.kind,
                "title": p.title,
                "number": p.number,
                "start_ms": p.start_ms,
                "end_ms": p.end_ms,
            }
            for p in plan.parts
        ],
        "cues": [
            {
                "part": c.part_id,
                "kind": c.kind,
                "start_ms": c.start_ms,
                "end_ms": c.end_ms,
                "text": c.text,
            }
            for c in script.cues
        ],
    }
    if fingerprint is not None:
        doc["fingerprint"] = fingerprint
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _vtt_time(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _vtt_text(text: str) -> str:
    """Cue payload: escapes what WebVTT reserves; "-->" and blank lines cannot appear."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(text.split())


def captions_vtt(script: Script) -> str:
    """WebVTT with one cue per spoken sentence, at the times it is really said."""
    lines = ["WEBVTT", "", f"NOTE {_vtt_text(script.plan.title)}", ""]
    for index, cue in enumerate(script.speech, start=1):
        lines += [
            str(index),
            f"{_vtt_time(cue.start_ms)} --> {_vtt_time(cue.end_ms)}",
            _vtt_text(cue.text),
            "",
        ]
    return "\n".join(lines)


def write_tags(path: Path, script: Script, *, description: str = "") -> None:
    """ID3v2.4 tags and one chapter per part (CHAP frames listed by an ordered CTOC)."""
    plan = script.plan
    try:
        tags = ID3()
        tags.add(TIT2(encoding=3, text=plan.title))
        tags.add(TPE1(encoding=3, text=ARTIST))
        tags.add(TALB(encoding=3, text="voiceguide massage routines"))
        tags.add(TCON(encoding=3, text="Speech"))
        if description:
            tags.add(COMM(encoding=3, lang="eng", desc="", text=description))
        ids = []
        for index, part in enumerate(plan.parts):
            element = f"chp{index}"
            ids.append(element)
            title = f"{part.number}. {part.title}" if part.number else part.title
            tags.add(
                CHAP(
                    element_id=element,
                    start_time=part.start_ms,
                    end_time=part.end_ms,
                    sub_frames=[TIT2(encoding=3, text=title)],
                )
            )
        tags.add(
            CTOC(
                element_id="toc",
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[TIT2(encoding=3, text=plan.title)],
            )
        )
        tags.save(str(path), v2_version=4)
    except Exception as exc:  # mutagen raises several unrelated types
        cause = _os_error(exc)
        if cause is not None and cause.errno in _FULL:
            raise DiskFullError(_disk_full(path)) from exc
        raise ToolError(f"could not write tags to {path.name}: {exc}") from exc


def _os_error(exc: BaseException | None) -> OSError | None:
    """The OSError behind an exception, if any (mutagen wraps its own)."""
    while exc is not None:
        if isinstance(exc, OSError):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def export(
    script: Script,
    audio: Iterable[bytes] | Source,
    out_dir: Path,
    *,
    description: str = "",
    fingerprint: str | None = None,
    on_samples: Callable[[int], None] | None = None,
) -> list[Path]:
    """Encode and tag the MP3, then write the JSON plan and the captions; returns the paths.

    ``audio`` is the track's PCM blocks, encoded by one ffmpeg, or a
    ``pieces.Source``, encoded in pieces side by side.
    """
    routine_id = script.plan.routine_id
    mp3 = out_dir / f"{routine_id}.mp3"
    sidecar = out_dir / f"{routine_id}.json"
    captions = out_dir / f"{routine_id}.vtt"
    with atomic_paths(mp3, sidecar, captions) as (mp3_tmp, sidecar_tmp, captions_tmp):
        if isinstance(audio, Source):
            encode_pieces(audio, mp3_tmp, on_samples=on_samples)
        else:
            encode_mp3(audio, mp3_tmp)
        write_tags(mp3_tmp, script, description=description)
        sidecar_tmp.write_text(plan_json(script, fingerprint=fingerprint), encoding="utf-8")
        captions_tmp.write_text(captions_vtt(script), encoding="utf-8")
    return [mp3, sidecar, captions]
