// The pieces every page is made of: the frame, tables, forms, buttons, live job views.
import { apiText } from "./api.js";
import { h, showError, toast } from "./dom.js";

const main = () => document.getElementById("main");

export function table(columns, rows, empty) {
  if (!rows.length) return h("div", { class: "empty" }, h("strong", {}, empty[0]), empty[1] || "");
  return h("div", { class: "scroll" }, h("table", {},
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { class: c.num ? "num" : "", scope: "col" }, c.title)))),
    h("tbody", {}, rows.map((row) => h("tr", {}, columns.map((c) => h("td", { class: c.num ? "num" : "", "data-label": c.title || false }, c.cell(row))))))));
}

export function page(title, crumbs, ...content) {
  main().replaceChildren(h("div", { class: "crumbs" }, crumbs), ...content);
  document.title = `${title} · Berth`;
  main().focus({ preventScroll: true });
}

export function head(title, ...actions) {
  return h("div", { class: "page-head" }, h("h1", {}, title), h("span", { class: "spacer" }), ...actions);
}

// A form panel whose submit runs `action`, showing its error in place.
export function formPanel(fields, submitLabel, action) {
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const form = h("form", { class: "form-panel" }, h("div", { class: "row" }, fields,
    h("button", { type: "submit", class: "primary" }, submitLabel)), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    try { await action(new FormData(form), form); } catch (e) { showError(error, e); }
  });
  return form;
}

// A button whose click runs `action`; a refusal from the API is shown in the toast.
export function actionButton(label, action, attrs = {}) {
  return h("button", { type: "button", class: "small", ...attrs, onclick: async () => {
    try { await action(); } catch (e) { toast(e.message); }
  } }, label);
}

// Renders `render()` (answering [content, still running]) into a box, and again every second while a job
// runs, so progress shows without reloading the page or moving keyboard focus.
export function liveBox(render) {
  const box = h("div", {});
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const outer = h("div", {}, error, box);
  const refresh = async () => {
    try {
      const [content, running] = await render();
      error.hidden = true;
      box.replaceChildren(content);
      if (running) setTimeout(() => { if (outer.isConnected) refresh(); }, 1000);
    } catch (e) { showError(error, e); }
  };
  refresh();
  return outer;
}

const FINISHED = new Set(["Success", "Succeed", "Error", "Failed", "Stopped"]);
export const busy = (status) => !FINISHED.has(status);

// A "Log" button that shows (and hides again) a job's plain-text log under it.
export function logView(label, path) {
  const out = h("pre", { class: "log", tabindex: "0", hidden: true });
  const button = actionButton("Log", async () => {
    if (out.hidden) out.textContent = (await apiText(path)) || "(empty)";
    out.hidden = !out.hidden;
    button.setAttribute("aria-expanded", String(!out.hidden));
  }, { "aria-label": `Log of ${label}`, "aria-expanded": "false" });
  return [button, out];
}
