"""The output folder as a site: which tracks it holds, its index page and its feed.

A build writes each track's own files (MP3, plan, captions, page, chapters)
together; the folder-wide files list every track there and so are rewritten
after each build, from the plans on disk: ``index.html`` always, ``feed.xml``
when the folder has a base URL (``build --base-url``, then remembered in the
feed itself). Files are only rewritten when their text changes, so a build
that finds everything up to date still writes nothing.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .feed import FEED_NAME, feed_base_url, feed_xml
from .files import write_text
from .names import track_title
from .page import render_index

INDEX_NAME = "index.html"
_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")


def track_files(out_dir: Path, routine_id: str) -> dict[str, Path]:
    """Every file of one track, by role: mp3, plan, captions, page, chapters."""
    return {
        "mp3": out_dir / f"{routine_id}.mp3",
        "plan": out_dir / f"{routine_id}.json",
        "captions": out_dir / f"{routine_id}.vtt",
        "page": out_dir / f"{routine_id}.html",
        "chapters": out_dir / f"{routine_id}.chapters.json",
        "manifest": out_dir / f"{routine_id}.manifest.json",
    }


def _read_plan(path: Path) -> dict[str, Any] | None:
    """A build's plan JSON, or None for any other JSON (or none at all)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):  # anyone's file
        return None
    if not isinstance(data, dict):
        return None
    if not isinstance(data.get("parts"), list) or not isinstance(data.get("total_ms"), int):
        return None
    whole = all(  # a file in the folder may be anyone's: the index reads only whole plans
        isinstance(p, dict) and all(isinstance(p.get(k), int) for k in ("start_ms", "end_ms"))
        for p in data["parts"]
    )
    return data if whole else None


def find_tracks(directory: Path) -> list[dict[str, Any]]:
    """Every track in the folder whose plan, MP3 and page are all there, by id.

    Each is a plain dict with what the index and the feed show: id, title,
    steps, duration_ms, the file names (page, mp3, chapters), the MP3's exact
    size and time, and a guid that changes when the track is rebuilt.
    """
    tracks = []
    for plan_path in sorted(directory.glob("*.json")):
        routine_id = plan_path.name.removesuffix(".json")
        if not _ID.fullmatch(routine_id):  # also leaves out <id>.chapters.json
            continue
        files = track_files(directory, routine_id)
        plan = _read_plan(plan_path)
        if plan is None or not files["page"].is_file():
            continue
        try:
            stat = files["mp3"].stat()
        except OSError:
            continue
        title = track_title({"routine": routine_id, **plan})
        fingerprint = str(plan.get("fingerprint") or "")[:16] or str(stat.st_mtime_ns)
        tracks.append(
            {
                "id": routine_id,
                "title": title,
                "description": description(title, plan),
                "guid": f"voiceguide:{routine_id}:{fingerprint}",
                "published": datetime.fromtimestamp(stat.st_mtime, UTC),
                "page": files["page"].name,
                "mp3": files["mp3"].name,
                "chapters": files["chapters"].name,
                "captions": files["captions"].name if files["captions"].is_file() else None,
                "language": str(plan.get("language") or "en"),
                "bytes": stat.st_size,
                "duration_ms": plan["total_ms"],
                "steps": sum(1 for p in plan["parts"] if p.get("kind") == "step"),
            }
        )
    return tracks


def description(title: str, plan: dict[str, Any]) -> str:
    """The feed item's description: what the track is, then its chapters as timestamps
    ("04:36 Step 1: Stroking"), which some podcast apps read instead of the JSON chapters."""
    lines = [f"{title}: a voice-guided massage, one chapter per part.", ""]
    for part in plan["parts"]:
        if not isinstance(part, dict):
            continue
        start = int(part.get("start_ms") or 0) // 1000
        hours, rest = divmod(start, 3600)
        stamp = (
            f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
            if hours
            else f"{rest // 60:02d}:{rest % 60:02d}"
        )
        number = part.get("number")
        name = f"Step {number}: {part.get('title')}" if number else str(part.get("title"))
        lines.append(f"{stamp} {name}")
    return "\n".join(lines)


def stored_base_url(directory: Path) -> str | None:
    """The base URL the folder's feed was last written for, if it has one."""
    try:
        return feed_base_url((directory / FEED_NAME).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` atomically unless the file already holds it; True if written."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    write_text(path, text)
    return True


def refresh(directory: Path, base_url: str | None = None) -> list[Path]:
    """Rewrite index.html (and feed.xml, given or remembering a base URL); the files written.

    The caller holds the folder's lock: two builds finishing together must not
    each list only the tracks they saw.
    """
    base = base_url or stored_base_url(directory)
    tracks = find_tracks(directory)
    written = []
    index = directory / INDEX_NAME
    if write_if_changed(index, render_index(tracks, feed=FEED_NAME if base else None)):
        written.append(index)
    if base:
        feed = directory / FEED_NAME
        if write_if_changed(feed, feed_xml(tracks, base)):
            written.append(feed)
    return written
