// Building the page through the DOM, never through markup strings: text goes in as text nodes and attributes through
// setAttribute, so nothing a hub or a user wrote (a bed id, an alarm summary, a comment) can become markup. This is the
// dashboard's one escaping rule. No inline styles either (the pages run under a strict Content-Security-Policy).

const SVG = "http://www.w3.org/2000/svg";

function build(el, attrs, children) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "style") throw new Error("inline style: use a class (Content-Security-Policy)");
    if (name !== "dataset") el.setAttribute(name, value === true ? "" : String(value));
    else for (const [key, v] of Object.entries(value)) if (v !== null && v !== undefined) el.dataset[key] = v;
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** An HTML element: h("li", { class: "alarm", dataset: { alarmId } }, "text", childNode). */
export const h = (tag, attrs, ...children) => build(document.createElement(tag), attrs, children);

/** An SVG element (createElementNS): svg("rect", { x: 1, y: 2, width: 3, height: 4 }, svg("title", null, "tooltip")). */
export const svg = (tag, attrs, ...children) => build(document.createElementNS(SVG, tag), attrs, children);

/** Writes text only when it changed (a live page redraws often; unchanged text costs nothing). */
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/** A button that runs onClick; disabled (with the reason as its title) when the user's role may not use it. */
export function button(text, action, onClick, disabledBecause = null) {
  const b = h("button", { type: "button", dataset: { action } }, text);
  if (disabledBecause) {
    b.disabled = true;
    b.title = disabledBecause;
  } else {
    b.addEventListener("click", onClick);
  }
  return b;
}

/** One "empty" list item or table row ("none", "No alarms tonight."). */
export const emptyItem = (text) => h("li", { class: "empty" }, text);
