// Labels, Harbor's way: global ones (system administrators make them, on the Labels page) and a
// project's own (its administrators and maintainers make them, on its Labels tab). One list and one
// dialog serve both scopes; the chips show a label in its colour wherever it appears.
import { api, apiPage, state } from "../lib/api.js";
import { atLeast } from "../lib/roles.js";
import { confirmAction, openDialog } from "../lib/dialog.js";
import { h, showError, toast, when } from "../lib/dom.js";
import { listView } from "../lib/list.js";
import { actionButton, head, page } from "../lib/ui.js";
import { getProject, projectCrumbs, projectHead, projectTabs } from "./project.js";

const DEFAULT_COLOR = "#1463d8";
const HEX = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i;

// The colour as #rrggbb, or null when it is none the chips can draw.
function hex(color) {
  if (!HEX.test(color || "")) return null;
  return color.length === 4 ? `#${[...color.slice(1)].map((c) => c + c).join("")}` : color.toLowerCase();
}

// WCAG's relative luminance; the text is black or white, whichever contrasts more with the colour.
function textOn(color) {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(color.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const light = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return (light + 0.05) / 0.05 >= 1.05 / (light + 0.05) ? "#000000" : "#ffffff";
}

// A label as a chip in its colour (styles set through the DOM: the page's CSP allows no style attributes).
export function labelChip(label, ...extra) {
  const chip = h("span", { class: "label-chip", title: label.description || false, "data-label-id": label.id },
    h("span", {}, label.name), ...extra);
  const color = hex(label.color);
  if (color) {
    chip.style.backgroundColor = color;
    chip.style.color = textOn(color);
  }
  return chip;
}

const scopeName = (label) => (label.scope === "g" ? "Global" : "Project");

// Every label of one scope (`params`: scope=g, or scope=p&project_id=N), page after page of 100.
export async function allLabels(params) {
  const found = [];
  for (let n = 1; ; n++) {
    const { items, total } = await apiPage("/labels", { ...params, page: n, page_size: 100 });
    found.push(...items);
    if (!items.length || found.length >= total) return found;
  }
}

// The dialog that creates a label in `scope` (`label` null) or edits one; `saved()` runs after the API took it.
function labelDialog(scope, label, saved) {
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const color = h("input", { name: "color", type: "color", value: hex(label && label.color) || DEFAULT_COLOR });
  let recoloured = !label;  // an edit sends the colour only when it was changed (a label may have none)
  const preview = h("span", {});
  const form = h("form", { method: "dialog", class: "stack" },
    h("h2", { id: "label-title" }, label ? `Edit label ${label.name}` : "New label"),
    h("label", {}, "Name", h("input", { name: "name", required: true, maxlength: "128", value: label ? label.name : "", autocomplete: "off" })),
    h("label", {}, "Description", h("input", { name: "description", maxlength: "1024", value: label ? label.description : "" })),
    h("div", { class: "row" }, h("label", {}, "Color", color), h("div", { class: "label-preview", "aria-hidden": "true" }, preview)),
    error,
    h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", "data-close": "" }, "Cancel"),
      h("button", { type: "submit", class: "primary" }, label ? "Save" : "Create")));
  const dialog = h("dialog", { "aria-labelledby": "label-title" }, form);
  const draw = () => preview.replaceChildren(labelChip({
    name: form.elements.name.value.trim() || "label", color: recoloured ? color.value : (label && label.color) }));
  color.addEventListener("input", () => { recoloured = true; draw(); });
  form.elements.name.addEventListener("input", draw);
  draw();
  form.querySelector("[data-close]").addEventListener("click", () => dialog.close());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const body = { name: form.elements.name.value.trim(), description: form.elements.description.value };
    if (recoloured) body.color = color.value;
    try {
      if (label) await api("PUT", `/labels/${label.id}`, body);
      else await api("POST", "/labels", { ...body, ...scope });
      dialog.close();
      toast(`Label ${body.name} saved`);
      saved();
    } catch (e) { showError(error, e); }
  });
  openDialog(dialog, form.elements.name);
}

// The labels of one scope, searchable and paged; with `manage`, a "New label" button and, per label,
// edit and delete (after a confirmation naming it).
function labelList(scope, manage, empty) {
  const add = manage ? h("button", { type: "button", class: "primary", onclick: () => labelDialog(scope, null, list.reload) }, "+ New label") : null;
  const list = listView({
    path: "/labels", params: scope, label: "labels", tools: add ? [add] : [],
    search: { label: "Search labels", params: (text) => ({ name: text }) },
    columns: [
      { title: "Label", cell: (l) => labelChip(l) },
      { title: "Description", cell: (l) => l.description },
      { title: "Created", cell: (l) => when(l.creation_time) },
      { title: "", cell: (l) => (manage ? [
        actionButton("Edit", () => labelDialog(scope, l, list.reload), { "aria-label": `Edit label ${l.name}` }),
        actionButton("Delete", async () => {
          if (!await confirmAction(`Delete label ${l.name}? It is taken off every artifact that has it.`, "Delete label")) return;
          await api("DELETE", `/labels/${l.id}`);
          toast(`Label ${l.name} deleted`);
          list.reload();
        }, { class: "small danger", "aria-label": `Delete label ${l.name}` })] : "") },
    ],
    empty,
  });
  return list;
}

// The global labels (system administrators).
export async function labelsPage() {
  const list = labelList({ scope: "g" }, state.user.sysadmin_flag,
    ["No labels", "Global labels may be put on any artifact of any project."]);
  page("Labels", "", head("Labels"), h("div", { class: "panel" }, list.element));
}

// Whether the signed-in user may make, change and delete the project's labels (as the API allows).
const mayManage = (info) => atLeast(info, state.user, 4);

// A project's own labels.
export async function projectLabelsPage(project) {
  const info = await getProject(project);
  const list = labelList({ scope: "p", project_id: info.project_id }, mayManage(info),
    ["No project labels", "This project's labels may be put on its artifacts only; global labels fit every project."]);
  page(`${project} labels`, projectCrumbs(project), projectHead(info), projectTabs(project, "labels"),
    h("div", { class: "panel" }, list.element));
}

// The Labels section of an artifact's page: the labels on it, each with a remove button, and a
// control that adds one of the global or project labels not yet on it. `mayLabel`: whether the
// user may change the artifact's labels (the right to push); `reload()` answers the artifact anew.
export function artifactLabels({ path, projectId, artifact, mayLabel, reload }) {
  const section = h("section", { class: "panel section", "aria-labelledby": "labels-title" });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  let focus = null;  // what gets the focus after a change redraws the section

  async function draw(current) {
    const on = current.labels || [];
    const chips = on.length ? h("ul", { class: "label-list", "aria-label": "Labels on this artifact" }, on.map((l) => h("li", {},
      labelChip(l, mayLabel ? h("button", { type: "button", class: "chip-remove", "aria-label": `Remove label ${l.name}`,
        title: `Remove label ${l.name}`, onclick: () => change(async () => {
          await api("DELETE", `${path}/labels/${l.id}`);
          toast(`Label ${l.name} removed`);
        }, "select") }, "×") : null))))
      : h("p", { class: "muted" }, "No labels on this artifact.");
    let control = null;
    if (mayLabel) {
      const taken = new Set(on.map((l) => l.id));
      const [global, own] = await Promise.all([allLabels({ scope: "g" }), allLabels({ scope: "p", project_id: projectId })]);
      const group = (name, labels) => (labels.length ? h("optgroup", { label: name },
        labels.map((l) => h("option", { value: l.id }, l.name))) : null);
      const free = [global.filter((l) => !taken.has(l.id)), own.filter((l) => !taken.has(l.id))];
      const select = h("select", { "aria-label": "Label to add", name: "label", disabled: !free[0].length && !free[1].length },
        free[0].length || free[1].length ? [group("Global labels", free[0]), group("Project labels", free[1])]
          : h("option", { value: "" }, "No other labels"));
      const button = h("button", { type: "submit", class: "small", disabled: select.disabled }, "Add label");
      control = h("form", { class: "label-add", onsubmit: (event) => {
        event.preventDefault();
        const chosen = [...global, ...own].find((l) => String(l.id) === select.value);
        if (!chosen) return;
        change(async () => {
          await api("POST", `${path}/labels`, { id: chosen.id });
          toast(`Label ${chosen.name} added`);
        }, "select");
      } }, select, button);
    }
    section.replaceChildren(h("h2", { id: "labels-title" }, "Labels"), h("div", { class: "label-box" }, chips, control, error));
    if (focus) {
      const target = section.querySelector(focus === "select" ? "select:not([disabled])" : focus) || section.querySelector("h2");
      if (target.tagName === "H2") target.tabIndex = -1;
      target.focus();
      focus = null;
    }
  }

  async function change(action, then) {
    error.hidden = true;
    try {
      await action();
    } catch (e) {
      showError(error, e);
      return;
    }
    focus = then;
    try { await draw(await reload()); } catch (e) { showError(error, e); }
  }

  draw(artifact).catch((e) => {
    section.replaceChildren(h("h2", { id: "labels-title" }, "Labels"), error);
    showError(error, e);
  });
  return section;
}
