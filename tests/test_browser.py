"""The player page in a real browser (Debian's chromium), served by ``voiceguide serve``.

The track is a real build (real engine, real ffmpeg); the server is the real
command in a subprocess on 127.0.0.1; the browser is headless chromium driven
by Playwright with ``executable_path`` (no browser is ever downloaded). Audio
plays muted, autoplay allowed by a launch flag. Assertions read the DOM (what
a person sees), the audio element and the Media Session. Under CI (``$CI``
set) a missing chromium fails these tests; elsewhere it skips them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from voiceguide.output.names import track_title
from voiceguide.output.page import render_page

from .phone import Served, copy_site, serve_command

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
    assert metadata == {
        "title": fourth["title"],
        "artist": track_title(plan),
        "album": "voiceguide",
    }
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


def test_resume_after_a_reload(page: Page, phone_build: dict) -> None:
    """A call or a reload must not send the listener back to the start: the page keeps the
    position and offers it, and resuming plays on from there."""
    parts = phone_build["plan"]["parts"]
    third = parts[2]
    assert not page.is_visible("#resume")  # nothing kept yet
    page.click("#play")
    wait_state(page, "playing")
    page.click('#parts button[data-index="2"]')
    wait_title(page, third["title"])
    page.evaluate("() => { const a = document.getElementById('audio'); a.currentTime += 4; }")
    page.click("#play")  # pause: the position is kept
    wait_state(page, "paused")
    kept = page.evaluate("() => document.getElementById('audio').currentTime")
    page.reload()
    expect(page.locator("#resume")).to_be_visible()
    assert text(page, "#part-title") == parts[0]["title"]  # nothing moved until asked
    stopped = text(page, "#resume-at")
    assert stopped.endswith(f"Step {third['number']} of 4: {third['title']}"), stopped
    page.click("#resume-go")
    wait_state(page, "playing")
    wait_title(page, third["title"])
    now = page.evaluate("() => document.getElementById('audio').currentTime")
    assert kept - 0.5 <= now <= kept + 3
    assert not page.is_visible("#resume")
    assert page.evaluate("() => document.activeElement.id") == "play"


def test_start_over_forgets_the_position(page: Page) -> None:
    page.evaluate("() => { const a = document.getElementById('audio'); a.currentTime = 30; }")
    wait_until(page, "() => document.getElementById('audio').currentTime >= 29")
    page.evaluate("() => window.dispatchEvent(new Event('pagehide'))")
    page.reload()
    expect(page.locator("#resume")).to_be_visible()
    page.click("#resume-no")
    assert not page.is_visible("#resume")
    page.reload()
    assert not page.is_visible("#resume")


def test_links_home_and_to_the_mp3(page: Page) -> None:
    assert page.get_attribute("a.home", "href") == "index.html"
    assert page.get_attribute("a[download]", "href") == "four.mp3"
    assert page.get_attribute("link[rel=manifest]", "href") == "four.manifest.json"


def test_plain_http_says_what_works(browser: Browser, served: Served) -> None:
    context = browser.new_context()
    context.add_init_script("Object.defineProperty(window, 'isSecureContext', {value: false});")
    page = context.new_page()
    page.goto(served.url + "four.html")
    note = text(page, "#http-note")
    assert "cannot keep the screen on, install as an app or play offline" in note
    assert "download the MP3" in note
    assert not page.is_visible("#wake") and not page.is_visible("#wake-note")
    context.close()


# What the listener sees first, and the longest words of the shipped routines' titles.
LONG_TITLES = ["Introduction", "Before the steps", "Effleurage", "Counterstrain release"]

# The words of the big title that the browser broke across lines (a Range per word: more
# than one line box means the word was split).
BROKEN_WORDS = """() => {
  const title = document.getElementById('part-title');
  const node = title.firstChild;
  const broken = [];
  for (const match of node.textContent.matchAll(/\\S+/g)) {
    const range = document.createRange();
    range.setStart(node, match.index);
    range.setEnd(node, match.index + match[0].length);
    const lines = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
    if (lines.size !== 1) broken.push(match[0]);
  }
  if (title.scrollWidth > title.clientWidth + 1) broken.push('(wider than the screen)');
  return broken;
}"""


@pytest.mark.parametrize("width", [360, 390, 430])
def test_the_title_never_breaks_inside_a_word(
    browser: Browser, phone_build: dict, tmp_path: Path, width: int
) -> None:
    plan = json.loads(json.dumps(phone_build["plan"]))
    for part, title in zip(plan["parts"], LONG_TITLES, strict=False):
        part["title"] = title
    site = copy_site(phone_build["dir"], tmp_path / "site")
    (site / "long.html").write_text(render_page(plan, "four.mp3", "four.vtt"), encoding="utf-8")
    context = browser.new_context(viewport={"width": width, "height": 780})
    page = context.new_page()
    with serve_command(site) as served:
        page.goto(served.url + "long.html")
        for index, title in enumerate(LONG_TITLES):
            page.click(f'#parts button[data-index="{index}"]')
            wait_title(page, title)
            assert page.evaluate(BROKEN_WORDS) == [], (width, title)
            size = page.evaluate(
                "() => parseFloat(getComputedStyle(document.getElementById('part-title')).fontSize)"
            )
            assert size >= 30, (width, title, size)  # still big: read at arm's length
    context.close()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now (axe's own script,
    from the axe-playwright-python wheel, evaluated through DevTools: no eval in the page)."""
    import axe_playwright_python

    source = Path(axe_playwright_python.__file__).with_name("axe.min.js").read_text("utf-8")
    page.evaluate(source)
    found = page.evaluate(
        """async () => (await axe.run(document)).violations.map(v => ({
            id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_page_and_index_pass_axe(browser: Browser, served: Served, scheme: str) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 780}, color_scheme=scheme)
    context.add_init_script("Object.defineProperty(window, 'isSecureContext', {value: false});")
    page = context.new_page()
    page.goto(served.url)
    assert axe_violations(page) == []
    page.goto(served.url + "four.html")
    page.evaluate("() => { const a = document.getElementById('audio'); a.currentTime = 30; }")
    wait_until(page, "() => document.getElementById('audio').currentTime >= 29")
    page.evaluate("() => window.dispatchEvent(new Event('pagehide'))")
    page.reload()  # with the HTTP note and the offer to resume showing
    expect(page.locator("#resume")).to_be_visible()
    assert axe_violations(page) == []
    page.click("#play")
    wait_state(page, "playing")
    assert axe_violations(page) == []
    context.close()


def test_keyboard_alone(page: Page) -> None:
    """Tab reaches the controls in order and Enter or Space works them, focus always shown."""
    order = []
    for _ in range(6):
        page.keyboard.press("Tab")
        order.append(
            page.evaluate("() => document.activeElement.id || document.activeElement.className")
        )
    assert order[:5] == ["home", "wake", "back", "play", "skip"], order
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")  # back on play
    assert page.evaluate("() => document.activeElement.id") == "play"
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.press("Enter")
    wait_state(page, "playing")
    page.keyboard.press("Space")
    wait_state(page, "paused")


def test_reduced_motion_is_honoured(browser: Browser, served: Served) -> None:
    context = browser.new_context(reduced_motion="reduce")
    page = context.new_page()
    page.goto(served.url + "four.html")
    durations = page.evaluate(
        """() => Array.from(document.querySelectorAll('*'))
            .map(e => getComputedStyle(e))
            .filter(s => parseFloat(s.transitionDuration) > 0 || (s.animationName || 'none') !== 'none')
            .length"""
    )
    assert durations == 0
    context.close()


def test_the_served_pages_manifest_loads_under_its_policy(browser: Browser, served: Served) -> None:
    """The manifest that lets a phone add the page to its home screen is fetched under the
    Content-Security-Policy ``serve`` sends with the page (``manifest-src``), as the browser
    fetches it when asked to install the page (DevTools' Page.getAppManifest)."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(served.url + "four.html", wait_until="networkidle")
    got = context.new_cdp_session(page).send("Page.getAppManifest")
    context.close()
    assert got["url"].endswith(".manifest.json") and got["errors"] == []
    assert '"name"' in got.get("data", ""), got
