"""The mixer alone: given clips, not TTS; measured after a real MP3 round trip."""

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from voiceguide.audio.mixer import Placed, mix, prefetch, stream
from voiceguide.mp3.encode import encode_mp3
from voiceguide.pcm import RATE_HZ, sample_index

from .audio import decoded, onset_ms, peak
from .faultkit import ctrl_c_as_a_thread_starts


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


@pytest.mark.slow  # 12 s of audio mixed a sample at a time
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


def busy_timeline() -> tuple[list[Placed], int]:
    """Clips that overlap, touch block edges, and run past the end."""
    rng = np.random.default_rng(6)
    placed = [
        Placed(start, rng.uniform(-20000, 20000, size).astype(np.float32))
        for start, size in ((0, 5000), (4000, 3000), (22_050, 22_050), (30_000, 9000))
    ]
    return placed, 38_000


@pytest.mark.parametrize("block", [1_000, 22_050, 220_500])
def test_streaming_equals_the_whole_buffer_mix_sample_for_sample(block: int) -> None:
    placed, total = busy_timeline()
    assert pcm(stream(placed, total, block=block)).tobytes() == mix(placed, total)


def test_streaming_equals_the_whole_buffer_mix_under_a_bed() -> None:
    placed, total = busy_timeline()
    noise = np.random.default_rng(7).uniform(-3000, 3000, total)

    def bed(begin: int, end: int) -> np.ndarray:
        return noise[begin:end]

    streamed = pcm(stream(placed, total, block=7_000, bed=bed)).tobytes()
    assert streamed == mix(placed, total, bed=bed)
    assert streamed != mix(placed, total)  # the bed is really there


def test_streamed_mp3_decodes_to_the_same_samples_as_the_whole_buffer_mix(tmp_path: Path) -> None:
    placed, total = busy_timeline()
    encode_mp3(prefetch(stream(placed, total, block=4_096)), tmp_path / "streamed.mp3")
    encode_mp3([mix(placed, total)], tmp_path / "whole.mp3")
    assert np.array_equal(decoded(tmp_path / "streamed.mp3"), decoded(tmp_path / "whole.mp3"))


def test_silent_stretches_cost_no_mixing_but_are_true_zeros() -> None:
    blocks = list(stream([Placed(100, tone(100))], sample_index(60_000), block=RATE_HZ))
    assert len({id(b) for b in blocks[1:]}) == 1  # one shared zero block, handed on again
    assert not any(blocks[-1]) and len(b"".join(blocks)) == 2 * sample_index(60_000)


def test_prefetch_gives_the_same_blocks_in_order() -> None:
    blocks = [bytes([i]) * 10 for i in range(50)]
    assert list(prefetch(iter(blocks), depth=3)) == blocks


def test_prefetch_raises_the_producers_error_in_the_consumer() -> None:
    def failing() -> Iterator[bytes]:
        yield b"ok"
        raise ValueError("mix failed")

    with pytest.raises(ValueError, match="mix failed"):
        list(prefetch(failing()))


def test_prefetch_stops_its_thread_when_the_consumer_stops_early() -> None:
    endless = (b"x" for _ in iter(int, 1))
    before = threading.active_count()
    consumer = prefetch(endless, depth=2)
    next(consumer)
    consumer.close()
    assert threading.active_count() == before


def test_prefetch_stops_its_thread_when_a_signal_lands_as_it_starts() -> None:
    endless = (b"x" for _ in iter(int, 1))
    with ctrl_c_as_a_thread_starts() as started, pytest.raises(KeyboardInterrupt):
        next(prefetch(endless, depth=2))
    started[0].join(5)
    assert not started[0].is_alive()  # not left offering blocks to no one
