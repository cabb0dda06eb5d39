// What every page of a project shares: crumbs, the heading with visibility and deletion, the tabs.
import { api, state } from "../lib/api.js";
import { atLeast } from "../lib/roles.js";
import { confirmAction } from "../lib/dialog.js";
import { enc, h, toast } from "../lib/dom.js";
import { go, refresh } from "../lib/nav.js";
import { actionButton, head } from "../lib/ui.js";
import { visibilityBadge } from "./projects.js";

const TABS = [["summary", "Summary", "/summary"], ["repositories", "Repositories", ""], ["members", "Members", "/members"],
  ["robots", "Robot accounts", "/robots"], ["webhooks", "Webhooks", "/webhooks"], ["labels", "Labels", "/labels"],
  ["logs", "Logs", "/logs"], ["policy", "Policy", "/policy"]];

export const projectBase = (project) => `#/projects/${enc(project)}`;
export const getProject = (project) => api("GET", `/projects/${enc(project)}`);

export function projectTabs(project, active) {
  return h("nav", { class: "tabs", "aria-label": "Project" },
    TABS.map(([key, label, suffix]) => h("a", { href: projectBase(project) + suffix, class: key === active ? "active" : "",
      "aria-current": key === active ? "page" : false }, label)));
}

export function projectCrumbs(project) {
  return [h("a", { href: "#/projects" }, "Projects"), " / ", project];
}

// Whether the signed-in user may change the project (its visibility, its deletion).
const mayManage = (info) => atLeast(info, state.user, 1);

// The project's heading: its name, its visibility, and (for those who may) the buttons that change them.
export function projectHead(info) {
  const isPublic = info.metadata.public === "true";
  const actions = mayManage(info) ? [
    actionButton(isPublic ? "Make private" : "Make public", async () => {
      const question = isPublic
        ? `Make project ${info.name} private? Only its members and robot accounts may then pull from it.`
        : `Make project ${info.name} public? Anyone, without logging in, may then pull its images.`;
      if (!await confirmAction(question, isPublic ? "Make private" : "Make public", { danger: false })) return;
      await api("PUT", `/projects/${enc(info.name)}`, { metadata: { public: String(!isPublic) } });
      toast(`${info.name} is now ${isPublic ? "private" : "public"}`);
      refresh();
    }),
    actionButton("Delete project", async () => {
      if (!await confirmAction(`Delete project ${info.name}? Its members, robot accounts and policies go with it.`
        + " A project that still holds repositories is not deleted.", "Delete project")) return;
      await api("DELETE", `/projects/${enc(info.name)}`);
      toast(`Project ${info.name} deleted`);
      go("#/projects");
    }, { class: "small danger" }),
  ] : [];
  return head(info.name, visibilityBadge(info), ...actions);
}
