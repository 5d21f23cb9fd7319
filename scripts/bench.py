"""Benchmark a build against the floor: ffmpeg encoding silence of the same length.

Run through ``scripts/bench`` (which sets up .venv). For each case it times, in
child processes so that no run pollutes another's memory figures:

- floor: ffmpeg encoding silence of the track's length, mono 22,050 Hz s16le
  to libmp3lame 64k at the builds' LAME quality in a seekable file (what any
  build must at least pay);
- cold: ``voiceguide build`` with an empty clip cache;
- warm: the same build again with the cache filled (``--force``);
- baseline: the common pydub recipe on the same warm clips: a silent segment
  of the full length, ``overlay`` of every clip at its position, ``export``;
- with Piper (``--voice joe``, on unless ``--no-piper``): the same routine
  built with the Piper voice, cold and warm, against the synthesis floor:
  the same sentences spoken by Piper alone, one worker process per core,
  nothing else (``synthesis``: from starting the workers to the last
  sentence; the sentences are the ones the cold build just said, which
  depend on the clips' lengths). A cold Piper build is synthesis-bound, so
  it is read against that floor; a warm one against the espeak warm build
  timed just after it (``espeak cold`` fills its cache first).

Each is repeated and the median printed, as seconds and as a ratio to the
floor; peak memory is the build process's own peak resident set
(``RUSAGE_SELF`` read inside the child when it ends). The machine is shared
and noisy: read the ratios, not the seconds. A cold Piper build is also
read in CPU time (user and system, of every process it started): on cores
another process shares, wall time moves by a tenth from run to run, and
what the build costs over the synthesis it needs moves much less.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

from voiceguide.speech.piper_voice import is_piper_voice

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

# Runs one CLI command in this child and reports its own peak RSS when done.
_CLI_CHILD = """
import json, resource, sys
from voiceguide.cli import cli
code = 0
try:
    cli.main(args=sys.argv[2:], prog_name="voiceguide", standalone_mode=False)
except SystemExit as exc:
    code = exc.code or 0
with open(sys.argv[1], "w") as fh:
    json.dump({"self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               "children_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}, fh)
sys.exit(code)
"""

# The pydub recipe, on the same routine, options and warm clip cache.
_PYDUB_CHILD = """
import json, resource, sys, warnings
from pathlib import Path
from voiceguide.build import BuildOptions, prepare
from voiceguide.ffmpeg import ffmpeg_exe
from voiceguide.timeline.plan import TimingRequest
from voiceguide.routine import load_routine
from voiceguide.pcm import RATE_HZ
from voiceguide.speech import Speaker, make_engine
from voiceguide.audio import sounds
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from pydub import AudioSegment
AudioSegment.converter = ffmpeg_exe()
report, routine_path, total_ms, cache, out = sys.argv[1:6]
options = BuildOptions(timing=TimingRequest(total_ms=int(total_ms)))
with Speaker(make_engine("espeak"), cache_dir=Path(cache)) as speaker:
    script = prepare(load_routine(routine_path), options, speaker)
    clips = speaker.clips(c.text for c in script.speech)
def segment(samples):
    return AudioSegment(data=samples.astype("<i2").tobytes(), sample_width=2,
                        frame_rate=RATE_HZ, channels=1)
track = AudioSegment.silent(duration=script.plan.total_ms, frame_rate=RATE_HZ)
for event in script.events:
    samples = clips[event.text] if event.kind == "speech" else sounds.sound(event.text)
    track = track.overlay(segment(samples), position=event.start_ms)
track.export(out, format="mp3", bitrate="64k")
with open(report, "w") as fh:
    json.dump({"self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               "children_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}, fh)
"""


@dataclass
class Run:
    seconds: float
    self_mb: float = 0.0  # the process's own peak resident set
    children_mb: float = 0.0  # the largest of its children (ffmpeg, the speech worker)
    cpu_s: float = 0.0  # user + system time of the process and every process it started


# The synthesis floor: the build's sentences spoken by Piper alone, one worker per core.
# Which sentences a build says depends on the clips' lengths (the words say the fitted
# lengths), so they are read from the cold build just run (its cache: nothing is spoken
# there), then spoken afresh by a new engine, timed on their own.
_SYNTH_CHILD = """
import json, os, resource, sys, time
from pathlib import Path
from voiceguide.build import BuildOptions, prepare
from voiceguide.routine import load_routine
from voiceguide.speech import Speaker, make_engine
from voiceguide.speech.piper_engine import PiperEngine
from voiceguide.timeline import TimingRequest
report, routine_path, voice, cache_dir, total_ms = sys.argv[1:6]
cache = Path(cache_dir)
routine = load_routine(routine_path)
options = BuildOptions(timing=TimingRequest(total_ms=int(total_ms)), voice=voice, cache_dir=cache)
with Speaker(make_engine(voice), cache_dir=cache) as speaker:
    script = prepare(routine, options, speaker)
    assert not speaker.engine.running, "the cold build left clips unspoken"
    respelled = speaker.for_routine(routine.pronounce)
    said = list(dict.fromkeys(respelled.spoken(e.text) for e in script.speech))
def cpu():
    return sum(getattr(resource.getrusage(who), f) for who in
               (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN) for f in ("ru_utime", "ru_stime"))
start, cpu_start = time.perf_counter(), cpu()
engine = PiperEngine(voice, 150, workers=os.cpu_count())
count = sum(1 for _ in engine.synthesize_many(said))
engine.close()  # the workers are waited for: their time is in RUSAGE_CHILDREN
assert count == len(said)
with open(report, "w") as fh:
    json.dump({"self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               "children_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
               "seconds": time.perf_counter() - start, "cpu_s": cpu() - cpu_start,
               "sentences": len(said)}, fh)
"""


@dataclass
class Case:
    name: str
    routine: Path
    duration: str
    runs: dict[str, list[Run]] = field(default_factory=dict)
    voice: str = "espeak"

    def ratio_to(self, kind: str, base: str) -> float:
        pairs = zip(self.runs[kind], self.runs[base], strict=False)
        return statistics.median(r.seconds / b.seconds for r, b in pairs)

    def child_mb(self, kind: str) -> float:
        return max(r.children_mb for r in self.runs[kind])

    def median(self, kind: str) -> float:
        return statistics.median(r.seconds for r in self.runs[kind])

    def cpu_ratio_to(self, kind: str, base: str) -> float:
        """Like ``ratio_to`` in CPU time: what the work costs, whatever else the cores ran."""
        pairs = zip(self.runs[kind], self.runs[base], strict=False)
        return statistics.median(r.cpu_s / b.cpu_s for r, b in pairs)

    def ratio(self, kind: str) -> float:
        """Median of each run over the floor timed just before it: drift in load cancels."""
        floors = self.runs["floor"]
        return statistics.median(
            r.seconds / f.seconds for r, f in zip(self.runs[kind], floors, strict=False)
        )

    def peak_mb(self, kind: str) -> float:
        return max(r.self_mb for r in self.runs[kind])


def seconds_of(duration: str) -> float:
    from voiceguide.routine.durations import parse_duration

    return parse_duration(duration) / 1000


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], report: Path | None = None) -> Run:
    started, cpu_before = time.perf_counter(), children_cpu_s()
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"bench: failed ({result.returncode}): {' '.join(command)}\n{result.stderr}")
    run = Run(elapsed, cpu_s=children_cpu_s() - cpu_before)  # with the grandchildren it reaped
    if report is not None:
        figures = json.loads(report.read_text())
        run.self_mb = figures["self_kb"] / 1024
        run.children_mb = figures["children_kb"] / 1024
        run.seconds = figures.get("seconds", run.seconds)  # a child that times its own part
        run.cpu_s = figures.get("cpu_s", run.cpu_s)
    return run


def floor(seconds: float, out: Path) -> Run:
    from voiceguide.ffmpeg import ffmpeg_exe
    from voiceguide.mp3.encode import LAME_QUALITY

    command = [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
        "-f", "s16le", "-ar", "22050", "-ac", "1", "-t", f"{seconds:.3f}", "-i", "/dev/zero",
        "-c:a", "libmp3lame", "-b:a", "64k", "-compression_level", str(LAME_QUALITY),
        "-id3v2_version", "0", "-write_xing", "1", "-f", "mp3", str(out),
    ]  # fmt: skip
    return timed(command)


def build(case: Case, cache: Path, out: Path, work: Path, *, voice: str | None = None) -> Run:
    """``voiceguide build`` of the case, with its voice unless another is given."""
    report = work / "report.json"
    command = [PYTHON, "-c", _CLI_CHILD, str(report), "build", str(case.routine)]
    command += ["--duration", case.duration, "--cache-dir", str(cache), "-o", str(out), "--force"]
    command += ["--voice", voice or case.voice]
    return timed(command, report)


def synthesis(case: Case, cache: Path, work: Path) -> Run:
    report = work / "report.json"
    total_ms = str(int(seconds_of(case.duration) * 1000))
    command = [PYTHON, "-c", _SYNTH_CHILD, str(report), str(case.routine), str(case.voice)]
    return timed([*command, str(cache), total_ms], report)


def baseline(case: Case, cache: Path, out: Path, work: Path) -> Run:
    report = work / "report.json"
    total_ms = str(int(seconds_of(case.duration) * 1000))
    command = [PYTHON, "-c", _PYDUB_CHILD, str(report), str(case.routine), total_ms]
    return timed([*command, str(cache), str(out / "pydub.mp3")], report)


def measure(case: Case, repeat: int, work: Path, with_baseline: bool) -> None:
    out = work / "out"
    out.mkdir(exist_ok=True)
    kinds = ["floor", "cold", "warm"] + (["baseline"] if with_baseline else [])
    if is_piper_voice(case.voice):  # synthesis reads what cold said; espeak's warm build
        # is timed beside warm
        kinds = ["floor", "cold", "synthesis", "warm", "espeak cold", "espeak warm"]
    case.runs = {k: [] for k in kinds}
    for n in range(repeat):
        cache = Path(tempfile.mkdtemp(prefix="cache-", dir=work))
        espeak = Path(tempfile.mkdtemp(prefix="cache-espeak-", dir=work))
        # interleaved, so that a noisy minute spreads over all kinds alike
        runs = {
            "floor": lambda: floor(seconds_of(case.duration), out / "floor.mp3"),
            "cold": lambda: build(case, cache, out, work),  # noqa: B023
            "warm": lambda: build(case, cache, out, work),  # noqa: B023
            "baseline": lambda: baseline(case, cache, out, work),  # noqa: B023
            "synthesis": lambda: synthesis(case, cache, work),  # noqa: B023
            "espeak cold": lambda: build(case, espeak, out, work, voice="espeak"),  # noqa: B023
            "espeak warm": lambda: build(case, espeak, out, work, voice="espeak"),  # noqa: B023
        }
        for kind in kinds:
            if kind == "baseline" and n > 0:
                continue  # minutes at 3 hours, and an order of magnitude off: once is enough
            run = runs[kind]()
            case.runs[kind].append(run)
            memory = f", peak {run.self_mb:.0f} MB" if run.self_mb else ""
            memory += f", largest child {run.children_mb:.0f} MB" if run.children_mb else ""
            line = f"  {kind:<9}{run.seconds:7.2f}s (CPU {run.cpu_s:.2f}s){memory}"
            print(line, file=sys.stderr, flush=True)
        shutil.rmtree(cache)
        shutil.rmtree(espeak)


def piper_table(cases: list[Case]) -> str:
    """Piper rows: cold against the synthesis floor, warm against espeak's warm build timed
    just after it (a warm build is a few seconds: a minute's drift in load would swamp it)."""
    head = f"{'case (voice)':<26}{'floor':>8}{'synthesis':>11}{'cold':>9}{'/synth':>8}"
    head += f"{'CPU /synth':>12}{'warm':>8}{'/espeak warm':>14}{'RSS build':>11}{'RSS worker':>12}"
    lines = [head]
    for case in cases:
        warm = case.median("warm")
        versus = f"{case.ratio_to('warm', 'espeak warm'):>13.2f}x"
        row = f"{case.name + f' ({case.voice})':<26}{case.median('floor'):>7.2f}s"
        row += f"{case.median('synthesis'):>10.2f}s{case.median('cold'):>8.2f}s"
        row += f"{case.ratio_to('cold', 'synthesis'):>7.2f}x"
        row += f"{case.cpu_ratio_to('cold', 'synthesis'):>11.2f}x{warm:>7.2f}s{versus}"
        build_mb = max(case.peak_mb("cold"), case.peak_mb("warm"))
        row += f"{build_mb:>8.0f} MB{case.child_mb('cold'):>9.0f} MB"
        lines.append(row)
    return "\n".join(lines)


def table(cases: list[Case]) -> str:
    kinds = [k for k in ("cold", "warm", "baseline") if k in cases[0].runs]
    head = f"{'case':<22}{'floor':>9}" + "".join(f"{k:>17}" for k in kinds)
    head += f"{'RSS cold':>11}{'RSS warm':>11}"
    if "baseline" in kinds:
        head += f"{'peak RSS pydub':>16}"
    lines = [head]
    for case in cases:
        f = case.median("floor")
        row = f"{case.name:<22}{f:>8.2f}s"
        for k in kinds:
            row += f"{case.median(k):>9.2f}s {case.ratio(k):>5.2f}x"
        row += f"{case.peak_mb('cold'):>8.0f} MB{case.peak_mb('warm'):>8.0f} MB"
        if "baseline" in kinds:
            row += f"{case.peak_mb('baseline'):>13.0f} MB"
        lines.append(row)
    return "\n".join(lines)


def long_routine(folder: Path) -> Path:
    """Twelve 15-minute steps and a rest, each with three reminders: three hours in all."""
    body = ["title: Three-hour marathon (benchmark)", "steps:"]
    for n in range(1, 13):
        body += [
            f"  - id: part-{n}",
            f"    title: Part {n}",
            "    duration: 14m",
            "    min: 5m",
            "    max: 20m",
            f"    say: This is part {n}. Work slowly over the whole back, then the shoulders.",
            "    cues:",
            "      - at: 2m",
            "        say: Keep the pressure light and even.",
            "      - at: half",
            "        say: Now change to the other side.",
            "      - at: -1m",
            f"        say: One minute of part {n} left.",
        ]
    body += ["rest:", "  duration: 10m", "  say: Rest now under a warm blanket."]
    path = folder / "marathon.yaml"
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routine", type=Path, help="routine to build at --duration")
    parser.add_argument("--duration", default="80m")  # about the routine's own length
    parser.add_argument("--long", default="3h", help="length of the generated long routine")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-baseline", action="store_true", help="skip the pydub recipe")
    parser.add_argument("--no-long", action="store_true", help="skip the generated long case")
    parser.add_argument(
        "--startup-only", action="store_true", help="only the start-up rows (--help, list, check)"
    )
    parser.add_argument("--startup-repeat", type=int, default=10)
    parser.add_argument("--no-piper", action="store_true", help="skip the Piper (joe) rows")
    parser.add_argument("--piper-repeat", type=int, default=2, help="repeats of the Piper rows")
    parser.add_argument(
        "--speech", action="store_true", help="print the pace and levelling figures instead"
    )
    args = parser.parse_args()
    if args.speech:
        import bench_speech

        sys.argv = [sys.argv[0]]
        bench_speech.main()
        return

    from bench_startup import startup  # beside this file

    work = Path(tempfile.mkdtemp(prefix="voiceguide-bench-"))
    try:
        print(startup(args.startup_repeat, work))
        if args.startup_only:
            return
        routine = args.routine or ROOT / "src" / "voiceguide" / "routines" / "therapeutic.yaml"
        cases = [Case(f"{routine.stem} {args.duration}", routine, args.duration, voice="espeak")]
        if not args.no_long:
            cases.append(
                Case(f"generated {args.long}", long_routine(work), args.long, voice="espeak")
            )
        for case in cases:
            print(f"measuring {case.name} ({case.routine}) x{args.repeat} ...", file=sys.stderr)
            measure(case, args.repeat, work, not args.no_baseline)
        piper = []
        if not args.no_piper:
            piper.append(
                Case(f"{routine.stem} {args.duration}", routine, args.duration, voice="joe")
            )
        for case in piper:
            print(f"measuring {case.name} with Piper x{args.piper_repeat} ...", file=sys.stderr)
            measure(case, args.piper_repeat, work, False)
        print(
            textwrap.dedent(f"""\
            voiceguide bench: medians of {args.repeat} runs (the pydub baseline: 1 run);
            ratios: each run over the floor timed just before it (ffmpeg encoding
            silence of the same length with the same encoder settings), median.
            cores: {os.cpu_count()}, load average at the end: {os.getloadavg()[0]:.2f}
            """)
        )
        print(table(cases))
        if piper:
            print()
            print(piper_table(piper))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
