"""Build many routines: one after another, or in parallel processes.

A failure in one routine is that routine's outcome, not the run's end: the
others still build, and the caller reports each outcome in one line and exits
with the worst status. Parallel builds run in separate processes (the mix is
numpy and the encoder a process of its own, but the speech engine and the
Python around them are one core each), each with its own speech worker; the
clip cache on disk is shared, its entries written atomically.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing as mp
import os
import queue
import signal
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from multiprocessing import util
from pathlib import Path
from typing import Any

from . import signals
from .build import build
from .errors import VoiceguideError
from .output import files
from .routine import load_routine
from .settings import BuildOptions
from .speakers import Speakers, make_speaker


@dataclass(frozen=True)
class Outcome:
    """What became of one routine file."""

    source: Path
    status: str  # "built" | "up to date" | "failed"
    paths: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = ()
    error: str = ""
    exit_code: int = 0
    replaced: tuple[Path, ...] = ()  # what a worker process put in place (``files.replaced``)


OnProgress = Callable[[Path, str, float], None]


def build_one(
    source: Path,
    out_dir: Path,
    options: BuildOptions,
    speakers: Speakers,
    *,
    force: bool,
    on_progress: OnProgress | None = None,
    base_url: str | None = None,
) -> Outcome:
    """Load and build one file; its errors become its outcome."""
    try:
        routine = load_routine(source)
        speaker = speakers(routine)
        progress = None if on_progress is None else (lambda p, f: on_progress(source, p, f))
        result = build(
            routine, out_dir, options, speaker, force=force, progress=progress, base_url=base_url
        )
    except VoiceguideError as exc:
        return Outcome(source, "failed", error=str(exc), exit_code=exc.exit_code)
    status = "up to date" if result.up_to_date else "built"
    return Outcome(source, status, tuple(result.paths), result.warnings)


def build_many(
    sources: Sequence[Path],
    out_dir: Path,
    options: BuildOptions,
    *,
    jobs: int,
    force: bool = False,
    on_progress: OnProgress | None = None,
    base_url: str | None = None,
) -> Iterator[Outcome]:
    """Every routine's outcome, in the order they finish."""
    if jobs <= 1 or len(sources) <= 1:
        with Speakers(options) as speakers:
            for source in sources:
                yield build_one(source, out_dir, options, speakers, force=force, on_progress=on_progress, base_url=base_url)  # fmt: skip
        return
    if options.voice:  # an unknown voice fails every build alike: say so once, up front
        make_speaker(options).close()
    ctx = mp.get_context("spawn")
    events: Any = ctx.Queue()
    with cf.ProcessPoolExecutor(
        max_workers=min(jobs, len(sources)),
        mp_context=ctx,
        initializer=_init_worker,
        initargs=(options, events if on_progress else None, min(jobs, len(sources))),
    ) as pool:
        pending: dict[cf.Future[Outcome], Path] = {}
        try:
            # the workers start as these are submitted: born with these held (_init_worker)
            with signals.blocked(*signals.STOPPING):
                for source in sources:
                    pending[pool.submit(_build_in_worker, source, out_dir, force, base_url)] = source  # fmt: skip
            while pending:
                # A signal raised inside the wait could leave a future's lock taken (it takes
                # them one by one), and the pool's shutdown would wait for it for ever: the
                # signal is raised after it, at most 0.1 s later.
                with signals.held():
                    finished, _ = cf.wait(pending, timeout=0.1, return_when=cf.FIRST_COMPLETED)
                _drain(events, on_progress)
                for future in finished:
                    source = pending.pop(future)
                    outcome = _outcome_of(future, source)
                    files.replaced.extend(outcome.replaced)
                    yield outcome
            with signals.held():  # as the wait: the shutdown takes the pool's locks
                pool.shutdown(wait=True)
        except BaseException:
            with signals.held():
                _account(pending, out_dir)
                _interrupt(pool)
                pool.shutdown(wait=True, cancel_futures=True)
            raise
    _drain(events, on_progress)


def _account(pending: dict[cf.Future[Outcome], Path], out_dir: Path) -> None:
    """On a signal, what the builds not yet reported did: a finished one's files were
    replaced; a running one's track may be the old or the new."""
    for future, source in pending.items():
        if future.done() and not future.cancelled() and future.exception() is None:
            files.replaced.extend(future.result().replaced)
        elif future.running():
            files.unsure.append(out_dir / f"{_track_name(source)}.mp3")


def _track_name(source: Path) -> str:
    """The name the build gives ``source``'s track (``classic-de``), or the file's stem when
    it cannot be read (its build would have failed, leaving the old track)."""
    try:
        routine = load_routine(source)
        return files.routine_track_name(routine.id, routine.language)
    except VoiceguideError:
        return source.stem


def _interrupt(pool: cf.ProcessPoolExecutor) -> None:
    """Ask each worker to stop (``_init_worker``): its build unwinds as a Ctrl-C'd build
    does, nothing half-written, and it begins no other."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.exitcode is None:  # not reaped: the pid is still the worker's
            with contextlib.suppress(OSError):
                os.kill(process.pid, signals.STOP_REQUEST)


def _outcome_of(future: cf.Future[Outcome], source: Path) -> Outcome:
    try:
        return future.result()
    except Exception as exc:  # a crash in one worker is that routine's failure
        return Outcome(source, "failed", error=f"{type(exc).__name__}: {exc}", exit_code=1)


def _drain(events: Any, on_progress: OnProgress | None) -> None:
    if on_progress is None:
        return
    while True:
        try:
            source, phase, fraction = events.get_nowait()
        except queue.Empty:
            return
        on_progress(source, phase, fraction)


# ---------------------------------------------------------------- in the worker processes

_state: dict[str, Any] = {}


def _init_worker(options: BuildOptions, events: Any, builds: int) -> None:
    """One speaker per voice per worker process, reused for every routine it builds.

    The terminal's Ctrl-C reaches the whole group and is the parent's to
    handle: ignored here, so a command started with it ignored is spared too.
    The parent asks a worker to stop with ``signals.STOP_REQUEST``
    (``_interrupt``), a signal no one else sends: a build unwinds as a build
    in the parent does, and none begins after it (the pool hands a worker
    its next routine ahead of time). SIGTERM ends a worker, even in a command
    started deaf to it: it is how the pool ends the others when one dies,
    and waits for them for ever if they live on (CPython 3.12 and later).
    Born with all three blocked, one that came while it started is dropped,
    noted or acted on here.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signals.STOP_REQUEST, _noted)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, set(signals.STOPPING))
    _state["options"] = options
    _state["events"] = events
    speakers = Speakers(options, workers=max(1, (os.cpu_count() or 1) // builds))
    _state["speakers"] = speakers
    util.Finalize(speakers, speakers.close, exitpriority=10)  # atexit does not run in workers


def _build_in_worker(source: Path, out_dir: Path, force: bool, base_url: str | None) -> Outcome:
    events = _state["events"]
    last: dict[str, float] = {}

    def report(source: Path, phase: str, fraction: float) -> None:
        # a few events a second at most: every 2% or a change of phase
        if fraction >= 1.0 or fraction - last.get(phase, -1.0) >= 0.02:
            last[phase] = fraction
            with signals.held():  # an unwind inside put could leave the queue's lock taken
                events.put((source, phase, fraction))

    before = len(files.replaced)
    signal.signal(signals.STOP_REQUEST, _interrupted)
    try:
        if _state.get("stopping"):  # told before this build began: it leaves nothing
            raise KeyboardInterrupt()
        outcome = build_one(
            source,
            out_dir,
            _state["options"],
            _state["speakers"],
            force=force,
            on_progress=report if events is not None else None,
            base_url=base_url,
        )
    finally:
        signal.signal(signals.STOP_REQUEST, _noted)
    return replace(outcome, replaced=tuple(files.replaced[before:]))


def _noted(signum: int, frame: object) -> None:
    _state["stopping"] = True


def _interrupted(signum: int, frame: object) -> None:
    _state["stopping"] = True
    signal.signal(signals.STOP_REQUEST, signal.SIG_IGN)  # one unwind: a second cannot cut it
    raise KeyboardInterrupt()
