"""`voiceguide list`'s whole default length: guessed without speaking, held to the plan and
to a real build."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from voiceguide import estimate
from voiceguide.audio.sounds import builtin_lengths_ms
from voiceguide.cli import cli
from voiceguide.narration import LEAD_IN_MS
from voiceguide.narration.render import PARAGRAPH_PAUSE_MS, SENTENCE_PAUSE_MS
from voiceguide.routine import load_routine
from voiceguide.settings import PAUSE_MS, BuildOptions, narrate_with
from voiceguide.speech.pace import guess_ms
from voiceguide.timeline import make_plan, needs
from voiceguide.timeline.fit import first_guess
from voiceguide.timeline.place import TAIL_SILENCE_MS

from .conftest import ROUTINES


def test_the_restated_defaults_are_the_builds() -> None:
    assert estimate.LEAD_IN_MS == LEAD_IN_MS
    assert estimate.PAUSE_MS == PAUSE_MS
    assert estimate.SENTENCE_PAUSE_MS == SENTENCE_PAUSE_MS
    assert estimate.PARAGRAPH_PAUSE_MS == PARAGRAPH_PAUSE_MS
    assert estimate.TAIL_SILENCE_MS == TAIL_SILENCE_MS


@pytest.mark.parametrize("name", sorted(p.stem for p in ROUTINES.glob("*.yaml")))
def test_the_guess_is_within_ten_seconds_of_the_plan_fitted_to_the_same_guess(name: str) -> None:
    """The plan a cold build starts from: the narration's words, guessed, fitted."""
    routine = load_routine(ROUTINES / f"{name}.yaml")
    options = BuildOptions()
    words = narrate_with(routine, options, first_guess(routine, options.timing))
    plan = make_plan(
        routine,
        options.timing,
        needs(words, lambda text: guess_ms(text, options.rate_wpm), builtin_lengths_ms()),
    )
    assert abs(estimate.default_length_ms(routine) - plan.total_ms) < 10_000


def test_the_guess_reads_the_first_branch_of_a_template_and_a_name_as_two_words() -> None:
    assert estimate._as_said(
        "It takes {{ routine.length }}{% if rest.length %}, then a rest{% endif %}. "
        "{% if routine.lying %}Lie down.{% else %}Sit on a chair, with a cushion.{% endif %}"
    ) == ("It takes two words, then a rest. Lie down.")


def test_list_shows_the_whole_default_length() -> None:
    result = CliRunner().invoke(cli, ["list", "--routines", str(ROUTINES)])
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert "  about 48 min      (28m massage, 15m rest)  Classic back massage" in lines["classic"]
    assert "  about 1 h 20 min  (1h massage, 15m rest)   " in lines["therapeutic"]


def test_the_guess_is_within_a_minute_of_a_real_build(classic_build: dict) -> None:
    """The classic routine built at its own lengths with the real engine: 47m43s today."""
    routine = load_routine(ROUTINES / "classic.yaml")
    built_ms = classic_build["plan"]["total_ms"]
    assert abs(estimate.default_length_ms(routine) - built_ms) < 60_000
