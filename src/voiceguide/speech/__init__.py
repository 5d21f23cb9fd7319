"""Speech: the engine seam, the pyttsx3 engine, a fake for tests, and the clip cache.

Names are imported on first use (PEP 562), as in ``voiceguide.routine``:
``from voiceguide.speech.engine import DEFAULT_RATE_WPM`` must not load the
Speaker's pronunciation table (YAML) or numpy (the fake engine).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cache import default_cache_dir
    from .engine import DEFAULT_RATE_WPM, Engine, VoiceInfo
    from .fake import FakeEngine
    from .select import make_engine
    from .speaker import Speaker
    from .trimming import trim

_WHERE = {
    "default_cache_dir": "cache",
    "DEFAULT_RATE_WPM": "engine",
    "Engine": "engine",
    "VoiceInfo": "engine",
    "FakeEngine": "fake",
    "make_engine": "select",
    "Speaker": "speaker",
    "trim": "trimming",
}

__all__ = [
    "DEFAULT_RATE_WPM",
    "Engine",
    "FakeEngine",
    "Speaker",
    "VoiceInfo",
    "default_cache_dir",
    "make_engine",
    "trim",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(name)
    # the import statement's machinery, not importlib.import_module: `-X importtime` (which the
    # start-up tests read) reports only the former
    module = __import__(f"{__name__}.{_WHERE[name]}", fromlist=[name])
    return getattr(module, name)
