"""espeak-ng's own phonemes for a text (the phonemizer both engines share), for the tests that
check a respelling changes what is said. Run it in a process of its own: espeak-ng keeps
global state, and the project's library must not be loaded globally beside pyttsx3's."""

from __future__ import annotations

import ctypes
from collections.abc import Callable


def phonemizer() -> Callable[[str, str], str]:
    """``phonemes(text, voice)``, on one initialised espeak-ng library."""
    from voiceguide.speech.espeak import locate_espeak

    found = locate_espeak()
    lib = ctypes.CDLL(found.library, mode=ctypes.RTLD_LOCAL)
    data = found.data.encode() if found.data else None
    assert lib.espeak_Initialize(0x02, 0, data, 0) > 0
    lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
    lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]  # fmt: skip
    current: list[str] = []

    def phonemes(text: str, voice: str) -> str:
        if current != [voice]:
            lib.espeak_SetVoiceByName(voice.encode())
            current[:] = [voice]
        pointer = ctypes.c_char_p(text.encode())
        return (lib.espeak_TextToPhonemes(ctypes.byref(pointer), 1, 0x02) or b"").decode()

    return phonemes
