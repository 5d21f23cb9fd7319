"""Loudness: the built track meets its target by ffmpeg's ebur128, peaks stay under."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from voiceguide import sounds
from voiceguide.build import BuildOptions, build
from voiceguide.engines import ffmpeg_exe
from voiceguide.loudness import (
    TARGET_LUFS,
    db_to_gain,
    integrated_lufs,
    limit,
    measure,
    measure_file,
)
from voiceguide.routines import load_routine
from voiceguide.speech import RATE_HZ, Speaker

from .audio import at, decoded
from .short_routine import write_short

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def ffmpeg_lufs(samples: np.ndarray, rate: int = RATE_HZ) -> float:
    """ffmpeg's integrated loudness to three decimals (its summary prints only one)."""
    pcm = np.clip(np.rint(samples), -32768, 32767).astype("<i2").tobytes()
    command = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats",
        "-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0",
        "-af", "ebur128=metadata=1,ametadata=mode=print:key=lavfi.r128.I:file=-",
        "-f", "null", "-",
    ]  # fmt: skip
    out = subprocess.run(command, input=pcm, capture_output=True, check=True).stdout.decode()
    return float(out.strip().splitlines()[-1].split("=")[1])


@pytest.fixture(scope="module")
def spoken(speaker: Speaker) -> list[np.ndarray]:
    """Real espeak-ng clips, as the cache hands them to the build."""
    texts = ["Press gently along the spine.", "Now the other side.", "Rest now under a blanket."]
    return [speaker.clip(t) for t in texts]


def signals(spoken: list[np.ndarray]) -> dict[str, np.ndarray]:
    """What the meter meets in a build (speech, bells), and noise and tones at the band's ends."""
    rng = np.random.default_rng(7)
    pause = np.zeros(RATE_HZ // 2)
    speech = np.concatenate([np.concatenate([c, pause]) for c in spoken])
    t = np.arange(RATE_HZ * 2) / RATE_HZ
    brown = np.cumsum(rng.standard_normal(RATE_HZ * 3))
    brown -= np.convolve(brown, np.ones(200) / 200, mode="same")
    out = {
        "speech": speech,
        # a quiet stretch 16 dB down: the relative gate must leave it out
        "speech then quiet speech": np.concatenate([speech, pause, speech * 0.16]),
        "white noise": rng.standard_normal(RATE_HZ * 3) * 1000,
        "brown noise": brown * 300 / brown.std(),
        "60 Hz and 5 kHz": 3000 * np.sin(2 * np.pi * 60 * t) + 2000 * np.sin(2 * np.pi * 5000 * t),
        "10 kHz": 3000 * np.sin(2 * np.pi * 10000 * t),
    }
    out |= {f"clip {n}": c for n, c in enumerate(spoken)}
    out |= {f"bell {name}": sounds.sound(name) for name in ("step", "cue", "end")}
    return {name: np.clip(np.rint(x), -32768, 32767) for name, x in out.items()}


def test_the_numpy_meter_agrees_with_ffmpeg_on_speech_bells_noise_and_tones(
    spoken: list[np.ndarray],
) -> None:
    for name, x in signals(spoken).items():
        ours, reference = integrated_lufs(x), ffmpeg_lufs(x)
        assert abs(ours - reference) <= 0.02, (name, ours, reference)


@pytest.mark.parametrize("rate", [16000, 44100, 48000])
def test_the_numpy_meter_designs_its_k_weighting_for_the_rate(rate: int) -> None:
    rng = np.random.default_rng(rate)
    t = np.arange(rate * 2) / rate
    x = np.rint(rng.standard_normal(t.size) * 2000 + 3000 * np.sin(2 * np.pi * 1000 * t))
    ours, reference = integrated_lufs(x, rate=rate), ffmpeg_lufs(x, rate)
    assert abs(ours - reference) <= 0.02, (ours, reference)


def test_the_numpy_meter_gates_out_silence_entirely() -> None:
    assert integrated_lufs(np.zeros(RATE_HZ * 2)) == float("-inf")
    assert integrated_lufs(np.zeros(100)) == float("-inf")  # shorter than one 400 ms block


def test_limiter_holds_true_peaks_under_its_ceiling_and_leaves_quiet_parts_alone() -> None:
    rng = np.random.default_rng(1)
    t = np.arange(RATE_HZ * 2) / RATE_HZ
    x = (np.sin(2 * np.pi * 3000 * t) * 4000 + rng.standard_normal(t.size) * 800).astype(np.float32)
    x[RATE_HZ // 2 : RATE_HZ // 2 + 400] *= 8  # a burst far over the ceiling
    ceiling = 32767 * db_to_gain(-6.0)
    y = limit(x, ceiling)
    assert measure(x, true_peak=True).true_peak_dbtp > -2
    assert measure(y, true_peak=True).true_peak_dbtp <= -5.9
    quiet = slice(RATE_HZ, RATE_HZ * 2)
    np.testing.assert_array_equal(y[quiet], x[quiet])
    assert np.max(np.abs(np.diff(y))) < np.max(np.abs(np.diff(x)))  # ramps, no steps


def test_built_track_measures_minus_16_lufs_and_true_peak_under_minus_1(classic_build) -> None:
    found = measure_file(str(classic_build["mp3"]))
    assert abs(found.integrated_lufs - TARGET_LUFS) <= 1.0, found
    assert found.true_peak_dbtp <= -1.0, found


@pytest.fixture(scope="module")
def quiet_build(tmp_path_factory: pytest.TempPathFactory, speaker: Speaker) -> Path:
    folder = tmp_path_factory.mktemp("quiet")
    routine = load_routine(write_short(folder))
    build(routine, folder / "out", BuildOptions(loudness_lufs=-23.0), speaker)
    return folder / "out" / "short.mp3"


def test_loudness_option_moves_the_target(quiet_build: Path) -> None:
    found = measure_file(str(quiet_build))
    assert abs(found.integrated_lufs - -23.0) <= 1.0, found
    assert found.true_peak_dbtp <= -1.0, found


def test_bells_sit_a_few_lu_under_the_voice(classic_build) -> None:
    audio = decoded(classic_build["mp3"]) * 32768
    parts = [p for p in classic_build["plan"]["parts"] if p["kind"] == "step"]
    speech = [c for c in classic_build["plan"]["cues"] if c["kind"] == "speech"]
    voice = measure(
        np.concatenate([audio[at(c["start_ms"]) : at(c["end_ms"])] for c in speech])
    ).integrated_lufs
    for part in parts:
        bell = audio[at(part["start_ms"]) : at(part["start_ms"] + 1150)]  # before the words
        under = voice - measure(bell).integrated_lufs
        assert 2.0 <= under <= 10.0, (part["id"], under)


def test_a_warm_build_reuses_the_stored_level_without_measuring_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from voiceguide import loudness

    routine = load_routine(write_short(tmp_path))
    monkeypatch.setattr(loudness, "_CACHE", {})
    with Speaker(cache_dir=tmp_path / "cache") as speaker:
        build(routine, tmp_path / "a", BuildOptions(), speaker)
    first = measure_file(str(tmp_path / "a" / "short.mp3"))
    assert list((tmp_path / "cache" / "levels").glob("*.json"))

    calls: list[int] = []
    real = loudness.measure
    monkeypatch.setattr(loudness, "_CACHE", {})  # as in a new process
    monkeypatch.setattr(loudness, "measure", lambda *a, **k: calls.append(1) or real(*a, **k))
    with Speaker(cache_dir=tmp_path / "cache") as speaker:
        build(routine, tmp_path / "b", BuildOptions(), speaker)
    assert calls == []
    again = measure_file(str(tmp_path / "b" / "short.mp3"))
    assert abs(again.integrated_lufs - first.integrated_lufs) < 0.05
