"""Start-up rows of ``scripts/bench``: the quick commands (--help, list, check) as a user
runs them, beside the interpreter's own start. Imported by bench.py, beside it."""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

HELP_OVER_CLICK_S = 0.1  # --help answers within this of importing click
CHECK_LIMIT_S = 0.35  # check FILE just after an edit, from a warm clip cache


def startup(repeat: int, work: Path) -> str:
    """Start-up rows: wall time of the quick commands as a user runs them (the installed
    ``voiceguide`` script in a fresh process), median of ``repeat``, beside the floor of
    the interpreter itself, of importing click (which every command needs) and of
    importing numpy (which the quick commands do not load).

    ``check`` is timed just after the file was edited (its bytes changed, the
    same words), from a warm clip cache as after a first build; ``list`` reads
    every routine file."""
    exe = str(Path(PYTHON).parent / "voiceguide")
    routine = work / "classic.yaml"  # a copy: the "just edited" rows change its bytes
    shutil.copy(ROOT / "src" / "voiceguide" / "routines" / "classic.yaml", routine)
    cache = work / "startup-cache"
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    # As a user runs it: Python keeps compiled bytecode (__pycache__). With
    # PYTHONDONTWRITEBYTECODE set (as on the build machines) every start would
    # compile voiceguide's own sources again: 30 modules, most of check's time.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    edits = iter(range(10**6))

    def edit() -> dict[str, str]:
        with routine.open("a", encoding="utf-8") as fh:
            fh.write(f"# edit {next(edits)}\n")  # new bytes, the same words
        return env

    check = [exe, "check", str(routine)]
    rows: list[tuple[str, list[str], Callable[[], dict[str, str]]]] = [
        ("python -c pass (floor)", [PYTHON, "-c", "pass"], lambda: env),
        ("python -c 'import click'", [PYTHON, "-c", "import click"], lambda: env),
        ("python -c 'import numpy'", [PYTHON, "-c", "import numpy"], lambda: env),
        ("voiceguide --help", [exe, "--help"], lambda: env),
        ("voiceguide list", [exe, "list"], lambda: env),
        ("voiceguide check classic (edited)", check, edit),
    ]
    for _, command, _ in rows[3:]:  # fill the clip cache and write the bytecode
        subprocess.run(command, env=env, capture_output=True, check=True)
    lines = [
        f"start-up, median of {repeat}: --help within {HELP_OVER_CLICK_S:.2f} s of importing "
        f"click, check (edited) within {CHECK_LIMIT_S:.2f} s;",
        "cpu: the child's user+sys time, which a busy machine inflates far less than wall time;",
        "edited: the file's bytes changed (words rendered and timed from a warm clip cache)",
        f"| {'command':<34} | wall   | cpu    | wall over floor |",
        f"|{'-' * 36}|--------|--------|-----------------|",
    ]
    floor_s = 0.0
    medians: dict[str, float] = {}
    for name, command, prepare in rows:
        walls, cpus = [], []
        for _ in range(repeat):
            run_env = prepare()
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(command, env=run_env, capture_output=True, check=True)
            walls.append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        floor_s = floor_s or wall
        medians[name] = cpu  # the verdicts go by CPU time, which load moves less than wall
        lines.append(f"| {name:<34} | {wall:.3f}s | {cpu:.3f}s | {wall - floor_s:+.3f}s         |")
    over_click = medians["voiceguide --help"] - medians["python -c 'import click'"]
    check_s = medians["voiceguide check classic (edited)"]
    lines.append(
        f"--help over importing click: {over_click:+.3f} s of cpu, {_verdict(over_click, HELP_OVER_CLICK_S)}"
    )
    lines.append(f"check (edited): {check_s:.3f} s of cpu, {_verdict(check_s, CHECK_LIMIT_S)}")
    return "\n".join(lines)


def _verdict(seconds: float, limit_s: float) -> str:
    return f"within its {limit_s:.2f} s" if seconds <= limit_s else f"OVER its {limit_s:.2f} s"
