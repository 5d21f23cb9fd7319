"""The limiter does not crush a sentence: it takes at most 6 dB off its crest (peak over its
loud half's RMS); a sentence that would lose more is lowered whole, and the track still meets
its loudness."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pytest

from voiceguide.audio import crest_guard, loudness
from voiceguide.audio.limiter import Limiter, block_peaks
from voiceguide.audio.meter import analyse, db_to_gain
from voiceguide.build import BuildOptions, audio_events, prepare, routine_sounds
from voiceguide.pcm import RATE_HZ, sample_index
from voiceguide.routine import load_routine
from voiceguide.speech import Speaker

from .audio import decoded
from .conftest import ROUTINES

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

HELD_TO_DB = 6.0  # what issue 13 holds every sentence to


def crest_db(x: np.ndarray) -> float:
    """Peak over the RMS of the louder half of its 20 ms frames, sample by sample (the
    bench's figure, ``scripts/bench_speech.py``)."""
    frames = np.asarray(x, dtype=np.float64)[: x.size // 441 * 441].reshape(-1, 441)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    loud = rms[rms >= np.median(rms)]
    return float(20 * np.log10(np.abs(x).max() / np.sqrt(np.mean(loud**2))))


def heard_cuts_db(mp3: Path, said: list[dict], clips: Mapping[str, np.ndarray]) -> list[float]:
    """Per sentence of a plan (its speech events), what the track as decoded from ``mp3``
    took off its crest against its raw clip."""
    track = decoded(mp3) * 32768
    cuts = []
    for event in said:
        raw = clips[event["text"]]
        start = sample_index(event["start_ms"])
        cuts.append(crest_db(raw) - crest_db(track[start : start + raw.size]))
    return cuts


@pytest.fixture(scope="module")
def plain(speaker: Speaker) -> list[np.ndarray]:
    """Real espeak-ng clips."""
    texts = [
        "Press gently along the spine.",
        "Now the other side.",
        "Rest now under a blanket.",
        "Warm the oil between your palms first.",
    ]
    return [speaker.clip(t).astype(np.float32) for t in texts]


@pytest.fixture(scope="module")
def sentences(plain: list[np.ndarray]) -> list[np.ndarray]:
    """Three of them as they are, and one whose every peak is raised (x |x|^0.5): its crest
    (20.5 dB) is like Piper's peakiest sentences', spread over its syllables."""
    x = plain[3]
    return [*plain[:3], (x * np.sqrt(np.abs(x) / np.abs(x).max())).astype(np.float32)]


@pytest.fixture(scope="module")
def clicked(plain: list[np.ndarray]) -> list[np.ndarray]:
    """The last one with a click on it instead: one transient three times its peak."""
    x = plain[3].copy()
    mid = x.size // 2
    x[mid : mid + 40] += np.float32(3.0 * np.abs(x).max()) * np.hanning(40).astype(np.float32)
    return [*plain[:3], x]


def limiter_for(clips: list[np.ndarray], ceiling: float = 20000.0) -> Limiter:
    peaks = []
    for clip in clips:
        _, magnitude = analyse(clip, k_weight=False, peaks=True)
        assert magnitude is not None
        peaks.append(block_peaks(magnitude))
    return Limiter(peaks, [ceiling] * len(clips))


def limited(clips: list[np.ndarray], limiter: Limiter, gain: float) -> list[np.ndarray]:
    gains = limiter.gains(gain)
    return [c * limiter.curve(gains, i, c.size) for i, c in enumerate(clips)]


def test_the_guards_figure_on_blocks_is_the_figure_on_samples(sentences) -> None:
    limiter = limiter_for(sentences)
    seen = crest_guard.Blocks.of([crest_guard.ClipBlocks.of(c) for c in sentences], limiter)
    for gain_db in (0.0, 6.0, 12.0, 18.0):
        gain = db_to_gain(gain_db)
        on_blocks = crest_guard.crest_cuts_db(seen, limiter.gains(gain) / gain)
        on_samples = [
            crest_db(c) - crest_db(out)
            for c, out in zip(sentences, limited(sentences, limiter, gain), strict=True)
        ]
        assert on_blocks == pytest.approx(on_samples, abs=0.05), gain_db
    assert max(on_samples) > 8  # at 18 dB the limiter does cut hard


def test_a_clip_at_its_guard_loses_the_most_and_a_little_more_gain_loses_more(
    sentences,
) -> None:
    """Each clip's guard, found by bisection: at it the crest loses at most the limit, 0.1 dB
    over it more. A clip whose crest never loses that much (the plain espeak sentences: held
    8 ms either side of each peak, the limiter's output keeps a crest of its own) has none."""
    limiter = limiter_for(sentences)
    each = [crest_guard.ClipBlocks.of(c) for c in sentences]
    seen = crest_guard.Blocks.of(each, limiter)
    guard = crest_guard.guards(each, limiter, 5.9)
    assert np.isfinite(guard).tolist() == [False, False, False, True]
    spans = zip(limiter.offsets, limiter.sizes, strict=True)
    least = [float(limiter.room[o : o + n].min()) for o, n in spans]
    for index, level in enumerate(guard):
        tries = ((0.0, True), (0.1, False)) if np.isfinite(level) else ((40.0, True),)
        for over_db, holds in tries:
            gain = np.full(len(sentences) + 1, 1.0)
            gain[index] = (level if np.isfinite(level) else least[index]) * db_to_gain(over_db)
            cuts = crest_guard.crest_cuts_db(seen, limiter.peak_gains(gain[limiter.owner]))
            assert (cuts[index] <= 5.9 + 0.01) == holds, (index, over_db, cuts[index])


def test_a_steady_tone_is_never_guarded() -> None:
    """Limiting a tone takes its RMS down with its peak: its crest never suffers."""
    t = np.arange(RATE_HZ) / RATE_HZ
    tone = (10000 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    limiter = limiter_for([tone])
    assert crest_guard.guards([crest_guard.ClipBlocks.of(tone)], limiter, 5.9)[0] == np.inf


def test_over_its_guard_a_clip_stays_where_the_guard_holds_it(sentences) -> None:
    limiter = limiter_for(sentences)
    guard = crest_guard.guards([crest_guard.ClipBlocks.of(c) for c in sentences], limiter, 5.9)
    guarded = limiter.guarded(guard)
    worst = int(np.argmin(guard))
    louder = [limited(sentences, guarded, g) for g in (guard[worst] * 2, guard[worst] * 8)]
    heard = [np.abs(out[worst]).max() * g for out, g in zip(louder, (2, 8), strict=True)]
    assert heard[0] == pytest.approx(heard[1], rel=1e-3)  # 12 dB more gain: not a bit louder
    cut = crest_db(sentences[worst]) - crest_db(louder[1][worst])
    assert cut <= HELD_TO_DB
    # the limiter alone, at the same gain, crushes it
    alone = limited(sentences, limiter, guard[worst] * 8)[worst]
    assert crest_db(sentences[worst]) - crest_db(alone) > HELD_TO_DB + 3


def _level(
    clips: dict[str, np.ndarray], target: float, cache_dir: Path | None = None
) -> loudness.Leveled:
    """The clips said one after another, a second apart, levelled to ``target``."""
    from voiceguide.audio.events import AudioEvent

    events, at = [], 0
    for text, clip in clips.items():
        events.append(AudioEvent(at, "speech", text))
        at += clip.size + RATE_HZ
    return loudness.level(events, clips, {}, target=target, cache_dir=cache_dir)


def both(
    leveling: Callable[[], loudness.Leveled], monkeypatch: pytest.MonkeyPatch
) -> tuple[loudness.Leveled, loudness.Leveled]:
    """Levelled with the guard, then by the limiter alone."""
    out = []
    for cuts in (loudness.MAX_CREST_CUTS_DB, ()):
        monkeypatch.setattr(loudness, "MAX_CREST_CUTS_DB", cuts)
        monkeypatch.setattr(loudness, "_CACHE", {})
        out.append(leveling())
    return out[0], out[1]


def test_a_peaky_sentence_is_lowered_whole_and_the_track_meets_its_target(
    sentences, monkeypatch: pytest.MonkeyPatch
) -> None:
    clips = {f"s{i}": c for i, c in enumerate(sentences)}
    monkeypatch.setattr(loudness, "_CACHE", {})
    leveled = _level(clips, -16.0)
    cuts = {t: crest_db(c) - crest_db(leveled.clips[t]) for t, c in clips.items()}
    assert max(cuts.values()) <= HELD_TO_DB
    assert leveled.lowered_db["s3"] > 2 and not any(leveled.lowered_db[f"s{i}"] for i in range(3))
    assert abs(leveled.measured_lufs - (-16.0 + loudness.MP3_LOSS_LU)) <= 0.1
    # without the guard, the limiter alone takes more off it
    monkeypatch.setattr(loudness, "MAX_CREST_CUTS_DB", ())
    monkeypatch.setattr(loudness, "_CACHE", {})
    alone = _level(clips, -16.0)
    assert crest_db(clips["s3"]) - crest_db(alone.clips["s3"]) > HELD_TO_DB + 1
    assert not any(alone.lowered_db.values())
    quieter = loudness.integrated_lufs(alone.clips["s3"]) - loudness.integrated_lufs(
        leveled.clips["s3"]
    )
    assert 0.5 < quieter < leveled.lowered_db["s3"] - 1  # the limiter took loudness too


def test_a_click_is_left_to_the_limiter_rather_than_the_sentence_lowered_far(
    clicked, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guard would lower a sentence 12.6 dB for one click; it stops where, at the track's
    gain, the sentence is 3.5 dB quieter (by energy) than the limiter alone would leave it,
    and the limiter takes the click."""
    clips = {f"s{i}": c for i, c in enumerate(clicked)}
    monkeypatch.setattr(loudness, "MAX_GAIN_OVER_DB", float("inf"))  # the cap alone, here
    guarded, alone = both(lambda: _level(clips, -16.0), monkeypatch)
    energy = [float(np.sum(np.square(x.clips["s3"], dtype=np.float64))) for x in (alone, guarded)]
    assert 10 * np.log10(energy[0] / energy[1]) <= 3.5  # in its own track, at a higher gain
    assert 0 < guarded.lowered_db["s3"] < 6  # not the 12.6 dB its crest alone would ask
    assert abs(guarded.measured_lufs - (-16.0 + loudness.MP3_LOSS_LU)) <= 0.1


def test_the_guard_is_stored_with_the_gain_and_a_damaged_one_is_found_again(
    sentences, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    clips = {f"s{i}": c for i, c in enumerate(sentences)}
    monkeypatch.setattr(loudness, "_CACHE", {})
    found = _level(clips, -16.0, tmp_path)
    [stored] = (tmp_path / "levels").glob("*.json")
    doc = json.loads(stored.read_text())
    assert doc["guard"].count(None) == 3 and doc["guard"][3] > 0  # inf is kept as null
    found_guard = doc["guard"]
    monkeypatch.setattr(loudness, "_CACHE", {})
    warm = _level(clips, -16.0, tmp_path)
    assert np.isnan(warm.measured_lufs)  # read, not measured
    assert all(warm.clips[t].tobytes() == found.clips[t].tobytes() for t in clips)
    assert warm.lowered_db == found.lowered_db
    for damage in (float("nan"), -1.0, 0.0, "x", None):
        doc["guard"] = [damage] * 4 if damage is not None else []
        stored.write_text(json.dumps(doc))
        monkeypatch.setattr(loudness, "_CACHE", {})
        again = _level(clips, -16.0, tmp_path)
        assert not np.isnan(again.measured_lufs), damage  # measured again
        assert all(again.clips[t].tobytes() == found.clips[t].tobytes() for t in clips), damage
        assert json.loads(stored.read_text())["guard"] == found_guard  # and stored whole again
    stored.with_suffix(".npy").write_bytes(b"junk")  # the peaks damaged: found again, stored
    monkeypatch.setattr(loudness, "_CACHE", {})
    again = _level(clips, -16.0, tmp_path)
    assert all(again.clips[t].tobytes() == found.clips[t].tobytes() for t in clips)
    assert np.load(stored.with_suffix(".npy")).dtype == np.float32


def test_a_quiet_target_lowers_nothing(sentences, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loudness, "_CACHE", {})
    leveled = _level({f"s{i}": c for i, c in enumerate(sentences)}, -40.0)
    assert not any(leveled.lowered_db.values())


def test_a_loud_target_is_met_by_letting_the_limiter_take_more(
    sentences, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At -14 LUFS, holding the peaky sentence's crest to 6 dB would take 4 dB more gain than
    the limiter alone needs, which the other sentences would pay for at their peaks: the
    guard gives way (to 9 dB, which at this gain holds little or nothing), and the track is
    about what the limiter alone makes it."""
    clips = {f"s{i}": c for i, c in enumerate(sentences)}
    guarded, alone = both(lambda: _level(clips, -14.0), monkeypatch)
    aim = -14.0 + loudness.MP3_LOSS_LU
    assert abs(guarded.measured_lufs - aim) <= 0.1 and abs(alone.measured_lufs - aim) <= 0.1
    assert crest_db(clips["s3"]) - crest_db(guarded.clips["s3"]) > 8
    others = [crest_db(clips[t]) - crest_db(guarded.clips[t]) for t in ("s0", "s1", "s2")]
    assert max(others) < 5.5  # not pushed further into the limiter for s3's sake


def test_no_sentence_of_the_classic_track_loses_more_than_6_db_of_its_crest(
    classic_build, speaker: Speaker
) -> None:
    """The real build, decoded from its MP3: every sentence against its raw clip."""
    routine = load_routine(ROUTINES / "classic.yaml")
    script = prepare(routine, BuildOptions(), speaker)
    clips = speaker.for_routine(routine.pronounce).clips(e.text for e in script.speech)
    said = [e for e in classic_build["plan"]["events"] if e["kind"] == "speech"]
    assert len(said) == len(script.speech) > 50
    cuts = heard_cuts_db(classic_build["mp3"], said, clips)
    assert max(cuts) <= HELD_TO_DB
    assert np.median(cuts) > 2  # the limiter is at work


def test_the_guard_lowers_the_classic_routines_peakiest_sentences_only(
    speaker: Speaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real sentences at -16 LUFS: the guard lowers a few; after the limiter they are not much
    quieter than the limiter alone left them."""
    routine = load_routine(ROUTINES / "classic.yaml")
    script = prepare(routine, BuildOptions(), speaker)
    clips = speaker.for_routine(routine.pronounce).clips(e.text for e in script.speech)
    guarded, alone = both(
        lambda: loudness.level(audio_events(script), clips, routine_sounds(routine)), monkeypatch
    )
    lowered = [t for t, db in guarded.lowered_db.items() if db > 0]
    assert 0 < len(lowered) < len(clips) / 2
    for text in lowered:
        quieter = loudness.integrated_lufs(alone.clips[text]) - loudness.integrated_lufs(
            guarded.clips[text]
        )
        assert quieter < 1.0 + guarded.lowered_db[text] / 4, text
