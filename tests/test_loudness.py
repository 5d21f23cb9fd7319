"""Loudness: the built track meets its target by ffmpeg's ebur128, peaks stay under."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from voiceguide.audio import gain_search, sounds
from voiceguide.audio.loudness import (
    TARGET_LUFS,
    db_to_gain,
    integrated_lufs,
    limit,
    measure,
    measure_file,
)
from voiceguide.build import BuildOptions, build
from voiceguide.ffmpeg import ffmpeg_exe
from voiceguide.pcm import RATE_HZ
from voiceguide.routine import load_routine
from voiceguide.speech import Speaker, make_engine

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
    out |= {f"bell {name}": sounds.sound(name) for name in ("step", "reminder", "end")}
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
    ours, reference = integrated_lufs(x, rate_hz=rate), ffmpeg_lufs(x, rate)
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


def oversampled_peak(x: np.ndarray, factor: int = 16) -> float:
    """Largest magnitude of the band-limited signal through ``x``, 16 points per sample."""
    size = 2 * x.size  # zeros after: no wrap-around from the end into the start
    up = np.fft.irfft(np.fft.rfft(x.astype(np.float64), size), size * factor) * factor
    return float(np.max(np.abs(up)))


def test_limiter_holds_peaks_between_samples_under_the_ceiling() -> None:
    """Tones up to 9 kHz, phased so that their peaks fall between samples, in bursts."""
    rng = np.random.default_rng(5)
    t = np.arange(RATE_HZ) / RATE_HZ
    ceiling = 32767 * db_to_gain(-6.0)
    for trial in range(6):
        x = np.zeros(t.size)
        for f in rng.uniform(2000, 9000, 3):
            x += np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
        x *= np.exp(-(((t - rng.uniform(0.2, 0.8)) / 0.1) ** 2))  # a burst, silent at both ends
        x *= 2 * ceiling / np.max(np.abs(x))
        y = limit(x.astype(np.float32), ceiling)
        assert oversampled_peak(x) > 1.9 * ceiling
        # the gain is set on samples, and its ramps move what lies between them a little
        assert oversampled_peak(y) <= ceiling * db_to_gain(0.15), trial


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
    speech = [c for c in classic_build["plan"]["events"] if c["kind"] == "speech"]
    voice = measure(
        np.concatenate([audio[at(c["start_ms"]) : at(c["end_ms"])] for c in speech])
    ).integrated_lufs
    for part in parts:
        bell = audio[at(part["start_ms"]) : at(part["start_ms"] + 1150)]  # before the words
        under = voice - measure(bell).integrated_lufs
        assert 2.0 <= under <= 10.0, (part["id"], under)


@pytest.mark.slow
def test_a_warm_build_reuses_the_stored_level_without_measuring_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from voiceguide.audio import loudness

    searches: list[int] = []
    real = loudness.TrackMeter

    def counted(*args: object, **kwargs: object) -> object:
        searches.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loudness, "TrackMeter", counted)
    routine = load_routine(write_short(tmp_path))
    monkeypatch.setattr(loudness, "_CACHE", {})
    with Speaker(make_engine(None), cache_dir=tmp_path / "cache") as speaker:
        build(routine, tmp_path / "a", BuildOptions(), speaker)
    first = measure_file(str(tmp_path / "a" / "short.mp3"))
    assert searches == [1]
    stored = tmp_path / "cache" / "levels"
    assert len(list(stored.glob("*.json"))) == 1 and len(list(stored.glob("*.npy"))) == 1

    for case in ("as stored", "without the peaks"):  # a cache from before peaks were kept
        if case == "without the peaks":
            next(stored.glob("*.npy")).unlink()
        monkeypatch.setattr(loudness, "_CACHE", {})  # as in a new process
        with Speaker(make_engine(None), cache_dir=tmp_path / "cache") as speaker:
            build(routine, tmp_path / "b", BuildOptions(), speaker)
        assert searches == [1], case
        assert (
            decoded(tmp_path / "b" / "short.mp3").tobytes()
            == decoded(tmp_path / "a" / "short.mp3").tobytes()
        ), case
    assert len(list(stored.glob("*.npy"))) == 1  # the peaks found again are stored again
    assert (
        abs(measure_file(str(tmp_path / "b" / "short.mp3")).integrated_lufs - first.integrated_lufs)
        < 0.05
    )


@pytest.mark.slow
@pytest.mark.parametrize("target", [TARGET_LUFS, -23.0])
def test_the_gain_search_meets_its_aim_on_the_whole_track_as_ffmpeg_measures_it(
    tmp_path: Path, speaker: Speaker, monkeypatch: pytest.MonkeyPatch, target: float
) -> None:
    """The search's own meter (sums per block) against ffmpeg over the track as mixed."""
    from voiceguide.audio import loudness, mixer
    from voiceguide.build import audio_events, prepare, routine_sounds
    from voiceguide.pcm import sample_index

    monkeypatch.setattr(loudness, "_CACHE", {})
    routine = load_routine(write_short(tmp_path))
    script = prepare(routine, BuildOptions(loudness_lufs=target), speaker)
    clips = speaker.clips(c.text for c in script.speech)
    leveled = loudness.level(audio_events(script), clips, routine_sounds(routine), target=target)
    placed = mixer.placements(audio_events(script), leveled.clips, leveled.sounds)
    track = np.frombuffer(mixer.mix(placed, sample_index(script.plan.total_ms)), dtype="<i2")
    found = ffmpeg_lufs(track)
    assert abs(found - leveled.measured_lufs) <= 0.02, (found, leveled.measured_lufs)
    aim = target + loudness.MP3_LOSS_LU
    if target == TARGET_LUFS:
        # espeak's peaks are high for its loudness: under the ceiling the short routine's
        # words flatten out a few tenths short of the default aim (see the search's test)
        assert aim - 0.8 <= found <= aim + gain_search.TOLERANCE_LU + 0.02
    else:
        assert abs(found - aim) <= gain_search.TOLERANCE_LU + 0.02
    for text, samples in leveled.clips.items():  # every clip under the speech ceiling
        # peaks are looked for 4 points a sample, as a true-peak meter does: the 16 here
        # find a little more where espeak clicks, under words limited by 20 dB and more
        ceiling = 32767 * db_to_gain(loudness.CEILING_DBFS + 0.25)
        assert oversampled_peak(samples) <= ceiling, text


class _Curve:
    """A stand-in for the track meter: loudness rising with gain, flattening at ``plateau``."""

    def __init__(self, raw: float, plateau: float) -> None:
        self.raw, self.plateau, self.calls = raw, plateau, 0
        self.src = np.zeros(1)
        self.limiter = self

    def gains(self, gain: float) -> None:
        return None

    def lufs(self, gain: float, block_gains: None = None) -> float:
        self.calls += 1
        unlimited = self.raw + 20 * np.log10(gain)
        return float(self.plateau - 2 * np.log(1 + np.exp((self.plateau - unlimited) / 2)))


def test_the_gain_search_needs_few_tries_and_stops_where_more_gain_buys_nothing() -> None:
    from voiceguide.audio import loudness

    aim = TARGET_LUFS + loudness.MP3_LOSS_LU
    reachable = _Curve(raw=-21.0, plateau=-14.0)
    gain_db, found = gain_search.TrackMeter.search(reachable, aim)  # type: ignore[arg-type]
    assert abs(found - aim) <= gain_search.TOLERANCE_LU and reachable.calls <= 8
    assert found == reachable.lufs(db_to_gain(gain_db))

    flat = _Curve(raw=-21.0, plateau=-16.0)  # the aim is 0.4 LU over what any gain gives
    gain_db, found = gain_search.TrackMeter.search(flat, aim)  # type: ignore[arg-type]
    assert flat.calls <= 12
    assert found >= flat.plateau - 0.2  # close to all there is to get
    slope = flat.lufs(db_to_gain(gain_db + 1)) - flat.lufs(db_to_gain(gain_db))
    assert slope < 5 * gain_search.MIN_SLOPE  # it went on while a dB still bought something
    assert gain_db < 40


def test_every_clip_is_brought_to_one_loudness_before_the_tracks_gain(
    tmp_path: Path, speaker: Speaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real sentences made 8 dB quieter or 4 dB louder are brought within 1 LU of each other
    before the track's gain and limiter; the limiter then spreads them a little (see the bench)."""
    from voiceguide.audio import loudness
    from voiceguide.build import audio_events, prepare, routine_sounds

    monkeypatch.setattr(loudness, "_CACHE", {})
    routine = load_routine(write_short(tmp_path))
    script = prepare(routine, BuildOptions(), speaker)
    clips = speaker.clips(c.text for c in script.speech)
    skewed = {
        text: samples.astype(np.float32) * np.float32(db_to_gain((-8.0, 0.0, 4.0)[i % 3]))
        for i, (text, samples) in enumerate(sorted(clips.items()))
    }
    before = [integrated_lufs(c) for c in skewed.values() if c.size >= RATE_HZ // 2]
    leveled = loudness.level(audio_events(script), skewed, routine_sounds(routine))
    after = [
        integrated_lufs(c * np.float32(db_to_gain(leveled.clip_db[t])))
        for t, c in skewed.items()
        if c.size >= RATE_HZ // 2
    ]
    assert max(before) - min(before) > 10
    middle = float(np.median(after))
    assert all(abs(v - middle) <= 1.05 for v in after), sorted(v - middle for v in after)
    limited = [integrated_lufs(c) for c in leveled.clips.values() if c.size >= RATE_HZ // 2]
    assert max(limited) - min(limited) < 5  # not the 12 LU it was given
    assert leveled.clip_db[min(skewed)] == pytest.approx(
        float(np.median(before)) - integrated_lufs(skewed[min(skewed)]), abs=2.0
    )
