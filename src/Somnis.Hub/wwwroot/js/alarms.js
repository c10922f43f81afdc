// The console's alarms: the live feed's "alarm", "interlock" and "ready" events drawn as each bed's highest alarm on
// its tile, the alarm list with acknowledge / shelve / unshelve / comment / assign, the incident banner and the
// Architect controls (supervisors), and a cue from audio.js when the hub says a new alarm sounds.
// Roles follow the API (docs/alarms.md, "API"): shelving or unshelving a high-priority alarm and commanding the
// Architect are for supervisors; a technician sees those controls disabled or absent (the API answers 403 anyway).
import * as Somnis from "./common.js";
import { button, h } from "./dom.js";
import { renderAlarm, renderInterlock } from "./tile.js";
import * as V from "./vocabulary.js";
import * as Audio from "./audio.js";
import { act, ask } from "./alarm-dialog.js";

const alarms = new Map();
const interlocks = new Map();
const tiles = new Map();
// id -> announcedAt of every alarm seen, kept across reconnections: a cue is for an annunciation not seen before.
const announced = new Map();
// The page's first snapshot (every open alarm, sent on connect) never sounds: only what happens after it.
let heardSnapshot = false;
let supervisor = false;

// Rendering is batched like the tiles' (console.js): events mark beds (or the list) dirty, one frame draws them. A
// snapshot of many alarms, or an incident raising many at once, costs one redraw instead of one per alarm.
const dirtyBeds = new Set();
let allDirty = false;
let listDirty = false;
let frame = 0;

/** bed: a tile to redraw; null: every tile and the list; undefined: the list only. */
function schedule(bed) {
  if (bed === null) { allDirty = true; listDirty = true; } else if (bed === undefined) listDirty = true; else dirtyBeds.add(bed);
  if (!frame) frame = document.hidden ? setTimeout(flush, 250) : requestAnimationFrame(flush);
}

function flush() {
  frame = 0;
  if (allDirty) for (const id of tiles.keys()) dirtyBeds.add(id);
  dirtyBeds.forEach(renderTile);
  dirtyBeds.clear();
  allDirty = false;
  if (listDirty) { renderList(); renderBanner(); }
  listDirty = false;
}

/** The signed-in user decides which controls are offered (console.js passes /api/me's answer). */
export function signedIn(user) {
  supervisor = !!user && user.role === "supervisor";
  document.body.dataset.role = user ? user.role : "";
  schedule(null);
}

/** A tile was created (its bed first appeared): draw its alarm and Architect controls. */
export function tileAdded(id, tile) {
  tiles.set(id, tile);
  schedule(id);
}

function heard(a) {
  const before = announced.get(a.id);
  if (a.state === "cleared") announced.delete(a.id); else announced.set(a.id, a.announcedAt);
  // New (raised, re-raised, re-alarmed, unshelved): announcedAt moved on since we last saw this alarm. Whether it
  // sounds at all is the hub's decision (`sounding`: high priority, annunciated, active, unacknowledged).
  if (heardSnapshot && a.sounding && before !== a.announcedAt) Audio.cue(a.id);
}

/** Registers on the live feed (before Somnis.connect()). */
export function listen() {
  Audio.setPending(() => [...alarms.values()].some((a) => a.sounding));
  // A new connection sends every open alarm again: start from that snapshot.
  Somnis.onOpen(() => { alarms.clear(); schedule(null); });
  Somnis.on("ready", () => { heardSnapshot = true; document.body.dataset.alarmsReady = "true"; });
  Somnis.on("alarm", (a) => {
    heard(a);
    const before = alarms.get(a.id);
    if (a.state === "cleared") alarms.delete(a.id); else alarms.set(a.id, a);
    // The tile of its bed, and the list (a facility alarm is on the list and the banner only).
    if (a.bed) schedule(a.bed);
    if (before && before.bed && before.bed !== a.bed) schedule(before.bed);
    schedule(undefined);
  });
  Somnis.on("interlock", (v) => {
    interlocks.set(v.bed, v);
    schedule(v.bed);
  });
}

function renderTile(bed) {
  const tile = tiles.get(bed);
  if (!tile) return;
  renderAlarm(tile, [...alarms.values()].filter((a) => a.bed === bed && V.marksTile(a)).sort(V.byPriority)[0] ?? null);
  renderInterlock(tile, interlocks.get(bed), supervisor, (pause) => ask(pause ? "architect-pause" : "architect-resume", { bed }));
}

function renderList() {
  const list = document.getElementById("alarm-list");
  // Keep keyboard focus on the same control across a re-render (alarm events arrive while someone is tabbing).
  const item = document.activeElement?.closest?.("#alarm-list [data-alarm-id]");
  const focused = item ? [item.dataset.alarmId, document.activeElement.dataset.action] : null;
  const open = [...alarms.values()].filter((a) => a.state !== "cleared");
  const top = open.filter((a) => !a.parentId || !alarms.has(a.parentId)).sort(V.byPriority);
  list.replaceChildren(...top.map((a) => listItem(a, open.filter((c) => c.parentId === a.id).sort(V.byPriority))));
  if (focused) list.querySelector(`[data-alarm-id="${CSS.escape(focused[0])}"] > [data-action="${CSS.escape(focused[1] ?? "")}"]`)?.focus();
  // Grouped alarms are counted with their incident, as one.
  document.getElementById("alarm-count").textContent = `(${top.filter((a) => a.state === "active-unacknowledged").length} unacknowledged, ${top.length} open)`;
}

const escalation = (a) => (a.escalation === 2 ? " · ESCALATED" : a.escalation === 1 ? " · re-notified" : "");

function listItem(a, children) {
  const meta = [`${a.summary} · raised ${Somnis.fmt(a.raisedAt)}`];
  if (a.ackedBy) meta.push(`✓ ack ${a.ackedBy} ${Somnis.fmt(a.ackedAt)}`);
  if (a.shelvedBy) meta.push(`shelved by ${a.shelvedBy} until ${Somnis.fmt(a.shelvedUntil)}: ${a.shelveReason}`);
  if (a.assignedTo) meta.push("assigned " + a.assignedTo);
  const li = h("li", { class: "alarm", dataset: { alarmId: a.id, priority: a.priority, state: a.state, class: a.class, type: a.type } },
    h("div", { class: "alarm-title" }, `${V.alarmLabel(a)} — ${V.words(a.state)}${escalation(a)}${a.chattering ? " · chattering" : ""}`),
    h("div", { class: "alarm-meta" }, meta.join(" · ")));
  if (!a.acknowledged) li.append(button("✓ Acknowledge", "ack", (e) => acknowledge(a, e.currentTarget)));
  // Shelving some alarms (high priority) is for supervisors: the hub says which; it answers 403 to a technician anyway.
  const restricted = a.shelvingNeedsSupervisor && !supervisor ? "Only a supervisor may do this for a high-priority alarm" : null;
  if (a.shelvedUntil) li.append(button("Unshelve", "unshelve", () => act(a.id, "unshelve"), restricted));
  else li.append(button(restricted ? "Shelve… (supervisor)" : "Shelve…", "shelve", () => ask("shelve", a), restricted));
  li.append(button("Comment…", "comment", () => ask("comment", a)), button("Assign…", "assign", () => ask("assign", a)));
  if (children.length) li.append(h("ul", null, children.map((c) => listItem(c, []))));
  return li;
}

function renderBanner() {
  const banner = document.getElementById("incident-banner");
  const incidents = [...alarms.values()].filter((a) => a.type === "facility-incident" && a.active);
  banner.hidden = incidents.length === 0;
  banner.textContent = incidents.map((i) => {
    const grouped = [...alarms.values()].filter((a) => a.parentId === i.id).length;
    return `⚠ Facility incident (${i.facility}): ${i.summary} — ${grouped} bed alarm(s) grouped`;
  }).join(" | ");
}

async function acknowledge(a, b) {
  b.disabled = true;
  b.textContent = "Acknowledging…";
  if (await act(a.id, "ack", { comment: null })) { b.disabled = false; b.textContent = "✓ Acknowledge"; }
}
