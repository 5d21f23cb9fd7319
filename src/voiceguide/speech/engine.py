"""The seam between voiceguide and a speech engine, and the voice a user names.

Like httpx's transports: the ``Speaker`` (cache and trimming) is built with
the engine it is given, so a test of timing, mixing or faults can hand it the
``FakeEngine`` and a new engine plugs in without touching the cache, the
planner or the loudness stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

DEFAULT_RATE_WPM = 150  # words a minute


def installed_version(package: str, dist: str | None = None) -> str:
    """The version of the distribution ``dist`` (default: ``package``) that installed the
    importable ``package``, for an engine's fingerprint: read from its ``*.dist-info``
    folder's name beside the package (importlib.metadata costs ``voiceguide check`` a tenth
    of its start), or from importlib.metadata where that folder is not there."""
    import importlib.util

    dist = dist or package
    spec = importlib.util.find_spec(package)
    if spec is not None and spec.origin:
        site = Path(spec.origin).parent.parent
        found = sorted(site.glob(f"{dist}-*.dist-info"))
        if len(found) == 1:
            return found[0].name[len(dist) + 1 : -len(".dist-info")]
    from importlib.metadata import version

    return version(dist)


@dataclass(frozen=True)
class VoiceInfo:
    id: str  # what --voice accepts
    name: str
    languages: tuple[str, ...]
    engine: str = "pyttsx3"


class Engine(Protocol):
    """Text in, samples out. Implementations start their work lazily."""

    engine_name: str  # as ``VoiceInfo.engine`` says it: pyttsx3, piper

    @property
    def voice_id(self) -> str:
        """The voice that speaks, as ``voiceguide voices`` lists it (``joe``, ``gmw/en-us``;
        a user's Piper voice by its file's name): written in the track's tags and plan."""
        ...

    @property
    def fingerprint(self) -> str:
        """Changes whenever the output would: engine and version, voice, every setting (part of
        every clip's place in the cache, and of a track's fingerprint)."""
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
