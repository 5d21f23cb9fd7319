"""The optional ambient bed: generated or from a file, looped, ducked under speech."""

from __future__ import annotations

import itertools
import json
import wave
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from voiceguide.audio.ambient import FADE_DOWN_MS, from_file, generated
from voiceguide.audio.ambient import AmbientBed as Bed
from voiceguide.audio.loudness import TARGET_LUFS, measure_file
from voiceguide.build import BuildOptions, build
from voiceguide.cli import cli
from voiceguide.pcm import RATE_HZ
from voiceguide.routine import load_routine
from voiceguide.speech import Speaker

from .audio import at, decoded, rms_db
from .conftest import ROUTINES
from .short_routine import write_short

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def noise_build(tmp_path_factory: pytest.TempPathFactory, speaker: Speaker) -> dict:
    folder = tmp_path_factory.mktemp("ambient")
    routine = load_routine(write_short(folder))
    build(routine, folder / "out", BuildOptions(ambient="noise"), speaker)
    return {
        "mp3": folder / "out" / "short.mp3",
        "audio": decoded(folder / "out" / "short.mp3"),
        "plan": json.loads((folder / "out" / "short.json").read_text()),
    }


def test_bed_drops_under_speech_and_comes_back_between(noise_build: dict) -> None:
    audio, cues = noise_build["audio"], noise_build["plan"]["events"]
    speech = [c for c in cues if c["kind"] == "speech"]
    bells = [c["start_ms"] for c in cues if c["kind"] == "sound"]
    # a pause between two sentences of one paragraph, with no bell ringing: the bed stays ducked
    pauses = [
        (a["end_ms"] + 100, b["start_ms"] - 100)
        for a, b in itertools.pairwise(speech)
        if a["part"] == b["part"] and 300 <= b["start_ms"] - a["end_ms"] <= 1000
        if not any(0 <= a["end_ms"] - t <= 4000 for t in bells)
    ]
    assert pauses
    ducked = max(rms_db(audio, lo, hi) for lo, hi in pauses)
    # and a stretch far from any cue: the bed in full
    warm = next(p for p in noise_build["plan"]["parts"] if p["id"] == "warm")
    busy = [(c["start_ms"], c["end_ms"]) for c in cues if c["part"] == "warm"]
    quiet = next(
        (a_end + 3000, b_start - 3000)
        for (_, a_end), (b_start, _) in itertools.pairwise(busy)
        if b_start - a_end > 8000
    )
    assert quiet[1] < warm["end_ms"]
    full = rms_db(audio, *quiet)
    assert -60 < full < -30  # present, well under the voice
    assert full - ducked >= 8, (full, ducked)


def test_a_track_with_a_bed_still_meets_the_loudness_target(noise_build: dict) -> None:
    found = measure_file(str(noise_build["mp3"]))
    assert abs(found.integrated_lufs - TARGET_LUFS) <= 1.0, found
    assert found.true_peak_dbtp <= -1.0, found


def test_ducking_fades_smoothly_to_the_first_word() -> None:
    start = RATE_HZ * 10
    bed = Bed(generated("noise"), [(start, start + RATE_HZ * 3)], target=-16.0)
    depth = bed.depth(start - RATE_HZ, start + RATE_HZ)
    assert depth[0] == 0.0 and depth[RATE_HZ] == 1.0  # full at the first word
    assert depth[RATE_HZ - at(FADE_DOWN_MS) - 1] == 0.0  # fade starts no earlier
    assert np.all(np.diff(depth[: RATE_HZ + 1]) >= 0)
    assert np.max(np.diff(depth)) < 3.0 / at(FADE_DOWN_MS)  # no jump anywhere


def test_bed_is_the_same_whatever_the_blocks() -> None:
    bed = Bed(generated("waves"), [(RATE_HZ * 5, RATE_HZ * 7)], target=-16.0)
    whole = bed(0, RATE_HZ * 70)
    pieces = np.concatenate(
        [bed(b, min(b + 12_345, RATE_HZ * 70)) for b in range(0, RATE_HZ * 70, 12_345)]
    )
    np.testing.assert_allclose(pieces, whole, rtol=0, atol=1e-3)
    far = bed(RATE_HZ * 3600 * 3, RATE_HZ * 3600 * 3 + RATE_HZ)  # hours in: the same loop
    np.testing.assert_allclose(far, whole[:RATE_HZ], rtol=0, atol=1e-3)


def test_a_file_loops_without_a_seam(tmp_path: Path) -> None:
    rate = 44_100
    t = np.arange(rate * 5) / rate
    hum = (np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * t) * 4000).astype(
        "<i2"
    )  # grows: a seam would show
    with wave.open(str(tmp_path / "hum.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(hum.tobytes())
    loop = from_file(str(tmp_path / "hum.wav"))
    wrap = np.concatenate([loop[-200:], loop[:200]])
    steps = np.abs(np.diff(wrap))
    assert steps.max() <= 1.05 * np.abs(np.diff(loop)).max()


def test_unknown_ambient_is_exit_2_naming_what_is_accepted(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["build", str(ROUTINES / "classic.yaml"), "--ambient", "rain", "-o", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Error: --ambient rain: no such bed or file; use noise, waves or a path to an audio file"
    )
    assert not list(tmp_path.iterdir())
