"""Export alone: atomic writes, the JSON plan, and ID3 chapters read back with mutagen."""

import json
from pathlib import Path

import pytest
from mutagen.id3 import ID3

from voiceguide.audio.decode import decode
from voiceguide.errors import FfmpegError
from voiceguide.output.files import atomic_path
from voiceguide.output.plan_json import plan_json
from voiceguide.output.track import export
from voiceguide.pcm import sample_index
from voiceguide.timeline import Event, Script, to_document
from voiceguide.timeline.plan import Part, Plan


def small_script() -> Script:
    plan = Plan(
        "demo",
        "Demo",
        (
            Part("intro", "intro", "Introduction", 0, 2_000),
            Part("a", "step", "Alpha", 2_000, 5_000, 1),
        ),
    )
    return Script(plan, (Event(2_000, 4_000, "sound", "step", "a"),))


DEMO_FILES = [
    "demo.chapters.json",
    "demo.html",
    "demo.json",
    "demo.manifest.json",
    "demo.mp3",
    "demo.vtt",
]


def silence(ms: int):
    yield b"\0\0" * sample_index(ms)


def test_export_writes_mp3_with_chapters_and_plan(tmp_path: Path) -> None:
    mp3, sidecar, *_sidecars = export(
        to_document(small_script()), silence(5_000), tmp_path, description="Just a demo"
    )
    tags = ID3(mp3)
    assert str(tags["TIT2"]) == "Demo · 1 min" and str(tags["TCON"]) == "Speech"  # length named
    chapters = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    assert [(c.start_time, c.end_time) for c in chapters] == [(0, 2_000), (2_000, 5_000)]
    assert tags.getall("CTOC")[0].child_element_ids == [c.element_id for c in chapters]
    plan = json.loads(sidecar.read_text())
    assert plan["total_ms"] == 5_000 and plan["events"][0]["kind"] == "sound"
    assert sorted(p.name for p in tmp_path.iterdir()) == DEMO_FILES


def test_failed_block_leaves_previous_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "x.txt"
    target.write_text("good")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "good" and list(tmp_path.iterdir()) == [target]


def test_ffmpeg_failure_is_a_tool_error_and_keeps_old_track(tmp_path: Path, monkeypatch) -> None:
    export(to_document(small_script()), silence(5_000), tmp_path)
    before = (tmp_path / "demo.mp3").read_bytes()

    def broken():
        yield b"\0\0" * 100
        raise FfmpegError("ffmpeg failed to encode the MP3: simulated")

    with pytest.raises(FfmpegError):
        export(to_document(small_script()), broken(), tmp_path)
    assert (tmp_path / "demo.mp3").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == DEMO_FILES


def test_plan_json_is_stable_text() -> None:
    assert plan_json(to_document(small_script())) == plan_json(to_document(small_script()))


def test_every_file_is_made_from_the_one_plan_document(tmp_path: Path) -> None:
    """The ID3 chapters, the captions and the podcast chapters read the parts and lines of the
    plan JSON written beside them: a step's chapter carries its number, only speech is
    captioned, and the MP3 decodes to the plan's length."""
    script = small_script()
    said = Event(2_500, 3_500, "speech", "Warm your hands.", "a")
    script = Script(script.plan, (*script.events, said))
    mp3, sidecar, captions, _page, marks, *_ = export(to_document(script), silence(5_000), tmp_path)
    chapters = sorted(ID3(mp3).getall("CHAP"), key=lambda c: c.start_time)
    assert [str(c.sub_frames["TIT2"]) for c in chapters] == ["Introduction", "1. Alpha"]
    vtt = captions.read_text()
    assert "00:00:02.500 --> 00:00:03.500\nWarm your hands." in vtt and "step" not in vtt
    plan = json.loads(sidecar.read_text())
    assert [c["title"] for c in json.loads(marks.read_text())["chapters"]] == [
        p["title"] for p in plan["parts"]
    ]
    assert decode(mp3).size == sample_index(plan["total_ms"])
