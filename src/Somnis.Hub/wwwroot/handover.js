// Shift handover: what the next shift must know. Beds offline, stale or with a sensor fault (live), active
// assessments and facility incidents (refetched every 30 s and after a reconnection).
"use strict";

const beds = new Map();
let assessments = [];
let incidents = [];
let frame = 0;

function reasons(bed) {
  const out = [];
  if (!bed.online) out.push("⛔ offline");
  else if (bed.stale) out.push("⚠ no data (stale)");
  for (const s of bed.sensors || []) if (!s.healthy) out.push(`⚠ sensor ${s.name}: ${s.reason}`);
  for (const a of assessments) if (a.bed === bed.id) out.push(`⚠ ${a.type}: ${a.summary} (${Somnis.fmt(a.eventTime)})`);
  return out;
}

function render() {
  frame = 0;
  const list = document.getElementById("attention");
  list.innerHTML = "";
  const rows = [...beds.values()].map((b) => [b, reasons(b)]).filter(([, r]) => r.length).sort(([a], [b]) => (a.id < b.id ? -1 : 1));
  if (!rows.length) list.innerHTML = `<li class="empty">✓ All ${beds.size} beds live, sensors healthy, no active assessments.</li>`;
  for (const [b, r] of rows) {
    const li = document.createElement("li");
    li.dataset.bedId = b.id;
    const a = document.createElement("a");
    a.href = "/bed.html?id=" + encodeURIComponent(b.id);
    a.textContent = b.id;
    const why = document.createElement("span");
    why.className = "why";
    why.textContent = " — " + r.join(" · ");
    li.append(a, why);
    list.append(li);
  }
  const inc = document.getElementById("incidents");
  inc.innerHTML = incidents.length ? "" : '<li class="empty">none</li>';
  for (const i of incidents) {
    const li = document.createElement("li");
    li.textContent = `⚠ ${i.summary} (${Somnis.fmt(i.eventTime, "datetime")})`;
    inc.append(li);
  }
  document.getElementById("generated").textContent = `As of ${Somnis.fmt(Date.now(), "datetime")} (${Somnis.zone})`;
  document.body.dataset.loaded = "true";
}

function schedule() {
  if (!frame) frame = requestAnimationFrame(render);
}

let timer = 0;
async function refresh() {
  clearTimeout(timer);
  try {
    const [a, i] = await Promise.all([fetch("/api/assessments"), fetch("/api/incidents")]);
    if (a.ok) assessments = await a.json();
    if (i.ok) incidents = await i.json();
    schedule();
  } catch { /* shown by the connection indicator; retried below */ }
  timer = setTimeout(refresh, 30000);
}

Somnis.user();
Somnis.layout().then(() => Somnis.live({ onBed: (b) => { beds.set(b.id, b); schedule(); }, onOpen: () => refresh() }));
