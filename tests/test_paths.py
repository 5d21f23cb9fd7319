"""Paths from strangers: nothing is written outside the output folder, and a bad path is exit 2.

Routine files are shared; their names and the options around them can hold
``../``, absolute paths or NUL bytes. The output names come only from the
routine's id (a safe slug), so the track lands in the output folder or
nowhere, and every refusal is one line naming what was wrong.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from voiceguide.cli import cli
from voiceguide.errors import one_line

from .faultkit import TINY, build_args, leftovers, run, tiny, tiny_good, worker_fault
from .test_faults import one_error_line

__all__ = ["tiny", "tiny_good", "worker_fault"]  # fixtures used here


def files_under(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*")}


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["build", "tiny\0../../x", "-o", "out"], '"tiny\\x00../../x": a routine id or path cannot contain a NUL byte'),
        (["build", "tiny.yaml", "-o", "out\0/../x"], "Error: --output: \"out\\x00/../x\" contains a NUL byte"),
        (["build", "tiny", "--routines", "r\0", "-o", "out"], "Error: --routines: \"r\\x00\" contains a NUL byte"),
        (["script", "tiny.yaml", "--cache-dir", "c\0"], "Error: --cache-dir: \"c\\x00\" contains a NUL byte"),
        (["check", "tiny\0.yaml"], '"tiny\\x00.yaml": a routine id or path cannot contain a NUL byte'),
    ],
)  # fmt: skip
def test_nul_byte_in_a_path_or_id_is_exit_2_and_writes_nothing(
    args: list[str], named: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.yaml").write_text(TINY)
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 2 and named in result.stderr
    assert "Traceback" not in result.stderr and "\0" not in result.stderr
    assert files_under(tmp_path) == {Path("tiny.yaml")}


def test_routine_reached_through_dot_dot_and_an_absolute_path_writes_only_into_the_output_folder(
    tiny: Path, clip_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    shutil.copy(tiny, tmp_path / "tiny.yaml")
    monkeypatch.chdir(deep)
    result = run(*build_args("../../tiny.yaml", Path("out"), clip_cache))
    assert result.exit_code == 0, result.stderr
    result = run(*build_args(tmp_path / "tiny.yaml", Path("out"), clip_cache))
    assert result.exit_code == 0, result.stderr
    names = (
        "tiny.mp3", "tiny.json", "tiny.vtt", "tiny.html", "tiny.chapters.json",
        "tiny.manifest.json", "index.html",
    )  # fmt: skip
    out = {f"a/b/out/{name}" for name in names}
    expected = {"a", "a/b", "a/b/out", *out, "tiny.yaml"}
    assert files_under(tmp_path) == {Path(p) for p in expected}


@pytest.mark.parametrize(
    "name", ["..yaml", "a b.yaml", ".hidden.yaml", "UPPER.yaml", "abc\n.yaml", "a" * 65 + ".yaml"]
)
def test_routine_file_whose_name_is_no_safe_id_is_refused(name: str, tmp_path: Path) -> None:
    routine = tmp_path / name
    routine.write_text(TINY)
    result = run("build", str(routine), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    said = one_error_line(result.stderr)
    assert said.startswith(f"Error: {one_line(str(routine))}: "), said
    assert said.endswith(("(for example my-routine.yaml)", "can have at most 64 characters"))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("routine", ["missing.yaml", "sub/missing", "/nonexistent/missing.yaml"])
def test_routine_path_that_does_not_exist_is_exit_2(routine: str, tmp_path: Path) -> None:
    result = run("build", routine, "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert one_error_line(result.stderr) == f"Error: {routine}: no such routine file"


def test_routine_path_that_is_a_folder_is_exit_2_saying_so(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").mkdir()
    result = run("build", str(tmp_path / "mine.yaml"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert one_error_line(result.stderr) == (
        f"Error: {tmp_path / 'mine.yaml'}: is a folder, not a routine file"
    )
    assert not (tmp_path / "out").exists()


def test_routine_id_that_is_not_in_the_folder_is_exit_2(tmp_path: Path) -> None:
    result = run("script", "missing", "--routines", str(tmp_path))
    assert result.exit_code == 2
    assert one_error_line(result.stderr).startswith(
        'Error: no routine "missing" (routines: child, classic, partner, therapeutic; '
    )


@pytest.fixture
def read_only_folder(tmp_path: Path):
    """A folder nobody may write to: a read-only tmpfs as root, else one without write bits."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"root cannot be kept from writing without a mount: {done.stderr.decode()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_read_only_output_folder_is_exit_2_before_any_speech(
    read_only_folder: Path, tiny: Path, tmp_path: Path, worker_fault
) -> None:
    """The speech engine is made to fail: the folder's error comes first, so none was started."""
    worker_fault("no-espeak-library")
    result = run(*build_args(tiny, read_only_folder, None))
    assert result.exit_code == 2
    line = one_error_line(result.stderr)
    assert line.startswith(f"Error: -o {read_only_folder}: cannot write to this folder (")
    assert list(read_only_folder.iterdir()) == []


def test_output_folder_under_a_file_is_exit_2_naming_it(tiny: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    out = tmp_path / "file" / "out"
    result = run(*build_args(tiny, out, tmp_path / "cache"))
    assert result.exit_code == 2
    assert one_error_line(result.stderr) == (
        f"Error: -o {out}: cannot write to this folder (Not a directory); choose one you can write to"
    )


def test_output_folder_that_is_a_file_is_exit_2(tiny: Path, tmp_path: Path) -> None:
    (tmp_path / "out").write_text("not a folder")
    result = run(*build_args(tiny, tmp_path / "out", tmp_path / "cache"))
    assert result.exit_code == 2 and "is a file" in result.stderr
    assert (tmp_path / "out").read_text() == "not a folder" and not leftovers(tmp_path)


@pytest.mark.usefixtures("real_engine")  # the build speaks with it
def test_read_only_clip_cache_is_exit_2_naming_it_and_writes_no_track(
    read_only_folder: Path, tiny: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = run(*build_args(tiny, out, read_only_folder))
    assert result.exit_code == 2
    assert one_error_line(result.stderr).startswith(
        f"Error: cannot write to the clip cache {read_only_folder} ("
    )
    assert "--no-cache" in result.stderr
    assert not out.exists() and list(read_only_folder.iterdir()) == []  # nothing half-made
