// The study page (docs/study.md, "The page"): Architect nights against natural nights from GET /api/study, with the
// filters of the API, the pooled table with its sentences, the cohorts, each sleeper's row, and plots read at a glance
// (plots.js). The same filters download the per-sleeper table as CSV (/api/study.csv). Prints on A4 or Letter
// (app.css). How a metric is named and in which unit it is said comes with the study (`metrics`), as in its sentences.
import * as Somnis from "./common.js";
import { h } from "./dom.js";
import * as Plots from "./plots.js";
import * as V from "./vocabulary.js";

const form = document.getElementById("filters");
const FILTERS = ["from", "to", "facility", "program", "sleeper", "firstNight"];
const el = (id) => document.getElementById(id);
const PROGRAM_ORDER = Object.keys(V.PROGRAMS);
// The metrics the cohorts' weekly trend offers (names and units from the study's `metrics`).
const TREND_METRICS = ["tstMin", "sleepEfficiency", "wasoMin", "solMin", "sleepingHr"];
let study = null;
let defs = {};

/** A value in the metric's unit: "412 min", "86.4 %", "54.1 bpm"; "–" when there is none. */
function level(key, v) {
  const d = defs[key];
  if (v === null || v === undefined) return "–";
  return `${(v * d.scale).toFixed(d.decimals)}${d.levelUnit ? " " + d.levelUnit : ""}`;
}

/** A signed number in the spoken unit ("−47", "+3.5"), for differences and interval ends. */
function signedNumber(key, v) {
  const d = defs[key];
  const n = Number((v * d.scale).toFixed(d.decimals));
  return `${n > 0 ? "+" : n < 0 ? "−" : "±"}${Math.abs(n).toFixed(d.decimals)}`;
}

const unitOf = (key) => (defs[key].unit ? " " + defs[key].unit : "");
const signed = (key, v) => (v === null || v === undefined ? "–" : signedNumber(key, v) + unitOf(key));
const interval = (key, ci) => (ci ? `${signedNumber(key, ci[0])} to ${signedNumber(key, ci[1])}${unitOf(key)}` : "–");
const effect = (v) => (v === null || v === undefined ? "–" : `${v < 0 ? "−" : ""}${Math.abs(v).toFixed(2)}`);

function query() {
  const p = new URLSearchParams();
  for (const name of FILTERS) if (form.elements[name].value) p.set(name, form.elements[name].value);
  return p.toString();
}

function say(text) {
  el("study-error").textContent = text;
  el("study-error").hidden = !text;
}

async function show() {
  const qs = query();
  el("csv").href = "/api/study.csv" + (qs ? "?" + qs : "");
  history.replaceState(null, "", "/study.html" + (qs ? "?" + qs : ""));
  const { data, error } = await Somnis.getJson("/api/study" + (qs ? "?" + qs : ""));
  say(error ?? "");
  if (error) { document.body.dataset.loaded = "error"; return; }
  study = data;
  defs = Object.fromEntries(study.metrics.map((m) => [m.key, m]));
  const trend = el("trend-metric");
  if (!trend.options.length) for (const key of TREND_METRICS) trend.add(new Option(defs[key].name, key));
  for (const name of ["from", "to"]) form.elements[name].value = study[name];
  render();
  document.body.dataset.loaded = "true";
}

function render() {
  const s = study;
  const where = [s.facility ? `facility ${s.facility}` : "every facility", s.program ? `${V.programText(s.program)} nights` : "every program",
    s.sleeper ? `sleeper ${s.sleeper}` : null, s.firstNight === "exclude" ? "first nights left out" : "first nights included"].filter(Boolean);
  el("scope").textContent = `Nights of ${s.from} to ${s.to} (${where.join(", ")}): ${s.nights} nights of ${s.sleepers.length} sleepers. ` +
    `An Architect night was stimulated at least ${s.minStimulatedMin} min; a natural night not at all. Differences are Architect − natural, per sleeper, then averaged over sleepers.`;
  rows(el("pooled"), s.metrics.map((m) => {
    const p = s.pooled[m.key];
    return [m.key, m.name, level(m.key, p.architectMean), level(m.key, p.naturalMean), signed(m.key, p.diff), interval(m.key, p.ci95),
      `${p.sleepers} (${p.architectNights} / ${p.naturalNights})`, effect(p.effectSize), p.sentence];
  }));
  const groups = s.cohorts.groups;
  el("cohort-scope").textContent = `Companions: ${groups.companions.sleepers} sleepers, ${groups.companions.nights} nights; Architect users: ${groups.architect.sleepers} sleepers, ` +
    `${groups.architect.nights} nights. ${s.cohorts.switchers} sleeper(s) who switched programs within the selection are in neither group.`;
  rows(el("cohorts"), s.metrics.map((m) => {
    const c = s.cohorts.companionsMinusArchitect[m.key];
    return [m.key, m.name, level(m.key, groups.companions.means[m.key]), level(m.key, groups.architect.means[m.key]), signed(m.key, c.diff),
      interval(m.key, c.ci95), `${c.companionsSleepers} / ${c.architectSleepers}`, effect(c.effectSize), c.sentence];
  }));
  renderSleepers();
  el("method").textContent = "Method: " + s.method;
  renderPlots();
}

/**
 * Table rows: the first cell is the row's key (data-metric), the second its header cell, the last its sentence; the
 * sentences also go into the list after the table (what paper shows instead of the narrow column).
 */
function rows(table, list) {
  table.tBodies[0].replaceChildren(...list.map(([key, name, ...cells]) =>
    h("tr", { dataset: { metric: key } }, h("th", { scope: "row" }, name), cells.map((c) => h("td", null, c)))));
  el(table.id === "pooled" ? "pooled-sentences" : "cohort-sentences").replaceChildren(...list.map((cells) => h("li", null, cells[cells.length - 1])));
}

function renderSleepers() {
  const diff = (sl, key) => signed(key, sl.metrics[key].diff);
  el("per-sleeper").tBodies[0].replaceChildren(...(study.sleepers.length ? study.sleepers.map((sl) => h("tr", { dataset: { sleeperId: sl.id } },
    h("th", { scope: "row" }, h("a", { href: Somnis.sleeperUrl(sl.id) }, sl.name)),
    h("td", null, sl.programs.map(V.programText).join(" → ")),
    h("td", null, `${sl.architectNights} / ${sl.naturalNights} / ${sl.otherNights}`),
    h("td", null, diff(sl, "tstMin")), h("td", null, diff(sl, "sleepEfficiency")), h("td", null, diff(sl, "wasoMin")),
    h("td", null, level("stimulatedMin", sl.metrics.stimulatedMin.architect))))
    : [h("tr", null, h("td", { colspan: 7, class: "empty" }, "No sleeper has a finished night in this selection."))]));
}

function renderPlots() {
  const s = study;
  for (const [id, key] of [["plot-tst", "tstMin"], ["plot-waso", "wasoMin"]]) {
    Plots.pairs(el(id), {
      rows: s.sleepers.map((sl) => ({ id: sl.id, label: sl.name, href: Somnis.sleeperUrl(sl.id), architect: sl.metrics[key].architect, natural: sl.metrics[key].natural })),
      format: (v) => level(key, v),
      formatDiff: (d) => signed(key, d),
    });
  }
  renderWeeks();
  const names = Object.fromEntries(s.sleepers.map((sl) => [sl.id, sl.name]));
  Plots.groups(el("plot-efficiency"), {
    groups: PROGRAM_ORDER.map((p) => ({
      key: p,
      label: V.programText(p),
      values: (s.byProgram[p] ?? []).map((m) => ({ v: m.means.sleepEfficiency, title: `${names[m.id] ?? m.id}: ${level("sleepEfficiency", m.means.sleepEfficiency)} over ${m.nights} night(s)` })),
    })),
    format: (v) => level("sleepEfficiency", v),
  });
}

function renderWeeks() {
  const key = el("trend-metric").value || "tstMin";
  Plots.dated(el("plot-weeks"), {
    series: PROGRAM_ORDER.map((p) => ({
      key: p,
      label: V.programText(p),
      points: study.weeks.filter((w) => w.program === p).map((w) => ({
        date: w.week, v: w.means[key],
        title: `week of ${w.week}, ${V.programText(p)}: ${level(key, w.means[key])} (${w.sleepers} sleeper(s), ${w.nights} night(s))`,
      })),
    })).filter((series) => series.points.length),
    format: (v) => level(key, v),
    height: 180,
  });
}

/** Legends and the program filter in the vocabulary's words. */
function words() {
  const swatch = (attr, key, text) => h("li", null, h("span", { class: "swatch", dataset: { [attr]: key } }), text);
  for (const ul of document.querySelectorAll("[data-legend=conditions]")) ul.prepend(swatch("condition", "natural", V.CONDITIONS.natural), swatch("condition", "architect", V.CONDITIONS.architect));
  for (const ul of document.querySelectorAll("[data-legend=programs]")) ul.prepend(...PROGRAM_ORDER.map((p) => swatch("program", p, V.programText(p))));
  for (const p of PROGRAM_ORDER) form.elements.program.add(new Option(V.programText(p), p));
}

async function start() {
  const q = new URLSearchParams(location.search);
  words();
  const [beds, sleepers] = await Promise.all([Somnis.getJson("/api/beds"), Somnis.getJson("/api/sleepers")]);
  for (const f of new Set((beds.data ?? []).map((b) => b.facility))) form.elements.facility.add(new Option(f, f));
  for (const sl of sleepers.data ?? []) form.elements.sleeper.add(new Option(`${sl.name} (${sl.id})`, sl.id));
  for (const name of FILTERS) {
    const v = q.get(name);
    const input = form.elements[name];
    // A value the list does not offer yet (a facility with nights but no bed now) is added, so the filter holds.
    if (v && input.tagName === "SELECT" && ![...input.options].some((o) => o.value === v)) input.add(new Option(v, v));
    if (v) input.value = v;
  }
  el("trend-metric").addEventListener("change", () => { if (study) renderWeeks(); });
  await show();
  Somnis.connect();
}

form.addEventListener("submit", (e) => { e.preventDefault(); show(); });
el("print").addEventListener("click", () => window.print());
let resizeTimer = 0;
window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(() => { if (study) renderPlots(); }, 150); });
// Before printing, the plots are drawn again at the page's printed width.
window.addEventListener("beforeprint", () => { if (study) renderPlots(); });

Somnis.me();
Somnis.layout().then(start);
