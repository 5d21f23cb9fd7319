"""voiceguide: turn a massage routine into a voice-guided audio track.

The public names live here, like httpx's: the modules behind them are free
to move between rooms. They are imported on first use, so that
``voiceguide --help`` does not pay for numpy, Jinja and the mixer.

    import voiceguide
    routine = voiceguide.load_routine("routines/classic.yaml")
    engine = voiceguide.make_engine(voice="joe", rate_wpm=150)  # Piper; "espeak": espeak-ng
    with voiceguide.Speaker(engine, cache_dir=None) as speaker:
        voiceguide.build(routine, Path("output"), voiceguide.BuildOptions(), speaker)
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "build": "voiceguide.build",
    "prepare": "voiceguide.script",
    "BuildOptions": "voiceguide.settings",
    "BuildResult": "voiceguide.build",
    "load_routine": "voiceguide.routine",
    "Routine": "voiceguide.routine",
    "narrate": "voiceguide.narration",
    "make_plan": "voiceguide.timeline",
    "TimingRequest": "voiceguide.timeline",
    "Plan": "voiceguide.timeline",
    "Script": "voiceguide.timeline",
    "Speaker": "voiceguide.speech",
    "Engine": "voiceguide.speech",
    "FakeEngine": "voiceguide.speech",
    "make_engine": "voiceguide.speech",
    "VoiceguideError": "voiceguide.errors",
    "InputError": "voiceguide.errors",
    "ToolError": "voiceguide.errors",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'voiceguide' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
