"""The clip cache: keyed by content, so only new words are ever synthesized."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from voiceguide.build import BuildOptions, build
from voiceguide.cli import cli
from voiceguide.narration import narrate
from voiceguide.narration.lengths import spoken_length
from voiceguide.routine import load_routine
from voiceguide.speech import Speaker
from voiceguide.timeline.plan import TimingRequest

from .tiny import tiny_routine


def entries(cache: Path) -> set[Path]:
    return set(cache.rglob("*.wav"))


def test_changing_only_durations_synthesizes_only_the_lengths_said(
    real_speaker: Callable[..., Speaker], clip_cache: Path, tmp_path: Path
) -> None:
    """The words say each part's fitted length, so those sentences are new; nothing else is."""
    routine = load_routine(tiny_routine(tmp_path))
    with real_speaker(cache_dir=clip_cache) as speaker:
        first = build(routine, tmp_path / "out", BuildOptions(), speaker)
    assert first.script
    said_first = {e.text for e in first.script.speech}
    requests = [
        TimingRequest(total_ms=60_000),
        TimingRequest(pins={"press": 25_000}),
        TimingRequest(total_ms=50_000, pins={"stroke": 12_000}),
    ]
    new_texts: set[str] = set()
    before = entries(clip_cache)
    for request in requests:
        with real_speaker(cache_dir=clip_cache) as speaker:
            result = build(routine, tmp_path / "out", BuildOptions(timing=request), speaker)
        assert result.script
        assert result.script.plan.total_ms != first.script.plan.total_ms
        new_texts |= {e.text for e in result.script.speech} - said_first
    lengths = {t for t in new_texts if LENGTH.fullmatch(t)}
    assert lengths  # the new lengths are said
    # anything else new was in the routine's words all along (a cue that fits now)
    assert new_texts - lengths <= set(narrate(routine).sentences())
    # what was spoken is lengths (those said, and their wordings for speech a little shorter
    # or longer, spoken ahead in case the measured speech crossed a rounding edge) and the
    # routine's own words that fit now, and nothing else
    worded = (spoken_length(ms) for ms in range(500, 3_600_000, 500))
    with real_speaker(cache_dir=clip_cache) as speaker:
        allowed = {speaker.cache_file(f"{w[0].upper()}{w[1:]}.") for w in worded}
        allowed |= {speaker.cache_file(t) for t in new_texts - lengths}
    assert entries(clip_cache) - before <= allowed
    with real_speaker(cache_dir=clip_cache) as speaker:  # and all of them are cached now
        build(routine, tmp_path / "again", BuildOptions(timing=requests[0]), speaker)
        assert not speaker.engine.running  # the speech engine was never started


LENGTH = re.compile(r"[A-Z][a-z -]+ (seconds?|minutes?|hours?)\.")


@pytest.mark.parametrize(
    ("change", "value"), [("text", "Warm your hands!"), ("voice", "gmw/en-gb-x-rp"), ("rate", 151)]
)
def test_the_fingerprint_changes_with_text_voice_and_rate(
    change: str, value: object, real_speaker: Callable[..., Speaker]
) -> None:
    base = {"text": "Warm your hands.", "voice": "gmw/en-us", "rate": 150}
    other = {**base, change: value}
    with (
        real_speaker(cache_dir=None, voice=base["voice"], rate_wpm=base["rate"]) as a,
        real_speaker(cache_dir=None, voice=other["voice"], rate_wpm=other["rate"]) as b,
    ):
        assert a.fingerprint(str(base["text"])) != b.fingerprint(str(other["text"]))
        assert a.fingerprint(str(base["text"])) == a.fingerprint("Warm your hands.")


def test_the_fingerprint_changes_with_the_engine_version(
    real_speaker: Callable[..., Speaker],
) -> None:
    with real_speaker(cache_dir=None) as speaker:
        before = speaker.fingerprint("Rest now.")
        assert "espeak-ng" in speaker.engine_fingerprint and "pyttsx3" in speaker.engine_fingerprint
        speaker.engine._fingerprint = speaker.engine_fingerprint + " (next release)"  # type: ignore[attr-defined]
        assert speaker.fingerprint("Rest now.") != before


@pytest.mark.usefixtures("real_engine")  # the command's build speaks with it
def test_no_cache_keeps_nothing_in_the_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    routine = tmp_path / "one.yaml"
    routine.write_text(
        "title: One\nsteps:\n  - id: a\n    title: A\n    duration: 8s\n    say: Breathe.\n"
    )
    result = CliRunner().invoke(
        cli, ["build", str(routine), "--no-intro", "--no-cache", "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "one.mp3").is_file()
    assert not (tmp_path / "xdg").exists() or not entries(tmp_path / "xdg")


def test_a_warm_clip_is_the_very_clip_that_was_synthesized(
    tmp_path: Path, real_speaker: Callable[..., Speaker]
) -> None:
    with real_speaker(cache_dir=tmp_path) as cold:
        fresh = cold.clip("Slowly now.")
    with real_speaker(cache_dir=tmp_path) as warm:
        assert np.array_equal(warm.clip("Slowly now."), fresh) and not warm.engine.running


def test_a_cached_clip_is_timed_from_its_header_as_its_samples_time_it(
    tmp_path: Path, real_speaker: Callable[..., Speaker]
) -> None:
    from voiceguide.speech.cache import cached_frames, read_cached

    text = "Breathe in slowly, and out."
    with real_speaker(cache_dir=tmp_path) as first:
        spoken = first.length_ms(text)  # spoken and stored
    entry = next(tmp_path.rglob("*.wav"))
    assert cached_frames(entry) == read_cached(entry).size > 0
    with real_speaker(cache_dir=tmp_path) as second:
        assert second.length_ms(text) == spoken
        assert not second.engine.running  # timed from the header: no engine started
    whole = entry.read_bytes()
    entry.write_bytes(whole[:-100])  # cut short: not a length to trust
    assert cached_frames(entry) is None
    assert cached_frames(tmp_path / "missing.wav") is None


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "cut short": lambda raw: raw[:-100],
    "bytes added": lambda raw: raw + b"\0\0",
    "another rate": lambda raw: raw[:24] + (16_000).to_bytes(4, "little") + raw[28:],
    "stereo": lambda raw: raw[:22] + (2).to_bytes(2, "little") + raw[24:],
    "an odd data size": lambda raw: (
        raw[:40] + (int.from_bytes(raw[40:44], "little") - 1).to_bytes(4, "little") + raw[44:]
    ),
    "no checksum chunk": lambda raw: raw[:-40],
    "only a header": lambda raw: raw[:44],
    "empty": lambda raw: b"",
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_an_entry_of_any_other_form_is_neither_timed_nor_played(
    damage: str, tmp_path: Path
) -> None:
    """One rule says what a whole entry is, for the header-only timing and for the samples."""
    from voiceguide.speech.cache import cached_frames, read_cached, write_wav

    entry = tmp_path / "entry.wav"
    samples = (np.arange(3000) % 200 - 100).astype(np.int16)
    write_wav(entry, samples)
    assert cached_frames(entry) == 3000 and np.array_equal(read_cached(entry), samples)
    entry.write_bytes(DAMAGE[damage](entry.read_bytes()))
    assert cached_frames(entry) is None
    with pytest.raises(ValueError):
        read_cached(entry)


def test_changed_samples_keep_the_length_but_are_never_played(tmp_path: Path) -> None:
    from voiceguide.speech.cache import cached_frames, read_cached, write_wav

    entry = tmp_path / "entry.wav"
    write_wav(entry, np.ones(3000, dtype=np.int16))
    raw = bytearray(entry.read_bytes())
    raw[100] ^= 1
    entry.write_bytes(bytes(raw))
    assert cached_frames(entry) == 3000  # the length is still the clip's
    with pytest.raises(ValueError, match="checksum"):
        read_cached(entry)
