"""Export alone: atomic writes, the JSON plan, and ID3 chapters read back with mutagen."""

import json
from pathlib import Path

import pytest
from mutagen.id3 import ID3

from voiceguide.build import export
from voiceguide.errors import FfmpegError
from voiceguide.output.files import atomic_path
from voiceguide.output.plan_json import plan_json
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


DEMO_FILES = ["demo.chapters.json", "demo.html", "demo.json", "demo.mp3", "demo.vtt"]


def silence(ms: int):
    yield b"\0\0" * sample_index(ms)


def test_export_writes_mp3_with_chapters_and_plan(tmp_path: Path) -> None:
    mp3, sidecar, *_sidecars = export(
        small_script(), silence(5_000), tmp_path, description="Just a demo"
    )
    tags = ID3(mp3)
    assert str(tags["TIT2"]) == "Demo" and str(tags["TCON"]) == "Speech"
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
    export(small_script(), silence(5_000), tmp_path)
    before = (tmp_path / "demo.mp3").read_bytes()

    def broken():
        yield b"\0\0" * 100
        raise FfmpegError("ffmpeg failed to encode the MP3: simulated")

    with pytest.raises(FfmpegError):
        export(small_script(), broken(), tmp_path)
    assert (tmp_path / "demo.mp3").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == DEMO_FILES


def test_plan_json_is_stable_text() -> None:
    assert plan_json(to_document(small_script())) == plan_json(to_document(small_script()))
