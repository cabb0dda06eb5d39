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

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (state.csrf) headers["X-Harbor-CSRF-Token"] = state.csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(API + path, {
    method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
  });
  const token = response.headers.get("X-Harbor-CSRF-Token");
  if (token) state.csrf = token;
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    if (response.status === 401 && state.user) { state.user = null; go("#/login"); }
    const message = data && data.errors && data.errors[0] ? data.errors[0].message : response.statusText;
    throw new ApiError(response.status, message);
  }
  return data;
}

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
    ["robots", "Robot accounts", `${base}/robots`]];
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

// ---- routing -------------------------------------------------------------------------
const ROUTES = [
  [/^#\/projects$/, () => projectsPage()],
  [/^#\/projects\/([^/]+)$/, (p) => repositoriesPage(p)],
  [/^#\/projects\/([^/]+)\/members$/, (p) => membersPage(p)],
  [/^#\/projects\/([^/]+)\/robots$/, (p) => robotsPage(p)],
  [/^#\/projects\/([^/]+)\/repositories\/([^/]+)$/, (p, r) => artifactsPage(p, decodeURIComponent(r))],
  [/^#\/users$/, () => usersPage()],
  [/^#\/registries$/, () => registriesPage()],
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
