"""Shipped routines built short, with the whole of their words: each step and the rest pinned
to the shortest length that holds what it says, and the timing contract checked on the MP3."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from voiceguide.audio.sounds import builtin_lengths_ms
from voiceguide.pcm import RATE_HZ
from voiceguide.routine import Routine
from voiceguide.settings import BuildOptions, narrate_with
from voiceguide.timeline import TimingRequest, needs

from .audio import decoded, onset_ms


def pinned_to_words(
    routine: Routine,
    options: BuildOptions,
    length_ms: Callable[[str], int],
    *,
    spare_ms: int = 0,
) -> TimingRequest:
    """Each step and the rest at the length its words need, plus ``spare_ms``. The words say
    the lengths, so a longer pin can need longer words: pinned again until they hold."""
    sound_ms = builtin_lengths_ms()  # the closing bell rings out before the rest's words
    need = dict(needs(narrate_with(routine, options), length_ms, sound_ms))
    for _ in range(8):
        again = needs(narrate_with(routine, options, need), length_ms, sound_ms)
        if all(again[k] <= v for k, v in need.items()):
            break
        need = {k: max(v, again[k]) for k, v in need.items()}
    return TimingRequest(
        pins={s.id: need[s.id] + spare_ms for s in routine.steps},
        rest_ms=need["rest"] + spare_ms if "rest" in need else None,
    )


def assert_timing_contract(mp3: Path, plan: dict, steps: int) -> None:
    """The MP3 lasts what the plan says, within 50 ms, and each of its ``steps`` steps'
    bells is heard within 50 ms of where the plan puts it."""
    audio = decoded(mp3)
    assert abs(audio.size * 1000 / RATE_HZ - plan["total_ms"]) <= 50
    parts = [p for p in plan["parts"] if p["kind"] == "step"]
    assert len(parts) == steps
    for part in parts:
        found = onset_ms(audio, part["start_ms"])
        assert found is not None and abs(found - part["start_ms"]) <= 50, part["id"]
