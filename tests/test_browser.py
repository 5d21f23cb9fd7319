"""The player page in a real browser (Debian's chromium), served by ``voiceguide serve``.

The track is a real build (real engine, real ffmpeg); the server is the real
command in a subprocess on 127.0.0.1; the browser is headless chromium driven
by Playwright with ``executable_path`` (no browser is ever downloaded). Audio
plays muted, autoplay allowed by a launch flag. Assertions read the DOM (what
a person sees), the audio element and the Media Session. Under CI (``$CI``
set) a missing chromium fails these tests; elsewhere it skips them.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from .phone import Served, serve_command

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--autoplay-policy=no-user-gesture-required",
    "--mute-audio",
    "--no-sandbox",  # CI runs as root
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ON_CI = os.environ.get("CI", "").lower() not in ("", "0", "false")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not ON_CI and not os.access(CHROMIUM, os.X_OK),
        reason="no chromium (apt-get install chromium); under CI this fails instead",
    ),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"CI is set but {CHROMIUM} is missing: .ci/run installs it")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def served(phone_build: dict) -> Iterator[Served]:
    with serve_command(phone_build["dir"]) as served:
        yield served


@pytest.fixture
def page(browser: Browser, served: Served) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(served.url + "four.html")
    yield page
    context.close()
    assert errors == []


def text(page: Page, selector: str) -> str:
    return (page.text_content(selector) or "").strip()


def wait_until(page: Page, predicate: str, arg: object = None) -> None:
    """Poll ``predicate``, a JS function of ``arg``, until it is true.

    Always a function, never an expression: Playwright evals the string once when it is a
    function and calls it on each poll, but evals an expression again on every poll, from an
    animation frame, where the page's Content Security Policy (no 'unsafe-eval') refuses it.
    """
    assert re.match(r"\s*(\(\)|\w+)\s*=>", predicate), predicate
    page.wait_for_function(predicate, arg=arg, timeout=10_000)


def wait_state(page: Page, state: str) -> None:
    """The player's data-state, which the audio element's events set a moment after
    ``audio.paused`` itself changes."""
    expect(page.locator("#player")).to_have_attribute("data-state", state, timeout=10_000)


def wait_title(page: Page, title: str) -> None:
    wait_until(page, "t => document.getElementById('part-title').textContent === t", title)


def spoken_before(plan: dict[str, Any], part_id: str, ms: float) -> str:
    lines = [
        e
        for e in plan["events"]
        if e["kind"] == "speech" and e["part"] == part_id and e["start_ms"] <= ms
    ]
    return str(lines[-1]["text"])


def test_play_jump_seek_and_media_session(page: Page, phone_build: dict) -> None:
    plan = phone_build["plan"]
    parts = plan["parts"]
    third = next(p for p in parts if p["number"] == 3)
    fourth = next(p for p in parts if p["number"] == 4)

    assert text(page, "#part-title") == parts[0]["title"]
    page.click("#play")
    wait_until(page, "() => !document.getElementById('audio').paused")
    wait_state(page, "playing")
    assert page.get_attribute("#play", "aria-label") == "Pause"

    # Playback goes on after the jump, so take currentTime at the seek itself.
    page.evaluate(
        """() => document.getElementById('audio').addEventListener('seeking',
            (e) => { window.seekedTo = e.target.currentTime; }, { once: true })"""
    )
    page.click(f"#parts button[data-index='{parts.index(third)}']")
    wait_until(page, "() => window.seekedTo !== undefined")
    assert abs(page.evaluate("window.seekedTo") - third["start_ms"] / 1000) < 0.1
    current = page.evaluate("document.getElementById('audio').currentTime")
    assert -0.1 < current - third["start_ms"] / 1000 < 1.0
    wait_title(page, third["title"])
    assert text(page, "#part-label") == "Step 3 of 4"
    assert text(page, "#next-title") == fourth["title"]
    assert page.get_attribute(f"#parts button[data-index='{parts.index(third)}']", "aria-current")

    middle_ms = (fourth["start_ms"] + fourth["end_ms"]) / 2
    page.evaluate("t => { document.getElementById('audio').currentTime = t; }", middle_ms / 1000)
    wait_title(page, fourth["title"])
    assert text(page, "#part-label") == "Step 4 of 4"
    wait_until(
        page,
        "t => document.getElementById('line').textContent === t",
        spoken_before(plan, fourth["id"], middle_ms + 1000),
    )
    left_s = int(text(page, "#time-left").split(":")[1])
    assert 7 <= left_s <= (fourth["end_ms"] - middle_ms) / 1000 + 1

    metadata = page.evaluate(
        "(({title, artist, album}) => ({title, artist, album}))(navigator.mediaSession.metadata)"
    )
    assert metadata == {"title": fourth["title"], "artist": plan["title"], "album": "voiceguide"}
    assert page.evaluate("navigator.mediaSession.playbackState") == "playing"

    page.click("#play")
    wait_until(page, "() => document.getElementById('audio').paused")
    wait_state(page, "paused")
    assert page.get_attribute("#play", "aria-label") == "Play"
    assert text(page, "#part-title") == fourth["title"]
    assert page.evaluate("navigator.mediaSession.playbackState") == "paused"

    before = page.evaluate("document.getElementById('audio').currentTime")
    page.click("#back")
    after = page.evaluate("document.getElementById('audio').currentTime")
    assert abs((before - after) - 15) < 0.1
    wait_title(page, third["title"])  # 15 s back from the middle of step 4 is in step 3

    page.click("#skip")
    wait_title(page, fourth["title"])
    assert page.evaluate("navigator.mediaSession.metadata.title") == fourth["title"]


def test_finished_after_end(page: Page, phone_build: dict) -> None:
    wait_until(page, "() => Number.isFinite(document.getElementById('audio').duration)")
    duration = page.evaluate("document.getElementById('audio').duration")
    assert abs(duration * 1000 - phone_build["plan"]["total_ms"]) < 100
    page.evaluate("t => { document.getElementById('audio').currentTime = t; }", duration - 0.4)
    wait_title(page, phone_build["plan"]["parts"][-1]["title"])
    page.click("#play")
    wait_title(page, "Finished")
    wait_state(page, "finished")
    assert page.get_attribute("#play", "aria-label") == "Play again"
    assert text(page, "#time-left") == "0:00"


def test_wake_lock_offered_on_localhost(page: Page) -> None:
    assert page.is_visible("#wake")
    assert not page.is_visible("#wake-note")


def test_wake_lock_note_without_the_api(browser: Browser, served: Served) -> None:
    context = browser.new_context()
    context.add_init_script("delete Navigator.prototype.wakeLock;")
    page = context.new_page()
    page.goto(served.url + "four.html")
    assert page.is_visible("#wake-note")
    assert "needs HTTPS or localhost" in text(page, "#wake-note")
    assert not page.is_visible("#wake")
    context.close()


def test_index_links_to_the_page(browser: Browser, served: Served, phone_build: dict) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(served.url)
    page.click(f"text={phone_build['plan']['title']}")
    page.wait_for_url("**/four.html")
    assert text(page, "#part-title") == phone_build["plan"]["parts"][0]["title"]
    context.close()
