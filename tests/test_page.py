"""The player page and the index: written by a build, self-contained, escaped, labelled."""

from __future__ import annotations

import copy
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from voiceguide.build import BuildOptions, build
from voiceguide.output.page import format_clock, page_data, render_index, render_page
from voiceguide.output.site import find_tracks, refresh
from voiceguide.routine import load_routine
from voiceguide.speech import Speaker
from voiceguide.timeline import TimingRequest

from .phone import FOUR

EVIL = '</script><script>alert("x")</script><!-- & {{ 7*7 }} \u2028'


class Collector(HTMLParser):
    """Tags with their attributes, and the text of <script id="plan">."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.plan_text = ""
        self._in_plan = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_plan = tag == "script" and dict(attrs).get("id") == "plan"

    def handle_endtag(self, tag: str) -> None:
        self._in_plan = False

    def handle_data(self, data: str) -> None:
        if self._in_plan:
            self.plan_text += data


def parse(html: str) -> Collector:
    collector = Collector()
    collector.feed(html)
    return collector


def test_build_writes_the_page_for_its_plan(phone_build: dict) -> None:
    out: Path = phone_build["dir"]
    html = (out / "four.html").read_text(encoding="utf-8")
    assert html == render_page(phone_build["plan"], "four.mp3", "four.vtt")
    page = parse(html)
    data = json.loads(page.plan_text)
    assert [p["start_ms"] for p in data["parts"]] == [
        p["start_ms"] for p in phone_build["plan"]["parts"]
    ]
    spoken = [e["text"] for e in phone_build["plan"]["events"] if e["kind"] == "speech"]
    assert [line["text"] for line in data["lines"]] == spoken
    assert "Knead the shoulders gently." in spoken


def test_plan_json_survives_hostile_titles(phone_build: dict) -> None:
    plan = copy.deepcopy(phone_build["plan"])
    plan["title"] = EVIL
    plan["parts"][1]["title"] = EVIL
    html = render_page(plan, "four.mp3", "four.vtt")
    page = parse(html)
    assert json.loads(page.plan_text) == page_data(plan)
    assert html.count("</script>") == 2  # the plan's and the code's, nothing injected
    assert "<script>alert" not in html
    assert "&lt;/script&gt;" in html  # titles in HTML are escaped, not dropped
    assert "{{ 7*7 }}" in html  # a title is data, never a template


def test_page_is_self_contained(phone_build: dict) -> None:
    html = (phone_build["dir"] / "four.html").read_text(encoding="utf-8")
    page = parse(html)
    for tag, attrs in page.tags:
        if tag == "link":  # the inline icons and the track's manifest; no stylesheets or fonts
            assert attrs["rel"] in ("icon", "apple-touch-icon", "manifest")
            href = attrs.get("href") or ""
            assert (
                href == "four.manifest.json" if attrs["rel"] == "manifest" else href[:5] == "data:"
            )
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            assert not re.match(r"^([a-z]+:)?//", value), (tag, value)
        if tag == "script":
            assert "src" not in attrs
    assert "@import" not in html and "@font-face" not in html and "url(" not in html
    assert "prefers-color-scheme: dark" in html


def test_controls_are_labelled(phone_build: dict) -> None:
    plan = phone_build["plan"]
    page = parse(render_page(plan, "four.mp3", "four.vtt"))
    buttons = [attrs for tag, attrs in page.tags if tag == "button"]
    # wake, back, play, next, resume and start over (named by their text) + one per part
    assert len(buttons) == 6 + len(plan["parts"])
    assert all(attrs.get("aria-label") or attrs["id"].startswith("resume-") for attrs in buttons)
    live = [attrs for _, attrs in page.tags if attrs.get("aria-live")]
    assert live and live[0]["aria-live"] == "polite"
    audio = next(attrs for tag, attrs in page.tags if tag == "audio")
    track = next(attrs for tag, attrs in page.tags if tag == "track")
    assert (audio["src"], track["src"], track["kind"]) == ("four.mp3", "four.vtt", "captions")


def test_first_paint_shows_first_part_and_step_labels(phone_build: dict) -> None:
    plan = phone_build["plan"]
    html = render_page(plan, "four.mp3", "four.vtt")
    first, second = plan["parts"][0], plan["parts"][1]
    assert f'<h1 class="title" id="part-title">{first["title"]}</h1>' in html
    assert f'id="next-title">{second["title"]}<' in html
    labels = {p["id"]: p["label"] for p in page_data(plan)["parts"]}
    assert labels["stroke"] == "Step 1 of 4" and labels["tap"] == "Step 4 of 4"
    assert labels[plan["parts"][-1]["id"]] == "After the steps"


def test_clock() -> None:
    assert [format_clock(ms) for ms in (0, 999, 61_000, 3_723_400)] == [
        "0:00",
        "0:00",
        "1:01",
        "1:02:03",
    ]


def test_index_lists_tracks_escaped() -> None:
    html = render_index(
        [{"title": EVIL, "page": "a b.html", "duration_ms": 61_000, "steps": 6}], feed="feed.xml"
    )
    assert "<script>alert" not in html
    assert 'href="a%20b.html"' in html
    assert "6 steps · 1:01" in html
    assert 'href="feed.xml"' in html
    assert "No routines" in render_index([])
    assert "feed.xml" not in render_index([])


def test_index_lists_every_track_in_the_folder(phone_build: dict, tmp_path: Path) -> None:
    out: Path = phone_build["dir"]
    assert [t["id"] for t in find_tracks(out)] == ["four"]
    links = [a.get("href") for tag, a in parse((out / "index.html").read_text()).tags if tag == "a"]
    assert links == ["four.html", "feed.xml"]
    # a second track (another id's plan and files) and stray JSON: only tracks are listed
    for name in ("four.json", "four.mp3", "four.html"):
        (tmp_path / name.replace("four", "other")).write_bytes((out / name).read_bytes())
        (tmp_path / name).write_bytes((out / name).read_bytes())
    (tmp_path / "notes.json").write_text('{"parts": "no"}')
    (tmp_path / "lonely.json").write_text((out / "four.json").read_text())  # no MP3, no page
    assert refresh(tmp_path) == [tmp_path / "index.html"]  # no base URL: no feed
    links = [a.get("href") for tag, a in parse((tmp_path / "index.html").read_text()).tags]
    assert [h for h in links if h and h.endswith(".html")] == ["four.html", "other.html"]
    assert refresh(tmp_path) == []  # unchanged text is not rewritten


def test_up_to_date_needs_the_page_and_chapters(
    speaker: Speaker, tmp_path: Path, phone_build: dict
) -> None:
    """A folder missing a page (or chapters) is rebuilt; a complete one is left untouched."""
    src = tmp_path / "four.yaml"
    src.write_text(FOUR, encoding="utf-8")
    out = tmp_path / "out"
    options = BuildOptions(timing=TimingRequest(intro=False, rest_ms=0), heads_up=False)
    routine = load_routine(src)
    assert not build(routine, out, options, speaker, force=False).up_to_date
    times = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    assert build(routine, out, options, speaker, force=False).up_to_date
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == times  # nothing written
    for name in ("four.html", "four.chapters.json"):
        (out / name).unlink()
        result = build(routine, out, options, speaker, force=False)
        assert not result.up_to_date and (out / name).is_file()
    (out / "four.json").write_text("[" * 100_000, encoding="utf-8")  # not a plan: build again
    assert not build(routine, out, options, speaker, force=False).up_to_date


def _sample_plan() -> dict[str, Any]:
    """A plan document as the JSON holds it, for tests that need no build."""
    return {
        "routine": "demo",
        "title": "Demo",
        "total_ms": 3000,
        "parts": [
            {"id": "s", "kind": "step", "title": "Only", "number": 1, "start_ms": 0, "end_ms": 3000}
        ],
        "events": [{"part": "s", "kind": "speech", "start_ms": 0, "end_ms": 900, "text": "Go."}],
    }


def test_single_part_page_has_no_next() -> None:
    html = render_page(_sample_plan(), "demo.mp3", "demo.vtt")
    assert 'id="next-title"><' in html
    assert json.loads(parse(html).plan_text)["lines"] == [
        {"start_ms": 0, "end_ms": 900, "text": "Go."}
    ]


def test_a_plan_with_broken_parts_in_the_folder_is_left_out_of_the_index(tmp_path: Path) -> None:
    """Any JSON file in the folder may be anyone's: one that looks like a plan but whose parts
    are not whole is not listed, and the index and feed are still written."""
    (tmp_path / "odd.json").write_text(
        json.dumps({"total_ms": 1000, "parts": [1, {"start_ms": "0"}]}), encoding="utf-8"
    )
    for name in ("odd.mp3", "odd.html"):
        (tmp_path / name).write_bytes(b"x")
    assert find_tracks(tmp_path) == []
    written = refresh(tmp_path, "http://192.168.1.2:8000/")
    assert {p.name for p in written} >= {"index.html", "feed.xml"}


def test_a_json_file_nested_too_deep_to_read_is_left_out_of_the_index(tmp_path: Path) -> None:
    """Python's JSON reader gives up (RecursionError) on a file nested a hundred thousand deep:
    such a file is not a plan, and the index is still written (it once stopped build and serve)."""
    (tmp_path / "deep.json").write_text("[" * 100_000, encoding="utf-8")
    for name in ("deep.mp3", "deep.html"):
        (tmp_path / name).write_bytes(b"x")
    assert find_tracks(tmp_path) == []
    assert refresh(tmp_path) == [tmp_path / "index.html"]
