// A sleeper's page (sleeper.html?id=…): who they are, their program history, where they sleep now and their sleep
// debt; their nights as a trend (total sleep against the need, efficiency, debt after each night: GET
// /api/sleepers/{id}/trend) and as a table (GET /api/sleepers/{id}/nights), and each night's hypnogram one click away
// (GET /api/nights/{facility}/{bed}/{start}, drawn by charts.js with the Architect's stimulation shaded).
import * as Somnis from "./common.js";
import * as Charts from "./charts.js";
import { button, emptyItem, h } from "./dom.js";
import * as Plots from "./plots.js";
import * as V from "./vocabulary.js";

const q = new URLSearchParams(location.search);
const sleeperId = q.get("id") ?? "";
const el = (id) => document.getElementById(id);
const enc = encodeURIComponent(sleeperId);
let trend = null;
let shown = null;
let loaded = 0;

document.body.dataset.sleeperId = sleeperId;

function kv(target, rows) {
  target.replaceChildren(...rows.flatMap(([k, v]) => [h("dt", null, k), h("dd", null, v)]));
}

const hours = (v) => (v === null || v === undefined ? "–" : `${v.toFixed(1)} h`);
const where = (a) => h("a", { href: Somnis.bedUrl(a.bed) }, a.bed);

function renderAbout(s) {
  el("title").textContent = s.name;
  document.title = `${s.name} — Somnis Facility`;
  const a = s.admission;
  kv(el("about"), [
    ["Name", s.name],
    ["Id", s.id],
    ["Program tonight", V.programText(s.program)],
    ["Bed now", a ? h("span", null, where(a), ` (${a.facility}) since ${Somnis.fmt(a.from, "datetime")}`) : "not admitted"],
    ["Sleep debt", s.debt ? `${hours(s.debt.hours)} over ${s.debt.nights} night(s)${s.debt.through ? `, to ${s.debt.through}` : ""}` : "–"],
    ["Notes", s.notes || "–"],
  ]);
  el("about").dataset.bed = a ? a.bed : "";
  el("programs").replaceChildren(...s.programs.map((p) => h("li", { dataset: { program: p.program } }, `${V.programText(p.program)} ${p.from ? "from the night of " + p.from : "from the start"}`)));
  el("admissions").replaceChildren(...(s.admissions?.length
    ? s.admissions.slice().reverse().map((x) => h("li", null, where(x), ` (${x.facility}) ${Somnis.fmt(x.from, "datetime")} – ${x.to ? Somnis.fmt(x.to, "datetime") : "now"}`))
    : [emptyItem("never admitted")]));
}

function renderTrend() {
  const nights = trend.nights;
  const point = (n, v, text) => ({
    date: n.night, v, id: n.ids[0],
    title: `night of ${n.night} (${V.programText(n.program)}): ${text}${n.stimulatedMin > 0 ? `, Architect stimulated ${Somnis.minutes(n.stimulatedMin)}` : ""}`,
    attrs: { "data-stimulated": String(n.stimulatedMin > 0) },
  });
  const series = (key, label, v, text) => [{ key, label, points: nights.map((n) => point(n, v(n), text(n))) }];
  Plots.dated(el("trend-tst"), {
    series: series("tst", "total sleep", (n) => n.tstMin / 60, (n) => `${hours(n.tstMin / 60)} asleep`),
    format: hours, ref: trend.needHours, refLabel: "need", yMin: 0, onPick: openNight,
  });
  Plots.dated(el("trend-efficiency"), {
    series: series("efficiency", "sleep efficiency", (n) => n.sleepEfficiency === null ? null : n.sleepEfficiency * 100, (n) => `efficiency ${Somnis.percent(n.sleepEfficiency)}`),
    format: (v) => `${v.toFixed(0)} %`, onPick: openNight,
  });
  Plots.dated(el("trend-debt"), {
    series: series("debt", "sleep debt", (n) => n.debtHours, (n) => `debt ${hours(n.debtHours)} after it`),
    format: hours, yMin: 0, onPick: openNight,
  });
}

function renderNights(nights) {
  el("nights").tBodies[0].replaceChildren(...(nights.length ? nights.map((n) => {
    const m = n.metrics;
    return h("tr", { dataset: { nightId: n.id } },
      h("td", null, n.nightDate), h("td", null, where(n)), h("td", null, V.programText(n.program)),
      h("td", null, Somnis.fmt(n.start, "datetime")), h("td", null, n.inProgress ? "going on" : Somnis.fmt(n.end, "datetime")),
      h("td", null, Somnis.minutes(m?.totalSleepMin)), h("td", null, Somnis.percent(m?.sleepEfficiency)), h("td", null, Somnis.minutes(m?.wasoMin)),
      h("td", null, Somnis.minutes(n.architectMin)), h("td", null, n.assessments.map((a) => V.words(a.type)).join(", ") || "–"),
      h("td", null, button("Hypnogram", "hypnogram", () => openNight(n.id))));
  }) : [h("tr", null, h("td", { colspan: 11, class: "empty" }, "No nights of record yet."))]));
}

/** Shows one night's hypnogram, metrics and assessments under the trend (and in the address, so it can be shared). */
async function openNight(id) {
  shown = id;
  const panel = el("night");
  const { data, error } = await Somnis.getJson(Somnis.nightApi(id));
  if (shown !== id) return;
  panel.hidden = false;
  panel.dataset.nightId = id;
  document.querySelectorAll("#nights tr[data-night-id]").forEach((tr) => { tr.dataset.selected = String(tr.dataset.nightId === id); });
  q.set("night", id);
  history.replaceState(null, "", "/sleeper.html?" + q.toString());
  if (error) {
    el("night-h").textContent = `Night ${id}: ${error}`;
    Charts.nightHypnogram(el("night-hypnogram"), []);
    return;
  }
  const n = data.night, m = n.metrics;
  el("night-h").textContent = `Night of ${n.nightDate} in ${n.bed}: ${Somnis.fmt(n.start, "datetime")} – ${n.end ? Somnis.fmt(n.end) : "going on"}`;
  Charts.nightHypnogram(el("night-hypnogram"), data.epochs);
  kv(el("night-metrics"), [
    ["Total sleep", Somnis.minutes(m?.totalSleepMin)], ["Efficiency", Somnis.percent(m?.sleepEfficiency)], ["Onset latency", Somnis.minutes(m?.sleepOnsetLatencyMin)],
    ["WASO", Somnis.minutes(m?.wasoMin)], ["Awakenings", m ? String(m.awakenings) : "–"], ["Architect stimulated", Somnis.minutes(n.architectMin)],
  ]);
  el("night-assessments").replaceChildren(...(n.assessments.length
    ? n.assessments.map((a) => h("li", null, `⚠ ${V.words(a.type)} ${Somnis.fmt(a.start)}–${a.end ? Somnis.fmt(a.end) : "end"}: ${a.summary}`))
    : [emptyItem("No assessments that night.")]));
  panel.scrollIntoView({ block: "nearest" });
}

async function load() {
  loaded = performance.now();
  const [s, t, n] = await Promise.all([Somnis.getJson(`/api/sleepers/${enc}`), Somnis.getJson(`/api/sleepers/${enc}/trend`), Somnis.getJson(`/api/sleepers/${enc}/nights?limit=400`)]);
  el("sleeper-error").textContent = s.error ?? "";
  el("sleeper-error").hidden = !s.error;
  if (s.error) { document.body.dataset.loaded = "error"; return; }
  renderAbout(s.data);
  if (t.data) { trend = t.data; renderTrend(); }
  if (n.data) renderNights(n.data);
  document.body.dataset.loaded = "true";
}

let resizeTimer = 0;
window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(() => { if (trend) renderTrend(); }, 150); });
// A night may have ended, a sleeper moved: after a reconnection (and at most every minute on live changes) read again.
Somnis.onOpen((lost) => { if (lost) load(); });
Somnis.on("bed", () => { if (performance.now() - loaded > 60000) load(); });

Charts.hypnogramLegends();
Somnis.me();
Somnis.layout().then(async () => {
  await load();
  if (q.get("night")) await openNight(q.get("night"));
  Somnis.connect();
});
