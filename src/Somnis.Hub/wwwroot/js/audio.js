// Audible cue for new high-priority alarms on the console, generated with WebAudio (no sound file).
// Browsers only let a page make sound after a user gesture, so sound is something the user turns on here; the choice
// is kept per browser (localStorage). States, always shown as text: off, on, blocked (turned on but the browser has
// not allowed sound yet: any click or key on the page allows it) and paused (audio paused for 2 min, like a patient
// monitor's AUDIO PAUSED, with a countdown; when it ends, alarms still unacknowledged sound once).
// Automation: #audio[data-audio-state] and counters data-cues (bursts played) and data-cues-silenced (withheld
// while paused or blocked).
const KEY = "somnis.audio";
const PAUSE_KEY = "somnis.audioPausedUntil";
const PAUSE_MS = 2 * 60 * 1000;
// At most one burst per 2 s: alarms raised together (an incident) make one more cue after the first, not ten
// overlapping ones; a cue due sooner waits for the gap instead of being lost.
const MIN_GAP_MS = 2000;
const root = document.getElementById("audio");
const toggle = root.querySelector("#audio-toggle");
const pauseButton = root.querySelector("#audio-pause");
const status = root.querySelector("#audio-status");
let enabled = localStorage.getItem(KEY) === "on";
let pausedUntil = Number(localStorage.getItem(PAUSE_KEY)) || 0;
let ctx = null;
let cues = 0;
let silenced = 0;
let lastCue = -Infinity;
let waiting = 0;
let ticker = 0;
let heldDuringPause = false;
// Set by alarms.js: does any alarm still sound (the hub's `sounding`: high, annunciated, active, unacknowledged)?
let pending = () => false;

/** alarms.js says how to ask whether an alarm still sounds, for the end of an audio pause. */
export function setPending(f) {
  pending = f;
}

function state() {
  if (!enabled) return "off";
  if (pausedUntil > Date.now()) return "paused";
  return ctx && ctx.state === "running" ? "on" : "blocked";
}

function countdown() {
  const s = Math.max(0, Math.ceil((pausedUntil - Date.now()) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function render() {
  const s = state();
  root.dataset.audioState = s;
  root.dataset.cues = String(cues);
  root.dataset.cuesSilenced = String(silenced);
  toggle.setAttribute("aria-pressed", String(enabled));
  toggle.title = enabled ? "Turn the alarm sound off" : "Turn the alarm sound on for new high-priority alarms";
  pauseButton.hidden = !enabled;
  pauseButton.textContent = s === "paused" ? "▶ Resume audio" : "⏸ Pause audio 2 min";
  status.textContent = {
    off: "🔇 Sound off",
    on: "🔔 Sound on",
    blocked: "⚠ Sound blocked by the browser: click anywhere to allow",
    paused: `🔕 Audio paused ${countdown()}`,
  }[s];
}

/** Creates or resumes the audio context; only works from a user gesture (click, key). */
function allow() {
  if (!enabled) return;
  try {
    ctx ??= new AudioContext();
    ctx.onstatechange = render;
    if (ctx.state !== "running") ctx.resume().then(render, render);
  } catch { /* no WebAudio: stays "blocked", which says so */ }
  render();
}

function tone(at, frequency, length) {
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.type = "square";
  osc.frequency.value = frequency;
  gain.gain.setValueAtTime(0, at);
  gain.gain.linearRampToValueAtTime(0.12, at + 0.02);
  gain.gain.setValueAtTime(0.12, at + length - 0.03);
  gain.gain.linearRampToValueAtTime(0, at + length);
  osc.connect(gain).connect(ctx.destination);
  osc.start(at);
  osc.stop(at + length + 0.01);
}

/** The high-priority burst shape of IEC 60601-1-8: three pulses, a pause, two pulses (about 1.4 s). */
function burst() {
  const t0 = ctx.currentTime + 0.02;
  [[0, 988], [0.22, 784], [0.44, 659], [0.9, 784], [1.12, 659]].forEach(([dt, f]) => tone(t0 + dt, f, 0.16));
}

/** A new high-priority annunciation (alarms.js calls this): sounds unless off, paused or blocked. */
export function cue(alarmId) {
  const s = state();
  if (s === "off") return;
  if (s !== "on") {
    silenced++;
    if (s === "paused") heldDuringPause = true;
    render();
    return;
  }
  root.dataset.lastCueAlarm = alarmId ?? "";
  if (waiting) return;
  const wait = lastCue + MIN_GAP_MS - performance.now();
  if (wait > 0) { waiting = setTimeout(() => { waiting = 0; play(); }, wait); return; }
  play();
}

function play() {
  if (state() !== "on") return;
  lastCue = performance.now();
  burst();
  cues++;
  render();
}

function pause() {
  pausedUntil = Date.now() + PAUSE_MS;
  localStorage.setItem(PAUSE_KEY, String(pausedUntil));
  heldDuringPause = false;
  tick();
}

/** Ends the pause (by hand or when it runs out); what is still unacknowledged sounds once, as a monitor would. */
function endPause() {
  pausedUntil = 0;
  localStorage.removeItem(PAUSE_KEY);
  clearTimeout(ticker);
  ticker = 0;
  render();
  if (heldDuringPause && pending()) cue(null);
  heldDuringPause = false;
}

function tick() {
  clearTimeout(ticker);
  ticker = 0;
  if (!enabled || pausedUntil === 0) { render(); return; }
  if (pausedUntil <= Date.now()) { endPause(); return; }
  render();
  // Wake just after the shown second changes.
  ticker = setTimeout(tick, ((pausedUntil - Date.now()) % 1000) + 20);
}

toggle.addEventListener("click", () => {
  enabled = !enabled;
  localStorage.setItem(KEY, enabled ? "on" : "off");
  if (enabled) {
    allow();
    // One short pulse so the user hears the volume is right (not an alarm cue, not counted).
    if (ctx) tone(ctx.currentTime + 0.05, 784, 0.12);
  } else {
    pausedUntil = 0;
    localStorage.removeItem(PAUSE_KEY);
  }
  tick();
});
pauseButton.addEventListener("click", () => (state() === "paused" ? endPause() : pause()));
// The first gesture anywhere on the page allows sound that was turned on in an earlier visit.
for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, () => { if (enabled && (!ctx || ctx.state !== "running")) allow(); }, true);
// Other tabs of this browser: same choice, same pause.
window.addEventListener("storage", (e) => {
  if (e.key === KEY) { enabled = e.newValue === "on"; if (enabled) allow(); }
  if (e.key === PAUSE_KEY) pausedUntil = Number(e.newValue) || 0;
  tick();
});
tick();
