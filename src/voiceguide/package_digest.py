"""A digest of voiceguide's own code and data: what a remembered answer or a built track
rests on besides its inputs (``verdict``, ``fresh``).

Every file of the package but bytecode, by name and bytes (a tenth of a megabyte: a
millisecond or two), with the version and the Python running it. No pathlib and no
hashlib's OpenSSL: a repeat ``check`` pays for this on every start.
"""

from __future__ import annotations

import functools
import os
import sys

from . import __version__

try:  # hashlib's own blake2b, without hashlib's OpenSSL (a twentieth of a repeat check)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter without the builtin module
    from hashlib import blake2b


def digest(data: bytes) -> str:
    return blake2b(data, digest_size=32).hexdigest()


@functools.cache
def code_digest() -> str:
    """Every file of the voiceguide package (bytecode aside), its version and the Python."""
    setting = f"{__version__}\0{sys.version}\0{sys.executable}"
    return folder_digest(os.path.dirname(os.path.abspath(__file__)), setting)


def folder_digest(folder: str, setting: str = "") -> str:
    """The names and bytes of every file under ``folder`` but bytecode (a tenth of a
    megabyte for voiceguide's: a millisecond or two)."""
    summed = blake2b(setting.encode(), digest_size=32)
    for path in sorted(_files(folder)):
        with open(path, "rb") as fh:
            data = fh.read()
        name = path[len(folder) :].encode()
        summed.update(name + b"\0" + len(data).to_bytes(8, "little") + data)
    return summed.hexdigest()


def _files(folder: str) -> list[str]:
    found: list[str] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    found += _files(entry.path)
            elif entry.is_file():
                found.append(entry.path)
    return found
