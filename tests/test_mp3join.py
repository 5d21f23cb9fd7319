"""Joining MP3 pieces: the checksums, the silent frames, and refusing what is not ours."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from voiceguide.audio.decode import decode
from voiceguide.mp3.encode import encode_mp3
from voiceguide.mp3.join import JoinError, _Silence, assemble, crc16, crc16_combine, read_info
from voiceguide.pcm import RATE_HZ

AUDIO_HEADER = bytes.fromhex("fff380c0")  # MPEG-2 layer III, 64 kb/s, 22,050 Hz, mono


@given(st.binary(max_size=300), st.binary(max_size=300))
def test_crc_of_two_parts_combines_without_reading_the_second(a: bytes, b: bytes) -> None:
    assert crc16_combine(crc16(a), crc16(b), len(b)) == crc16(a + b)


def test_crc16_is_the_arc_variant_the_lame_tag_uses() -> None:
    assert crc16(b"123456789") == 0xBB3D  # the catalogue check value of CRC-16/ARC


@given(st.integers(0, 3000), st.integers(0, 3000))
def test_silent_frames_keep_the_bit_rate_and_their_checksum_is_exact(
    first: int, count: int
) -> None:
    silence = _Silence(AUDIO_HEADER)
    out = io.BytesIO()
    size, crc = silence.write(out, first, first + count)
    data = out.getvalue()
    assert size == len(data) == (first + count) * 4_608_000 // 22_050 - first * 4_608_000 // 22_050
    assert crc == crc16(data)


def test_silent_frames_decode_to_exact_zeros(tmp_path: Path) -> None:
    encode_mp3([bytes(2 * RATE_HZ)], tmp_path / "piece.mp3")
    assemble(tmp_path / "joined.mp3", [(500, tmp_path / "piece.mp3")])
    x = decode(tmp_path / "joined.mp3")
    assert x.size == 500 * 576 + RATE_HZ and not np.any(x)


def test_a_file_without_an_info_tag_is_refused_by_name(tmp_path: Path) -> None:
    plain = tmp_path / "plain.mp3"
    plain.write_bytes(b"ID3\x04" + bytes(200))
    with pytest.raises(JoinError, match=r"plain\.mp3: does not start with an MPEG layer III frame"):
        read_info(plain)


def test_a_piece_cut_short_is_refused(tmp_path: Path) -> None:
    piece = tmp_path / "piece.mp3"
    encode_mp3([bytes(2 * RATE_HZ)], piece)
    piece.write_bytes(piece.read_bytes()[:-100])
    with pytest.raises(JoinError, match=r"piece.mp3: Info tag states \d+ bytes, the file has"):
        read_info(piece)


def test_pieces_placed_out_of_order_are_refused(tmp_path: Path) -> None:
    piece = tmp_path / "piece.mp3"
    encode_mp3([bytes(2 * RATE_HZ)], piece)
    with pytest.raises(JoinError, match="before the end of the last part"):
        assemble(tmp_path / "joined.mp3", [(0, piece), (10, piece)])
