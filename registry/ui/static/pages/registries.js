// Registry endpoints (system administrators): the upstreams that proxy-cache projects pull through.
import { api } from "../lib/api.js";
import { h, toast } from "../lib/dom.js";
import { refresh } from "../lib/nav.js";
import { formPanel, head, page, table } from "../lib/ui.js";

const REGISTRY_TYPES = { "docker-registry": "Docker registry (Distribution, any OCI registry)", harbor: "Harbor (or Berth)",
  "docker-hub": "Docker Hub" };

export async function registriesPage() {
  const registries = await api("GET", "/registries?page_size=100");
  let editing = null;  // the endpoint the form changes, or null for a new one
  const typeSelect = h("select", { name: "type" }, Object.entries(REGISTRY_TYPES).map(([id, name]) => h("option", { value: id }, name)));
  const fields = [h("label", {}, "Name", h("input", { name: "name", required: true, autocomplete: "off" })),
    h("label", {}, "Type", typeSelect),
    h("label", {}, "URL", h("input", { name: "url", placeholder: "https://registry.example", autocomplete: "off" })),
    h("label", {}, "Access ID", h("input", { name: "access_key", autocomplete: "off" })),
    h("label", {}, "Access secret", h("input", { name: "access_secret", type: "password", autocomplete: "new-password" })),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "insecure" }), "Skip TLS verification")];
  const body = (data) => {
    const secret = data.get("access_secret");
    const entry = { name: data.get("name"), type: data.get("type"), insecure: data.get("insecure") === "on",
      credential: { type: "basic", access_key: data.get("access_key") } };
    if (data.get("url")) entry.url = data.get("url");
    if (secret || !editing) entry.credential.access_secret = secret;  // empty on edit: keep the stored one
    return entry;
  };
  const form = formPanel(fields, "Save registry", async (data) => {
    if (editing) await api("PUT", `/registries/${editing.id}`, body(data));
    else await api("POST", "/registries", body(data));
    toast(`Registry ${data.get("name")} saved`);
    refresh();
  });
  const test = h("button", { type: "button", class: "secondary", onclick: async () => {
    const entry = body(new FormData(form));
    if (editing) entry.id = editing.id;
    try { await api("POST", "/registries/ping", entry); toast("Connection works"); } catch (e) { toast(e.message); }
  } }, "Test connection");
  form.querySelector(".row").append(test);
  const edit = (r) => {
    editing = r;
    form.elements.name.value = r.name;
    form.elements.type.value = r.type;
    form.elements.url.value = r.url;
    form.elements.access_key.value = r.credential.access_key;
    form.elements.access_secret.value = "";
    form.elements.insecure.checked = r.insecure;
    form.elements.name.focus();
  };
  page("Registries", "", head("Registries"), h("div", { class: "panel" }, form, table([
    { title: "Name", cell: (r) => r.name },
    { title: "Type", cell: (r) => REGISTRY_TYPES[r.type] || r.type },
    { title: "URL", cell: (r) => h("code", {}, r.url) },
    { title: "Login", cell: (r) => r.credential.access_key || h("span", { class: "muted" }, "anonymous") },
    { title: "", cell: (r) => [
      h("button", { type: "button", class: "small", onclick: async () => {
        try { await api("POST", "/registries/ping", { id: r.id }); toast(`${r.name}: connection works`); } catch (e) { toast(e.message); }
      } }, "Test"),
      h("button", { type: "button", class: "small", onclick: () => edit(r) }, "Edit"),
      h("button", { type: "button", class: "small danger", onclick: async () => {
        try { await api("DELETE", `/registries/${r.id}`); refresh(); } catch (e) { toast(e.message); }
      } }, "Delete")] },
  ], registries, ["No registries", "Add an upstream registry, then create a project that is a proxy cache of it."])));
}

