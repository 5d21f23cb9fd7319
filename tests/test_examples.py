"""Every example in the README and in every ``--help`` runs as shown.

Commands run for real (the installed ``voiceguide``, pyttsx3 and ffmpeg) in a
temporary folder holding the example files the README names
(``tests/examples/*.yaml``), with the test run's clip cache. A ``console`` block
also shows output: each shown line (``...`` aside) must appear in what the
command prints, in order, with numbers, lengths and spacing free to differ
(speech lengths vary by milliseconds between runs of espeak-ng). ``scripts/run ARGS`` is checked as the
``voiceguide build`` command the script runs, ``scripts/serve`` as its ``voiceguide serve output``.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from voiceguide.cli import cli

from .conftest import ROOT
from .phone import wait_until_answering

EXAMPLES = Path(__file__).parent / "examples"
VOICEGUIDE = Path(sys.executable).parent / "voiceguide"
NOT_RUN = (
    "scripts/test", "scripts/bench", "python3 -m venv", ".venv/bin/pip ", "pipx ", "source ", "HYPOTHESIS",
)  # fmt: skip


@dataclass(frozen=True)
class Example:
    where: str
    command: str
    shown: tuple[str, ...] = ()  # output lines shown under it, for console blocks


def readme_examples() -> list[Example]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found: list[Example] = []
    for kind, body in re.findall(r"```(bash|console)\n(.*?)```", text, re.S):
        if kind == "bash":
            for line in body.splitlines():
                command = line.split("  #")[0].strip()
                if command and not command.startswith("#"):
                    found.append(Example("README", command))
            continue
        command, shown = None, []
        for line in [*body.splitlines(), "$ "]:
            if line.startswith("$ "):
                if command:
                    found.append(Example("README", command, tuple(shown)))
                command, shown = line[2:].strip(), []
            else:
                shown.append(line)
    return [e for e in found if not e.command.startswith(NOT_RUN)]


def help_examples() -> list[Example]:
    found = []
    commands = {"": cli, **{name: cmd for name, cmd in cli.commands.items()}}
    for name, command in commands.items():
        for line in (command.help or "").splitlines():
            line = line.strip()
            if line.startswith("voiceguide "):
                found.append(Example(f"voiceguide {name} --help".replace("  ", " "), line))
    return found


ALL = readme_examples() + help_examples()


def test_the_examples_are_found() -> None:
    commands = [e.command for e in ALL]
    assert "voiceguide list" in commands
    assert any(c.startswith("voiceguide script classic --duration 15m") for c in commands)
    assert any(c.startswith("scripts/run classic") for c in commands)
    for name in cli.commands:
        assert any(e.where == f"voiceguide {name} --help" for e in ALL), name


def test_every_command_has_an_example_in_the_readme() -> None:
    shown = {
        shlex.split(e.command)[1]
        for e in readme_examples()
        if e.command.startswith("voiceguide ") and len(shlex.split(e.command)) > 1
    }
    assert set(cli.commands) <= shown, set(cli.commands) - shown


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder away from the checkout, with the README's example files in it."""
    folder = tmp_path_factory.mktemp("examples")
    for path in EXAMPLES.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    (folder / "path" / "to").mkdir(parents=True)
    shutil.copy(EXAMPLES / "my-routine.yaml", folder / "path" / "to" / "my-routine.yaml")
    return folder


def as_run(command: str) -> str:
    """``scripts/run ARGS`` as the ``voiceguide build`` command the script runs."""
    script = (ROOT / "scripts" / "run").read_text()
    assert 'voiceguide" build -o "$ROOT/output" "$@"' in script
    assert 'voiceguide" build --all -o "$ROOT/output" "$@"' in script
    args = shlex.split(command)[1:]
    names = bool(args) and not args[0].startswith("-")
    return shlex.join(["voiceguide", "build", *([] if names else ["--all"]), *args])


def as_serve(command: str) -> str:
    """``scripts/serve ARGS`` as the ``voiceguide serve`` command the script runs."""
    script = (ROOT / "scripts" / "serve").read_text()
    assert 'exec "$VENV/bin/voiceguide" serve "$ROOT/output" "$@"' in script
    return shlex.join(["voiceguide", "serve", "output", *shlex.split(command)[1:]])


def test_scripts_run_says_the_next_step() -> None:
    """The quick start's first command ends by naming the second (after a build that worked)."""
    script = (ROOT / "scripts" / "run").read_text()
    assert script.rstrip().endswith('exit "$status"')
    assert 'echo "Next: scripts/serve, then scan its QR code' in script


def run(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    if command.startswith("scripts/run"):
        command = as_run(command)
    command = command.replace(".venv/bin/voiceguide", "voiceguide")  # the installed one
    env = {**os.environ, "CI": "1"}  # the run's clip cache (conftest's cache_home)
    env.pop("VOICEGUIDE_ROUTINES", None)
    env["PATH"] = f"{VOICEGUIDE.parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        command, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def serve(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A ``voiceguide serve`` example runs until Ctrl-C: start it (on a free port, so that
    runs side by side do not collide), wait for the address, then stop it as a user would."""
    import signal
    import time

    command = command.replace(".venv/bin/voiceguide", "voiceguide")
    if not list((cwd / "output").glob("*.json")):  # serve refuses a folder with no tracks
        assert run("voiceguide build classic", cwd).returncode == 0
    env = {
        **os.environ,
        "CI": "1",
        "PATH": f"{VOICEGUIDE.parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    args = [*shlex.split(command), "--port", "0"]
    process = subprocess.Popen(
        args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    for line in process.stdout:
        lines.append(line)
        said = "".join(lines)
        if "Anyone with this address" in said and "Open on your phone: " in said:
            break
        if time.monotonic() > deadline:
            break
    address = next(
        (line.split(": ", 1)[1].strip() for line in lines if line.startswith("Open on your")), None
    )
    assert address, lines
    wait_until_answering(address, process, deadline)  # Ctrl-C must land on a serving server
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    return subprocess.CompletedProcess(args, process.returncode, "".join(lines) + out, err)


def digits_free(line: str) -> str:
    """The line with every length, time and number a placeholder, spacing ignored."""
    line = re.sub(r"\d+(?::\d+)+", "T", line)
    line = re.sub(r"\d+(?:\.\d+)?[hms](?:\d+(?:\.\d+)?[ms])*", "D", line)
    return " ".join(re.sub(r"\d+(?:\.\d+)?", "#", line).split())


@pytest.mark.usefixtures("real_engine")  # the examples build and check, speaking with it
@pytest.mark.parametrize("example", ALL, ids=lambda e: f"{e.where}: {e.command}")
def test_example_runs_as_shown(example: Example, workdir: Path) -> None:
    command = as_serve(example.command) if example.command.startswith("scripts/serve") else None
    serving = command is not None or example.command.split()[:2] in (
        ["voiceguide", "serve"],
        [".venv/bin/voiceguide", "serve"],
    )
    command = command or example.command
    result = serve(command, workdir) if serving else run(command, workdir)
    output = (result.stdout + result.stderr).splitlines()
    refused = any(line.startswith("Error:") for line in example.shown)
    expected = 130 if serving else 2 if refused else 0  # a server runs until Ctrl-C
    assert result.returncode == expected, result.stderr
    if serving:  # the QR code, the address and its token differ each run: the labels must be there
        labels = ("Open on your phone: http://", "Podcast feed:", "Anyone with this address")
        for label in labels:
            assert any(line.startswith(label) for line in output), (label, output)
        return
    # every line shown appears, in order
    remaining = [digits_free(line) for line in output]
    for line in example.shown:
        if not line.strip() or line.strip() == "...":
            continue
        wanted = digits_free(line)
        assert wanted in remaining, f"{line!r} not in the output of {example.command}"
        remaining = remaining[remaining.index(wanted) + 1 :]


def test_help_examples_use_only_known_commands_and_options() -> None:
    for example in help_examples() + readme_examples():
        args = shlex.split(example.command.split("|")[0])
        if args[0] != "voiceguide":
            continue
        command = cli.commands[args[1]] if len(args) > 1 and args[1] in cli.commands else cli
        known = {opt for p in command.params for opt in getattr(p, "opts", [])}
        for arg in args[2:]:
            if arg.startswith("-"):
                assert arg in known, (example.command, arg)
        assert isinstance(command, click.Command)


@pytest.mark.usefixtures("real_engine")
def test_the_benchs_default_case_fits_its_routine(workdir: Path) -> None:
    """``scripts/bench`` builds therapeutic at its default ``--duration``: a routine whose
    bounds move (a set-up step's ``min``) must not leave the bench failing on its first case."""
    bench = (ROOT / "scripts" / "bench.py").read_text()
    duration = re.search(r'"--duration", default="([^"]+)"', bench)
    assert duration is not None and '/ "routines" / "therapeutic.yaml"' in bench
    result = run(f"voiceguide script therapeutic --duration {duration[1]} --voice espeak", workdir)
    assert result.returncode == 0, result.stderr
