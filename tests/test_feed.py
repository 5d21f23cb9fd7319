"""The feed parses cleanly with feedparser and the chapters follow Podcasting 2.0's format."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
import pytest

from voiceguide.output.feed import checked_base_url, feed_base_url, feed_xml, itunes_duration
from voiceguide.output.names import track_title
from voiceguide.output.site import find_tracks, refresh

from .phone import BASE_URL, CLI, copy_site

# JSON Schema of Podcasting 2.0 JSON chapters, version 1.2, written from the spec
# (github.com/Podcastindex-org/podcast-namespace, docs/examples/chapters/jsonChapters.md),
# which publishes no schema file of its own.
CHAPTERS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["version", "chapters"],
    "properties": {
        "version": {"type": "string"},
        "author": {"type": "string"},
        "title": {"type": "string"},
        "podcastName": {"type": "string"},
        "description": {"type": "string"},
        "fileName": {"type": "string"},
        "waypoints": {"type": "boolean"},
        "chapters": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["startTime"],
                "properties": {
                    "startTime": {"type": "number", "minimum": 0},
                    "endTime": {"type": "number", "minimum": 0},
                    "title": {"type": "string"},
                    "img": {"type": "string"},
                    "url": {"type": "string"},
                    "toc": {"type": "boolean"},
                    "location": {
                        "type": "object",
                        "required": ["name", "geo"],
                        "properties": {
                            "name": {"type": "string"},
                            "geo": {"type": "string"},
                            "osm": {"type": "string"},
                        },
                    },
                },
            },
        },
    },
}


def test_schema_catches_what_the_spec_forbids() -> None:
    """The schema is not a rubber stamp: missing or mistyped required fields fail it."""
    jsonschema.Draft202012Validator.check_schema(CHAPTERS_SCHEMA)
    for bad in (
        {"chapters": []},
        {"version": "1.2.0"},
        {"version": 1.2, "chapters": []},
        {"version": "1.2.0", "chapters": [{"title": "no start"}]},
        {"version": "1.2.0", "chapters": [{"startTime": "0"}]},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, CHAPTERS_SCHEMA)


def test_chapters_file_matches_schema_and_plan(phone_build: dict) -> None:
    plan = phone_build["plan"]
    chapters = json.loads((phone_build["dir"] / "four.chapters.json").read_text(encoding="utf-8"))
    jsonschema.validate(chapters, CHAPTERS_SCHEMA)
    assert chapters["version"] == "1.2.0"
    assert len(chapters["chapters"]) == len(plan["parts"])
    for chapter, part in zip(chapters["chapters"], plan["parts"], strict=True):
        assert chapter["startTime"] * 1000 == part["start_ms"]
        assert chapter["endTime"] * 1000 == part["end_ms"]
        assert chapter["title"] == part["title"]


def test_built_feed_parses_without_complaint(phone_build: dict) -> None:
    out: Path = phone_build["dir"]
    parsed = feedparser.parse((out / "feed.xml").read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.namespaces["podcast"] == "https://podcastindex.org/namespace/1.0"
    assert parsed.namespaces["itunes"] == "http://www.itunes.com/dtds/podcast-1.0.dtd"
    assert (parsed.feed.title, parsed.feed.language, parsed.feed.author) == (
        "voiceguide",
        "en",
        "voiceguide",
    )
    [entry] = parsed.entries
    plan = phone_build["plan"]
    assert entry.title == track_title(plan)
    assert entry.id.startswith("voiceguide:four:")
    assert entry.link == f"{BASE_URL}four.html"
    [enclosure] = entry.enclosures
    assert enclosure.href == f"{BASE_URL}four.mp3"
    assert int(enclosure.length) == (out / "four.mp3").stat().st_size
    assert enclosure.type == "audio/mpeg"
    assert entry.itunes_duration == itunes_duration(plan["total_ms"])
    assert entry.podcast_chapters == {
        "url": f"{BASE_URL}four.chapters.json",
        "type": "application/json+chapters",
    }
    assert entry.published_parsed is not None
    # the words as a transcript, the chapters as timestamps in the description
    assert entry.podcast_transcript == {
        "url": f"{BASE_URL}four.vtt",
        "type": "text/vtt",
        "rel": "captions",
        "language": "en",
    }
    stamps = [
        line for line in entry.description.splitlines() if line[:2].isdigit() and ":" in line[:5]
    ]
    assert stamps == [
        f"{p['start_ms'] // 60_000:02d}:{p['start_ms'] // 1000 % 60:02d} "
        + (f"Step {p['number']}: {p['title']}" if p["number"] else p["title"])
        for p in plan["parts"]
    ]


def test_feed_escapes_text() -> None:
    nasty = 'Tom & Jerry\'s <b>"back"</b> ]]> rub'
    track = {
        "title": nasty,
        "description": nasty,
        "guid": "voiceguide:x:1",
        "published": datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
        "page": "x y.html",
        "mp3": "x y.mp3",
        "chapters": "x y.chapters.json",
        "bytes": 123,
        "duration_ms": 3_723_400,
    }
    parsed = feedparser.parse(feed_xml([track], BASE_URL))
    assert parsed.bozo == 0
    assert parsed.entries[0].title == nasty
    assert parsed.entries[0].enclosures[0].href == f"{BASE_URL}x%20y.mp3"
    assert parsed.entries[0].itunes_duration == "01:02:03"


def test_later_builds_keep_the_feed_for_its_address(phone_build: dict, tmp_path: Path) -> None:
    """Once written with a base URL, the feed follows the folder without it being given again."""
    site = copy_site(phone_build["dir"], tmp_path / "site")
    assert feed_base_url((site / "feed.xml").read_text()) == BASE_URL
    for name in ("four.json", "four.mp3", "four.html"):
        (site / name.replace("four", "more")).write_bytes((site / name).read_bytes())
    assert refresh(site) == [site / "index.html", site / "feed.xml"]
    parsed = feedparser.parse((site / "feed.xml").read_bytes())
    assert [e.enclosures[0].href for e in parsed.entries] == [
        f"{BASE_URL}four.mp3",
        f"{BASE_URL}more.mp3",
    ]
    assert [t["id"] for t in find_tracks(site)] == ["four", "more"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://example.org/massage", "https://example.org/massage/"),
        ("http://192.168.1.20:8000/", "http://192.168.1.20:8000/"),
        ("example.org/massage/", None),
        ("ftp://example.org/", None),
        ("https:///nohost/", None),
        ("https://example.org/a b/", None),
        ("https://example.org/?q=1", None),
        ('https://example.org/"><x>/', None),
    ],
)
def test_base_url_must_be_absolute_http(given: str, expected: str | None) -> None:
    assert checked_base_url(given) == expected


def test_bad_base_url_is_one_error_line_and_exit_2(tmp_path: Path) -> None:
    command = [*CLI, "build", "classic", "-o", str(tmp_path / "out"), "--base-url", "example.org"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "Error: --base-url example.org: not an absolute http(s) address of a folder; "
        "give one like https://example.org/massage/"
    ]
    assert not (tmp_path / "out").exists()
