"""Find espeak-ng for pyttsx3: a system install, or the espeakng-loader wheel's copy.

A fresh machine has none, and the user may not be root: a system install is
preferred where there is one, else the copy the ``espeakng-loader`` wheel
ships. It is resolved once, in one order, and a failure names how to
install it.
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys
from dataclasses import dataclass

from ..errors import SpeechError

ESPEAK_HINT = (
    "install espeak-ng (apt-get install espeak-ng) or the espeakng-loader package "
    "(pip install espeakng-loader)"
)


@dataclass(frozen=True)
class Espeak:
    library: str
    data: str | None  # None: the library's own default
    version: str


@functools.cache
def locate_espeak() -> Espeak:
    """Find libespeak-ng and its data, and read its version, without making it global.

    The library is opened RTLD_LOCAL here: its symbols stay private, so a
    process that also loads another espeak-ng (Piper links its own) is safe.
    Only the pyttsx3 worker, a process of its own, loads it globally.
    """
    if not os.environ.get("VOICEGUIDE_BUNDLED_ESPEAK"):
        for system in _system_names():
            try:
                lib = ctypes.CDLL(system, mode=ctypes.RTLD_LOCAL)
                return Espeak(system, None, _version(lib))
            except OSError:
                pass
    try:
        import espeakng_loader

        path = espeakng_loader.get_library_path()
        data = espeakng_loader.get_data_path()
        lib = ctypes.CDLL(path, mode=ctypes.RTLD_LOCAL)
    except (ImportError, OSError, RuntimeError) as exc:
        raise SpeechError(
            f"the espeak-ng library could not be loaded ({exc}); {ESPEAK_HINT}"
        ) from exc
    if not os.path.isfile(os.path.join(data, "phontab")):
        # espeak-ng would print one line and end the whole process.
        raise SpeechError(f"the espeak-ng data is missing (no phontab in {data}); {ESPEAK_HINT}")
    return Espeak(path, data, _version(lib))


def _system_names() -> list[str]:
    """Names the dynamic loader resolves itself (on Linux the soname that
    ``ctypes.util.find_library`` would return, without the ``ldconfig`` process it runs:
    a tenth of a second at every start of `voiceguide check`); elsewhere, its answer."""
    if sys.platform.startswith("linux"):
        return ["libespeak-ng.so.1"]
    import ctypes.util

    found = ctypes.util.find_library("espeak-ng")
    return [found] if found else []


def load_espeak() -> Espeak:
    """Make libespeak-ng loadable for pyttsx3, which must be imported after this.

    The library has to be loaded with RTLD_GLOBAL and its data folder named in
    ESPEAK_DATA_PATH before pyttsx3 looks for ``libespeak-ng.so.1``. Call it
    only in a process that runs no other espeak-ng: the pyttsx3 worker.
    """
    found = locate_espeak()
    ctypes.CDLL(found.library, mode=ctypes.RTLD_GLOBAL)
    if found.data is not None:
        os.environ["ESPEAK_DATA_PATH"] = found.data
    return found


def _version(lib: ctypes.CDLL) -> str:
    try:
        info = lib.espeak_Info
        info.restype = ctypes.c_char_p
        info.argtypes = [ctypes.c_void_p]
        return (info(None) or b"unknown").decode("utf-8", "replace")
    except AttributeError:
        return "unknown"
