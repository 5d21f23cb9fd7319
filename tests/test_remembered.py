"""`voiceguide check` remembers a file found ok, and checks again when anything it rests on changes;
`voiceguide list` remembers its lines the same way.

Whether a file was checked or its verdict recalled is seen by counting the
calls of ``voiceguide.check.check_file`` (the real one, wrapped), and in a
fresh process by what it imported. The words are timed by the real engine
through the run's clip cache.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from voiceguide import check as check_module
from voiceguide import package_digest, verdict
from voiceguide.cli import cli

from .conftest import ROOT, ROUTINES
from .test_sounds import write_tone
from .test_startup import loaded
from .tiny import TINY

ROUTINE = TINY.replace("duration: 10s", "duration: 20s").replace("palms.", "palms & fingers.")


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file ``check`` really checks (not recalled), in order."""
    seen: list[Path] = []
    real = check_module.check_file

    def counting(path: Path, speaker: object = None) -> check_module.Checked:
        seen.append(Path(path))
        return real(path, speaker)  # type: ignore[arg-type]

    monkeypatch.setattr(check_module, "check_file", counting)
    return seen


def run(path: Path, cache: Path, *options: str) -> Result:
    return CliRunner().invoke(cli, ["check", str(path), "--cache-dir", str(cache), *options])


@pytest.fixture
def routine(tmp_path: Path) -> Path:
    path = tmp_path / "mine.yaml"
    # "&" gives a readability warning, which a recalled verdict must repeat
    path.write_text(ROUTINE, encoding="utf-8")
    return path


def test_an_unchanged_file_found_ok_is_not_checked_again_and_says_the_same(
    routine: Path, clip_cache: Path, checks: list[Path]
) -> None:
    first = run(routine, clip_cache)
    again = run(routine, clip_cache)
    assert (first.exit_code, again.exit_code) == (0, 0)
    assert first.stdout == again.stdout == f"ok {routine}\n"
    assert "&" in first.stderr and again.stderr == first.stderr  # the warning, repeated
    assert checks == [routine]  # the second run recalled it


@pytest.mark.parametrize(
    "change",
    ["file", "rate", "voice", "force", "code", "installed", "espeak environment", "clip"],
)
def test_any_change_it_rests_on_checks_again(
    routine: Path,
    clip_cache: Path,
    checks: list[Path],
    monkeypatch: pytest.MonkeyPatch,
    change: str,
) -> None:
    assert run(routine, clip_cache).exit_code == 0
    options: list[str] = []
    if change == "file":
        routine.write_text(routine.read_text().replace("slowly", "slowly "), encoding="utf-8")
    elif change == "rate":
        options = ["--rate", "151"]
    elif change == "voice":
        options = ["--voice", "gmw/en-us"]  # the default voice, named: another engine stamp
    elif change == "force":
        options = ["--force"]
    elif change == "code":
        monkeypatch.setattr(verdict, "code_digest", lambda: "another voiceguide")
    elif change == "installed":
        monkeypatch.setattr(verdict, "installed", lambda: ("PyYAML-7.0.dist-info",))
    elif change == "espeak environment":
        monkeypatch.setenv("VOICEGUIDE_BUNDLED_ESPEAK", "1")
    elif change == "clip":
        ticket = verdict.Verdicts(clip_cache, voice=None, rate_wpm=150).ticket(routine)
        assert ticket is not None
        lines = ticket.entry.read_text(encoding="utf-8").splitlines()
        Path(next(x.split(" ", 2)[2] for x in lines if x.startswith("clip "))).unlink()
    result = run(routine, clip_cache, *options)
    assert result.exit_code == 0, result.stderr
    assert checks == [routine, routine]


def test_the_code_digest_changes_with_any_file_of_the_package(tmp_path: Path) -> None:
    package = tmp_path / "voiceguide"
    shutil.copytree(
        ROOT / "src" / "voiceguide", package, ignore=shutil.ignore_patterns("__pycache__")
    )
    before = package_digest.folder_digest(str(package))
    template = package / "narration" / "templates" / "step.j2"
    template.write_bytes(template.read_bytes() + b" ")
    edited = package_digest.folder_digest(str(package))
    assert edited != before
    (package / "narration" / "__pycache__").mkdir()
    (package / "narration" / "__pycache__" / "x.pyc").write_bytes(b"bytecode")
    assert package_digest.folder_digest(str(package)) == edited  # bytecode is not the code


def test_a_file_with_a_problem_is_checked_every_time_and_never_stored(
    tmp_path: Path, checks: list[Path]
) -> None:
    cache = tmp_path / "clips"
    path = tmp_path / "bad.yaml"
    path.write_text(TINY.replace("duration: 12s", "duration: soon"), encoding="utf-8")
    for _ in range(2):
        result = run(path, cache)
        assert result.exit_code == 2 and "steps[0].duration" in result.stderr
    assert checks == [path, path]
    assert not (cache / verdict.FOLDER).exists()


def test_no_cache_neither_recalls_nor_stores(
    routine: Path, clip_cache: Path, tmp_path: Path, checks: list[Path]
) -> None:
    assert run(routine, clip_cache).exit_code == 0
    result = CliRunner().invoke(cli, ["check", str(routine), "--no-cache"])
    assert result.exit_code == 0
    assert checks == [routine, routine]


def test_a_file_edited_while_it_is_checked_is_checked_again(
    routine: Path, clip_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = check_module.check_file
    seen: list[Path] = []

    def editing(path: Path, speaker: object = None) -> check_module.Checked:
        seen.append(path)
        checked = real(path, speaker)  # type: ignore[arg-type]
        if len(seen) == 1:  # saved in the editor while the check ran
            routine.write_text(ROUTINE.replace("duration: 12s", "duration: soon"), encoding="utf-8")
        return checked

    monkeypatch.setattr(check_module, "check_file", editing)
    assert run(routine, clip_cache).exit_code == 0  # the file as it was read
    again = run(routine, clip_cache)
    assert again.exit_code == 2 and len(seen) == 2


def test_own_sound_file_changed_checks_again(
    tmp_path: Path, clip_cache: Path, checks: list[Path]
) -> None:
    own = tmp_path / "bell.wav"
    write_tone(own, 330.0, 0.5)
    path = tmp_path / "mine.yaml"
    path.write_text("title: T\nsounds:\n  step: bell.wav\n" + ROUTINE.split("\n", 1)[1])
    assert run(path, clip_cache).exit_code == 0
    assert run(path, clip_cache).exit_code == 0
    assert checks == [path]
    write_tone(own, 330.0, 0.6)
    assert run(path, clip_cache).exit_code == 0
    assert checks == [path, path]


def test_one_file_linked_from_two_folders_is_checked_for_each_folder(
    tmp_path: Path, clip_cache: Path, checks: list[Path]
) -> None:
    """A routine's own sounds are found beside the path it is given by: a link in a folder
    without the sound must not pass on the verdict of a link in a folder with it."""
    real = tmp_path / "real" / "mine.yaml"
    real.parent.mkdir()
    real.write_text("title: T\nsounds:\n  step: bell.wav\n" + ROUTINE.split("\n", 1)[1])
    with_sound, without = tmp_path / "a", tmp_path / "b"
    for folder in (with_sound, without):
        folder.mkdir()
        (folder / "mine.yaml").symlink_to(real)
    write_tone(with_sound / "bell.wav", 330.0, 0.5)
    assert run(with_sound / "mine.yaml", clip_cache).exit_code == 0
    assert run(without / "mine.yaml", clip_cache).exit_code == 2  # its bell.wav is missing
    assert checks == [with_sound / "mine.yaml", without / "mine.yaml"]


@pytest.mark.usefixtures("real_engine")  # the first check speaks with it
def test_a_repeat_check_loads_no_yaml_no_templates_no_numpy(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    routine = str(ROUTINES / "classic.yaml")
    code, first = loaded("check", routine, env=env)
    assert code == 0 and "jinja2" in first  # the first check renders the words
    code, modules = loaded("check", routine, env=env)
    assert code == 0
    assert not [m for m in ("numpy", "jinja2", "yaml", "num2words", "hashlib") if m in modules]


def test_a_repeat_listing_reads_no_yaml_and_follows_an_edited_routine(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "tiny.yaml").write_text(ROUTINE, encoding="utf-8")
    args = ("list", "--routines", str(mine))
    code, first = loaded(*args, env=env)
    assert code == 0 and "yaml" in first  # the first listing reads the files
    code, modules = loaded(*args, env=env)
    assert code == 0 and not [m for m in ("yaml", "jinja2", "numpy") if m in modules]

    def listing() -> list[str]:
        result = CliRunner().invoke(cli, list(args), env=env)
        assert result.exit_code == 0, result.stderr
        return [line for line in result.stdout.splitlines() if line.startswith("tiny ")]

    assert "Tiny back rub" in listing()[0]
    (mine / "tiny.yaml").write_text(ROUTINE.replace("Tiny back rub", "Short rub"), "utf-8")
    assert "Short rub" in listing()[0]  # not the remembered line
    (mine / "classic.yaml").write_text(ROUTINE, encoding="utf-8")  # now also one of yours
    assert "(yours:" in CliRunner().invoke(cli, list(args), env=env).stdout.splitlines()[1]
