"""Bring the track to a loudness target without a second pass over it.

The track is speech over silence, and loudness gating (EBU R128) ignores
silence, so the finished track measures what its speech measures. Instead of
normalizing the whole mix afterwards, the speech clips are measured once
(ffmpeg's ``ebur128`` over the clips laid end to end, as they are said in the
track: seconds of audio, not hours), given gain and a look-ahead peak limiter
(espeak peaks near full scale, so gain alone would clip), and measured again
to take back what the limiter cost. Sounds are scaled to sit a few LU under
the voice. Results are cached by the clips' content.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import re
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .engines import ffmpeg_exe
from .errors import FfmpegError
from .mixer import sample_index
from .script import Cue
from .speech import RATE_HZ

TARGET_LUFS = -16.0  # Apple's podcast guidance; EBU R128 for speech on phones
MP3_LOSS_LU = 0.4  # 64 kb/s MP3 measures this much quieter than its PCM
CEILING_DBFS = -4.0  # speech peaks after the limiter: room for MP3, overshoot, a bell's tail
SOUND_CEILING_DBFS = -8.0  # a bell never peaks above this
SOUND_UNDER_LU = {"step": 5.0, "cue": 7.0, "end": 4.0}  # bells a few LU under the voice
LIMIT_WINDOW_MS = 8  # look-ahead and hold; the gain ramps over as long again

_ABS_GATE = -70.0
_REL_GATE = -10.0
_FULL_SCALE = 32768.0  # ffmpeg reads 16-bit samples as value / 32768

_I_RE = re.compile(r"I:\s+(-?[\d.]+|-inf) LUFS")
_PEAK_RE = re.compile(r"Peak:\s+(-?[\d.]+|-inf) dBFS")


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    true_peak_dbtp: float


def measure(samples: np.ndarray, *, rate: int = RATE_HZ, true_peak: bool = False) -> Loudness:
    """ffmpeg's ebur128 over mono samples (int16 scale); the reference meter."""
    pcm = np.clip(np.rint(samples), -32768, 32767).astype("<i2").tobytes()
    peak = "true" if true_peak else "none"
    command = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats",
        "-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0",
        "-af", f"ebur128=peak={peak}", "-f", "null", "-",
    ]  # fmt: skip
    return _run_meter(command, pcm)


def measure_file(path: str, *, true_peak: bool = True) -> Loudness:
    """Integrated loudness and true peak of an audio file, as a player would decode it."""
    peak = "true" if true_peak else "none"
    command = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-i", str(path),
        "-af", f"ebur128=peak={peak}", "-f", "null", "-",
    ]  # fmt: skip
    return _run_meter(command, None)


def _run_meter(command: list[str], stdin: bytes | None) -> Loudness:
    try:
        result = subprocess.run(command, input=stdin, capture_output=True, timeout=600)
    except OSError as exc:
        raise FfmpegError(f"ffmpeg could not be started ({exc.strerror})", command=command) from exc
    except subprocess.TimeoutExpired:
        raise FfmpegError("ffmpeg did not finish measuring loudness", command=command) from None
    text = result.stderr.decode("utf-8", "replace")
    summary = text[text.rfind("Summary:") :]
    found = _I_RE.search(summary)
    if result.returncode != 0 or not found:
        tail = text.strip().splitlines()[-1] if text.strip() else f"exit {result.returncode}"
        raise FfmpegError(f"ffmpeg could not measure loudness: {tail}", command=command)
    peak = _PEAK_RE.search(summary)
    return Loudness(_number(found.group(1)), _number(peak.group(1)) if peak else float("nan"))


def _number(text: str) -> float:
    return float("-inf") if text == "-inf" else float(text)


def db_to_gain(db: float) -> float:
    return float(10 ** (db / 20))


# ------------------------------------------------------------------ the meter


def integrated_lufs(samples: np.ndarray, *, rate: int = RATE_HZ) -> float:
    """EBU R128 integrated loudness of mono samples (int16 scale), computed here.

    The same arithmetic as ffmpeg's ``ebur128`` (BS.1770-4: K-weighting
    designed for the actual rate, 400 ms blocks every 100 ms, gates at -70
    LUFS and 10 LU under the mean) without a process and a pipe, so a
    gain search can afford to ask many times. -inf when nothing passes the
    gate.
    """
    x = np.asarray(samples, dtype=np.float32)
    weighted = _k_weighted(x, rate)
    return _gated(_sub_energies(weighted[: x.size], rate), rate)  # ffmpeg hears no ring-out


def _sub_energies(weighted: np.ndarray, rate: int) -> np.ndarray:
    """Sum of squares of each whole 100 ms (a partial last one is not measured, as in ffmpeg)."""
    sub = rate // 10
    rows = weighted[: weighted.size // sub * sub].reshape(-1, sub)
    return np.einsum("ij,ij->i", rows, rows, dtype=np.float64)


def _gated(sub_energies: np.ndarray, rate: int) -> float:
    """Integrated loudness from the energies of consecutive 100 ms: 400 ms blocks, two gates."""
    e = sub_energies
    if e.size < 4:
        return float("-inf")
    power = (e[:-3] + e[1:-2] + e[2:-1] + e[3:]) / (4 * (rate // 10) * _FULL_SCALE**2)
    eps = np.finfo(np.float64).eps  # as ffmpeg adds, so that silence is not log(0)
    lufs = -0.691 + 10 * np.log10(power + eps)
    kept = power[lufs >= _ABS_GATE]
    if kept.size == 0:
        return float("-inf")
    relative = -0.691 + 10 * math.log10(float(kept.mean()) + eps) + _REL_GATE
    gated = kept[lufs[lufs >= _ABS_GATE] >= relative]
    return -0.691 + 10 * math.log10(float(gated.mean()) + eps)


def _biquads(rate: int) -> tuple[tuple[list[float], list[float]], ...]:
    """BS.1770's pre-filter and RLB high-pass, redesigned for ``rate`` as libebur128 and ffmpeg do.

    The standard gives coefficients for 48 kHz only; this is their analogue
    prototype, so 22,050 Hz speech is weighted as the reference meter weights it.
    """
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    vh = 10 ** (gain_db / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    pre = (
        [(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0],
        [1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0],
    )
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    a0 = 1 + k / q + k * k
    rlb = ([1.0, -2.0, 1.0], [1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0])
    return pre, rlb


@functools.cache
def _k_kernel(rate: int) -> np.ndarray:
    """The K-weighting's impulse response, cut where it has decayed under 1e-7 of its peak.

    numpy has no IIR filter, but an FFT convolution with this response is
    the same filter: what is cut carries under 1e-12 of the energy.
    """
    response = [1.0] + [0.0] * (rate // 4 - 1)  # 250 ms: the 38 Hz high-pass decays in 60
    for b, a in _biquads(rate):
        t0 = t1 = 0.0
        for i, x in enumerate(response):
            y = b[0] * x + t0
            t0 = b[1] * x + t1 - a[1] * y
            t1 = b[2] * x - a[2] * y
            response[i] = y
    h = np.array(response)
    last = int(np.flatnonzero(np.abs(h) >= 1e-7 * np.abs(h).max())[-1])
    return h[: last + 1]


@functools.cache
def _k_spectrum(rate: int, size: int) -> np.ndarray:
    """The K-weighting's transform at one frame size, computed once per process."""
    return np.fft.rfft(_k_kernel(rate), size).astype(np.complex64)


def _k_weighted(x: np.ndarray, rate: int = RATE_HZ) -> np.ndarray:
    """``x`` (float32) K-weighted, with the filter's ring-out (``x.size + kernel - 1`` samples).

    Overlap-save in frames of a fixed size: the FFT of a whole signal costs
    a hundred times more at a length with large prime factors, and frames
    keep the memory small.
    """
    n = x.size
    history = _k_kernel(rate).size - 1
    want = n + history
    size = min(16384, max(256, 1 << (want + history - 1).bit_length()))
    step = size - history
    frames = max(1, -(-want // step))
    padded = np.zeros(frames * step + history, dtype=np.float32)
    padded[history : history + n] = x
    view = np.lib.stride_tricks.sliding_window_view(padded, size)[::step]
    spectrum_filter = _k_spectrum(rate, size)
    weighted = np.empty(frames * step, dtype=np.float32)
    batch = max(1, (1 << 18) // size)  # a megabyte a batch: the transforms stay in cache
    for first in range(0, frames, batch):
        rows = view[first : first + batch]
        done = slice(first * step, (first + rows.shape[0]) * step)
        out = np.fft.irfft(np.fft.rfft(rows, axis=1) * spectrum_filter, size, axis=1)
        weighted[done].reshape(-1, step)[:] = out[:, history:]
    return weighted[:want]


# ---------------------------------------------------------------- the limiter


def limit(x: np.ndarray, ceiling: float, *, magnitude: np.ndarray | None = None) -> np.ndarray:
    """Look-ahead true-peak limiter: no peak above ``ceiling``, gain ramps instead of steps.

    Peaks are found between samples too (4x oversampled), since that is what
    a true-peak meter and an MP3 decoder see. The gain needed at each sample
    is held over a window on both sides (a running minimum) and then averaged
    over the same window; an average of values that are each at most the need
    at its centre is at most that need, so nothing exceeds the ceiling, and
    the gain moves in smooth ramps that add little distortion for the MP3
    encoder to spread. ``magnitude`` is ``_true_magnitude(x)`` if the caller
    has it: it scales with gain, so a clip's is computed once, not per try.
    """
    x = np.asarray(x, dtype=np.float32)
    if x.size == 0:
        return x
    if magnitude is None:
        magnitude = _true_magnitude(x)
    if float(magnitude.max()) <= ceiling:
        return x
    need = np.minimum(1.0, ceiling / np.maximum(magnitude, 1e-9)).astype(np.float32)
    hold = max(1, RATE_HZ * LIMIT_WINDOW_MS // 1000)
    held = _running_min(np.pad(need, hold, mode="edge"), 2 * hold + 1)
    sums = np.cumsum(np.pad(held, (hold + 1, hold), mode="edge"), dtype=np.float64)
    smooth = (sums[2 * hold + 1 :] - sums[: -2 * hold - 1]) / (2 * hold + 1)
    return (x * smooth.astype(np.float32)).astype(np.float32)


def _true_magnitude(x: np.ndarray, factor: int = 4) -> np.ndarray:
    """Per sample, the largest magnitude within half a sample of it (FFT-oversampled).

    The transform runs at the next power of two: clip lengths are arbitrary,
    and an FFT of a length with large prime factors costs a hundred times more.
    """
    n = x.size
    size = 1 << max(0, (n - 1).bit_length())
    spectrum = np.fft.rfft(x.astype(np.float64), size)
    up = np.fft.irfft(spectrum, size * factor)[: n * factor] * factor
    frames = np.abs(np.roll(up, factor // 2)).reshape(n, factor)
    return np.maximum(frames.max(axis=1), np.abs(x))


def _running_min(x: np.ndarray, k: int) -> np.ndarray:
    """out[i] = min(x[i : i + k]) in O(n) (van Herk / Gil-Werman, with numpy)."""
    n = x.size
    blocks = -(-n // k)
    padded = np.pad(x, (0, blocks * k - n), mode="edge").reshape(blocks, k)
    prefix = np.minimum.accumulate(padded, axis=1).ravel()
    suffix = np.minimum.accumulate(padded[:, ::-1], axis=1)[:, ::-1].ravel()
    i = np.arange(n - k + 1)
    return np.minimum(suffix[i], prefix[i + k - 1])


@dataclass(frozen=True)
class Leveled:
    clips: dict[str, np.ndarray]  # float32, int16 scale, gain and limiter applied
    sounds: dict[str, np.ndarray]
    measured_lufs: float  # what the condensed mix measures (PCM), aiming at target + MP3 loss


_CACHE: dict[str, tuple[float, dict[str, float]]] = {}
GAP_KEPT_MS = 2000  # longer silences are cut from the measured mix: gating ignores them anyway


def level(
    cues: Sequence[Cue],
    clips: Mapping[str, np.ndarray],
    sounds: Mapping[str, np.ndarray],
    *,
    target: float = TARGET_LUFS,
    cache_dir: Path | None = None,
) -> Leveled:
    """Gain plus limiter on every clip, sounds a few LU under, so the track meets ``target``.

    What is measured is the track's own sound with its long silences cut out
    (the cues as placed, pauses under two seconds kept): minutes of audio
    even for an hours-long track, since the words do not grow with the length.
    """
    ceiling = 32767 * db_to_gain(CEILING_DBFS)
    aim = target + MP3_LOSS_LU
    key = _key(cues, clips, sounds, target)
    if key not in _CACHE and cache_dir is not None:
        _load_level(cache_dir, key)
    sound_db: dict[str, float]
    if key in _CACHE:
        gain_db, sound_db = _CACHE[key]
    else:
        sound_db = {}
        for name, samples in sounds.items():
            own = measure(samples.astype(np.float32)).integrated_lufs
            sound_db[name] = target - SOUND_UNDER_LU.get(name, 4.0) - own
        speech = [c for c in cues if c.kind == "speech"]
        raw = measure(np.concatenate([clips[c.text] for c in speech]).astype(np.float32))
        gain_db = aim - raw.integrated_lufs
    sound_ceiling = 32767 * db_to_gain(SOUND_CEILING_DBFS)
    leveled_sounds = {
        name: limit(s.astype(np.float32) * db_to_gain(sound_db[name]), sound_ceiling)
        for name, s in sounds.items()
    }
    room = _headroom(cues, leveled_sounds, ceiling)
    measured = float("nan")
    tried: list[tuple[float, float]] = []
    magnitudes = {
        t: _true_magnitude(c.astype(np.float32)).astype(np.float32) for t, c in clips.items()
    }
    for attempt in range(8):  # the limiter takes loudness back: measure, make it up
        gain = db_to_gain(gain_db)
        out = {
            t: limit(
                c.astype(np.float32) * gain, room.get(t, ceiling), magnitude=magnitudes[t] * gain
            )
            for t, c in clips.items()
        }
        if key in _CACHE:
            break
        measured = measure(_condensed(cues, out, leveled_sounds)).integrated_lufs
        tried.append((gain_db, measured))
        if abs(measured - aim) <= 0.1 or attempt == 7:
            _CACHE[key] = (gain_db, sound_db)
            break
        gain_db += (aim - measured) / _slope(tried)
    if cache_dir is not None and not _level_path(cache_dir, key).exists():
        _store_level(cache_dir, key)
    return Leveled(out, leveled_sounds, measured)


def _level_path(cache_dir: Path, key: str) -> Path:
    return cache_dir / "levels" / f"{key}.json"


def _load_level(cache_dir: Path, key: str) -> None:
    """A warm build reuses the gains found before: measuring costs seconds, reading nothing."""
    try:
        doc = json.loads(_level_path(cache_dir, key).read_text(encoding="utf-8"))
        _CACHE[key] = (float(doc["gain_db"]), {k: float(v) for k, v in doc["sound_db"].items()})
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return  # absent or damaged: measure again


def _store_level(cache_dir: Path, key: str) -> None:
    gain_db, sound_db = _CACHE[key]
    path = _level_path(cache_dir, key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError:
        return  # the clip cache already reported an unwritable folder; this is only a shortcut
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"gain_db": gain_db, "sound_db": sound_db}, fh)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)


def _headroom(
    cues: Sequence[Cue], sounds: Mapping[str, np.ndarray], ceiling: float
) -> dict[str, float]:
    """A lower ceiling for words said while a bell still rings, so the sum stays under."""
    room: dict[str, float] = {}
    bells = [c for c in cues if c.kind == "sound"]
    for cue in cues:
        if cue.kind != "speech":
            continue
        for bell in bells:
            if bell.start_ms <= cue.start_ms < bell.end_ms:
                tail = sounds[bell.text][sample_index(cue.start_ms - bell.start_ms) :]
                if tail.size:
                    lower = ceiling - float(np.max(np.abs(tail)))
                    room[cue.text] = min(room.get(cue.text, ceiling), lower)
    return room


def _slope(tried: list[tuple[float, float]]) -> float:
    """LU gained per dB of gain: under the limiter, well below 1 (secant of the last two)."""
    if len(tried) < 2:
        return 0.6
    (g0, m0), (g1, m1) = tried[-2], tried[-1]
    return min(1.0, max(0.2, (m1 - m0) / (g1 - g0))) if g1 != g0 else 0.6


def _condensed(
    cues: Sequence[Cue], clips: Mapping[str, np.ndarray], sounds: Mapping[str, np.ndarray]
) -> np.ndarray:
    """The cues mixed as placed, with every silence longer than GAP_KEPT_MS cut short."""
    gap = sample_index(GAP_KEPT_MS)
    regions: list[np.ndarray] = []
    group: list[tuple[int, np.ndarray]] = []
    group_end = 0
    for cue in sorted(cues, key=lambda c: c.start_ms):
        start = sample_index(cue.start_ms)
        samples = clips[cue.text] if cue.kind == "speech" else sounds[cue.text]
        if group and start > group_end + gap:
            regions.append(_mix(group, group_end))
            group = []
        group_end = max(group_end, start + samples.size) if group else start + samples.size
        group.append((start, samples))
    if group:
        regions.append(_mix(group, group_end))
    return np.concatenate(regions) if regions else np.zeros(0, np.float32)


def _mix(group: list[tuple[int, np.ndarray]], end: int) -> np.ndarray:
    origin = group[0][0]
    buffer = np.zeros(end - origin + sample_index(GAP_KEPT_MS) // 2, dtype=np.float32)
    for start, samples in group:
        buffer[start - origin : start - origin + samples.size] += samples
    return buffer


def _key(
    cues: Sequence[Cue],
    clips: Mapping[str, np.ndarray],
    sounds: Mapping[str, np.ndarray],
    target: float,
) -> str:
    digest = hashlib.sha256(f"{target:.3f}".encode())
    for cue in cues:
        digest.update(f"{cue.start_ms}\0{cue.kind}\0{cue.text}\0".encode())
    for text in sorted(clips):
        digest.update(hashlib.sha256(clips[text].tobytes()).digest())
    for name in sorted(sounds):
        digest.update(name.encode() + hashlib.sha256(sounds[name].tobytes()).digest())
    return digest.hexdigest()
