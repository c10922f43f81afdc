// Shift handover: what the next shift must know. Open, shelved and recently cleared alarms with who did what; beds
// offline, stale, with a sensor fault, an unacknowledged alarm or an active assessment (live); facility incidents.
// Alarms and assessments are refetched on every alarm event (debounced), every 30 s and after a reconnection.
import * as Somnis from "./common.js";
import { emptyItem, h } from "./dom.js";
import * as V from "./vocabulary.js";

const beds = new Map();
let assessments = [];
let incidents = [];
let open = [];
let cleared = [];
let frame = 0;
const RECENT_MS = 12 * 3600e3;

function reasons(bed) {
  const out = [];
  const availability = V.availabilityOf(bed);
  if (availability !== "online") out.push(V.AVAILABILITY[availability]);
  for (const fault of V.faultySensors(bed)) out.push(`⚠ sensor ${fault}`);
  for (const a of open) if (a.bed === bed.id && V.awaitsAcknowledgement(a)) out.push(`🔔 ${V.priorityIcon(a.priority)} ${V.words(a.type)} (${V.words(a.state)})`);
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
  const state = group === "cleared" ? `cleared ${Somnis.fmt(a.clearedAt ?? a.ackedAt, "datetime")}` : V.words(a.state);
  const where = a.bed ? h("a", { href: Somnis.bedUrl(a.bed) }, V.bedWithSleeper(a.bed, a.sleeper)) : `facility ${a.facility}`;
  const cells = [V.alarmWithPriority(a), where, state, Somnis.fmt(a.raisedAt, "datetime"), who(a), a.summary];
  return h("tr", { dataset: { alarmId: a.id, group, state: a.state, priority: a.priority, class: a.class, bedId: a.bed ?? undefined } },
    cells.map((c) => h("td", null, c)));
}

function renderAlarms() {
  const byPriority = V.byPriority;
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
    const rows = list.length ? list.map((a) => alarmRow(a, group)) : [h("tr", null, h("td", { colspan: 6, class: "empty" }, "none"))];
    body.replaceChildren(head, ...rows);
  }
}

function render() {
  frame = 0;
  const rows = [...beds.values()].map((b) => [b, reasons(b)]).filter(([, r]) => r.length).sort(([a], [b]) => (a.id < b.id ? -1 : 1));
  document.getElementById("attention").replaceChildren(...(rows.length
    ? rows.map(([b, r]) => h("li", { dataset: { bedId: b.id } }, h("a", { href: Somnis.bedUrl(b.id) }, V.bedWithSleeper(b.id, b.sleeper)), h("span", { class: "why" }, " — " + r.join(" · "))))
    : [emptyItem(`✓ All ${beds.size} beds live, sensors healthy, no unacknowledged alarms, no active assessments.`)]));
  document.getElementById("incidents").replaceChildren(...(incidents.length
    ? incidents.map((i) => h("li", null, `⚠ ${i.summary} (${Somnis.fmt(i.eventTime, "datetime")})`))
    : [emptyItem("none")]));
  renderAlarms();
  document.getElementById("generated").textContent = `As of ${Somnis.fmt(Date.now(), "datetime")} (${Somnis.timeZone()})`;
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
Somnis.on("alarm", () => { clearTimeout(alarmTimer); alarmTimer = setTimeout(refresh, 500); });
Somnis.on("bed", (b) => { beds.set(b.id, b); schedule(); });
Somnis.onOpen(() => refresh());

Somnis.me();
Somnis.layout().then(() => Somnis.connect());
