"""The level a track was given, kept beside the clip cache: a warm build reads it and
measures nothing (``loudness.level``). Found by the fingerprint of the track's cues,
clips, sounds and target;
an entry that does not read back as numbers that make sense is measured again and replaced.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Level:
    gain_db: float
    sound_db: dict[str, float]
    peaks: np.ndarray | None  # every clip's block peaks after its own gain, in sorted text order
    clip_db: np.ndarray  # every clip's own gain (dB), in sorted text order
    guard: np.ndarray  # per clip, the gain over which it is lowered whole (crest_guard)


def path_of(cache_dir: Path, fingerprint: str) -> Path:
    return cache_dir / "levels" / f"{fingerprint}.json"


def load(cache_dir: Path, fingerprint: str) -> Level | None:
    """A warm build reuses the gains and peaks found before: finding them costs, reading nothing."""
    path = path_of(cache_dir, fingerprint)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        gain_db = float(doc["gain_db"])
        sound_db = {k: float(v) for k, v in doc["sound_db"].items()}
        clip_db = np.array([float(v) for v in doc["clip_db"]], dtype=np.float64)
        guard = np.array([np.inf if v is None else float(v) for v in doc["guard"]])
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None  # absent or damaged: measure again
    numbers = [gain_db, *sound_db.values(), *clip_db]
    if not all(map(math.isfinite, numbers)) or np.isnan(guard).any() or (guard <= 0).any():
        return None  # damaged (a guard is a gain over 0, or inf for none): measure again
    try:
        peaks = np.load(path.with_suffix(".npy"), allow_pickle=False)
        good = peaks.dtype == np.float32 and peaks.ndim == 1 and bool(np.isfinite(peaks).all())
        peaks = peaks if good else None
    except (OSError, ValueError, EOFError):
        peaks = None  # only the peaks are lost: found again, without measuring
    return Level(gain_db, sound_db, peaks, clip_db, guard)


def store(cache_dir: Path, fingerprint: str, found: Level, *, replace: bool) -> None:
    """Write what is missing on disk (the gains' JSON, the peaks beside it), atomically; with
    ``replace``, also what is there."""
    path = path_of(cache_dir, fingerprint)
    doc = json.dumps(
        {
            "gain_db": found.gain_db,
            "sound_db": found.sound_db,
            "clip_db": found.clip_db.tolist(),
            "guard": [float(g) if math.isfinite(g) else None for g in found.guard],
        }
    ).encode()
    wanted = [(path, lambda fh: fh.write(doc))]
    if found.peaks is not None:
        peaks = found.peaks
        wanted.append((path.with_suffix(".npy"), lambda fh: np.save(fh, peaks)))
    for target, write in wanted:
        if target.exists() and not replace:
            continue
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        except OSError:
            return  # the clip cache already reported an unwritable folder; this is only a shortcut
        try:
            with os.fdopen(fd, "wb") as fh:
                write(fh)
            os.replace(tmp, target)
        except OSError:
            Path(tmp).unlink(missing_ok=True)
