// Berth web UI: a small single-page app over /api/v2.0. No build step, no framework.
// This file logs in and routes; each page is a module in pages/, the shared pieces are in lib/.
import { state, api } from "./lib/api.js";
import { h, showError } from "./lib/dom.js";
import { go, setRouter } from "./lib/nav.js";
import { accountRole } from "./lib/roles.js";
import { page } from "./lib/ui.js";
import { artifactPage, artifactsPage } from "./pages/artifacts.js";
import { auditLogPage, projectLogsPage } from "./pages/logs.js";
import { gcPage } from "./pages/gc.js";
import { labelsPage, projectLabelsPage } from "./pages/labels.js";
import { membersPage } from "./pages/members.js";
import { policyPage } from "./pages/policy.js";
import { projectsPage } from "./pages/projects.js";
import { registriesPage } from "./pages/registries.js";
import { repositoriesPage } from "./pages/repositories.js";
import { robotsPage } from "./pages/robots.js";
import { summaryPage } from "./pages/summary.js";
import { usersPage } from "./pages/users.js";
import { webhooksPage } from "./pages/webhooks.js";

const main = document.getElementById("main");

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

// ---- routing -------------------------------------------------------------------------
const ROUTES = [
  [/^#\/projects$/, () => projectsPage()],
  [/^#\/projects\/([^/]+)$/, (p) => repositoriesPage(p)],
  [/^#\/projects\/([^/]+)\/members$/, (p) => membersPage(p)],
  [/^#\/projects\/([^/]+)\/robots$/, (p) => robotsPage(p)],
  [/^#\/projects\/([^/]+)\/policy$/, (p) => policyPage(p)],
  [/^#\/projects\/([^/]+)\/summary$/, (p) => summaryPage(p)],
  [/^#\/projects\/([^/]+)\/webhooks$/, (p) => webhooksPage(p)],
  [/^#\/projects\/([^/]+)\/logs$/, (p) => projectLogsPage(p)],
  [/^#\/projects\/([^/]+)\/labels$/, (p) => projectLabelsPage(p)],
  [/^#\/projects\/([^/]+)\/repositories\/([^/]+)$/, (p, r) => artifactsPage(p, decodeURIComponent(r))],
  [/^#\/projects\/([^/]+)\/repositories\/([^/]+)\/artifacts\/([^/]+)$/, (p, r, d) => artifactPage(p, decodeURIComponent(r), d)],
  [/^#\/logs$/, () => auditLogPage()],
  [/^#\/users$/, () => usersPage()],
  [/^#\/registries$/, () => registriesPage()],
  [/^#\/gc$/, () => gcPage()],
  [/^#\/labels$/, () => labelsPage()],
];

async function loadUser() {
  try {
    state.user = await api("GET", "/users/current");
  } catch (e) {
    state.user = null;
    if (e.status !== 401) throw e;
  }
  document.getElementById("whoami").textContent = state.user ? state.user.username : "";
  document.getElementById("whoami-role").textContent = state.user ? accountRole(state.user) : "";
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
setRouter(route);
window.addEventListener("hashchange", route);
loadUser().then(route);
