"""Speech: the engine seam, the pyttsx3 engine, a fake for tests, and the clip cache.

The fake engine is imported on first use: it needs numpy, and the command
line's quick commands (``check`` timing words from the cache) do not.
"""

from typing import TYPE_CHECKING, Any

from .cache import default_cache_dir
from .engine import DEFAULT_RATE_WPM, Engine, VoiceInfo
from .speaker import Speaker, trim

if TYPE_CHECKING:
    from .fake import FakeEngine

__all__ = [
    "DEFAULT_RATE_WPM",
    "Engine",
    "FakeEngine",
    "Speaker",
    "VoiceInfo",
    "default_cache_dir",
    "trim",
]


def __getattr__(name: str) -> Any:
    if name == "FakeEngine":
        from .fake import FakeEngine

        return FakeEngine
    raise AttributeError(name)
