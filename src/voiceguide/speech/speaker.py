"""Sentences to trimmed clips at the track's rate, through a cache and the engine it is given.

The engine starts only when a sentence is missing from the cache, so a warm
build never loads one. Clips come back trimmed of the engine's silent edges,
so the timeline's arithmetic is the clip's true length.
"""

from __future__ import annotations

import errno
import hashlib
import wave
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DiskFullError, OutputError, SpeechError, one_line
from ..pcm import RATE_HZ, length_ms
from .cache import cached_frames, read_cached, write_wav

if TYPE_CHECKING:
    import numpy as np
# numpy is imported where samples are made: timing words from the cache needs none.
from .engine import DEFAULT_RATE_WPM, Engine, VoiceInfo

_TRIM_THRESHOLD = 200  # about -44 dBFS
_KEEP_TAIL_S = 0.03  # a 30 ms release after the last loud sample


def trim(samples: np.ndarray, rate_hz: int = RATE_HZ) -> np.ndarray:
    """Drop the leading and trailing silence, keeping a 30 ms release."""
    import numpy as np

    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > _TRIM_THRESHOLD)
    if loud.size == 0:
        return samples[:0]
    keep = int(rate_hz * _KEEP_TAIL_S)
    return samples[loud[0] : min(samples.size, loud[-1] + 1 + keep)]


class Speaker:
    """Sentences to clips: memory, then the disk cache, then the engine.

    Use as a context manager; closing it closes the engine.
    """

    def __init__(
        self,
        engine: Engine | None = None,
        *,
        cache_dir: Path | None = None,
        voice: str | None = None,
        rate_wpm: int = DEFAULT_RATE_WPM,
    ) -> None:
        if engine is None:
            from .pyttsx3_engine import Pyttsx3Engine

            engine = Pyttsx3Engine(voice, rate_wpm)
        if engine.rate_hz != RATE_HZ:
            raise SpeechError(
                f"the speech engine speaks at {engine.rate_hz} Hz; the track is {RATE_HZ} Hz"
            )
        self.engine = engine
        self.cache_dir = cache_dir
        self._memory: dict[str, np.ndarray] = {}

    def __enter__(self) -> Speaker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.engine.close()

    @property
    def engine_id(self) -> str:
        return self.engine.id

    def key(self, text: str) -> str:
        material = "\0".join((text, self.engine.id))
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def clip(self, text: str) -> np.ndarray:
        if text in self._memory:
            return self._memory[text]
        samples = self._from_cache(text)
        if samples is None:
            samples = trim(self.engine.synthesize(text), self.engine.rate_hz)
            if samples.size == 0:
                raise SpeechError(f'the speech engine said nothing for "{_short(text)}"')
            if self.cache_dir is not None:
                self._store(text, samples)
        self._memory[text] = samples
        return samples

    def clips(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        return {t: self.clip(t) for t in texts}

    def length_ms(self, text: str) -> int:
        """How long ``text`` takes to say; a cached clip is timed from its header alone."""
        if text not in self._memory and self.cache_dir is not None:
            frames = cached_frames(self._cache_path(text))
            if frames:
                return round(frames * 1000 / RATE_HZ)
        return length_ms(self.clip(text))

    def voices(self) -> list[VoiceInfo]:
        return self.engine.voices()

    def check_voice(self) -> None:
        self.engine.check_voice()

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


def _short(text: str, limit: int = 60) -> str:
    text = one_line(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
