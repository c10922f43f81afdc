// A bed's tile on the console: the one place that knows what a tile shows and how (docs/dashboard.md, "Console").
// Compact, so a facility's every bed fits on one screen: name, sleeper state (or availability), heart and respiration
// rate, and the bed's highest open alarm (priority icon and word, acknowledged or not; the tile's colour says the same
// again). The rest (Architect, sensors, delivery, night sparkline, interlock controls) is the tile's detail, shown
// while the pointer is on the tile or it has the keyboard focus; a click or Enter opens the bed's page.
// The sleeper admitted to the bed is named under the bed's name (renderSleeper). To show more on a tile, add it to
// build() and PARTS, and fill it in renderBed.
import { bedUrl, num } from "./common.js";
import { button, h, svg, setText } from "./dom.js";
import * as V from "./vocabulary.js";

// Per tile, its elements by class (found once: a render touches many) and the two halves of its accessible name, the
// bed's values and its alarm, which change independently.
const PARTS = ["sleeper", "state", "hr", "rr", "tile-alarm", "alarm-priority", "alarm-ack", "alarm-type", "availability", "delivery-mark",
  "tile-detail", "architect", "sensors", "delivery", "spark", "interlock", "scenario"];
const tiles = new WeakMap();
const part = (tile, cls) => tiles.get(tile).parts[cls];

function label(tile, half, text) {
  const l = tiles.get(tile).label;
  l[half] = text;
  const bed = l.sleeper ? `${l.sleeper} in ${l.bed}` : l.bed;
  tile.setAttribute("aria-label", l.alarm ? `${bed}; alarm: ${l.alarm}` : bed);
}

// One tile built once and cloned for every bed (a console of 500 beds creates them in one frame).
let prototype = null;

function build() {
  return h("article", { class: "bed", tabindex: 0, dataset: { alarmPriority: "none", alarmAck: "" } },
    h("h3", { class: "bed-name" }, h("a", { tabindex: -1 })),
    h("p", { class: "sleeper" }),
    // The sleeper's state while the bed is live, else its availability (⚠ No data, ⛔ Offline) in the same place.
    h("p", { class: "tile-state" }, h("span", { class: "badge state" }), h("span", { class: "availability" }), " ", h("span", { class: "delivery-mark" })),
    h("dl", { class: "vitals" },
      h("div", null, h("dt", null, "Heart"), h("dd", null, h("span", { class: "hr" }, "–"), " ", h("small", null, "bpm"))),
      h("div", null, h("dt", null, "Resp."), h("dd", null, h("span", { class: "rr" }, "–"), " ", h("small", null, "/min")))),
    h("p", { class: "tile-alarm", hidden: true },
      h("span", { class: "alarm-priority" }), " ", h("span", { class: "alarm-ack" }), " ", h("span", { class: "alarm-type" })),
    h("div", { class: "tile-detail" },
      h("p", null, "Architect ", h("span", { class: "architect" }, "–")),
      h("p", null, "Sensors ", h("span", { class: "sensors" }, "–")),
      h("p", { class: "delivery" }),
      svg("svg", { class: "spark", viewBox: "0 0 100 20", preserveAspectRatio: "none", role: "img", "aria-label": "p(sleep) tonight: no data yet" }, svg("polyline", { points: "" })),
      h("p", { class: "interlock", hidden: true }),
      h("p", { class: "scenario" })));
}

/** A new, empty tile for a bed; the caller inserts it (into a root given to attach) and fills it with renderBed. */
export function createTile(id) {
  prototype ??= build();
  const tile = prototype.cloneNode(true);
  tile.dataset.bedId = id;
  const link = tile.querySelector(".bed-name a");
  link.href = bedUrl(id);
  link.textContent = id;
  tiles.set(tile, { parts: Object.fromEntries(PARTS.map((cls) => [cls, tile.querySelector("." + cls)])), label: { bed: id, alarm: "", sleeper: "" } });
  return tile;
}

/**
 * What a tile does, for every tile under root (one set of listeners, however many beds): a click or Enter opens the
 * bed's page; the pointer on a tile or the keyboard focus in it shows its detail.
 */
export function attach(root) {
  const tileOf = (e) => e.target.closest?.("article.bed[data-bed-id]");
  root.addEventListener("click", (e) => { if (!e.target.closest("a, button")) { const t = tileOf(e); if (t) location.href = bedUrl(t.dataset.bedId); } });
  root.addEventListener("keydown", (e) => { if (e.key === "Enter" && e.target.matches("article.bed[data-bed-id]")) location.href = bedUrl(e.target.dataset.bedId); });
  // Entering or leaving a tile: the event's other side (relatedTarget) is outside it.
  for (const [type, flag, on] of [["pointerover", "hover", true], ["pointerout", "hover", false], ["focusin", "focus", true], ["focusout", "focus", false]]) {
    root.addEventListener(type, (e) => {
      const t = tileOf(e);
      if (t && !t.contains(e.relatedTarget)) showDetail(t, flag, on);
    });
  }
}

/** Shows or hides the detail next to the tile, inside the window (fixed position: it never makes the page scroll). */
function showDetail(tile, flag, on) {
  tile.dataset[flag] = String(on);
  const open = tile.dataset.hover === "true" || tile.dataset.focus === "true";
  if (open === (tile.dataset.open === "true")) return;
  tile.dataset.open = String(open);
  if (!open) return;
  const detail = part(tile, "tile-detail");
  const r = tile.getBoundingClientRect();
  const w = detail.offsetWidth, dh = detail.offsetHeight;
  detail.style.left = `${Math.max(4, Math.min(r.left, innerWidth - w - 4))}px`;
  // Overlapping the tile by a pixel, so the pointer can move onto the detail (its buttons) without closing it.
  detail.style.top = `${r.bottom - 1 + dh <= innerHeight ? r.bottom - 1 : Math.max(4, r.top - dh + 1)}px`;
}

/** A scrolled page moves the tiles under a fixed detail: close it. */
addEventListener("scroll", () => document.querySelectorAll(".bed[data-open='true']").forEach((t) => {
  t.dataset.hover = t.dataset.focus = t.dataset.open = "false";
}), { passive: true, capture: true });

/** The sleeper admitted to the bed ({ id, name }) next to its name, or nobody (null). */
function renderSleeper(tile, sleeper) {
  const el = part(tile, "sleeper");
  const name = sleeper?.name ?? "";
  setText(el, name);
  el.title = name;
  if (sleeper) tile.dataset.sleeperId = sleeper.id; else delete tile.dataset.sleeperId;
  tiles.get(tile).label.sleeper = name;
}

/**
 * Fills a tile with a bed's state (GET /api/beds, live "bed" events); writes only text that changed. A bed state
 * that does not say who is admitted (no `sleeper` field) leaves the name as it was.
 */
export function renderBed(tile, bed) {
  if (bed.sleeper !== undefined) renderSleeper(tile, bed.sleeper);
  const avail = V.availabilityOf(bed);
  const live = avail === "online";
  tile.dataset.availability = avail;
  setText(part(tile, "availability"), V.AVAILABILITY[avail]);
  const state = live ? bed.state : "unknown";
  const badge = part(tile, "state");
  badge.dataset.state = state;
  setText(badge, V.sleepText(state));
  setText(part(tile, "hr"), live ? num(bed.heartRate) : "–");
  setText(part(tile, "rr"), live ? num(bed.respirationRate) : "–");
  const architect = V.architectOf(bed);
  tile.dataset.architect = architect;
  setText(part(tile, "architect"), V.ARCHITECT[architect]);
  const faults = V.faultySensors(bed);
  const sensors = part(tile, "sensors");
  setText(sensors, faults.length ? "⚠ " + faults.join(", ") : "ok");
  sensors.classList.toggle("fault", faults.length > 0);
  tile.dataset.sensorFault = String(faults.length > 0);
  setText(part(tile, "scenario"), bed.simulation ? `sim: ${bed.simulation.scenario}` : "");
  const [delivery, deliveryText] = deliveryLine(bed);
  tile.dataset.delivery = delivery;
  const line = part(tile, "delivery");
  line.dataset.state = delivery;
  setText(line, deliveryText);
  // On the compact tile only a mark when something is wrong; the words are in the detail.
  setText(part(tile, "delivery-mark"), delivery === "complete" ? "" : { delayed: "⏳", incomplete: "⚠ lost", clock: "🕒" }[delivery]);
  label(tile, "bed", `${bed.id}: ${V.AVAILABILITY[avail]}, ${state}, heart rate ${num(bed.heartRate)}, Architect ${architect}${faults.length ? ", sensor fault" : ""}, ${deliveryText}`);
}

// Delivery on a tile: complete, delayed (data on its way), incomplete (lost), or the bed's clock is wrong.
function deliveryLine(bed) {
  const d = bed.delivery;
  const parts = [];
  let state = "complete";
  if (d && (d.missing > 0 || d.backlog > 0)) {
    state = "delayed";
    parts.push(`${V.DELIVERY.delayed}: ${d.backlog} queued at bedside, ${d.missing} missing`);
  }
  if (d && d.lost > 0) {
    if (state === "complete") state = "incomplete";
    parts.push(`${V.DELIVERY.incomplete}: ${d.lost} lost`);
  }
  const clock = V.clockProblem(bed.clock, num);
  if (clock) {
    if (state === "complete") state = "clock";
    parts.push(`🕒 ${clock}`);
  }
  return [state, parts.length ? parts.join(" · ") : V.DELIVERY.complete];
}

/** The bed's highest alarm on its tile (or none): priority icon and word, acknowledged or not, the alarm's type. */
export function renderAlarm(tile, top) {
  const el = part(tile, "tile-alarm");
  tile.dataset.alarmPriority = top ? top.priority : "none";
  tile.dataset.alarmAck = top ? String(top.acknowledged) : "";
  if (!top) {
    el.hidden = true;
    delete el.dataset.alarmId;
    delete tile.dataset.alarm;
    label(tile, "alarm", "");
    return;
  }
  el.hidden = false;
  el.dataset.priority = top.priority;
  el.dataset.alarmId = top.id;
  el.dataset.acknowledged = String(top.acknowledged);
  el.title = top.summary;
  tile.dataset.alarm = top.type;
  const priority = `${V.priorityIcon(top.priority)} ${V.PRIORITIES[top.priority]?.label ?? top.priority}`;
  const incident = top.parentId ? " (incident)" : "";
  setText(part(tile, "alarm-priority"), priority);
  setText(part(tile, "alarm-ack"), V.ackText(top));
  setText(part(tile, "alarm-type"), V.shortType(top.type) + incident);
  label(tile, "alarm", `${priority}, ${V.ackText(top)}, ${V.words(top.type)}${incident}`);
}

/**
 * The Architect's interlock (requested vs confirmed) and, for supervisors, the control to pause or resume it.
 * view: the bed's "interlock" event or undefined; onCommand(pause) opens the confirmation dialog.
 */
export function renderInterlock(tile, view, supervisor, onCommand) {
  const el = part(tile, "interlock");
  el.replaceChildren();
  if (view && view.requested !== null) {
    el.hidden = false;
    el.dataset.pending = String(view.pending);
    el.append(`Architect: ${view.requested ? "pause" : "resume"} requested by ${view.requestedBy} · ${view.pending ? "awaiting edge…" : "confirmed"} (edge: ${view.confirmed ? "paused" : "running"})`);
  } else {
    el.hidden = !supervisor;
  }
  // Commanding the Architect is for supervisors only: technicians get no control at all.
  if (supervisor) {
    const paused = view ? (view.requested ?? view.confirmed) : false;
    el.append(" ", button(paused ? "▶ Resume Architect" : "⏸ Pause Architect", paused ? "architect-resume" : "architect-pause", () => onCommand(!paused)));
  }
}

/** Night sparkline: mean p(sleep) per 10 minutes (0–100, −1 = out of bed) drawn as a polyline, 8 h wide. */
export function drawSparkline(tile, s) {
  const n = Math.max(48, s.pSleep.length);
  const points = s.pSleep.map((v, i) => `${((i + 0.5) * 100 / n).toFixed(1)},${(v < 0 ? 20 : 19 - v * 0.18).toFixed(1)}`);
  const spark = part(tile, "spark");
  spark.querySelector("polyline").setAttribute("points", points.join(" "));
  const last = s.pSleep.length ? s.pSleep[s.pSleep.length - 1] : null;
  spark.setAttribute("aria-label", last === null ? "p(sleep) tonight: no data yet" : `p(sleep) tonight, ${s.pSleep.length * s.bucketMinutes} min, latest ${last < 0 ? "out of bed" : last + " %"}`);
}
