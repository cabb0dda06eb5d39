// A repository's artifacts, and one artifact's tags and labels.
import { api, state } from "../lib/api.js";
import { atLeast } from "../lib/roles.js";
import { confirmAction } from "../lib/dialog.js";
import { copyText, enc, h, registryHost, repoPath, size, toast, when } from "../lib/dom.js";
import { go } from "../lib/nav.js";
import { listView } from "../lib/list.js";
import { actionButton, head, page } from "../lib/ui.js";
import { artifactLabels, labelChip } from "./labels.js";
import { getProject, projectBase } from "./project.js";

const repoBase = (project, repo) => `${projectBase(project)}/repositories/${repoPath(repo)}`;
const artifactsPath = (project, repo) => `/projects/${enc(project)}/repositories/${repoPath(repo)}/artifacts`;
const crumbs = (project, repo, ...more) => [h("a", { href: "#/projects" }, "Projects"), " / ",
  h("a", { href: projectBase(project) }, project), " / ", more.length ? h("a", { href: repoBase(project, repo) }, repo) : repo, ...more];
const short = (digest) => digest.slice(0, 19);
const tagNames = (a) => (a.tags.length ? a.tags.map((t) => t.name).join(", ") : "no tags");
// Whether the signed-in user may push to the project, and so put labels on its artifacts and take them off.
const mayLabel = (info) => atLeast(info, state.user, 2);

async function deleteArtifact(project, repo, a) {
  if (!await confirmAction(`Delete artifact ${short(a.digest)} of ${project}/${repo} (${tagNames(a)})? Its tags go with it.`,
    "Delete artifact")) return false;
  await api("DELETE", `${artifactsPath(project, repo)}/${a.digest}`);
  toast(`Artifact ${short(a.digest)} deleted`);
  return true;
}

export async function artifactsPage(project, repo) {
  const full = `${project}/${repo}`;
  const pullCommand = (a) => `docker pull ${registryHost()}/${full}${a.tags.length ? `:${a.tags[0].name}` : `@${a.digest}`}`;
  const list = listView({
    path: artifactsPath(project, repo), label: "artifacts", params: { with_label: "true" },
    search: { label: "Search by tag", params: (text) => ({ q: `tags=~${text}` }) },
    columns: [
      { title: "Digest", cell: (a) => h("a", { href: `${repoBase(project, repo)}/artifacts/${a.digest}`, title: a.digest }, h("code", {}, short(a.digest))) },
      { title: "Tags", cell: (a) => (a.tags.length ? a.tags.map((t) => h("span", { class: "tag" }, t.name)) : h("span", { class: "muted" }, "untagged")) },
      { title: "Labels", cell: (a) => (a.labels.length ? h("span", { class: "label-chips" }, a.labels.map((l) => labelChip(l))) : "") },
      { title: "Type", cell: (a) => (a.references.length ? `${a.type} · ${a.references.length} platforms` : a.type) },
      { title: "Size", num: true, cell: (a) => size(a.size) },
      { title: "Pushed", cell: (a) => when(a.push_time) },
      { title: "Pulled", cell: (a) => when(a.pull_time) },
      { title: "Pulls", num: true, cell: (a) => a.pull_count },
      { title: "", cell: (a) => [
        h("button", { type: "button", class: "small", "aria-label": `Copy pull command for ${a.digest}`, onclick: () => copyText(pullCommand(a)) }, "Copy pull command"),
        actionButton("Delete", async () => { if (await deleteArtifact(project, repo, a)) list.reload(); },
          { class: "small danger", "aria-label": `Delete artifact ${a.digest}` })] },
    ],
    empty: ["No artifacts", "Everything in this repository was deleted."],
  });
  page(full, crumbs(project, repo), head(full), h("div", { class: "panel" }, list.element));
}

export async function artifactPage(project, repo, digest) {
  const path = `${artifactsPath(project, repo)}/${digest}`;
  const [artifact, info] = await Promise.all([api("GET", `${path}?with_label=true`), getProject(project)]);
  const tags = listView({
    path: `${path}/tags`, label: "tags",
    search: { label: "Search tags", params: (text) => ({ q: `name=~${text}` }) },
    columns: [
      { title: "Tag", cell: (t) => h("span", { class: "tag" }, t.name) },
      { title: "Pushed", cell: (t) => when(t.push_time) },
      { title: "Pulled", cell: (t) => when(t.pull_time) },
      { title: "Immutable", cell: (t) => (t.immutable ? "yes" : "no") },
      { title: "", cell: (t) => actionButton("Delete", async () => {
        if (!await confirmAction(`Delete tag ${t.name} of ${project}/${repo}? The artifact ${short(digest)} stays.`, "Delete tag")) return;
        await api("DELETE", `${path}/tags/${enc(t.name)}`);
        toast(`Tag ${t.name} deleted`);
        tags.reload();
      }, { class: "small danger", "aria-label": `Delete tag ${t.name}` }) },
    ],
    empty: ["No tags", "This artifact is reachable by its digest only."],
  });
  const remove = actionButton("Delete artifact", async () => {
    if (await deleteArtifact(project, repo, await api("GET", path))) go(repoBase(project, repo));  // its tags as they are now
  }, { class: "small danger" });
  page(short(digest), crumbs(project, repo, " / ", short(digest)), head(`${project}/${repo}@${short(digest)}`, remove),
    h("section", { class: "panel section", "aria-labelledby": "artifact-title" },
      h("h2", { id: "artifact-title" }, "Artifact"),
      h("dl", { class: "facts" }, h("dt", {}, "Digest"), h("dd", {}, h("code", {}, digest)),
        h("dt", {}, "Type"), h("dd", {}, artifact.type), h("dt", {}, "Size"), h("dd", {}, size(artifact.size)),
        h("dt", {}, "Pushed"), h("dd", {}, when(artifact.push_time)))),
    artifactLabels({ path, projectId: info.project_id, artifact, mayLabel: mayLabel(info),
      reload: () => api("GET", `${path}?with_label=true`) }),
    h("section", { class: "panel section", "aria-labelledby": "tags-title" }, h("h2", { id: "tags-title" }, "Tags"), tags.element));
}
