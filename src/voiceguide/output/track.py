"""One track's own files, written together: the MP3 (encoded, tagged) and its sidecars.

Every file is made from the one plan document (``timeline.to_document``, the JSON
beside the track): the ID3 chapters, the captions, the player page and the podcast
chapters read the parts and lines the JSON holds, so no two files can disagree on
where a part starts. They are committed together (``files.atomic_paths``): a build
that fails or is interrupted leaves the previous track's files as they were, never a
new MP3 beside an old plan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from ..mp3 import pieces
from ..mp3.encode import encode_mp3
from ..mp3.tags import Chapter, write_tags
from .captions import captions_vtt
from .feed import chapters_json
from .files import atomic_paths
from .names import track_title
from .page import manifest_json, render_page
from .plan_json import plan_json
from .site import track_files


def export(
    document: Mapping[str, Any],
    sound: pieces.Source | Iterable[bytes],
    out_dir: Path,
    *,
    name: str | None = None,
    description: str = "",
    fingerprint: str | None = None,
    on_samples: Callable[[int], None] | None = None,
) -> list[Path]:
    """Encode and tag the MP3, then write the JSON plan, the captions, the player page, the
    podcast chapters and the page's web app manifest into ``out_dir`` as ``<name>.*`` (the routine's id by default):
    all or none. Returns their paths, the MP3 first and the plan second.

    ``sound`` is a ``pieces.Source`` (encoded in pieces, side by side, each
    checked for true peak if the source asks) or the track's PCM blocks
    (encoded by one ffmpeg). ``fingerprint`` goes into the plan, for the
    next build to tell whether these files are up to date.
    """
    files = track_files(out_dir, name or str(document["routine"]))
    mp3, plan, captions, page, marks, manifest = (
        files[k] for k in ("mp3", "plan", "captions", "page", "chapters", "manifest")
    )
    targets = (mp3, plan, captions, page, marks, manifest)
    with atomic_paths(*targets) as temps:
        mp3_tmp, plan_tmp, captions_tmp, page_tmp, marks_tmp, manifest_tmp = temps
        if isinstance(sound, pieces.Source):
            pieces.encode(sound, mp3_tmp, on_samples=on_samples)
        else:
            encode_mp3(sound, mp3_tmp)
        title = track_title(document)
        language = str(document.get("language") or "en")
        write_tags(
            mp3_tmp,
            title=title,
            chapters=id3_chapters(document),
            description=description,
            language=language,
            voice=voice_tag(document),
        )
        plan_tmp.write_text(plan_json(document, fingerprint=fingerprint), encoding="utf-8")
        captions_tmp.write_text(
            captions_vtt(title, spoken_lines(document), language), encoding="utf-8"
        )
        page_tmp.write_text(
            render_page(document, mp3.name, captions.name, manifest.name), encoding="utf-8"
        )
        marks_tmp.write_text(chapters_json(document), encoding="utf-8")
        manifest_tmp.write_text(manifest_json(document, page.name), encoding="utf-8")
    return list(targets)


def voice_tag(document: Mapping[str, Any]) -> str:
    """The plan's voice as the MP3's tag says it: ``joe (piper)``; "" if the plan has none."""
    voice = document.get("voice")
    return f"{voice['id']} ({voice['engine']})" if isinstance(voice, Mapping) else ""


def id3_chapters(document: Mapping[str, Any]) -> list[Chapter]:
    """One chapter per part; a step's title carries its number, as a player lists them."""
    return [
        Chapter(
            p["start_ms"],
            p["end_ms"],
            f"{p['number']}. {p['title']}" if p["number"] else p["title"],
        )
        for p in document["parts"]
    ]


def spoken_lines(document: Mapping[str, Any]) -> list[tuple[int, int, str]]:
    """(start_ms, end_ms, text) of every spoken line: what the captions show."""
    return [
        (e["start_ms"], e["end_ms"], e["text"]) for e in document["events"] if e["kind"] == "speech"
    ]
