"""Speech: the engine seam, the pyttsx3 engine, a fake for tests, and the clip cache."""

from .cache import default_cache_dir
from .engine import DEFAULT_RATE_WPM, Engine, VoiceInfo
from .fake import FakeEngine
from .speaker import Speaker, trim

__all__ = [
    "DEFAULT_RATE_WPM",
    "Engine",
    "FakeEngine",
    "Speaker",
    "VoiceInfo",
    "default_cache_dir",
    "trim",
]
