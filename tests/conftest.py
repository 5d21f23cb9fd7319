from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from voiceguide.build import BuildOptions, build
from voiceguide.routine import load_routine
from voiceguide.speech import Speaker

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

ROOT = Path(__file__).resolve().parent.parent
ROUTINES = ROOT / "src" / "voiceguide" / "routines"


@pytest.fixture(scope="session")
def clip_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One clip cache for the whole run: each sentence is synthesized once."""
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="session")
def speaker(clip_cache: Path):
    with Speaker(cache_dir=clip_cache) as s:
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
