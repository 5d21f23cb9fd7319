"""Faults underneath, each injected: one line, exit status 1, nothing lost, nothing left.

Every failing build runs over a folder that holds a previous good track
(the ``previous`` fixture) and must leave it byte for byte as it was, with
no ``.part`` file beside it and no ``.tmp`` file in the clip cache.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from voiceguide.cli import cli
from voiceguide.errors import DiskFullError, FfmpegError, InputError, SpeechError
from voiceguide.ffmpeg import ffmpeg_exe
from voiceguide.mp3.encode import encode_mp3
from voiceguide.speech import Engine, Speaker
from voiceguide.speech import espeak as engines

from .conftest import ROUTINES
from .faultkit import (
    build_args,
    ctrl_c_as_a_thread_starts,
    leftovers,
    previous,
    run,
    snapshot,
    tiny,
    tiny_good,
    worker_fault,
)

__all__ = ["previous", "tiny", "tiny_good", "worker_fault"]  # fixtures used here


def one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    return lines[0]


# -- espeak-ng


@pytest.mark.parametrize("fault", ["no-espeak-library", "no-espeak-data", "broken-espeak-data"])
def test_missing_espeak_says_how_to_install(
    fault: str, worker_fault, tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Broken data passes the check for phontab; espeak-ng then ends the worker with exit(1)."""
    data = tmp_path / "espeak-ng-data"
    data.mkdir()
    (data / "phontab").write_bytes(b"")
    monkeypatch.setenv("VOICEGUIDE_TEST_DATA", str(data))
    worker_fault(fault)
    result = run(*build_args(tiny, tmp_path / "out", None))
    line = one_error_line(result.stderr)
    assert result.exit_code == 1
    assert "espeak-ng" in line and "pip install espeakng-loader" in line
    assert line.count("pip install") == 1
    if fault == "broken-espeak-data":
        assert "stopped (exit status 1) while starting: Error processing file" in line
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_missing_espeak_library_in_this_process_names_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engines, "_system_names", lambda: [])
    monkeypatch.setitem(sys.modules, "espeakng_loader", None)
    with pytest.raises(SpeechError, match=r"could not be loaded .*apt-get install espeak-ng"):
        engines.locate_espeak.__wrapped__()


# -- a speech call that hangs


def test_hanging_speech_call_times_out_naming_the_text(
    worker_fault, real_engine: Callable[..., Engine]
) -> None:
    worker_fault("hang")
    with Speaker(real_engine(timeout_s=3), cache_dir=None) as speaker:
        with pytest.raises(SpeechError, match=r'did not finish "Please HANG on\." within 3s'):
            speaker.clip("Please HANG on.")
        assert not speaker.engine.running  # the stuck worker was killed
        assert speaker.clip("Rest now.").size > 0  # and a fresh one speaks


def test_hanging_speech_fails_the_build_with_exit_1(
    worker_fault, monkeypatch: pytest.MonkeyPatch, previous: Path, tmp_path: Path
) -> None:
    worker_fault("hang")
    monkeypatch.setattr("voiceguide.speech.pyttsx3_engine.SPEAK_TIMEOUT_S", 3.0)
    routine = tmp_path / "tiny.yaml"
    routine.write_text(
        "title: Tiny\nsteps:\n  - {id: stroking, title: Stroking, duration: 20s, say: HANG here.}\n"
    )
    before = snapshot(previous)
    result = run(*build_args(routine, previous, tmp_path / "cache"))
    assert result.exit_code == 1
    assert 'did not finish "HANG here."' in one_error_line(result.stderr)
    assert snapshot(previous) == before and not leftovers(previous, tmp_path / "cache")


# -- ffmpeg


def test_missing_ffmpeg_names_what_was_tried_and_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("VOICEGUIDE_FFMPEG", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)
    with pytest.raises(FfmpegError) as caught:
        ffmpeg_exe.__wrapped__()
    message = str(caught.value)
    assert "ffmpeg on PATH" in message and "imageio-ffmpeg" in message
    assert "pip install imageio-ffmpeg" in message


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("nothere", "no such file"),
        ("notes.txt", "not a program that can be run"),
        (".", "a folder, not a program"),
    ],
)
def test_an_ffmpeg_named_in_the_environment_that_cannot_run_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, given: str, said: str
) -> None:
    """$VOICEGUIDE_FFMPEG=/nonexistent (or a file that is no program) silently gave way to
    another ffmpeg; now it is the user's error (exit 2), said before anything is written."""
    (tmp_path / "notes.txt").write_text("not ffmpeg\n")
    named = str(tmp_path / given)
    monkeypatch.setenv("VOICEGUIDE_FFMPEG", named)
    with pytest.raises(InputError, match=f"^\\$VOICEGUIDE_FFMPEG={re.escape(named)}: {said}; "):
        ffmpeg_exe.__wrapped__()
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", "classic", "-o", str(out), "--no-cache"])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output
    assert result.stderr.startswith(f"Error: $VOICEGUIDE_FFMPEG={named}: {said}; give the path")
    assert not out.exists()


def test_failing_ffmpeg_is_exit_1_with_its_last_line(
    monkeypatch: pytest.MonkeyPatch, previous: Path, tiny: Path, clip_cache: Path, tmp_path: Path
) -> None:
    fake = tmp_path / "ffmpeg"
    fake.write_text("#!/bin/sh\ncat >/dev/null\necho 'Unknown encoder libmp3lame' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr("voiceguide.ffmpeg.ffmpeg_exe", lambda: str(fake))
    before = snapshot(previous)
    result = run(*build_args(tiny, previous, clip_cache))
    assert result.exit_code == 1
    line = one_error_line(result.stderr)
    assert line == "Error: ffmpeg failed to encode the MP3: Unknown encoder libmp3lame"
    assert snapshot(previous) == before and not leftovers(previous, clip_cache)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[bytes]]:
    """The processes started from now on (ffmpeg's), in order."""
    processes: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def recording_popen(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        processes.append(real_popen(*args, **kwargs))
        return processes[-1]

    monkeypatch.setattr("voiceguide.ffmpeg.subprocess.Popen", recording_popen)
    return processes


def test_ffmpeg_killed_mid_encode_is_exit_1_and_leaves_the_previous_track(
    monkeypatch: pytest.MonkeyPatch,
    previous: Path,
    tiny: Path,
    clip_cache: Path,
    started: list[subprocess.Popen[bytes]],
) -> None:
    """The real ffmpeg, killed with SIGKILL after it has been fed a block: every encoder then
    running (pieces run side by side; the one fed is waiting for its next block)."""
    import voiceguide.build

    real_stream = voiceguide.build.mixer.stream

    def killing_stream(*args: Any, **kwargs: Any) -> Iterator[bytes]:
        for index, block in enumerate(real_stream(*args, **kwargs)):
            if index == 1:
                for process in [p for p in started if p.poll() is None]:
                    process.kill()
                    process.wait()
            yield block

    monkeypatch.setattr(voiceguide.build.mixer, "stream", killing_stream)
    before = snapshot(previous)
    result = run(*build_args(tiny, previous, clip_cache))
    assert result.exit_code == 1
    assert one_error_line(result.stderr) == (
        "Error: ffmpeg failed to encode the MP3: killed by signal 9 (SIGKILL)"
    )
    assert any(p.returncode == -signal.SIGKILL for p in started)  # pieces may run side by side
    assert snapshot(previous) == before and not leftovers(previous, clip_cache)


def test_a_signal_as_ffmpeg_starts_kills_it(
    started: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    """Ctrl-C lands while the thread that reads ffmpeg's errors is being started: ffmpeg,
    left running in its own process group, would write the file once we had gone."""
    with ctrl_c_as_a_thread_starts(), pytest.raises(KeyboardInterrupt):
        encode_mp3([bytes(4_096)], tmp_path / "t.mp3")
    assert started[-1].poll() == -signal.SIGKILL  # (the first may be imageio-ffmpeg's -version)


# -- the disk filling up


@pytest.fixture
def tmpfs(tmp_path: Path):
    """Mount a real tmpfs of a given size in kB (needs root; skipped, with the reason, without)."""
    mounts: list[Path] = []

    def mount(size_k: int) -> Path:
        folder = tmp_path / f"tmpfs{len(mounts)}"
        folder.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_k}k", "tmpfs", str(folder)],
            capture_output=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
        mounts.append(folder)
        return folder

    yield mount
    for folder in mounts:
        subprocess.run(["umount", str(folder)], check=False)


@pytest.fixture
def small_disk(tmpfs, tiny_good: Path) -> Path:
    """Room for the previous track and about half a new one."""
    return tmpfs(sum(p.stat().st_size for p in tiny_good.iterdir()) * 3 // 2 // 1024)


def test_full_disk_during_the_encode_is_exit_1_and_leaves_the_previous_track(
    small_disk: Path, tiny_good: Path, tiny: Path, clip_cache: Path
) -> None:
    for path in tiny_good.iterdir():
        (small_disk / path.name).write_bytes(path.read_bytes())
    before = snapshot(small_disk)
    result = run(*build_args(tiny, small_disk, clip_cache))
    assert result.exit_code == 1
    assert one_error_line(result.stderr) == (
        f"Error: no space left on the disk writing {small_disk / 'tiny.mp3'}; "
        "free some space and build again (files already there are untouched)"
    )
    assert snapshot(small_disk) == before and not leftovers(small_disk)


TWO_PIECES = """\
title: Two pieces
steps:
  - id: stroking
    title: Stroking
    duration: 90s
    say: Stroke the back gently.
"""  # its words and its heads-up a minute apart: encoded as two pieces beside the target


def test_full_disk_during_a_pieces_encode_says_the_disk_is_full_without_root(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clip_cache: Path
) -> None:
    """The real ffmpeg writes its pieces into /dev/full: ENOSPC on every write, no mount needed.

    ffmpeg prints "No space left on device" and may still exit 0; the user must
    read that the disk is full, not that a hidden piece has no Info tag.
    """
    import contextlib

    from voiceguide.mp3 import pieces

    routine = tmp_path / "two.yaml"
    routine.write_text(TWO_PIECES)
    out = tmp_path / "out"
    out.mkdir()
    made: list[int] = []

    @contextlib.contextmanager
    def full_pieces(target: Path, count: int) -> Iterator[list[Path]]:
        made.append(count)
        paths = [target.parent / f".{target.name}.{n + 1}.full.part" for n in range(count)]
        for path in paths:
            path.symlink_to("/dev/full")
        try:
            yield paths
        finally:
            for path in paths:
                path.unlink(missing_ok=True)

    monkeypatch.setattr(pieces, "_files_beside", full_pieces)
    result = run(*build_args(routine, out, clip_cache))
    assert made and made[0] >= 2  # the track really was encoded in pieces
    assert result.exit_code == 1
    assert one_error_line(result.stderr) == (
        f"Error: no space left on the disk writing {out / 'two.mp3'}; "
        "free some space and build again (files already there are untouched)"
    )
    assert list(out.iterdir()) == []


def test_full_disk_while_writing_the_plan_keeps_track_and_plan_together(
    monkeypatch: pytest.MonkeyPatch, previous: Path, tiny: Path, clip_cache: Path
) -> None:
    """ENOSPC on the JSON, after the new MP3 is complete: neither file replaces the old pair."""
    real_write_text = Path.write_text

    def full(self: Path, *args: Any, **kwargs: Any) -> int:
        if self.name.startswith(".tiny.json."):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    before = snapshot(previous)
    result = run(*build_args(tiny, previous, clip_cache))
    assert result.exit_code == 1 and "no space left on the disk" in one_error_line(result.stderr)
    assert snapshot(previous) == before and not leftovers(previous)


@pytest.mark.usefixtures("real_engine")  # the build speaks with it
def test_full_disk_under_the_clip_cache_is_exit_1_and_leaves_no_temporary_file(
    tmpfs, tiny: Path, tmp_path: Path
) -> None:
    cache = tmpfs(16)  # less than one spoken sentence
    result = run(*build_args(tiny, tmp_path / "out", cache))
    assert result.exit_code == 1
    assert one_error_line(result.stderr) == (
        f"Error: no space left on the disk writing the clip cache {cache}; "
        "free some space and build again (files already there are untouched)"
    )
    assert not leftovers(cache) and not (tmp_path / "out").exists()  # nothing half-made


# -- the clip cache


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EFBIG, errno.EDQUOT])
def test_a_clip_cache_write_that_finds_the_disk_full_is_the_disk_full_error(
    code: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The speaker maps a failed cache write as every writer does (``errors.is_disk_full``):
    a file too large for the disk (EFBIG) or the quota is a full disk, exit 1, not the
    user's folder."""
    from voiceguide.speech import FakeEngine

    def full(path: Path, samples: np.ndarray) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr("voiceguide.speech.speaker.write_wav", full)
    with Speaker(FakeEngine(), cache_dir=tmp_path) as speaker, pytest.raises(DiskFullError) as err:
        speaker.clip("Rest now.")
    assert str(err.value).startswith(f"no space left on the disk writing the clip cache {tmp_path}")
    assert err.value.exit_code == 1


def test_damaged_cache_entry_that_still_parses_is_rebuilt_not_played(
    tmp_path: Path, real_speaker: Callable[..., Speaker]
) -> None:
    with real_speaker(cache_dir=tmp_path) as speaker:
        good = speaker.clip("Rest now.")
    entry = next(tmp_path.rglob("*.wav"))
    raw = bytearray(entry.read_bytes())
    raw[1000:1400] = bytes(400)  # silence in the middle: still a valid WAV of the same length
    entry.write_bytes(bytes(raw))
    with real_speaker(cache_dir=tmp_path) as speaker:
        again = speaker.clip("Rest now.")
        assert speaker.engine.running  # it was spoken afresh
    assert np.array_equal(again, good)
    assert entry.read_bytes() != bytes(raw) and not leftovers(tmp_path)


# -- signals: a real `voiceguide build` process, stopped mid-encode


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if f"\nPPid:\t{pid}\n" in status:
                found.append(int(entry.name))
    return found


def survivors(kids: dict[int, str]) -> dict[int, str]:
    """The children still running once they have had a few seconds to notice the parent died.

    multiprocessing's resource tracker leaves only when it reads end-of-file
    from its dead parent, a moment after the parent exits.
    """
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in kids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return {pid: command for pid, command in kids.items() if alive(pid)}


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def encoding_build(out: Path, cache: Path, scratch: Path) -> subprocess.Popen[bytes]:
    """A real ``voiceguide build classic`` in a session of its own, returned once a piece of
    its MP3 is being written and an encoder is running."""
    command = [
        sys.executable, "-c", "from voiceguide.cli import main; main()",
        "build", "classic", "--routines", str(ROUTINES),
        "-o", str(out), "--cache-dir", str(cache),
        "--voice", "gmw/en-us",  # checking the voice starts the speech worker: one more child
    ]  # fmt: skip
    env = {**os.environ, "TMPDIR": str(scratch)}
    process = subprocess.Popen(
        command, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True
    )
    try:
        while True:
            assert process.poll() is None, process.communicate()
            writing = any(size(p) > 0 for p in out.glob(".classic.mp3.*.part"))
            if writing and any("ffmpeg" in command_line(k) for k in children(process.pid)):
                return process
            time.sleep(0.01)
    except BaseException:
        process.kill()
        process.communicate()
        raise


def size(path: Path) -> int:
    """0 for a piece gone between the listing and the look (it was joined, or failed)."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


@pytest.fixture
def over_classic(classic_build: dict, tmp_path: Path) -> tuple[Path, Path]:
    """An output folder holding a good classic track, and an empty TMPDIR."""
    out, scratch = tmp_path / "out", tmp_path / "tmp"
    out.mkdir()
    scratch.mkdir()
    for name in ("classic.mp3", "classic.json", "classic.vtt"):
        (out / name).write_bytes((classic_build["dir"] / name).read_bytes())
    return out, scratch


@pytest.mark.parametrize(
    ("signum", "status", "message"),
    [
        (signal.SIGINT, 130, "Error: interrupted; files already in place are untouched"),
        (signal.SIGTERM, 143, "Error: stopped by SIGTERM; files already in place are untouched"),
    ],
)
def test_signal_mid_encode_unwinds_cleanly(
    signum: int, status: int, message: str, over_classic: tuple[Path, Path], clip_cache: Path
) -> None:
    out, scratch = over_classic
    before = snapshot(out)
    with encoding_build(out, clip_cache, scratch) as process:
        try:
            kids = {pid: command_line(pid) for pid in children(process.pid)}
            if signum == signal.SIGINT:
                os.killpg(process.pid, signum)  # as Ctrl-C does: the whole foreground group
            else:
                process.send_signal(signum)
            stdout, stderr = process.communicate(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == status
    assert one_error_line(stderr.decode()) == message and stdout == b""
    assert any("spawn_main" in c for c in kids.values()), kids  # the speech worker
    assert survivors(kids) == {}
    assert snapshot(out) == before  # the track's lock (.classic.mp3.lock) is gone too
    assert not leftovers(out, clip_cache) and list(scratch.iterdir()) == []


def test_the_next_build_removes_what_a_build_killed_outright_left(
    over_classic: tuple[Path, Path], clip_cache: Path
) -> None:
    """SIGKILL (the OOM killer, a power cut) runs no cleanup: the hidden parts and the lock
    stay behind, and the next build of the track removes them, even one with nothing to build.
    Another track's temporary files may be a live build's: they stay."""
    out, scratch = over_classic
    before = snapshot(out)
    with encoding_build(out, clip_cache, scratch) as process:
        kids = {pid: command_line(pid) for pid in children(process.pid)}
        os.killpg(process.pid, signal.SIGKILL)  # all but ffmpeg, in a process group of its own
        process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert survivors(kids) == {}  # an encoder ends at the end of its input
    left = {p.name for p in out.iterdir()} - set(before)
    assert ".classic.mp3.lock" in left and leftovers(out), left
    assert all(n.startswith(".classic.") for n in left), left
    others = [out / ".classic-ru.mp3.k2x9.part", out / ".classics.json.k2x9.part"]
    for other in others:
        other.write_bytes(b"another track's")
    args = ["build", "classic", "--routines", str(ROUTINES), "-o", str(out)]
    args += ["--cache-dir", str(clip_cache), "--voice", "gmw/en-us"]
    first = run(*args)
    assert first.exit_code == 0, first.output
    assert sorted(leftovers(out)) == sorted(others)
    assert not (out / ".classic.mp3.lock").exists()
    for other in others:
        other.unlink()
    for killed in (".classic.json.k2x9.part", ".index.html.k2x9.part", ".feed.xml.k2x9.part"):
        (out / killed).write_bytes(b"a killed build's")  # the folder's files: the same
    again = run(*args)
    assert again.exit_code == 0 and "up to date" in again.output, again.output
    assert not leftovers(out) and not leftovers(clip_cache)


# -- the CLI's own handling: --debug, bugs, Ctrl-C inside CliRunner


def test_debug_adds_the_traceback_and_keeps_the_exit_status(tmp_path: Path) -> None:
    plain = run("build", "missing.yaml", "-o", str(tmp_path))
    debug = run("--debug", "build", "missing.yaml", "-o", str(tmp_path))
    assert plain.exit_code == debug.exit_code == 2
    assert "Traceback" not in plain.stderr and "Traceback" in debug.stderr
    assert debug.stderr.splitlines()[-1] == one_error_line(plain.stderr)


def test_a_bug_is_one_line_with_exit_1_pointing_at_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(path: Path) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("voiceguide.routine.load.load_routine", broken)
    result = run("script", str(ROUTINES / "classic.yaml"))
    assert result.exit_code == 1
    assert one_error_line(result.stderr) == (
        "Error: unexpected RuntimeError: boom (a bug in voiceguide; "
        "run again with --debug for the traceback)"
    )
