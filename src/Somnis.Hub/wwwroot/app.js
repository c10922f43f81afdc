// Somnis dashboard: bed tiles kept live by server-sent events (/api/events). No framework, no CDN.
"use strict";

const tiles = new Map();
const beds = new Map();
const grid = document.getElementById("beds");
const template = document.getElementById("bed-template");
const connection = document.getElementById("connection");

function fmt(value, digits) {
  return value === null || value === undefined ? "–" : Number(value).toFixed(digits);
}

function availability(bed) {
  if (!bed.online) return ["offline", "⛔ Offline"];
  if (bed.stale) return ["stale", "⚠ No data"];
  return ["online", "● Live"];
}

function render(bed) {
  let tile = tiles.get(bed.id);
  if (!tile) {
    tile = template.content.firstElementChild.cloneNode(true);
    tile.dataset.bedId = bed.id;
    tile.querySelector(".bed-name").textContent = bed.id;
    tiles.set(bed.id, tile);
    const after = [...tiles.keys()].sort().find((id) => id > bed.id);
    grid.insertBefore(tile, after ? tiles.get(after) : null);
  }
  const [avail, availText] = availability(bed);
  tile.dataset.availability = avail;
  tile.querySelector(".availability").textContent = availText;
  const state = avail === "online" ? bed.state : "unknown";
  const stateBadge = tile.querySelector(".state");
  stateBadge.dataset.state = state;
  stateBadge.textContent = state.replaceAll("-", " ");
  tile.querySelector(".hr").textContent = avail === "online" ? fmt(bed.heartRate, 0) : "–";
  tile.querySelector(".rr").textContent = avail === "online" ? fmt(bed.respirationRate, 0) : "–";
  tile.querySelector(".architect").textContent = bed.interlockEngaged ? "⏸ paused" : bed.architectStimulating ? "✦ stimulating" : "idle";
  const faulty = (bed.sensors || []).filter((s) => !s.healthy);
  const sensors = tile.querySelector(".sensors");
  sensors.textContent = faulty.length ? "⚠ " + faulty.map((s) => `${s.name}: ${s.reason}`).join(", ") : "ok";
  sensors.classList.toggle("fault", faulty.length > 0);
  tile.dataset.sensorFault = String(faulty.length > 0);
  tile.querySelector(".scenario").textContent = bed.simulation ? `sim: ${bed.simulation.scenario}` : "";
  tile.setAttribute("aria-label", `${bed.id}: ${availText}, ${state}, heart rate ${fmt(bed.heartRate, 0)}`);
  beds.set(bed.id, bed);
}

function summarise() {
  const all = [...beds.values()];
  const online = all.filter((b) => b.online && !b.stale).length;
  document.getElementById("summary").textContent = `${all.length} beds · ${online} live · ${all.length - online} offline or stale`;
}

function setConnection(state, text) {
  connection.dataset.state = state;
  connection.textContent = text;
}

function connect() {
  // EventSource reconnects by itself; the server sends every bed again on each new connection.
  const source = new EventSource("/api/events");
  // Other dashboard parts (alarms.js) listen on the same stream.
  document.dispatchEvent(new CustomEvent("somnis:source", { detail: source }));
  source.addEventListener("open", () => setConnection("live", "Live"));
  source.addEventListener("bed", (e) => { render(JSON.parse(e.data)); summarise(); });
  source.addEventListener("error", () => {
    setConnection("lost", "Connection lost — reconnecting…");
    if (source.readyState === EventSource.CLOSED) {
      // Closed for good (e.g. signed out): check the session and retry.
      setTimeout(async () => {
        const me = await fetch("/api/me").catch(() => null);
        if (me && me.status === 401) { location.href = "/login?ReturnUrl=/"; return; }
        connect();
      }, 2000);
    }
  });
}

fetch("/api/me").then((r) => (r.ok ? r.json() : null)).then((me) => {
  if (me) document.getElementById("user").textContent = `${me.name} (${me.role})`;
});
connect();
