// Small SVG charts for the dashboard (our own code, no library): time-series lines with shaded periods, a
// hypnogram, and bars. Everything is drawn as one SVG string per chart, so a redraw is one DOM write.
"use strict";

const Charts = (() => {
  const PAD = { left: 64, right: 10, top: 8, bottom: 20 };
  const STEPS_MIN = [5, 10, 15, 30, 60, 120, 180, 240, 360, 720];

  function widthOf(svg) {
    return Math.max(240, Math.round(svg.clientWidth || svg.parentElement.clientWidth || 600));
  }

  function timeAxis(from, to, w, h) {
    const span = to - from;
    const step = (STEPS_MIN.find((m) => span / (m * 60000) <= 8) ?? 1440) * 60000;
    let out = "";
    for (let t = Math.ceil(from / step) * step; t <= to; t += step) {
      const x = PAD.left + ((t - from) / span) * (w - PAD.left - PAD.right);
      out += `<line class="grid" x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${PAD.top}" y2="${h - PAD.bottom}"/>`;
      out += `<text x="${x.toFixed(1)}" y="${h - 5}" text-anchor="middle">${Somnis.fmt(t)}</text>`;
    }
    return out;
  }

  function shade(periods, from, to, w, h) {
    const sx = (t) => PAD.left + ((Math.min(Math.max(t, from), to) - from) / (to - from)) * (w - PAD.left - PAD.right);
    return periods.map(([a, b]) => `<rect class="stim" x="${sx(a).toFixed(1)}" y="${PAD.top}" width="${Math.max(1, sx(b) - sx(a)).toFixed(1)}" height="${h - PAD.top - PAD.bottom}"><title>Architect stimulating ${Somnis.fmt(a)}–${Somnis.fmt(b)}</title></rect>`).join("");
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
   * Lines over time. opts: from, to (ms), series [{ points: [[ms, value|null]], color, label }], yMin, yMax,
   * unit, shading [[ms, ms]] (Architect stimulation), height.
   */
  function lines(svg, opts) {
    const w = widthOf(svg), h = opts.height ?? 140;
    const { from, to } = opts;
    let lo = opts.yMin, hi = opts.yMax;
    for (const s of opts.series) for (const [, v] of s.points) if (v !== null) { lo = Math.min(lo ?? v, v); hi = Math.max(hi ?? v, v); }
    if (lo === undefined || hi === undefined || to <= from) { svg.innerHTML = `<text x="${PAD.left}" y="20">no data yet</text>`; svg.setAttribute("height", 30); return; }
    if (hi - lo < 1e-9) { hi += 1; lo -= 1; }
    const pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
    const sx = (t) => PAD.left + ((t - from) / (to - from)) * (w - PAD.left - PAD.right);
    const sy = (v) => h - PAD.bottom - ((v - lo) / (hi - lo)) * (h - PAD.top - PAD.bottom);
    let out = shade(opts.shading ?? [], from, to, w, h) + timeAxis(from, to, w, h);
    for (let i = 0; i <= 3; i++) {
      const v = lo + ((hi - lo) * i) / 3, y = sy(v);
      out += `<line class="grid" x1="${PAD.left}" x2="${w - PAD.right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}"/><text x="${PAD.left - 4}" y="${(y + 4).toFixed(1)}" text-anchor="end">${v.toFixed(hi - lo < 10 ? 1 : 0)}</text>`;
    }
    for (const s of opts.series) {
      let d = "", pen = false;
      for (const [t, v] of downsample(s.points, from, to, w)) {
        if (v === null) { pen = false; continue; }
        d += `${pen ? "L" : "M"}${sx(t).toFixed(1)},${sy(v).toFixed(1)}`;
        pen = true;
      }
      out += `<path class="line" stroke="${s.color}" d="${d}"><title>${s.label}</title></path>`;
    }
    svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
    svg.setAttribute("height", h);
    svg.innerHTML = out;
  }

  const LEVEL = { "out-of-bed": 0, wake: 1, sleep: 2 };
  const COLOR = { "out-of-bed": "var(--out)", wake: "var(--wake)", sleep: "var(--sleep)" };

  /** Hypnogram: one band per run of equal state (out of bed / wake / sleep), stimulation shaded behind. */
  function hypnogram(svg, { from, to, epochs, provisional, shading }) {
    const w = widthOf(svg), h = 120;
    const all = provisional ? [...epochs, { ...provisional, provisional: true }] : epochs;
    if (!all.length || to <= from) { svg.innerHTML = `<text x="${PAD.left}" y="20">no scored epochs yet</text>`; svg.setAttribute("height", 30); svg.dataset.epochs = "0"; return; }
    const sx = (t) => PAD.left + ((t - from) / (to - from)) * (w - PAD.left - PAD.right);
    const band = (h - PAD.top - PAD.bottom) / 3;
    let out = shade(shading ?? [], from, to, w, h) + timeAxis(from, to, w, h);
    ["Out of bed", "Wake", "Sleep"].forEach((label, i) => { out += `<text x="${PAD.left - 4}" y="${(PAD.top + band * i + band / 2 + 4).toFixed(1)}" text-anchor="end">${label}</text>`; });
    let run = null;
    const flush = (end) => {
      // No-signal epochs (no motion data) are left as a gap: neither sleep nor wake.
      if (!run || !(run.state in LEVEL)) return;
      const x = sx(run.start), y = PAD.top + LEVEL[run.state] * band + 2;
      out += `<rect class="epoch" data-state="${run.state}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, sx(end) - x).toFixed(1)}" height="${(band - 4).toFixed(1)}" fill="${COLOR[run.state]}"${run.provisional ? ' opacity=".5"' : ""}><title>${run.state} ${Somnis.fmt(run.start)}–${Somnis.fmt(end)}</title></rect>`;
    };
    for (const e of all) {
      const t = Date.parse(e.start);
      if (!run || run.state !== e.state || !!e.provisional !== !!run.provisional) { flush(t); run = { state: e.state, start: t, provisional: e.provisional }; }
    }
    flush(Date.parse(all[all.length - 1].start) + 30000);
    svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
    svg.setAttribute("height", h);
    svg.dataset.epochs = String(epochs.length);
    svg.innerHTML = out;
  }

  /** Vertical bars with labels: items [{ label, value, title }], a reference line at ref. */
  function bars(svg, { items, ref, unit }) {
    const w = widthOf(svg), h = 120;
    if (!items.length) { svg.innerHTML = `<text x="4" y="20">no finished nights yet</text>`; svg.setAttribute("height", 30); return; }
    const hi = Math.max(ref ?? 0, ...items.map((i) => i.value)) * 1.1 || 1;
    const bw = (w - PAD.left - PAD.right) / items.length;
    const sy = (v) => h - PAD.bottom - (v / hi) * (h - PAD.top - PAD.bottom);
    let out = `<text x="${PAD.left - 4}" y="${PAD.top + 8}" text-anchor="end">${hi.toFixed(0)} ${unit}</text>`;
    items.forEach((it, i) => {
      const x = PAD.left + i * bw;
      out += `<rect x="${(x + bw * 0.15).toFixed(1)}" y="${sy(it.value).toFixed(1)}" width="${(bw * 0.7).toFixed(1)}" height="${(h - PAD.bottom - sy(it.value)).toFixed(1)}" fill="${it.color ?? "var(--sleep)"}"><title>${it.title}</title></rect>`;
      out += `<text x="${(x + bw / 2).toFixed(1)}" y="${h - 5}" text-anchor="middle">${it.label}</text>`;
    });
    if (ref) out += `<line x1="${PAD.left}" x2="${w - PAD.right}" y1="${sy(ref).toFixed(1)}" y2="${sy(ref).toFixed(1)}" stroke="var(--medium)" stroke-dasharray="4 3"><title>need ${ref} ${unit}</title></line>`;
    svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
    svg.setAttribute("height", h);
    svg.innerHTML = out;
  }

  /**
   * Alarm timeline on the same time axis (and left padding) as the hypnogram and trends: one lane per alarm type,
   * a bar from raised to cleared (or to the chart's end while open). items: [{ id, lane, start, end, priority, cls, title }].
   */
  function alarms(svg, { from, to, items, lanes }) {
    const w = widthOf(svg);
    svg.dataset.alarms = String(items.length);
    // Nothing to draw: the list under the chart says "No alarms tonight".
    if (!items.length || to <= from) { svg.innerHTML = ""; svg.setAttribute("height", 0); return; }
    const laneH = 18, h = PAD.top + lanes.length * laneH + PAD.bottom;
    const sx = (t) => PAD.left + ((Math.min(Math.max(t, from), to) - from) / (to - from)) * (w - PAD.left - PAD.right);
    let out = timeAxis(from, to, w, h);
    lanes.forEach((name, i) => { out += `<text class="lane" x="${PAD.left - 4}" y="${(PAD.top + laneH * i + laneH / 2 + 4).toFixed(1)}" text-anchor="end">${name}</text>`; });
    for (const it of items) {
      const x = sx(it.start), y = PAD.top + it.lane * laneH + 3;
      out += `<rect class="alarm-bar" data-alarm-id="${it.id}" data-priority="${it.priority}" data-class="${it.cls}" x="${x.toFixed(1)}" y="${y}" width="${Math.max(3, sx(it.end) - x).toFixed(1)}" height="${laneH - 6}" rx="2"><title>${it.title.replace(/[<&]/g, "")}</title></rect>`;
    }
    svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
    svg.setAttribute("height", h);
    svg.innerHTML = out;
  }

  return { lines, hypnogram, bars, alarms };
})();
