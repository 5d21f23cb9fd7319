"""Start-up: the quick commands load only what they need, and Ctrl-C at any moment is one line.

These tests hold what makes start-up quick: which modules each command
imports. Its figures (``check`` just after an edit within 0.35 s, ``--help``
within 0.1 s of importing click) are the bench's, ``scripts/bench
--startup-only``: seconds depend on the machine and on what else it runs, so
no test asserts them. The Ctrl-C tests interrupt a real ``voiceguide`` process at chosen
moments of its start-up, found by watching its ``-X importtime`` report,
from the script's first module (``voiceguide.entry``) on: before it, the
interpreter's own start-up is beyond any program's reach.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import ROUTINES

VOICEGUIDE = Path(sys.executable).parent / "voiceguide"
HEAVY = ("numpy", "pydub", "mutagen", "voiceguide.audio.mixer", "voiceguide.build")

_LOADED = """
import json, sys
from voiceguide.cli import cli
try:
    cli.main(args=sys.argv[1:], prog_name="voiceguide")
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def loaded(*args: str, env: dict[str, str] | None = None) -> tuple[int, set[str]]:
    """The exit status of ``voiceguide ARGS`` in a fresh process, and the modules it loaded."""
    result = subprocess.run(
        [sys.executable, "-c", _LOADED, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )
    report = json.loads(result.stderr.strip().splitlines()[-1])
    return report["code"], set(report["modules"])


@pytest.mark.parametrize("args", [["--help"], ["list"], ["build", "--help"], ["script", "--help"]])
def test_help_and_list_load_no_audio_no_templates(args: list[str]) -> None:
    code, modules = loaded(*args)
    assert code == 0
    assert not [m for m in (*HEAVY, "jinja2") if m in modules]


@pytest.mark.parametrize("args", [["--help"], ["build", "--help"], ["check", "--help"]])
def test_help_loads_no_yaml_no_pathlib_no_shutil(args: list[str]) -> None:
    """Help is click's alone: no YAML reader, and not even pathlib (a path option makes its
    Path when a path is given) or shutil (the help's width is found without it)."""
    code, modules = loaded(*args)
    assert code == 0
    assert not [m for m in ("yaml", "pathlib", "shutil", "traceback", "hashlib") if m in modules]


@pytest.mark.usefixtures("real_engine")  # the first check speaks with it
@pytest.mark.parametrize("name", ["child", "classic"])
def test_check_times_words_from_a_warm_cache_without_numpy(tmp_path: Path, name: str) -> None:
    # classic has words the pronunciation table respells ("coccyx"): their clips are cached
    # under the respelled words, and must be looked for under those
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    routine = str(ROUTINES / f"{name}.yaml")
    assert loaded("check", routine, env=env)[0] == 0  # fills the clip cache
    code, modules = loaded("check", routine, env=env)
    assert code == 0
    assert not [m for m in HEAVY if m in modules]


def interrupt_after(module: str, *args: str, delay: float = 0.0) -> tuple[int, list[str]]:
    """Run ``voiceguide ARGS``, send SIGINT ``delay`` seconds after ``module`` has been
    imported, and return the exit status and stderr's lines (the import report left out)."""
    process = subprocess.Popen(
        [sys.executable, "-X", "importtime", str(VOICEGUIDE), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    lines = []
    for line in process.stderr:
        lines.append(line)
        if line.startswith("import time:") and line.split("|")[-1].strip() == module:
            break
    time.sleep(delay)
    assert process.poll() is None, "the command ended before the signal was sent"
    process.send_signal(signal.SIGINT)
    _, rest = process.communicate(timeout=60)
    said = [
        x for x in [*lines, *rest.splitlines(keepends=True)] if not x.startswith("import time:")
    ]
    return process.returncode, [x.rstrip("\n") for x in said]


INTERRUPTED = ["Error: interrupted; files already in place are untouched"]


@pytest.mark.slow  # six commands started and stopped, each about a second
@pytest.mark.parametrize(
    "module",
    [
        "voiceguide.entry",  # the script's first module: before click is loaded
        "click",
        "voiceguide.cli.group",
        "yaml",
        "jinja2",
        "voiceguide.speech.speaker",
    ],
)
def test_ctrl_c_during_start_up_is_one_line_and_exit_130(module: str) -> None:
    code, said = interrupt_after(module, "check", str(ROUTINES / "child.yaml"), "--no-cache")
    assert (code, said) == (128 + signal.SIGINT, INTERRUPTED)


@pytest.mark.usefixtures("real_engine")  # --no-cache: the check's words are spoken
@pytest.mark.parametrize("delay", [0.05, 0.2, 0.5, 1.0])
def test_ctrl_c_at_any_moment_of_a_check_is_one_line_and_exit_130(delay: float) -> None:
    # --no-cache: the words are spoken, so a late signal lands in the speech engine's work;
    # two routines: the check of one alone took 1 to 2 s, too close to the last delay
    args = ("check", str(ROUTINES / "classic.yaml"), str(ROUTINES / "partner.yaml"), "--no-cache")
    code, said = interrupt_after("voiceguide.entry", *args, delay=delay)
    assert (code, said) == (128 + signal.SIGINT, INTERRUPTED)
