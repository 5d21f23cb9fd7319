"""How well a machine hears a track's words: a speech recogniser's word error rate.

pocketsphinx (its en-us model, shipped in the wheel) decodes each caption's
span of the decoded track alone, at 16 kHz mono; the word error rate is
counted against the caption's text (numbers as words, punctuation and case
dropped), over all lines and over the lines said right after a bell (the
first line after each sound). A relative measure: compare two builds of the
same words, not two routines.

    .venv/bin/python scripts/bench_listen.py [-v] [--after-bell] output/classic.mp3 [more.mp3 ...]

reads ``classic.json`` beside each track. ``scripts/bench --speech`` runs it
on the builds it makes with each voice.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

RATE = 16_000


@dataclass(frozen=True)
class Heard:
    line: str
    said: str
    errors: int
    words: int
    after_bell: bool


def words_of(text: str) -> list[str]:
    """Lower-case words, numbers said as words ("Step 3 of 6" -> step three of six)."""
    from voiceguide.narration.lengths import number_words

    text = re.sub(r"\d+", lambda m: " " + number_words(int(m.group())) + " ", text)
    return re.findall(r"[a-z']+", text.lower().replace("-", " "))


def edits(a: list[str], b: list[str]) -> int:
    """Word-level Levenshtein distance."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def lines(plan: dict) -> list[tuple[int, int, str, bool]]:
    """Every spoken line: start, end, text, and whether a sound came right before it."""
    out, after_sound = [], False
    for event in sorted(plan["events"], key=lambda e: (e["start_ms"], e["kind"] != "sound")):
        if event["kind"] == "sound":
            after_sound = True
            continue
        out.append((event["start_ms"], event["end_ms"], event["text"], after_sound))
        after_sound = False
    return out


def listen(
    mp3: Path, decoder: object | None = None, *, only_after_bell: bool = False
) -> list[Heard]:
    """Each line of the track as pocketsphinx hears it alone (or only those after a bell)."""
    from pocketsphinx import Decoder

    from voiceguide.audio.decode import decode

    decoder = decoder or Decoder(samprate=RATE, loglevel="FATAL")
    plan = json.loads(mp3.with_suffix(".json").read_text(encoding="utf-8"))
    pcm = decode(mp3, rate_hz=RATE).tobytes()
    heard = []
    for start, end, text, after_bell in lines(plan):
        if only_after_bell and not after_bell:
            continue
        span = pcm[2 * (start * RATE // 1000) : 2 * (end * RATE // 1000)]
        decoder.start_utt()  # type: ignore[attr-defined]
        decoder.process_raw(span, full_utt=True)  # type: ignore[attr-defined]
        decoder.end_utt()  # type: ignore[attr-defined]
        hyp = decoder.hyp()  # type: ignore[attr-defined]
        said = hyp.hypstr if hyp is not None else ""
        ref = words_of(text)
        heard.append(Heard(text, said, edits(ref, words_of(said)), len(ref), after_bell))
    return heard


def wer(heard: list[Heard]) -> float:
    return sum(h.errors for h in heard) / max(1, sum(h.words for h in heard))


def summary(heard: list[Heard]) -> dict[str, object]:
    after = [h for h in heard if h.after_bell]
    rest = [h for h in heard if not h.after_bell]
    return {
        "lines": len(heard),
        "wer": round(wer(heard), 3),
        "after_bell_lines": len(after),
        "wer_after_bell": round(wer(after), 3),
        "wer_other": round(wer(rest), 3),
    }


def main() -> None:
    from pocketsphinx import Decoder

    decoder = Decoder(samprate=RATE, loglevel="FATAL")
    verbose = "-v" in sys.argv
    quick = "--after-bell" in sys.argv  # the lines after a bell only: a quick comparison
    for name in [a for a in sys.argv[1:] if not a.startswith("-")]:
        heard = listen(Path(name), decoder, only_after_bell=quick)
        if verbose:
            for h in heard:
                mark = "*" if h.after_bell else " "
                print(f"{mark} {h.errors}/{h.words}  {h.line!r} -> {h.said!r}", file=sys.stderr)
        print(json.dumps({"track": name, **summary(heard)}))


if __name__ == "__main__":
    main()
