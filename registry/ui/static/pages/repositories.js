// A project's repositories, with the commands that push into the project.
import { api } from "../lib/api.js";
import { confirmAction } from "../lib/dialog.js";
import { copyText, enc, h, registryHost, repoPath, toast, when } from "../lib/dom.js";
import { listView } from "../lib/list.js";
import { actionButton, page } from "../lib/ui.js";
import { getProject, projectBase, projectCrumbs, projectHead, projectTabs } from "./project.js";

// The commands Harbor shows under "Push command", by client.
export function pushCommands(project) {
  const at = `${registryHost()}/${project}`;
  return [
    ["Docker", "Tag an image for this project", `docker tag SOURCE_IMAGE[:TAG] ${at}/REPOSITORY[:TAG]`],
    ["Docker", "Push an image to this project", `docker push ${at}/REPOSITORY[:TAG]`],
    ["Podman", "Push an image to this project", `podman push IMAGE_ID ${at}/REPOSITORY[:TAG]`],
    ["Helm", "Package a chart", "helm package CHART_PATH"],
    ["Helm", "Push a chart to this project", `helm push CHART_PACKAGE oci://${at}`],
    ["CNAB", "Push a CNAB bundle to this project", `cnab-to-oci push CNAB_PATH --target ${at}/REPOSITORY[:TAG] --auto-update-bundle`],
  ];
}

function pushPanel(project) {
  const panel = h("div", { class: "push", id: "push-commands", hidden: true },
    h("dl", {}, pushCommands(project).map(([client, what, command]) => [
      h("dt", {}, `${client} — ${what}`),
      h("dd", {}, h("code", {}, command), h("button", { type: "button", class: "small", "aria-label": `Copy: ${command}`,
        onclick: () => copyText(command) }, "Copy"))])));
  const toggle = h("button", { type: "button", class: "small", "aria-expanded": "false", "aria-controls": "push-commands",
    onclick: () => {
      panel.hidden = !panel.hidden;
      toggle.setAttribute("aria-expanded", String(!panel.hidden));
    } }, "Push command");
  return [toggle, panel];
}

export async function repositoriesPage(project) {
  const info = await getProject(project);
  const list = listView({
    tools: pushPanel(project),
    path: `/projects/${enc(project)}/repositories`, label: "repositories",
    search: { label: "Search repositories", params: (text) => ({ q: `name=~${text}` }) },
    columns: [
      { title: "Name", cell: (r) => h("a", { href: `${projectBase(project)}/repositories/${repoPath(r.name.slice(project.length + 1))}` }, r.name) },
      { title: "Artifacts", num: true, cell: (r) => r.artifact_count },
      { title: "Pulls", num: true, cell: (r) => h("span", { "data-testid": "pull-count" }, r.pull_count) },
      { title: "Last modified", cell: (r) => when(r.update_time) },
      { title: "", cell: (r) => actionButton("Delete", async () => {
        if (!await confirmAction(`Delete repository ${r.name} with its ${r.artifact_count} artifact(s) and all their tags?`,
          "Delete repository")) return;
        await api("DELETE", `/projects/${enc(project)}/repositories/${repoPath(r.name.slice(project.length + 1))}`);
        toast(`Repository ${r.name} deleted`);
        list.reload();
      }, { class: "small danger", "aria-label": `Delete repository ${r.name}` }) },
    ],
    empty: ["No repositories yet", h("span", {}, "Push an image: ", h("code", {}, `docker push ${registryHost()}/${project}/IMAGE:TAG`))],
  });
  page(project, projectCrumbs(project), projectHead(info), projectTabs(project, "repositories"),
    h("div", { class: "panel" }, list.element));
}
