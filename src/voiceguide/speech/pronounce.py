"""Words said right: a respelling table applied to the text an engine speaks, never to the text shown.

The engines share espeak-ng's phonemizer, and both say "coccyx" as
"KAH-kicks"; respelled "coxix" it comes out right. Each language ships a
table of such words (``languages/<tag>/pronounce.yaml``); a routine's
``pronounce:`` table adds to its language's. Only the
engine sees the respelling: captions, the plan and ``voiceguide script``
show the words as written.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

import yaml

from ..languages import DEFAULT, get


@functools.cache
def default_table(language: str = DEFAULT) -> dict[str, str]:
    """The language's packaged table (``languages/<tag>/pronounce.yaml``, if it has one),
    word -> respelling: words its voices misread."""
    path = get(language).folder / "pronounce.yaml"
    if not path.is_file():
        return {}
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k).lower(): str(v) for k, v in doc.items()}


def table_with(own: Mapping[str, str] | None, language: str = DEFAULT) -> dict[str, str]:
    """The language's packaged table with a routine's own entries added (its own win)."""
    merged = dict(default_table(language))
    merged.update({k.lower(): v for k, v in (own or {}).items()})
    return merged


@functools.lru_cache(maxsize=32)
def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    # longest first, so "lower back" wins over "back"; whole words only
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def respell(text: str, table: Mapping[str, str]) -> str:
    """``text`` with every whole word in ``table`` (any case) replaced by its respelling.

    A word written with a capital keeps it ("Coccyx" -> "Coxix"), so the
    engine's sentence intonation does not change.
    """
    if not table:
        return text
    lowered = {k.lower(): v for k, v in table.items()}

    def swap(match: re.Match[str]) -> str:
        said = lowered[match.group(0).lower()]
        return said[:1].upper() + said[1:] if match.group(0)[:1].isupper() else said

    return _pattern(tuple(sorted(lowered))).sub(swap, text)
