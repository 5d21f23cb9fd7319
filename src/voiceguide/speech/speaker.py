"""Sentences to trimmed clips at the track's rate, through a cache and the engine it is given.

The engine starts only when a sentence is missing from the cache, so a warm
build never loads one. Clips come back trimmed of the engine's silent edges,
so the timeline's arithmetic is the clip's true length.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import OutputError, SpeechError, disk_full, is_disk_full
from ..errors import shortened as _short
from ..pcm import RATE_HZ, length_ms
from .cache import cached_frames, read_cached, write_wav

if TYPE_CHECKING:
    import numpy as np
# numpy is imported where samples are made: timing words from the cache needs none.
from .engine import Engine, VoiceInfo
from .pronounce import respell, table_with
from .trimming import trim


class Speaker:
    """Sentences to clips: memory, then the disk cache, then the engine.

    What the engine is given is the sentence respelled by the pronunciation
    table: the packaged one plus ``pronounce`` (a routine's own), or a view
    made by ``for_routine``. Clips are cached and kept by the words the
    engine is given, so two routines that say a word differently never share
    a clip, and views of one speaker share its engine and clips safely. Use
    as a context manager; closing it closes the engine.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        cache_dir: Path | None = None,
        pronounce: Mapping[str, str] | None = None,
    ) -> None:
        if engine.rate_hz != RATE_HZ:
            raise SpeechError(
                f"the speech engine speaks at {engine.rate_hz} Hz; the track is {RATE_HZ} Hz"
            )
        self.engine = engine
        self.cache_dir = cache_dir
        self._memory: dict[str, np.ndarray] = {}  # by the words the engine is given
        self.pronounce: Mapping[str, str] = table_with(pronounce)

    def for_routine(self, own: Mapping[str, str] | None, language: str = "en") -> Speaker:
        """This speaker respelling with ``language``'s packaged table plus ``own`` (a
        routine's ``pronounce:``): the same engine, cache and clips in memory, so a clip is
        spoken once whichever routine asks for it."""
        view = copy.copy(self)  # shallow: the engine and the memory are shared
        view.pronounce = table_with(own, language)
        return view

    def spoken(self, text: str) -> str:
        """The words the engine is given for ``text``."""
        return respell(text, self.pronounce)

    def __enter__(self) -> Speaker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.engine.close()

    @property
    def engine_fingerprint(self) -> str:
        return self.engine.fingerprint

    def fingerprint(self, text: str) -> str:
        """Where ``text``'s clip is cached: the words the engine is given, and the engine."""
        return self._fingerprint(self.spoken(text))

    def _fingerprint(self, said: str) -> str:
        material = "\0".join((said, self.engine.fingerprint))
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def clip(self, text: str) -> np.ndarray:
        said = self.spoken(text)
        if said in self._memory:
            return self._memory[said]
        samples = self._from_cache(said)
        if samples is None:
            samples = self._keep(said, self.engine.synthesize(said))
        self._memory[said] = samples
        return samples

    def clips(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        return {t: self.clip(t) for t in texts}

    def prefetch(
        self, texts: Iterable[str], progress: Callable[[float], None] | None = None
    ) -> None:
        """Make every clip ready, synthesizing the missing ones side by side if the engine can.

        Piper's ``synthesize_many`` spreads sentences over its workers; an
        engine without it speaks them one by one.
        """
        wanted = list(dict.fromkeys(self.spoken(t) for t in texts))
        missing = []
        for said in wanted:
            if said not in self._memory:
                cached = self._from_cache(said)
                if cached is None:
                    missing.append(said)
                else:
                    self._memory[said] = cached
        total = max(1, len(wanted))
        done = len(wanted) - len(missing)
        if progress is not None:
            progress(done / total)
        many = getattr(self.engine, "synthesize_many", None)
        answers = (
            many(missing) if many is not None else ((s, self.engine.synthesize(s)) for s in missing)
        )
        for said, samples in answers:
            self._memory[said] = self._keep(said, samples)
            done += 1
            if progress is not None:
                progress(done / total)

    def _keep(self, said: str, samples: np.ndarray) -> np.ndarray:
        """Trim a fresh clip and store it in the disk cache."""
        samples = trim(samples, self.engine.rate_hz)
        if samples.size == 0:
            raise SpeechError(f'the speech engine said nothing for "{_short(said)}"')
        if self.cache_dir is not None:
            self._store(said, samples)
        return samples

    def length_ms(self, text: str) -> int:
        """How long ``text`` takes to say; a cached clip is timed from its header alone."""
        known = self.known_ms(text)
        return length_ms(self.clip(text)) if known is None else known

    def known_ms(self, text: str) -> int | None:
        """How long ``text`` takes, if it was spoken already (here or in the cache), else None."""
        said = self.spoken(text)
        if said in self._memory:
            return length_ms(self._memory[said])
        if self.cache_dir is not None:
            # the cache holds clips by the words as spoken (respelled), as ``clip`` finds them
            frames = cached_frames(self._cache_path(said))
            if frames:
                return round(frames * 1000 / RATE_HZ)
        return None

    def cache_file(self, text: str) -> Path | None:
        """Where ``text``'s clip is cached (there or not yet); None without a cache."""
        return None if self.cache_dir is None else self._cache_path(self.spoken(text))

    def voices(self) -> list[VoiceInfo]:
        return self.engine.voices()

    def check_voice(self) -> None:
        self.engine.check_voice()

    # -- internals

    def _cache_path(self, said: str) -> Path:
        assert self.cache_dir is not None
        fingerprint = self._fingerprint(said)
        return self.cache_dir / fingerprint[:2] / f"{fingerprint}.wav"

    def _store(self, text: str, samples: np.ndarray) -> None:
        try:
            write_wav(self._cache_path(text), samples)
        except OSError as exc:
            where = f"the clip cache {self.cache_dir}"
            if is_disk_full(exc):
                raise disk_full(where) from exc
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
        except (OSError, ValueError):
            path.unlink(missing_ok=True)  # damaged: rebuild, never play it
            return None
        return samples if samples.size else None
