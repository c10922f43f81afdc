// Shift handover: what the next shift must know. Open, shelved and recently cleared alarms with who did what; beds
// offline, stale, with a sensor fault, an unacknowledged alarm or an active assessment (live); facility incidents.
// Alarms and assessments are refetched on every alarm event (debounced), every 30 s and after a reconnection.
"use strict";

const beds = new Map();
let assessments = [];
let incidents = [];
let open = [];
let cleared = [];
let frame = 0;
const RECENT_MS = 12 * 3600e3;
const ICON = { high: "▲▲▲", medium: "▲▲", low: "▲" };
const RANK = { high: 3, medium: 2, low: 1 };

function reasons(bed) {
  const out = [];
  if (!bed.online) out.push("⛔ offline");
  else if (bed.stale) out.push("⚠ no data (stale)");
  for (const s of bed.sensors || []) if (!s.healthy) out.push(`⚠ sensor ${s.name}: ${s.reason}`);
  for (const a of open) if (a.bed === bed.id && !a.acknowledged && !a.suppressed && !a.shelvedUntil) out.push(`🔔 ${ICON[a.priority]} ${a.type.replaceAll("-", " ")} (${a.state.replaceAll("-", " ")})`);
  for (const a of assessments) if (a.bed === bed.id) out.push(`⚠ ${a.type}: ${a.summary} (${Somnis.fmt(a.eventTime)})`);
  return out;
}

function who(a) {
  const parts = [];
  if (a.ackedBy) parts.push(`✓ ack ${a.ackedBy} ${Somnis.fmt(a.ackedAt)}`);
  if (a.shelvedBy) parts.push(`shelved by ${a.shelvedBy} until ${Somnis.fmt(a.shelvedUntil)}: ${a.shelveReason}`);
  if (a.assignedTo) parts.push(`assigned ${a.assignedTo}`);
  if (a.escalation === 2) parts.push("ESCALATED");
  return parts.join(" · ") || "–";
}

function alarmRow(a, group) {
  const tr = document.createElement("tr");
  Object.assign(tr.dataset, { alarmId: a.id, group, state: a.state, priority: a.priority, class: a.class });
  if (a.bed) tr.dataset.bedId = a.bed;
  const state = group === "cleared" ? `cleared ${Somnis.fmt(a.clearedAt ?? a.ackedAt, "datetime")}` : a.state.replaceAll("-", " ");
  const cells = [`${ICON[a.priority] ?? ""} ${a.type.replaceAll("-", " ")} (${a.priority}${a.class === "technical" ? ", technical" : ""})`, a.bed ?? `facility ${a.facility}`, state, Somnis.fmt(a.raisedAt, "datetime"), who(a), a.summary];
  cells.forEach((c, i) => {
    const td = document.createElement("td");
    if (i === 1 && a.bed) {
      const link = document.createElement("a");
      link.href = "/bed.html?id=" + encodeURIComponent(a.bed);
      link.textContent = a.bed;
      td.append(link);
    } else td.textContent = c;
    tr.append(td);
  });
  return tr;
}

function renderAlarms() {
  const byPriority = (x, y) => (RANK[y.priority] - RANK[x.priority]) || (y.raisedAt > x.raisedAt ? 1 : -1);
  const now = Date.now();
  const groups = {
    open: open.filter((a) => !a.shelvedUntil).sort(byPriority),
    shelved: open.filter((a) => a.shelvedUntil).sort(byPriority),
    cleared: cleared.filter((a) => now - Date.parse(a.clearedAt ?? a.ackedAt ?? a.raisedAt) <= RECENT_MS)
      .sort((x, y) => ((y.clearedAt ?? "") > (x.clearedAt ?? "") ? 1 : -1)),
  };
  for (const [group, list] of Object.entries(groups)) {
    const body = document.querySelector(`#handover-alarms tbody[data-group="${group}"]`);
    const head = body.rows[0];
    head.cells[0].textContent = `${{ open: "Open", shelved: "Shelved", cleared: "Cleared in the last 12 h" }[group]} (${list.length})`;
    const rows = list.map((a) => alarmRow(a, group));
    if (!rows.length) {
      const tr = document.createElement("tr");
      tr.innerHTML = '<td colspan="6" class="empty">none</td>';
      rows.push(tr);
    }
    body.replaceChildren(head, ...rows);
  }
}

function render() {
  frame = 0;
  const list = document.getElementById("attention");
  list.innerHTML = "";
  const rows = [...beds.values()].map((b) => [b, reasons(b)]).filter(([, r]) => r.length).sort(([a], [b]) => (a.id < b.id ? -1 : 1));
  if (!rows.length) list.innerHTML = `<li class="empty">✓ All ${beds.size} beds live, sensors healthy, no unacknowledged alarms, no active assessments.</li>`;
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
  renderAlarms();
  document.getElementById("generated").textContent = `As of ${Somnis.fmt(Date.now(), "datetime")} (${Somnis.zone})`;
  document.body.dataset.loaded = "true";
}

function schedule() {
  if (!frame) frame = requestAnimationFrame(render);
}

const json = (url) => fetch(url).then((r) => (r.ok ? r.json() : null));

let timer = 0;
async function refresh() {
  clearTimeout(timer);
  try {
    const [a, i, o, c] = await Promise.all([json("/api/assessments"), json("/api/incidents"), json("/api/alarms?state=open&limit=1000"), json("/api/alarms?state=cleared&limit=500")]);
    if (a) assessments = a;
    if (i) incidents = i;
    if (o) open = o;
    if (c) cleared = c;
    schedule();
  } catch { /* shown by the connection indicator; retried below */ }
  timer = setTimeout(refresh, 30000);
}

// Alarm changes arrive on the live feed; a burst of them (an incident) makes one refetch.
let alarmTimer = 0;
document.addEventListener("somnis:source", (e) => {
  e.detail.addEventListener("alarm", () => { clearTimeout(alarmTimer); alarmTimer = setTimeout(refresh, 500); });
});

Somnis.user();
Somnis.layout().then(() => Somnis.live({ onBed: (b) => { beds.set(b.id, b); schedule(); }, onOpen: () => refresh() }));
