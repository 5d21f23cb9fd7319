"""Routines from any folder: the built-in ones ship inside the package, the user's add to them.

Run as a user would, in a fresh process (``voiceguide`` on PATH) from a
folder that is not the checkout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from voiceguide.output.files import routine_track_name
from voiceguide.routine.library import builtin_dir, catalogue

from .tiny import TINY, tiny_routine

VOICEGUIDE = Path(sys.executable).parent / "voiceguide"
BUILT_IN = ["child", "classic", "partner", "therapeutic"]


def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, **(env or {})}
    if not env or "VOICEGUIDE_ROUTINES" not in env:
        environment.pop("VOICEGUIDE_ROUTINES", None)
    return subprocess.run(
        [str(VOICEGUIDE), *args], cwd=cwd, env=environment, capture_output=True, text=True
    )


def listed(output: str) -> dict[str, str]:
    return {line.split()[0]: line for line in output.splitlines()}


def test_the_articles_routines_ship_inside_the_package() -> None:
    assert builtin_dir().parts[-2:] == ("voiceguide", "routines")
    assert sorted(p.stem for p in builtin_dir().glob("*.yaml")) == BUILT_IN
    assert all(entry.builtin for entry in catalogue(builtin_dir()).values())


def test_list_works_from_any_folder(tmp_path: Path) -> None:
    result = run(tmp_path, "list")
    assert result.returncode == 0, result.stderr
    assert sorted(listed(result.stdout)) == BUILT_IN
    assert "(yours" not in result.stdout


def test_a_routines_folder_here_adds_yours_and_says_which_wins(tmp_path: Path) -> None:
    tiny_routine(tmp_path / "routines", "mine")
    tiny_routine(tmp_path / "routines", "classic")  # the same id as a built-in one
    lines = listed(run(tmp_path, "list").stdout)
    assert sorted(lines) == sorted([*BUILT_IN, "mine"])
    assert lines["mine"].endswith("(yours: routines/mine.yaml)")
    assert lines["classic"].endswith(
        "(yours: routines/classic.yaml, used in place of the built-in one)"
    )
    assert "Tiny back rub" in lines["classic"]


@pytest.mark.parametrize("how", ["--routines", "VOICEGUIDE_ROUTINES"])
def test_a_folder_given_by_option_or_environment_adds_yours(tmp_path: Path, how: str) -> None:
    tiny_routine(tmp_path / "elsewhere", "mine")
    here = tmp_path / "here"
    here.mkdir()
    if how == "--routines":
        result = run(here, "list", "--routines", str(tmp_path / "elsewhere"))
    else:
        result = run(here, "list", env={"VOICEGUIDE_ROUTINES": str(tmp_path / "elsewhere")})
    assert sorted(listed(result.stdout)) == sorted([*BUILT_IN, "mine"])


def test_a_misspelled_routine_gets_a_did_you_mean(tmp_path: Path) -> None:
    result = run(tmp_path, "script", "clasic")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith('Error: no routine "clasic"; did you mean "classic"? ')
    assert result.stderr.count("\n") == 1


def test_build_a_built_in_routine_from_any_folder_and_name_its_files(
    tmp_path: Path, clip_cache: Path
) -> None:
    short = ["--duration", "10m", "--rest", "0", "--cache-dir", str(clip_cache)]
    plain = run(tmp_path, "build", "child", *short)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.strip() == "built output/child.mp3"
    named = run(tmp_path, "build", "child", *short, "--name", "child-10m")
    assert named.stdout.strip() == "built output/child-10m.mp3"
    as_file = run(tmp_path, "build", "child", *short, "-o", "tracks/evening.mp3")
    assert as_file.stdout.strip() == "built tracks/evening.mp3"
    for folder, name in (("output", "child"), ("output", "child-10m"), ("tracks", "evening")):
        for suffix in (".mp3", ".vtt", ".json"):
            assert (tmp_path / folder / f"{name}{suffix}").is_file()
        plan = json.loads((tmp_path / folder / f"{name}.json").read_text())
        assert plan["routine"] == "child" and plan["total_ms"] == 600_000


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--name", "../up"], '--name "../up": a track\'s name is lowercase letters, digits'),
        # names whose files the folder would not list, or that would overwrite another's
        (["--name", "Mine"], '--name "Mine": a track\'s name is lowercase letters, digits'),
        (["--name", "x.mp3"], '--name "x.mp3": a track\'s name is lowercase'),
        (["--name", "foo.chapters"], '--name "foo.chapters": a track\'s name is lowercase'),
        (["--name", "index"], '--name "index": the folder\'s own files use this name'),
        (["--name", "feed"], '--name "feed": the folder\'s own files use this name'),
        # --name cannot go with -o FILE.mp3: the advice is another file name
        (
            ["-o", "out/index.mp3"],
            '-o "index": the folder\'s own files use this name; give the file another name, '
            "for example -o classic-30m.mp3",
        ),
        (["-o", "out/Mine.mp3"], '-o "Mine": a track\'s name is lowercase letters, digits'),
        (["--name", "a", "-o", "x.mp3"], "-o x.mp3 names the file already; leave out --name"),
        (["classic", "--name", "two"], "--name and -o FILE.mp3 name one routine's track"),
    ],
)
def test_a_name_stays_in_the_output_folder_and_names_one_track(
    tmp_path: Path, args: list[str], said: str
) -> None:
    routine = tiny_routine(tmp_path, "tiny", TINY)
    result = run(tmp_path, "build", str(routine), *args)
    assert result.returncode == 2 and said in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "output").exists() or not list((tmp_path / "output").iterdir())


@pytest.mark.parametrize("command", [["list"], ["check"], ["script", "classic"], ["build", "x"]])
def test_a_routines_folder_that_is_not_there_is_exit_2_naming_it(
    tmp_path: Path, command: list[str]
) -> None:
    result = run(tmp_path, *command, "--routines", str(tmp_path / "nothere"))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"Error: --routines {tmp_path / 'nothere'}: not a folder; "
        "give the folder that holds your routine files\n"
    )


@pytest.mark.parametrize("command", [["list"], ["check"], ["script", "classic"], ["build", "x"]])
def test_a_routines_folder_in_the_environment_is_checked_as_the_option_is(
    tmp_path: Path, command: list[str]
) -> None:
    """$VOICEGUIDE_ROUTINES naming no folder was passed over: `list` exited 0 without yours."""
    result = run(tmp_path, *command, env={"VOICEGUIDE_ROUTINES": str(tmp_path / "nothere")})
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"Error: $VOICEGUIDE_ROUTINES={tmp_path / 'nothere'}: not a folder; "
        "give the folder that holds your routine files\n"
    )


def test_debug_shows_where_an_options_check_failed(tmp_path: Path) -> None:
    """An error found while the options are read (the command has not run) is one line too,
    and --debug adds its traceback, as for any other error."""
    result = run(tmp_path, "--debug", "list", env={"VOICEGUIDE_ROUTINES": str(tmp_path / "no")})
    assert result.returncode == 2
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert result.stderr.splitlines()[-1].startswith("Error: $VOICEGUIDE_ROUTINES=")


def test_a_routine_whose_id_is_a_folder_file_needs_a_name(tmp_path: Path) -> None:
    routine = tiny_routine(tmp_path, "index", TINY)
    result = run(tmp_path, "build", str(routine))
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f'Error: {routine}: the routine id "index" is a name the output folder keeps for its '
        "own files (feed, icon, index, manifest, service-worker, sw); rename the file (for "
        "example my-index.yaml), or build it with --name my-index\n"
    )
    assert not (tmp_path / "output" / "index.mp3").exists()


@pytest.mark.parametrize(
    ("routine_id", "language", "name"),
    [("classic", "en", "classic"), ("classic", "en-GB", "classic"), ("classic", "ru", "classic-ru"),
     ("classic", "pt-BR", "classic-pt-br"), ("index", "de", "index-de")],
)  # fmt: skip
def test_a_routines_track_is_named_for_its_id_and_its_language(
    routine_id: str, language: str, name: str
) -> None:
    assert routine_track_name(routine_id, language) == name
