// A project's robot accounts; a new robot's secret is shown once.
import { api } from "../lib/api.js";
import { confirmAction } from "../lib/dialog.js";
import { copyText, h, toast } from "../lib/dom.js";
import { listView } from "../lib/list.js";
import { actionButton, formPanel, page } from "../lib/ui.js";
import { getProject, projectCrumbs, projectHead, projectTabs } from "./project.js";

export async function robotsPage(project) {
  const info = await getProject(project);
  const secretBox = h("div", { class: "form-panel", "data-secret": "", hidden: true });
  const add = formPanel([h("label", {}, "Name", h("input", { name: "name", required: true, autocomplete: "off" })),
    h("label", {}, "Description", h("input", { name: "description" })),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "push" }), "May push")], "Create robot", async (data, form) => {
    const actions = data.get("push") ? ["pull", "push"] : ["pull"];
    const created = await api("POST", "/robots", {
      name: data.get("name"), description: data.get("description"), level: "project", duration: -1,
      permissions: [{ kind: "project", namespace: project, access: actions.map((action) => ({ resource: "repository", action })) }],
    });
    form.reset();
    list.reload();
    secretBox.replaceChildren(h("strong", {}, `Secret for ${created.name} — copy it now, it is not shown again:`), h("code", { class: "secret" }, created.secret),
      h("button", { type: "button", class: "small", onclick: () => copyText(created.secret) }, "Copy secret"));
    secretBox.hidden = false;
  });
  const list = listView({
    path: "/robots", label: "robot accounts", params: { q: `Level=project,ProjectID=${info.project_id}` },
    search: { label: "Search robot accounts", params: (text) => ({ q: `Level=project,ProjectID=${info.project_id},name=~${text}` }) },
    columns: [
      { title: "Name", cell: (r) => h("code", {}, r.name) },
      { title: "Description", cell: (r) => r.description },
      { title: "Permissions", cell: (r) => r.permissions.flatMap((p) => p.access.map((a) => h("span", { class: "tag" }, a.action))) },
      { title: "Expires", cell: (r) => (r.expires_at === -1 ? "never" : new Date(r.expires_at * 1000).toLocaleString()) },
      { title: "", cell: (r) => actionButton("Delete", async () => {
        if (!await confirmAction(`Delete robot account ${r.name}? Whatever logs in with its secret stops working.`, "Delete robot")) return;
        await api("DELETE", `/robots/${r.id}`);
        toast(`${r.name} deleted`);
        list.reload();
      }, { class: "small danger", "aria-label": `Delete ${r.name}` }) },
    ],
    empty: ["No robot accounts", "Robots give CI systems and clusters their own credentials."],
  });
  page(`${project} robots`, projectCrumbs(project), projectHead(info), projectTabs(project, "robots"),
    h("div", { class: "panel" }, add, secretBox, list.element));
}
