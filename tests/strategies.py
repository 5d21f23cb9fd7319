"""Hypothesis strategies shared by the planner's property tests and the fuzz tests."""

from __future__ import annotations

from hypothesis import strategies as st

from voiceguide.routine import CueSpec, Rest, Routine, Step
from voiceguide.timeline.plan import INTRO_ID, OUTRO_ID, REST_ID, TimingRequest

MINUTE = 60_000
WORDS = ("press", "gently", "now", "the", "back", "slowly", "palms", "warm", "spine", "breathe")


def estimate(text: str) -> int:
    """A speech length without a speech engine: about what espeak takes at 150 wpm."""
    return 200 + 60 * len(text)


sentences = st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(
    lambda ws: " ".join(ws).capitalize() + "."
)
texts = st.lists(sentences, min_size=1, max_size=3).map(" ".join)


@st.composite
def steps(draw: st.DrawFn, index: int) -> Step:
    duration = draw(st.integers(1_000, 20 * MINUTE))
    low = draw(st.one_of(st.just(duration), st.integers(1, duration)))
    high = draw(st.one_of(st.just(duration), st.integers(duration, 30 * MINUTE)))
    cues = []
    for _ in range(draw(st.integers(0, 3))):
        anchor = draw(st.sampled_from(("half", "start", "end")))
        offset = 0 if anchor == "half" else draw(st.integers(0, high - 1))
        cues.append(CueSpec(anchor, offset, draw(texts), at=anchor))
    return Step(f"s{index}", f"Step {index}", draw(texts), duration, low, high, tuple(cues))


@st.composite
def routines(draw: st.DrawFn, max_steps: int = 5) -> Routine:
    count = draw(st.integers(1, max_steps))
    rest = draw(st.none() | st.builds(Rest, st.integers(1_000, 20 * MINUTE), texts))
    return Routine(
        id="r",
        title="Fuzzed",
        steps=tuple(draw(steps(i)) for i in range(count)),
        intro=tuple(draw(st.lists(texts, max_size=2))),
        rest=rest,
    )


@st.composite
def needs_for(draw: st.DrawFn, routine: Routine) -> dict[str, int]:
    """How long each part's words take, from nothing to more than some steps allow."""
    out = {INTRO_ID: draw(st.integers(0, 2 * MINUTE)), OUTRO_ID: draw(st.integers(0, MINUTE))}
    if routine.rest:
        out[REST_ID] = draw(st.integers(0, MINUTE))
    for step in routine.steps:
        out[step.id] = draw(st.integers(0, 4 * MINUTE))
    return out


@st.composite
def requests(draw: st.DrawFn, routine: Routine, *, total: bool | None = None) -> TimingRequest:
    ids = [s.id for s in routine.steps]
    pinned = draw(st.lists(st.sampled_from(ids), unique=True, max_size=len(ids)))
    pins = {i: draw(st.integers(0, 30 * MINUTE)) for i in pinned}
    rest_ms = draw(st.none() | st.just(0) | st.integers(1, 20 * MINUTE)) if routine.rest else None
    want_total = draw(st.booleans()) if total is None else total
    total_ms = draw(st.integers(0, 4 * 60 * MINUTE)) if want_total else None
    return TimingRequest(total_ms, pins, rest_ms, draw(st.booleans()))
