"""Chapters stored in time order: what ffmpeg lists is the order of the CHAP frames in the file."""

import re
import subprocess
from pathlib import Path

from voiceguide.ffmpeg import ffmpeg_exe
from voiceguide.mp3.tags import chapter_ids
from voiceguide.output.track import export
from voiceguide.timeline import Script, to_document
from voiceguide.timeline.plan import Part, Plan

from .test_export import silence


def ffmpeg_chapters(mp3: Path) -> list[tuple[int, str]]:
    """(start in ms, title) for each chapter, in the order ffmpeg's reader lists them."""
    out = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-i", str(mp3), "-f", "ffmetadata", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.findall(r"\[CHAPTER\]\nTIMEBASE=1/1000\nSTART=(\d+)\nEND=\d+\ntitle=(.*)", out)
    return [(int(start), title) for start, title in found]


def test_chapters_of_every_title_length_are_listed_in_time_order(tmp_path: Path) -> None:
    # Titles of falling and rising lengths: mutagen sorts frames by size, so a long
    # "Introduction" before a short "Rest" came out of order before.
    titles = ["Introduction", "1. Stroking", "2. Kneading with both palms", "Rest", "Finish"]
    parts = tuple(
        Part(f"p{i}", "step", title, i * 1000, (i + 1) * 1000) for i, title in enumerate(titles)
    )
    script = Script(Plan("order", "Order", parts), ())
    export(to_document(script), silence(len(titles) * 1000), tmp_path)
    listed = ffmpeg_chapters(tmp_path / "order.mp3")
    # ffmpeg shifts every start by the same encoder delay; the order is the point
    assert [title for _, title in listed] == titles
    assert [start for start, _ in listed] == sorted(start for start, _ in listed)


def test_the_classic_build_lists_its_chapters_in_time_order(classic_build) -> None:
    listed = ffmpeg_chapters(classic_build["mp3"])
    parts = classic_build["plan"]["parts"]
    titles = [f"{p['number']}. {p['title']}" if p["number"] else p["title"] for p in parts]
    assert [title for _, title in listed] == titles
    assert listed[0][1] == "Introduction" and listed[-2][1] == "Rest"


def test_chapter_ids_sort_in_time_order_and_pad_to_one_size() -> None:
    ids = chapter_ids(["Introduction", "Rest", "1. Kneading"])
    assert ids == sorted(ids)
    sizes = {
        len(i) + len(t) for i, t in zip(ids, ["Introduction", "Rest", "1. Kneading"], strict=True)
    }
    assert len(sizes) == 1
