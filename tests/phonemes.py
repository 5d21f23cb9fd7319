"""espeak-ng's own phonemes for a word as written and as respelled (the phonemizer both engines
share), for the tests that check a respelling changes what is said. They are found in a
process of its own: espeak-ng keeps global state, and the project's library must not be
loaded globally beside pyttsx3's."""

from __future__ import annotations

import ctypes
import json
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path


def heard(tables: list[tuple[str, Mapping[str, str]]]) -> list[tuple[str, str, str, str]]:
    """(voice, word, phonemes as written, as respelled) for each (voice, table) given."""
    result = subprocess.run(
        [sys.executable, "-c", "from tests.phonemes import _serve; _serve()"],
        input=json.dumps([[voice, dict(table)] for voice, table in tables]),
        capture_output=True, text=True, timeout=120, check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [tuple(row) for row in json.loads(result.stdout)]  # type: ignore[misc]


def _serve() -> None:
    phonemes = phonemizer()
    rows = [
        [voice, word, phonemes(word, voice), phonemes(respelled, voice)]
        for voice, table in json.load(sys.stdin)
        for word, respelled in table.items()
    ]
    print(json.dumps(rows, ensure_ascii=False))


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
