"""Lengths said aloud: "twelve minutes", "a minute and a half", "forty-five seconds".

The narration says how long each step and the rest last, so the words must
follow the fitted plan, not the routine's defaults. Lengths are rounded to
what a listener can use (five seconds under a minute, half minutes under an
hour, whole minutes above) and the numbers become words through num2words,
which knows many languages; the phrases around them are in ``_FRAMES``, one
entry per language, so another language is one more entry.
"""

from __future__ import annotations

from num2words import num2words  # type: ignore[import-untyped]

_FRAMES: dict[str, dict[str, str]] = {
    "en": {
        "second": "one second",
        "seconds": "{n} seconds",
        "minute": "one minute",
        "minute_half": "a minute and a half",
        "minutes": "{n} minutes",
        "minutes_half": "{n} and a half minutes",
        "hour": "one hour",
        "hour_half": "an hour and a half",
        "hours": "{n} hours",
        "and": "{a} and {b}",
    },
}
LANGUAGES = tuple(_FRAMES)


def spoken_length(ms: int, lang: str = "en") -> str:
    """``ms`` as a listener would say it, rounded; e.g. 725_000 -> "twelve minutes"."""
    frames = _FRAMES[lang]

    def n(value: int) -> str:
        return str(num2words(value, lang=lang))

    seconds = round(ms / 1000)
    if seconds < 10:
        return frames["second"] if seconds == 1 else frames["seconds"].format(n=n(seconds))
    fives = round(ms / 5000) * 5
    if fives < 60:
        return frames["seconds"].format(n=n(fives))
    halves = round(ms / 30_000)
    if halves < 120:
        whole, half = divmod(halves, 2)
        if whole == 1:
            return frames["minute_half"] if half else frames["minute"]
        return frames["minutes_half" if half else "minutes"].format(n=n(whole))
    hours, minutes = divmod(round(ms / 60_000), 60)
    if minutes == 30 and hours == 1:
        return frames["hour_half"]
    said_hours = frames["hour"] if hours == 1 else frames["hours"].format(n=n(hours))
    if minutes == 0:
        return said_hours
    said_minutes = frames["minute"] if minutes == 1 else frames["minutes"].format(n=n(minutes))
    return frames["and"].format(a=said_hours, b=said_minutes)
