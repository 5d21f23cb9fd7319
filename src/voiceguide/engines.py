"""Find the two engines underneath: espeak-ng (for pyttsx3) and ffmpeg.

A fresh machine has neither, and the user may not be root: a system install
is preferred where there is one, else the copies that the ``espeakng-loader``
and ``imageio-ffmpeg`` wheels ship. Each is resolved once, in one order, and a
failure names what was tried and how to install it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import shutil
from dataclasses import dataclass

from .errors import FfmpegError, SpeechError

ESPEAK_HINT = (
    "install espeak-ng (apt-get install espeak-ng) or the espeakng-loader package "
    "(pip install espeakng-loader)"
)
FFMPEG_HINT = (
    "install ffmpeg (apt-get install ffmpeg) or the imageio-ffmpeg package "
    "(pip install imageio-ffmpeg)"
)


@functools.cache
def ffmpeg_exe() -> str:
    """``$VOICEGUIDE_FFMPEG``, then ``ffmpeg`` on PATH, then imageio-ffmpeg's binary."""
    tried = []
    explicit = os.environ.get("VOICEGUIDE_FFMPEG")
    if explicit:
        if os.access(explicit, os.X_OK):
            return explicit
        tried.append(f"$VOICEGUIDE_FFMPEG={explicit}")
    on_path = shutil.which("ffmpeg")
    if on_path:
        return on_path
    tried.append("ffmpeg on PATH")
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError) as exc:
        tried.append(f"imageio-ffmpeg ({exc})")
    raise FfmpegError(f"ffmpeg not found (tried {', '.join(tried)}); {FFMPEG_HINT}")


@dataclass(frozen=True)
class Espeak:
    library: str
    data: str | None  # None: the library's own default
    version: str


@functools.cache
def load_espeak() -> Espeak:
    """Make libespeak-ng loadable for pyttsx3, which must be imported after this.

    The shipped library has to be loaded with RTLD_GLOBAL and its data folder
    named in ESPEAK_DATA_PATH before pyttsx3 looks for ``libespeak-ng.so.1``.
    """
    system = ctypes.util.find_library("espeak-ng")
    if system and not os.environ.get("VOICEGUIDE_BUNDLED_ESPEAK"):
        try:
            lib = ctypes.CDLL(system, mode=ctypes.RTLD_GLOBAL)
            return Espeak(system, None, _version(lib))
        except OSError:
            pass
    try:
        import espeakng_loader

        path = espeakng_loader.get_library_path()
        data = espeakng_loader.get_data_path()
        lib = ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
    except (ImportError, OSError, RuntimeError) as exc:
        raise SpeechError(
            f"the espeak-ng library could not be loaded ({exc}); {ESPEAK_HINT}"
        ) from exc
    if not os.path.isfile(os.path.join(data, "phontab")):
        # espeak-ng would print one line and end the whole process.
        raise SpeechError(f"the espeak-ng data is missing (no phontab in {data}); {ESPEAK_HINT}")
    os.environ["ESPEAK_DATA_PATH"] = data
    return Espeak(path, data, _version(lib))


def _version(lib: ctypes.CDLL) -> str:
    try:
        info = lib.espeak_Info
        info.restype = ctypes.c_char_p
        info.argtypes = [ctypes.c_void_p]
        return (info(None) or b"unknown").decode("utf-8", "replace")
    except AttributeError:
        return "unknown"
