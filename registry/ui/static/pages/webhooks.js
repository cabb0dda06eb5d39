// A project's webhook policies: where artifact events are sent, a test call, and the latest deliveries.
import { api } from "../lib/api.js";
import { confirmAction, openDialog } from "../lib/dialog.js";
import { enc, h, showError, toast, when } from "../lib/dom.js";
import { listView } from "../lib/list.js";
import { actionButton, page } from "../lib/ui.js";
import { getProject, projectCrumbs, projectHead, projectTabs } from "./project.js";

const EVENTS = { PUSH_ARTIFACT: "Artifact pushed", PULL_ARTIFACT: "Artifact pulled", DELETE_ARTIFACT: "Artifact deleted" };

// The policy as the API takes it, from the dialog's form.
function policyOf(form) {
  const data = new FormData(form);
  return {
    name: data.get("name").trim(), description: data.get("description"), enabled: data.get("enabled") === "on",
    event_types: Object.keys(EVENTS).filter((e) => data.get(e) === "on"),
    targets: [{ type: "http", address: data.get("address").trim(), auth_header: data.get("auth_header"),
      skip_cert_verify: data.get("skip_cert_verify") === "on" }],
  };
}

// The dialog that creates a policy (`policy` null) or edits one; `saved()` runs after the API took it.
function policyDialog(path, policy, saved) {
  const target = policy ? policy.targets[0] : { address: "", auth_header: "", skip_cert_verify: false };
  const events = policy ? policy.event_types : Object.keys(EVENTS);
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const test = h("button", { type: "button", class: "secondary" }, "Test endpoint");
  const form = h("form", { method: "dialog", class: "stack" },
    h("h2", { id: "webhook-title" }, policy ? `Edit webhook ${policy.name}` : "New webhook"),
    h("label", {}, "Name", h("input", { name: "name", required: true, maxlength: "255", value: policy ? policy.name : "", autocomplete: "off" })),
    h("label", {}, "Description", h("input", { name: "description", value: policy ? policy.description : "" })),
    h("label", {}, "Endpoint URL", h("input", { name: "address", type: "url", required: true, placeholder: "https://ci.example/hook",
      value: target.address, autocomplete: "off" })),
    h("label", {}, "Auth header", h("input", { name: "auth_header", value: target.auth_header || "", placeholder: "Bearer …", autocomplete: "off" })),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "skip_cert_verify", checked: target.skip_cert_verify }), "Skip certificate verification"),
    h("fieldset", {}, h("legend", {}, "Events"), Object.entries(EVENTS).map(([id, label]) =>
      h("label", { class: "check" }, h("input", { type: "checkbox", name: id, checked: events.includes(id) }), label))),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "enabled", checked: policy ? policy.enabled : true }), "Enabled"),
    error,
    h("div", { class: "actions" }, test, h("button", { type: "button", class: "secondary", "data-close": "" }, "Cancel"),
      h("button", { type: "submit", class: "primary" }, policy ? "Save" : "Create")));
  const dialog = h("dialog", { "aria-labelledby": "webhook-title" }, form);
  form.querySelector("[data-close]").addEventListener("click", () => dialog.close());
  test.addEventListener("click", async () => {
    error.hidden = true;
    if (!form.elements.address.reportValidity()) return;
    try {
      await api("POST", `${path}/test`, policyOf(form));
      toast("The endpoint answered");
    } catch (e) { showError(error, e); }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    try {
      const body = policyOf(form);
      if (policy) await api("PUT", `${path}/${policy.id}`, body);
      else await api("POST", path, body);
      dialog.close();
      toast(`Webhook ${body.name} saved`);
      saved();
    } catch (e) { showError(error, e); }
  });
  openDialog(dialog, form.elements.name);
}

// The latest deliveries of one policy, each with its outcome.
function deliveries(path, policy) {
  return listView({
    path: `${path}/${policy.id}/executions`, label: "deliveries",
    columns: [
      { title: "Delivery", num: true, cell: (e) => e.id },
      { title: "Event", cell: (e) => EVENTS[e.extra_attrs.event_type] || e.extra_attrs.event_type },
      { title: "Status", cell: (e) => h("span", { class: `badge ${e.status === "Success" ? "public" : "private"}` }, e.status) },
      { title: "Detail", cell: (e) => e.status_message },
      { title: "Sent", cell: (e) => when(e.start_time) },
    ],
    empty: ["Nothing delivered yet", "Each event this policy sends is listed here with its outcome."],
  });
}

export async function webhooksPage(project) {
  const info = await getProject(project);
  const path = `/projects/${enc(project)}/webhook/policies`;
  const history = h("section", { class: "panel section", "aria-labelledby": "deliveries-title", hidden: true });
  const showDeliveries = (p) => {
    history.replaceChildren(h("h2", { id: "deliveries-title", tabindex: "-1" }, `Deliveries of ${p.name}`), deliveries(path, p).element);
    history.hidden = false;
    history.querySelector("h2").focus();
  };
  const add = h("button", { type: "button", class: "primary", onclick: () => policyDialog(path, null, list.reload) }, "+ New webhook");
  const list = listView({
    path, label: "webhooks", tools: [add],
    search: { label: "Search webhooks", params: (text) => ({ q: `name=~${text}` }) },
    columns: [
      { title: "Name", cell: (p) => p.name },
      { title: "Endpoint", cell: (p) => h("code", {}, p.targets.map((t) => t.address).join(" ")) },
      { title: "Events", cell: (p) => p.event_types.map((e) => h("span", { class: "tag" }, EVENTS[e] || e)) },
      { title: "Enabled", cell: (p) => h("span", { class: `badge ${p.enabled ? "public" : ""}` }, p.enabled ? "Enabled" : "Disabled") },
      { title: "Created", cell: (p) => when(p.creation_time) },
      { title: "", cell: (p) => [
        actionButton("Edit", () => policyDialog(path, p, list.reload), { "aria-label": `Edit webhook ${p.name}` }),
        actionButton(p.enabled ? "Disable" : "Enable", async () => {
          await api("PUT", `${path}/${p.id}`, { name: p.name, description: p.description, targets: p.targets,
            event_types: p.event_types, enabled: !p.enabled });
          toast(`Webhook ${p.name} ${p.enabled ? "disabled" : "enabled"}`);
          list.reload();
        }, { "aria-label": `${p.enabled ? "Disable" : "Enable"} webhook ${p.name}` }),
        actionButton("Deliveries", () => showDeliveries(p), { "aria-label": `Deliveries of webhook ${p.name}` }),
        actionButton("Delete", async () => {
          if (!await confirmAction(`Delete webhook ${p.name}? Events stop going to ${p.targets[0].address}.`, "Delete webhook")) return;
          await api("DELETE", `${path}/${p.id}`);
          toast(`Webhook ${p.name} deleted`);
          history.hidden = true;
          list.reload();
        }, { class: "small danger", "aria-label": `Delete webhook ${p.name}` })] },
    ],
    empty: ["No webhooks", "A webhook sends an HTTP POST to your endpoint when artifacts are pushed, pulled or deleted."],
  });
  page(`${project} webhooks`, projectCrumbs(project), projectHead(info), projectTabs(project, "webhooks"),
    h("div", { class: "panel" }, list.element), history);
}
