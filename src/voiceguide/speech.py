"""Speak sentences with pyttsx3 (espeak-ng), cached by content.

pyttsx3 runs in a worker process of its own: its driver prints to stdout,
can return before a file is written, and can hang. In a child process its
prints go to /dev/null, a missed file is retried under a fresh name after a
restart, and a call that does not answer in time is killed and reported
with the text it was saying. Clips come back trimmed of espeak's silent tail,
so the timeline's arithmetic is the clip's true length.
"""

from __future__ import annotations

import difflib
import errno
import hashlib
import multiprocessing as mp
import os
import signal
import struct
import tempfile
import wave
from collections.abc import Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from .engines import ESPEAK_HINT
from .errors import DiskFullError, InputError, OutputError, SpeechError

RATE_HZ = 22_050  # what espeak writes; the whole track uses it
DEFAULT_RATE_WPM = 150
DEFAULT_VOICE = "gmw/en-us"
SPEAK_TIMEOUT_S = 30.0
START_TIMEOUT_S = 60.0
_TRIM_THRESHOLD = 200  # about -44 dBFS
_KEEP_TAIL = int(RATE_HZ * 0.03)


@dataclass(frozen=True)
class VoiceInfo:
    id: str
    name: str
    languages: tuple[str, ...]


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "voiceguide" / "clips"


def trim(samples: np.ndarray) -> np.ndarray:
    """Drop espeak's leading and trailing silence, keeping a 30 ms release."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > _TRIM_THRESHOLD)
    if loud.size == 0:
        return samples[:0]
    return samples[loud[0] : min(samples.size, loud[-1] + 1 + _KEEP_TAIL)]


def length_ms(samples: np.ndarray) -> int:
    return round(samples.size * 1000 / RATE_HZ)


def read_wav(path: Path) -> np.ndarray:
    """Samples of a mono 16-bit WAV, or ValueError if it is not one or is cut short."""
    with wave.open(str(path), "rb") as w:
        if w.getnchannels() != 1 or w.getsampwidth() != 2 or w.getframerate() != RATE_HZ:
            raise ValueError("unexpected WAV format")
        frames = w.getnframes()
        data = w.readframes(frames)
    if len(data) != frames * 2:
        raise ValueError("truncated WAV")
    return np.frombuffer(data, dtype="<i2").copy()


_CHECK_ID = b"vgck"  # a RIFF chunk after the samples: their sha256
_HEADER_BYTES = 44
_CHECK_BYTES = 8 + 32


def write_wav(path: Path, samples: np.ndarray) -> None:
    """Write a cache entry atomically (complete or absent), with a checksum of its samples.

    The checksum rides in a chunk of its own after the samples, where WAV
    readers skip it, so a damaged entry that still parses as WAV is found by
    ``read_cached`` and rebuilt instead of played.
    """
    data = samples.astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, 1, RATE_HZ, RATE_HZ * 2, 2, 16)
    body = (
        b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", len(data))
        + data
        + _CHECK_ID
        + struct.pack("<I", 32)
        + hashlib.sha256(data).digest()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(b"RIFF" + struct.pack("<I", len(body)) + body)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_cached(path: Path) -> np.ndarray:
    """Samples of a cache entry, or ValueError if it is damaged in any way."""
    raw = path.read_bytes()
    samples = read_wav(path)
    size = samples.size * 2
    end = _HEADER_BYTES + size
    if len(raw) != end + _CHECK_BYTES or raw[end : end + 8] != _CHECK_ID + struct.pack("<I", 32):
        raise ValueError("no checksum")
    if hashlib.sha256(raw[_HEADER_BYTES:end]).digest() != raw[end + 8 :]:
        raise ValueError("checksum mismatch")
    return samples


class Speaker:
    """Sentences to trimmed clips, through a cache and one pyttsx3 worker.

    Use as a context manager; the worker starts only when a sentence is
    missing from the cache, so a warm build never loads the engine.
    """

    def __init__(
        self,
        *,
        voice: str | None = None,
        rate: int = DEFAULT_RATE_WPM,
        cache_dir: Path | None = None,
        timeout_s: float = SPEAK_TIMEOUT_S,
    ) -> None:
        self.voice = voice or DEFAULT_VOICE
        self.rate = rate
        self.cache_dir = cache_dir
        self.timeout_s = timeout_s
        self._memory: dict[str, np.ndarray] = {}
        self._worker: _Worker | None = None
        self._engine_id: str | None = None
        self._scratch = Path(tempfile.mkdtemp(prefix="voiceguide-tts-"))

    def __enter__(self) -> Speaker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._worker:
            self._worker.stop()
            self._worker = None
        for leftover in self._scratch.glob("*"):
            leftover.unlink(missing_ok=True)
        self._scratch.rmdir()

    @property
    def engine_id(self) -> str:
        """pyttsx3 and espeak-ng versions: part of every cache key."""
        if self._engine_id is None:
            from importlib.metadata import version

            from .engines import load_espeak

            self._engine_id = f"pyttsx3 {version('pyttsx3')}; espeak-ng {load_espeak().version}"
        return self._engine_id

    def key(self, text: str) -> str:
        material = "\0".join((text, self.voice, str(self.rate), self.engine_id))
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def clip(self, text: str) -> np.ndarray:
        if text in self._memory:
            return self._memory[text]
        samples = self._from_cache(text)
        if samples is None:
            samples = trim(self._synthesize(text))
            if samples.size == 0:
                raise SpeechError(f'the speech engine said nothing for "{_short(text)}"')
            if self.cache_dir is not None:
                self._store(text, samples)
        self._memory[text] = samples
        return samples

    def clips(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        return {t: self.clip(t) for t in texts}

    def length_ms(self, text: str) -> int:
        return length_ms(self.clip(text))

    def voices(self) -> list[VoiceInfo]:
        return self._ensure_worker().voices

    def check_voice(self) -> None:
        """An unknown voice is an input error with close matches (pyttsx3 silently ignores it)."""
        ids = [v.id for v in self.voices()]
        if self.voice not in ids:
            close = difflib.get_close_matches(self.voice, ids, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else "; see `voiceguide voices`"
            raise InputError(f"--voice {self.voice}: no such voice{hint}")

    # -- internals

    def _cache_path(self, text: str) -> Path:
        assert self.cache_dir is not None
        key = self.key(text)
        return self.cache_dir / key[:2] / f"{key}.wav"

    def _store(self, text: str, samples: np.ndarray) -> None:
        try:
            write_wav(self._cache_path(text), samples)
        except OSError as exc:
            where = f"the clip cache {self.cache_dir}"
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise DiskFullError(f"no space left on the disk for {where}") from exc
            raise OutputError(
                f"cannot write to {where} ({exc.strerror or exc}); "
                "give --cache-dir DIR or --no-cache"
            ) from exc

    def _from_cache(self, text: str) -> np.ndarray | None:
        if self.cache_dir is None:
            return None
        path = self._cache_path(text)
        if not path.exists():
            return None
        try:
            samples = read_cached(path)
        except (OSError, ValueError, EOFError, wave.Error):
            path.unlink(missing_ok=True)  # damaged: rebuild, never play it
            return None
        return samples if samples.size else None

    def _ensure_worker(self) -> _Worker:
        if self._worker is None:
            self._worker = _Worker(self.voice, self.rate, self._scratch)
        return self._worker

    def _synthesize(self, text: str) -> np.ndarray:
        for attempt in range(3):
            worker = self._ensure_worker()
            target = self._scratch / f"clip-{os.getpid()}-{id(text)}-{attempt}.wav"
            try:
                written = worker.say(text, target, self.timeout_s)
            except TimeoutError:
                self._restart()
                raise SpeechError(
                    f'the speech engine did not finish "{_short(text)}" within {self.timeout_s:g}s'
                ) from None
            if written:
                try:
                    samples = read_wav(target)
                    if trim(samples).size:  # an empty or silent file is a missed write too
                        return samples
                except (OSError, ValueError, EOFError, wave.Error):
                    pass
                finally:
                    target.unlink(missing_ok=True)
            # pyttsx3 sometimes returns before writing; a late write could land
            # under the next name, so start from a fresh engine before retrying.
            self._restart()
        raise SpeechError(f'the speech engine wrote no audio for "{_short(text)}" in 3 attempts')

    def _restart(self) -> None:
        if self._worker:
            self._worker.stop()
        self._worker = None


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Worker:
    """One pyttsx3 engine in a child process, spoken to over a pipe.

    The child's stdout goes to /dev/null and its stderr to a log in the
    speaker's scratch folder, whose last line explains a failure; the child
    ignores Ctrl-C, so the parent alone decides how to unwind.
    """

    def __init__(self, voice: str, rate: int, scratch: Path) -> None:
        ctx = mp.get_context("spawn")
        self.log = scratch / "engine.log"
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=_serve, args=(child, voice, rate, str(scratch)), daemon=True
        )
        self.process.start()
        child.close()
        try:
            reply = self._receive(START_TIMEOUT_S, "starting")
        except TimeoutError:
            raise SpeechError(
                f"the speech engine did not start within {START_TIMEOUT_S:g}s; {ESPEAK_HINT}"
            ) from None
        if reply[0] != "ready":
            self.stop()
            message = reply[1] if ESPEAK_HINT in reply[1] else f"{reply[1]}; {ESPEAK_HINT}"
            raise SpeechError(message)
        self.voices: list[VoiceInfo] = [VoiceInfo(*v) for v in reply[1]]

    def say(self, text: str, target: Path, timeout_s: float) -> bool:
        self.conn.send(("say", text, str(target)))
        reply = self._receive(timeout_s, f'saying "{_short(text)}"')
        if reply[0] == "error":
            raise SpeechError(f'the speech engine failed on "{_short(text)}": {reply[1]}')
        return bool(reply[1])

    def _receive(self, timeout_s: float, doing: str) -> Any:
        if not self.conn.poll(timeout_s):
            self.stop()
            raise TimeoutError(doing)
        try:
            return self.conn.recv()
        except EOFError:
            self.process.join(5)
            code = self.process.exitcode
            self.stop()
            said = self._last_log_line()
            hint = f"; {ESPEAK_HINT}" if doing == "starting" else ""
            raise SpeechError(
                f"the speech engine stopped (exit status {code}) while {doing}"
                + (f": {said}" if said else "")
                + hint
            ) from None

    def _last_log_line(self) -> str:
        try:
            lines = self.log.read_text(encoding="utf-8", errors="replace").split("\n")
        except OSError:
            return ""
        lines = [line.strip() for line in lines if line.strip()]
        return lines[-1].rstrip(".") if lines else ""

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


def _serve(conn: Connection, voice: str, rate: int, scratch: str) -> None:
    """The child: quiet its output, load espeak-ng, answer requests until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    log = os.open(os.path.join(scratch, "engine.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    os.dup2(log, 2)
    try:
        from .engines import load_espeak

        load_espeak()
        import pyttsx3

        engine = pyttsx3.init("espeak")
        voices = [
            (v.id, v.name, tuple(getattr(v, "languages", ()) or ()))
            for v in engine.getProperty("voices")
        ]
        if voice in {v[0] for v in voices}:
            engine.setProperty("voice", voice)
        engine.setProperty("rate", rate)
        # The first save_to_file after init returns before writing; two
        # throwaway calls leave the driver in its reliable state. They go in
        # the speaker's scratch folder, which the parent removes whatever happens.
        for i in range(2):
            warm = os.path.join(scratch, f"warm-{os.getpid()}-{i}.wav")
            engine.save_to_file("Ready.", warm)
            engine.runAndWait()
            if os.path.exists(warm):
                os.unlink(warm)
    except Exception as exc:  # reported to the parent as one line
        conn.send(("error", f"the speech engine could not start: {exc}"))
        return
    conn.send(("ready", voices))
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        try:
            _, text, target = request
            engine.save_to_file(text, target)
            engine.runAndWait()
            conn.send(("ok", os.path.exists(target)))
        except Exception as exc:
            conn.send(("error", str(exc)))
