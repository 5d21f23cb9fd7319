"""Write one gapless MP3 from pieces encoded apart, with silent frames between them.

Each piece was encoded on its own (see ``pieces.py``) into a file that
starts with an Info frame (the LAME tag ffmpeg writes to a seekable file):
its frame count, size, encoder delay, padding and a checksum of its audio.
The joined file keeps the first piece's Info frame, rewritten for the whole
(counts, table of contents, the last piece's padding, checksums); every
piece's audio frames follow byte for byte from the frame it was placed at,
and the frames between are frames without audio data, which decode to exact
zeros whatever comes before or after. Nothing is decoded or re-encoded, and
every checksum is combined from the parts' own (the silent frames repeat
with a short period), so joining costs a file copy, not a pass over the audio.

Only what our encoder writes is accepted (layer III with a complete Info
tag); anything else is an error, never a silently damaged file.
"""

from __future__ import annotations

import errno
import functools
import math
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..errors import FfmpegError

TOC_ENTRIES = 100
TAG_CRC_SPAN = 190  # ffmpeg's tag checksum covers the frame's first 190 bytes, itself as zero

# layer III bit rates in kb/s by header index: MPEG-1, then MPEG-2/2.5
_BITRATES = (
    (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
)
FRAME_SAMPLES = {3: 1152, 2: 576, 0: 576}  # layer III, by version: MPEG-1, 2, 2.5
_NO_KERNEL_COPY = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF}
_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


class JoinError(FfmpegError):
    """A piece is not an MP3 our encoder wrote: refuse rather than write a broken file."""


@dataclass(frozen=True)
class Info:
    """The first frame of one piece: its Info tag and where the fields are."""

    frame: bytes
    xing: int  # offset of b"Info" / b"Xing" in the frame
    lame: int  # offset of the encoder tag (b"LAME" or b"Lavc...")
    frames: int  # audio frames after this one
    size: int  # bytes in the file, this frame included
    delay: int  # encoder delay: samples in front of the first sample of the track
    padding: int  # samples after the last one, dropped at the end
    music_crc: int  # CRC-16 of the audio frames

    @property
    def audio_bytes(self) -> int:
        return self.size - len(self.frame)


def read_info(path: Path) -> Info:
    with open(path, "rb") as fh:
        head = fh.read(4096)
        size = os.fstat(fh.fileno()).st_size
    if len(head) < 4:
        raise JoinError(f"{path}: too short for an MP3 frame")
    (header,) = struct.unpack(">I", head[:4])
    if header >> 21 != 0x7FF or (header >> 17) & 3 != 1 or (header >> 19) & 3 == 1:
        raise JoinError(f"{path}: does not start with an MPEG layer III frame")
    fields = _fields(header)
    if fields is None:
        raise JoinError(f"{path}: first frame has a free or invalid bit rate or sample rate")
    mpeg1, bitrate, rate = fields
    length = (144 if mpeg1 else 72) * bitrate // rate + ((header >> 9) & 1)
    mono = (header >> 6) & 3 == 3
    xing = 4 + ((17 if mono else 32) if mpeg1 else (9 if mono else 17))
    frame = head[:length]
    if len(frame) < xing + 156 or frame[xing : xing + 4] not in (b"Info", b"Xing"):
        raise JoinError(f"{path}: no Info tag in its first frame")
    flags, frames, stated = struct.unpack(">III", frame[xing + 4 : xing + 16])
    if flags & 0xF != 0xF:
        raise JoinError(f"{path}: Info tag without frame count, size and table of contents")
    if stated != size:
        raise JoinError(f"{path}: Info tag states {stated} bytes, the file has {size}")
    lame = xing + 120
    delays = int.from_bytes(frame[lame + 21 : lame + 24], "big")
    (crc,) = struct.unpack(">H", frame[lame + 32 : lame + 34])
    return Info(frame, xing, lame, frames, size, delays >> 12, delays & 0xFFF, crc)


def _fields(header: int) -> tuple[bool, int, int] | None:
    """MPEG-1 or not, bit rate and sample rate of a layer III frame header (None if unusable)."""
    version = (header >> 19) & 3
    mpeg1 = version == 3
    bitrate = _BITRATES[0 if mpeg1 else 1][(header >> 12) & 15] * 1000
    rate_index = (header >> 10) & 3
    if not bitrate or rate_index == 3:
        return None
    return mpeg1, bitrate, _RATES[version][rate_index]


def assemble(target: Path, parts: Sequence[tuple[int, Path]]) -> None:
    """Write ``target`` from ``(first frame, file)`` parts in order, silent frames between.

    The last part ends the track, so its padding (stated exactly by
    ``state_length`` when it was encoded) is the padding of the whole.
    """
    infos = [read_info(path) for _, path in parts]
    head = infos[0]
    for (_, path), info in zip(parts, infos, strict=True):
        if _fixed_bits(info) != _fixed_bits(head):
            raise JoinError(f"{path}: encoded with other settings than {parts[0][1]}")
    with open(parts[0][1], "rb") as fh:
        fh.seek(len(head.frame))
        silence = _Silence(fh.read(4))
    stretches: list[tuple[int, int, int, int]] = []  # first frame, byte offset, frames, bytes
    crc = 0
    frame = 0
    with open(target, "wb") as out:
        out.write(head.frame)  # rewritten at the end, when the whole is known
        for (first, path), info in zip(parts, infos, strict=True):
            if first < frame:
                raise JoinError(f"{path}: placed at frame {first}, before the end of the last part")
            if first > frame:
                size, run_crc = silence.write(out, frame, first)
                stretches.append((frame, out.tell() - size, first - frame, size))
                crc = crc16_combine(crc, run_crc, size)
            stretches.append((first, out.tell(), info.frames, info.audio_bytes))
            _copy(path, out, len(info.frame), info.audio_bytes)
            crc = crc16_combine(crc, info.music_crc, info.audio_bytes)
            frame = first + info.frames
        size = out.tell()
        out.seek(0)
        out.write(_patched(head, frame, size, infos[-1].padding, crc, stretches))


def state_length(path: Path, samples: int) -> None:
    """Make the Info tag of an encode of ``samples`` state its padding exactly.

    ffmpeg's tag cannot state more than 1105 samples of padding, so a track
    of 576k + 1 samples would decode 46 samples long; the padding is
    computed here from the length instead.
    """
    info = read_info(path)
    padding = info.frames * FRAME_SAMPLES[info.frame[1] >> 3 & 3] - info.delay - samples
    if not 0 <= padding < 1 << 12:
        raise JoinError(f"{path}: {info.frames} frames cannot hold {samples} samples")
    if padding != info.padding:
        stretch = [(0, len(info.frame), info.frames, info.audio_bytes)]
        frame = _patched(info, info.frames, info.size, padding, info.music_crc, stretch)
        with open(path, "r+b") as out:
            out.write(frame)


class _Silence:
    """Frames without audio data, their sizes in the long-run pattern of the bit rate.

    A constant bit rate that is not a whole number of bytes per frame (64 kb/s
    at 22,050 Hz: 208.98) pads some frames by a byte; frame j is as long as
    floor((j + 1) * r) - floor(j * r) bytes, so the bytes stay in step with
    the time and players that seek by bit rate land right. The pattern, and
    so the bytes, repeat every ``period`` frames: one period is built once,
    and the checksum of any stretch is combined from its prefix checksums.
    """

    def __init__(self, audio_header: bytes) -> None:
        (header,) = struct.unpack(">I", audio_header)
        fields = _fields(header)
        if fields is None:
            raise JoinError("a piece's audio frames have a free or invalid bit rate")
        mpeg1, bitrate, rate = fields
        self.num, self.den = (144 if mpeg1 else 72) * bitrate, rate
        self.period = rate // math.gcd(self.num, rate)
        block = bytearray()
        plain = header & ~(1 << 9) | (1 << 16)  # no padding, no CRC: set per frame below
        for j in range(self.period):
            length = self._offset(j + 1) - self._offset(j)
            padded = length - self.num // self.den
            block += struct.pack(">I", plain | (padded << 9)) + bytes(length - 4)
        self.block = bytes(block)
        self.prefix = [0]
        for byte in self.block:
            self.prefix.append((self.prefix[-1] >> 8) ^ _TABLE[(self.prefix[-1] ^ byte) & 0xFF])
        self.tile = self.block * max(1, (1 << 20) // len(self.block))

    def _offset(self, frame: int) -> int:
        return frame * self.num // self.den

    def write(self, out: BinaryIO, first: int, end: int) -> tuple[int, int]:
        """Frames [first, end) onto ``out``; returns their size in bytes and their CRC-16."""
        begin = self._offset(first) % len(self.block)
        size = self._offset(end) - self._offset(first)
        left, at = size, begin
        while left:
            chunk = self.tile[at : at + left]
            out.write(chunk)
            left -= len(chunk)
            at = 0
        return size, self._crc(begin, size)

    def _crc(self, begin: int, size: int) -> int:
        period = len(self.block)
        head = min(size, period - begin)
        crc = self._part(begin, begin + head)
        whole, tail = divmod(size - head, period)
        once, copies, length = self.prefix[period], 0, period
        while whole:  # the whole periods, by doubling
            if whole & 1:
                copies = crc16_combine(copies, once, length)
            once = crc16_combine(once, once, length)
            length *= 2
            whole >>= 1
        crc = crc16_combine(crc, copies, (size - head - tail))
        return crc16_combine(crc, self.prefix[tail], tail)

    def _part(self, a: int, b: int) -> int:
        """CRC of block[a:b]: the prefix up to b with the prefix up to a run out of it."""
        return self.prefix[b] ^ crc16_combine(self.prefix[a], 0, b - a)


def _fixed_bits(info: Info) -> int:
    """Version, layer, bit rate, sample rate and channel mode: what the pieces must share."""
    (header,) = struct.unpack(">I", info.frame[:4])
    return header & 0xFFFEFCC0


def _copy(source: Path, out: BinaryIO, offset: int, count: int) -> None:
    """``count`` bytes of ``source`` from ``offset`` onto the end of ``out``.

    In the kernel where it can (no bytes through Python), a plain loop where
    the file system cannot (another file system, an old kernel).
    """
    out.flush()
    start = out.seek(0, os.SEEK_END)
    done = 0
    with open(source, "rb") as src:
        try:
            while done < count:
                sent = os.copy_file_range(
                    src.fileno(), out.fileno(), count - done, offset + done, start + done
                )
                if sent == 0:
                    break
                done += sent
        except OSError as exc:
            if exc.errno not in _NO_KERNEL_COPY:
                raise
        src.seek(offset + done)
        out.seek(start + done)
        while done < count:
            chunk = src.read(min(count - done, 1 << 20))
            if not chunk:
                raise JoinError(f"{source}: ended before its stated size")
            out.write(chunk)
            done += len(chunk)
    out.seek(0, os.SEEK_END)


def _patched(
    head: Info,
    frames: int,
    size: int,
    padding: int,
    music_crc: int,
    stretches: Sequence[tuple[int, int, int, int]],
) -> bytes:
    """The first piece's Info frame, stating the whole file."""
    frame = bytearray(head.frame)
    x, lame = head.xing, head.lame
    struct.pack_into(">II", frame, x + 8, frames, size)
    for i in range(1, TOC_ENTRIES):  # the byte at which each hundredth of the time starts
        wanted = i * frames // TOC_ENTRIES
        for first, offset, count, length in stretches:
            if first <= wanted < first + count:
                at = offset + (wanted - first) * length // count
                frame[x + 16 + i] = min(255, 256 * at // size)
                break
    frame[x + 16] = 0
    delays = int.from_bytes(frame[lame + 21 : lame + 24], "big")
    frame[lame + 21 : lame + 24] = ((delays & 0xFFF000) | (padding & 0xFFF)).to_bytes(3, "big")
    struct.pack_into(">IHH", frame, lame + 28, size, music_crc, 0)
    struct.pack_into(">H", frame, lame + 34, crc16(bytes(frame[:TAG_CRC_SPAN])))
    return bytes(frame)


# ---------------------------------------------------------------- CRC-16 (ARC)
# The LAME tag's checksums: polynomial 0x8005 reflected, initial value 0.

_TABLE = []
for _byte in range(256):
    _crc = _byte
    for _ in range(8):
        _crc = (_crc >> 1) ^ 0xA001 if _crc & 1 else _crc >> 1
    _TABLE.append(_crc)


def crc16(data: bytes, crc: int = 0) -> int:
    for byte in data:
        crc = (crc >> 8) ^ _TABLE[(crc ^ byte) & 0xFF]
    return crc


def crc16_combine(crc_a: int, crc_b: int, length_b: int) -> int:
    """CRC of A+B from the CRCs of A and B: A's run on through ``length_b`` zero bytes.

    The CRC is linear with a zero start, so crc(A+B) = crc(A + zeros) ^ crc(B),
    and running on through n zero bytes is a 16x16 bit matrix raised to the
    n-th power (zlib's crc32_combine, for 16 bits): no pass over B's bytes.
    """
    crc, power = crc_a, 0
    while length_b:
        if length_b & 1:
            crc = _times(_zeros_operator(power), crc)
        length_b >>= 1
        power += 1
    return crc ^ crc_b


@functools.cache
def _zeros_operator(power: int) -> tuple[int, ...]:
    """The matrix that runs a CRC on through 2**power zero bytes (columns as ints)."""
    if power == 0:
        op = [0xA001] + [1 << (n - 1) for n in range(1, 16)]  # one zero bit
        for _ in range(3):
            op = _square(op)
        return tuple(op)
    return tuple(_square(list(_zeros_operator(power - 1))))


def _times(matrix: Sequence[int], vector: int) -> int:
    out, column = 0, 0
    while vector:
        if vector & 1:
            out ^= matrix[column]
        vector >>= 1
        column += 1
    return out


def _square(matrix: Sequence[int]) -> list[int]:
    return [_times(matrix, column) for column in matrix]
