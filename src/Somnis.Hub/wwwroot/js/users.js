// Users: every signed-in user changes their own password here; a supervisor also sees the hub's users, adds one,
// changes a role or removes one (docs/protocol.md, "Users"). The hub ends a removed or changed user's sessions itself;
// when that ends this page's own session (a supervisor who removed or demoted themselves), the next request goes to
// the sign-in page.
import * as Somnis from "./common.js";
import { button, h } from "./dom.js";

const ROLES = ["technician", "supervisor"];
const manage = document.getElementById("manage");
const rows = document.querySelector("#users tbody");
const usersStatus = document.getElementById("users-status");

/** Sends a request (JSON body if given): { ok, status, data } or { ok: false, status, problem } with the hub's reason. */
async function send(method, url, body) {
  const init = body === undefined ? { method } : { method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const r = await fetch(url, init).catch(() => null);
  if (!r) return { ok: false, status: 0, problem: "the hub did not answer" };
  if (r.status === 401) {
    location.href = "/login?ReturnUrl=" + encodeURIComponent("/users.html");
    return { ok: false, status: 401, problem: "your session has ended" };
  }
  if (r.ok) return { ok: true, status: r.status, data: r.status === 204 ? null : await r.json().catch(() => null) };
  const problem = await r.json().catch(() => null);
  return { ok: false, status: r.status, problem: (problem && problem.detail) || `HTTP ${r.status}` };
}

/** Shows a result under a form (or above the list): text, marked as an error or not; empty text hides it. */
function say(el, text, error = false) {
  el.textContent = text;
  el.hidden = !text;
  el.classList.toggle("alarm-error", error);
  el.dataset.state = error ? "error" : "done";
}

function row(user) {
  const role = h("select", { "aria-label": `Role of ${user.name}` },
    ROLES.map((r) => h("option", { value: r, selected: r === user.role }, r)));
  const saveRole = button("Change role", "role", async () => {
    const r = await send("PUT", `/api/users/${encodeURIComponent(user.name)}/role`, { role: role.value });
    say(usersStatus, r.ok ? "" : `Role of ${user.name} not changed: ${r.problem}`, !r.ok);
    await load();
  });
  const remove = button("Remove", "remove", async () => {
    if (!confirm(`Remove ${user.name}? Their sessions end at once.`)) return;
    const r = await send("DELETE", `/api/users/${encodeURIComponent(user.name)}`);
    say(usersStatus, r.ok ? "" : `${user.name} not removed: ${r.problem}`, !r.ok);
    await load();
  });
  return h("tr", { dataset: { user: user.name, role: user.role } },
    h("td", null, user.name),
    h("td", null, role, " ", saveRole),
    h("td", null, Somnis.fmt(user.createdAt, "datetime")),
    h("td", null, user.createdBy),
    h("td", null, remove));
}

async function load() {
  const r = await send("GET", "/api/users");
  if (!r.ok) {
    if (r.status !== 401) say(usersStatus, `Cannot list the users: ${r.problem}`, true);
    return;
  }
  rows.replaceChildren(...(r.data.length ? r.data.map(row) : [h("tr", null, h("td", { colspan: 5, class: "empty" }, "No users."))]));
  document.body.dataset.usersLoaded = "true";
}

document.getElementById("add-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  const status = document.getElementById("add-status");
  const user = { name: form.elements.name.value.trim(), role: form.elements.role.value, password: form.elements.password.value };
  const r = await send("POST", "/api/users", user);
  if (r.ok) form.reset();
  say(status, r.ok ? `Added ${user.name} (${user.role}).` : `Not added: ${r.problem}`, !r.ok);
  await load();
});

document.getElementById("password-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.currentTarget;
  const status = document.getElementById("password-status");
  if (form.elements.new.value !== form.elements.repeat.value) {
    say(status, "The new password and its repetition differ: nothing was changed.", true);
    return;
  }
  const r = await send("POST", "/api/users/me/password", { current: form.elements.current.value, new: form.elements.new.value });
  if (r.ok) form.reset();
  say(status, r.ok ? "Password changed. Your other sessions have ended." : `Not changed: ${r.problem}`, !r.ok);
});

const me = await Somnis.me();
await Somnis.layout();
if (me && me.role === "supervisor") {
  manage.hidden = false;
  await load();
} else {
  document.getElementById("not-supervisor").hidden = false;
}
document.body.dataset.ready = "true";
