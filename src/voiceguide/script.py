"""A routine's timed script (narrate, measure, fit, place): a build up to its sound.

``build`` takes the script on to the levels, the mix and the MP3; ``check``
asks the same question at the routine's default lengths, so what one
refuses the other does, in the same words. Neither needs numpy unless the
routine brings sound files of its own (they are decoded to be timed).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from .audio import sounds
from .errors import InputError, RoutineError, SpeechError, shortened
from .narration import Narration
from .pcm import RATE_HZ
from .routine import Routine
from .routine.durations import format_duration
from .settings import BuildOptions, narrate_with
from .speakers import language_warning
from .speech.pace import guess_ms
from .timeline import Plan, Script, fit, place
from .timeline.fit import GUESS_MISS, Narrate, guessed_plans, plan_lengths
from .timeline.place import Lengths, asked
from .timeline.plan import DurationRangeError

if TYPE_CHECKING:
    import numpy as np

    from .speech import Speaker

Progress = Callable[[str, float], None]  # (phase, fraction done): "speaking" then "mixing"

NO_CHECKLIST = (
    "--no-checklist: the track does not read the checklist of contraindications "
    "or the cautions; go through them yourself before you begin"
)


def routine_sounds(routine: Routine) -> dict[str, np.ndarray]:
    """The built-in sounds with the routine's own files in their place; a bad file is the
    routine's error, naming the line that named it."""
    try:
        return dict(sounds.with_own(routine.sounds))
    except sounds.SoundFileError as exc:
        field_name = f"sounds.{getattr(exc, 'name', '')}"
        raise RoutineError(
            exc.reason, path=routine.path, line=routine.line_of(field_name), field=field_name
        ) from None


def sound_lengths(
    routine: Routine, own_sounds: Mapping[str, np.ndarray] | None = None
) -> dict[str, int]:
    """How long each sound rings: the built-in bells' lengths are known without making them,
    a routine's own files are decoded (``own_sounds``: already decoded)."""
    if own_sounds is None and not routine.sounds:
        return sounds.builtin_lengths_ms()
    return sounds.sound_lengths_ms(routine_sounds(routine) if own_sounds is None else own_sounds)


# New speech one routine may add to the clip cache in one command (check or build): about
# 320 MB of clips. The shipped routines add 3 to 6 minutes each, cold (docs/architecture.md).
MAX_NEW_SPEECH_MS = 2 * 3_600_000


class SpeechBudget:
    """What one routine may still add to the clip cache in this command, charged with the
    guessed length of each sentence before it is spoken (so nothing is written past it).
    ``check`` makes the script again for every step too short: one budget covers them all."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.limit_ms = MAX_NEW_SPEECH_MS
        self.spent_ms = 0

    def charge(self, ms: int) -> None:
        self.spent_ms += ms
        if self.spent_ms > self.limit_ms:
            megabytes = self.limit_ms * RATE_HZ * 2 // 1000 // 1_000_000
            raise InputError(
                f"{self.source}: would add over {format_duration(self.limit_ms)} of new speech "
                f"to the clip cache (about {megabytes} MB); a routine may add at most that in "
                "one command: shorten its texts or use fewer steps"
            )


class SpeakingAhead:
    """Sentences spoken before they are measured, in batches, side by side where the engine
    can (Piper: a worker per core): one at a time, Piper's second worker would idle.

    Speech is the slow part of a cold build. The first batch is every sentence
    that fitting and placing the plans fitted to guessed speech would ask for
    (``timeline.guessed_plans``, ``timeline.asked``), and nearly always that
    is all; progress is shown for it. A round of fitting or a placement that
    asks for more has them spoken as a batch too. What is spoken and not said
    is what the guess could not rule out: the other wording of a length near a
    rounding edge, a cue the measured words crowd out.
    """

    def __init__(
        self,
        speaker: Speaker,
        options: BuildOptions,
        sound_ms: Mapping[str, int],
        progress: Progress | None,
        budget: SpeechBudget,
    ) -> None:
        self.speaker, self.options, self.sound_ms = speaker, options, sound_ms
        self.budget = budget
        self._progress = progress  # shown for the first batch with anything in it
        # each sentence is asked for again and again (every plan, round and placement)
        self._known: dict[str, int] = {}
        self._guessed: dict[str, int] = {}

    def known_ms(self, text: str) -> int | None:
        """How long ``text`` takes if it was spoken (here or in the cache), else None."""
        if text not in self._known:
            known = self.speaker.known_ms(text)
            if known is None:
                return None
            self._known[text] = known
        return self._known[text]

    def length_ms(self, text: str) -> int:
        """How long ``text`` takes, spoken now if it was not before."""
        known = self.known_ms(text)
        if known is None:
            self.budget.charge(self.guess(text))
            known = self._known[text] = self.speaker.length_ms(text)
        return known

    def speak(self, sentences: list[str]) -> None:
        """Speak those not spoken yet. A cached clip stays on disk until it is mixed, so
        timing a routine from a warm cache reads only the clips' headers."""
        wanted = list(dict.fromkeys(sentences))
        missing = [s for s in wanted if self.known_ms(s) is None]
        self.budget.charge(sum(self.guess(s) for s in missing))
        progress = self._progress if wanted else None
        shown = None
        if progress is not None:
            self._progress = None
            known = len(wanted) - len(missing)

            def shown(fraction: float) -> None:  # of the missing, as a part of all wanted
                progress("speaking", (known + fraction * len(missing)) / len(wanted))

            shown(0.0)
        if missing:
            self.speaker.prefetch(missing, shown)

    def guess(self, text: str) -> int:
        """The same for every cache, so a build's bytes do not vary with what was spoken."""
        if text not in self._guessed:
            self._guessed[text] = guess_ms(text, self.options.rate_wpm)
        return self._guessed[text]

    def asked(self, narration: Narration, plan: Plan, lengths: Lengths) -> list[str]:
        return asked(
            narration, lengths, self.sound_ms, plan, max_silence_ms=self.options.max_silence_ms
        )

    def guessed(self, routine: Routine, words: Narrate) -> list[Plan]:
        """The plans fitted to guessed speech, their sentences spoken."""
        plans = guessed_plans(routine, self.options.timing, words, self.guess, self.sound_ms)
        self.speak([s for g in plans for s in self.asked(words(plan_lengths(g)), g, self.guess)])
        return plans

    def for_placing(self, narration: Narration, plan: Plan) -> None:
        """Speak what placing ``plan`` asks for and is not spoken yet (a silence the guess
        made shorter needs more reminder lines), until it asks for nothing new."""
        spoken: set[str] = set()
        while missing := [
            s for s in self.asked(narration, plan, self._known_or_short) if self.known_ms(s) is None
        ]:
            if spoken.intersection(missing):  # an engine that answered for other words
                raise SpeechError(f'the speech engine did not say "{shortened(missing[0])}"')
            spoken.update(missing)
            self.speak(missing)

    def _known_or_short(self, text: str) -> int:
        # guessed short: a silence then needs as many reminder lines as it can, asked at once
        known = self.known_ms(text)
        return round(self.guess(text) * (1 - GUESS_MISS)) if known is None else known


def prepare(
    routine: Routine,
    options: BuildOptions,
    speaker: Speaker,
    progress: Progress | None = None,
    own_sounds: Mapping[str, np.ndarray] | None = None,
    budget: SpeechBudget | None = None,
) -> Script:
    """Narrate, measure, fit and place: the timed script, with every clip it says cached.

    The words say the fitted lengths, so narrating and fitting alternate
    until they agree (``timeline.fit``), the sentences spoken ahead
    (``SpeakingAhead``). Reminder lines a silence does not need are not
    spoken. ``own_sounds``: the routine's sounds, if the caller decoded them.
    """
    said: dict[tuple[tuple[str, int], ...], Narration] = {}

    def words(lengths: Mapping[str, int]) -> Narration:
        # fitting starts from the first guessed plan's words, and its last round often
        # asks for lengths narrated before: each wording is rendered once
        lengths_said = tuple(sorted(lengths.items()))
        if lengths_said not in said:
            said[lengths_said] = narrate_with(routine, options, lengths)
        return said[lengths_said]

    speaker = speaker.for_routine(
        routine.pronounce, routine.language
    )  # the routine's words said its way
    sound_ms = sound_lengths(routine, own_sounds)
    budget = budget or SpeechBudget(routine.path or routine.id)
    ahead = SpeakingAhead(speaker, options, sound_ms, progress, budget)
    guessed = ahead.guessed(routine, words)
    try:
        narration, plan = fit(
            routine,
            options.timing,
            words,
            ahead.length_ms,
            sound_ms,
            start=plan_lengths(guessed[0]) if guessed else None,
            hear=ahead.speak,
        )
    except DurationRangeError as exc:  # say what each change the user can make would give
        from .advice import advise

        raise advise(exc, routine, options, speaker, sound_ms) from None
    ahead.for_placing(narration, plan)
    script = place(
        narration, plan, ahead.length_ms, sound_ms, max_silence_ms=options.max_silence_ms
    )
    if not options.checklist and (routine.contraindications or routine.cautions):
        script = dataclasses.replace(script, warnings=(NO_CHECKLIST, *script.warnings))
    if (other := language_warning(speaker, routine)) is not None:
        script = dataclasses.replace(script, warnings=(*script.warnings, other))
    return script
