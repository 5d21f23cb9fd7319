"""The build's lock: beside the track, in the folder the build writes, gone when released.

It used to be a file in the shared temporary folder under a name anyone could
predict, never removed: another user's build of the same folder met
"unexpected PermissionError", and anyone could block a build by creating it.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

import pytest

from voiceguide.errors import ToolError
from voiceguide.fresh import output_lock


def test_the_lock_is_beside_the_track_and_removed(tmp_path: Path) -> None:
    before = set(os.listdir(tempfile.gettempdir()))
    target = tmp_path / "out" / "classic.mp3"
    with output_lock(target):
        assert sorted(p.name for p in target.parent.iterdir()) == [".classic.mp3.lock"]
    assert list(target.parent.iterdir()) == []
    assert not {n for n in set(os.listdir(tempfile.gettempdir())) - before if "voiceguide" in n}


def test_one_holder_at_a_time_and_a_waiter_gets_it_after(tmp_path: Path) -> None:
    target = tmp_path / "classic.mp3"
    inside: list[int] = []
    overlaps: list[int] = []

    def build(n: int) -> None:
        for _ in range(20):
            with output_lock(target):
                inside.append(n)
                if len(inside) > 1:
                    overlaps.append(n)
                time.sleep(0.001)
                inside.remove(n)

    threads = [threading.Thread(target=build, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert overlaps == [] and not any(t.is_alive() for t in threads)
    assert list(tmp_path.iterdir()) == []


def test_a_lock_file_left_read_only_by_another_user_can_still_be_taken(tmp_path: Path) -> None:
    left = tmp_path / ".classic.mp3.lock"
    left.touch(mode=0o444)
    with output_lock(tmp_path / "classic.mp3"):
        pass
    assert not left.exists()


def test_a_lock_that_cannot_be_taken_is_one_line_naming_it(tmp_path: Path) -> None:
    (tmp_path / ".classic.mp3.lock").mkdir()
    with pytest.raises(ToolError) as caught, output_lock(tmp_path / "classic.mp3"):
        pass
    assert str(caught.value) == (
        f"cannot take the lock {tmp_path / '.classic.mp3.lock'}: Is a directory"
    )


def test_a_lock_planted_as_a_symlink_is_refused_and_nothing_is_made_where_it_points(
    tmp_path: Path,
) -> None:
    """Whoever can write the output folder could otherwise have a build create (and hold
    open) a file anywhere the user may write."""
    elsewhere = tmp_path / "elsewhere"
    out = tmp_path / "out"
    out.mkdir()
    (out / ".classic.mp3.lock").symlink_to(elsewhere)
    with pytest.raises(ToolError) as caught, output_lock(out / "classic.mp3"):
        pass
    assert str(caught.value).startswith(f"cannot take the lock {out / '.classic.mp3.lock'}: ")
    assert "\n" not in str(caught.value)
    assert not elsewhere.exists()
