"""Podcast feed (RSS 2.0 + iTunes + Podcasting 2.0) and JSON chapters for built tracks.

A podcast app is the other way to follow a routine on a phone: it downloads the
MP3, plays with the screen locked, and shows one chapter per part, so "next
chapter" skips to the next step. The feed is built with ElementTree so every
title and description is escaped by the XML serializer, not by hand. Links in a
feed must be absolute, so it is made for one base URL: where the folder is
published (``build --base-url``) or served (``voiceguide serve``).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from .names import track_title

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ATOM_NS = "http://www.w3.org/2005/Atom"
CHAPTERS_TYPE = "application/json+chapters"
FEED_NAME = "feed.xml"

_NAMESPACES = {"itunes": ITUNES_NS, "podcast": PODCAST_NS, "atom": ATOM_NS}


def chapters_json(plan: Mapping[str, Any]) -> str:
    """Podcasting 2.0 JSON chapters (version 1.2): one chapter per part, seconds = plan ms / 1000."""
    chapters = [
        {"startTime": p["start_ms"] / 1000, "endTime": p["end_ms"] / 1000, "title": p["title"]}
        for p in plan["parts"]
    ]
    doc = {"version": "1.2.0", "title": track_title(plan), "chapters": chapters}
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def itunes_duration(ms: int) -> str:
    """HH:MM:SS, the itunes:duration form every podcast app reads."""
    hours, rest = divmod(round(ms / 1000), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}"


def checked_base_url(url: str) -> str | None:
    """The base URL ending in "/", or None if it is not an absolute http(s) URL.

    Every link in the feed is this plus a file name, so it names the folder itself.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        return None
    if any(ch.isspace() or ch in "<>\"'\\" for ch in url):
        return None
    return url if url.endswith("/") else url + "/"


def _url(base_url: str, name: str) -> str:
    """Absolute URL of a file in the folder; the base must end at the folder."""
    base = base_url if base_url.endswith("/") else base_url + "/"
    return urljoin(base, quote(name))


def _q(ns: str, tag: str) -> str:
    return f"{{{_NAMESPACES[ns]}}}{tag}"


def _sub(
    parent: ET.Element, tag: str, text: str | None = None, attrib: dict[str, str] | None = None
) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib or {})
    if text is not None:
        element.text = text
    return element


def _item(channel: ET.Element, track: Mapping[str, Any], base_url: str) -> None:
    item = _sub(channel, "item")
    _sub(item, "title", track["title"])
    _sub(item, "description", track.get("description") or track["title"])
    _sub(item, "guid", track["guid"], {"isPermaLink": "false"})
    _sub(item, "pubDate", format_datetime(track["published"].astimezone(UTC), usegmt=True))
    _sub(item, "link", _url(base_url, track["page"]))
    enclosure = {
        "url": _url(base_url, track["mp3"]),
        "length": str(track["bytes"]),
        "type": "audio/mpeg",
    }
    _sub(item, "enclosure", attrib=enclosure)
    _sub(item, _q("itunes", "title"), track["title"])
    _sub(item, _q("itunes", "duration"), itunes_duration(track["duration_ms"]))
    _sub(item, _q("itunes", "episodeType"), "full")
    _sub(item, _q("itunes", "explicit"), "false")
    chapters = {"url": _url(base_url, track["chapters"]), "type": CHAPTERS_TYPE}
    _sub(item, _q("podcast", "chapters"), attrib=chapters)
    if track.get("captions"):  # the words, which AntennaPod and Apple Podcasts show
        transcript = {
            "url": _url(base_url, track["captions"]),
            "type": "text/vtt",
            "rel": "captions",
            "language": str(track.get("language") or "en"),
        }
        _sub(item, _q("podcast", "transcript"), attrib=transcript)


def feed_xml(
    tracks: Sequence[Mapping[str, Any]],
    base_url: str,
    *,
    title: str = "voiceguide",
    description: str = "Voice-guided massage routines, one chapter per step.",
    author: str = "voiceguide",
    language: str = "en",
) -> str:
    """RSS 2.0 feed, one item per track.

    A track has: title, guid, published (aware datetime), page, mp3, bytes (exact
    size: podcast apps check it), duration_ms, chapters (file name); description,
    captions (the WebVTT file's name: a podcast:transcript in the track's language) and
    language are optional. base_url is where the folder is reached (with the token, if any).
    """
    for prefix, uri in _NAMESPACES.items():
        ET.register_namespace(prefix, uri)
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    _sub(channel, "title", title)
    _sub(channel, "link", _url(base_url, ""))
    _sub(channel, "description", description)
    spoken = {str(t.get("language") or "en") for t in tracks}
    _sub(channel, "language", spoken.pop() if len(spoken) == 1 else language)
    _sub(channel, "generator", "voiceguide")
    newest = max((t["published"] for t in tracks), default=datetime(2000, 1, 1, tzinfo=UTC))
    _sub(channel, "lastBuildDate", format_datetime(newest.astimezone(UTC), usegmt=True))
    self_link = {"href": _url(base_url, FEED_NAME), "rel": "self", "type": "application/rss+xml"}
    _sub(channel, _q("atom", "link"), attrib=self_link)
    _sub(channel, _q("itunes", "author"), author)
    _sub(channel, _q("itunes", "summary"), description)
    _sub(channel, _q("itunes", "type"), "episodic")
    _sub(channel, _q("itunes", "explicit"), "false")
    category = _sub(channel, _q("itunes", "category"), attrib={"text": "Health & Fitness"})
    _sub(category, _q("itunes", "category"), attrib={"text": "Alternative Health"})
    _sub(channel, _q("podcast", "medium"), "podcast")
    for track in tracks:
        _item(channel, track, base_url)
    ET.indent(rss, space=" ")
    return ET.tostring(rss, encoding="unicode", xml_declaration=True) + "\n"


def feed_base_url(feed_text: str) -> str | None:
    """The base URL a feed we wrote was made for (its atom:link rel="self", minus feed.xml).

    Later builds into the folder keep the feed current for the same address.
    """
    try:
        root = ET.fromstring(feed_text)
    except ET.ParseError:
        return None
    for link in root.iter(_q("atom", "link")):
        href = link.get("href", "")
        if link.get("rel") == "self" and href.endswith("/" + FEED_NAME):
            return checked_base_url(href.removesuffix(FEED_NAME))
    return None
