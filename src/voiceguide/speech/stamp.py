"""A stand-in for an engine's id, read without making the engine: for remembered verdicts.

``Engine.id`` (part of every clip's cache key) names the voice, the rate and
the versions of pyttsx3 and espeak-ng, or of Piper and its voice's files.
Asking for it loads the espeak-ng library (ctypes and a dlopen: a tenth of a
repeat ``check``'s time) or hashes a Piper voice. ``engine_stamp`` is made of
what that id is made of, one step removed, so it changes whenever the id
could and costs a few ``stat`` calls:

- the voice and rate as given;
- the environment variables that choose or point at espeak-ng's library and
  data (``VOICEGUIDE_BUNDLED_ESPEAK``, ``ESPEAK_DATA_PATH``, ``LD_LIBRARY_PATH``, and
  macOS's ``DYLD_*`` paths);
- the dynamic loader's cache (``/etc/ld.so.cache``): installing or upgrading
  a system espeak-ng runs ``ldconfig``, which rewrites it;
- a Piper voice given by path: its ``.onnx`` and ``.onnx.json`` by size and time.

The installed packages' versions (pyttsx3, espeakng-loader, piper-tts, the
bundled Piper voices) are left to the caller, who stamps every installed
distribution at once (``voiceguide.verdict``).
"""

from __future__ import annotations

import os

ENVIRONMENT = (
    "VOICEGUIDE_BUNDLED_ESPEAK", "ESPEAK_DATA_PATH", "LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH",
    "DYLD_FALLBACK_LIBRARY_PATH",
)  # fmt: skip
LOADER_CACHE = "/etc/ld.so.cache"


def file_stamp(path: str) -> str:
    """A file by its resolved path, size and modification time; "absent" if it is not there."""
    try:
        real = os.path.realpath(path)
        st = os.stat(real)
    except (OSError, ValueError):
        return f"{path} absent"
    return f"{real} {st.st_size} {st.st_mtime_ns}"


def engine_stamp(voice: str | None, rate_wpm: int) -> list[str]:
    """What the engine for ``voice`` at ``rate_wpm`` would be, cheaply; equal stamps, equal ids
    (given the same installed packages)."""
    parts = [f"voice {voice or ''}", f"rate {rate_wpm}"]
    parts += [f"{name}={os.environ.get(name, '')}" for name in ENVIRONMENT]
    parts.append(file_stamp(LOADER_CACHE))
    if voice and voice.lower().endswith(".onnx"):
        given = os.path.expanduser(voice)
        parts += [file_stamp(given), file_stamp(given + ".json")]
    return parts
