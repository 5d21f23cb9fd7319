"""One routine from file to finished track: the stages in order.

The library API the CLI is a skin over, and the one place (with
``runner.py`` and ``check.py``) that crosses the layers: it turns the
timeline's events into the audio stage's plain events and the plan into
chapters and captions. Words are rendered and measured before the plan is
fitted, because how long the words take is the shortest a part can be; then
the plan, the timed script, the levels, the mix, the MP3 and its sidecars.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .audio import ambient, loudness, mixer, sounds
from .audio.events import AudioEvent
from .errors import RoutineError, SpeechError, shortened
from .fresh import fingerprint, output_lock, up_to_date
from .mp3 import pieces, true_peak
from .narration import LEAD_IN_MS, Narration, narrate
from .output import site, track
from .pcm import sample_index
from .routine import Routine
from .speech import DEFAULT_RATE_WPM, Speaker
from .speech.pace import guess_ms
from .timeline import Plan, Script, TimingRequest, fit, place, to_document
from .timeline.fit import GUESS_MISS, guessed_plans, plan_lengths
from .timeline.place import Lengths, asked
from .timeline.plan import DurationRangeError

if TYPE_CHECKING:
    import numpy as np

PAUSE_MS = 120_000  # after the intro: towel, sheet, oil, washed and warmed hands
MAX_SILENCE_MS = 180_000  # no silence inside a step lasts longer, by default

Progress = Callable[[str, float], None]  # (phase, fraction done): "speaking" then "mixing"


@dataclass(frozen=True)
class BuildOptions:
    timing: TimingRequest = field(default_factory=TimingRequest)
    voice: str | None = None
    rate_wpm: int = DEFAULT_RATE_WPM
    lead_in_ms: int = LEAD_IN_MS
    cache_dir: Path | None = None
    heads_up: bool = True
    checklist: bool = True  # read the checklist and cautions even without the intro
    pause_ms: int = PAUSE_MS  # after the intro, time to get ready; step 1's bell ends it
    max_silence_ms: int | None = MAX_SILENCE_MS  # None: no reminders fill long silences
    ambient: str | None = None  # a generated bed's name or an audio file
    loudness_lufs: float = loudness.TARGET_LUFS


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


def prepare(
    routine: Routine,
    options: BuildOptions,
    speaker: Speaker,
    progress: Progress | None = None,
    own_sounds: Mapping[str, np.ndarray] | None = None,
) -> Script:
    """Narrate, measure, fit and place: the timed script, with every clip now cached.

    The words say the fitted lengths, so narrating and fitting alternate
    until they agree (``timeline.fit``). Speech is the slow part of a cold
    build, so it is spoken ahead, side by side where the engine can (Piper:
    a worker per core), with progress shown: every sentence that fitting and
    placing the plans fitted to guessed speech would ask for
    (``timeline.guessed_plans``, ``timeline.asked``). Nearly always that is
    all: a round or a placement that asks for more has it spoken side by
    side too. What is spoken and not said is what the guess could not rule
    out: the other wording of a length near a rounding edge, a cue the
    measured words crowd out. Reminder lines a silence does not need are not
    spoken.
    """
    first = True

    def words(lengths: Mapping[str, int]) -> Narration:
        return narrate(
            routine,
            intro=options.timing.intro,
            checklist=options.checklist,
            lead_in_ms=options.lead_in_ms,
            heads_up=options.heads_up,
            rest=options.timing.rest_ms != 0,
            lengths=lengths,
            pause_ms=options.pause_ms,
            reminders=options.max_silence_ms is not None,
        )

    def speak(sentences: list[str]) -> None:
        # side by side: one at a time, Piper's second worker idles
        nonlocal first
        shown = progress if first and sentences else None
        speaker.prefetch(sentences, None if shown is None else lambda f: shown("speaking", f))
        first = first and not sentences

    def guess(text: str) -> int:  # the same for every cache, so a build's bytes do not vary
        return guess_ms(text, options.rate_wpm)

    def known_or_short(text: str) -> int:
        # guessed short: a silence then needs as many reminder lines as it can, asked at once
        known = speaker.known_ms(text)
        return round(guess(text) * (1 - GUESS_MISS)) if known is None else known

    def placing(narration: Narration, plan: Plan, lengths: Lengths) -> list[str]:
        return asked(narration, lengths, sound_ms, plan, max_silence_ms=options.max_silence_ms)

    with speaker.pronouncing(routine.pronounce):
        chosen = routine_sounds(routine) if own_sounds is None else own_sounds
        sound_ms = sounds.sound_lengths_ms(chosen)
        guessed = guessed_plans(routine, options.timing, words, guess, sound_ms)
        speak([s for g in guessed for s in placing(words(plan_lengths(g)), g, guess)])
        try:
            narration, plan = fit(
                routine,
                options.timing,
                words,
                speaker.length_ms,
                sound_ms,
                start=plan_lengths(guessed[0]) if guessed else None,
                hear=speak,
            )
        except DurationRangeError as exc:  # say what each change the user can make would give
            from .advice import advise

            raise advise(exc, routine, options, speaker, sound_ms) from None
        # a placement that asks for sentences not spoken yet (a silence the guess made shorter)
        spoken: set[str] = set()
        while missing := [
            s for s in placing(narration, plan, known_or_short) if speaker.known_ms(s) is None
        ]:
            if spoken.intersection(missing):  # an engine that answered for other words
                raise SpeechError(f'the speech engine did not say "{shortened(missing[0])}"')
            spoken.update(missing)
            speak(missing)
        script = place(
            narration, plan, speaker.length_ms, sound_ms, max_silence_ms=options.max_silence_ms
        )
    if not options.checklist and (routine.contraindications or routine.cautions):
        warning = (
            "--no-checklist: the track does not read the checklist of contraindications "
            "or the cautions; go through them yourself before you begin"
        )
        script = dataclasses.replace(script, warnings=(warning, *script.warnings))
    return script


@dataclass(frozen=True)
class BuildResult:
    paths: list[Path]
    script: Script | None  # None: the outputs were up to date and nothing was built

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.script.warnings if self.script else ()

    @property
    def up_to_date(self) -> bool:
        return self.script is None


def build(
    routine: Routine,
    out_dir: Path,
    options: BuildOptions,
    speaker: Speaker,
    *,
    force: bool = True,
    progress: Progress | None = None,
    base_url: str | None = None,
    name: str | None = None,
) -> BuildResult:
    """Write ``<name>.mp3`` and its sidecars into ``out_dir`` (``name``: the routine's id by
    default), then refresh the folder's index.

    With ``force=False`` nothing is done when the outputs there were built
    from the same inputs (see ``fresh.fingerprint``) and are complete.
    ``base_url`` (where the folder is published) also writes ``feed.xml``.
    """
    stamp = fingerprint(routine, options, speaker)
    name = name or routine.id
    with output_lock(out_dir / f"{name}.mp3"):
        if not force and (done := up_to_date(name, out_dir, stamp)):
            result = BuildResult(done, None)
        else:
            result = _build(routine, out_dir, options, speaker, stamp, progress, name)
    refresh_folder(out_dir, base_url)
    return result


def refresh_folder(out_dir: Path, base_url: str | None = None) -> list[Path]:
    """index.html (and feed.xml) listing every track in ``out_dir``; one writer at a time."""
    with output_lock(out_dir / site.INDEX_NAME):
        return site.refresh(out_dir, base_url)


def audio_events(script: Script) -> list[AudioEvent]:
    """The timeline's events as the audio stage takes them: sample, kind, key."""
    return [AudioEvent(sample_index(e.start_ms), e.kind, e.text) for e in script.events]


def _build(
    routine: Routine,
    out_dir: Path,
    options: BuildOptions,
    speaker: Speaker,
    stamp: str,
    progress: Progress | None,
    name: str,
) -> BuildResult:
    chosen = routine_sounds(routine)  # a routine's own files are decoded once a build
    script = prepare(routine, options, speaker, progress, chosen)
    with speaker.pronouncing(routine.pronounce):
        clips = speaker.clips(e.text for e in script.speech)  # by the words as written
    events = audio_events(script)
    leveled = loudness.level(
        events,
        clips,
        chosen,
        target=options.loudness_lufs,
        cache_dir=speaker.cache_dir,
    )
    placed = mixer.placements(events, leveled.clips, leveled.sounds)
    bed = None
    if options.ambient:
        spans = [(sample_index(e.start_ms), sample_index(e.end_ms)) for e in script.speech]
        bed = ambient.AmbientBed(ambient.load(options.ambient), spans, target=options.loudness_lufs)
    total = sample_index(script.plan.total_ms)

    def render(begin: int, end: int) -> Iterable[bytes]:
        return mixer.prefetch(mixer.stream(placed, total, bed=bed, begin=begin, end=end))

    peak_check = true_peak.PeakCheck(render)
    source = pieces.Source(
        render=render,
        total=total,
        sounding=[(0, total)] if bed is not None else [(p.start, p.end) for p in placed],
        review=peak_check,
    )
    paths = track.export(
        to_document(script),
        source,
        out_dir,
        name=name,
        description=routine.description,
        fingerprint=stamp,
        on_samples=None if progress is None else _counter(total, progress),
    )
    if peak_check.left_over:
        worst = max(peak_check.left_over.values())
        warning = (
            f"the track's true peak is {worst:.1f} dBTP in {len(peak_check.left_over)} place(s),"
            f" over {true_peak.LIMIT_DBTP:g} dBTP after {pieces.MAX_ENCODES} encodes;"
            " a lower --loudness leaves the encoder more room"
        )
        script = dataclasses.replace(script, warnings=(*script.warnings, warning))
    return BuildResult(paths, script)


def _counter(total: int, progress: Progress) -> Callable[[int], None]:
    """Samples encoded so far, from every piece's encoder, as the "mixing" fraction."""
    done = 0

    def count(samples: int) -> None:
        nonlocal done
        done += samples
        progress("mixing", done / max(total, 1))

    return count
