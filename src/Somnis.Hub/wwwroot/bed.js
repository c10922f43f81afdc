// Bed detail: tonight's hypnogram, alarm timeline and vitals trends on one time axis (Architect stimulation shaded),
// metrics, sleep debt and delivery health. Live values and alarm changes come from /api/events; the night and history
// are refetched at most every 10 s.
"use strict";

const bedId = new URLSearchParams(location.search).get("id") ?? "";
const el = (id) => document.getElementById(id);
const STATE_TEXT = { asleep: "☾ asleep", awake: "☀ awake", "out-of-bed": "⇱ out of bed", unknown: "? unknown" };
let bed = null;
let night = null;
let vitals = [];
let loading = null;
let lastLoad = 0;
const bedAlarms = new Map();
let axis = null;
const ICON = { high: "▲▲▲", medium: "▲▲", low: "▲" };
const RANK = { high: 3, medium: 2, low: 1 };
const SHORT = { "architect-deprivation": "deprivation", "acute-sleep-loss": "sleep loss", "sustained-arousal": "arousal", "facility-incident": "incident", "edge-offline": "offline", "sensor-fault": "sensor", "stale-data": "stale data", "data-gap": "data gap", "clock-skew": "clock skew" };

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
  if (!b) { el("bed").innerHTML = `<p class="panel" role="alert">No bed '${bedId.replace(/[<&"]/g, "")}'. <a href="/">Back to the console</a></p>`; return; }
  bed = b;
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

function periods(points, on, tsOf) {
  const out = [];
  let open = null;
  for (const p of points) {
    const t = tsOf(p);
    if (on(p) && open === null) open = t;
    if (!on(p) && open !== null) { out.push([open, t]); open = null; }
  }
  if (open !== null && points.length) out.push([open, tsOf(points[points.length - 1])]);
  return out;
}

function renderNow() {
  if (!bed) return;
  const avail = !bed.online ? "⛔ Offline" : bed.stale ? "⚠ No data (stale)" : "● Live";
  const state = bed.online && !bed.stale ? bed.state : "unknown";
  el("now-state").dataset.state = state;
  el("now-state").textContent = STATE_TEXT[state] ?? state;
  el("now-hr").textContent = bed.online && !bed.stale ? Somnis.num(bed.heartRate) : "–";
  el("now-rr").textContent = bed.online && !bed.stale ? Somnis.num(bed.respirationRate) : "–";
  el("now-architect").textContent = "Architect " + (bed.interlockEngaged ? "⏸ paused" : bed.architectStimulating ? "✦ stimulating" : "idle");
  el("now-availability").textContent = avail;
  document.body.dataset.availability = !bed.online ? "offline" : bed.stale ? "stale" : "online";
  const faulty = (bed.sensors || []).filter((s) => !s.healthy);
  el("now-sensors").textContent = faulty.length ? "⚠ sensor fault: " + faulty.map((s) => `${s.name} (${s.reason})`).join(", ") : "sensors ok";
  renderDelivery();
}

function kv(target, rows) {
  target.innerHTML = "";
  for (const [k, v] of rows) {
    const dt = document.createElement("dt"); dt.textContent = k;
    const dd = document.createElement("dd"); dd.textContent = v;
    target.append(dt, dd);
  }
}

// Delivery health: is everything the bed measured here (docs/operations.md, "Delivery")? Icon + words, never colour alone.
function renderDelivery() {
  const d = bed.delivery;
  const c = bed.clock;
  const state = !d ? "–" : d.lost > 0 ? `⚠ Incomplete: ${d.lost} message(s) lost` : d.missing > 0 || d.backlog > 0 ? "⏳ Delayed: data still on its way" : "✓ Data complete";
  const rows = [["Delivery", state]];
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
  el("delivery").dataset.state = !d ? "unknown" : d.lost > 0 ? "incomplete" : d.missing > 0 || d.backlog > 0 ? "delayed" : "complete";
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
  const list = el("assessments");
  list.innerHTML = "";
  const active = (night?.assessments ?? []).filter((a) => a.active !== false);
  if (!active.length) { list.innerHTML = '<li class="empty">none</li>'; return; }
  for (const a of active) {
    const li = document.createElement("li");
    li.textContent = `⚠ ${a.type}: ${a.summary} (${Somnis.fmt(a.eventTime)})`;
    list.append(li);
  }
}

function renderDebt() {
  const past = night?.pastNights ?? [];
  el("debt").textContent = `Sleep debt: ${Somnis.num(night?.debtHours ?? 0, 1)} h over ${past.length} finished night(s)`;
  const need = past.length ? past[past.length - 1].metrics.needHours : 7;
  Charts.bars(el("chart-debt"), {
    items: past.slice(-14).map((p) => ({
      label: Somnis.nightOf(p.start).slice(5),
      value: p.metrics.totalSleepMin / 60,
      color: p.metrics.isShort ? "var(--medium)" : "var(--sleep)",
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
  const shading = vitals.length ? periods(vitals, (p) => p.architectStimulating, vts) : periods(epochs, (e) => e.stimulating, (e) => Date.parse(e.start));
  Charts.hypnogram(el("hypnogram"), { from, to, epochs, provisional: night?.provisional, shading });
  const series = (key) => vitals.map((p) => [vts(p), p[key] ?? null]);
  Charts.lines(el("chart-hr"), { from, to, shading, series: [{ points: series("heartRate"), color: "#ff7b72", label: "heart rate" }] });
  Charts.lines(el("chart-rr"), { from, to, shading, series: [{ points: series("respirationRate"), color: "#79c0ff", label: "respiration" }] });
  Charts.lines(el("chart-act"), { from, to, shading, yMin: 0, series: [{ points: series("activityCount"), color: "#d2a8ff", label: "activity" }] });
  Charts.lines(el("chart-temp"), { from, to, shading, series: [
    { points: series("skinTemperature"), color: "#ff7b72", label: "skin temperature" },
    { points: series("roomTemperature"), color: "#7ee787", label: "room temperature" },
  ] });
}

/** The night's alarms (raised before the chart's end, not cleared before its start), in device time like the hypnogram. */
function renderAlarms() {
  const list = el("alarm-events");
  const end = (a) => (a.closed || !a.active ? Date.parse(a.lastEventTime) : Infinity);
  const night = axis ? [...bedAlarms.values()].filter((a) => Date.parse(a.raisedEventTime) < axis.to && end(a) >= axis.from)
    .sort((x, y) => (x.raisedEventTime < y.raisedEventTime ? -1 : 1)) : [];
  const lanes = [...new Set(night.slice().sort((x, y) => RANK[y.priority] - RANK[x.priority]).map((a) => a.type))];
  Charts.alarms(el("chart-alarms"), {
    from: axis?.from ?? 0, to: axis?.to ?? 0, lanes: lanes.map((t) => SHORT[t] ?? t),
    items: night.map((a) => ({
      id: a.id, lane: lanes.indexOf(a.type), start: Date.parse(a.raisedEventTime), end: Math.min(end(a), axis.to), priority: a.priority, cls: a.class,
      title: `${a.priority} ${a.type} ${Somnis.fmt(a.raisedEventTime)}–${end(a) === Infinity ? "now" : Somnis.fmt(end(a))}: ${a.summary}`,
    })),
  });
  list.replaceChildren();
  if (!night.length) { list.innerHTML = '<li class="empty">No alarms tonight.</li>'; return; }
  for (const a of night) {
    const li = document.createElement("li");
    Object.assign(li.dataset, { alarmId: a.id, priority: a.priority, state: a.state });
    const until = end(a) === Infinity ? "now" : Somnis.fmt(end(a));
    li.textContent = `${ICON[a.priority] ?? ""} ${a.type.replaceAll("-", " ")} (${a.priority}) ${Somnis.fmt(a.raisedEventTime)}–${until} · ${a.state.replaceAll("-", " ")}${a.ackedBy ? ` · ✓ ack ${a.ackedBy}` : ""}${a.shelvedBy ? ` · shelved by ${a.shelvedBy}` : ""}${a.assignedTo ? ` · assigned ${a.assignedTo}` : ""} — ${a.summary}`;
    list.append(li);
  }
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
document.addEventListener("somnis:source", (e) => {
  e.detail.addEventListener("alarm", (m) => {
    const a = JSON.parse(m.data);
    if (a.bed !== bedId) return;
    bedAlarms.set(a.id, a);
    if (!alarmFrame) alarmFrame = requestAnimationFrame(() => { alarmFrame = 0; renderAlarms(); });
  });
});

Somnis.user();
Somnis.layout().then(() => {
  Somnis.live({
    onOpen: () => refresh(),
    onBed: (b) => {
      if (b.id !== bedId) return;
      bed = b;
      renderNow();
      if (performance.now() - lastLoad > 10000) refresh();
    },
  });
});
