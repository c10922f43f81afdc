// The facility console (index.html): a tile per bed grouped by ward, kept live by server-sent events (/api/events),
// with the alarm list and sound (alarms.js). Updates are batched: events only mark beds dirty; one animation frame
// renders the changed tiles.
import * as Somnis from "./common.js";
import { h, setText } from "./dom.js";
import { attach, createTile, drawSparkline, renderBed } from "./tile.js";
import * as Alarms from "./alarms.js";

const tiles = new Map();
const beds = new Map();
const wards = new Map();
const pending = new Map();
const wardsRoot = document.getElementById("wards");
attach(wardsRoot);
let layout = { timeZone: "UTC", defaultWard: "Beds", wards: [] };
let frame = 0;

function wardGrid(name) {
  let ward = wards.get(name);
  if (!ward) {
    const grid = h("div", { class: "beds" });
    const section = h("section", { class: "ward", "aria-label": name, dataset: { ward: name } }, h("h2", { class: "ward-name" }, name), grid);
    // Wards in configured order, the default ward last.
    const order = [...layout.wards.map((w) => w.name), layout.defaultWard];
    const after = [...wards.keys()].filter((n) => order.indexOf(n) > order.indexOf(name)).sort((a, b) => order.indexOf(a) - order.indexOf(b))[0];
    wardsRoot.insertBefore(section, after ? wards.get(after).section : null);
    ward = { section, grid, ids: [] };
    wards.set(name, ward);
  }
  return ward;
}

/** A bed's tile, inserted once in id order within its ward (never re-sorted). */
function tileOf(id) {
  let tile = tiles.get(id);
  if (tile) return tile;
  tile = createTile(id);
  const ward = wardGrid(Somnis.wardOf(layout, id));
  let after = null;
  for (const other of ward.ids) if (other > id && (after === null || other < after)) after = other;
  ward.ids.push(id);
  ward.grid.insertBefore(tile, after ? tiles.get(after) : null);
  tiles.set(id, tile);
  Alarms.tileAdded(id, tile);
  return tile;
}

function summarise() {
  let live = 0;
  for (const b of beds.values()) if (b.online && !b.stale) live++;
  setText(document.getElementById("summary"), `${beds.size} beds · ${live} live · ${beds.size - live} offline or stale`);
}

function flush() {
  frame = 0;
  for (const bed of pending.values()) {
    renderBed(tileOf(bed.id), bed);
    beds.set(bed.id, bed);
  }
  pending.clear();
  summarise();
}

function enqueue(bed) {
  // A bed state that does not say who is admitted (the live feed may not) keeps the sleeper known from /api/beds.
  const before = pending.get(bed.id) ?? beds.get(bed.id);
  if (bed.sleeper === undefined && before?.sleeper !== undefined) bed = { ...bed, sleeper: before.sleeper };
  pending.set(bed.id, bed);
  // Hidden tabs get no animation frames; a timer keeps them current (at a lower rate) instead.
  if (!frame) frame = document.hidden ? setTimeout(flush, 250) : requestAnimationFrame(flush);
}

let sparkTimer = 0;
async function refreshSparklines() {
  clearTimeout(sparkTimer);
  try {
    const r = await fetch("/api/sparklines");
    if (r.ok) for (const s of await r.json()) if (tiles.has(s.bed)) drawSparkline(tiles.get(s.bed), s);
  } catch { /* the connection indicator shows the outage; the next round retries */ }
  sparkTimer = setTimeout(refreshSparklines, 20000);
}

Somnis.me().then((user) => Alarms.signedIn(user));
// Every bed in one compressed response for the first frame; the live feed then sends them again and every change.
const initial = fetch("/api/beds").then((r) => (r.ok ? r.json() : [])).catch(() => []);
Somnis.layout().then(async (l) => {
  layout = l;
  Somnis.on("bed", enqueue);
  Somnis.onOpen(() => refreshSparklines());
  Alarms.listen();
  Somnis.connect();
  // A bed the live feed brought first still takes its sleeper from /api/beds when the feed does not say who is admitted.
  (await initial).forEach((b) => {
    const known = pending.get(b.id) ?? beds.get(b.id);
    if (!known) enqueue(b);
    else if (known.sleeper === undefined && b.sleeper !== undefined) enqueue({ ...known, sleeper: b.sleeper });
  });
});
