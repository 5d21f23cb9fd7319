"""Lengths said aloud: "twelve minutes", "a minute and a half", "forty-five seconds".

The narration says how long each step and the rest last, so the words must
follow the fitted plan, not the routine's defaults. Lengths are rounded to
what a listener can use (five seconds under a minute, half minutes under an
hour, whole minutes above) and the numbers become words through num2words,
which knows many languages; the phrases around them are in ``_FRAMES``, one
entry per language, so another language is one more entry.
"""

from __future__ import annotations

_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
)  # fmt: skip
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def english_number(value: int) -> str:
    """0 to 999 in English words as num2words writes them ("forty-five", "one hundred and
    five"); a length never needs more. Here, not num2words: importing it costs `voiceguide
    check` about a tenth of its time, and other numbers and languages still go to it."""
    if not 0 <= value < 1000:
        raise ValueError(value)
    hundreds, rest = divmod(value, 100)
    tens, ones = divmod(rest, 10)
    said = _ONES[rest] if rest < 20 else _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if not hundreds:
        return said
    return f"{_ONES[hundreds]} hundred" + (f" and {said}" if rest else "")


def number_words(value: int, lang: str = "en") -> str:
    if lang == "en" and 0 <= value < 1000:
        return english_number(value)
    from num2words import num2words  # type: ignore[import-untyped]

    return str(num2words(value, lang=lang))


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
        return number_words(value, lang)

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
