"""ID3v2.4 tags and chapters, written by mutagen into a finished MP3."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mutagen.id3 import CHAP, COMM, CTOC, ID3, TALB, TCON, TIT2, TPE1, CTOCFlags

from ..errors import ToolError, disk_full, is_disk_full, os_error_behind

ARTIST = "voiceguide"
ALBUM = "voiceguide massage routines"


@dataclass(frozen=True)
class Chapter:
    start_ms: int
    end_ms: int
    title: str


def write_tags(
    path: Path, *, title: str, chapters: Sequence[Chapter], description: str = ""
) -> None:
    """Title, artist, album, genre Speech, a comment, and one CHAP per chapter listed by an
    ordered, top-level CTOC (both are needed for players to show chapters)."""
    try:
        tags = ID3()
        tags.add(TIT2(encoding=3, text=title))
        tags.add(TPE1(encoding=3, text=ARTIST))
        tags.add(TALB(encoding=3, text=ALBUM))
        tags.add(TCON(encoding=3, text="Speech"))
        if description:
            tags.add(COMM(encoding=3, lang="eng", desc="", text=description))
        ids = []
        for index, chapter in enumerate(chapters):
            element = f"chp{index}"
            ids.append(element)
            tags.add(
                CHAP(
                    element_id=element,
                    start_time=chapter.start_ms,
                    end_time=chapter.end_ms,
                    sub_frames=[TIT2(encoding=3, text=chapter.title)],
                )
            )
        tags.add(
            CTOC(
                element_id="toc",
                flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[TIT2(encoding=3, text=title)],
            )
        )
        tags.save(str(path), v2_version=4)
    except Exception as exc:  # mutagen raises several unrelated types
        cause = os_error_behind(exc)
        if cause is not None and is_disk_full(cause):
            raise disk_full(path) from exc
        raise ToolError(f"could not write tags to {path.name}: {exc}") from exc
