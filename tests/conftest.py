from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from voiceguide.build import BuildOptions, build
from voiceguide.routine import load_routine
from voiceguide.speech import Speaker, make_engine
from voiceguide.timeline import TimingRequest

# Property and fuzz tests run a bounded, repeatable set of examples so the suite stays fast
# and a red run can be re-run; HYPOTHESIS_PROFILE=thorough runs many random ones to hunt bugs.
settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=2_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The fast lane (`scripts/test -m "not slow"`) leaves out every test that builds a whole
# track with real speech and ffmpeg: those that use one of these fixtures, and those
# marked @pytest.mark.slow one by one. CI runs everything.
SLOW_FIXTURES = {
    "classic_build",
    "tiny_good",
    "noise_build",
    "shipped_builds",
    "twenty_minutes",
    "kneading_pinned",
    "quiet_build",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


ROOT = Path(__file__).resolve().parent.parent
ROUTINES = ROOT / "src" / "voiceguide" / "routines"


@pytest.fixture(scope="session", autouse=True)
def cache_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's own cache folder: commands that use the default clip cache (``check``,
    a build without --cache-dir) never touch the user's ~/.cache."""
    home = tmp_path_factory.mktemp("cache-home")
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(home)
    yield home
    if before is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture(scope="session")
def clip_cache(cache_home: Path) -> Path:
    """One clip cache for the whole run, the default one: each sentence is synthesized once."""
    clips = cache_home / "voiceguide" / "clips"
    clips.mkdir(parents=True, exist_ok=True)
    return clips


@pytest.fixture(scope="session")
def speaker(clip_cache: Path):
    with Speaker(make_engine(None), cache_dir=clip_cache) as s:
        yield s


@pytest.fixture(scope="session")
def classic_build(tmp_path_factory: pytest.TempPathFactory, speaker: Speaker) -> dict:
    """routines/classic.yaml built once at its default length, with the real engines."""
    out = tmp_path_factory.mktemp("classic")
    build(load_routine(ROUTINES / "classic.yaml"), out, BuildOptions(), speaker)
    return {
        "dir": out,
        "mp3": out / "classic.mp3",
        "plan": json.loads((out / "classic.json").read_text()),
    }


@pytest.fixture
def routines_copy(tmp_path: Path) -> Path:
    target = tmp_path / "routines"
    shutil.copytree(ROUTINES, target)
    return target


@pytest.fixture(scope="session")
def phone_build(tmp_path_factory: pytest.TempPathFactory, speaker: Speaker) -> dict:
    """tests/phone.py's four-step routine built once, real engines, with --base-url's feed."""
    from .phone import BASE_URL, FOUR

    src = tmp_path_factory.mktemp("four-src") / "four.yaml"
    src.write_text(FOUR, encoding="utf-8")
    out = tmp_path_factory.mktemp("four-out")
    options = BuildOptions(timing=TimingRequest(intro=False, rest_ms=0), heads_up=False)
    build(load_routine(src), out, options, speaker, base_url=BASE_URL)
    return {"dir": out, "plan": json.loads((out / "four.json").read_text(encoding="utf-8"))}
