"""A signal that lands as a build ends: its last line says what is true, exit 130 or 143.

A signal just after "built" used to give, over ten tries, exit 0 with
"Exception ignored in threading._shutdown" tracebacks, death by the signal
with no message, or "files already in place are untouched" although they had
just been replaced. The files were always whole; now the words are right too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from voiceguide.output import files
from voiceguide.speech.worker import start_worker

from .faultkit import TINY, ctrl_c_as_the_first_file_goes, ignoring_ctrl_c, ignoring_sigterm


def interrupted_renames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *signums: int
) -> list[Path]:
    """The track's two files, and os.replace sending ``signums`` (Ctrl-C if none) to this
    process on the first, as they would come at this moment."""
    targets = [tmp_path / "a.mp3", tmp_path / "a.json"]
    real_replace = os.replace
    calls: list[Path] = []

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls.append(Path(dst))
        if len(calls) == 1:
            for signum in signums or [signal.SIGINT]:
                signal.raise_signal(signum)
        real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", replace)
    monkeypatch.setattr(files, "replaced", [])
    return targets


def renamed(targets: list[Path], tmp_path: Path) -> None:
    assert [p.read_text() for p in targets] == ["new", "new"]
    assert files.replaced == [targets[0]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "a.mp3"]


def test_a_signal_during_the_renames_waits_for_the_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The track's files are renamed as one group: Ctrl-C between two renames waits."""
    targets = interrupted_renames(tmp_path, monkeypatch)
    with pytest.raises(KeyboardInterrupt), files.atomic_paths(*targets) as temps:
        for temp in temps:
            temp.write_text("new")
    renamed(targets, tmp_path)


def test_a_signal_as_the_temporary_files_are_removed_leaves_none_of_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build that fails removes its temporary files; Ctrl-C landing as the first goes
    waits until the last has gone too."""
    targets = [tmp_path / "a.mp3", tmp_path / "a.json", tmp_path / "a.vtt"]
    landed = ctrl_c_as_the_first_file_goes(monkeypatch)
    with pytest.raises(KeyboardInterrupt), files.atomic_paths(*targets) as temps:
        for temp in temps:
            temp.write_text("half")
        raise RuntimeError("the encoder failed")
    assert landed and list(tmp_path.iterdir()) == []


def test_a_speech_worker_that_cannot_start_leaves_ctrl_c_unblocked(tmp_path: Path) -> None:
    """The worker is born with Ctrl-C blocked; the parent blocks it only for the start, even
    one that fails (its log cannot be opened)."""
    with pytest.raises(FileNotFoundError):
        start_worker(object(), str(tmp_path / "missing" / "worker.log"))
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, set())


def test_a_speech_worker_that_cannot_start_leaves_no_file_open(tmp_path: Path) -> None:
    """A start that fails (its log cannot be opened) closes what it opened and leaves
    stderr where it was."""
    stderr_before = os.fstat(2)
    open_before = sorted(os.listdir("/proc/self/fd"))
    with pytest.raises(FileNotFoundError):
        start_worker(object(), str(tmp_path / "missing" / "worker.log"))
    assert sorted(os.listdir("/proc/self/fd")) == open_before
    assert os.path.samestat(os.fstat(2), stderr_before)


@contextmanager
def handling(signum: int, handler: Any) -> Iterator[None]:
    before = signal.signal(signum, handler)
    try:
        yield
    finally:
        signal.signal(signum, before)


def test_a_signal_ignored_by_the_process_stays_ignored_after_the_renames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Started with Ctrl-C ignored (a script's background job), the build goes on through it."""
    targets = interrupted_renames(tmp_path, monkeypatch)
    with handling(signal.SIGINT, signal.SIG_IGN):
        with files.atomic_paths(*targets) as temps:
            for temp in temps:
                temp.write_text("new")
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    renamed(targets, tmp_path)


def test_an_ignored_ctrl_c_does_not_hide_a_sigterm_during_the_renames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Stopped(Exception):
        pass

    def stop(signum: int, frame: object) -> None:
        raise Stopped()

    targets = interrupted_renames(tmp_path, monkeypatch, signal.SIGINT, signal.SIGTERM)
    with (
        handling(signal.SIGINT, signal.SIG_IGN),
        handling(signal.SIGTERM, stop),
        pytest.raises(Stopped),
        files.atomic_paths(*targets) as temps,
    ):
        for temp in temps:
            temp.write_text("new")
    renamed(targets, tmp_path)


SIGNALS = [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "stopped by SIGTERM")]


# Seconds to build where TINY takes a fraction of one: forty sentences to say.
LONG = TINY.replace(
    "Stroke the back gently.", " ".join(f"Stroke the back, count {n}." for n in range(1, 41))
).replace("20s", "10m")


def build(
    folder: Path, clip_cache: Path, *names: str, jobs: int = 1, long: Sequence[str] = ()
) -> list[str]:
    """``voiceguide build`` of tiny routines named ``names`` (those in ``long``: LONG) into
    folder/out."""
    for name in names:
        (folder / f"{name}.yaml").write_text(LONG if name in long else TINY)
    return [
        sys.executable, "-c", "from voiceguide.cli import main; main()", "build",
        *(str(folder / f"{name}.yaml") for name in names),
        "-o", str(folder / "out"), "--cache-dir", str(clip_cache), "--jobs", str(jobs),
        "--no-intro", "--rest", "0s", "--force",
    ]  # fmt: skip


def signal_after_built(
    command: list[str],
    signum: int,
    delay_s: float,
    *,
    before: Callable[[], None] | None = None,
) -> tuple[int, str, str]:
    """Run ``command`` (``before`` run in its process first), send ``signum`` ``delay_s`` after
    its first "built" line (as Ctrl-C does, to the whole group, for SIGINT); its status, the
    built line and its stderr."""
    with subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=before,
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        line = process.stdout.readline()
        assert line.startswith("built "), (line, process.stderr.read())
        time.sleep(delay_s)
        if process.poll() is None:
            if signum == signal.SIGINT:
                os.killpg(process.pid, signum)
            else:
                process.send_signal(signum)
        _, stderr = process.communicate(timeout=120)
    said = [line for line in stderr.splitlines() if not line.startswith("Warning: ")]
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    return process.returncode, line.removeprefix("built ").strip(), "\n".join(said)


@pytest.mark.parametrize(("signum", "status", "what"), SIGNALS)
def test_a_signal_as_a_build_ends_is_its_status_or_nothing(
    signum: int, status: int, what: str, clip_cache: Path, tmp_path: Path
) -> None:
    """Just after the last "built": the command is ending. Either the signal is in time
    (its status and the files it replaced) or it came after all was done (exit 0, silent);
    never a traceback, never death by the signal."""
    out = tmp_path / "out"
    command = build(tmp_path, clip_cache, "tiny")
    for delay_s in (0, 0.01, 0.03):
        code, built, said = signal_after_built(command, signum, delay_s)
        assert built == str(out / "tiny.mp3")
        assert (code, said) in [
            (0, ""),
            (
                status,
                f"Error: {what}; {out / 'tiny.mp3'} and {out / 'index.html'} were already "
                "replaced, whole; other files are untouched",
            ),
        ], delay_s


@pytest.mark.parametrize(("signum", "status", "what"), SIGNALS)
def test_a_signal_between_two_builds_names_the_one_built(
    signum: int, status: int, what: str, clip_cache: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    code, built, said = signal_after_built(build(tmp_path, clip_cache, "a", "b"), signum, 0)
    assert built == str(out / "a.mp3")
    assert code == status
    assert said == (
        f"Error: {what}; {out / 'a.mp3'} and {out / 'index.html'} were already replaced, "
        "whole; other files are untouched"
    )
    assert not (out / "b.mp3").exists()


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_build_started_with_ctrl_c_ignored_goes_on_through_it(
    jobs: int, clip_cache: Path, tmp_path: Path
) -> None:
    """Started in the background by a script, voiceguide leaves Ctrl-C ignored, as it found it:
    the Ctrl-C meant for the foreground command spares it, its workers included."""
    out = tmp_path / "out"
    command = build(tmp_path, clip_cache, "a", "b", "c", jobs=jobs)
    code, _, said = signal_after_built(command, signal.SIGINT, 0, before=ignoring_ctrl_c)
    assert (code, said) == (0, "")
    assert sorted(p.name for p in out.glob("*.mp3")) == ["a.mp3", "b.mp3", "c.mp3"]


def test_a_build_started_with_sigterm_ignored_goes_on_through_it(
    clip_cache: Path, tmp_path: Path
) -> None:
    """As with Ctrl-C, for the command itself (its workers end on SIGTERM whatever: it is
    how the pool ends them)."""
    out = tmp_path / "out"
    command = build(tmp_path, clip_cache, "a", "b", "c", jobs=2, long=["c"])
    code, _, said = signal_after_built(command, signal.SIGTERM, 0, before=ignoring_sigterm)
    assert (code, said) == (0, "")
    assert sorted(p.name for p in out.glob("*.mp3")) == ["a.mp3", "b.mp3", "c.mp3"]


@pytest.mark.parametrize(
    ("signum", "status", "what", "before"),
    [
        *((*row, None) for row in SIGNALS),
        (signal.SIGTERM, 143, "stopped by SIGTERM", ignoring_ctrl_c),
    ],
    ids=["ctrl-c", "sigterm", "sigterm, ctrl-c ignored"],
)
def test_a_signal_between_parallel_builds_says_what_may_have_changed(
    signum: int,
    status: int,
    what: str,
    before: Callable[[], None] | None,
    clip_cache: Path,
    tmp_path: Path,
) -> None:
    """Builds in worker processes: the one reported is named, the one still running is
    "the old or the new" (each track is whole either way), and none begins after the signal,
    not even the one a worker was handed ahead of time."""
    out = tmp_path / "out"
    names = ["a", "b", "c", "d"]
    command = build(tmp_path, clip_cache, *names, jobs=2, long=["b", "c"])
    code, built, said = signal_after_built(command, signum, 0, before=before)
    assert code == status
    # "a" is built while "b" and "c" take seconds: "d" was handed out then, and never begun
    assert built == str(out / "a.mp3")
    assert not (out / "d.mp3").exists(), said
    assert said.startswith(f"Error: {what}; {built}") and "already replaced, whole" in said
    assert said.endswith("other files are untouched")
    for name in names:
        track = str(out / f"{name}.mp3")
        if track in said:
            continue
        assert not (out / f"{name}.mp3").exists(), said  # not named: never written


def test_a_build_still_running_at_a_signal_is_named_by_its_track_not_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A German routine in ``mine.yaml`` writes ``mine-de.mp3``: that is the file that may be
    old or new. A file that cannot be read is named by its stem (its build left nothing)."""
    import concurrent.futures as cf

    from voiceguide import runner

    german = tmp_path / "mine.yaml"
    german.write_text(
        "language: de\n" + TINY.replace("Stroke the back gently.", "Streich den Rücken.")
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text("steps: [")
    running: dict[cf.Future[runner.Outcome], Path] = {}
    for source in (german, broken):
        future: cf.Future[runner.Outcome] = cf.Future()
        assert future.set_running_or_notify_cancel()
        running[future] = source
    monkeypatch.setattr(files, "unsure", [])
    runner._account(running, tmp_path / "out")
    assert files.unsure == [tmp_path / "out" / "mine-de.mp3", tmp_path / "out" / "broken.mp3"]
