"""English numbers in words without num2words, for start-up's sake.

Importing num2words costs `voiceguide check` about a tenth of its time, and
English lengths never need a number over 999, so these are written here, as
num2words writes them (a test holds the two equal). Every other language,
and larger numbers, go to num2words.
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
    five")."""
    if not 0 <= value < 1000:
        raise ValueError(value)
    hundreds, rest = divmod(value, 100)
    tens, ones = divmod(rest, 10)
    said = _ONES[rest] if rest < 20 else _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if not hundreds:
        return said
    return f"{_ONES[hundreds]} hundred" + (f" and {said}" if rest else "")
