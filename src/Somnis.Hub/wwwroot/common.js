// Shared by every dashboard page: facility time zone and layout, time formatting, the live connection with its
// visible "connection lost" state, and the signed-in user. No framework, no CDN.
"use strict";

const Somnis = (() => {
  let layoutPromise = null;
  let zone = "UTC";
  const formats = new Map();

  /** The facility's time zone and wards (GET /api/layout); cached for the page's life. */
  function layout() {
    layoutPromise ??= fetch("/api/layout")
      .then((r) => (r.ok ? r.json() : { timeZone: "UTC", defaultWard: "Beds", wards: [] }))
      .then((l) => { zone = l.timeZone; document.querySelectorAll("[data-time-zone]").forEach((e) => { e.textContent = l.timeZone; }); return l; });
    return layoutPromise;
  }

  /** The ward a bed is shown in: the first ward listing it (exact id or prefix*), else the default ward. Same rule as the hub. */
  function wardOf(l, bed) {
    for (const w of l.wards) {
      if (w.beds.some((p) => (p.endsWith("*") ? bed.startsWith(p.slice(0, -1)) : p === bed))) return w.name;
    }
    return l.defaultWard;
  }

  /** Formats an instant in the facility's zone (never the browser's): kind = "time" | "datetime" | "date". */
  function fmt(instant, kind = "time") {
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
  function nightOf(instant) {
    // Local wall-clock fields, then the calendar arithmetic on the date alone (DST-safe, like the hub's NightCalendar).
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit" })
      .formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
    const d = new Date(Date.UTC(+parts.year, +parts.month - 1, +parts.day));
    if (+parts.hour < 12) d.setUTCDate(d.getUTCDate() - 1);
    return d.toISOString().slice(0, 10);
  }

  function num(value, digits = 0) {
    return value === null || value === undefined || Number.isNaN(value) ? "–" : Number(value).toFixed(digits);
  }

  const connection = () => document.getElementById("connection");

  function setConnection(state, text) {
    const c = connection();
    if (!c) return;
    c.dataset.state = state;
    c.textContent = text;
    document.body.dataset.connection = state;
  }

  /**
   * Opens the live feed (/api/events) and keeps it open: EventSource retries by itself while the hub is away; if
   * the browser gives up (the hub answered with an error) we check the session and open a new one. onOpen runs on
   * every (re)connection, so a page refetches what it may have missed while the hub was down.
   */
  function live({ onBed, onOpen }) {
    let source = null;
    let lost = false;
    function connect() {
      source = new EventSource("/api/events");
      // Other parts of a page (alarms.js) listen on the same stream.
      document.dispatchEvent(new CustomEvent("somnis:source", { detail: source }));
      source.addEventListener("open", () => {
        setConnection("live", "Live");
        if (onOpen) onOpen(lost);
        lost = false;
      });
      if (onBed) source.addEventListener("bed", (e) => onBed(JSON.parse(e.data)));
      source.addEventListener("error", () => {
        lost = true;
        setConnection("lost", "Connection lost — reconnecting…");
        if (source.readyState === EventSource.CLOSED) {
          setTimeout(async () => {
            const me = await fetch("/api/me").catch(() => null);
            if (me && me.status === 401) { location.href = "/login?ReturnUrl=" + encodeURIComponent(location.pathname + location.search); return; }
            connect();
          }, 2000);
        }
      });
    }
    connect();
  }

  function user() {
    fetch("/api/me").then((r) => (r.ok ? r.json() : null)).then((me) => {
      const u = document.getElementById("user");
      if (me && u) u.textContent = `${me.name} (${me.role})`;
    }).catch(() => {});
  }

  return { layout, wardOf, fmt, nightOf, num, live, user, setConnection, get zone() { return zone; } };
})();
