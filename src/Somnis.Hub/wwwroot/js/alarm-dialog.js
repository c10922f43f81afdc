// Operator actions on alarms and on a bed's Architect: one-click actions post at once; those that need words open the
// console's one dialog (#alarm-dialog: focus moves into it, Escape cancels). An error the hub answers (400, 403,
// 409) is shown in the dialog, or above the alarm list for one-click actions.
import { post } from "./common.js";
import { alarmLabel } from "./vocabulary.js";

const dialog = document.getElementById("alarm-dialog");
const statusLine = document.getElementById("alarm-status");
const alarmUrl = (a, action) => `/api/alarms/${encodeURIComponent(a.id)}/${action}`;
const architectUrl = (b, action) => `/api/beds/${encodeURIComponent(b.bed)}/architect/${action}`;

// Which fields each action shows, which are required, and what it posts.
const FORMS = {
  shelve: { title: "Shelve alarm", fields: ["reason", "minutes"], required: ["reason"], ok: "Shelve", post: (a, f) => [alarmUrl(a, "shelve"), { reason: f.reason, minutes: Number(f.minutes) }] },
  comment: { title: "Comment on alarm", fields: ["text"], required: ["text"], ok: "Add comment", post: (a, f) => [alarmUrl(a, "comment"), { text: f.text }] },
  assign: { title: "Assign alarm", fields: ["to"], required: ["to"], ok: "Assign", post: (a, f) => [alarmUrl(a, "assign"), { to: f.to }] },
  "architect-pause": { title: "Pause the Architect", fields: ["reason"], required: [], ok: "Pause Architect", post: (b, f) => [architectUrl(b, "pause"), { reason: f.reason || null }] },
  "architect-resume": { title: "Resume the Architect", fields: ["reason"], required: [], ok: "Resume Architect", post: (b, f) => [architectUrl(b, "resume"), { reason: f.reason || null }] },
};

function say(text) {
  statusLine.textContent = text;
  statusLine.hidden = !text;
}

/** A one-click action on an alarm (ack, unshelve); returns the error or null, and shows it above the list. */
export async function act(id, action, body) {
  const error = await post(alarmUrl({ id }, action), body);
  say(error ?? "");
  return error;
}

/** Opens the dialog for an action that needs words; target is an alarm or { bed } for the Architect. */
export function ask(kind, target) {
  const form = FORMS[kind];
  const el = dialog.querySelector("form");
  el.reset();
  dialog.dataset.kind = kind;
  dialog.querySelector("#alarm-dialog-title").textContent = form.title;
  dialog.querySelector(".alarm-dialog-what").textContent = target.type ? `${alarmLabel(target)}: ${target.summary}` : target.bed;
  for (const field of dialog.querySelectorAll("[data-field]")) {
    const name = field.dataset.field;
    const shown = form.fields.includes(name);
    field.hidden = !shown;
    const input = field.querySelector("input, select, textarea");
    input.disabled = !shown;
    input.required = form.required.includes(name);
  }
  dialog.querySelector("button[value=ok]").textContent = form.ok;
  const error = dialog.querySelector(".alarm-dialog-error");
  error.hidden = true;
  dialog.onsubmit = async (e) => {
    if (e.submitter && e.submitter.value === "cancel") return;
    e.preventDefault();
    const failed = await post(...form.post(target, Object.fromEntries(new FormData(el))));
    if (failed) {
      error.textContent = failed;
      error.hidden = false;
      return;
    }
    dialog.close();
  };
  dialog.showModal();
  dialog.querySelector("[data-field]:not([hidden]) :is(input, textarea, select)")?.focus();
}
