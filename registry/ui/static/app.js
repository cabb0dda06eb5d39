// Berth web UI: a small single-page app over /api/v2.0. No build step, no framework.
// Every text from the server goes through textContent (via h()), never innerHTML.
"use strict";

const API = "/api/v2.0";
const ROLES = { 1: "Project admin", 4: "Maintainer", 2: "Developer", 3: "Guest", 5: "Limited guest" };
const NEVER = "0001-01-01T00:00:00.000Z";
const state = { user: null, csrf: "" };
const main = document.getElementById("main");

// ---- helpers -------------------------------------------------------------------------
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

// One call to the API, answering its body as text; a refusal becomes an ApiError with Harbor's message.
async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  if (state.csrf) headers["X-Harbor-CSRF-Token"] = state.csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(API + path, {
    method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
  });
  const token = response.headers.get("X-Harbor-CSRF-Token");
  if (token) state.csrf = token;
  const text = await response.text();
  if (!response.ok) {
    if (response.status === 401 && state.user) { state.user = null; go("#/login"); }
    let data = null;
    try { data = JSON.parse(text); } catch { /* not Harbor's error JSON: the status text says it */ }
    const message = data && data.errors && data.errors[0] ? data.errors[0].message : response.statusText;
    throw new ApiError(response.status, message);
  }
  return text;
}

async function api(method, path, body) {
  const text = await call(method, path, body);
  return text ? JSON.parse(text) : null;
}

const apiText = (path) => call("GET", path);

const enc = (s) => encodeURIComponent(s);
const repoPath = (name) => enc(enc(name));  // Harbor wants a/b as a%252Fb
const when = (t) => (!t || t === NEVER ? "never" : new Date(t).toLocaleString());
const size = (n) => {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
};
const go = (hash) => { if (location.hash !== hash) location.hash = hash; else route(); };

function toast(message) {
  const el = document.getElementById("toast");
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 2500);
}

function showError(el, error) {
  el.textContent = error.message || String(error);
  el.hidden = false;
}

function table(columns, rows, empty) {
  if (!rows.length) return h("div", { class: "empty" }, h("strong", {}, empty[0]), empty[1] || "");
  return h("table", {},
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { class: c.num ? "num" : "", scope: "col" }, c.title)))),
    h("tbody", {}, rows.map((row) => h("tr", {}, columns.map((c) => h("td", { class: c.num ? "num" : "" }, c.cell(row)))))));
}

function page(title, crumbs, ...content) {
  main.replaceChildren(h("div", { class: "crumbs" }, crumbs), ...content);
  document.title = `${title} · Berth`;
  main.focus({ preventScroll: true });
}

function head(title, ...actions) {
  return h("div", { class: "page-head" }, h("h1", {}, title), h("span", { class: "spacer" }), ...actions);
}

function registryHost() { return location.host; }

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = h("textarea", {}, text);
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  toast(`Copied: ${text}`);
}

// A form panel whose submit runs `action`, showing its error in place.
function formPanel(fields, submitLabel, action) {
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const form = h("form", { class: "form-panel" }, h("div", { class: "row" }, fields,
    h("button", { type: "submit", class: "primary" }, submitLabel)), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    try { await action(new FormData(form)); } catch (e) { showError(error, e); }
  });
  return form;
}

// A modal question naming what an action does; resolves true only when the action button is chosen.
function confirmAction(message, actionLabel) {
  return new Promise((resolve) => {
    const yes = h("button", { type: "submit", class: "primary", value: "yes" }, actionLabel);
    const dialog = h("dialog", { "aria-labelledby": "confirm-text" },
      h("form", { method: "dialog", class: "stack" }, h("p", { id: "confirm-text" }, message),
        h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary", value: "no" }, "Cancel"), yes)));
    dialog.addEventListener("close", () => { dialog.remove(); resolve(dialog.returnValue === "yes"); });
    document.body.append(dialog);
    dialog.showModal();  // the focus starts on Cancel, so Enter alone never deletes
  });
}

// A button whose click runs `action`; a refusal from the API is shown in the toast.
function actionButton(label, action, attrs = {}) {
  return h("button", { type: "button", class: "small", ...attrs, onclick: async () => {
    try { await action(); } catch (e) { toast(e.message); }
  } }, label);
}

// Renders `render()` (answering [content, still running]) into a box, and again every second while a job
// runs, so progress shows without reloading the page or moving keyboard focus.
function liveBox(render) {
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
const busy = (status) => !FINISHED.has(status);

// A "Log" button that shows (and hides again) a job's plain-text log under it.
function logView(label, path) {
  const out = h("pre", { class: "log", tabindex: "0", hidden: true });
  const button = actionButton("Log", async () => {
    if (out.hidden) out.textContent = (await apiText(path)) || "(empty)";
    out.hidden = !out.hidden;
    button.setAttribute("aria-expanded", String(!out.hidden));
  }, { "aria-label": `Log of ${label}`, "aria-expanded": "false" });
  return [button, out];
}

// ---- pages ---------------------------------------------------------------------------
function loginPage() {
  document.querySelector(".topbar").hidden = true;
  main.replaceChildren(document.getElementById("login-page").content.cloneNode(true));
  document.title = "Log in · Berth";
  const form = document.getElementById("login-form");
  const error = form.querySelector(".error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const response = await fetch("/c/login", { method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin" });
    if (!response.ok) {
      showError(error, new Error(response.status === 429 ? "Too many failed logins; wait a moment." : "Wrong username or password."));
      return;
    }
    state.csrf = response.headers.get("X-Harbor-CSRF-Token") || "";
    await loadUser();
    go("#/projects");
  });
  document.getElementById("username").focus();
}

async function projectsPage() {
  const projects = await api("GET", "/projects?page_size=100");
  const newButton = h("button", { class: "primary", type: "button", onclick: openProjectDialog }, "+ New project");
  page("Projects", "", head("Projects", newButton), h("div", { class: "panel" }, table([
    { title: "Name", cell: (p) => [h("a", { href: `#/projects/${enc(p.name)}` }, p.name),
      p.registry_id ? h("span", { class: "tag" }, "proxy cache") : null] },
    { title: "Access", cell: (p) => h("span", { class: `badge ${p.metadata.public === "true" ? "public" : "private"}` }, p.metadata.public === "true" ? "Public" : "Private") },
    { title: "Role", cell: (p) => ROLES[p.current_user_role_id] || (state.user.sysadmin_flag ? "System admin" : "—") },
    { title: "Repositories", num: true, cell: (p) => p.repo_count },
    { title: "Created", cell: (p) => when(p.creation_time) },
  ], projects, ["No projects yet", "Create one with “New project”, then push images into it."])));
}

async function openProjectDialog() {
  document.getElementById("new-project")?.remove();
  document.body.append(document.getElementById("project-dialog").content.cloneNode(true));
  const dialog = document.getElementById("new-project");
  const form = document.getElementById("new-project-form");
  const error = form.querySelector(".error");
  if (state.user.sysadmin_flag) {  // only administrators make proxy-cache projects
    form.querySelector(".admin-only").hidden = false;
    const registries = await api("GET", "/registries?page_size=100").catch(() => []);
    form.elements.registry.append(...registries.map((r) => h("option", { value: r.id }, `${r.name} (${r.url})`)));
  }
  form.querySelector("[data-close]").addEventListener("click", () => dialog.close());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const name = form.elements.name.value.trim();
    try {
      const registry = form.elements.registry.value;
      await api("POST", "/projects", { project_name: name, metadata: { public: String(form.elements.public.checked) },
        registry_id: registry ? Number(registry) : null });
      dialog.close();
      toast(`Project ${name} created`);
      route();
    } catch (e) { showError(error, e); }
  });
  dialog.addEventListener("close", () => dialog.remove());
  dialog.showModal();
}

function projectTabs(project, active) {
  const base = `#/projects/${enc(project)}`;
  const tabs = [["repositories", "Repositories", base], ["members", "Members", `${base}/members`],
    ["robots", "Robot accounts", `${base}/robots`], ["policy", "Policy", `${base}/policy`]];
  return h("nav", { class: "tabs", "aria-label": "Project" },
    tabs.map(([key, label, href]) => h("a", { href, class: key === active ? "active" : "", "aria-current": key === active ? "page" : false }, label)));
}

function projectCrumbs(project) {
  return [h("a", { href: "#/projects" }, "Projects"), " / ", project];
}

async function repositoriesPage(project) {
  const [info, repos] = await Promise.all([
    api("GET", `/projects/${enc(project)}`, undefined),
    api("GET", `/projects/${enc(project)}/repositories?page_size=100`),
  ]);
  const visibility = info.metadata.public === "true" ? "Public" : "Private";
  page(project, projectCrumbs(project),
    head(project, h("span", { class: `badge ${visibility.toLowerCase()}` }, visibility)),
    projectTabs(project, "repositories"),
    h("div", { class: "panel" }, table([
      { title: "Name", cell: (r) => h("a", { href: `#/projects/${enc(project)}/repositories/${repoPath(r.name.slice(project.length + 1))}` }, r.name) },
      { title: "Artifacts", num: true, cell: (r) => r.artifact_count },
      { title: "Pulls", num: true, cell: (r) => h("span", { "data-testid": "pull-count" }, r.pull_count) },
      { title: "Last modified", cell: (r) => when(r.update_time) },
    ], repos, ["No repositories yet", h("span", {}, "Push an image: ", h("code", {}, `docker push ${registryHost()}/${project}/IMAGE:TAG`))])));
}

async function artifactsPage(project, repo) {
  const full = `${project}/${repo}`;
  const artifacts = await api("GET", `/projects/${enc(project)}/repositories/${repoPath(repo)}/artifacts?page_size=100`);
  const pullCommand = (a) => `docker pull ${registryHost()}/${full}${a.tags.length ? `:${a.tags[0].name}` : `@${a.digest}`}`;
  page(full, [h("a", { href: "#/projects" }, "Projects"), " / ", h("a", { href: `#/projects/${enc(project)}` }, project), " / ", repo],
    head(full),
    h("div", { class: "panel" }, table([
      { title: "Digest", cell: (a) => h("code", { title: a.digest }, a.digest.slice(0, 19)) },
      { title: "Tags", cell: (a) => a.tags.length ? a.tags.map((t) => h("span", { class: "tag" }, t.name)) : h("span", { class: "muted" }, "untagged") },
      { title: "Type", cell: (a) => a.references.length ? `${a.type} · ${a.references.length} platforms` : a.type },
      { title: "Size", num: true, cell: (a) => size(a.size) },
      { title: "Pushed", cell: (a) => when(a.push_time) },
      { title: "Pulled", cell: (a) => when(a.pull_time) },
      { title: "Pulls", num: true, cell: (a) => a.pull_count },
      { title: "", cell: (a) => h("button", { type: "button", class: "small", "aria-label": `Copy pull command for ${a.digest}`, onclick: () => copyText(pullCommand(a)) }, "Copy pull command") },
    ], artifacts, ["No artifacts", "Everything in this repository was deleted."])));
}

async function membersPage(project) {
  const members = await api("GET", `/projects/${enc(project)}/members?page_size=100`);
  const roleSelect = () => h("select", { name: "role" }, Object.entries(ROLES).map(([id, name]) => h("option", { value: id }, name)));
  const add = formPanel([h("label", {}, "Username", h("input", { name: "username", required: true, autocomplete: "off" })),
    h("label", {}, "Role", roleSelect())], "Add member", async (data) => {
    await api("POST", `/projects/${enc(project)}/members`, { role_id: Number(data.get("role")), member_user: { username: data.get("username") } });
    toast(`${data.get("username")} added`);
    route();
  });
  page(`${project} members`, projectCrumbs(project), head(project), projectTabs(project, "members"),
    h("div", { class: "panel" }, add, table([
      { title: "User", cell: (m) => m.entity_name },
      { title: "Role", cell: (m) => ROLES[m.role_id] || m.role_name },
      { title: "", cell: (m) => h("button", { type: "button", class: "small danger", onclick: async () => {
        try { await api("DELETE", `/projects/${enc(project)}/members/${m.id}`); route(); } catch (e) { toast(e.message); }
      } }, "Remove") },
    ], members, ["No members", "Add users so they can pull or push here."])));
}

async function robotsPage(project) {
  const info = await api("GET", `/projects/${enc(project)}`);
  const robots = await api("GET", `/robots?q=Level=project,ProjectID=${info.project_id}&page_size=100`);
  const secretBox = h("div", { class: "form-panel", hidden: true });
  const add = formPanel([h("label", {}, "Name", h("input", { name: "name", required: true, autocomplete: "off" })),
    h("label", {}, "Description", h("input", { name: "description" })),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "push" }), "May push")], "Create robot", async (data) => {
    const actions = data.get("push") ? ["pull", "push"] : ["pull"];
    const created = await api("POST", "/robots", {
      name: data.get("name"), description: data.get("description"), level: "project", duration: -1,
      permissions: [{ kind: "project", namespace: project, access: actions.map((action) => ({ resource: "repository", action })) }],
    });
    await robotsPage(project);
    const box = main.querySelector("[data-secret]");
    box.replaceChildren(h("strong", {}, `Secret for ${created.name} — copy it now, it is not shown again:`), h("code", { class: "secret" }, created.secret),
      h("button", { type: "button", class: "small", onclick: () => copyText(created.secret) }, "Copy secret"));
    box.hidden = false;
  });
  secretBox.setAttribute("data-secret", "");
  page(`${project} robots`, projectCrumbs(project), head(project), projectTabs(project, "robots"),
    h("div", { class: "panel" }, add, secretBox, table([
      { title: "Name", cell: (r) => h("code", {}, r.name) },
      { title: "Description", cell: (r) => r.description },
      { title: "Permissions", cell: (r) => r.permissions.flatMap((p) => p.access.map((a) => h("span", { class: "tag" }, a.action))) },
      { title: "Expires", cell: (r) => (r.expires_at === -1 ? "never" : new Date(r.expires_at * 1000).toLocaleString()) },
      { title: "", cell: (r) => h("button", { type: "button", class: "small danger", onclick: async () => {
        try { await api("DELETE", `/robots/${r.id}`); route(); } catch (e) { toast(e.message); }
      } }, "Delete") },
    ], robots, ["No robot accounts", "Robots give CI systems and clusters their own credentials."])));
}

async function usersPage() {
  const users = await api("GET", "/users?page_size=100");
  const add = formPanel([h("label", {}, "Username", h("input", { name: "username", required: true, autocomplete: "off" })),
    h("label", {}, "Email", h("input", { name: "email", type: "email" })),
    h("label", {}, "Password", h("input", { name: "password", type: "password", required: true, autocomplete: "new-password" }))],
  "Create user", async (data) => {
    await api("POST", "/users", { username: data.get("username"), email: data.get("email"), password: data.get("password") });
    toast(`User ${data.get("username")} created`);
    route();
  });
  page("Users", "", head("Users"), h("div", { class: "panel" }, add, table([
    { title: "Username", cell: (u) => u.username },
    { title: "Email", cell: (u) => u.email },
    { title: "Administrator", cell: (u) => (u.sysadmin_flag ? "yes" : "no") },
    { title: "Created", cell: (u) => when(u.creation_time) },
    { title: "", cell: (u) => (u.user_id === state.user.user_id ? "" : h("button", { type: "button", class: "small danger", onclick: async () => {
      try { await api("DELETE", `/users/${u.user_id}`); route(); } catch (e) { toast(e.message); }
    } }, "Delete")) },
  ], users, ["No users", ""])));
}

const REGISTRY_TYPES = { "docker-registry": "Docker registry (Distribution, any OCI registry)", harbor: "Harbor (or Berth)",
  "docker-hub": "Docker Hub" };

async function registriesPage() {
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
    route();
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
        try { await api("DELETE", `/registries/${r.id}`); route(); } catch (e) { toast(e.message); }
      } }, "Delete")] },
  ], registries, ["No registries", "Add an upstream registry, then create a project that is a proxy cache of it."])));
}

// ---- policy: tag immutability and retention --------------------------------------------
const RETENTION_TEMPLATES = {
  latestPushedK: "the most recently pushed # artifacts",
  latestPulledN: "the most recently pulled # artifacts",
  nDaysSinceLastPush: "artifacts pushed within the last # days",
  nDaysSinceLastPull: "artifacts pulled within the last # days",
  always: "always",
};
const doublestar = (decoration, pattern, extras) => ({ kind: "doublestar", decoration, pattern, ...(extras ? { extras } : {}) });
const patterns = (selectors) => (selectors || []).map((s) => s.pattern).join(", ");
const retains = (rule) => RETENTION_TEMPLATES[rule.template]
  ? `Retain ${RETENTION_TEMPLATES[rule.template].replace("#", (rule.params || {})[rule.template])}` : rule.template;

function immutabilitySection(project, rules) {
  const path = `/projects/${enc(project)}/immutabletagrules`;
  const add = formPanel([h("label", {}, "Tag pattern", h("input", { name: "tag", required: true, placeholder: "v*", autocomplete: "off" })),
    h("label", {}, "Repository pattern", h("input", { name: "repository", required: true, value: "**", autocomplete: "off" }))],
  "Add rule", async (data) => {
    await api("POST", path, { tag_selectors: [doublestar("matches", data.get("tag"))],
      scope_selectors: { repository: [doublestar("repoMatches", data.get("repository"))] } });
    toast(`Tags matching ${data.get("tag")} are immutable`);
    route();
  });
  const describe = (r) => `tags ${patterns(r.tag_selectors)} in repositories ${patterns(r.scope_selectors.repository)}`;
  return h("section", { class: "panel section", "aria-labelledby": "immutability-title" },
    h("h2", { id: "immutability-title" }, "Tag immutability"),
    h("p", { class: "muted" }, "A tag that matches an enabled rule cannot be moved to another artifact or deleted."),
    add, table([
      { title: "Tag pattern", cell: (r) => h("code", {}, patterns(r.tag_selectors)) },
      { title: "Repository pattern", cell: (r) => h("code", {}, patterns(r.scope_selectors.repository)) },
      { title: "Enabled", cell: (r) => h("span", { class: `badge ${r.disabled ? "" : "public"}` }, r.disabled ? "Disabled" : "Enabled") },
      { title: "", cell: (r) => [
        actionButton(r.disabled ? "Enable" : "Disable", async () => {
          await api("PUT", `${path}/${r.id}`, { disabled: !r.disabled });
          route();
        }, { "aria-label": `${r.disabled ? "Enable" : "Disable"} the rule for ${describe(r)}` }),
        actionButton("Delete", async () => {
          if (!await confirmAction(`Delete the immutability rule for ${describe(r)}? Those tags can then be moved and deleted.`, "Delete rule")) return;
          await api("DELETE", `${path}/${r.id}`);
          toast("Rule deleted");
          route();
        }, { class: "small danger", "aria-label": `Delete the rule for ${describe(r)}` })] },
    ], rules, ["No immutability rules", "Every tag can be moved and deleted."]));
}

function retentionForm(info) {
  const template = h("select", { name: "template" }, Object.entries(RETENTION_TEMPLATES).map(([id, text]) => h("option", { value: id }, `Retain ${text}`)));
  const count = h("input", { name: "count", type: "number", min: "1", value: "10", required: true });
  template.addEventListener("change", () => { count.disabled = template.value === "always"; });
  return formPanel([h("label", {}, "Retention rule", template), h("label", {}, "Count (the #)", count),
    h("label", {}, "Tags matching", h("input", { name: "tag", required: true, value: "**", autocomplete: "off" }))],
  "Create policy", async (data) => {
    const kind = data.get("template");
    await api("POST", "/retentions", {
      algorithm: "or",
      rules: [{ action: "retain", template: kind, params: kind === "always" ? {} : { [kind]: Number(data.get("count")) },
        tag_selectors: [doublestar("matches", data.get("tag"), JSON.stringify({ untagged: false }))],
        scope_selectors: { repository: [doublestar("repoMatches", "**")] } }],
      scope: { level: "project", ref: info.project_id },
      trigger: { kind: "Schedule", settings: { cron: "" } },
    });
    toast("Retention policy created");
    route();
  });
}

// The policy's runs, newest first, and the newest run's tasks with their logs.
async function retentionRuns(id) {
  const executions = await api("GET", `/retentions/${id}/executions?page_size=10`);
  const newest = executions[0];
  const tasks = newest ? await api("GET", `/retentions/${id}/executions/${newest.id}/tasks?page_size=100`) : [];
  return [h("div", {},
    h("h3", {}, "Runs"),
    table([
      { title: "Run", num: true, cell: (e) => e.id },
      { title: "Kind", cell: (e) => (e.dry_run ? "Dry run" : "Run") },
      { title: "Status", cell: (e) => h("span", { class: "badge" }, e.status) },
      { title: "Trigger", cell: (e) => e.trigger },
      { title: "Started", cell: (e) => when(e.start_time) },
    ], executions, ["No runs yet", "A dry run lists what a run would delete, and deletes nothing."]),
    newest ? [h("h3", {}, `Tasks of run ${newest.id}`), table([
      { title: "Repository", cell: (t) => t.repository },
      { title: "Status", cell: (t) => t.status },
      { title: "Artifacts", num: true, cell: (t) => t.total },
      { title: "Retained", num: true, cell: (t) => t.retained },
      { title: "", cell: (t) => logView(`the task for ${t.repository}`, `/retentions/${id}/executions/${newest.id}/tasks/${t.id}`) },
    ], tasks, [busy(newest.status) ? "Running…" : "No repositories", ""])] : null),
  Boolean(newest && busy(newest.status))];
}

async function retentionSection(info) {
  const id = info.metadata.retention_id;
  const section = h("section", { class: "panel section", "aria-labelledby": "retention-title" }, h("h2", { id: "retention-title" }, "Tag retention"));
  if (!id) {
    section.append(h("p", { class: "muted" }, "No retention policy: every artifact is kept. A policy keeps what its rules retain and deletes the rest."),
      retentionForm(info));
    return section;
  }
  const policy = await api("GET", `/retentions/${id}`);
  let runs = liveBox(() => retentionRuns(id));
  const start = (dryRun) => actionButton(dryRun ? "Dry run" : "Run", async () => {
    if (!dryRun && !await confirmAction(`Run the retention policy of ${info.name} now? Artifacts its rules do not retain are deleted.`, "Run")) return;
    await api("POST", `/retentions/${id}/executions`, { dry_run: dryRun });
    toast(dryRun ? "Dry run started" : "Retention run started");
    runs.replaceWith(runs = liveBox(() => retentionRuns(id)));
  }, dryRun ? {} : { class: "small danger" });
  section.append(table([
    { title: "Rule", cell: (r) => retains(r) },
    { title: "Tags matching", cell: (r) => h("code", {}, patterns(r.tag_selectors)) },
    { title: "Repositories", cell: (r) => h("code", {}, patterns(r.scope_selectors.repository)) },
  ], policy.rules, ["No rules", "The policy retains nothing."]),
  h("div", { class: "form-panel row" }, start(true), start(false)), runs);
  return section;
}

async function policyPage(project) {
  const [info, rules] = await Promise.all([api("GET", `/projects/${enc(project)}`),
    api("GET", `/projects/${enc(project)}/immutabletagrules?page_size=100`)]);
  page(`${project} policy`, projectCrumbs(project), head(project), projectTabs(project, "policy"),
    immutabilitySection(project, rules), await retentionSection(info));
}

// ---- garbage collection ----------------------------------------------------------------
const GC_SCHEDULES = ["None", "Hourly", "Daily", "Weekly", "Custom"];

async function gcHistory() {
  const runs = await api("GET", "/system/gc?page_size=20");
  const params = (r) => { try { return JSON.parse(r.job_parameters); } catch { return {}; } };
  return [table([
    { title: "Run", num: true, cell: (r) => r.id },
    { title: "Kind", cell: (r) => r.job_kind },
    { title: "Status", cell: (r) => h("span", { class: "badge" }, r.job_status) },
    { title: "Parameters", cell: (r) => [params(r).dry_run ? h("span", { class: "tag" }, "dry run") : null,
      params(r).delete_untagged ? h("span", { class: "tag" }, "delete untagged") : null] },
    { title: "Started", cell: (r) => when(r.creation_time) },
    { title: "", cell: (r) => (busy(r.job_status) ? "" : logView(`garbage collection ${r.id}`, `/system/gc/${r.id}/log`)) },
  ], runs, ["No garbage collection yet", "A dry run lists what would be deleted, and deletes nothing."]),
  runs.some((r) => busy(r.job_status))];
}

async function gcPage() {
  const current = await api("GET", "/system/gc/schedule");
  const schedule = current.schedule || { type: "None", cron: "" };
  const parameters = current.parameters || {};
  const type = h("select", { name: "type" }, GC_SCHEDULES.map((t) => h("option", { value: t, selected: t === schedule.type }, t)));
  const cron = h("input", { name: "cron", value: schedule.cron || "", placeholder: "0 0 3 * * *", autocomplete: "off",
    title: "six fields, seconds first", disabled: schedule.type !== "Custom" });
  type.addEventListener("change", () => { cron.disabled = type.value !== "Custom"; cron.required = type.value === "Custom"; });
  const untagged = h("input", { type: "checkbox", name: "delete_untagged", checked: Boolean(parameters.delete_untagged) });
  const form = formPanel([h("label", {}, "Schedule type", type), h("label", {}, "Cron", cron),
    h("label", { class: "check" }, untagged, "Delete untagged artifacts")], "Save schedule", async (data) => {
    await api("PUT", "/system/gc/schedule", { schedule: { type: data.get("type"), cron: data.get("cron") || "" },
      parameters: { delete_untagged: untagged.checked, dry_run: false } });
    toast(`Garbage collection schedule: ${data.get("type")}`);
    route();
  });
  let history = liveBox(gcHistory);
  const start = (dryRun) => actionButton(dryRun ? "Dry run" : "Run now", async () => {
    if (!dryRun && !await confirmAction(`Run garbage collection now? Blobs no manifest references${untagged.checked ? ", and untagged artifacts," : ""} are deleted.`, "Run now")) return;
    await api("POST", "/system/gc/schedule", { schedule: { type: "Manual" },
      parameters: { delete_untagged: untagged.checked, dry_run: dryRun } });
    toast(dryRun ? "Dry run started" : "Garbage collection started");
    history.replaceWith(history = liveBox(gcHistory));
  }, dryRun ? {} : { class: "small danger" });
  const shown = schedule.type === "None" || !schedule.type ? "Not scheduled"
    : `${schedule.type}${schedule.cron ? ` (${schedule.cron})` : ""}${schedule.next_scheduled_time ? ` · next run ${when(schedule.next_scheduled_time)}` : ""}`;
  page("Garbage collection", "", head("Garbage collection", start(true), start(false)),
    h("section", { class: "panel section", "aria-labelledby": "gc-schedule-title" }, h("h2", { id: "gc-schedule-title" }, "Schedule"),
      h("p", { "data-testid": "gc-schedule" }, shown), form),
    h("section", { class: "panel section", "aria-labelledby": "gc-history-title" }, h("h2", { id: "gc-history-title" }, "History"), history));
}

// ---- routing -------------------------------------------------------------------------
const ROUTES = [
  [/^#\/projects$/, () => projectsPage()],
  [/^#\/projects\/([^/]+)$/, (p) => repositoriesPage(p)],
  [/^#\/projects\/([^/]+)\/members$/, (p) => membersPage(p)],
  [/^#\/projects\/([^/]+)\/robots$/, (p) => robotsPage(p)],
  [/^#\/projects\/([^/]+)\/policy$/, (p) => policyPage(p)],
  [/^#\/projects\/([^/]+)\/repositories\/([^/]+)$/, (p, r) => artifactsPage(p, decodeURIComponent(r))],
  [/^#\/users$/, () => usersPage()],
  [/^#\/registries$/, () => registriesPage()],
  [/^#\/gc$/, () => gcPage()],
];

async function loadUser() {
  try {
    state.user = await api("GET", "/users/current");
  } catch (e) {
    state.user = null;
    if (e.status !== 401) throw e;
  }
  document.getElementById("whoami").textContent = state.user ? state.user.username : "";
  document.querySelectorAll(".admin-only").forEach((el) => { el.hidden = !(state.user && state.user.sysadmin_flag); });
}

async function route() {
  if (!state.user || location.hash === "#/login") {
    if (state.user) { go("#/projects"); return; }
    loginPage();
    return;
  }
  document.querySelector(".topbar").hidden = false;
  const hash = location.hash || "#/projects";
  document.querySelectorAll("[data-nav]").forEach((a) => a.classList.toggle("active", hash.startsWith(`#/${a.dataset.nav}`)));
  for (const [pattern, render] of ROUTES) {
    const match = hash.match(pattern);
    if (!match) continue;
    try {
      await render(...match.slice(1).map(decodeURIComponent));
    } catch (e) {
      page("Error", h("a", { href: "#/projects" }, "Projects"),
        h("div", { class: "panel empty" }, h("strong", {}, e.status === 404 ? "Not found" : "Something went wrong"), e.message));
    }
    return;
  }
  go("#/projects");
}

document.getElementById("logout").addEventListener("click", async () => {
  await fetch("/c/log_out", { method: "POST", credentials: "same-origin" });
  state.user = null;
  state.csrf = "";
  go("#/login");
});
window.addEventListener("hashchange", route);
loadUser().then(route);
