"""The mixer alone: given clips, not TTS; measured after a real MP3 round trip."""

from pathlib import Path

import numpy as np

from voiceguide.ffmpeg import encode_mp3
from voiceguide.mixer import Placed, sample_index, stream
from voiceguide.speech import RATE_HZ

from .audio import decoded, onset_ms, peak


def tone(ms: int, amplitude: float = 8000) -> np.ndarray:
    t = np.arange(sample_index(ms)) / RATE_HZ
    return (amplitude * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def pcm(blocks) -> np.ndarray:
    return np.frombuffer(b"".join(blocks), dtype="<i2")


def test_samples_are_placed_at_the_exact_index_of_absolute_time() -> None:
    total = sample_index(3_600_000)
    out = pcm(stream([Placed(sample_index(3_599_000), tone(500))], total))
    assert out.size == total
    first = np.flatnonzero(out)[0]
    assert abs(first - sample_index(3_599_000)) <= 1


def test_overlapping_clips_are_summed_and_clipped_not_wrapped() -> None:
    loud = np.full(1000, 30000, dtype=np.float32)
    out = pcm(stream([Placed(0, loud), Placed(500, loud)], 2000, block=300))
    assert (
        out[:500].tolist() == [30000] * 500
        and out[500:1000].max() == 32767
        and out[1500:].max() == 0
    )


def test_block_size_does_not_change_the_result() -> None:
    placed = [Placed(sample_index(t), tone(700)) for t in (0, 350, 2_000, 9_990)]
    total = sample_index(12_000)
    assert np.array_equal(
        pcm(stream(placed, total, block=1)), pcm(stream(placed, total, block=RATE_HZ))
    )


def test_tone_decodes_at_its_time_after_mp3_round_trip(tmp_path: Path) -> None:
    mp3 = tmp_path / "t.mp3"
    placed = [Placed(sample_index(3_000), tone(400)), Placed(sample_index(61_250), tone(400))]
    encode_mp3(stream(placed, sample_index(65_000)), mp3)
    x = decoded(mp3)
    assert abs(x.size - sample_index(65_000)) <= sample_index(50)
    for t in (3_000, 61_250):
        assert abs(onset_ms(x, t) - t) < 50
        assert peak(x, t - 1000, t - 50) < 0.01
