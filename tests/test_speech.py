"""The real pyttsx3 + espeak-ng, through the worker and the cache."""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from voiceguide.errors import InputError
from voiceguide.pcm import RATE_HZ
from voiceguide.speech import Engine, Speaker, trim
from voiceguide.speech.cache import read_wav


def test_speech_is_trimmed_of_espeaks_silent_tail(speaker: Speaker) -> None:
    clip = speaker.clip("Stroke slowly along the spine.")
    assert clip.size > RATE_HZ // 2
    last_30ms = np.abs(clip[-int(RATE_HZ * 0.03) :].astype(np.int32))
    assert np.abs(clip[: int(RATE_HZ * 0.02)].astype(np.int32)).max() > 200  # starts with sound
    assert last_30ms.max() < 8000  # ends within 30 ms of the last sound, not 235 ms of silence
    assert np.abs(clip.astype(np.int32)).max() > 3000


def test_longer_text_takes_longer(speaker: Speaker) -> None:
    short = speaker.length_ms("Now cupping.")
    long = speaker.length_ms(
        "Now cupping. Bend your palms into the shape of a spoon and clap lightly."
    )
    assert long > short + 1500


def test_clips_are_cached_by_content(tmp_path: Path, real_speaker: Callable[..., Speaker]) -> None:
    with real_speaker(cache_dir=tmp_path) as first:
        clip = first.clip("Warm your hands.")
    files = list(tmp_path.rglob("*.wav"))
    assert len(files) == 1 and np.array_equal(read_wav(files[0]), clip)
    with real_speaker(cache_dir=tmp_path) as second:
        assert np.array_equal(second.clip("Warm your hands."), clip)
        assert not second.engine.running  # a warm cache never starts the engine


def test_rate_changes_the_fingerprint_and_the_length(
    tmp_path: Path, real_speaker: Callable[..., Speaker]
) -> None:
    text = "Move your hands from the waist up to the shoulders."
    with (
        real_speaker(cache_dir=tmp_path, rate_wpm=120) as slow,
        real_speaker(cache_dir=tmp_path, rate_wpm=220) as fast,
    ):
        assert slow.fingerprint(text) != fast.fingerprint(text)
        assert slow.length_ms(text) > fast.length_ms(text) * 1.4


def test_corrupt_cache_entry_is_rebuilt_not_played(
    tmp_path: Path, real_speaker: Callable[..., Speaker]
) -> None:
    with real_speaker(cache_dir=tmp_path) as s:
        good = s.clip("Rest now.")
    entry = next(tmp_path.rglob("*.wav"))
    entry.write_bytes(entry.read_bytes()[:100])
    with real_speaker(cache_dir=tmp_path) as s:
        rebuilt = s.clip("Rest now.")
    # espeak-ng's output depends slightly on what the engine said before (a
    # few samples either way under load), so compare length, not bytes.
    assert abs(rebuilt.size - good.size) < good.size * 0.02
    assert entry.stat().st_size > 1000  # the entry was written again, whole


def test_engine_chatter_never_reaches_stdout(
    capfd: pytest.CaptureFixture[str], tmp_path: Path, real_speaker: Callable[..., Speaker]
) -> None:
    with real_speaker(cache_dir=None) as s:
        s.clip("Quiet please.")
    out, _ = capfd.readouterr()
    assert "Audio saved" not in out and out == ""


def test_unknown_voice_suggests_close_matches(real_speaker: Callable[..., Speaker]) -> None:
    with (
        real_speaker(cache_dir=None, voice="gmw/en-uss") as s,
        pytest.raises(InputError, match="did you mean gmw/en-us"),
    ):
        s.check_voice()


def test_trim_of_silence_is_empty() -> None:
    assert trim(np.zeros(1000, dtype=np.int16)).size == 0


@pytest.mark.parametrize(
    ("package", "dist"), [("pyttsx3", "pyttsx3"), ("piper", "piper-tts"), ("onnxruntime", None)]
)
def test_the_engines_read_versions_as_importlib_metadata_does(
    package: str, dist: str | None
) -> None:
    """The fingerprints' versions, read from the dist-info folder's name (piper-tts installs
    ``piper_tts-*.dist-info``)."""
    from importlib.metadata import version

    from voiceguide.speech.engine import installed_version

    folder = dist.replace("-", "_") if dist else None
    assert installed_version(package, folder) == version(dist or package)


_SENTENCE = "Rest now, and breathe slowly."


def _whole_then(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, read: Callable[[Path, int], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """The sentence said by the real engine, then said again with ``read`` reading the files
    the engine writes (where a fault is put in)."""
    from voiceguide.speech import pyttsx3_engine

    try:
        whole = engine.synthesize(_SENTENCE)
        monkeypatch.setattr(pyttsx3_engine, "read_wav", read)
        return whole, engine.synthesize(_SENTENCE)
    finally:
        engine.close()


def test_a_clip_cut_short_is_said_again_by_a_fresh_engine(
    monkeypatch: pytest.MonkeyPatch, real_engine: Callable[..., Engine]
) -> None:
    """Now and then pyttsx3's espeak driver writes a clip before its last samples: one much
    shorter than its words take is said again, and the whole one kept."""
    reads: list[int] = []

    def first_cut_short(path: Path, rate_hz: int) -> np.ndarray:
        samples = read_wav(path, rate_hz)
        reads.append(samples.size)
        return samples[: samples.size * 6 // 10] if len(reads) == 1 else samples

    whole, again = _whole_then(real_engine(), monkeypatch, first_cut_short)
    assert len(reads) == 2  # said twice
    assert abs(again.size - whole.size) < whole.size * 0.02


def test_a_sentence_short_every_time_is_kept_not_refused(
    monkeypatch: pytest.MonkeyPatch, real_engine: Callable[..., Engine]
) -> None:
    """Quicker than its guess twice over: it is how the sentence is said, and it stands."""

    def cut_short(path: Path, rate_hz: int) -> np.ndarray:
        samples = read_wav(path, rate_hz)
        return samples[: samples.size * 6 // 10]

    whole, short = _whole_then(real_engine(), monkeypatch, cut_short)
    assert 0 < short.size < whole.size * 0.7


# Run in a child: pyttsx3 loads espeak-ng globally, which this process never does.
_BUSY = """
import json, os, sys
from voiceguide.speech.cache import read_wav
from voiceguide.speech.pyttsx3_engine import _open

scratch = sys.argv[1]
_, say = _open("gmw/en-us", 175, scratch)
from pyttsx3.drivers import _espeak  # loaded by _open

said = []
for i in range(4):
    if i:  # espeak-ng still busy with something else when the clip is asked for
        _espeak.Synth("Something else, said at length, keeps it busy.", flags=_espeak.CHARS_UTF8)
    target = os.path.join(scratch, f"clip-{i}.wav")
    whole = say("Rest now, and breathe slowly.", target)
    said.append([whole, read_wav(target, 22050).size if os.path.exists(target) else -1])
print(json.dumps(said))
"""


@pytest.mark.usefixtures("real_engine")  # its pieces, in a child
def test_a_clip_asked_while_espeak_is_still_busy_comes_out_whole(tmp_path: Path) -> None:
    """pyttsx3's runAndWait cancels whatever espeak-ng is still doing, and with it the clip
    asked for next (empty or cut files, a few calls in 1,000 on a loaded machine): the
    worker waits for espeak-ng to be idle, and says whether the clip came out whole."""
    import json
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", _BUSY, str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-2000:]
    said = json.loads(run.stdout.strip().splitlines()[-1])
    quiet = said[0][1]
    assert said[0][0] and quiet > RATE_HZ  # the first, asked for with espeak-ng idle
    for whole, size in said[1:]:
        assert whole and abs(size - quiet) < quiet * 0.02
