// Night report for one sleeper or the facility: night metrics, each bed's hypnogram with the Architect's stimulation
// shaded, the night's alarms and the operator actions on them (printable with the print stylesheet) and the same data
// as CSV from /api/reports/night. Nights are named by the facility-local date of the evening they began.
import * as Somnis from "./common.js";
import * as Charts from "./charts.js";
import { h, svg } from "./dom.js";
import * as V from "./vocabulary.js";

const q = new URLSearchParams(location.search);
const dateInput = document.getElementById("date");
const bedSelect = document.getElementById("bed");
const pct = (v) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(0)} %`);
const min = (v) => (v === null || v === undefined ? "–" : `${Number(v).toFixed(0)}`);

function query() {
  const p = new URLSearchParams();
  if (dateInput.value) p.set("date", dateInput.value);
  if (bedSelect.value) p.set("bed", bedSelect.value);
  return p.toString();
}

async function show() {
  const qs = query();
  document.getElementById("csv").href = "/api/reports/night" + (qs ? "?" + qs : "");
  history.replaceState(null, "", "/report.html" + (qs ? "?" + qs : ""));
  const r = await fetch("/api/reports/night.json" + (qs ? "?" + qs : ""));
  const body = document.querySelector("#rows tbody");
  body.replaceChildren();
  if (!r.ok) { document.getElementById("caption").textContent = `Cannot load the report (HTTP ${r.status}).`; return; }
  const report = await r.json();
  if (!dateInput.value) dateInput.value = report.night;
  document.getElementById("window").textContent =
    `Night of ${report.night} (${report.bed ?? "whole facility"}): lights-off from ${Somnis.fmt(report.from, "datetime")} to ${Somnis.fmt(report.to, "datetime")} (${report.timeZone}). TIB, TST, SOL, WASO and stimulation in minutes.`;
  document.getElementById("caption").textContent = report.rows.length ? `${report.rows.length} night(s)` : "No nights began in this window.";
  for (const row of report.rows) {
    const who = row.sleeper ? h("a", { href: Somnis.sleeperUrl(row.sleeper.id) }, row.sleeper.name) : "–";
    const cells = [row.bed, who, row.ward, Somnis.fmt(row.lightsOff, "datetime"), row.inProgress ? "in progress" : Somnis.fmt(row.end, "datetime"),
      min(row.timeInBedMin), min(row.totalSleepMin), pct(row.sleepEfficiency), min(row.sleepOnsetLatencyMin), min(row.wasoMin), String(row.awakenings),
      row.arousalIndex === null ? "–" : row.arousalIndex.toFixed(1), pct(row.hrDip), min(row.stimulatedMin),
      `${pct(row.efficiencyStimulated)} / ${pct(row.efficiencyUnstimulated)}`, `${row.debtHours.toFixed(1)} h`, row.assessments.join("; ") || "–",
      String(report.alarms.filter((a) => a.bed === row.bed && a.facility === row.facility).length)];
    body.append(h("tr", { dataset: { bedId: row.bed } }, cells.map((c) => h("td", null, c))));
  }
  renderAlarms(report);
  await renderHypnograms(report);
  document.body.dataset.loaded = "true";
}

/** One hypnogram per night of the report, drawn as each night's epochs arrive. */
async function renderHypnograms(report) {
  const figures = report.rows.map((row) => {
    const chart = svg("svg", { class: "chart", role: "img", "aria-label": `Hypnogram of ${V.bedWithSleeper(row.bed, row.sleeper)}, night of ${report.night}` });
    const caption = `${V.bedWithSleeper(row.bed, row.sleeper)}: ${Somnis.fmt(row.lightsOff, "datetime")} – ${row.inProgress ? "going on" : Somnis.fmt(row.end)}`;
    return { row, chart, figure: h("figure", { class: "night-figure", dataset: { bedId: row.bed } }, h("figcaption", null, caption), chart) };
  });
  document.getElementById("hypnograms").replaceChildren(...(figures.length ? figures.map((f) => f.figure) : [h("p", { class: "empty" }, "No nights began in this window.")]));
  await Promise.all(figures.map((f) => drawNight(f.chart, f.row)));
}

/** A night's stored hypnogram; tonight's from the bed's live night while the store does not have it yet. */
async function drawNight(chart, row) {
  const start = Date.parse(row.lightsOff);
  const stored = await Somnis.getJson(Somnis.nightApi(`${row.facility}/${row.bed}/${start}`));
  if (stored.data) {
    chart.dataset.source = "store";
    Charts.nightHypnogram(chart, stored.data.epochs);
    return;
  }
  if (row.inProgress) {
    const live = await Somnis.getJson(`/api/beds/${encodeURIComponent(row.bed)}/night?facility=${encodeURIComponent(row.facility)}`);
    if (live.data && Date.parse(live.data.nightStart) === start) {
      chart.dataset.source = "live";
      Charts.nightHypnogram(chart, live.data.epochs, live.data.provisional);
      return;
    }
  }
  chart.dataset.epochs = "0";
  Charts.message(chart, "No stored hypnogram for this night.", 4);
}

function fill(table, items, cells, caption) {
  table.querySelector("caption").textContent = caption;
  table.tHead.hidden = !items.length;
  table.tBodies[0].replaceChildren(...items.map((it) =>
    h("tr", { dataset: { priority: it.priority ?? undefined, alarmId: it.id ?? it.alarmId ?? undefined, action: it.action ?? undefined } }, cells(it).map((c) => h("td", null, c)))));
}

function renderAlarms(report) {
  const where = (x) => x.bed ?? `facility ${x.facility}`;
  fill(document.getElementById("report-alarms"), report.alarms,
    (a) => [Somnis.fmt(a.raisedEventTime, "datetime"), where(a), V.alarmWithPriority(a),
      V.words(a.state), a.ackedBy ? `${a.ackedBy} ${Somnis.fmt(a.ackedAt, "datetime")}` : "–", a.summary],
    report.alarms.length ? `${report.alarms.length} alarm(s) raised during the night` : "No alarms raised during the night.");
  fill(document.getElementById("report-actions"), report.actions,
    (x) => [Somnis.fmt(x.at, "datetime"), x.actor, V.words(x.action), where(x), x.alarmType ? V.words(x.alarmType) : "–", x.detail ?? ""],
    report.actions.length ? `${report.actions.length} operator action(s) on these alarms and the Architect` : "No operator actions on this night's alarms or Architect.");
}

document.getElementById("choose").addEventListener("submit", (e) => { e.preventDefault(); show(); });
document.getElementById("print").addEventListener("click", () => window.print());

Charts.hypnogramLegends();
Somnis.me();
Somnis.layout().then(async () => {
  const beds = await fetch("/api/beds").then((r) => (r.ok ? r.json() : [])).catch(() => []);
  for (const b of beds) bedSelect.add(new Option(b.id, b.id));
  if (q.get("bed")) bedSelect.value = q.get("bed");
  if (q.get("date")) dateInput.value = q.get("date");
  await show();
  // The report itself is a snapshot; the live connection only shows whether the hub is reachable.
  Somnis.connect();
});
