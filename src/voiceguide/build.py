"""One routine from file to finished track: the stages in order.

The library API the CLI is a skin over. Words are rendered and measured
before the plan is fitted, because how long the words take is the shortest
a part can be; then the plan, the timed script, the mix and the export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import ambient, loudness, mixer, sounds
from .errors import InputError
from .export import export
from .plan import TimingRequest, make_plan
from .routines import Routine
from .script import LEAD_IN_MS, Script, narrate, needs, place
from .speech import DEFAULT_RATE_WPM, Speaker


@dataclass(frozen=True)
class BuildOptions:
    timing: TimingRequest = field(default_factory=TimingRequest)
    voice: str | None = None
    rate: int = DEFAULT_RATE_WPM
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


def prepare(routine: Routine, options: BuildOptions, speaker: Speaker) -> Script:
    """Narrate, measure, fit and place: the timed script, with every clip now cached."""
    narration = narrate(
        routine,
        intro=options.timing.intro,
        lead_in_ms=options.lead_in_ms,
        heads_up=options.heads_up,
        rest=options.timing.rest_ms != 0,
    )
    sound_ms = sounds.sound_lengths_ms(sounds.for_routine(routine))
    plan = make_plan(routine, options.timing, needs(narration, speaker.length_ms, sound_ms))
    return place(narration, plan, speaker.length_ms, sound_ms)


@dataclass(frozen=True)
class BuildResult:
    paths: list[Path]
    script: Script

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.script.warnings


def build(routine: Routine, out_dir: Path, options: BuildOptions, speaker: Speaker) -> BuildResult:
    """Write ``<id>.mp3`` and its sidecars into ``out_dir``."""
    script = prepare(routine, options, speaker)
    clips = speaker.clips(c.text for c in script.speech)
    leveled = loudness.level(
        script.cues, clips, sounds.for_routine(routine), target=options.loudness_lufs
    )
    placed = mixer.placements(script, leveled.clips, leveled.sounds)
    bed = None
    if options.ambient:
        spans = [
            (mixer.sample_index(c.start_ms), mixer.sample_index(c.end_ms)) for c in script.speech
        ]
        bed = ambient.Bed(ambient.load(options.ambient), spans, target=options.loudness_lufs)
    blocks = mixer.stream(placed, mixer.total_samples(script), bed=bed)
    return BuildResult(export(script, blocks, out_dir, description=routine.description), script)
