"""The plan as JSON beside the track: parts and events, exact to the millisecond."""

from __future__ import annotations

import json
from collections.abc import Mapping

from .. import __version__


def plan_json(document: Mapping[str, object], *, fingerprint: str | None = None) -> str:
    """``document`` with the generator and, if given, the build's ``fingerprint`` (which
    lets the next build skip)."""
    head = ("routine", "title", "total_ms", "voice")
    doc = {key: document[key] for key in head if key in document}
    doc["generator"] = f"voiceguide {__version__}"
    doc.update((key, value) for key, value in document.items() if key not in head)
    if fingerprint is not None:
        doc["fingerprint"] = fingerprint
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
