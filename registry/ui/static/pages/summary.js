// A project at a glance: repositories, artifacts, members by role, and the storage quota as a bar.
import { apiPage, api } from "../lib/api.js";
import { enc, h, size, when } from "../lib/dom.js";
import { page } from "../lib/ui.js";
import { getProject, projectCrumbs, projectHead, projectTabs } from "./project.js";

const MEMBER_COUNTS = [["project_admin_count", "Project admins"], ["maintainer_count", "Maintainers"],
  ["developer_count", "Developers"], ["guest_count", "Guests"], ["limited_guest_count", "Limited guests"]];

// The artifacts of every repository, added up (the summary does not count them).
async function artifactCount(project) {
  let count = 0;
  for (let number = 1, seen = 0, total = 1; seen < total; number++) {
    const { items, total: all } = await apiPage(`/projects/${enc(project)}/repositories`, { page: number, page_size: 100 });
    if (!items.length) break;
    total = all;
    seen += items.length;
    count += items.reduce((sum, r) => sum + r.artifact_count, 0);
  }
  return count;
}

function quotaView(quota) {
  const used = quota.used.storage;
  const hard = quota.hard.storage;
  if (hard < 0) {
    return h("div", { class: "quota" }, h("progress", { max: 1, value: 0, "aria-label": "Storage used" }),
      h("p", { "data-testid": "quota" }, `${size(used)} used, no limit`));
  }
  const share = hard ? Math.min(used / hard, 1) : 1;
  return h("div", { class: "quota" }, h("progress", { max: hard || 1, value: Math.min(used, hard), "aria-label": "Storage used",
    class: share >= 0.9 ? "full" : "" }), h("p", { "data-testid": "quota" }, `${size(used)} of ${size(hard)} used (${Math.round(share * 100)}%)`));
}

const figure = (label, value) => h("div", { class: "figure" }, h("span", { class: "value", "data-testid": label }, value),
  h("span", { class: "muted" }, label));

export async function summaryPage(project) {
  const [info, summary, artifacts] = await Promise.all([getProject(project),
    api("GET", `/projects/${enc(project)}/summary`), artifactCount(project)]);
  const members = MEMBER_COUNTS.reduce((sum, [key]) => sum + (summary[key] || 0), 0);
  page(`${project} summary`, projectCrumbs(project), projectHead(info), projectTabs(project, "summary"),
    h("section", { class: "panel section", "aria-labelledby": "summary-title" },
      h("h2", { id: "summary-title" }, "Summary"),
      h("div", { class: "figures" }, figure("Repositories", summary.repo_count), figure("Artifacts", artifacts),
        figure("Members", members)),
      h("p", { class: "muted" }, MEMBER_COUNTS.filter(([key]) => summary[key]).map(([key, label]) => `${label}: ${summary[key]}`).join(" · ")
        || "No members"),
      h("p", { class: "muted" }, `Created ${when(info.creation_time)}${info.owner_name ? ` by ${info.owner_name}` : ""}`)),
    h("section", { class: "panel section", "aria-labelledby": "quota-title" },
      h("h2", { id: "quota-title" }, "Storage quota"), quotaView(summary.quota)));
}
