"""Which characters a routine's texts may hold: what may be shown, and what may be spoken.

A stranger's file must not reorder or hide what the page, captions, feed and
tags show, and the speech engines must not be handed what they cannot say
(or say by its Unicode name, as espeak-ng does with emoji). Kept apart from
the file's structure (``schema``): one question, asked of every text.
"""

from __future__ import annotations

import re
import unicodedata

# Pictographs, emoticons, transport, flags and skin tones; miscellaneous symbols and dingbats;
# arrows and stars used as emoji; emoji presentation and keycap.
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u20e3]")


def _plain(text: str) -> bool:
    """Nothing in ``text`` to refuse: every character printable (so no control, format,
    surrogate, private-use or unassigned one; newline and tab are text) and no emoji."""
    return text.replace("\n", " ").replace("\t", " ").isprintable() and not _EMOJI.search(text)


# Characters that change the order text is shown in: embeddings and overrides, isolates,
# the left-to-right, right-to-left and Arabic letter marks.
_BIDI = frozenset((0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)))
_JOINERS = frozenset((0x200C, 0x200D))  # zero-width non-joiner and joiner


# Code points that are no character anyone can read, by Unicode category: half of a UTF-16
# pair (no UTF-8 file, MP3 tag or page can hold it), one each font draws its own way or not
# at all, and one not assigned.
_NO_CHARACTER = {
    "Cs": "a lone surrogate (half of a UTF-16 pair), which no text can hold",
    "Co": "a private-use character, which has no agreed meaning or sound",
    "Cn": "not an assigned Unicode character",
}


def _no_character(ch: str) -> str | None:
    """Why ``ch`` is not a character anyone can read, or None."""
    what = _NO_CHARACTER.get(unicodedata.category(ch))
    return f"contains U+{ord(ch):04X}, {what}; remove it" if what else None


def _named(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")


def _hidden(text: str, i: int) -> str | None:
    """Why ``text[i]`` would reorder or hide what is shown, or None."""
    ch = text[i]
    if ord(ch) in _BIDI:
        return (
            f"contains the character {_named(ch)}, which changes the order text is shown in; "
            "remove it"
        )
    if ord(ch) in _JOINERS:
        if i > 0 and unicodedata.category(text[i - 1])[0] in "LM":
            return None
        return (
            f"contains the invisible character {_named(ch)} outside a word; it belongs only "
            "right after a letter, in the scripts that need it: remove it"
        )
    if unicodedata.category(ch) == "Cf":
        return f"contains the invisible character {_named(ch)}; remove it"
    return None


def unshowable(text: str) -> str | None:
    """Why ``text`` may not be shown or stored as written (any text field), or None.

    A stranger's file must not reorder or hide what the page, captions, feed
    and tags show: bidirectional controls (a right-to-left override makes
    "gnp.exe" read "exe.png"), invisible format characters (Unicode category
    Cf: zero-width space, soft hyphen, word joiner, tags...) and C0 and C1
    control characters are refused, and so is what is no character at all:
    a lone surrogate (which no UTF-8 file or tag can hold), a private-use
    character and an unassigned code point. Newline and tab are text. The one
    exception is what some scripts need inside a word: a zero-width
    non-joiner or joiner right after a letter or a combining mark (Persian
    writes "می‌خواهم" with one; Devanagari, Malayalam and Sinhala choose a
    letter's form with them); a joiner anywhere else (alone, at a word's
    start, after a space or between emoji) is refused.
    """
    if _plain(text):
        return None
    for i, ch in enumerate(text):
        if ch in "\n\t":
            continue
        why = _hidden(text, i)
        if why:
            return why
        if unicodedata.category(ch) == "Cc":
            return f"contains the control character U+{ord(ch):04X}; remove it"
        why = _no_character(ch)
        if why:
            return why
    return None


def unspeakable(text: str) -> str | None:
    """Why ``text`` cannot be read aloud as written, or None if it can.

    espeak-ng speaks Latin with accents, Cyrillic, Greek, CJK and more; it
    also reads emoji out by their names ("grinning face", "snowman"), which
    is never what a routine means, so emoji are refused with that reason.
    What may not be shown (``unshowable``) is refused with its own reason;
    control characters, and text with no letter or digit ("...", "?"), have
    no sound at all.
    """
    for i, ch in enumerate("" if _plain(text) else text):
        if ch in "\n\t":
            continue
        if _EMOJI.match(ch):
            return (
                f'contains the emoji "{ch}", which the speech engine would read out by its '
                "name; write the words you mean instead"
            )
        why = _hidden(text, i) or _no_character(ch)
        if why:
            return why
        if unicodedata.category(ch) == "Cc":
            return (
                f"contains the character U+{ord(ch):04X}, which cannot be spoken; "
                "use letters, digits and punctuation"
            )
    if not any(ch.isalnum() for ch in text):
        return f'has no letters or digits to say aloud ("{text[:20]}"); write words'
    return None
