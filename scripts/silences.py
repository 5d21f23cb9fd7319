"""The longest silence inside each step of every shipped routine, as the plan places it.

Run through ``scripts/silences`` (which sets up .venv); the real engine
measures the words. ``--longest`` pins every step at its ``max``;
``--no-reminders`` leaves out the steps' reminder lines, as the option does.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from voiceguide.build import BuildOptions, prepare
from voiceguide.routine import load_routine
from voiceguide.routine.library import builtin_dir
from voiceguide.speech import Speaker, default_cache_dir, make_engine
from voiceguide.timeline import TimingRequest, longest_silences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--longest", action="store_true", help="every step at its max")
    parser.add_argument("--no-reminders", action="store_true", help="no reminder lines")
    parser.add_argument("--routines", type=Path, default=builtin_dir())
    args = parser.parse_args()
    with Speaker(make_engine(None), cache_dir=default_cache_dir()) as speaker:
        for path in sorted(args.routines.glob("*.yaml")):
            routine = load_routine(path)
            pins = {s.id: s.max_ms for s in routine.steps} if args.longest else {}
            options = BuildOptions(
                timing=TimingRequest(pins=pins),
                max_silence_ms=None if args.no_reminders else BuildOptions().max_silence_ms,
            )
            silences = longest_silences(prepare(routine, options, speaker))
            worst = max(silences, key=lambda k: silences[k])
            steps = "  ".join(f"{k}={v / 60_000:.1f}m" for k, v in silences.items())
            print(f"{routine.id:<12} longest {silences[worst] / 60_000:.2f}m ({worst})   {steps}")


if __name__ == "__main__":
    main()
