"""Test-only faults for the speech worker, a child process that monkeypatch cannot reach.

Python imports ``sitecustomize`` at startup; the fault tests put this folder
on PYTHONPATH and name a fault in VOICEGUIDE_TEST_FAULT, so the worker that
voiceguide spawns starts with the fault in place. Production code has no hook.
"""

from __future__ import annotations

import os
from typing import Any

FAULT = os.environ.get("VOICEGUIDE_TEST_FAULT", "")


def _install() -> None:
    if FAULT in ("no-espeak-library", "no-espeak-data", "broken-espeak-data"):
        import espeakng_loader

        if FAULT == "no-espeak-library":
            espeakng_loader.get_library_path = lambda: "/nonexistent/libespeak-ng.so"
        elif FAULT == "no-espeak-data":
            espeakng_loader.get_data_path = lambda: "/nonexistent/espeak-ng-data"
        else:  # a folder the test made: an empty phontab and nothing else
            espeakng_loader.get_data_path = lambda: os.environ["VOICEGUIDE_TEST_DATA"]
    elif FAULT == "hang":
        from voiceguide.speech import pyttsx3_engine

        real_open = pyttsx3_engine._open

        def hanging_open(voice: str, rate: int, scratch: str) -> Any:
            """The real engine, except that any text containing HANG never returns."""
            import time

            voices, say = real_open(voice, rate, scratch)  # espeak-ng loaded: pyttsx3 imports
            import pyttsx3.engine

            real = pyttsx3.engine.Engine.save_to_file

            def save_to_file(self: Any, text: str, filename: str, name: Any = None) -> Any:
                if "HANG" in text:
                    time.sleep(3600)
                return real(self, text, filename, name)

            pyttsx3.engine.Engine.save_to_file = save_to_file
            return voices, say

        pyttsx3_engine._open = hanging_open


if FAULT:
    _install()
