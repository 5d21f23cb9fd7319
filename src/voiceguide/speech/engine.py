"""The seam between voiceguide and a speech engine, and the voice a user names.

Like httpx's transports: the ``Speaker`` (cache and trimming) is built with
the engine it is given, so a test of timing, mixing or faults can hand it the
``FakeEngine`` and a new engine plugs in without touching the cache, the
planner or the loudness stage.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

DEFAULT_RATE_WPM = 150  # words a minute


@dataclass(frozen=True)
class VoiceInfo:
    id: str  # what --voice accepts
    name: str
    languages: tuple[str, ...]
    engine: str = "pyttsx3"


class Engine(Protocol):
    """Text in, samples out. Implementations start their work lazily."""

    @property
    def id(self) -> str:
        """Changes whenever the output would: engine and version, voice, every setting."""
        ...

    @property
    def rate_hz(self) -> int:
        """The sample rate of what ``synthesize`` returns."""
        ...

    def voices(self) -> list[VoiceInfo]: ...

    def check_voice(self) -> None:
        """Raise ``InputError`` naming close matches if the chosen voice does not exist."""
        ...

    def synthesize(self, text: str) -> np.ndarray:
        """Mono int16 samples at ``rate_hz``, silence at the edges included."""
        ...

    def close(self) -> None: ...


def start_worker(process: Any, log: str = os.devnull) -> None:
    """Start an engine's worker process deaf to Ctrl-C and with its stderr in ``log``.

    A Ctrl-C at the terminal reaches the whole process group: a worker still
    starting would print a Python traceback under the user's one-line error
    (its bootstrap is Python's, before any code of ours runs in it). So the
    worker is born with SIGINT blocked (the mask survives the spawn; the
    parent decides how to unwind, and kills it) and with its stderr already
    pointing at ``log``. In the parent, SIGINT is only held for the moment of
    the start, then delivered.
    """
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    saved = os.dup(2)
    target = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.dup2(target, 2)
        process.start()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(target)
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
