// Bed detail: tonight's hypnogram, alarm timeline and vitals trends on one time axis (Architect stimulation shaded),
// metrics, sleep debt and delivery health. Live values and alarm changes come from /api/events; the night and history
// are refetched at most every 10 s.
import * as Somnis from "./common.js";
import * as Charts from "./charts.js";
import { emptyItem, h } from "./dom.js";
import * as V from "./vocabulary.js";

const bedId = new URLSearchParams(location.search).get("id") ?? "";
const el = (id) => document.getElementById(id);
let bed = null;
// The sleeper admitted to the bed ({ id, name } or null), kept while the hub sends bed states that do not say.
let sleeper = null;
let night = null;
let vitals = [];
let loading = null;
let lastLoad = 0;
const bedAlarms = new Map();
let axis = null;

document.title = `${bedId} — Somnis Facility`;
el("title").textContent = bedId;
document.body.dataset.bedId = bedId;

async function json(url) {
  const r = await fetch(url);
  if (r.status === 404) return null;
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

async function loadHistory(from) {
  // Incremental: only what is newer than what we hold; the API pages with truncated.
  for (let page = 0; page < 10; page++) {
    const h = await json(`/api/beds/${encodeURIComponent(bedId)}/vitals?limit=50000&from=${encodeURIComponent(from)}`);
    if (!h) return;
    const last = vitals.length ? vitals[vitals.length - 1] : null;
    for (const p of h.points) if (!last || p.ts > last.ts || (p.ts === last.ts && p.seq > last.seq)) vitals.push(p);
    if (!h.truncated || !h.points.length) return;
    from = h.points[h.points.length - 1].ts;
  }
}

async function load() {
  lastLoad = performance.now();
  const [b, n, al] = await Promise.all([json(`/api/beds/${encodeURIComponent(bedId)}`), json(`/api/beds/${encodeURIComponent(bedId)}/night`),
    json(`/api/alarms?bed=${encodeURIComponent(bedId)}&limit=300`).catch(() => null)]);
  if (al) { bedAlarms.clear(); for (const a of al) bedAlarms.set(a.id, a); }
  if (!b) { el("bed").replaceChildren(h("p", { class: "panel", role: "alert" }, `No bed '${bedId}'. `, h("a", { href: "/" }, "Back to the console"))); return; }
  setBed(b);
  night = n;
  const start = night?.nightStart ?? (bed.lastEventTime ? new Date(Date.parse(bed.lastEventTime) - 8 * 3600e3).toISOString() : null);
  if (start) {
    if (vitals.length && Date.parse(vitals[0].ts) < Date.parse(start) - 60e3) vitals = []; // a new night began
    await loadHistory(vitals.length ? vitals[vitals.length - 1].ts : start);
  }
  renderAll();
}

function refresh() {
  if (loading) return loading;
  loading = load().catch(() => {}).finally(() => { loading = null; });
  return loading;
}

function setBed(b) {
  bed = b;
  if (b.sleeper !== undefined) sleeper = b.sleeper;
}

function renderSleeper() {
  const s = el("sleeper");
  s.replaceChildren(...(sleeper ? ["Sleeper: ", h("a", { href: Somnis.sleeperUrl(sleeper.id) }, sleeper.name)] : []));
  s.hidden = !sleeper;
  s.dataset.sleeperId = sleeper?.id ?? "";
  document.title = `${V.bedWithSleeper(bedId, sleeper)} — Somnis Facility`;
}

function renderNow() {
  if (!bed) return;
  renderSleeper();
  const avail = V.availabilityOf(bed);
  const live = avail === "online";
  const state = live ? bed.state : "unknown";
  el("now-state").dataset.state = state;
  el("now-state").textContent = V.sleepText(state);
  el("now-hr").textContent = live ? Somnis.num(bed.heartRate) : "–";
  el("now-rr").textContent = live ? Somnis.num(bed.respirationRate) : "–";
  el("now-architect").textContent = "Architect " + V.ARCHITECT[V.architectOf(bed)];
  el("now-availability").textContent = V.AVAILABILITY[avail];
  document.body.dataset.availability = avail;
  const faults = V.faultySensors(bed);
  el("now-sensors").textContent = faults.length ? "⚠ sensor fault: " + faults.join(", ") : "sensors ok";
  renderDelivery();
}

function kv(target, rows) {
  target.replaceChildren(...rows.flatMap(([k, v]) => [h("dt", null, k), h("dd", null, v)]));
}

// Delivery health: is everything the bed measured here (docs/operations.md, "Delivery")? Icon + words, never colour alone.
function renderDelivery() {
  const d = bed.delivery;
  const c = bed.clock;
  const delivery = V.deliveryOf(bed);
  const detail = { incomplete: `: ${d?.lost} message(s) lost`, delayed: ": data still on its way" }[delivery] ?? "";
  const rows = [["Delivery", V.DELIVERY[delivery] + detail]];
  if (d) {
    rows.push(
      ["Received / duplicates / late", `${d.received} / ${d.duplicates} / ${d.late}`],
      ["Missing (awaiting replay)", String(d.missing)],
      ["Queued at the bedside", d.backlog > 0 ? `${d.backlog} (oldest ${Somnis.fmt(d.oldestBacklogTs, "datetime")})` : "0"],
      ["Lost", d.lost > 0 ? `${d.lost}: seq ${d.lostRanges.map((r) => (r.from === r.to ? r.from : `${r.from}–${r.to}`)).join(", ")}` : "0"],
      ["Journal", d.journal ?? "–"],
      ["Edge sequence / last received", `${d.edgeSequence} / ${d.lastSequence}`],
    );
  } else {
    rows.push(["Last sequence", String(bed.lastSequence)], ["Messages received", String(bed.received)]);
  }
  rows.push(
    ["Last message (hub)", Somnis.fmt(bed.lastSeen, "datetime")],
    ["Newest data (device)", Somnis.fmt(bed.lastEventTime, "datetime")],
    ["Clock", !c ? "–" : c.problem ? `🕒 ${c.problem}${c.skewSeconds != null ? ` (${Somnis.num(c.skewSeconds, 1)} s)` : ""}` : c.synchronised === false ? "🕒 not synchronised" : `✓ ${c.skewSeconds != null ? `skew ${Somnis.num(c.skewSeconds, 1)} s` : "ok"}`],
    ["Mode", bed.mode ?? "–"],
  );
  el("delivery").dataset.state = delivery;
  kv(el("delivery"), rows);
}

const pct = (v) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(0)} %`);
const min = (v) => (v === null || v === undefined ? "–" : `${Number(v).toFixed(0)} min`);

function renderMetrics() {
  const m = night?.metrics;
  el("metrics-note").textContent = m ? "(so far tonight)" : "";
  if (!m) { kv(el("metrics"), [["", "no scored epochs yet"]]); return; }
  kv(el("metrics"), [
    ["Time in bed", min(m.timeInBedMin)],
    ["Total sleep (TST)", min(m.totalSleepMin)],
    ["Sleep efficiency", pct(m.sleepEfficiency)],
    ["Sleep onset latency", min(m.sleepOnsetLatencyMin)],
    ["WASO", min(m.wasoMin)],
    ["Awakenings", String(m.awakenings)],
    ["Arousal index", m.arousalIndex === null ? "–" : `${m.arousalIndex.toFixed(1)} /h`],
    ["HR asleep / awake", `${Somnis.num(m.meanSleepingHr)} / ${Somnis.num(m.meanWakingHr)} bpm`],
    ["HR dip", pct(m.hrDip)],
    ["Stimulated", min(m.stimulatedMin)],
    ["Efficiency stimulated", pct(m.efficiencyStimulated)],
    ["Efficiency unstimulated", pct(m.efficiencyUnstimulated)],
  ]);
}

function renderAssessments() {
  const active = (night?.assessments ?? []).filter((a) => a.active !== false);
  el("assessments").replaceChildren(...(active.length ? active.map((a) => h("li", null, `⚠ ${a.type}: ${a.summary} (${Somnis.fmt(a.eventTime)})`)) : [emptyItem("none")]));
}

function renderDebt() {
  const past = night?.pastNights ?? [];
  el("debt").textContent = `Sleep debt: ${Somnis.num(night?.debtHours ?? 0, 1)} h over ${past.length} finished night(s)`;
  const need = past.length ? past[past.length - 1].metrics.needHours : 7;
  Charts.bars(el("chart-debt"), {
    items: past.slice(-14).map((p) => ({
      label: Somnis.nightOf(p.start).slice(5),
      value: p.metrics.totalSleepMin / 60,
      warn: p.metrics.isShort,
      title: `night of ${Somnis.nightOf(p.start)}: ${(p.metrics.totalSleepMin / 60).toFixed(1)} h sleep${p.metrics.isShort ? " (short)" : ""}, debt ${p.debtHours.toFixed(1)} h`,
    })),
    ref: need,
    unit: "h",
  });
}

function renderCharts() {
  const epochs = night?.epochs ?? [];
  const from = night?.nightStart ? Date.parse(night.nightStart) : vitals.length ? Date.parse(vitals[0].ts) : null;
  const lastVital = vitals.length ? Date.parse(vitals[vitals.length - 1].ts) : null;
  const lastEpoch = epochs.length ? Date.parse(epochs[epochs.length - 1].start) + 30000 : null;
  const to = Math.max(lastVital ?? 0, lastEpoch ?? 0, night?.provisional ? Date.parse(night.provisional.start) + 30000 : 0);
  if (from === null || !to) {
    Charts.hypnogram(el("hypnogram"), { from: 0, to: 0, epochs: [] });
    axis = null;
    renderAlarms();
    return;
  }
  axis = { from, to };
  renderAlarms();
  el("night-range").textContent = `${Somnis.fmt(from, "datetime")} – ${Somnis.fmt(to)}`;
  const vts = (p) => Date.parse(p.ts);
  const shading = vitals.length ? Charts.periods(vitals, (p) => p.architectStimulating, vts) : Charts.periods(epochs, (e) => e.stimulating, (e) => Date.parse(e.start));
  Charts.hypnogram(el("hypnogram"), { from, to, epochs, provisional: night?.provisional, shading });
  const series = (key) => vitals.map((p) => [vts(p), p[key] ?? null]);
  Charts.lines(el("chart-hr"), { from, to, shading, series: [{ points: series("heartRate"), cls: "hr", label: "heart rate" }] });
  Charts.lines(el("chart-rr"), { from, to, shading, series: [{ points: series("respirationRate"), cls: "rr", label: "respiration" }] });
  Charts.lines(el("chart-act"), { from, to, shading, yMin: 0, series: [{ points: series("activityCount"), cls: "act", label: "activity" }] });
  Charts.lines(el("chart-temp"), { from, to, shading, series: [
    { points: series("skinTemperature"), cls: "skin", label: "skin temperature" },
    { points: series("roomTemperature"), cls: "room", label: "room temperature" },
  ] });
}

/** The night's alarms (raised before the chart's end, not cleared before its start), in device time like the hypnogram. */
function renderAlarms() {
  const list = el("alarm-events");
  const end = (a) => (a.closed || !a.active ? Date.parse(a.lastEventTime) : Infinity);
  const night = axis ? [...bedAlarms.values()].filter((a) => Date.parse(a.raisedEventTime) < axis.to && end(a) >= axis.from)
    .sort((x, y) => (x.raisedEventTime < y.raisedEventTime ? -1 : 1)) : [];
  const lanes = [...new Set(night.slice().sort((x, y) => y.rank - x.rank).map((a) => a.type))];
  Charts.alarms(el("chart-alarms"), {
    from: axis?.from ?? 0, to: axis?.to ?? 0, lanes: lanes.map(V.shortType),
    items: night.map((a) => ({
      id: a.id, lane: lanes.indexOf(a.type), start: Date.parse(a.raisedEventTime), end: Math.min(end(a), axis.to), priority: a.priority, cls: a.class,
      title: `${a.priority} ${a.type} ${Somnis.fmt(a.raisedEventTime)}–${end(a) === Infinity ? "now" : Somnis.fmt(end(a))}: ${a.summary}`,
    })),
  });
  list.replaceChildren(...(night.length ? night.map(alarmItem) : [emptyItem("No alarms tonight.")]));
}

function alarmItem(a) {
  const until = a.closed || !a.active ? Somnis.fmt(a.lastEventTime) : "now";
  const who = `${a.ackedBy ? ` · ✓ ack ${a.ackedBy}` : ""}${a.shelvedBy ? ` · shelved by ${a.shelvedBy}` : ""}${a.assignedTo ? ` · assigned ${a.assignedTo}` : ""}`;
  return h("li", { dataset: { alarmId: a.id, priority: a.priority, state: a.state } },
    `${V.priorityIcon(a.priority)} ${V.words(a.type)} (${a.priority}) ${Somnis.fmt(a.raisedEventTime)}–${until} · ${V.words(a.state)}${who} — ${a.summary}`);
}

function renderAll() {
  renderNow();
  renderCharts();
  renderMetrics();
  renderAssessments();
  renderDebt();
  el("report-link").href = `/report.html?bed=${encodeURIComponent(bedId)}`;
  document.body.dataset.loaded = "true";
}

let resizeTimer = 0;
window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(renderCharts, 150); });

// Alarm changes for this bed arrive on the live feed: update the timeline at once.
let alarmFrame = 0;
Somnis.on("alarm", (a) => {
  if (a.bed !== bedId) return;
  bedAlarms.set(a.id, a);
  if (!alarmFrame) alarmFrame = requestAnimationFrame(() => { alarmFrame = 0; renderAlarms(); });
});
Somnis.on("bed", (b) => {
  if (b.id !== bedId) return;
  setBed(b);
  renderNow();
  if (performance.now() - lastLoad > 10000) refresh();
});
Somnis.onOpen(() => refresh());

Somnis.me();
Somnis.layout().then(() => Somnis.connect());
