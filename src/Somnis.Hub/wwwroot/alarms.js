// Somnis dashboard: alarms. Listens on the dashboard's event stream ("alarm", "interlock" events), shows the highest
// active alarm on each bed tile, an alarm list with acknowledge / shelve / unshelve / comment, the incident banner, and
// (supervisors) pause / resume of a bed's Architect with requested vs confirmed state.
"use strict";

(() => {
  const alarms = new Map();
  const interlocks = new Map();
  const rank = { high: 3, medium: 2, low: 1 };
  const icon = { high: "▲▲▲", medium: "▲▲", low: "▲" };
  let supervisor = false;

  fetch("/api/me").then((r) => (r.ok ? r.json() : null)).then((me) => {
    supervisor = !!me && me.role === "supervisor";
    renderAll();
  });

  document.addEventListener("somnis:source", (e) => {
    const source = e.detail;
    // A new connection sends every open alarm again: start from that snapshot.
    source.addEventListener("open", () => { alarms.clear(); });
    source.addEventListener("alarm", (m) => {
      const a = JSON.parse(m.data);
      if (a.state === "cleared") alarms.delete(a.id); else alarms.set(a.id, a);
      renderAll();
    });
    source.addEventListener("interlock", (m) => {
      const v = JSON.parse(m.data);
      interlocks.set(v.bed, v);
      renderTile(v.bed);
    });
    // Tiles are created by app.js on their first "bed" event: decorate them then.
    source.addEventListener("bed", (m) => renderTile(JSON.parse(m.data).id));
  });

  const label = (a) => `${icon[a.priority] || ""} ${a.type.replaceAll("-", " ")}${a.bed ? " · " + a.bed : ""}`;
  const visible = (a) => a.state !== "cleared";
  const byPriority = (x, y) => (rank[y.priority] - rank[x.priority]) || (y.raisedAt > x.raisedAt ? 1 : -1);

  function renderAll() {
    const beds = new Set([...alarms.values()].map((a) => a.bed).filter(Boolean));
    document.querySelectorAll("[data-bed-id]").forEach((t) => beds.add(t.dataset.bedId));
    beds.forEach(renderTile);
    renderList();
    renderBanner();
  }

  function renderTile(bed) {
    const tile = document.querySelector(`[data-bed-id="${CSS.escape(bed)}"]`);
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
    if (supervisor) {
      const paused = v ? (v.requested ?? v.confirmed) : false;
      il.append(" ", button(paused ? "▶ Resume Architect" : "⏸ Pause Architect", () => architect(bed, !paused)));
    }
  }

  function renderList() {
    const list = document.getElementById("alarm-list");
    const open = [...alarms.values()].filter(visible);
    const top = open.filter((a) => !a.parentId || !alarms.has(a.parentId)).sort(byPriority);
    list.replaceChildren(...top.map((a) => item(a, open.filter((c) => c.parentId === a.id).sort(byPriority))));
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
    meta.textContent = `${a.summary} · raised ${new Date(a.raisedAt).toLocaleTimeString()}${a.ackedBy ? " · ack " + a.ackedBy : ""}${a.shelvedBy ? ` · shelved by ${a.shelvedBy} until ${new Date(a.shelvedUntil).toLocaleTimeString()}: ${a.shelveReason}` : ""}${a.assignedTo ? " · assigned " + a.assignedTo : ""}`;
    li.append(title, meta);
    if (!a.acknowledged) li.append(button("Acknowledge", () => act(a.id, "ack", { comment: null })));
    if (a.shelvedUntil) li.append(button("Unshelve", () => act(a.id, "unshelve")));
    else if (a.priority !== "high" || supervisor) li.append(button("Shelve…", () => shelve(a.id)));
    li.append(button("Comment…", () => { const text = prompt("Comment"); if (text) act(a.id, "comment", { text }); }));
    li.append(button("Assign…", () => { const to = prompt("Assign to (user name)"); if (to) act(a.id, "assign", { to }); }));
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

  function button(text, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
  }

  function shelve(id) {
    const reason = prompt("Reason for shelving (required)");
    if (!reason) return;
    const minutes = Number(prompt("Shelve for how many minutes?", "30"));
    act(id, "shelve", { reason, minutes });
  }

  async function post(url, body) {
    const r = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body ?? {}) });
    if (!r.ok) {
      const problem = await r.json().catch(() => null);
      alert((problem && problem.detail) || `Failed: HTTP ${r.status}`);
    }
  }

  const act = (id, action, body) => post(`/api/alarms/${encodeURIComponent(id)}/${action}`, body);

  function architect(bed, pause) {
    const reason = prompt(`${pause ? "Pause" : "Resume"} the Architect of ${bed}: reason`);
    if (reason === null) return;
    post(`/api/beds/${encodeURIComponent(bed)}/architect/${pause ? "pause" : "resume"}`, { reason: reason || null });
  }
})();
