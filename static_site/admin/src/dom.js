// Small DOM helpers: elements are built with text nodes only (no innerHTML anywhere), so text
// from the API can never become markup.
import { t } from "./i18n.js";

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "value") el.value = v;
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function loading() {
  return h("p", { class: "loading", role: "status", "aria-live": "polite" }, h("span", { class: "spinner", "aria-hidden": "true" }), t("common.loading"));
}

export function message(kind, text) {
  return h("p", { class: `msg msg-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

// A status line that a view keeps and fills: errors in words, successes, progress.
export function notice() {
  const el = h("div", { class: "notice", "aria-live": "polite" });
  return {
    el,
    error(text) {
      clear(el).append(message("error", text));
    },
    ok(text) {
      clear(el).append(message("ok", text));
    },
    info(text) {
      clear(el).append(message("info", text));
    },
    clear() {
      clear(el);
    },
  };
}

// Runs an async action with the button busy (disabled, "Saving…"); errors go to the notice.
export async function busy(button, note, action) {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = t("common.saving");
  try {
    return await action();
  } catch (error) {
    note.error(error.message);
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = label;
  }
}

// Confirmation before anything destructive: a modal <dialog> (focus trapped by the browser,
// Escape cancels). Resolves with true only when the organizer confirms; `extra` may add a
// checkbox whose state is returned as `{ok, checked}`.
export function confirmDialog(text, { confirmLabel, danger = true, checkbox } = {}) {
  return new Promise((resolve) => {
    const box = checkbox ? h("input", { type: "checkbox", id: "confirm-check", checked: checkbox.checked }) : null;
    const yes = h("button", { type: "button", class: danger ? "danger" : "primary", "data-confirm": "yes" }, confirmLabel || t("common.confirm"));
    const no = h("button", { type: "button", class: "ghost", "data-confirm": "no" }, t("common.cancel"));
    const dialog = h(
      "dialog",
      { class: "confirm", "aria-labelledby": "confirm-text" },
      h("p", { id: "confirm-text" }, text),
      box ? h("p", { class: "check" }, box, h("label", { for: "confirm-check" }, checkbox.label)) : null,
      h("div", { class: "actions" }, no, yes),
    );
    const done = (ok) => {
      dialog.close();
      dialog.remove();
      resolve(checkbox ? { ok, checked: box.checked } : ok);
    };
    yes.addEventListener("click", () => done(true));
    no.addEventListener("click", () => done(false));
    dialog.addEventListener("cancel", (e) => {
      e.preventDefault();
      done(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}

export function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hint ? h("small", {}, hint) : null);
}
