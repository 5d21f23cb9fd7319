"""ID3v2.4 tags and chapters, written by mutagen into a finished MP3."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mutagen.id3 import CHAP, COMM, CTOC, ID3, TALB, TCON, TIT2, TLAN, TPE1, TXXX, CTOCFlags

from ..errors import ToolError, disk_full, is_disk_full, os_error_behind

ARTIST = "voiceguide"
ALBUM = "voiceguide massage routines"
VOICE_DESC = "voice"  # the TXXX frame naming the voice that speaks: "joe (piper)"


@dataclass(frozen=True)
class Chapter:
    start_ms: int
    end_ms: int
    title: str


def chapter_ids(titles: Sequence[str]) -> list[str]:
    """Element ids that keep the CHAP frames in time order in the file.

    mutagen writes frames sorted by their size, then by id; readers such as
    ffmpeg list chapters in the order of the frames in the file, not the
    CTOC's. So every CHAP frame is made the same size (the id is padded by
    as many bytes as its title is shorter than the longest) and the ids sort
    in time order (``chp000``, ``chp001``, ...).
    """
    sizes = [len(t.encode("utf-8")) for t in titles]
    longest = max(sizes, default=0)
    return [f"chp{i:03d}" + "_" * (longest - size) for i, size in enumerate(sizes)]


def id3_language(tag: str) -> str:
    """A BCP-47 tag as ID3 writes a language: ISO 639-2 (``ru`` -> ``rus``), from CLDR's
    alias table (Babel); ``und`` (undetermined) if it has none."""
    if tag.split("-")[0] == "en":
        return "eng"  # without loading Babel's tables for the usual case
    from babel.core import get_global

    aliases = get_global("language_aliases")  # three-letter codes -> the two-letter one
    primary = tag.split("-")[0].lower()
    if len(primary) == 3:
        return primary
    found = sorted(k for k, v in aliases.items() if v == primary and len(k) == 3)
    return found[0] if found else "und"


def write_tags(
    path: Path,
    *,
    title: str,
    chapters: Sequence[Chapter],
    description: str = "",
    language: str = "en",
    voice: str = "",
) -> None:
    """Title, artist, album, genre Speech, the language spoken (TLAN), a comment, the voice
    (``TXXX:voice``), and one CHAP per chapter listed by an ordered, top-level CTOC (both
    are needed for players to show chapters)."""
    lang = id3_language(language)
    try:
        tags = ID3()
        tags.add(TLAN(encoding=3, text=lang))
        tags.add(TIT2(encoding=3, text=title))
        tags.add(TPE1(encoding=3, text=ARTIST))
        tags.add(TALB(encoding=3, text=ALBUM))
        tags.add(TCON(encoding=3, text="Speech"))
        if description:
            tags.add(COMM(encoding=3, lang=lang, desc="", text=description))
        if voice:
            tags.add(TXXX(encoding=3, desc=VOICE_DESC, text=voice))
        ids = chapter_ids([c.title for c in chapters])
        for element, chapter in zip(ids, chapters, strict=True):
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
