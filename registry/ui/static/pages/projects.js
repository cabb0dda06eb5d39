// The projects list and the "New project" dialog.
import { api, state } from "../lib/api.js";
import { openDialog } from "../lib/dialog.js";
import { enc, h, showError, toast, when } from "../lib/dom.js";
import { listView } from "../lib/list.js";
import { refresh } from "../lib/nav.js";
import { roleIn } from "../lib/roles.js";
import { head, page } from "../lib/ui.js";

export const visibilityBadge = (project) => {
  const shown = project.metadata.public === "true" ? "Public" : "Private";
  return h("span", { class: `badge ${shown.toLowerCase()}` }, shown);
};

export async function projectsPage() {
  const newButton = h("button", { class: "primary", type: "button", onclick: openProjectDialog }, "+ New project");
  const list = listView({
    path: "/projects", label: "projects",
    search: { label: "Search projects", params: (text) => ({ name: `~${text}` }) },
    columns: [
      { title: "Name", cell: (p) => [h("a", { href: `#/projects/${enc(p.name)}` }, p.name),
        p.registry_id ? h("span", { class: "tag" }, "proxy cache") : null] },
      { title: "Access", cell: visibilityBadge },
      { title: "Role", cell: (p) => roleIn(p, state.user) },
      { title: "Repositories", num: true, cell: (p) => p.repo_count },
      { title: "Created", cell: (p) => when(p.creation_time) },
    ],
    empty: ["No projects yet", "Create one with “New project”, then push images into it."],
  });
  page("Projects", "", head("Projects", newButton), h("div", { class: "panel" }, list.element));
}

async function openProjectDialog() {
  document.getElementById("new-project")?.remove();
  const dialog = document.getElementById("project-dialog").content.firstElementChild.cloneNode(true);
  const form = dialog.querySelector("form");
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
      refresh();
    } catch (e) { showError(error, e); }
  });
  openDialog(dialog, form.elements.name);
}
