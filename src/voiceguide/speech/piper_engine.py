"""Piper (a neural voice on onnxruntime) as a speech engine, in worker processes of its own.

Why processes: piper-tts links its own espeak-ng and exports its names; a
process that has loaded the project's espeak-ng globally (the pyttsx3
worker does) makes Piper call into the wrong one and die on the first
sentence. A *spawned* worker starts from a clean address space, whatever
the parent has loaded, in either order; a hung sentence is killed and named.

Why several: Piper costs about 25x espeak's CPU, and one onnxruntime thread
per process scales with the cores where two threads per process lose
2-4x on a busy machine. ``synthesize_many`` spreads sentences over one
worker per core, as many as the memory available holds (``worker_count``).

Settings are fixed by measurement: noise 0 (the same sentence gives the
same samples in every process, so a rebuild from an empty cache is
byte-identical; seeding the noise per sentence would need a fresh
onnxruntime session per sentence, and zero noise moves the pitch within 5%
as much), Piper's own per-sentence normalisation off (the loudness stage
levels every clip), and ``length_scale`` from the measured pace table.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
# numpy is imported where samples are made: check and a warm build time words without it.

from ..errors import InputError, SpeechError, one_line
from ..errors import shortened as _short
from ..pcm import RATE_HZ
from .engine import DEFAULT_RATE_WPM, VoiceInfo, installed_version
from .pace import piper_length_scale
from .piper_voice import PiperVoice, bundled_voices, resolve, voice_key
from .worker import Refused, Worker

NOISE_SCALE = 0.0
NOISE_W = 0.0
SPEAK_TIMEOUT_S = 60.0  # one sentence on a busy machine
START_TIMEOUT_S = 120.0  # spawn, import onnxruntime, load 63 MB: seconds when cores are shared
# What one worker may hold: joe's peaked at 431 MB on the routines' longest sentence, and a
# user's voice may be larger. Workers past what memory holds would swap, slower than fewer.
WORKER_BYTES = 600 * 2**20


class PiperEngine:
    """Piper through one or more spawned workers, started on the first sentence to speak."""

    rate_hz = RATE_HZ
    engine_name = "piper"

    def __init__(
        self,
        voice: str,
        rate_wpm: int = DEFAULT_RATE_WPM,
        *,
        workers: int | None = None,
        timeout_s: float | None = None,
    ) -> None:
        self.voice: PiperVoice = resolve(voice)
        if self.voice.sample_rate != RATE_HZ:
            raise InputError(
                f"--voice {one_line(voice)}: the voice speaks at {self.voice.sample_rate} Hz; "
                f"voiceguide needs a {RATE_HZ} Hz Piper voice (most 'medium' voices are)"
            )
        self.rate_wpm = rate_wpm
        self.length_scale = piper_length_scale(rate_wpm)
        self.workers = worker_count(workers or os.cpu_count() or 1, memory_available())
        self.timeout_s = SPEAK_TIMEOUT_S if timeout_s is None else timeout_s
        self._pool: list[Worker] = []
        self._fingerprint: str | None = None

    @property
    def fingerprint(self) -> str:
        """piper-tts and onnxruntime versions, the voice (``voice_key``), every setting."""
        if self._fingerprint is None:
            self._fingerprint = ";".join((
                "piper",
                f"piper-tts={installed_version('piper', 'piper_tts')}",
                f"onnxruntime={installed_version('onnxruntime')}",
                f"voice={voice_key(self.voice)}",
                f"length_scale={self.length_scale}",
                f"noise_scale={NOISE_SCALE}",
                f"noise_w={NOISE_W}",
                "normalize=0",
            ))  # fmt: skip
        return self._fingerprint

    @property
    def voice_id(self) -> str:
        """``joe``; a user's voice by its file's name, not its path (tags travel)."""
        return self.voice.model.name if self.voice.user_file else self.voice.info.id

    def voices(self) -> list[VoiceInfo]:
        known = bundled_voices()
        return known if self.voice.info in known else [*known, self.voice.info]

    def check_voice(self) -> None:
        """The files were checked when the engine was made; nothing more without loading."""

    def synthesize(self, text: str) -> np.ndarray:
        for _, samples in self.synthesize_many([text]):
            return samples
        raise SpeechError("Piper returned nothing")  # pragma: no cover - one text, one answer

    def synthesize_many(self, texts: Iterable[str]) -> Iterator[tuple[str, np.ndarray]]:
        """Each text and its samples, in the order they finish, over up to ``workers`` workers.

        The longest are spoken first, so the workers finish together on short
        sentences, not one of them alone on a long one.
        """
        waiting = sorted(dict.fromkeys(texts), key=len)  # popped from the end: longest first
        if not waiting:
            return
        self._start(min(self.workers, len(waiting)))
        busy: dict[Connection, tuple[Worker, str]] = {}
        try:
            for worker in self._pool:
                if waiting:
                    text = waiting.pop()
                    worker.send(text)
                    busy[worker.conn] = (worker, text)
            while busy:
                ready = wait(list(busy), timeout=self.timeout_s)
                if not ready:
                    _, text = next(iter(busy.values()))
                    raise SpeechError(
                        f'Piper did not finish "{_short(text)}" within {self.timeout_s:g}s'
                    )
                for conn in ready:
                    worker, text = busy.pop(conn)  # type: ignore[call-overload]
                    samples = _heard(worker, f'saying "{_short(text)}"')
                    if waiting:  # before the caller's work on the samples: no worker waits
                        following = waiting.pop()
                        worker.send(following)
                        busy[worker.conn] = (worker, following)
                    yield text, samples
        except GeneratorExit:
            # A caller that took what it wanted (``synthesize``, a build's later rounds): with
            # no worker mid-sentence the loaded workers stay, as restarting one costs seconds.
            # One still speaking would hand its answer to the next call: then stop them all.
            if busy:
                self._stop()
            raise
        except BaseException:
            self._stop()  # a failure or an interrupt, maybe mid-reply: nothing is trusted
            raise

    def close(self) -> None:
        self._stop()

    @property
    def running(self) -> int:
        return len(self._pool)

    def _start(self, count: int) -> None:
        """Spawn the missing workers side by side (each takes seconds to load), then wait."""
        self._pool = [w for w in self._pool if w.alive]
        new = [_start(self.voice, self.length_scale) for _ in range(count - len(self._pool))]
        try:
            for worker in new:
                _ready(worker, self.voice)
        except BaseException:
            for worker in new:
                worker.stop()
            raise
        self._pool += new

    def _stop(self) -> None:
        for worker in self._pool:
            worker.stop()
        self._pool = []


def worker_count(cores: int, available: int | None) -> int:
    """One worker per core, as many as ``available`` bytes hold at ``WORKER_BYTES``, at least 1."""
    fit = cores if available is None else available // WORKER_BYTES
    return max(1, min(cores, fit))


def memory_available(meminfo: str = "/proc/meminfo") -> int | None:
    """Bytes the system can give without swapping: Linux's MemAvailable, else the free pages
    (``os.sysconf``), else None (unknown: the cores alone decide)."""
    try:
        with open(meminfo, encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024  # in kB
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _start(voice: PiperVoice, length_scale: float) -> Worker:
    """A Piper worker, spawned; ``_ready`` waits for it to load its voice."""
    args = (str(voice.model), str(voice.config), length_scale)
    return Worker(_serving, args, name="the Piper worker")


def _ready(worker: Worker, voice: PiperVoice) -> None:
    try:
        worker.receive(START_TIMEOUT_S, "loading the voice")
    except TimeoutError:
        raise SpeechError(f"Piper did not load its voice within {START_TIMEOUT_S:g}s") from None
    except Refused as exc:
        worker.stop()
        if voice.user_file:  # the user's file: their input, exit 2
            raise InputError(
                f"--voice {one_line(voice.given)}: onnxruntime cannot load this model "
                f"({one_line(str(exc))[:200]})"
            ) from None
        raise SpeechError(
            f"the Piper voice could not be loaded: {one_line(str(exc))[:200]}"
        ) from None


def _heard(worker: Worker, doing: str) -> np.ndarray:
    """The samples the worker answered with (it has answered: ``wait`` said so)."""
    import numpy as np

    try:
        said = worker.receive(None, doing)
    except Refused as exc:
        raise SpeechError(f"Piper failed while {doing}: {one_line(str(exc))[:200]}") from None
    return np.frombuffer(said, dtype="<i2").copy()


# ---------------------------------------------------------------- in the worker


def load_voice(model: str, config: str) -> Any:
    """A ``PiperVoice`` on a one-thread onnxruntime session (``PiperVoice.load`` takes no
    session options)."""
    import json

    import onnxruntime as ort
    from piper import PiperVoice
    from piper.config import PiperConfig

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # No planned buffers: sized for the longest sentence so far, they stay held, and a worker
    # peaks higher for the same speed.
    options.enable_mem_pattern = False
    with open(config, encoding="utf-8") as fh:
        settings = PiperConfig.from_dict(json.load(fh))
    session = ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])
    return PiperVoice(session=session, config=settings)


def speak(voice: Any, text: str, length_scale: float) -> np.ndarray:
    """Piper's chunks (one per sentence, no gap between) joined, as int16."""
    import numpy as np
    from piper.config import SynthesisConfig

    config = SynthesisConfig(
        length_scale=length_scale,
        noise_scale=NOISE_SCALE,
        noise_w_scale=NOISE_W,
        normalize_audio=False,
        volume=1.0,
    )
    chunks = [c.audio_int16_array for c in voice.synthesize(text, config)]
    return np.concatenate(chunks).astype("<i2") if chunks else np.zeros(0, dtype="<i2")


def _serving(model: str, config: str, length_scale: float) -> tuple[None, Any]:
    """In the worker: the voice loaded, answering each text with its samples' bytes."""
    voice = load_voice(model, config)
    return None, lambda text: speak(voice, text, length_scale).tobytes()
