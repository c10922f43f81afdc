// Somnis facility console: bed tiles grouped by ward, kept live by server-sent events (/api/events).
// Updates are batched: events only mark beds dirty; one animation frame renders the changed tiles.
"use strict";

const tiles = new Map();
const beds = new Map();
const wards = new Map();
const pending = new Map();
const wardsRoot = document.getElementById("wards");
const template = document.getElementById("bed-template");
const wardTemplate = document.getElementById("ward-template");
const stats = (window.__somnisStats = { start: performance.now(), firstEvent: null, firstRender: null, events: 0, flushes: 0, totalFlushMs: 0, lastFlushMs: 0, maxFlushMs: 0, renders: 0, tiles: 0 });
let layout = { timeZone: "UTC", defaultWard: "Beds", wards: [] };
let frame = 0;

const STATE_TEXT = { asleep: "☾ asleep", awake: "☀ awake", "out-of-bed": "⇱ out of bed", unknown: "? unknown" };

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function availability(bed) {
  if (!bed.online) return ["offline", "⛔ Offline"];
  if (bed.stale) return ["stale", "⚠ No data"];
  return ["online", "● Live"];
}

// Delivery: is everything the bed measured here? Icon + text, never colour alone.
function delivery(bed) {
  const d = bed.delivery;
  const c = bed.clock;
  const parts = [];
  let state = "complete";
  if (d && (d.missing > 0 || d.backlog > 0)) {
    state = "delayed";
    parts.push(`⏳ Delayed: ${d.backlog} queued at bedside, ${d.missing} missing`);
  }
  if (d && d.lost > 0) {
    if (state === "complete") state = "incomplete";
    parts.push(`⚠ Incomplete: ${d.lost} lost`);
  }
  if (c && c.problem) {
    if (state === "complete") state = "clock";
    const what = { jump: "clock jumped", skew: `clock off by ${Somnis.num(c.skewSeconds)} s`, unsynchronised: "clock not synchronised" }[c.problem] || c.problem;
    parts.push(`🕒 ${what}`);
  }
  return [state, parts.length ? parts.join(" · ") : "✓ Data complete"];
}

function wardGrid(name) {
  let ward = wards.get(name);
  if (!ward) {
    const section = wardTemplate.content.firstElementChild.cloneNode(true);
    section.querySelector(".ward-name").textContent = name;
    section.setAttribute("aria-label", name);
    section.dataset.ward = name;
    // Wards in configured order, the default ward last.
    const order = [...layout.wards.map((w) => w.name), layout.defaultWard];
    const after = [...wards.keys()].filter((n) => order.indexOf(n) > order.indexOf(name)).sort((a, b) => order.indexOf(a) - order.indexOf(b))[0];
    wardsRoot.insertBefore(section, after ? wards.get(after).section : null);
    ward = { section, grid: section.querySelector(".beds"), ids: [] };
    wards.set(name, ward);
  }
  return ward;
}

function openBed(id) {
  location.href = "/bed.html?id=" + encodeURIComponent(id);
}

function createTile(bed) {
  const tile = template.content.firstElementChild.cloneNode(true);
  tile.dataset.bedId = bed.id;
  const link = tile.querySelector(".bed-name a");
  link.textContent = bed.id;
  link.href = "/bed.html?id=" + encodeURIComponent(bed.id);
  const line = document.createElement("p");
  line.className = "delivery";
  tile.insertBefore(line, tile.querySelector("footer"));
  tile.addEventListener("keydown", (e) => { if (e.key === "Enter" && e.target === tile) openBed(bed.id); });
  tile.addEventListener("click", (e) => { if (!e.target.closest("a, button")) openBed(bed.id); });
  const ward = wardGrid(Somnis.wardOf(layout, bed.id));
  let after = null;
  for (const id of ward.ids) if (id > bed.id && (after === null || id < after)) after = id;
  ward.ids.push(bed.id);
  ward.grid.insertBefore(tile, after ? tiles.get(after) : null);
  tiles.set(bed.id, tile);
  stats.tiles = tiles.size;
  // alarms.js decorates the new tile (alarm badge, Architect controls).
  document.dispatchEvent(new CustomEvent("somnis:tile", { detail: bed.id }));
  return tile;
}

function render(bed) {
  const tile = tiles.get(bed.id) ?? createTile(bed);
  const [avail, availText] = availability(bed);
  tile.dataset.availability = avail;
  setText(tile.querySelector(".availability"), availText);
  const state = avail === "online" ? bed.state : "unknown";
  const stateBadge = tile.querySelector(".state");
  stateBadge.dataset.state = state;
  setText(stateBadge, STATE_TEXT[state] ?? state);
  setText(tile.querySelector(".hr"), avail === "online" ? Somnis.num(bed.heartRate) : "–");
  setText(tile.querySelector(".rr"), avail === "online" ? Somnis.num(bed.respirationRate) : "–");
  const architect = bed.interlockEngaged ? "paused" : bed.architectStimulating ? "stimulating" : "idle";
  tile.dataset.architect = architect;
  setText(tile.querySelector(".architect"), { paused: "⏸ paused", stimulating: "✦ stimulating", idle: "idle" }[architect]);
  const faulty = (bed.sensors || []).filter((s) => !s.healthy);
  const sensors = tile.querySelector(".sensors");
  setText(sensors, faulty.length ? "⚠ " + faulty.map((s) => `${s.name}: ${s.reason}`).join(", ") : "ok");
  sensors.classList.toggle("fault", faulty.length > 0);
  tile.dataset.sensorFault = String(faulty.length > 0);
  setText(tile.querySelector(".scenario"), bed.simulation ? `sim: ${bed.simulation.scenario}` : "");
  const [deliveryState, deliveryText] = delivery(bed);
  tile.dataset.delivery = deliveryState;
  const deliveryLine = tile.querySelector(".delivery");
  deliveryLine.dataset.state = deliveryState;
  setText(deliveryLine, deliveryText);
  tile.setAttribute("aria-label", `${bed.id}: ${availText}, ${state}, heart rate ${Somnis.num(bed.heartRate)}, Architect ${architect}${faulty.length ? ", sensor fault" : ""}, ${deliveryText}`);
  beds.set(bed.id, bed);
}

function summarise() {
  let live = 0;
  for (const b of beds.values()) if (b.online && !b.stale) live++;
  setText(document.getElementById("summary"), `${beds.size} beds · ${live} live · ${beds.size - live} offline or stale`);
}

function flush() {
  frame = 0;
  const t0 = performance.now();
  for (const bed of pending.values()) render(bed);
  stats.renders += pending.size;
  pending.clear();
  summarise();
  const ms = performance.now() - t0;
  stats.flushes++;
  stats.lastFlushMs = ms;
  stats.totalFlushMs += ms;
  stats.maxFlushMs = Math.max(stats.maxFlushMs, ms);
  if (stats.firstRender === null && tiles.size > 0) stats.firstRender = performance.now() - stats.start;
}

function enqueue(bed) {
  stats.events++;
  stats.firstEvent ??= performance.now();
  pending.set(bed.id, bed);
  // Hidden tabs get no animation frames; a timer keeps them current (at a lower rate) instead.
  if (!frame) frame = document.hidden ? setTimeout(flush, 250) : requestAnimationFrame(flush);
}

/** Night sparkline: mean p(sleep) per 10 minutes (0–100, −1 = out of bed) drawn as a polyline, 8 h wide. */
function drawSparkline(s) {
  const tile = tiles.get(s.bed);
  if (!tile) return;
  const n = Math.max(48, s.pSleep.length);
  const pts = [];
  s.pSleep.forEach((v, i) => { pts.push(`${((i + 0.5) * 100 / n).toFixed(1)},${(v < 0 ? 20 : 19 - v * 0.18).toFixed(1)}`); });
  const svg = tile.querySelector(".spark");
  svg.querySelector("polyline").setAttribute("points", pts.join(" "));
  const last = s.pSleep.length ? s.pSleep[s.pSleep.length - 1] : null;
  svg.setAttribute("aria-label", last === null ? "p(sleep) tonight: no data yet" : `p(sleep) tonight, ${s.pSleep.length * s.bucketMinutes} min, latest ${last < 0 ? "out of bed" : last + " %"}`);
}

let sparkTimer = 0;
async function refreshSparklines() {
  clearTimeout(sparkTimer);
  try {
    const r = await fetch("/api/sparklines");
    if (r.ok) (await r.json()).forEach(drawSparkline);
  } catch { /* the connection indicator shows the outage; the next round retries */ }
  sparkTimer = setTimeout(refreshSparklines, 20000);
}

Somnis.user();
// Every bed in one compressed response for the first frame; the live feed then sends them again and every change.
const initial = fetch("/api/beds").then((r) => (r.ok ? r.json() : [])).catch(() => []);
Somnis.layout().then(async (l) => {
  layout = l;
  Somnis.live({ onBed: enqueue, onOpen: () => refreshSparklines() });
  (await initial).forEach((b) => { if (!pending.has(b.id) && !beds.has(b.id)) enqueue(b); });
});
