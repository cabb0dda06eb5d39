// The audit log: who did what, when — of the whole registry (administrators) or of one project.
import { enc, h, when } from "../lib/dom.js";
import { listView } from "../lib/list.js";
import { head, page } from "../lib/ui.js";
import { getProject, projectCrumbs, projectHead, projectTabs } from "./project.js";

// The log's entries, newest first, searchable by the start of the resource's name.
function logList(path) {
  const list = listView({
    path, label: "log entries",
    search: { label: "Resource name starts with", params: (text) => ({ q: `resource=~${text}` }) },
    columns: [
      { title: "Time", cell: (e) => when(e.op_time) },
      { title: "User", cell: (e) => e.username },
      { title: "Resource", cell: (e) => h("code", {}, e.resource) },
      { title: "Type", cell: (e) => e.resource_type },
      { title: "Operation", cell: (e) => h("span", { class: "badge" }, e.operation) },
    ],
    empty: ["No log entries", "Pushes, pulls, creations and deletions are recorded here."],
  });
  return list.element;
}

export async function auditLogPage() {
  page("Audit log", "", head("Audit log"), h("div", { class: "panel" }, logList("/audit-logs")));
}

export async function projectLogsPage(project) {
  const info = await getProject(project);
  page(`${project} logs`, projectCrumbs(project), projectHead(info), projectTabs(project, "logs"),
    h("div", { class: "panel" }, logList(`/projects/${enc(project)}/logs`)));
}
