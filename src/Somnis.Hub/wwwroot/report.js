// Night report for one sleeper or the facility: a table (printable with the print stylesheet) and the same data as
// CSV from /api/reports/night. Nights are named by the facility-local date of the evening they began.
"use strict";

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
  body.innerHTML = "";
  if (!r.ok) { document.getElementById("caption").textContent = `Cannot load the report (HTTP ${r.status}).`; return; }
  const report = await r.json();
  if (!dateInput.value) dateInput.value = report.night;
  document.getElementById("window").textContent =
    `Night of ${report.night} (${report.bed ?? "whole facility"}): lights-off from ${Somnis.fmt(report.from, "datetime")} to ${Somnis.fmt(report.to, "datetime")} (${report.timeZone}). TIB, TST, SOL, WASO and stimulation in minutes.`;
  document.getElementById("caption").textContent = report.rows.length ? `${report.rows.length} night(s)` : "No nights began in this window.";
  for (const row of report.rows) {
    const tr = document.createElement("tr");
    tr.dataset.bedId = row.bed;
    const cells = [row.bed, row.ward, Somnis.fmt(row.lightsOff, "datetime"), row.inProgress ? "in progress" : Somnis.fmt(row.end, "datetime"),
      min(row.timeInBedMin), min(row.totalSleepMin), pct(row.sleepEfficiency), min(row.sleepOnsetLatencyMin), min(row.wasoMin), String(row.awakenings),
      row.arousalIndex === null ? "–" : row.arousalIndex.toFixed(1), pct(row.hrDip), min(row.stimulatedMin),
      `${pct(row.efficiencyStimulated)} / ${pct(row.efficiencyUnstimulated)}`, `${row.debtHours.toFixed(1)} h`, row.assessments.join("; ") || "–"];
    for (const c of cells) { const td = document.createElement("td"); td.textContent = c; tr.append(td); }
    body.append(tr);
  }
  document.body.dataset.loaded = "true";
}

document.getElementById("choose").addEventListener("submit", (e) => { e.preventDefault(); show(); });
document.getElementById("print").addEventListener("click", () => window.print());

Somnis.user();
Somnis.layout().then(async () => {
  const beds = await fetch("/api/beds").then((r) => (r.ok ? r.json() : [])).catch(() => []);
  for (const b of beds) bedSelect.add(new Option(b.id, b.id));
  if (q.get("bed")) bedSelect.value = q.get("bed");
  if (q.get("date")) dateInput.value = q.get("date");
  await show();
  // The report itself is a snapshot; the live connection only shows whether the hub is reachable.
  Somnis.live({});
});
