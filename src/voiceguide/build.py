"""One routine from file to finished track: the stages in order.

The library API the CLI is a skin over. Words are rendered and measured
before the plan is fitted, because how long the words take is the shortest
a part can be; then the plan, the timed script, the mix and the export.

A build whose inputs have not changed is skipped: the fingerprint of
everything that goes into a track (the routine file, the options, the voice,
the engines' and voiceguide's versions) is stored in the JSON plan beside it,
and a build that finds the same fingerprint with complete outputs does
nothing. Building many routines at once is in ``runner.py``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, ambient, loudness, mixer, pieces, sounds
from .engines import ffmpeg_exe
from .errors import InputError
from .export import export
from .plan import TimingRequest, make_plan
from .routines import Routine
from .script import LEAD_IN_MS, Script, narrate, needs, place
from .speech import DEFAULT_RATE_WPM, Speaker

Progress = Callable[[str, float], None]  # (phase, fraction done): "speaking" then "mixing"


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
    if progress is not None:
        sentences = narration.sentences()
        for done, text in enumerate(sentences):
            progress("speaking", done / len(sentences))
            speaker.clip(text)
        progress("speaking", 1.0)
    sound_ms = sounds.sound_lengths_ms(sounds.for_routine(routine))
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
    from the same inputs (see ``fingerprint``) and are complete.
    """
    stamp = fingerprint(routine, options, speaker)
    with _output_lock(out_dir / f"{routine.id}.mp3"):
        if not force and (done := up_to_date(routine.id, out_dir, stamp)):
            return BuildResult(done, None)
        return _build(routine, out_dir, options, speaker, stamp, progress)


def _build(
    routine: Routine,
    out_dir: Path,
    options: BuildOptions,
    speaker: Speaker,
    stamp: str,
    progress: Progress | None,
) -> BuildResult:
    script = prepare(routine, options, speaker, progress)
    clips = speaker.clips(c.text for c in script.speech)
    leveled = loudness.level(
        script.cues,
        clips,
        sounds.for_routine(routine),
        target=options.loudness_lufs,
        cache_dir=speaker.cache_dir,
    )
    placed = mixer.placements(script, leveled.clips, leveled.sounds)
    bed = None
    if options.ambient:
        spans = [
            (mixer.sample_index(c.start_ms), mixer.sample_index(c.end_ms)) for c in script.speech
        ]
        bed = ambient.Bed(ambient.load(options.ambient), spans, target=options.loudness_lufs)
    total = mixer.total_samples(script)
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


@contextlib.contextmanager
def _output_lock(target: Path) -> Iterator[None]:
    """One build of a given track at a time, across processes.

    Two builds of one routine into one folder would otherwise race: each
    file is replaced atomically, but the MP3 of one could end up beside the
    plan of the other. The lock file is in the temporary folder, keyed by the
    target's path, and removed by its holder; a waiter that wakes holding a
    removed file's lock starts over with the new one.
    """
    key = hashlib.sha256(str(target.resolve()).encode()).hexdigest()[:24]
    path = Path(tempfile.gettempdir()) / f"voiceguide-{key}.lock"
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            current = os.stat(path).st_ino
        except FileNotFoundError:
            current = None
        if current == os.fstat(fd).st_ino:
            break
        os.close(fd)
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
        os.close(fd)


def _counter(total: int, progress: Progress) -> Callable[[int], None]:
    """Samples encoded so far, from every piece's encoder, as the "mixing" fraction."""
    done = 0

    def count(samples: int) -> None:
        nonlocal done
        done += samples
        progress("mixing", done / max(total, 1))

    return count


# ---------------------------------------------------------------- up to date


@functools.cache
def _code_digest() -> str:
    """voiceguide's version, code and data (templates, shared parts a routine includes).

    A change in any of them rebuilds, even between releases.
    """
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).parent
    files = [p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    for path in sorted(files):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@functools.cache
def _ffmpeg_id() -> str:
    """The encoder binary by path, size and time: no process started to ask its version."""
    exe = ffmpeg_exe()
    st = os.stat(exe)
    return f"{exe} {st.st_size} {st.st_mtime_ns}"


def routine_sources(routine: Routine) -> list[Path]:
    """The user's files a track is made from (shared parts are package data, in the digest)."""
    return [Path(routine.path)]


def _option_files(options: BuildOptions) -> list[list[str]]:
    """Files named by options (an ambient bed's file): their content, not just their name."""
    named = [getattr(options, "ambient", None)]
    return [
        [str(p), hashlib.sha256(Path(p).read_bytes()).hexdigest()]
        for p in named
        if isinstance(p, str | Path) and Path(p).is_file()
    ]


def fingerprint(routine: Routine, options: BuildOptions, speaker: Speaker) -> str:
    """A digest of every input of a build: same digest, same track."""
    settings = dataclasses.asdict(dataclasses.replace(options, cache_dir=None))
    material = {
        "voiceguide": _code_digest(),
        "options": settings,
        "voice": [speaker.voice, speaker.rate, speaker.engine_id],
        "ffmpeg": _ffmpeg_id(),
        "option files": _option_files(options),
        "sources": [
            [str(p), hashlib.sha256(p.read_bytes()).hexdigest()] for p in routine_sources(routine)
        ],
    }
    text = json.dumps(material, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def up_to_date(routine_id: str, out_dir: Path, stamp: str) -> list[Path] | None:
    """The outputs, if they carry ``stamp`` and the MP3 is whole; else None."""
    mp3, sidecar = out_dir / f"{routine_id}.mp3", out_dir / f"{routine_id}.json"
    captions = out_dir / f"{routine_id}.vtt"
    try:
        doc = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("fingerprint") != stamp:
        return None
    if not captions.is_file() or not _complete_mp3(mp3, doc.get("total_ms")):
        return None
    return [mp3, sidecar, captions]


def _complete_mp3(path: Path, total_ms: object) -> bool:
    """An MP3 whose header-declared length is the plan's: not cut short, not another file."""
    from mutagen import MutagenError
    from mutagen.mp3 import MP3

    if not isinstance(total_ms, int):
        return False
    try:
        info = MP3(str(path)).info
        size = path.stat().st_size
    except (OSError, MutagenError):
        return False
    # The Xing header states the length even of a file cut short: check the bytes too.
    whole = size >= 0.98 * info.length * info.bitrate / 8
    return whole and abs(info.length * 1000 - total_ms) <= 100
