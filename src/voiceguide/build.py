"""One routine from file to finished track: the stages in order.

The library API the CLI is a skin over: ``build`` skips a track whose
inputs have not changed (``fresh``), else the words are narrated, measured,
fitted and placed (``script.prepare``), then levelled, mixed, encoded in pieces and
written with their sidecars (``output.track``). Here the timeline's events
become the audio stage's plain events.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import fresh
from .audio import ambient, loudness, mixer
from .audio.events import AudioEvent
from .mp3 import pieces, true_peak
from .output import site, track
from .output.files import output_name, remove_leftovers, routine_track_name
from .pcm import sample_index
from .routine import Routine
from .script import Progress, prepare, routine_sounds
from .settings import BuildOptions
from .speakers import voice_facts
from .timeline import Script, to_document

if TYPE_CHECKING:
    from .speech import Speaker


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
    default, and its language after it where that is not English: ``classic-ru``, so a
    translation never replaces the English track), then refresh the folder's index.

    With ``force=False`` nothing is built when the outputs there were built
    from the same inputs (see ``fresh.fingerprint``) and are complete. Either
    way, the hidden ``.part`` files a build of this track left when it was
    killed outright are removed first.
    ``base_url`` (where the folder is published) also writes ``feed.xml``.
    """
    name = (
        output_name(name)
        if name
        else routine_track_name(routine.id, routine.language, source=routine.path or None)
    )
    fingerprint = fresh.fingerprint(routine, options, speaker)
    with fresh.output_lock(out_dir / f"{name}.mp3"):
        remove_leftovers(out_dir, name)
        if not force and (done := fresh.up_to_date(name, out_dir, fingerprint)):
            result = BuildResult(done, None)
        else:
            result = _build(routine, out_dir, options, speaker, fingerprint, progress, name)
    refresh_folder(out_dir, base_url)
    return result


def refresh_folder(out_dir: Path, base_url: str | None = None) -> list[Path]:
    """index.html (and feed.xml) listing every track in ``out_dir``; one writer at a time."""
    with fresh.output_lock(out_dir / site.INDEX_NAME):
        for own in (site.INDEX_NAME, site.FEED_NAME):
            remove_leftovers(out_dir, Path(own).stem)
        return site.refresh(out_dir, base_url)


def audio_events(script: Script) -> list[AudioEvent]:
    """The timeline's events as the audio stage takes them: sample, kind, key."""
    return [AudioEvent(sample_index(e.start_ms), e.kind, e.text) for e in script.events]


def _build(
    routine: Routine,
    out_dir: Path,
    options: BuildOptions,
    speaker: Speaker,
    fingerprint: str,
    progress: Progress | None,
    name: str,
) -> BuildResult:
    chosen = routine_sounds(routine)  # a routine's own files are decoded once a build
    script = prepare(routine, options, speaker, progress, chosen)
    said = speaker.for_routine(routine.pronounce, routine.language)
    clips = said.clips(e.text for e in script.speech)  # by the words as written
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
        {**to_document(script), **track_facts(routine, options, speaker, name)},
        source,
        out_dir,
        name=name,
        description=routine.description,
        fingerprint=fingerprint,
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


def track_facts(
    routine: Routine, options: BuildOptions, speaker: Speaker, name: str
) -> dict[str, object]:
    """What the plan records besides the timeline: the name the files were given, the voice
    and the language it was read in, and the options the track was built with (so the
    folder can tell its tracks apart, and a listener can see how one was made)."""
    timing = options.timing
    return {
        "name": name,
        "voice": voice_facts(speaker),
        "language": routine.language,  # the words
        "options": {
            "duration_ms": timing.total_ms,
            "steps_ms": dict(timing.pins),
            "rest_ms": timing.rest_ms,
            "intro": timing.intro,
            "checklist": options.checklist,
            "heads_up": options.heads_up,
            "pause_ms": options.pause_ms,
            "max_silence_ms": options.max_silence_ms,
            "lead_in_ms": options.lead_in_ms,
            "rate_wpm": options.rate_wpm,
            # a bed's name, or its file's name: the plan is served, the folders are the user's
            "ambient": Path(options.ambient).name if options.ambient else None,
            "loudness_lufs": options.loudness_lufs,
        },
    }


def _counter(total: int, progress: Progress) -> Callable[[int], None]:
    """Samples encoded so far, from every piece's encoder, as the "mixing" fraction."""
    done = 0

    def count(samples: int) -> None:
        nonlocal done
        done += samples
        progress("mixing", done / max(total, 1))

    return count
