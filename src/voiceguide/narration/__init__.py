"""Narration: every part's words, rendered from templates in Jinja's sandbox."""

from .render import (
    HEADS_UP_MS,
    LEAD_IN_MS,
    PARAGRAPH_PAUSE_MS,
    SENTENCE_PAUSE_MS,
    Cue,
    Narration,
    PartText,
    Sentence,
    narrate,
    render,
    split_sentences,
)

__all__ = [
    "HEADS_UP_MS",
    "LEAD_IN_MS",
    "PARAGRAPH_PAUSE_MS",
    "SENTENCE_PAUSE_MS",
    "Cue",
    "Narration",
    "PartText",
    "Sentence",
    "narrate",
    "render",
    "split_sentences",
]
