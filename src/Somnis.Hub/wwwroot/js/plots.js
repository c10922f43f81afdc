// The study's and a sleeper's plots (our own SVG through dom.js, no library), read at a glance and printable:
// paired dots per sleeper (Architect nights against natural nights, one line per sleeper), dots by program with their
// mean, and values over night dates (a cohort's weeks, a sleeper's nights). Each fits its element's width; colours come
// from app.css by class and [data-program], so the print stylesheet recolours them for paper.
import { draw, message, text, widthOf } from "./charts.js";
import { svg } from "./dom.js";

const DAY = 86400000;

/** Round tick values covering [lo, hi]: steps of 1, 2, 2.5 or 5 times a power of ten, about n of them. */
function ticks(lo, hi, n = 4) {
  const raw = (hi - lo) / n || 1;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** The range of the values, widened a little (and to include `also`, e.g. a reference line). */
function extent(values, also = []) {
  const all = [...values, ...also].filter((v) => v !== null && v !== undefined && Number.isFinite(v));
  if (!all.length) return null;
  let lo = Math.min(...all), hi = Math.max(...all);
  if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
  const pad = (hi - lo) * 0.08;
  return [lo - pad, hi + pad];
}

const linear = ([d0, d1], [r0, r1]) => (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);

const grid = (x1, y1, x2, y2) => svg("line", { class: "grid", x1: x1.toFixed(1), y1: y1.toFixed(1), x2: x2.toFixed(1), y2: y2.toFixed(1) });

/** A dot with its tooltip; attrs add class and data (data-program, data-night-id …). */
const dot = (x, y, r, cls, title, attrs = {}) =>
  svg("circle", { class: `dot ${cls}`, cx: x.toFixed(1), cy: y.toFixed(1), r, ...attrs }, svg("title", null, title));

/** A label that links to a page (SVG 2 <a href>), or plain text without one. */
const linked = (href, node) => (href ? svg("a", { href }, node) : node);

/**
 * Paired dots, one row per sleeper: their natural nights' mean and their Architect nights' mean joined by a line, rows
 * sorted by the difference (largest loss first), the difference written on the right. rows: [{ id, label, href,
 * architect, natural, title }]; format(v) gives a value in words, formatDiff(d) a difference.
 */
export function pairs(el, { rows, format, formatDiff }) {
  const paired = rows.filter((r) => r.architect !== null && r.natural !== null).sort((x, y) => (x.architect - x.natural) - (y.architect - y.natural));
  el.dataset.pairs = String(paired.length);
  if (!paired.length) { message(el, "No sleeper has both Architect and natural nights in this selection.", 4); return; }
  const w = widthOf(el), rowH = 18, pad = { left: 150, right: 80, top: 6, bottom: 24 };
  const h = pad.top + paired.length * rowH + pad.bottom;
  const range = extent(paired.flatMap((r) => [r.architect, r.natural]));
  const sx = linear(range, [pad.left, w - pad.right]);
  const out = [];
  for (const v of ticks(...range)) {
    out.push(grid(sx(v), pad.top, sx(v), h - pad.bottom), text(sx(v), h - 6, format(v), { "text-anchor": "middle" }));
  }
  paired.forEach((r, i) => {
    const y = pad.top + i * rowH + rowH / 2;
    const [xa, xn] = [sx(r.architect), sx(r.natural)];
    out.push(
      linked(r.href, text(pad.left - 8, y + 4, r.label, { "text-anchor": "end", class: "row-label" })),
      svg("line", { class: "pair", "data-direction": r.architect < r.natural ? "down" : "up", x1: xn.toFixed(1), x2: xa.toFixed(1), y1: y.toFixed(1), y2: y.toFixed(1) }),
      dot(xn, y, 4.5, "natural", `${r.label}: natural nights ${format(r.natural)}`, { "data-sleeper": r.id }),
      dot(xa, y, 4.5, "architect", `${r.label}: Architect nights ${format(r.architect)}`, { "data-sleeper": r.id }),
      text(w - pad.right + 8, y + 4, formatDiff(r.architect - r.natural), { class: "diff" }),
    );
  });
  draw(el, w, h, out);
}

/**
 * Dots by group (a program): one dot per sleeper (their mean over their nights in it), the group's mean as a bar with
 * its value and n. groups: [{ key, label, values: [{ v, title }] }].
 */
export function groups(el, { groups: list, format }) {
  const shown = list.map((g) => ({ ...g, values: g.values.filter((p) => p.v !== null && p.v !== undefined) })).filter((g) => g.values.length);
  el.dataset.dots = String(shown.reduce((n, g) => n + g.values.length, 0));
  if (!shown.length) { message(el, "No nights in this selection.", 4); return; }
  const w = widthOf(el), h = 200, pad = { left: 56, right: 10, top: 10, bottom: 24 };
  const range = extent(shown.flatMap((g) => g.values.map((p) => p.v)));
  const sy = linear(range, [h - pad.bottom, pad.top]);
  const band = (w - pad.left - pad.right) / shown.length;
  const out = [];
  for (const v of ticks(...range)) out.push(grid(pad.left, sy(v), w - pad.right, sy(v)), text(pad.left - 4, sy(v) + 4, format(v), { "text-anchor": "end" }));
  shown.forEach((g, i) => {
    const cx = pad.left + band * (i + 0.5);
    const mean = g.values.reduce((s, p) => s + p.v, 0) / g.values.length;
    // Spread the dots sideways (deterministically), so sleepers with the same value stay visible.
    g.values.forEach((p, j) => out.push(dot(cx + (((j * 7) % 13) - 6) * Math.min(4, band / 40), sy(p.v), 4, "member", p.title, { "data-program": g.key })));
    const half = Math.min(50, band * 0.35);
    out.push(
      svg("line", { class: "mean", "data-program": g.key, x1: (cx - half).toFixed(1), x2: (cx + half).toFixed(1), y1: sy(mean).toFixed(1), y2: sy(mean).toFixed(1) },
        svg("title", null, `${g.label}: mean ${format(mean)} over ${g.values.length} sleeper(s)`)),
      text(cx + half + 4, sy(mean) + 4, format(mean), { class: "mean-label" }),
      text(cx, h - 6, `${g.label} (n = ${g.values.length})`, { "text-anchor": "middle" }),
    );
  });
  draw(el, w, h, out);
}

/** Date ticks: a step of 1, 2, 7, 14, 28 … days giving at most 8 labels. */
function dateTicks(from, to) {
  const step = [1, 2, 7, 14, 28, 56, 91].find((d) => (to - from) / (d * DAY) <= 8) ?? 182;
  const out = [];
  for (let t = Math.ceil(from / DAY) * DAY; t <= to; t += step * DAY) out.push(t);
  return out;
}

/**
 * Values over night dates: one line per series with a dot per value. series: [{ key, label, points: [{ date
 * ("yyyy-mm-dd"), v, title, id, attrs }] }] (attrs: more attributes of the dot, e.g. data-stimulated); ref: a dashed
 * reference line (with refLabel); onPick(id, date): a dot with an id was clicked (or Enter on it).
 */
export function dated(el, { series, format, ref = null, refLabel = "", yMin = null, height = 150, onPick = null }) {
  const at = (p) => Date.parse(p.date + "T00:00:00Z");
  const points = series.flatMap((s) => s.points.filter((p) => p.v !== null && p.v !== undefined));
  el.dataset.points = String(points.length);
  if (!points.length) { message(el, "No nights yet.", 4); return; }
  const w = widthOf(el), h = height, pad = { left: 56, right: 14, top: 10, bottom: 22 };
  const times = points.map(at);
  const from = Math.min(...times) - DAY / 2, to = Math.max(...times) + DAY / 2;
  const range = extent(points.map((p) => p.v), [ref, yMin].filter((v) => v !== null));
  const sx = linear([from, to], [pad.left, w - pad.right]);
  const sy = linear(range, [h - pad.bottom, pad.top]);
  const out = [];
  for (const v of ticks(...range, 3)) out.push(grid(pad.left, sy(v), w - pad.right, sy(v)), text(pad.left - 4, sy(v) + 4, format(v), { "text-anchor": "end" }));
  for (const t of dateTicks(from, to)) out.push(text(sx(t), h - 6, new Date(t).toISOString().slice(5, 10), { "text-anchor": "middle" }));
  if (ref !== null) {
    out.push(svg("line", { class: "ref", x1: pad.left, x2: w - pad.right, y1: sy(ref).toFixed(1), y2: sy(ref).toFixed(1) }, svg("title", null, `${refLabel} ${format(ref)}`)));
  }
  for (const s of series) {
    const ps = s.points.filter((p) => p.v !== null && p.v !== undefined);
    const d = ps.map((p, i) => `${i ? "L" : "M"}${sx(at(p)).toFixed(1)},${sy(p.v).toFixed(1)}`).join("");
    out.push(svg("path", { class: "series", "data-series": s.key, d }, svg("title", null, s.label)));
    for (const p of ps) {
      const attrs = { "data-series": s.key, "data-night-id": p.id, "data-date": p.date, tabindex: onPick && p.id ? 0 : null, role: onPick && p.id ? "button" : null, ...p.attrs };
      out.push(dot(sx(at(p)), sy(p.v), 3.5, onPick && p.id ? "pick" : "", p.title, attrs));
    }
  }
  draw(el, w, h, out);
  if (onPick && !el.dataset.picking) {
    // One listener per chart, kept across redraws: a click (or Enter) on a dot picks its point.
    el.dataset.picking = "true";
    const pick = (e) => {
      const c = e.target.closest?.("circle[data-night-id]");
      if (c && (e.type === "click" || e.key === "Enter")) onPick(c.dataset.nightId, c.dataset.date);
    };
    el.addEventListener("click", pick);
    el.addEventListener("keydown", pick);
  }
}
