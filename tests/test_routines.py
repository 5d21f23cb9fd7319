"""Loading routines and shared parts; every shipped routine validates and builds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from voiceguide.build import BuildOptions, build
from voiceguide.cli import cli
from voiceguide.errors import InputError, RoutineError
from voiceguide.narration import narrate
from voiceguide.routine import load as routines
from voiceguide.routine import load_routine, parse_routine, part_names
from voiceguide.routine.load import load_part
from voiceguide.speech import Speaker

from .audio import decoded, rms_db
from .conftest import ROUTINES
from .pinned import assert_timing_contract, pinned_to_words
from .tiny import MINIMAL

SHIPPED = sorted(p.stem for p in ROUTINES.glob("*.yaml"))


def parse(text: str):
    return parse_routine(text, path="mine.yaml", routine_id="mine")


def test_the_four_routines_of_the_article_are_shipped() -> None:
    assert SHIPPED == ["child", "classic", "partner", "therapeutic"]


def test_classic_loads_with_six_steps_and_the_shared_rest() -> None:
    routine = load_routine(ROUTINES / "classic.yaml")
    assert routine.id == "classic"
    assert [s.id for s in routine.steps] == [
        "stroking", "rubbing", "kneading", "cupping", "vibration", "final-stroking",
    ]  # fmt: skip
    kneading = next(s for s in routine.steps if s.id == "kneading")
    assert (kneading.min_ms, kneading.max_ms) == (600_000, 900_000)
    assert routine.rest == load_part("rest").rest
    assert routine.rest is not None and routine.rest.duration_ms == 900_000


def test_minimal_routine_defaults_bounds_to_duration() -> None:
    step = parse(MINIMAL).steps[0]
    assert step.min_ms == step.max_ms == step.duration_ms == 60_000


def test_clock_durations_are_not_read_as_base_60_numbers() -> None:
    assert parse(MINIMAL.replace("1m", "12:30")).steps[0].duration_ms == 750_000


def test_an_implicit_date_is_text_not_a_refused_tag() -> None:
    assert parse(MINIMAL.replace("Tiny", "2024-05-01")).title == "2024-05-01"


def test_texts_and_ids_are_as_written_not_read_as_numbers() -> None:
    """YAML 1.1 reads 12:30 as 750, 010 as 8, 0x1F as 31 and 1_000 as 1000: once spoken so."""
    routine = parse(
        "title: 12:30\nintro: 1:30\nsteps:\n"
        "  - {id: 010, title: 0x1F, duration: 1m, say: 1_000}\n"
        "  - {id: 1e3, title: .nan, duration: 1m, say: +12.50, reminders: [0o17, 1:30:00]}\n"
    )
    assert (routine.title, routine.intro) == ("12:30", ("1:30",))
    assert [(s.id, s.title, s.say) for s in routine.steps] == [
        ("010", "0x1F", "1_000"),
        ("1e3", ".nan", "+12.50"),
    ]
    assert routine.steps[1].reminders == ("0o17", "1:30:00")


def test_a_step_id_of_64_characters_is_usable() -> None:
    assert parse(MINIMAL.replace("id: one", "id: " + "a" * 64)).steps[0].id == "a" * 64


@pytest.mark.parametrize("tagged", ["!!int abc", "!!float zz", "!!int 0b102", "!!int 12:30"])
def test_a_number_tag_on_text_is_the_text(tagged: str) -> None:
    """Once "unexpected ValueError", exit 1: YAML could not build the number."""
    assert parse(MINIMAL.replace("Tiny", tagged)).title == tagged.split(" ", 1)[1]


def test_included_parts_add_their_lines_after_the_routines_own() -> None:
    routine = parse(MINIMAL + "intro: Our own words.\ninclude: [preparation, women]\n")
    prep, women = load_part("preparation"), load_part("women")
    assert routine.intro == ("Our own words.", *prep.intro, *women.intro)
    assert routine.include == ("preparation", "women")
    assert routine.rest is None


def test_shared_contraindications_come_first_and_repeats_are_said_once() -> None:
    own = "contraindications: [Cancer, a fresh injury]\ninclude: [safety]\n"
    routine = parse(MINIMAL + own)
    shared = load_part("safety").contraindications
    assert "cancer" in shared
    assert routine.contraindications == (*shared, "a fresh injury")


def test_a_routines_own_rest_wins_over_the_included_one() -> None:
    own = "include: [rest]\nrest:\n  duration: 5m\n  say: Rest now.\n"
    rest = parse(MINIMAL + own).rest
    assert rest is not None and (rest.duration_ms, rest.say) == (300_000, "Rest now.")


@pytest.mark.parametrize("name", ["../parts/safety", "/etc/passwd", "safety\0", "Safety", ""])
def test_part_names_never_resolve_outside_the_parts_folder(name: str) -> None:
    with pytest.raises(RoutineError, match=r"include\[0\]: .* is not a shared part"):
        parse(MINIMAL + f"include: [{json.dumps(name)}]\n")
    with pytest.raises(KeyError):
        load_part(name)


def test_every_shipped_part_loads() -> None:
    assert part_names() == [
        "child-principles", "child-safety", "preparation", "principles", "rest", "safety",
        "women",
    ]  # fmt: skip
    for name in part_names():
        part = load_part(name)
        assert part.intro or part.contraindications or part.cautions or part.rest, name


def test_a_template_fault_in_a_part_names_the_part_file(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "mine.yaml").write_text("intro:\n  - Hello.\n  - Hello {{ nobody }}.\n")
    monkeypatch.setattr(routines, "_parts_dir", lambda language="en": tmp_path)
    load_part.cache_clear()
    try:
        routine = parse(MINIMAL + "include: [mine]\n")
        with pytest.raises(RoutineError) as err:
            narrate(routine)
    finally:
        load_part.cache_clear()
    assert str(err.value).startswith(
        f"{tmp_path / 'mine.yaml'}:3: intro[1]: template error: 'nobody' is undefined"
    )


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such routine file"):
        load_routine(tmp_path / "nothere.yaml")


# ---------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def shipped_builds(tmp_path_factory: pytest.TempPathFactory, speaker: Speaker) -> dict:
    """Every shipped routine built once with each step pinned to the shortest that holds
    its words (the whole text is spoken, the track stays short)."""
    out = tmp_path_factory.mktemp("shipped")
    built = {}
    for routine_id in SHIPPED:
        routine = load_routine(ROUTINES / f"{routine_id}.yaml")
        timing = pinned_to_words(routine, BuildOptions(), speaker.length_ms)
        build(routine, out, BuildOptions(timing=timing), speaker)
        built[routine_id] = {
            "mp3": out / f"{routine_id}.mp3",
            "plan": json.loads((out / f"{routine_id}.json").read_text()),
        }
    return built


@pytest.mark.parametrize("routine_id", SHIPPED)
def test_shipped_routine_builds_to_its_planned_length(shipped_builds, routine_id: str) -> None:
    built = shipped_builds[routine_id]
    steps = len(load_routine(ROUTINES / f"{routine_id}.yaml").steps)
    assert_timing_contract(built["mp3"], built["plan"], steps)


def test_a_users_own_file_builds_by_path_with_shared_parts_and_other_scripts(
    tmp_path: Path, clip_cache: Path
) -> None:
    mine = tmp_path / "elsewhere" / "mine.yaml"
    mine.parent.mkdir()
    mine.write_text(
        MINIMAL.replace("Stroke the back.", "Caresse légère, façon crème. Погладьте спину.")
        + "include: [safety]\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["build", str(mine), "-o", str(out), "--cache-dir", str(clip_cache)]
    )
    assert result.exit_code == 0, result.stderr
    plan = json.loads((out / "mine.json").read_text())
    audio = decoded(out / "mine.mp3")
    assert abs(audio.size * 1000 / 22050 - plan["total_ms"]) <= 50
    cyrillic = next(c for c in plan["events"] if c["text"] == "Погладьте спину.")
    assert rms_db(audio, cyrillic["start_ms"], cyrillic["end_ms"]) > -35
    assert any(c["text"] == "Cancer." for c in plan["events"])


def test_the_public_names_resolve_to_the_pipeline_stages() -> None:
    import voiceguide

    for name in voiceguide.__all__:
        assert getattr(voiceguide, name) is not None, name
    assert voiceguide.Speaker is __import__("voiceguide.speech").speech.Speaker
    with pytest.raises(AttributeError):
        voiceguide.no_such_name  # noqa: B018
