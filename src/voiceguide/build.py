"""One routine from file to finished track: the stages in order.

The library API the CLI is a skin over, and the one place (with
``runner.py`` and ``check.py``) that crosses the layers: it turns the
timeline's events into the audio stage's plain events and the plan into
chapters and captions. Words are rendered and measured before the plan is
fitted, because how long the words take is the shortest a part can be; then
the plan, the timed script, the levels, the mix, the MP3 and its sidecars.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .audio import ambient, loudness, mixer, sounds
from .audio.format import Event, sample_index
from .errors import InputError, RoutineError
from .fresh import fingerprint, output_lock, up_to_date
from .mp3 import pieces
from .mp3.encode import encode_mp3
from .mp3.tags import Chapter, write_tags
from .narration import LEAD_IN_MS, narrate
from .output.captions import captions_vtt
from .output.files import atomic_paths
from .output.plan_json import plan_json
from .routine import Routine
from .speech import DEFAULT_RATE_WPM, Speaker
from .timeline import Script, TimingRequest, make_plan, needs, place, to_document

Progress = Callable[[str, float], None]  # (phase, fraction done): "speaking" then "mixing"


@dataclass(frozen=True)
class BuildOptions:
    timing: TimingRequest = field(default_factory=TimingRequest)
    voice: str | None = None
    rate_wpm: int = DEFAULT_RATE_WPM
    lead_in_ms: int = LEAD_IN_MS
    cache_dir: Path | None = None
    heads_up: bool = True
    ambient: str | None = None  # a generated bed's name or an audio file
    loudness_lufs: float = loudness.TARGET_LUFS


def find_routine(name: str, routines_dir: Path) -> Path:
    """ROUTINE is a path to a YAML file, or the id of one in ``routines_dir``."""
    as_path = Path(name)
    if as_path.suffix in (".yaml", ".yml") or "/" in name or as_path.is_file():
        if not as_path.is_file():
            raise InputError(f"{name}: no such routine file")
        return as_path
    for suffix in (".yaml", ".yml"):
        candidate = routines_dir / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    known = ", ".join(sorted(p.stem for p in routine_files(routines_dir))) or "none"
    raise InputError(
        f'no routine "{name}" in {routines_dir}/ (known: {known}); or give a path to a .yaml file'
    )


def routine_files(routines_dir: Path) -> list[Path]:
    if not routines_dir.is_dir():
        return []
    return sorted(
        p for p in routines_dir.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()
    )


def routine_sounds(routine: Routine) -> dict[str, object]:
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
    routine: Routine, options: BuildOptions, speaker: Speaker, progress: Progress | None = None
) -> Script:
    """Narrate, measure, fit and place: the timed script, with every clip now cached."""
    narration = narrate(
        routine,
        intro=options.timing.intro,
        lead_in_ms=options.lead_in_ms,
        heads_up=options.heads_up,
        rest=options.timing.rest_ms != 0,
    )
    with speaker.pronouncing(routine.pronounce):
        # every sentence first, side by side where the engine can (Piper: a worker per core)
        speaker.prefetch(
            narration.sentences(), None if progress is None else lambda f: progress("speaking", f)
        )
        sound_ms = sounds.sound_lengths_ms(routine_sounds(routine))  # type: ignore[arg-type]
        plan = make_plan(routine, options.timing, needs(narration, speaker.length_ms, sound_ms))
        return place(narration, plan, speaker.length_ms, sound_ms)


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
) -> BuildResult:
    """Write ``<id>.mp3`` and its sidecars into ``out_dir``.

    With ``force=False`` nothing is done when the outputs there were built
    from the same inputs (see ``fresh.fingerprint``) and are complete.
    """
    stamp = fingerprint(routine, options, speaker)
    with output_lock(out_dir / f"{routine.id}.mp3"):
        if not force and (done := up_to_date(routine.id, out_dir, stamp)):
            return BuildResult(done, None)
        return _build(routine, out_dir, options, speaker, stamp, progress)


def audio_events(script: Script) -> list[Event]:
    """The timeline's events as the audio stage takes them: sample, kind, key."""
    return [Event(sample_index(e.start_ms), e.kind, e.text) for e in script.events]


def _build(
    routine: Routine,
    out_dir: Path,
    options: BuildOptions,
    speaker: Speaker,
    stamp: str,
    progress: Progress | None,
) -> BuildResult:
    script = prepare(routine, options, speaker, progress)
    with speaker.pronouncing(routine.pronounce):
        clips = speaker.clips(e.text for e in script.speech)  # by the words as written
    events = audio_events(script)
    leveled = loudness.level(
        events,
        clips,
        routine_sounds(routine),  # type: ignore[arg-type]
        target=options.loudness_lufs,
        cache_dir=speaker.cache_dir,
    )
    placed = mixer.placements(events, leveled.clips, leveled.sounds)
    bed = None
    if options.ambient:
        spans = [(sample_index(e.start_ms), sample_index(e.end_ms)) for e in script.speech]
        bed = ambient.AmbientBed(ambient.load(options.ambient), spans, target=options.loudness_lufs)
    total = sample_index(script.plan.total_ms)
    source = pieces.Source(
        render=lambda begin, end: mixer.prefetch(
            mixer.stream(placed, total, bed=bed, begin=begin, end=end)
        ),
        total=total,
        sounding=[(0, total)] if bed is not None else [(p.start, p.end) for p in placed],
    )
    paths = export(
        script,
        source,
        out_dir,
        description=routine.description,
        fingerprint=stamp,
        on_samples=None if progress is None else _counter(total, progress),
    )
    return BuildResult(paths, script)


def chapters(script: Script) -> list[Chapter]:
    return [
        Chapter(p.start_ms, p.end_ms, f"{p.number}. {p.title}" if p.number else p.title)
        for p in script.plan.parts
    ]


def export(
    script: Script,
    source: pieces.Source | Iterable[bytes],
    out_dir: Path,
    *,
    description: str = "",
    fingerprint: str | None = None,
    on_samples: Callable[[int], None] | None = None,
) -> list[Path]:
    """Encode and tag the MP3, then write the JSON plan and the captions, all or none.

    ``source`` is a ``pieces.Source`` (encoded in pieces, side by side) or the
    track's PCM blocks (encoded by one ffmpeg).
    """
    routine_id = script.plan.routine_id
    mp3 = out_dir / f"{routine_id}.mp3"
    sidecar = out_dir / f"{routine_id}.json"
    captions = out_dir / f"{routine_id}.vtt"
    with atomic_paths(mp3, sidecar, captions) as (mp3_tmp, sidecar_tmp, captions_tmp):
        if isinstance(source, pieces.Source):
            pieces.encode(source, mp3_tmp, on_samples=on_samples)
        else:
            encode_mp3(source, mp3_tmp)
        write_tags(
            mp3_tmp, title=script.plan.title, chapters=chapters(script), description=description
        )
        sidecar_tmp.write_text(
            plan_json(to_document(script), fingerprint=fingerprint), encoding="utf-8"
        )
        lines = [(e.start_ms, e.end_ms, e.text) for e in script.speech]
        captions_tmp.write_text(captions_vtt(script.plan.title, lines), encoding="utf-8")
    return [mp3, sidecar, captions]


def _counter(total: int, progress: Progress) -> Callable[[int], None]:
    """Samples encoded so far, from every piece's encoder, as the "mixing" fraction."""
    done = 0

    def count(samples: int) -> None:
        nonlocal done
        done += samples
        progress("mixing", done / max(total, 1))

    return count
