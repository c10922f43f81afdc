// Sleepers and their beds (sleepers.html): the list with each one's program and bed, and the forms behind the API
// (docs/protocol.md, "Sleepers, nights and the study"): admit to a bed or transfer, discharge (anyone signed in:
// bedside work), create a sleeper and change a program (supervisors; a technician sees those forms disabled, and the
// API answers 403 anyway). Whatever the hub refuses is shown in its own words, next to the form that asked.
import * as Somnis from "./common.js";
import { button, h } from "./dom.js";
import * as V from "./vocabulary.js";

const el = (id) => document.getElementById(id);
let sleepers = [];
let beds = [];

function done(text) {
  el("done").textContent = text;
}

function fail(target, text) {
  target.textContent = text ?? "";
  target.hidden = !text;
}

const nameOf = (id) => sleepers.find((s) => s.id === id)?.name ?? id;
const bedApi = (facility, bed, action) => `/api/beds/${encodeURIComponent(bed)}/${action}?facility=${encodeURIComponent(facility)}`;

async function load() {
  const [list, b] = await Promise.all([Somnis.getJson("/api/sleepers"), Somnis.getJson("/api/beds")]);
  fail(el("list-error"), list.error);
  if (list.error) return;
  sleepers = list.data;
  beds = b.data ?? [];
  renderList();
  renderChoices();
  document.body.dataset.loaded = "true";
}

function renderList() {
  el("sleepers").tBodies[0].replaceChildren(...(sleepers.length ? sleepers.map((s) => {
    const a = s.admission;
    return h("tr", { dataset: { sleeperId: s.id, bedId: a?.bed } },
      h("th", { scope: "row" }, h("a", { href: Somnis.sleeperUrl(s.id) }, s.name), h("small", { class: "empty" }, ` ${s.id}`)),
      h("td", { dataset: { program: s.program } }, V.programText(s.program)),
      h("td", null, a ? h("a", { href: Somnis.bedUrl(a.bed) }, a.bed) : "not admitted"),
      h("td", null, a ? Somnis.fmt(a.from, "datetime") : "–"),
      h("td", null, s.notes || ""),
      h("td", null, a ? button("Discharge", "discharge", () => discharge(s)) : button("Admit…", "admit", () => chooseForAdmit(s))));
  }) : [h("tr", null, h("td", { colspan: 6, class: "empty" }, "No sleepers yet."))]));
}

/** The sleeper and bed choices of the forms, keeping what was chosen. */
function renderChoices() {
  for (const select of document.querySelectorAll("select[name=sleeper]")) {
    const chosen = select.value;
    select.replaceChildren(...sleepers.map((s) => new Option(`${s.name}${s.admission ? ` (in ${s.admission.bed})` : ""}`, s.id)));
    if (chosen) select.value = chosen;
  }
  const select = el("admit").elements.bed;
  const chosen = select.value;
  const occupant = new Map(sleepers.filter((s) => s.admission).map((s) => [`${s.admission.facility}/${s.admission.bed}`, s]));
  select.replaceChildren(...beds.slice().sort((x, y) => (x.id < y.id ? -1 : 1)).map((b) => {
    const key = `${b.facility}/${b.id}`;
    return new Option(V.bedWithSleeper(b.id, occupant.get(key) ?? null), key);
  }));
  if (chosen) select.value = chosen;
}

function chooseForAdmit(s) {
  el("admit").elements.sleeper.value = s.id;
  el("admit").elements.bed.focus();
}

async function discharge(s) {
  const a = s.admission;
  const error = await Somnis.post(bedApi(a.facility, a.bed, "discharge"), {});
  fail(el("list-error"), error);
  if (!error) { done(`Discharged ${s.name} from ${a.bed}.`); await load(); }
}

/** A form's submit: posts what ask(fields) returns ([url, body, what was done]), shows a refusal in the form. */
function handle(form, ask) {
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const fields = Object.fromEntries(new FormData(form));
    const [url, body, what] = ask(fields);
    const error = await Somnis.post(url, body);
    fail(form.querySelector(".form-error"), error);
    if (error) return;
    done(what);
    form.reset();
    await load();
  });
}

handle(el("admit"), (f) => {
  const [facility, bed] = f.bed.split("/");
  const transfer = f.transfer === "on";
  return [bedApi(facility, bed, "admit"), { sleeper: f.sleeper, transfer: transfer || undefined },
    `${transfer ? "Transferred" : "Admitted"} ${nameOf(f.sleeper)} to ${bed}.`];
});
handle(el("create"), (f) => ["/api/sleepers", { name: f.name, id: f.id || undefined, program: f.program, programFrom: f.programFrom || undefined, notes: f.notes || undefined },
  `Created ${f.name}.`]);
handle(el("program"), (f) => [`/api/sleepers/${encodeURIComponent(f.sleeper)}/program`, { program: f.program, from: f.from },
  `${nameOf(f.sleeper)}: ${V.programText(f.program)} from the night of ${f.from}.`]);

for (const select of document.querySelectorAll("select[name=program]")) {
  for (const p of Object.keys(V.PROGRAMS)) select.add(new Option(V.programText(p), p));
}

Somnis.me().then((user) => {
  // Creating sleepers and changing programs are a supervisor's: a technician sees the forms disabled, with the reason.
  const supervisor = !!user && user.role === "supervisor";
  document.body.dataset.role = user ? user.role : "";
  for (const id of ["create", "program"]) {
    el(id).querySelector("fieldset").disabled = !supervisor;
    el(id).querySelector(".role-note").hidden = supervisor;
  }
});
Somnis.onOpen((lost) => { if (lost) load(); });
Somnis.layout().then(async () => {
  await load();
  Somnis.connect();
});
