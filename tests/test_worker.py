"""The speech worker both engines share, and how many Piper workers the machine holds."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from voiceguide.errors import SpeechError
from voiceguide.speech.piper_engine import WORKER_BYTES, memory_available, worker_count
from voiceguide.speech.worker import Refused, Worker

GB = 2**30


@pytest.mark.parametrize(
    ("cores", "available", "expected"),
    [
        (8, 64 * GB, 8),  # the cores decide
        (8, 2 * GB, 3),  # memory decides: 2 GB holds three 600 MB workers
        (4, 100 * 2**20, 1),  # never fewer than one
        (2, None, 2),  # memory unknown: the cores alone
        (1, 64 * GB, 1),
    ],
)
def test_piper_workers_are_as_many_as_the_cores_and_the_memory_hold(
    cores: int, available: int | None, expected: int
) -> None:
    assert worker_count(cores, available) == expected
    assert WORKER_BYTES == 600 * 2**20


def test_the_memory_available_is_read_from_meminfo(tmp_path: Path) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       32000000 kB\nMemAvailable:    2048000 kB\n")
    assert memory_available(str(meminfo)) == 2_048_000 * 1024


def test_without_meminfo_the_free_pages_are_asked_for(tmp_path: Path) -> None:
    expected = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    found = memory_available(str(tmp_path / "none"))
    assert found is not None and abs(found - expected) < 256 * 2**20  # it moves a little


# -- the worker, with a toy engine (the engines' own faults: test_faults, test_piper)


def _toy(mode: str) -> tuple[str, Any]:
    """In the child: an engine that upper-cases, refuses "no", or dies on "die"."""
    if mode == "broken":
        raise RuntimeError("no voice here")

    def answer(text: str) -> str:
        if text == "no":
            raise ValueError("not that one")
        if text == "die":
            os.write(2, b"the last words.\n")
            os._exit(3)
        return text.upper()

    return "hello", answer


def test_a_worker_answers_refuses_and_reports_its_death(tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    worker = Worker(_toy, ("fine",), name="the toy engine", log=log)
    try:
        assert worker.receive(60, "starting") == "hello"
        worker.send("rest")
        assert worker.receive(60, "saying rest") == "REST"
        worker.send("no")
        with pytest.raises(Refused) as refused:
            worker.receive(60, "saying no")
        assert (refused.value.kind, refused.value.message) == ("ValueError", "not that one")
        worker.send("die")
        with pytest.raises(SpeechError) as died:
            worker.receive(60, "saying die")
        assert str(died.value) == (
            "the toy engine stopped (exit status 3) while saying die: the last words"
        )
        assert not worker.alive
    finally:
        worker.stop()


def test_a_worker_that_cannot_start_says_why_and_one_that_is_silent_is_killed() -> None:
    broken = Worker(_toy, ("broken",), name="the toy engine")
    try:
        with pytest.raises(Refused, match="RuntimeError: no voice here"):
            broken.receive(60, "starting")
    finally:
        broken.stop()
    worker = Worker(_toy, ("fine",), name="the toy engine")
    try:
        worker.receive(60, "starting")
        with pytest.raises(TimeoutError):
            worker.receive(0.2, "waiting for nothing")  # nothing was asked
        assert not worker.alive
    finally:
        worker.stop()
