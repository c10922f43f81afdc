// Somnis dashboard: alarms. Listens on the dashboard's event stream ("alarm", "interlock", "ready" events), shows the
// highest active alarm on each bed tile, an alarm list with acknowledge / shelve / unshelve / comment / assign, the
// incident banner, (supervisors) pause / resume of a bed's Architect with requested vs confirmed state, and asks
// audio.js for a cue when a high-priority alarm is newly annunciated.
// Roles follow the API (docs/alarms.md, "API"): shelving or unshelving a high-priority alarm and commanding the
// Architect are for supervisors; a technician sees those controls disabled or absent (the API answers 403 anyway).
"use strict";

(() => {
  const alarms = new Map();
  const interlocks = new Map();
  // id -> announcedAt of every alarm seen, kept across reconnections: a cue is for an annunciation not seen before.
  const announced = new Map();
  // The page's first snapshot (every open alarm, sent on connect) never sounds: only what happens after it.
  let heardSnapshot = false;
  const rank = { high: 3, medium: 2, low: 1 };
  const icon = { high: "▲▲▲", medium: "▲▲", low: "▲" };
  let supervisor = false;
  const dialog = document.getElementById("alarm-dialog");
  const statusLine = document.getElementById("alarm-status");

  fetch("/api/me").then((r) => (r.ok ? r.json() : null)).then((me) => {
    supervisor = !!me && me.role === "supervisor";
    document.body.dataset.role = me ? me.role : "";
    schedule(null);
  });

  // Rendering is batched like the tiles' (app.js): events mark beds (or the list) dirty, one frame draws them. A
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
    if (allDirty) document.querySelectorAll("article[data-bed-id]").forEach((t) => dirtyBeds.add(t.dataset.bedId));
    dirtyBeds.forEach(renderTile);
    dirtyBeds.clear();
    allDirty = false;
    if (listDirty) { renderList(); renderBanner(); }
    listDirty = false;
  }

  /** Sounding per IEC 60601-1-8: a high-priority alarm, shown on its own (not grouped, shelved or suppressed), unacknowledged. */
  const sounding = (a) => a.priority === "high" && a.active && !a.acknowledged && !a.closed && !a.suppressed && !a.shelvedUntil && !a.parentId;

  if (typeof SomnisAudio !== "undefined") SomnisAudio.setPending(() => [...alarms.values()].some(sounding));

  function heard(a) {
    const before = announced.get(a.id);
    if (a.state === "cleared") announced.delete(a.id); else announced.set(a.id, a.announcedAt);
    // New (raised, re-raised, re-alarmed, unshelved): announcedAt moved on since we last saw this alarm.
    if (heardSnapshot && sounding(a) && before !== a.announcedAt && typeof SomnisAudio !== "undefined") SomnisAudio.cue(a.id);
  }

  document.addEventListener("somnis:source", (e) => {
    const source = e.detail;
    // A new connection sends every open alarm again: start from that snapshot.
    source.addEventListener("open", () => { alarms.clear(); schedule(null); });
    source.addEventListener("ready", () => { heardSnapshot = true; document.body.dataset.alarmsReady = "true"; });
    source.addEventListener("alarm", (m) => {
      const a = JSON.parse(m.data);
      heard(a);
      const before = alarms.get(a.id);
      if (a.state === "cleared") alarms.delete(a.id); else alarms.set(a.id, a);
      // The tile of its bed, and the list (a facility alarm is on the list and the banner only).
      if (a.bed) schedule(a.bed);
      if (before && before.bed && before.bed !== a.bed) schedule(before.bed);
      schedule(undefined);
    });
    source.addEventListener("interlock", (m) => {
      const v = JSON.parse(m.data);
      interlocks.set(v.bed, v);
      schedule(v.bed);
    });
  });
  // Tiles are created by app.js when their bed first appears: decorate them then.
  document.addEventListener("somnis:tile", (e) => schedule(e.detail));

  const label = (a) => `${icon[a.priority] || ""} ${a.type.replaceAll("-", " ")}${a.bed ? " · " + a.bed : ""}`;
  const visible = (a) => a.state !== "cleared";
  const byPriority = (x, y) => (rank[y.priority] - rank[x.priority]) || (y.raisedAt > x.raisedAt ? 1 : -1);
  const needsSupervisor = (a) => a.priority === "high" && !supervisor;

  function renderTile(bed) {
    const tile = document.querySelector(`article[data-bed-id="${CSS.escape(bed)}"]`);
    if (!tile) return;
    const el = tile.querySelector(".tile-alarm");
    const top = [...alarms.values()].filter((a) => a.bed === bed && a.active && a.state !== "shelved" && a.state !== "suppressed").sort(byPriority)[0];
    if (top) {
      el.hidden = false;
      el.dataset.priority = top.priority;
      el.dataset.alarmId = top.id;
      el.textContent = `${label(top)}${top.parentId ? " (incident)" : ""}`;
      el.title = top.summary;
      tile.dataset.alarm = top.type;
    } else {
      el.hidden = true;
      delete el.dataset.alarmId;
      delete tile.dataset.alarm;
    }
    const v = interlocks.get(bed);
    const il = tile.querySelector(".interlock");
    il.replaceChildren();
    if (v && v.requested !== null) {
      il.hidden = false;
      il.dataset.pending = String(v.pending);
      il.append(`Architect: ${v.requested ? "pause" : "resume"} requested by ${v.requestedBy} · ${v.pending ? "awaiting edge…" : "confirmed"} (edge: ${v.confirmed ? "paused" : "running"})`);
    } else {
      il.hidden = !supervisor;
    }
    // Commanding the Architect is for supervisors only: technicians get no control at all.
    if (supervisor) {
      const paused = v ? (v.requested ?? v.confirmed) : false;
      il.append(" ", button(paused ? "▶ Resume Architect" : "⏸ Pause Architect", paused ? "architect-resume" : "architect-pause", () => architect(bed, !paused)));
    }
  }

  function renderList() {
    const list = document.getElementById("alarm-list");
    // Keep keyboard focus on the same control across a re-render (alarm events arrive while someone is tabbing).
    const focused = document.activeElement?.closest?.("#alarm-list [data-alarm-id]") ? [document.activeElement.closest("[data-alarm-id]").dataset.alarmId, document.activeElement.dataset.action] : null;
    const open = [...alarms.values()].filter(visible);
    const top = open.filter((a) => !a.parentId || !alarms.has(a.parentId)).sort(byPriority);
    list.replaceChildren(...top.map((a) => item(a, open.filter((c) => c.parentId === a.id).sort(byPriority))));
    if (focused) list.querySelector(`[data-alarm-id="${CSS.escape(focused[0])}"] > [data-action="${focused[1]}"]`)?.focus();
    // Grouped alarms are counted with their incident, as one.
    document.getElementById("alarm-count").textContent = `(${top.filter((a) => a.state === "active-unacknowledged").length} unacknowledged, ${top.length} open)`;
  }

  function item(a, children) {
    const li = document.createElement("li");
    li.className = "alarm";
    Object.assign(li.dataset, { alarmId: a.id, priority: a.priority, state: a.state, class: a.class, type: a.type });
    const title = document.createElement("div");
    title.className = "alarm-title";
    title.textContent = `${label(a)} — ${a.state.replaceAll("-", " ")}${a.escalation === 2 ? " · ESCALATED" : a.escalation === 1 ? " · re-notified" : ""}${a.chattering ? " · chattering" : ""}`;
    const meta = document.createElement("div");
    meta.className = "alarm-meta";
    meta.textContent = `${a.summary} · raised ${Somnis.fmt(a.raisedAt)}${a.ackedBy ? ` · ✓ ack ${a.ackedBy} ${Somnis.fmt(a.ackedAt)}` : ""}${a.shelvedBy ? ` · shelved by ${a.shelvedBy} until ${Somnis.fmt(a.shelvedUntil)}: ${a.shelveReason}` : ""}${a.assignedTo ? " · assigned " + a.assignedTo : ""}`;
    li.append(title, meta);
    if (!a.acknowledged) li.append(button("✓ Acknowledge", "ack", (e) => acknowledge(a, e.currentTarget)));
    const restricted = needsSupervisor(a);
    if (a.shelvedUntil) li.append(button("Unshelve", "unshelve", () => act(a.id, "unshelve"), restricted));
    else li.append(button(restricted ? "Shelve… (supervisor)" : "Shelve…", "shelve", () => ask("shelve", a), restricted));
    li.append(button("Comment…", "comment", () => ask("comment", a)));
    li.append(button("Assign…", "assign", () => ask("assign", a)));
    if (children.length) {
      const ul = document.createElement("ul");
      ul.append(...children.map((c) => item(c, [])));
      li.append(ul);
    }
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

  function button(text, action, onClick, supervisorOnly = false) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.dataset.action = action;
    if (supervisorOnly) {
      b.disabled = true;
      b.title = "Only a supervisor may do this for a high-priority alarm";
    } else {
      b.addEventListener("click", onClick);
    }
    return b;
  }

  function say(text) {
    statusLine.textContent = text;
    statusLine.hidden = !text;
  }

  async function post(url, body) {
    const r = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body ?? {}) }).catch(() => null);
    if (r && r.ok) return null;
    const problem = r ? await r.json().catch(() => null) : null;
    return (problem && problem.detail) || (r ? `Failed: HTTP ${r.status}` : "Failed: the hub did not answer");
  }

  async function act(id, action, body) {
    const error = await post(`/api/alarms/${encodeURIComponent(id)}/${action}`, body);
    say(error ?? "");
    return error;
  }

  async function acknowledge(a, b) {
    b.disabled = true;
    b.textContent = "Acknowledging…";
    if (await act(a.id, "ack", { comment: null })) { b.disabled = false; b.textContent = "✓ Acknowledge"; }
  }

  // One dialog for every action that needs words: which fields it shows, and what it posts.
  const FORMS = {
    shelve: { title: "Shelve alarm", fields: ["reason", "minutes"], required: ["reason"], ok: "Shelve", post: (a, f) => [`/api/alarms/${encodeURIComponent(a.id)}/shelve`, { reason: f.reason, minutes: Number(f.minutes) }] },
    comment: { title: "Comment on alarm", fields: ["text"], required: ["text"], ok: "Add comment", post: (a, f) => [`/api/alarms/${encodeURIComponent(a.id)}/comment`, { text: f.text }] },
    assign: { title: "Assign alarm", fields: ["to"], required: ["to"], ok: "Assign", post: (a, f) => [`/api/alarms/${encodeURIComponent(a.id)}/assign`, { to: f.to }] },
    "architect-pause": { title: "Pause the Architect", fields: ["reason"], required: [], ok: "Pause Architect", post: (b, f) => [`/api/beds/${encodeURIComponent(b.bed)}/architect/pause`, { reason: f.reason || null }] },
    "architect-resume": { title: "Resume the Architect", fields: ["reason"], required: [], ok: "Resume Architect", post: (b, f) => [`/api/beds/${encodeURIComponent(b.bed)}/architect/resume`, { reason: f.reason || null }] },
  };

  function ask(kind, target) {
    const form = FORMS[kind];
    const el = dialog.querySelector("form");
    el.reset();
    dialog.dataset.kind = kind;
    dialog.querySelector("#alarm-dialog-title").textContent = form.title;
    dialog.querySelector(".alarm-dialog-what").textContent = target.type ? `${label(target)}: ${target.summary}` : target.bed;
    for (const field of dialog.querySelectorAll("[data-field]")) {
      const name = field.dataset.field;
      const shown = form.fields.includes(name);
      field.hidden = !shown;
      const input = field.querySelector("input, select, textarea");
      input.disabled = !shown;
      input.required = form.required.includes(name);
    }
    dialog.querySelector("button[value=ok]").textContent = form.ok;
    dialog.querySelector(".alarm-dialog-error").hidden = true;
    dialog.onsubmit = async (e) => {
      if (e.submitter && e.submitter.value === "cancel") return;
      e.preventDefault();
      const values = Object.fromEntries(new FormData(el));
      const error = await post(...form.post(target, values));
      if (error) {
        const p = dialog.querySelector(".alarm-dialog-error");
        p.textContent = error;
        p.hidden = false;
        return;
      }
      dialog.close();
    };
    dialog.showModal();
    dialog.querySelector("[data-field]:not([hidden]) input, [data-field]:not([hidden]) textarea, [data-field]:not([hidden]) select")?.focus();
  }

  function architect(bed, pause) {
    ask(pause ? "architect-pause" : "architect-resume", { bed });
  }
})();
