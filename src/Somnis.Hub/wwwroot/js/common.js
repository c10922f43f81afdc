// Shared by every dashboard page: facility time zone and layout, time formatting, the signed-in user, and the live
// connection with its visible "connection lost" state. No framework, no CDN.

let layoutPromise = null;
let mePromise = null;
let zone = "UTC";
const formats = new Map();

/** The facility's time zone (IANA id) as the pages use it, once layout() has answered. */
export const timeZone = () => zone;

/** The facility's time zone and wards (GET /api/layout); cached for the page's life. */
export function layout() {
  layoutPromise ??= fetch("/api/layout")
    .then((r) => (r.ok ? r.json() : { timeZone: "UTC", defaultWard: "Beds", wards: [] }))
    .then((l) => {
      zone = l.timeZone;
      document.querySelectorAll("[data-time-zone]").forEach((e) => { e.textContent = l.timeZone; });
      return l;
    });
  return layoutPromise;
}

/** The ward a bed is shown in: the first ward listing it (exact id or prefix*), else the default ward. Same rule as the hub. */
export function wardOf(l, bed) {
  for (const w of l.wards) {
    if (w.beds.some((p) => (p.endsWith("*") ? bed.startsWith(p.slice(0, -1)) : p === bed))) return w.name;
  }
  return l.defaultWard;
}

/** Formats an instant in the facility's zone (never the browser's): kind = "time" | "datetime" | "date". */
export function fmt(instant, kind = "time") {
  if (instant === null || instant === undefined) return "–";
  let f = formats.get(kind + zone);
  if (!f) {
    const opts = { timeZone: zone, hourCycle: "h23" };
    if (kind !== "date") Object.assign(opts, { hour: "2-digit", minute: "2-digit" });
    if (kind !== "time") Object.assign(opts, { year: "numeric", month: "2-digit", day: "2-digit" });
    f = new Intl.DateTimeFormat("en-CA", opts);
    formats.set(kind + zone, f);
  }
  return f.format(new Date(instant));
}

/** The facility-local date (yyyy-mm-dd) of the evening a night began (lights-off before noon counts to the day before). */
export function nightOf(instant) {
  // Local wall-clock fields, then the calendar arithmetic on the date alone (DST-safe, like the hub's NightCalendar).
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit" })
    .formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  const d = new Date(Date.UTC(+parts.year, +parts.month - 1, +parts.day));
  if (+parts.hour < 12) d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

/** The hub's reason for refusing a request: the problem's detail when it sent one. */
async function problemOf(r) {
  const problem = await r.json().catch(() => null);
  return (problem && problem.detail) || `Failed: HTTP ${r.status}`;
}

/** GETs JSON: { data }, or { error, status } with the hub's problem in words (status 0: the hub did not answer). */
export async function getJson(url) {
  const r = await fetch(url).catch(() => null);
  if (r && r.ok) return { data: await r.json() };
  return { error: r ? await problemOf(r) : "Failed: the hub did not answer", status: r ? r.status : 0 };
}

/** POSTs JSON; returns null when the hub accepted it, else the error in words (the problem's detail when it sent one). */
export async function post(url, body) {
  const r = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body ?? {}) }).catch(() => null);
  if (r && r.ok) return null;
  return r ? problemOf(r) : "Failed: the hub did not answer";
}

/** Pages of a sleeper and of a bed. */
export const sleeperUrl = (id) => "/sleeper.html?id=" + encodeURIComponent(id);
export const bedUrl = (id) => "/bed.html?id=" + encodeURIComponent(id);

/** A night of record's hypnogram: GET /api/nights/{facility}/{bed}/{start ms} (the night's id, each part escaped). */
export const nightApi = (id) => "/api/nights/" + String(id).split("/").map(encodeURIComponent).join("/");

export function num(value, digits = 0) {
  return value === null || value === undefined || Number.isNaN(value) ? "–" : Number(value).toFixed(digits);
}

/** A ratio 0–1 as a percentage ("86 %"), minutes ("412 min"); "–" for none. */
export const percent = (v) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(0)} %`);
export const minutes = (v) => (v === null || v === undefined ? "–" : `${Number(v).toFixed(0)} min`);

/** The signed-in user ({ name, role }, or null), asked once per page; written into the header's #user. */
export function me() {
  mePromise ??= fetch("/api/me").then((r) => (r.ok ? r.json() : null)).catch(() => null).then((user) => {
    const u = document.getElementById("user");
    if (user && u) u.textContent = `${user.name} (${user.role})`;
    return user;
  });
  return mePromise;
}

function setConnection(state, text) {
  const c = document.getElementById("connection");
  if (c) {
    c.dataset.state = state;
    c.textContent = text;
  }
  document.body.dataset.connection = state;
}

// Handlers per live event type ("bed", "alarm", "interlock", "ready"), and for every (re)connection.
const handlers = new Map();
const openHandlers = [];

/** Calls fn with the parsed data of every live event of this type (register before connect()). */
export function on(type, fn) {
  if (!handlers.has(type)) handlers.set(type, []);
  handlers.get(type).push(fn);
}

/** Calls fn(wasLost) on every (re)connection: a page refetches there what it may have missed while the hub was away. */
export function onOpen(fn) {
  openHandlers.push(fn);
}

// The node that served the last connection (its "connected" event names it). Behind a load balancer a reconnection
// after a failover reaches another hub: the page says so, and its state is fetched again on every (re)connection anyway.
let servedBy = null;

function connected(data) {
  let node = null;
  try { node = JSON.parse(data).node ?? null; } catch { /* an older hub says "hello": it names no node */ }
  if (!node) return;
  if (servedBy !== null && node !== servedBy) showHubChanged(servedBy, node);
  servedBy = node;
  // Also on the page, for whoever checks which node serves it (the browser tests wait for it before a failover).
  document.body.dataset.servedBy = node;
}

/** A dismissable banner at the top of the page: "The hub changed: now served by node B (was A) at HH:MM". */
function showHubChanged(was, now) {
  document.getElementById("hub-changed")?.remove();
  const banner = document.createElement("div");
  banner.id = "hub-changed";
  banner.className = "hub-changed";
  banner.setAttribute("role", "alert");
  const text = document.createElement("span");
  text.textContent = `The hub changed: now served by node ${now} (was ${was}) at ${fmt(new Date().toISOString())}`;
  const close = document.createElement("button");
  close.type = "button";
  close.textContent = "Dismiss";
  close.addEventListener("click", () => banner.remove());
  banner.append(text, close);
  document.body.prepend(banner);
}

/**
 * Opens the live feed (/api/events) and keeps it open: EventSource retries by itself while the hub is away; if
 * the browser gives up (the hub answered with an error) we check the session and open a new one.
 */
export function connect() {
  let lost = false;
  function open() {
    const source = new EventSource("/api/events");
    source.addEventListener("open", () => {
      setConnection("live", "Live");
      for (const fn of openHandlers) fn(lost);
      lost = false;
    });
    source.addEventListener("connected", (m) => connected(m.data));
    for (const [type, fns] of handlers) {
      source.addEventListener(type, (m) => {
        const data = type === "ready" ? null : JSON.parse(m.data);
        for (const fn of fns) fn(data);
      });
    }
    source.addEventListener("error", () => {
      lost = true;
      setConnection("lost", "Connection lost — reconnecting…");
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(async () => {
          const r = await fetch("/api/me").catch(() => null);
          if (r && r.status === 401) { location.href = "/login?ReturnUrl=" + encodeURIComponent(location.pathname + location.search); return; }
          open();
        }, 2000);
      }
    });
  }
  open();
}
