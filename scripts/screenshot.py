"""Phone-sized screenshots (390x844, or --width) of the player page, for the README.

Run through ``scripts/screenshot``. Builds a routine with the real engine into
a temporary folder (``voiceguide build``), serves it with ``voiceguide serve``
on 127.0.0.1, opens the page in Debian's chromium (headless, Playwright with
``executable_path``), jumps to step 3 from the list, plays (muted) from the
middle of it and captures the screen in the light and the dark scheme.
"""

from __future__ import annotations

import argparse
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-c", "from voiceguide.cli import main; main()"]
LAUNCH_ARGS = ["--autoplay-policy=no-user-gesture-required", "--mute-audio", "--no-sandbox"]


def shoot(url: str, out_dir: Path, step: int, width: int = 390) -> list[Path]:
    """Open the page at ``width``x844, jump to ``step``, play from its middle, capture."""
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
        for scheme in ("light", "dark"):
            context = browser.new_context(
                viewport={"width": width, "height": 844},
                is_mobile=True,
                has_touch=True,
                color_scheme=scheme,
            )
            page = context.new_page()
            page.goto(url)
            page.click(f"#parts button:has(span.n:text-is('{step}'))")
            page.wait_for_function("() => !document.getElementById('audio').paused")
            page.evaluate(
                """() => { const a = document.getElementById('audio');
                const parts = JSON.parse(document.getElementById('plan').textContent).parts;
                const p = parts[Number(document.getElementById('player').dataset.partIndex)];
                a.currentTime = (p.start_ms + (p.end_ms - p.start_ms) * 0.45) / 1000; }"""
            )
            page.wait_for_function("() => document.getElementById('line').textContent.length > 0")
            page.evaluate("window.scrollTo(0, 0)")
            time.sleep(0.5)
            path = out_dir / f"player-{scheme}.png"
            page.screenshot(path=str(path))
            written.append(path)
            context.close()
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routine", default="classic", help="routine id or file (classic)")
    parser.add_argument("--step", type=int, default=3, help="the step shown (3)")
    parser.add_argument("--width", type=int, default=390, help="CSS pixels wide (390)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder (docs/)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        build = [*CLI, "build", args.routine, "-o", tmp]
        subprocess.run(build, check=True, stdout=subprocess.DEVNULL)
        serve = [*CLI, "serve", tmp, "--host", "127.0.0.1", "--port", "0"]
        server = subprocess.Popen(serve, stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None
            url = ""
            for line in server.stdout:
                if match := re.match(r"Open on your phone: (\S+)", line):
                    url = match.group(1)
                    break
            if not url:
                sys.exit("voiceguide serve printed no address")
            routine_id = Path(args.routine).stem
            for path in shoot(f"{url}{routine_id}.html", args.out, args.step, args.width):
                print(path)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
