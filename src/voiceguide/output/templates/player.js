// Player logic. The audio element is the only state: everything shown is derived
// from audio.currentTime / paused / ended, so play, pause, seeks from the lock
// screen and the end of the track all land on the same render().
(() => {
  "use strict";
  const data = JSON.parse(document.getElementById("plan").textContent);
  const parts = data.parts;
  const lines = data.lines;
  const $ = (id) => document.getElementById(id);
  const audio = $("audio");
  const player = $("player");
  const playButton = $("play");
  const skipButton = $("skip");
  const listButtons = Array.from(document.querySelectorAll("#parts button"));
  // A seek to a part's start may land a hair before it (float seconds); count
  // anything within this many ms as already inside the part.
  const EDGE_MS = 20;
  let shownPart = -1;
  let shownFinished = null;

  const clock = (ms) => {
    const total = Math.max(0, Math.ceil(ms / 1000));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = String(total % 60).padStart(2, "0");
    return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
  };

  const partAt = (ms) => {
    let index = 0;
    for (let i = 0; i < parts.length; i++) if (parts[i].start_ms <= ms + EDGE_MS) index = i;
    return index;
  };

  // The line being spoken, or else the last line of this part (kept, dimmed, so the
  // instruction stays readable through the silent stretch that follows it).
  const lineAt = (ms, part) => {
    let last = null;
    for (const line of lines) {
      if (line.start_ms > ms + EDGE_MS) break;
      if (line.start_ms >= part.start_ms) last = line;
    }
    if (!last) return { text: "", speaking: false };
    return { text: last.text, speaking: ms < last.end_ms };
  };

  const nowMs = () => audio.currentTime * 1000;

  const session = "mediaSession" in navigator ? navigator.mediaSession : null;

  const setMetadata = (title) => {
    if (!session || typeof MediaMetadata === "undefined") return;
    session.metadata = new MediaMetadata({ title, artist: data.title, album: "voiceguide" });
  };

  const setPosition = () => {
    if (!session || !session.setPositionState || !Number.isFinite(audio.duration)) return;
    try {
      session.setPositionState({
        duration: audio.duration,
        playbackRate: audio.playbackRate,
        position: Math.min(audio.currentTime, audio.duration),
      });
    } catch (_) { /* position outside duration while metadata settles */ }
  };

  // The big title is as large as fits, but never broken inside a word: with the words kept
  // whole (no wrapping inside one), shrink the type until the longest word fits the width.
  const titleBox = $("part-title");
  const fitTitle = () => {
    titleBox.style.fontSize = "";
    titleBox.style.overflowWrap = "normal";
    let size = parseFloat(getComputedStyle(titleBox).fontSize);
    const least = 20;
    let shrunk = false;
    while (titleBox.scrollWidth > titleBox.clientWidth && size > least) {
      size = Math.max(least, size * 0.92);
      titleBox.style.fontSize = `${size}px`;
      shrunk = true;
    }
    // scrollWidth is rounded to whole pixels: leave a little room so no letter is left over
    if (shrunk) titleBox.style.fontSize = `${Math.max(least, size * 0.97)}px`;
    titleBox.style.overflowWrap = "";  // a word longer than the screen even so: break it
  };
  window.addEventListener("resize", fitTitle);

  const setTitle = (title) => {
    titleBox.textContent = title;
    fitTitle();
  };

  const showPart = (index) => {
    const part = parts[index];
    const next = parts[index + 1];
    $("part-label").textContent = part.label;
    setTitle(part.title);
    $("next").hidden = !next;
    $("next-title").textContent = next ? next.title : "";
    $("left-text").textContent = part.kind === "step" ? "left in this step" : "left in this part";
    skipButton.disabled = !next;
    listButtons.forEach((button, i) => {
      if (i === index) button.setAttribute("aria-current", "step");
      else button.removeAttribute("aria-current");
    });
    player.dataset.partIndex = String(index);
    setMetadata(part.title);
  };

  const showFinished = () => {
    $("part-label").textContent = data.title;
    setTitle("Finished");
    $("next").hidden = true;
    $("time-left").textContent = clock(0);
    $("bar").style.width = "100%";
    $("line").textContent = "Press play to start again.";
    $("line").classList.add("quiet");
    listButtons.forEach((button) => button.removeAttribute("aria-current"));
    skipButton.disabled = true;
    setMetadata("Finished");
  };

  const render = () => {
    const finished = audio.ended;
    const playing = !audio.paused && !finished;
    player.dataset.state = finished ? "finished" : playing ? "playing" : "paused";
    $("controls").classList.toggle("playing", playing);
    playButton.setAttribute("aria-label", playing ? "Pause" : finished ? "Play again" : "Play");
    if (session) session.playbackState = playing ? "playing" : "paused";

    if (finished) {
      if (shownFinished !== true) showFinished();
      shownFinished = true;
      shownPart = -1;
      return;
    }
    shownFinished = false;
    const ms = nowMs();
    const index = partAt(ms);
    if (index !== shownPart) {
      shownPart = index;
      showPart(index);
    }
    const part = parts[index];
    const length = part.end_ms - part.start_ms;
    $("time-left").textContent = clock(part.end_ms - ms);
    $("bar").style.width = `${length > 0 ? Math.min(100, Math.max(0, ((ms - part.start_ms) / length) * 100)) : 100}%`;
    const line = lineAt(ms, part);
    const lineBox = $("line");
    if (!line.text && audio.paused && ms < EDGE_MS) {
      lineBox.textContent = "Press play to start.";
      lineBox.classList.add("quiet");
    } else {
      lineBox.textContent = line.text;
      lineBox.classList.toggle("quiet", !line.speaking);
    }
  };

  const play = () => {
    audio.play().catch((error) => {
      $("status").textContent = `The audio did not start (${error.name}). Tap play again.`;
    });
  };

  const seekTo = (seconds) => {
    const end = Number.isFinite(audio.duration) ? audio.duration : data.total_ms / 1000;
    audio.currentTime = Math.min(Math.max(0, seconds), end);
    render();
    setPosition();
  };

  const jump = (index) => {
    seekTo(parts[index].start_ms / 1000);
    if (audio.paused) play();
  };

  // "Previous" restarts the part unless we are within its first 3 s, like a music player.
  const previous = () => {
    const index = partAt(nowMs());
    const intoPart = nowMs() - parts[index].start_ms;
    jump(intoPart > 3000 || index === 0 ? index : index - 1);
  };

  const nextPart = () => {
    const index = partAt(nowMs());
    if (index + 1 < parts.length) jump(index + 1);
  };

  const back = (seconds) => seekTo(audio.currentTime - seconds);

  playButton.addEventListener("click", () => (audio.paused || audio.ended ? play() : audio.pause()));
  $("back").addEventListener("click", () => back(15));
  skipButton.addEventListener("click", nextPart);
  listButtons.forEach((button) => button.addEventListener("click", () => jump(Number(button.dataset.index))));

  for (const name of ["timeupdate", "play", "playing", "pause", "seeking", "seeked", "ended", "loadedmetadata"]) {
    audio.addEventListener(name, render);
  }
  for (const name of ["play", "pause", "seeked", "loadedmetadata", "ratechange"]) {
    audio.addEventListener(name, setPosition);
  }
  audio.addEventListener("play", () => { $("status").textContent = ""; });
  audio.addEventListener("error", () => {
    $("status").textContent = "The audio file could not be loaded.";
  });

  if (session) {
    const handlers = {
      play,
      pause: () => audio.pause(),
      seekbackward: (details) => back(details.seekOffset || 15),
      seekto: (details) => {
        if (details.fastSeek && typeof audio.fastSeek === "function") audio.fastSeek(details.seekTime);
        else seekTo(details.seekTime);
      },
      previoustrack: previous,
      nexttrack: nextPart,
    };
    for (const [action, handler] of Object.entries(handlers)) {
      try { session.setActionHandler(action, handler); } catch (_) { /* action not supported here */ }
    }
  }

  // Screen Wake Lock: only in secure contexts (HTTPS, localhost). Say so instead of
  // offering a button that cannot work.
  const wakeButton = $("wake");
  if ("wakeLock" in navigator && window.isSecureContext) {
    let sentinel = null;
    let wanted = false;
    const reflect = () => {
      const on = wanted && sentinel !== null;
      wakeButton.setAttribute("aria-pressed", String(on));
      wakeButton.textContent = on ? "Screen stays on" : "Keep screen on";
    };
    const acquire = async () => {
      try {
        sentinel = await navigator.wakeLock.request("screen");
        sentinel.addEventListener("release", () => { sentinel = null; reflect(); });
      } catch (error) {
        wanted = false;
        $("status").textContent = `The browser would not keep the screen on (${error.name}).`;
      }
      reflect();
    };
    wakeButton.addEventListener("click", async () => {
      wanted = !wanted;
      if (wanted) await acquire();
      else if (sentinel) await sentinel.release();
      reflect();
    });
    // The lock is dropped whenever the page is hidden; take it again on return.
    document.addEventListener("visibilitychange", () => {
      if (wanted && !sentinel && document.visibilityState === "visible") acquire();
    });
    wakeButton.hidden = false;
  } else if (window.isSecureContext) {
    $("wake-note").hidden = false;  // over plain HTTP, the note below says it with the rest
  }

  // Where the listener stopped, kept on this phone for this track: a call, a reload or a
  // closed tab must not send them back to the start of a 45-minute session.
  const store = (() => {
    try { return window.localStorage; } catch (_) { return null; }
  })();
  const saved = () => {
    try { return Number(store && store.getItem(data.key)) || 0; } catch (_) { return 0; }
  };
  const remember = () => {
    if (!store) return;
    const ms = audio.ended ? 0 : Math.round(nowMs());
    try {
      if (ms > 5000) store.setItem(data.key, String(ms));
      else store.removeItem(data.key);
    } catch (_) { /* storage full or refused: the page still plays */ }
  };
  let lastSaved = 0;
  audio.addEventListener("timeupdate", () => {
    if (Math.abs(nowMs() - lastSaved) >= 5000) { lastSaved = nowMs(); remember(); }
  });
  for (const name of ["pause", "seeked", "ended"]) audio.addEventListener(name, remember);
  window.addEventListener("pagehide", remember);

  const resumeBox = $("resume");
  const hideResume = () => { resumeBox.hidden = true; };
  const stoppedAt = saved();
  if (stoppedAt > 5000 && stoppedAt < data.total_ms - 5000) {
    const part = parts[partAt(stoppedAt)];
    $("resume-at").textContent = `${clock(stoppedAt)}, ${part.label ? part.label + ": " : ""}${part.title}`;
    $("resume-go").textContent = `Resume at ${clock(stoppedAt)}`;
    resumeBox.hidden = false;
    $("resume-go").addEventListener("click", () => {
      hideResume();
      seekTo(stoppedAt / 1000);
      play();
      playButton.focus();
    });
    $("resume-no").addEventListener("click", () => {
      hideResume();
      try { store.removeItem(data.key); } catch (_) { /* nothing kept */ }
      playButton.focus();
    });
    audio.addEventListener("play", hideResume);
  }

  // Over plain HTTP (a phone on the LAN) say what works and what does not.
  if (!window.isSecureContext) $("http-note").hidden = false;

  render();
  fitTitle();
})();
