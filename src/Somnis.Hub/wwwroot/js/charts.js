// Small SVG charts for the dashboard (our own code, no library): time-series lines with shaded periods, a hypnogram
// (tonight's, or a stored night's), an alarm timeline and bars. The study's and a sleeper's plots are in plots.js. Built with DOM calls (dom.js); colours come from app.css through classes.
import { fmt } from "./common.js";
import { h as html, svg } from "./dom.js";

const PAD = { left: 64, right: 10, top: 8, bottom: 20 };
const STEPS_MIN = [5, 10, 15, 30, 60, 120, 180, 240, 360, 720];
const LEVEL = { "out-of-bed": 0, wake: 1, sleep: 2 };

export function widthOf(el) {
  return Math.max(240, Math.round(el.clientWidth || el.parentElement.clientWidth || 600));
}

/** Replaces the chart's content in one DOM write and sizes it (height 0: nothing to draw). */
export function draw(el, w, h, nodes) {
  if (w) el.setAttribute("viewBox", `0 0 ${w} ${h}`);
  el.setAttribute("height", h);
  el.replaceChildren(...nodes);
}

export const message = (el, text, x = PAD.left) => draw(el, 0, 30, [svg("text", { x, y: 20 }, text)]);

export const text = (x, y, content, attrs = {}) => svg("text", { x: x.toFixed(1), y: y.toFixed(1), ...attrs }, content);

/** x in pixels of an instant, clamped to the chart. */
function scaleX(from, to, w) {
  return (t) => PAD.left + ((Math.min(Math.max(t, from), to) - from) / (to - from)) * (w - PAD.left - PAD.right);
}

/** Vertical grid lines with their times: identical for every chart with the same from, to and width. */
function timeAxis(from, to, w, h) {
  const span = to - from;
  const step = (STEPS_MIN.find((m) => span / (m * 60000) <= 8) ?? 1440) * 60000;
  const out = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) {
    const x = (PAD.left + ((t - from) / span) * (w - PAD.left - PAD.right)).toFixed(1);
    out.push(svg("line", { class: "grid", x1: x, x2: x, y1: PAD.top, y2: h - PAD.bottom }), svg("text", { x, y: h - 5, "text-anchor": "middle" }, fmt(t)));
  }
  return out;
}

function shade(periods, from, to, w, h) {
  const sx = scaleX(from, to, w);
  return periods.map(([a, b]) => svg("rect", { class: "stim", x: sx(a).toFixed(1), y: PAD.top, width: Math.max(1, sx(b) - sx(a)).toFixed(1), height: h - PAD.top - PAD.bottom },
    svg("title", null, `Architect stimulating ${fmt(a)}–${fmt(b)}`)));
}

/** Averages points into at most one per 2 px, keeping gaps (null values) as breaks. */
function downsample(points, from, to, w) {
  const buckets = Math.max(1, Math.floor((w - PAD.left - PAD.right) / 2));
  if (points.length <= buckets * 2) return points;
  const out = [];
  const size = (to - from) / buckets;
  let b = -1, sum = 0, n = 0, tsum = 0;
  for (const [t, v] of points) {
    const i = Math.floor((t - from) / size);
    if (i !== b && n) { out.push([tsum / n, sum / n]); sum = n = tsum = 0; }
    b = i;
    if (v === null) { out.push([t, null]); continue; }
    sum += v; tsum += t; n++;
  }
  if (n) out.push([tsum / n, sum / n]);
  return out;
}

/**
 * Lines over time. opts: from, to (ms), series [{ points: [[ms, value|null]], cls, label }] (cls names the colour
 * in app.css), yMin, yMax, shading [[ms, ms]] (Architect stimulation), height.
 */
export function lines(el, opts) {
  const w = widthOf(el), h = opts.height ?? 140;
  const { from, to } = opts;
  let lo = opts.yMin, hi = opts.yMax;
  for (const s of opts.series) for (const [, v] of s.points) if (v !== null) { lo = Math.min(lo ?? v, v); hi = Math.max(hi ?? v, v); }
  if (lo === undefined || hi === undefined || to <= from) { message(el, "no data yet"); return; }
  if (hi - lo < 1e-9) { hi += 1; lo -= 1; }
  const pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
  const sx = (t) => PAD.left + ((t - from) / (to - from)) * (w - PAD.left - PAD.right);
  const sy = (v) => h - PAD.bottom - ((v - lo) / (hi - lo)) * (h - PAD.top - PAD.bottom);
  const out = [...shade(opts.shading ?? [], from, to, w, h), ...timeAxis(from, to, w, h)];
  for (let i = 0; i <= 3; i++) {
    const v = lo + ((hi - lo) * i) / 3, y = sy(v);
    out.push(svg("line", { class: "grid", x1: PAD.left, x2: w - PAD.right, y1: y.toFixed(1), y2: y.toFixed(1) }),
      text(PAD.left - 4, y + 4, v.toFixed(hi - lo < 10 ? 1 : 0), { "text-anchor": "end" }));
  }
  for (const s of opts.series) {
    let d = "", pen = false;
    for (const [t, v] of downsample(s.points, from, to, w)) {
      if (v === null) { pen = false; continue; }
      d += `${pen ? "L" : "M"}${sx(t).toFixed(1)},${sy(v).toFixed(1)}`;
      pen = true;
    }
    out.push(svg("path", { class: `line ${s.cls}`, d }, svg("title", null, s.label)));
  }
  draw(el, w, h, out);
}

/** Hypnogram: one band per run of equal state (out of bed / wake / sleep), stimulation shaded behind. */
export function hypnogram(el, { from, to, epochs, provisional, shading }) {
  const w = widthOf(el), h = 120;
  const all = provisional ? [...epochs, { ...provisional, provisional: true }] : epochs;
  el.dataset.epochs = String(all.length && to > from ? epochs.length : 0);
  if (!all.length || to <= from) { message(el, "no scored epochs yet"); return; }
  const sx = (t) => PAD.left + ((t - from) / (to - from)) * (w - PAD.left - PAD.right);
  const band = (h - PAD.top - PAD.bottom) / 3;
  const out = [...shade(shading ?? [], from, to, w, h), ...timeAxis(from, to, w, h)];
  ["Out of bed", "Wake", "Sleep"].forEach((label, i) => out.push(text(PAD.left - 4, PAD.top + band * i + band / 2 + 4, label, { "text-anchor": "end" })));
  let run = null;
  const flush = (end) => {
    // No-signal epochs (no motion data) are left as a gap: neither sleep nor wake.
    if (!run || !(run.state in LEVEL)) return;
    const x = sx(run.start), y = PAD.top + LEVEL[run.state] * band + 2;
    out.push(svg("rect", { class: run.provisional ? "epoch provisional" : "epoch", "data-state": run.state, x: x.toFixed(1), y: y.toFixed(1), width: Math.max(1, sx(end) - x).toFixed(1), height: (band - 4).toFixed(1) },
      svg("title", null, `${run.state} ${fmt(run.start)}–${fmt(end)}`)));
  };
  for (const e of all) {
    const t = Date.parse(e.start);
    if (!run || run.state !== e.state || !!e.provisional !== !!run.provisional) { flush(t); run = { state: e.state, start: t, provisional: e.provisional }; }
  }
  flush(Date.parse(all[all.length - 1].start) + 30000);
  draw(el, w, h, out);
}

/** Periods [[start, end]] (ms) where on(point) holds, in a time-ordered list; end: the next point's time (open: end(last)). */
export function periods(points, on, tsOf, endOf = tsOf) {
  const out = [];
  let open = null;
  for (const p of points) {
    const t = tsOf(p);
    if (on(p) && open === null) open = t;
    if (!on(p) && open !== null) { out.push([open, t]); open = null; }
  }
  if (open !== null && points.length) out.push([open, endOf(points[points.length - 1])]);
  return out;
}

/** A stored night's hypnogram (GET /api/nights/…: epochs with start, state, stimulating), Architect stimulation shaded. */
export function nightHypnogram(el, epochs, provisional = null) {
  const ts = (e) => Date.parse(e.start);
  const last = provisional ?? epochs[epochs.length - 1];
  const from = epochs.length ? ts(epochs[0]) : 0, to = last ? ts(last) + 30000 : 0;
  hypnogram(el, { from, to, epochs, provisional, shading: periods(epochs, (e) => e.stimulating, ts, (e) => ts(e) + 30000) });
}

/** The hypnogram's legend, in every list marked data-legend="hypnogram": its states' colours and the shading. */
export function hypnogramLegends() {
  const item = (state, text) => html("li", null, html("span", { class: "swatch", dataset: { state } }), text);
  for (const ul of document.querySelectorAll("[data-legend=hypnogram]")) {
    ul.replaceChildren(item("sleep", "Sleep"), item("wake", "Wake"), item("out-of-bed", "Out of bed"), item("stimulating", "Architect stimulating (shaded)"));
  }
}

/** Vertical bars with labels: items [{ label, value, title, warn }] (warn: drawn in the warning colour), a reference line at ref. */
export function bars(el, { items, ref, unit }) {
  const w = widthOf(el), h = 120;
  if (!items.length) { message(el, "no finished nights yet", 4); return; }
  const hi = Math.max(ref ?? 0, ...items.map((i) => i.value)) * 1.1 || 1;
  const bw = (w - PAD.left - PAD.right) / items.length;
  const sy = (v) => h - PAD.bottom - (v / hi) * (h - PAD.top - PAD.bottom);
  const out = [text(PAD.left - 4, PAD.top + 8, `${hi.toFixed(0)} ${unit}`, { "text-anchor": "end" })];
  items.forEach((it, i) => {
    const x = PAD.left + i * bw;
    out.push(svg("rect", { class: it.warn ? "bar warn" : "bar", x: (x + bw * 0.15).toFixed(1), y: sy(it.value).toFixed(1), width: (bw * 0.7).toFixed(1), height: (h - PAD.bottom - sy(it.value)).toFixed(1) },
      svg("title", null, it.title)), text(x + bw / 2, h - 5, it.label, { "text-anchor": "middle" }));
  });
  if (ref) out.push(svg("line", { class: "ref", x1: PAD.left, x2: w - PAD.right, y1: sy(ref).toFixed(1), y2: sy(ref).toFixed(1) }, svg("title", null, `need ${ref} ${unit}`)));
  draw(el, w, h, out);
}

/**
 * Alarm timeline on the same time axis (and left padding) as the hypnogram and trends: one lane per alarm type,
 * a bar from raised to cleared (or to the chart's end while open). items: [{ id, lane, start, end, priority, cls, title }].
 */
export function alarms(el, { from, to, items, lanes }) {
  const w = widthOf(el);
  el.dataset.alarms = String(items.length);
  // Nothing to draw: the list under the chart says "No alarms tonight".
  if (!items.length || to <= from) { draw(el, 0, 0, []); return; }
  const laneH = 18, h = PAD.top + lanes.length * laneH + PAD.bottom;
  const sx = scaleX(from, to, w);
  const out = timeAxis(from, to, w, h);
  lanes.forEach((name, i) => out.push(text(PAD.left - 4, PAD.top + laneH * i + laneH / 2 + 4, name, { class: "lane", "text-anchor": "end" })));
  for (const it of items) {
    const x = sx(it.start), y = PAD.top + it.lane * laneH + 3;
    out.push(svg("rect", { class: "alarm-bar", "data-alarm-id": it.id, "data-priority": it.priority, "data-class": it.cls, x: x.toFixed(1), y, width: Math.max(3, sx(it.end) - x).toFixed(1), height: laneH - 6, rx: 2 },
      svg("title", null, it.title)));
  }
  draw(el, w, h, out);
}
