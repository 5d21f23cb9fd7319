import pytest

from voiceguide.errors import InputError, TimingError
from voiceguide.plan import TimingRequest, make_plan
from voiceguide.routines import load_routine

from .conftest import ROUTINES

NEEDS = {"intro": 40_000, "outro": 5_000, "rest": 8_000, "stroking": 20_000, "kneading": 15_000}


@pytest.fixture(scope="module")
def classic():
    return load_routine(ROUTINES / "classic.yaml")


def test_default_plan_uses_default_durations_back_to_back(classic) -> None:
    plan = make_plan(classic, TimingRequest(), NEEDS)
    assert plan.parts[0].id == "intro" and plan.parts[-1].id == "outro"
    for before, after in zip(plan.parts, plan.parts[1:], strict=False):
        assert before.end_ms == after.start_ms
    assert plan.part("kneading").length_ms == 12 * 60_000
    assert plan.total_ms == 40_000 + 28 * 60_000 + 15 * 60_000 + 5_000


def test_requested_total_is_exact_and_steps_stay_in_bounds(classic) -> None:
    plan = make_plan(classic, TimingRequest(total_ms=40 * 60_000), NEEDS)
    assert plan.total_ms == 40 * 60_000
    for step in classic.steps:
        assert step.min_ms <= plan.part(step.id).length_ms <= step.max_ms


def test_pinned_step_keeps_its_length(classic) -> None:
    plan = make_plan(
        classic, TimingRequest(total_ms=45 * 60_000, pins={"kneading": 720_000}), NEEDS
    )
    assert plan.part("kneading").length_ms == 720_000 and plan.total_ms == 45 * 60_000


def test_infeasible_total_states_the_range(classic) -> None:
    with pytest.raises(
        TimingError, match=r"classic can be between \S+ and \S+ with these settings"
    ):
        make_plan(classic, TimingRequest(total_ms=60_000), NEEDS)


def test_unknown_pin_lists_valid_ids(classic) -> None:
    with pytest.raises(InputError, match="its steps are stroking, rubbing"):
        make_plan(classic, TimingRequest(pins={"kneeding": 1000}), NEEDS)


def test_step_shorter_than_its_words_names_step_and_shortest_fit(classic) -> None:
    with pytest.raises(
        TimingError, match='step "stroking" is 3m but its words take 4m; give it at least 4m'
    ):
        make_plan(classic, TimingRequest(), {**NEEDS, "stroking": 240_000})
