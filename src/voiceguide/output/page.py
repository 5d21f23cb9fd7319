"""The phone player page for one track, and the folder's index page.

The page has to work from a plain folder served over the LAN, or opened as a
file with no internet, so it is one self-contained HTML document: CSS and JS
are inlined from the template files and the plan travels inside the page as
JSON. Only what the page needs is embedded (parts and spoken lines), so a long
routine stays a small page. It takes the plan as the JSON document beside the
track holds it (a plain dict), never the timeline's objects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from jinja2 import PackageLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from . import icon
from .names import title_parts, track_title

# Sandboxed, and autoescape on for every template: titles and spoken lines come
# from routine files a user may have written, and must never become markup.
_ENV = SandboxedEnvironment(
    loader=PackageLoader("voiceguide.output", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

_KIND_LABELS = {"intro": "Before the steps", "rest": "After the steps", "outro": "After the steps"}


def format_clock(ms: float) -> str:
    """m:ss (or h:mm:ss) as a person reads a timer; seconds are rounded down."""
    total = max(0, int(ms // 1000))
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def part_label(part: Mapping[str, Any], step_count: int) -> str:
    """The small line above the big title: "Step 3 of 6", or where a non-step part sits."""
    if part["kind"] == "step" and part.get("number") is not None:
        return f"Step {part['number']} of {step_count}"
    return _KIND_LABELS.get(part["kind"], "")


def page_data(plan: Mapping[str, Any]) -> dict[str, Any]:
    """The subset of the plan the page's script needs; labels are made here so JS doesn't."""
    step_count = sum(1 for p in plan["parts"] if p["kind"] == "step")
    parts = [
        {
            "id": p["id"],
            "kind": p["kind"],
            "title": p["title"],
            "number": p.get("number"),
            "label": part_label(p, step_count),
            "start_ms": p["start_ms"],
            "end_ms": p["end_ms"],
        }
        for p in plan["parts"]
    ]
    lines = [
        {"start_ms": e["start_ms"], "end_ms": e["end_ms"], "text": e["text"]}
        for e in plan.get("events", [])
        if e.get("kind") == "speech"
    ]
    return {
        "title": track_title(plan),
        "total_ms": plan["total_ms"],
        # where the listener stopped is kept per track and per build: a rebuild at another
        # length is another track, whose old position means nothing
        "key": f"voiceguide:{plan.get('name') or plan.get('routine')}:{plan['total_ms']}",
        "parts": parts,
        "lines": lines,
    }


def script_json(data: Any) -> Markup:
    """JSON safe inside <script type="application/json">.

    Script content is raw text to the HTML parser, so HTML escaping would corrupt it;
    instead '<', '>' and '&' become JSON \\u escapes, which closes every way out
    ("</script>", "<!--") while JSON.parse still returns the same strings.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return Markup(text)


def render_page(
    plan: Mapping[str, Any], mp3_name: str, vtt_name: str, manifest_name: str = ""
) -> str:
    """The player page for one track; its MP3, captions and manifest are linked relative to it."""
    data = page_data(plan)
    first = data["parts"][0]
    return _ENV.get_template("player.html.j2").render(
        title=data["title"],
        title_parts=title_parts(plan),
        short_title=str(plan["title"]),
        manifest_name=manifest_name or mp3_name.removesuffix(".mp3") + ".manifest.json",
        touch_icon=icon.data_url(),
        language=str(plan.get("language") or "en"),
        parts=data["parts"],
        first=first,
        next_title=data["parts"][1]["title"] if len(data["parts"]) > 1 else "",
        total=format_clock(data["total_ms"]),
        first_left=format_clock(first["end_ms"] - first["start_ms"]),
        clock=format_clock,
        mp3_name=mp3_name,
        vtt_name=vtt_name,
        plan_json=script_json(data),
    )


def manifest_json(plan: Mapping[str, Any], page_name: str) -> str:
    """The web app manifest of one track's page: "add to home screen" opens this track."""
    manifest = {
        "name": track_title(plan),
        "short_name": str(plan["title"])[:30],
        "start_url": quote(page_name),
        "scope": "./",
        "display": "standalone",
        "background_color": "#f6f4ef",
        "theme_color": "#1f6f5f",
        "icons": [
            {"src": icon.data_url(), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {
                "src": icon.data_url(),
                "sizes": "192x192",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return json.dumps(manifest, ensure_ascii=False, indent=1) + "\n"


def render_index(tracks: Sequence[Mapping[str, Any]], *, feed: str | None = None) -> str:
    """The folder's front page: one big link per track, and the feed's link if there is one.

    Each track needs "title", "page" (href of its player page) and "duration_ms";
    "steps" (how many steps) is shown when present.
    """
    return _ENV.get_template("index.html.j2").render(tracks=tracks, clock=format_clock, feed=feed)
