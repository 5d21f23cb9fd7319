"""A speech engine for tests where speech is not the point: timing, mixing, faults.

Like httpx's ``MockTransport``: a plain function (or a default) makes the
samples. The default speaks every text as a tone whose length follows its
words, so plans and mixes are realistic and instant, and the same text
always gives the same samples.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np

from ..errors import InputError
from ..pcm import RATE_HZ
from .engine import VoiceInfo

MS_PER_WORD = 400  # 150 words a minute


def tone_for(text: str, rate_hz: int = RATE_HZ) -> np.ndarray:
    """A buzz as long as the words take at 150 a minute, pitched by the text, 50 ms of silence
    each side: a sawtooth, rich in harmonics as a voice is, so onsets show as speech's do."""
    words = max(1, len(text.split()))
    n = rate_hz * words * MS_PER_WORD // 1000
    pitch = 180 + int(hashlib.sha256(text.encode()).hexdigest()[:2], 16)
    t = np.arange(n) / rate_hz
    body = (8000 * (2 * ((t * pitch) % 1.0) - 1)).astype(np.int16)
    pad = np.zeros(rate_hz // 20, dtype=np.int16)
    return np.concatenate([pad, body, pad])


class FakeEngine:
    """An ``Engine`` that calls ``speak(text)``; records what it was asked to say."""

    rate_hz = RATE_HZ
    engine_name = "fake"

    def __init__(
        self,
        speak: Callable[[str], np.ndarray] = tone_for,
        *,
        voice: str = "fake",
        version: str = "1",
    ) -> None:
        self.speak = speak
        self.voice = voice
        self.fingerprint = f"fake {version}\0{voice}"
        self.said: list[str] = []
        self.closed = False

    @property
    def voice_id(self) -> str:
        return self.voice

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo("fake", "Fake voice", ("en",), engine="fake")]

    def check_voice(self) -> None:
        if self.voice != "fake":
            raise InputError(f"--voice {self.voice}: no such voice; did you mean fake?")

    def synthesize(self, text: str) -> np.ndarray:
        self.said.append(text)
        return self.speak(text)

    def close(self) -> None:
        self.closed = True
