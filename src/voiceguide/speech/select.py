"""From a ``--voice`` value to an engine: Piper's voices by name or path, pyttsx3's otherwise.

``joe`` (a bundled Piper voice, any case) or a path ending in ``.onnx``
speaks with Piper; anything else, or nothing, is a pyttsx3 (espeak-ng)
voice, the default engine. An unknown name is answered with the closest
names of both engines.
"""

from __future__ import annotations

import difflib

from ..errors import InputError, one_line
from .engine import DEFAULT_RATE_WPM, Engine, VoiceInfo
from .piper_voice import BUNDLED, INSTALL_HINT, bundled_voices, installed, is_piper_voice
from .voices import shown_voice as _shown
from .voices import suggestions


def make_engine(
    voice: str | None, rate_wpm: int = DEFAULT_RATE_WPM, *, workers: int | None = None
) -> Engine:
    """The engine that speaks ``voice``; Piper's file faults are raised here, as input errors.

    ``workers``: Piper's processes (default: one per core).
    """
    if voice and is_piper_voice(voice):
        from .piper_engine import PiperEngine

        return PiperEngine(voice, rate_wpm, workers=workers)
    from .pyttsx3_engine import Pyttsx3Engine

    return Pyttsx3Engine(voice, rate_wpm)


def check_voice(engine: Engine) -> None:
    """The engine's own check; an unknown name's message offers the closest voices of both
    engines, ranked by what was typed (its language first), then the Piper voices."""
    try:
        engine.check_voice()
    except InputError as exc:
        asked = getattr(engine, "voice", None)
        if not isinstance(asked, str) or "no such voice" not in str(exc):
            raise
        ranked = [_shown(v) for v in suggestions(asked, engine.voices())]
        ranked += difflib.get_close_matches(asked, list(BUNDLED), n=1, cutoff=0.5)
        hint = f"did you mean {', '.join(ranked)}?" if ranked else "see `voiceguide voices`"
        piper = "" if installed() else f" (Piper voices need {INSTALL_HINT})"
        raise InputError(
            f"--voice {one_line(asked)}: no such voice; {hint}{piper}; "
            "a Piper voice may also be given as the path of its .onnx file"
        ) from None


def all_voices(pyttsx3_voices: list[VoiceInfo]) -> list[VoiceInfo]:
    """Both engines' voices: pyttsx3's as given, then the installed Piper voices."""
    return [*pyttsx3_voices, *bundled_voices()]
