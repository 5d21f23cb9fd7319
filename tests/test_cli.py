"""Every command through click's CliRunner: success, bad input (2) and tool failure (1)."""

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from voiceguide.cli import cli

from .audio import decoded
from .conftest import ROUTINES


@pytest.fixture
def run():
    def invoke(*args: str, catch: bool = False):
        runner = CliRunner()
        base = ["--routines", str(ROUTINES)] if args and args[0] in ("list", "check") else []
        return runner.invoke(cli, [*args, *base], catch_exceptions=catch)

    return invoke


@pytest.mark.parametrize("command", [[], ["list"], ["script"], ["build"], ["voices"], ["check"]])
def test_help(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.stdout
    if command:
        assert "Example" in result.stdout


def test_bare_voiceguide_shows_the_help_on_its_lines_as_click_does() -> None:
    """click 8.2+ raises its help as a usage error; it was squashed into one Error: line."""
    result = CliRunner().invoke(cli, [])
    help_text = CliRunner().invoke(cli, ["--help"]).stdout
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == help_text and "\nCommands:\n" in result.stderr


def test_list_shows_every_routine_with_its_steps(run) -> None:
    result = run("list")
    assert result.exit_code == 0
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert set(lines) == {p.stem for p in ROUTINES.glob("*.yaml")}
    assert "6 steps" in lines["classic"]


def test_script_prints_plan_and_timed_narration_without_engine_chatter(run, clip_cache) -> None:
    result = run("script", str(ROUTINES / "classic.yaml"), "--cache-dir", str(clip_cache))
    assert result.exit_code == 0, result.stderr
    assert "Step 3 of 6: Kneading." in result.stdout and "Audio saved" not in result.stdout
    assert "] Step 3: Kneading" in result.stdout  # the part's span, then its lines


def test_build_writes_mp3_and_plan(run, tmp_path, clip_cache) -> None:
    result = run(
        "build", str(ROUTINES / "classic.yaml"), "-o", str(tmp_path), "--cache-dir", str(clip_cache)
    )
    assert result.exit_code == 0, result.stderr
    plan = json.loads((tmp_path / "classic.json").read_text())
    assert abs(decoded(tmp_path / "classic.mp3").size * 1000 / 22050 - plan["total_ms"]) <= 50
    assert "Audio saved" not in result.stdout


def test_build_all_builds_every_routine(tmp_path, clip_cache) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "build",
            "--all",
            "--routines",
            str(ROUTINES),
            "-o",
            str(tmp_path),
            "--cache-dir",
            str(clip_cache),
            "--rest",
            "0s",  # four routines: keep the audio short
        ],
    )
    assert result.exit_code == 0, result.stderr
    ids = {p.stem for p in ROUTINES.glob("*.yaml")}
    assert {p.stem for p in tmp_path.glob("*.mp3")} == ids


def test_unknown_routine_is_exit_2_with_one_line(run) -> None:
    result = run("build", "nosuch", "--routines", str(ROUTINES))
    assert result.exit_code == 2
    assert result.stderr.startswith('Error: no routine "nosuch"') and result.stderr.count("\n") == 1


def test_bad_duration_option_is_exit_2_naming_the_option(run) -> None:
    result = run("script", "classic", "--routines", str(ROUTINES), "--duration", "soon")
    assert result.exit_code == 2 and "--duration" in result.stderr and "12:30" in result.stderr


def test_missing_ffmpeg_is_exit_1(run, tmp_path, clip_cache, monkeypatch) -> None:
    monkeypatch.setattr("voiceguide.ffmpeg.ffmpeg_exe", lambda: "/nonexistent/ffmpeg")
    result = run(
        "build",
        "classic",
        "--routines",
        str(ROUTINES),
        "-o",
        str(tmp_path),
        "--cache-dir",
        str(clip_cache),
    )
    assert result.exit_code == 1 and result.stderr.startswith("Error:")
    assert list(tmp_path.iterdir()) == []


def test_check_accepts_the_shipped_routines(run, clip_cache) -> None:  # it times their words
    result = run("check")
    assert result.exit_code == 0 and "ok" in result.stdout


def test_list_lists_the_good_routines_and_reports_a_broken_one(tmp_path) -> None:
    """One broken file in the routines folder refused the whole list (build --all and check
    report it and handle the others)."""
    mine = tmp_path / "rr"
    mine.mkdir()
    (mine / "bad.yaml").write_text("title: [\n")
    (mine / "good.yaml").write_text(
        "title: Good\nsteps:\n  - id: one\n    title: One\n    duration: 1m\n    say: Stroke.\n"
    )
    result = CliRunner().invoke(cli, ["list", "--routines", str(mine)])
    assert result.exit_code == 2
    assert [line.split()[0] for line in result.stdout.splitlines()] == [
        "child", "classic", "good", "partner", "therapeutic",
    ]  # fmt: skip
    assert (
        result.stderr.startswith(f"Error: {mine / 'bad.yaml'}:") and result.stderr.count("\n") == 1
    )


def test_check_reports_a_bad_file_with_exit_2(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: x\nsteps: []\n")
    result = CliRunner().invoke(cli, ["check", str(bad)])
    assert result.exit_code == 2 and f"{bad}:2: steps: must be a list" in result.stderr


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["script", "classic", "--rate", "fast"],
            'Error: --rate: "fast" is not a number of words a minute from 80 to 400, e.g. 150',
        ),
        (
            ["script", "classic", "--rate", "1000"],
            'Error: --rate: "1000" is not a number of words a minute from 80 to 400, e.g. 150',
        ),
        (
            ["build", "classic", "--jobs", "0"],
            'Error: --jobs: "0" is not a number of builds at once: 1 or more',
        ),
        (
            ["build", "classic", "--loudness", "loud"],
            'Error: --loudness: "loud" is not a loudness in LUFS from -40 to -6, e.g. -16',
        ),
        (
            ["biuld", "classic"],
            'Error: no command "biuld"; did you mean "build"? '
            "(commands: build, check, list, script, serve, voices)",
        ),
        (["script"], "Error: missing ROUTINE; for example: voiceguide script classic"),
        (
            ["script", "classic", "--durration", "20m"],
            "Error: --durration: no such option; did you mean --duration? "
            "(see `voiceguide script --help`)",
        ),
        (
            ["script", "classic", "--duration", "30"],
            'Error: --duration: "30" has no unit; did you mean 30m? (durations are written '
            "90s, 12m, 30 min, 1.5h, 1h30m, 1h 5m 30s, 12:30 or 1:02:03)",
        ),
        (["build"], "Error: name a ROUTINE (see `voiceguide list`), or give --all"),
        # click's own words: "Got unexpected extra argument (child)", "not a valid integer range"
        (
            ["script", "classic", "child"],
            'Error: "child": an argument too many; `voiceguide script` takes one ROUTINE '
            "(see `voiceguide script --help`)",
        ),
        (
            ["list", "extra"],
            'Error: "extra": an argument too many; `voiceguide list` takes no arguments, only '
            "options (see `voiceguide list --help`)",
        ),
        (
            ["serve", "--port", "abc"],
            'Error: --port: "abc" is not a port from 0 to 65535 (0: any free one), e.g. 8765',
        ),
        # conflicting options: one of them was silently ignored
        (
            ["build", "--all", "classic"],
            "Error: --all builds every routine; leave out classic, or --all",
        ),
        *[
            (
                [*command, "--cache-dir", "x", "--no-cache"],
                "Error: --cache-dir and --no-cache conflict: --no-cache keeps no clips; "
                "give one of them",
            )
            for command in (["script", "classic"], ["build", "classic"], ["check", "classic"])
        ],
        (
            ["script", "classic", "--no-reminders", "--max-silence", "1s"],
            "Error: --max-silence and --no-reminders conflict: --max-silence is when reminders "
            "fill a silence, --no-reminders leaves every silence unfilled; give one of them",
        ),
    ],
)
def test_every_error_is_one_line_exit_2_without_a_usage_banner(args: list[str], line: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert (result.exit_code, result.stderr) == (2, line + "\n")
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["list", "--routines", ""],
            "--routines: empty; give the folder that holds your routine files",
        ),
        (["list", "--language", ""], "--language: empty; give a language tag such as de or ru"),
        (["voices", "--language", " "], "--language: empty; give a language tag such as de or ru"),
        (
            ["script", "classic", "--voice", ""],
            "--voice: empty; give a voice from `voiceguide voices`, e.g. joe or espeak",
        ),
        (
            ["build", "classic", "--ambient", ""],
            "--ambient: empty; give noise, waves or a path to an audio file",
        ),
        (
            ["build", "classic", "--cache-dir", ""],
            "--cache-dir: empty; give a folder for the clip cache, or --no-cache",
        ),
        (
            ["build", "classic", "-o", ""],
            "--output: empty; give a folder, or FILE.mp3 for one routine's track",
        ),
        (
            ["serve", ""],
            "DIRECTORY: empty; give the folder a build wrote its tracks to, e.g. output",
        ),
    ],
)
def test_an_empty_value_is_refused_naming_the_option_not_taken_for_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], line: str
) -> None:
    """--cache-dir "" cached clips in the current folder (~70 folders), -o "" built there,
    --voice "" and the others were taken for the option left out."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, args)
    assert (result.exit_code, result.stderr, result.stdout) == (2, f"Error: {line}\n", "")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "accepts"),
    [
        (["build", "classic", "--cache-dir"], "give a folder for the clip cache, or --no-cache"),
        (["serve"], "give the folder a build wrote its tracks to, e.g. output"),
    ],
)
def test_a_file_given_for_a_folder_is_one_line_saying_what_is_accepted(
    tmp_path: Path, args: list[str], accepts: str
) -> None:
    """click said "Directory '...' is a file."; serve FILE suggested `build -o FILE`, which fails."""
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"")
    result = CliRunner().invoke(cli, [*args, str(junk)])
    name = "DIRECTORY" if args == ["serve"] else "--cache-dir"
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f'Error: {name}: "{junk}" is a file; {accepts}\n'


def _numeric_options() -> list[tuple[str, str]]:
    """(command, option) for every option of every command that takes a number or a time."""
    from voiceguide.cli.options import DurationType, Number, StepPinType

    numeric = (Number, DurationType, StepPinType, click.IntRange, click.FloatRange)
    found = []
    for name, command in sorted(cli.commands.items()):
        for param in command.params:
            if isinstance(param, click.Option) and (
                isinstance(param.type, numeric) or param.type in (click.INT, click.FLOAT)
            ):
                found.append((name, param.opts[-1]))
    return found


NUMERIC_OPTIONS = _numeric_options()


def test_the_numeric_options_are_all_found() -> None:
    assert {option for _, option in NUMERIC_OPTIONS} >= {
        "--duration", "--step", "--rest", "--pause", "--max-silence", "--lead-in", "--rate",
        "--loudness", "--jobs", "--port",
    }  # fmt: skip


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e999", "-nan"])
@pytest.mark.parametrize(("command", "option"), NUMERIC_OPTIONS)
def test_every_numeric_option_refuses_nan_and_infinities_in_one_line(
    command: str, option: str, value: str
) -> None:
    """--loudness nan once built a silent track (-70 LUFS) with exit 0."""
    given = f"one={value}" if option == "--step" else value
    routine = [] if command in ("serve", "voices", "list") else ["classic"]
    result = CliRunner().invoke(cli, [command, *routine, option, given])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"Error: {option}") and result.stderr.count("\n") == 1
    assert result.stdout == ""


def _failed_build(tmp_path, failure: str):
    routine = tmp_path / "mine.yaml"
    say = "Stroke {{ nobody }}." if failure == "routine" else "Stroke the back."
    voice = "voice: nosuchvoice\n" if failure == "voice" else ""
    routine.write_text(f"title: T\n{voice}steps:\n  - id: one\n    title: One\n    duration: 1m\n    say: {say}\n")  # fmt: skip
    (tmp_path / "afile").write_text("")
    cache = tmp_path / ("afile/clips" if failure == "cache" else "clips")
    out = tmp_path / "new" / "deeper"
    result = CliRunner().invoke(
        cli, ["build", str(routine), "-o", str(out), "--cache-dir", str(cache)]
    )
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output
    assert not (tmp_path / "new").exists()


def test_a_build_with_an_unknown_voice_leaves_no_new_folder_behind(tmp_path) -> None:
    """A routine error, an unknown voice or an unwritable cache once left the new, empty
    output folder (and its parents) behind."""
    _failed_build(tmp_path, "voice")


@pytest.mark.usefixtures("whole_track")  # the build gets as far as narrating or speaking
@pytest.mark.parametrize("failure", ["routine", "cache"])
def test_a_build_failed_in_its_routine_or_cache_leaves_no_new_folder_behind(
    tmp_path, monkeypatch, failure: str
) -> None:
    from voiceguide.speech import FakeEngine

    monkeypatch.setattr("voiceguide.speakers.make_engine", lambda *a, **k: FakeEngine())
    _failed_build(tmp_path, failure)


@pytest.mark.usefixtures("whole_track")  # the template is rendered where the track is built
def test_a_folder_that_was_there_stays_after_a_failed_build(tmp_path) -> None:
    routine = tmp_path / "mine.yaml"
    routine.write_text("title: T\nsteps:\n  - {id: one, title: One, duration: 1m, say: '{{ x }}'}\n")  # fmt: skip
    out = tmp_path / "out"
    out.mkdir()
    result = CliRunner().invoke(cli, ["build", str(routine), "-o", str(out)])
    assert result.exit_code == 2 and out.is_dir()


def test_output_into_a_reader_that_stopped_is_a_quiet_stop(tmp_path: Path) -> None:
    """`voiceguide list | head -1`: the reader is gone, so the command stops as one killed by
    SIGPIPE would (141), with no "unexpected BrokenPipeError" line."""
    import subprocess

    from .phone import CLI

    command = [*CLI, "list"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()  # before the command has printed a line
        error = process.stderr.read()
        status = process.wait(timeout=60)
    assert (status, error) == (141, b"")
