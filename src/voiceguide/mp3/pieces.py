"""Encode only where the track sounds; stand canned silent frames in for the rest.

The MP3 encoder costs the same for a minute of silence as for a minute of
speech, and a guided massage is mostly silence: encoding it whole would
hold every build to the time ffmpeg takes over the full length. Instead the
track is laid out as pieces around its sounds (``layout``), each piece is
encoded by its own ffmpeg, side by side on the machine's cores, and
``mp3join`` writes the file: the pieces' frames where they belong and,
between them, frames that carry no audio data and decode to exact zeros.

Why the joins are exact: for n input samples LAME writes ceil(n / 576) + 2
frames of 576 samples: 576 samples of encoder delay in front, padding at the
end. A piece of n = k * 576 samples starting at a frame boundary a therefore
fills the frames from a / 576 to (a + n) / 576 + 2, and its samples decode
exactly where they belong in the joined stream (the Info tag's delay of the
whole is every piece's delay). Each piece carries MARGIN samples of silence
on both sides, so no transform window of a piece reaches another's sound,
and each starts its bit reservoir afresh, so no frame refers to bytes of
another piece. The 1152 samples after each piece are its delay and padding,
decoding to silence, as the track is silent there.

The layout depends on the track alone, never on the machine: the same
track gives the same bytes on one core or many.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .. import signals
from ..pcm import RATE_HZ
from .encode import encode_mp3
from .join import assemble

FRAME = 576  # samples in one MPEG-2 layer III frame (22,050 Hz)
TAIL = 2 * FRAME  # the samples of encoder delay and padding after a piece of whole frames
MARGIN = 8 * FRAME  # silence kept inside a piece on either side of its sounds
# Shorter silences are encoded: LAME takes about 2.3 ms of CPU a second of silence (2.0 at
# the quality 7 of mp3.encode), an ffmpeg 26 ms to start, so a silence of 11 to 13 s costs
# what a piece more does.
MERGE_GAP = 10 * RATE_HZ
# A piece this long is cut at its next silence: cores share the work, and a piece the true
# peak check sends back (true_peak: at a louder --loudness) is encoded again in less time.
# Against 2 minutes, 20 s took 0.4 to 1.6 s less CPU on warm builds of therapeutic at 60
# minutes with Piper's voice (6 pieces encoded again) and 0.6 s less with espeak-ng's (1),
# 3 runs each, at LAME's default quality; 10 s cost more.
LONGEST = 20 * RATE_HZ
SPLIT_GAP = 2 * MARGIN + TAIL + 2 * FRAME  # the least silence two pieces can meet in

Render = Callable[[int, int], Iterable[bytes]]  # PCM of the track's samples [begin, end)
# after a piece [begin, end) is encoded into a file: None if the file will do, or a render
# to encode the piece with again (the true peak of what was encoded, see true_peak)
Review = Callable[[int, int, Path], Render | None]
MAX_ENCODES = 5  # a piece is encoded at most this often: then the last one stands


@dataclass(frozen=True)
class Piece:
    start: int  # the first track sample this piece's encoder is fed: a frame boundary
    length: int  # samples it is fed: whole frames, except in the last piece

    @property
    def end(self) -> int:
        return self.start + self.length

    @property
    def first_frame(self) -> int:
        return self.start // FRAME


@dataclass(frozen=True)
class Source:
    """A track to encode: how to render any span of it, and where it may not be silent."""

    render: Render
    total: int  # samples
    sounding: Sequence[tuple[int, int]]  # spans [start, end) that may hold sound
    review: Review | None = None


def layout(total: int, sounding: Iterable[tuple[int, int]]) -> list[Piece]:
    """The pieces to encode: every sound inside one, the last ending the track.

    Sounds closer than MERGE_GAP share a piece, unless it has grown past
    LONGEST and the silence is wide enough to meet in (SPLIT_GAP): long
    talk is then shared among cores. A track that is never silent (an
    ambient bed) is one piece, encoded whole.
    """
    groups: list[list[int]] = []
    for start, end in sorted((s, e) for s, e in sounding if e > s and s < total):
        end = min(end, total)
        if groups:
            last = groups[-1]
            gap = start - last[1]
            if gap < SPLIT_GAP or (gap < MERGE_GAP and last[1] - last[0] < LONGEST):
                last[1] = max(last[1], end)
                continue
        groups.append([max(start, 0), end])
    pieces: list[Piece] = []
    for start, end in groups:
        _add(pieces, max(0, (start - MARGIN) // FRAME * FRAME), end + MARGIN, total)
    if not pieces or pieces[-1].end < total:  # the last piece ends the track
        _add(pieces, max(0, (total - MARGIN) // FRAME * FRAME), total, total)
    return pieces


def _add(pieces: list[Piece], begin: int, end: int, total: int) -> None:
    """Append a piece of whole frames (the last runs to the end), merged into the one before
    if its frames would reach this one's."""
    if pieces and begin < pieces[-1].end + TAIL:
        begin = pieces.pop().start
    whole_frames = begin + -(-(end - begin) // FRAME) * FRAME
    end = total if end + TAIL + MARGIN > total else whole_frames
    pieces.append(Piece(begin, end - begin))


class _Stopped(Exception):
    """Raised inside a piece's feed when another piece failed: end this encoder too."""


def encode(
    source: Source,
    target: Path,
    *,
    workers: int | None = None,
    on_samples: Callable[[int], None] | None = None,
) -> None:
    """Encode ``source`` into ``target``: its pieces on ``workers`` cores, then joined.

    A track that is one piece from end to end is encoded straight into
    ``target``. Otherwise every piece goes to a hidden file beside it,
    removed whatever happens. If a piece fails, or the build is interrupted,
    the other encoders are stopped at their next block, and the first real
    failure is raised.
    """
    pieces = layout(source.total, source.sounding)
    counted = _counter(on_samples)
    if len(pieces) == 1 and pieces[0].start == 0:
        _encode_piece(source, 0, source.total, target, counted)
        return
    if on_samples is not None:  # the silence between pieces costs nothing: done already
        on_samples(source.total - sum(p.length for p in pieces))
    stop = threading.Event()
    errors: dict[int, BaseException] = {}
    # longest first, so that no core is left with a long piece at the end
    todo = iter(sorted(range(len(pieces)), key=lambda i: -pieces[i].length))
    take = threading.Lock()

    with _files_beside(target, len(pieces)) as paths:

        def stoppable(blocks: Iterable[bytes]) -> Iterator[bytes]:
            return _until(stop.is_set, counted(blocks))

        def work() -> None:
            while not stop.is_set():
                with take:
                    index = next(todo, None)
                if index is None:
                    return
                piece = pieces[index]
                try:
                    _encode_piece(
                        source, piece.start, piece.end, paths[index], stoppable, stop.is_set
                    )
                except BaseException as exc:  # handed to the caller below
                    errors[index] = exc
                    stop.set()

        # a thread more than the cores: while one checks the piece it encoded (see
        # Source.review), ffmpeg can be encoding another (an hour's routine: 3.4 s, not 4.5)
        count = max(1, min(len(pieces), workers or (os.cpu_count() or 1) + 1))
        threads = [
            threading.Thread(target=work, name=f"voiceguide-encode-{n}", daemon=True)
            for n in range(count)
        ]
        try:
            for thread in threads:  # a signal can land here, with some encoders running
                thread.start()
            for thread in threads:
                while thread.is_alive():
                    thread.join(0.1)
        except BaseException:
            stop.set()  # before looking: an encoder not running yet sees it and does nothing
            for thread in threads:
                if thread.is_alive():
                    thread.join()
            raise
        failures = [e for _, e in sorted(errors.items()) if not isinstance(e, _Stopped)]
        if failures:
            raise failures[0]
        parts = [(p.first_frame, path) for p, path in zip(pieces, paths, strict=True)]
        assemble(target, parts)


def _encode_piece(
    source: Source,
    begin: int,
    end: int,
    path: Path,
    feed: Callable[[Iterable[bytes]], Iterable[bytes]],
    stopped: Callable[[], bool] = lambda: False,
) -> None:
    """Encode [begin, end) into ``path``, and again while the source's review asks for it.

    Only the first encode goes through ``feed`` (progress counts a sample once);
    a second one is rare and short. The last encode is reviewed too, so the
    source knows what stands. Once the build is stopping, a piece is not
    reviewed: ffmpeg may have ended it early on the same signal.
    """
    encode_mp3(feed(source.render(begin, end)), path)
    for encoded in range(1, MAX_ENCODES + 1):
        if stopped():
            raise _Stopped
        again = source.review(begin, end, path) if source.review is not None else None
        if again is None or encoded == MAX_ENCODES:
            return  # the last review only tells the source what stands
        encode_mp3(_until(stopped, again(begin, end)), path)


def _until(stopped: Callable[[], bool], blocks: Iterable[bytes]) -> Iterator[bytes]:
    """``blocks`` until the build stops (a piece encoded again is not counted as progress)."""
    for block in blocks:
        if stopped():
            raise _Stopped
        yield block


def _counter(
    on_samples: Callable[[int], None] | None,
) -> Callable[[Iterable[bytes]], Iterator[bytes]]:
    lock = threading.Lock()

    def counted(blocks: Iterable[bytes]) -> Iterator[bytes]:
        for block in blocks:
            yield block
            if on_samples is not None:
                with lock:
                    on_samples(len(block) // 2)

    return counted


@contextlib.contextmanager
def _files_beside(target: Path, count: int) -> Iterator[list[Path]]:
    """Hidden temporary files next to ``target`` (the same disk: joining copies in the kernel)."""
    paths: list[Path] = []
    try:
        for n in range(count):
            fd, name = tempfile.mkstemp(
                dir=target.parent, prefix=f".{target.name.lstrip('.')}.{n + 1}.", suffix=".part"
            )
            os.close(fd)
            paths.append(Path(name))
        yield paths
    finally:
        with signals.held():  # a signal landing here would leave the rest of the pieces
            for path in paths:
                path.unlink(missing_ok=True)
