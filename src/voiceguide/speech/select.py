"""From a ``--voice`` value to an engine: Piper's voices by name or path, pyttsx3's otherwise.

``joe`` (a bundled Piper voice, any case) or a path ending in ``.onnx``
speaks with Piper; ``espeak`` is espeak-ng's default English voice and
anything else a pyttsx3 (espeak-ng) voice by id, language or name. With no
voice named, the default is ``$VOICEGUIDE_VOICE``, else ``joe`` where Piper
and the voice are installed, else ``espeak`` (``default_voice``). An unknown
name is answered with the closest names of both engines.
"""

from __future__ import annotations

import difflib
import importlib.util
import os

from ..errors import InputError, one_line
from .engine import DEFAULT_RATE_WPM, Engine, VoiceInfo
from .piper_voice import BUNDLED, INSTALL_HINT, bundled_voices, installed, is_piper_voice
from .voices import shown_voice as _shown
from .voices import suggestions

ESPEAK = "espeak"  # --voice espeak: espeak-ng's default English voice
NATURAL = "joe"  # the default voice where Piper and it are installed
VOICE_ENV = "VOICEGUIDE_VOICE"
# What people type for the natural voice, and for a voice by gender, instead of a name
NATURAL_WORDS = {"natural", "piper", "neural", "human"}
GENDER_WORDS = {"female", "male", "woman", "man", "women", "men", "girl", "boy"}


def natural_installed() -> bool:
    """Piper and the voice ``joe`` can be imported (found without importing them)."""
    return installed() and importlib.util.find_spec(BUNDLED[NATURAL][0]) is not None


def environment_voice() -> str | None:
    """``$VOICEGUIDE_VOICE``, if it names a voice."""
    return os.environ.get(VOICE_ENV, "").strip() or None


def default_voice() -> str:
    """The voice when neither ``--voice`` nor the routine's ``voice:`` names one:
    ``$VOICEGUIDE_VOICE``, else ``joe`` if installed, else ``espeak``."""
    return environment_voice() or (NATURAL if natural_installed() else ESPEAK)


def fallback_hint() -> str | None:
    """One line for the user when the default voice is espeak-ng only because Piper (or
    ``joe``) is missing; None when the natural voice is the default or one was chosen."""
    if environment_voice() or natural_installed():
        return None
    return f"speaking with espeak-ng; for the natural voice {NATURAL}: {INSTALL_HINT}"


def is_espeak_default(voice: str | None) -> bool:
    """``voice`` means espeak-ng's default English voice (``espeak``, any case)."""
    return voice is not None and voice.strip().lower() == ESPEAK


def make_engine(
    voice: str | None, rate_wpm: int = DEFAULT_RATE_WPM, *, workers: int | None = None
) -> Engine:
    """The engine that speaks ``voice`` (None: ``default_voice()``); Piper's file faults are
    raised here, as input errors.

    ``workers``: Piper's processes (default: one per core).
    """
    voice = voice or default_voice()
    if is_piper_voice(voice):
        from .piper_engine import PiperEngine

        return PiperEngine(voice, rate_wpm, workers=workers)
    from .pyttsx3_engine import Pyttsx3Engine

    return Pyttsx3Engine(None if is_espeak_default(voice) else voice, rate_wpm)


def check_voice(engine: Engine) -> None:
    """The engine's own check; an unknown name's message offers the closest voices of both
    engines, ranked by what was typed (its language first), then the Piper voices."""
    try:
        engine.check_voice()
    except InputError as exc:
        asked = getattr(engine, "voice", None)
        if not isinstance(asked, str) or "no such voice" not in str(exc):
            raise
        piper = "" if installed() else f" (Piper voices need {INSTALL_HINT})"
        kind = asked.strip().lower()
        if kind in NATURAL_WORDS:  # what the user means is the natural voice: name it
            raise InputError(
                f"--voice {one_line(asked)}: the natural voice is {NATURAL} (--voice {NATURAL})"
                f"{piper}; any other Piper voice is given as the path of its .onnx file"
            ) from None
        if kind in GENDER_WORDS:  # voices are chosen by name or language, not by gender
            raise InputError(
                f"--voice {one_line(asked)}: voices are chosen by name or language, not by "
                f"gender: the natural voice {NATURAL} (an American man){piper}, espeak-ng's "
                "voices by language (--voice en-gb; `voiceguide voices` lists them), or a "
                "Piper voice's .onnx file"
            ) from None
        ranked = [_shown(v) for v in suggestions(asked, engine.voices())]
        ranked += difflib.get_close_matches(asked, list(BUNDLED), n=1, cutoff=0.5)
        hint = f"did you mean {', '.join(ranked)}?" if ranked else "see `voiceguide voices`"
        raise InputError(
            f"--voice {one_line(asked)}: no such voice; {hint}{piper}; "
            "a Piper voice may also be given as the path of its .onnx file"
        ) from None


def all_voices(pyttsx3_voices: list[VoiceInfo]) -> list[VoiceInfo]:
    """Both engines' voices: pyttsx3's as given, then the installed Piper voices."""
    return [*pyttsx3_voices, *bundled_voices()]
