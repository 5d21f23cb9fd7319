"""Encoding in pieces: only where the track sounds, on every core, joined sample-exact.

Measured after decoding with the real ffmpeg: the joined track is as long as
the plan, silent to the last bit where nothing sounds, and every sound starts
at the very sample it does in a track encoded whole.
"""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from mutagen.mp3 import MP3

from voiceguide.audio.decode import decode
from voiceguide.audio.mixer import Placed, mix, stream
from voiceguide.errors import FfmpegError
from voiceguide.ffmpeg import ffmpeg_exe
from voiceguide.mp3.encode import encode_mp3
from voiceguide.mp3.join import crc16, read_info
from voiceguide.mp3.pieces import FRAME, MARGIN, TAIL, Source, encode, layout
from voiceguide.pcm import RATE_HZ

from .faultkit import ctrl_c_as_a_thread_starts, ctrl_c_as_the_first_file_goes

MINUTE = 60 * RATE_HZ


def bursts(total: int, starts_s: list[float], seconds: float = 3.0) -> list[Placed]:
    """Noisy tones with a sharp onset, ``seconds`` long, at the given times."""
    rng = np.random.default_rng(len(starts_s))
    n = int(seconds * RATE_HZ)
    t = np.arange(n) / RATE_HZ
    out = []
    for start in starts_s:
        wave = np.sin(2 * np.pi * 330 * t) * (0.7 + 0.3 * rng.standard_normal(n))
        out.append(Placed(int(start * RATE_HZ), (9000 * wave).astype(np.float32)))
    return [p for p in out if p.end <= total]


def source_of(placed: list[Placed], total: int) -> Source:
    return Source(
        render=lambda begin, end: stream(placed, total, begin=begin, end=end),
        total=total,
        sounding=[(p.start, p.end) for p in placed],
    )


def lag(a: np.ndarray, b: np.ndarray, start: int, reach: int = 40) -> int:
    """How many samples later the sound at ``start`` is in ``b`` than in ``a`` (best match)."""
    ref = a[start : start + 8000].astype(float)
    scores = {
        k: float(np.dot(ref, b[start + k : start + k + 8000].astype(float)))
        for k in range(-reach, reach + 1)
    }
    return max(scores, key=scores.__getitem__)


# ---------------------------------------------------------------- the layout, pure


@given(
    total=st.integers(1, 40 * MINUTE),
    spans=st.lists(st.tuples(st.integers(0, 40 * MINUTE), st.integers(1, 3 * MINUTE)), max_size=30),
)
def test_layout_covers_every_sound_with_silent_margins_on_whole_frames(
    total: int, spans: list[tuple[int, int]]
) -> None:
    sounding = [(s, min(total, s + n)) for s, n in spans if s < total]
    pieces = layout(total, sounding)
    assert pieces[-1].end == total  # the last piece ends the track: its padding is the end
    for piece in pieces:
        assert piece.start % FRAME == 0 and piece.length > 0
    for before, after in itertools.pairwise(pieces):
        assert before.length % FRAME == 0  # whole frames: the next piece's frames line up
        assert after.start >= before.end + TAIL  # its delay and padding fit in the silence
    for start, end in sounding:
        home = [p for p in pieces if p.start <= start and end <= p.end]
        assert home, (start, end)
        assert start - home[0].start >= MARGIN or home[0].start == 0
        assert home[0].end - end >= MARGIN or home[0].end == total


def test_a_track_that_never_falls_silent_is_one_piece() -> None:
    assert [(p.start, p.length) for p in layout(30 * MINUTE, [(0, 30 * MINUTE)])] == [
        (0, 30 * MINUTE)
    ]


def test_long_talk_is_shared_out_at_its_pauses_and_long_silence_is_not_encoded() -> None:
    second = RATE_HZ
    talk = [(s * second, s * second + int(2.3 * second)) for s in range(0, 600, 3)]  # 10 minutes
    pieces = layout(60 * MINUTE, talk)
    assert len(pieces) >= 5  # cut at sentence pauses, so both cores have work
    encoded = sum(p.length for p in pieces)
    assert encoded < 11 * MINUTE  # the 50 silent minutes are not encoded


# ---------------------------------------------------------------- encoded and decoded


@pytest.fixture(scope="module")
def timeline() -> tuple[list[Placed], int]:
    total = 6 * MINUTE + 77  # not a whole number of frames
    starts = [0.5, 4.2, 70.0, 71.5, 150.3, 290.0, 358.9]
    return bursts(total, starts), total


@pytest.fixture(scope="module")
def joined(timeline, tmp_path_factory) -> Path:
    placed, total = timeline
    target = tmp_path_factory.mktemp("pieces") / "joined.mp3"
    source = source_of(placed, total)
    assert len(layout(total, source.sounding)) > 2
    encode(source, target)
    return target


def test_joined_track_decodes_to_the_exact_length(timeline, joined: Path) -> None:
    _placed, total = timeline
    assert decode(joined).size == total


def test_silence_between_pieces_decodes_to_exact_zeros(timeline, joined: Path) -> None:
    placed, total = timeline
    x = decode(joined)
    quiet = np.ones(total, dtype=bool)
    for p in placed:
        quiet[max(0, p.start - 2 * FRAME) : p.end + 2 * FRAME] = False
    assert quiet.sum() > 4 * MINUTE and not np.any(x[quiet])


@pytest.mark.slow  # a whole timeline encoded and decoded once more with ffmpeg
def test_every_sound_starts_at_the_same_sample_as_in_a_track_encoded_whole(
    timeline, joined: Path, tmp_path: Path
) -> None:
    placed, total = timeline
    encode_mp3([mix(placed, total)], tmp_path / "whole.mp3")
    whole, parts = decode(tmp_path / "whole.mp3"), decode(joined)
    assert [lag(whole, parts, p.start) for p in placed] == [0] * len(placed)
    for p in placed:  # and sounds as the whole does, to within the codec's own error
        a, b = whole[p.start : p.end].astype(float), parts[p.start : p.end].astype(float)
        assert np.sqrt(np.mean((a - b) ** 2)) < 0.2 * np.sqrt(np.mean(a**2))


def test_players_read_the_joined_file_without_complaint(timeline, joined: Path) -> None:
    _placed, total = timeline
    check = subprocess.run(
        [ffmpeg_exe(), "-v", "warning", "-i", str(joined), "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert check.stderr == ""
    assert abs(MP3(str(joined)).info.length - total / RATE_HZ) < 0.1


def test_the_info_tag_checksums_hold_for_the_whole_file(joined: Path) -> None:
    info = read_info(joined)
    audio = joined.read_bytes()[len(info.frame) :]
    assert crc16(audio) == info.music_crc
    frame = bytearray(info.frame)
    stated = int.from_bytes(frame[info.lame + 34 : info.lame + 36], "big")
    frame[info.lame + 34 : info.lame + 36] = b"\0\0"
    assert crc16(bytes(frame[:190])) == stated


def test_the_bytes_do_not_depend_on_the_number_of_cores(
    timeline, joined: Path, tmp_path: Path
) -> None:
    placed, total = timeline
    encode(source_of(placed, total), tmp_path / "one.mp3", workers=1)
    encode(source_of(placed, total), tmp_path / "four.mp3", workers=4)
    assert (tmp_path / "one.mp3").read_bytes() == joined.read_bytes()
    assert (tmp_path / "four.mp3").read_bytes() == joined.read_bytes()


def test_streamed_pieces_equal_pieces_cut_from_the_whole_buffer(
    timeline, joined: Path, tmp_path: Path
) -> None:
    placed, total = timeline
    whole = mix(placed, total)
    source = Source(
        lambda begin, end: [whole[2 * begin : 2 * end]], total, [(p.start, p.end) for p in placed]
    )
    encode(source, tmp_path / "whole.mp3")
    assert (tmp_path / "whole.mp3").read_bytes() == joined.read_bytes()


def test_an_ambient_bed_track_is_encoded_whole(tmp_path: Path) -> None:
    total = 2 * MINUTE
    rendered: list[tuple[int, int]] = []

    def render(begin: int, end: int):
        rendered.append((begin, end))
        return [bytes(2 * (end - begin))]

    encode(Source(render, total, [(0, total)]), tmp_path / "bed.mp3")
    assert rendered == [(0, total)] and decode(tmp_path / "bed.mp3").size == total


# ---------------------------------------------------------------- faults


def test_a_failing_piece_stops_the_others_and_leaves_no_files(timeline, tmp_path: Path) -> None:
    placed, total = timeline
    good = source_of(placed, total)
    second = layout(total, good.sounding)[1]

    def render(begin: int, end: int):
        if begin == second.start:
            raise FfmpegError("piece two broke")
        return good.render(begin, end)

    target = tmp_path / "t.mp3"
    with pytest.raises(FfmpegError, match="piece two broke"):
        encode(Source(render, total, good.sounding), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_interrupt_in_a_piece_unwinds_and_leaves_no_files(timeline, tmp_path: Path) -> None:
    placed, total = timeline
    good = source_of(placed, total)

    def render(begin: int, end: int):
        yield from good.render(begin, min(end, begin + FRAME))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        encode(Source(render, total, good.sounding), tmp_path / "t.mp3", workers=2)
    assert list(tmp_path.iterdir()) == []


def test_a_signal_while_the_encoders_start_stops_them_and_leaves_no_files(
    timeline, tmp_path: Path
) -> None:
    """Ctrl-C lands while the second encoder thread is being started: the first is already
    encoding, and must not write its piece again after the pieces are removed."""
    placed, total = timeline
    source = source_of(placed, total)
    with (
        ctrl_c_as_a_thread_starts("voiceguide-encode-1") as started,
        pytest.raises(KeyboardInterrupt),
    ):
        encode(source, tmp_path / "t.mp3", workers=2)
    for thread in started:  # an encoder left running would write its piece
        thread.join()
    assert list(tmp_path.iterdir()) == []


def test_a_signal_as_the_pieces_are_removed_leaves_none_of_them(
    timeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C lands once the track is joined, as its pieces are being removed: every piece
    goes all the same (it once cut the loop short, leaving the last pieces beside the track)."""
    placed, total = timeline
    landed = ctrl_c_as_the_first_file_goes(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        encode(source_of(placed, total), tmp_path / "t.mp3", workers=2)
    assert landed and [p.name for p in tmp_path.iterdir()] == ["t.mp3"]


@pytest.mark.parametrize("extra", [0, 1, 2, 46, 575])
@pytest.mark.parametrize("pieces", ["one piece", "several"])
def test_any_length_decodes_exactly_whatever_its_last_frame_holds(
    extra: int, pieces: str, tmp_path: Path
) -> None:
    """ffmpeg's tag cannot state more than 1105 samples of padding: 576k + 1 decoded 46 long."""
    total = 1000 * FRAME + extra
    sounding = [(0, total)] if pieces == "one piece" else [(100_000, 110_000)]
    x = np.zeros(total, dtype="<i2")
    x[100_000:110_000] = 3000
    encode(Source(lambda b, e: [x[b:e].tobytes()], total, sounding), tmp_path / "t.mp3")
    assert decode(tmp_path / "t.mp3").size == total
