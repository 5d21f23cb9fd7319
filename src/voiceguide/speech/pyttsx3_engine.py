"""pyttsx3 (espeak-ng) as a speech engine, in a worker process of its own.

pyttsx3's driver prints to stdout, can cancel a clip or return before its
file is written (see ``_steady``), and can hang. In a child process its
prints go to /dev/null, a missed or cancelled clip is retried under a fresh
name after a restart, and a call that does not answer in time is killed and
reported with the text it was saying. The child loads
espeak-ng globally, as pyttsx3 needs; the parent never does, so another
engine's espeak-ng (Piper's) can share the parent without a clash.
"""

from __future__ import annotations

import os
import wave
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np

from ..errors import SpeechError
from ..errors import shortened as _short
from ..pcm import RATE_HZ
from .cache import read_wav
from .engine import DEFAULT_RATE_WPM, VoiceInfo, installed_version
from .espeak import ESPEAK_HINT
from .pace import guess_ms, pyttsx3_rate
from .trimming import trim
from .voices import resolve
from .worker import Refused, Worker

DEFAULT_VOICE = "gmw/en-us"
SPEAK_TIMEOUT_S = 30.0  # read when an engine is made: tests lower it
START_TIMEOUT_S = 60.0
_SILENT = 200  # a file with no sample above this is a missed write
# A clip whose speech is under this share of its guessed length (pace.guess_ms) is said
# again by a fresh worker: a net under the worker's own check (``_steady``), since a clip cut
# short ("Rest now." once came back as 0.57 s of its 0.94 s) would be cached and heard. None
# of the four routines' 258 sentences measures under 0.75 of its guess.
_CUT_SHORT = 0.7


class Pyttsx3Engine:
    """espeak-ng through pyttsx3; the worker starts on the first call that needs it."""

    rate_hz = RATE_HZ  # what pyttsx3's espeak driver writes
    engine_name = "pyttsx3"

    def __init__(
        self,
        voice: str | None = None,
        rate_wpm: int = DEFAULT_RATE_WPM,
        *,
        timeout_s: float | None = None,
    ) -> None:
        self.voice = voice or DEFAULT_VOICE
        self.rate_wpm = rate_wpm
        self.setting = pyttsx3_rate(rate_wpm)  # pyttsx3's own rate is not words a minute
        self.timeout_s = SPEAK_TIMEOUT_S if timeout_s is None else timeout_s
        self._worker: Worker | None = None
        self._voices: list[VoiceInfo] = []
        self._fingerprint: str | None = None
        self._scratch: Path | None = None  # made with the worker: timing cached clips needs none

    @property
    def fingerprint(self) -> str:
        """Voice, rate, pyttsx3 and espeak-ng versions, and "whole": clips in a cache kept
        by an engine that did not say clips cut short again (``_CUT_SHORT``) might hold one,
        so they are not taken."""
        if self._fingerprint is None:
            from .espeak import locate_espeak

            versions = (
                f"pyttsx3 {installed_version('pyttsx3')}; espeak-ng {locate_espeak().version}"
            )
            self._fingerprint = "\0".join((self.voice, f"rate {self.setting}", versions, "whole"))
        return self._fingerprint

    @property
    def voice_id(self) -> str:
        return self.voice

    def voices(self) -> list[VoiceInfo]:
        self._ensure_worker()
        return self._voices

    def check_voice(self) -> None:
        """Settle the voice the user named (id, language or name, any case) on one of the
        engine's ids; an unknown one is an input error with suggestions (pyttsx3 itself
        silently ignores it)."""
        chosen = resolve(self.voice, self.voices()).id
        if chosen != self.voice:
            self.voice, self._fingerprint = chosen, None
            self._restart()  # the worker was started with the name as typed

    def synthesize(self, text: str) -> np.ndarray:
        """The clip, said again by a fresh engine if none was written or it was cut short (the
        longer of the two kept: a sentence that is simply quick comes back the same)."""
        short: np.ndarray | None = None
        least = _CUT_SHORT * guess_ms(text, self.rate_wpm) * self.rate_hz / 1000
        for attempt in range(3):
            worker = self._ensure_worker()
            assert self._scratch is not None  # made with the worker
            target = self._scratch / f"clip-{os.getpid()}-{id(text)}-{attempt}.wav"
            try:
                written = _say(worker, text, target, self.timeout_s)
            except TimeoutError:
                self._restart()
                raise SpeechError(
                    f'the speech engine did not finish "{_short(text)}" within {self.timeout_s:g}s'
                ) from None
            samples = _read_said(target, self.rate_hz) if written else None
            target.unlink(missing_ok=True)
            if samples is not None:
                if short is not None:
                    return max(short, samples, key=_spoken)
                if _spoken(samples) >= least:
                    return samples
                short = samples
            # a clip missed, not whole, or cut short: a fresh engine says it again (a late
            # write could land under the next name, so never the same engine)
            self._restart()
        if short is not None:
            return short
        raise SpeechError(f'the speech engine wrote no audio for "{_short(text)}" in 3 attempts')

    @property
    def running(self) -> bool:
        return self._worker is not None

    def close(self) -> None:
        self._restart()
        if self._scratch is not None and self._scratch.exists():
            for leftover in self._scratch.glob("*"):
                leftover.unlink(missing_ok=True)
            self._scratch.rmdir()

    def _ensure_worker(self) -> Worker:
        if self._worker is None:
            if self._scratch is None:
                import tempfile

                self._scratch = Path(tempfile.mkdtemp(prefix="voiceguide-tts-"))
            self._worker, self._voices = _start(self.voice, self.setting, self._scratch)
        return self._worker

    def _restart(self) -> None:
        if self._worker:
            self._worker.stop()
        self._worker = None


def _read_said(target: Path, rate_hz: int) -> np.ndarray | None:
    """The clip the worker wrote, or None where it is unreadable or silent (a missed write)."""
    import numpy as np

    try:
        samples = read_wav(target, rate_hz)
    except (OSError, ValueError, EOFError, wave.Error):
        return None
    return samples if np.any(np.abs(samples.astype(np.int32)) > _SILENT) else None


def _spoken(samples: np.ndarray) -> int:
    """The clip's length once the speaker trims it, which the share above was measured on."""
    return int(trim(samples).size)


def _start(voice: str, rate: int, scratch: Path) -> tuple[Worker, list[VoiceInfo]]:
    """A worker speaking with pyttsx3, ready, and the voices it offers."""
    log = scratch / "engine.log"
    worker = Worker(_serving, (voice, rate, str(scratch)), name="the speech engine", log=log)
    try:
        voices = [VoiceInfo(*v) for v in worker.receive(START_TIMEOUT_S, "starting")]
    except TimeoutError:
        raise SpeechError(
            f"the speech engine did not start within {START_TIMEOUT_S:g}s; {ESPEAK_HINT}"
        ) from None
    except Refused as exc:
        worker.stop()
        message = f"the speech engine could not start: {exc.message}"
        raise SpeechError(
            message if ESPEAK_HINT in message else f"{message}; {ESPEAK_HINT}"
        ) from None
    except SpeechError as exc:  # it died while starting: espeak-ng's library or data
        raise SpeechError(f"{exc}; {ESPEAK_HINT}") from None
    return worker, voices


def _say(worker: Worker, text: str, target: Path, timeout_s: float) -> bool:
    """Whether the worker wrote ``text``'s clip whole to ``target`` (see ``_steady``)."""
    worker.send((text, str(target)))
    try:
        return bool(worker.receive(timeout_s, f'saying "{_short(text)}"'))
    except Refused as exc:
        raise SpeechError(f'the speech engine failed on "{_short(text)}": {exc.message}') from None


def _serving(voice: str, rate: int, scratch: str) -> tuple[Any, Callable[[Any], bool]]:
    """In the worker: pyttsx3 started (``_open``), answering ``(text, target)`` requests."""
    voices, say = _open(voice, rate, scratch)
    return voices, lambda request: say(*request)


def _open(
    voice: str, rate: int, scratch: str
) -> tuple[list[tuple[str, str, tuple[str, ...]]], Callable[[str, str], bool]]:
    """Load espeak-ng globally (this process only), start pyttsx3 on it, and return its
    voices and a ``say(text, target)`` that writes whole clips (``_steady``)."""
    from .espeak import load_espeak

    load_espeak()
    import pyttsx3

    engine = pyttsx3.init("espeak")
    voices = [
        (v.id, v.name, tuple(getattr(v, "languages", ()) or ()))
        for v in engine.getProperty("voices")
    ]
    if voice in {v[0] for v in voices}:
        engine.setProperty("voice", voice)
    engine.setProperty("rate", rate)
    say = _steady(engine)
    # A throwaway clip, whole, before the parent is told the engine is ready (a few tries); it
    # goes in the speaker's scratch folder, removed whatever happens.
    for i in range(4):
        warm = os.path.join(scratch, f"warm-{os.getpid()}-{i}.wav")
        try:
            if say("Ready.", warm) and os.path.getsize(warm) > 1000:
                return voices, say
        finally:
            if os.path.exists(warm):
                os.unlink(warm)
    raise RuntimeError("espeak-ng wrote no whole clip in 4 tries")


def _steady(engine: Any) -> Callable[[str, str], bool]:
    """``say(text, target)``: pyttsx3's save_to_file and runAndWait made to write each clip
    whole, or report that they did not.

    pyttsx3's espeak driver (2.99) synthesizes in espeak-ng's own thread and has two races,
    which lost a clip, or left one cut short, a few calls in 1,000 on a loaded machine:
    - runAndWait first stops whatever espeak-ng is still doing, and if espeak-ng's thread
      has not yet gone idle after the last clip (it answers "playing" for a moment after the
      clip is written), that stop also cancels the clip asked for next;
    - on a new engine the driver is marked busy, so the first call queues the loop's end
      before the clip and returns at once; the clip is written later, under whatever name
      the next call gives.
    So the driver is marked idle once, each call waits until espeak-ng is idle before it
    starts, and a clip counts only if pyttsx3 reports that utterance finished, not cut off.
    """
    import time

    from pyttsx3.drivers import _espeak

    engine.proxy.setBusy(False)
    finished: list[bool] = []
    engine.connect("finished-utterance", lambda name, completed: finished.append(completed))

    def idle() -> None:  # a second or two at most: the parent's timeout is longer
        deadline = time.monotonic() + 2.0
        while _espeak.IsPlaying() and time.monotonic() < deadline:
            time.sleep(0.002)

    def say(text: str, target: str) -> bool:
        idle()
        finished.clear()
        engine.save_to_file(text, target)
        engine.runAndWait()
        return finished == [True] and os.path.exists(target)

    return say
