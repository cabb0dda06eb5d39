// Tag immutability rules and the tag retention policy of a project, with the policy's runs.
import { api } from "../lib/api.js";
import { confirmAction } from "../lib/dialog.js";
import { enc, h, size, toast, when } from "../lib/dom.js";
import { refresh } from "../lib/nav.js";
import { actionButton, busy, formPanel, liveBox, logView, page, table } from "../lib/ui.js";
import { getProject, projectCrumbs, projectHead, projectTabs } from "./project.js";

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
    refresh();
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
          refresh();
        }, { "aria-label": `${r.disabled ? "Enable" : "Disable"} the rule for ${describe(r)}` }),
        actionButton("Delete", async () => {
          if (!await confirmAction(`Delete the immutability rule for ${describe(r)}? Those tags can then be moved and deleted.`, "Delete rule")) return;
          await api("DELETE", `${path}/${r.id}`);
          toast("Rule deleted");
          refresh();
        }, { class: "small danger", "aria-label": `Delete the rule for ${describe(r)}` })] },
    ], rules, ["No immutability rules", "Every tag can be moved and deleted."]));
}

// The fields of one retention rule, and the rule (Harbor's shape) a submitted form makes.
function ruleFields() {
  const template = h("select", { name: "template" }, Object.entries(RETENTION_TEMPLATES).map(([id, text]) => h("option", { value: id }, `Retain ${text}`)));
  const count = h("input", { name: "count", type: "number", min: "0", value: "10", required: true });
  template.addEventListener("change", () => { count.disabled = template.value === "always"; });
  return [h("label", {}, "Retention rule", template), h("label", {}, "Count (the #)", count),
    h("label", {}, "Tags matching", h("input", { name: "tag", required: true, value: "**", autocomplete: "off" })),
    h("label", {}, "Repositories matching", h("input", { name: "repository", required: true, value: "**", autocomplete: "off" })),
    h("label", { class: "check" }, h("input", { name: "untagged", type: "checkbox" }), "Untagged artifacts too")];
}

function ruleFrom(data) {
  const kind = data.get("template");
  return { action: "retain", template: kind, params: kind === "always" ? {} : { [kind]: Number(data.get("count")) },
    tag_selectors: [doublestar("matches", data.get("tag"), JSON.stringify({ untagged: data.get("untagged") === "on" }))],
    scope_selectors: { repository: [doublestar("repoMatches", data.get("repository"))] } };
}

const untaggedToo = (rule) => (rule.tag_selectors || []).some((s) => s.extras && JSON.parse(s.extras).untagged);

function retentionForm(info) {
  return formPanel(ruleFields(), "Create policy", async (data) => {
    await api("POST", "/retentions", {
      algorithm: "or", rules: [ruleFrom(data)],
      scope: { level: "project", ref: info.project_id },
      trigger: { kind: "Schedule", settings: { cron: "" } },
    });
    toast("Retention policy created");
    refresh();
  });
}

// The policy's runs, newest first (a running one can be stopped), and the newest run's tasks with their logs.
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
      { title: "Frees after GC", num: true, cell: (e) => (busy(e.status) ? "" : size(e.freed_bytes)) },
      { title: "", cell: (e) => (e.status === "Running" ? actionButton("Stop", async () => {
        await api("PATCH", `/retentions/${id}/executions/${e.id}`, { action: "stop" });
        toast(`Run ${e.id} is stopping`);
      }, { "aria-label": `Stop run ${e.id}` }) : null) },
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

// An existing policy: its rules (add, delete), its schedule, deleting it, and running it.
function policyEditor(info, id, policy) {
  const save = (changes) => api("PUT", `/retentions/${id}`, { ...policy, ...changes });
  const describe = (r) => `"${retains(r)}" for tags ${patterns(r.tag_selectors)} in ${patterns(r.scope_selectors.repository)}`;
  const rules = table([
    { title: "Rule", cell: (r) => retains(r) },
    { title: "Tags matching", cell: (r) => h("code", {}, patterns(r.tag_selectors)) },
    { title: "Repositories", cell: (r) => h("code", {}, patterns(r.scope_selectors.repository)) },
    { title: "Untagged", cell: (r) => (untaggedToo(r) ? "Included" : "") },
    { title: "", cell: (r) => actionButton("Delete", async () => {
      if (!await confirmAction(`Delete the rule ${describe(r)}? What only it retained is deleted by the next run.`, "Delete rule")) return;
      await save({ rules: policy.rules.filter((other) => other !== r) });
      toast("Rule deleted");
      refresh();
    }, { class: "small danger", "aria-label": `Delete the rule ${describe(r)}` }) },
  ], policy.rules, ["No rules", "The policy retains nothing: a run deletes every artifact."]);
  const addRule = formPanel(ruleFields(), "Add retention rule", async (data) => {
    await save({ rules: [...policy.rules, ruleFrom(data)] });
    toast("Rule added");
    refresh();
  });
  const cron = (policy.trigger.settings || {}).cron || "";
  const schedule = formPanel([h("label", {}, "Schedule (cron, seconds first)",
    h("input", { name: "cron", value: cron, placeholder: "0 0 0 * * *  (empty: run by hand only)", autocomplete: "off" }))],
  "Save schedule", async (data) => {
    await save({ trigger: { kind: "Schedule", settings: { cron: data.get("cron").trim() } } });
    toast(data.get("cron").trim() ? "Schedule saved" : "The policy now runs by hand only");
    refresh();
  });
  const remove = actionButton("Delete policy", async () => {
    if (!await confirmAction(`Delete the retention policy of ${info.name}? Every artifact is then kept.`, "Delete policy")) return;
    await api("DELETE", `/retentions/${id}`);
    toast("Retention policy deleted");
    refresh();
  }, { class: "small danger" });
  return [rules, addRule, schedule, remove];
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
  const [rules, addRule, schedule, remove] = policyEditor(info, id, policy);
  section.append(rules, addRule, schedule, h("div", { class: "form-panel row" }, start(true), start(false), remove), runs);
  return section;
}

export async function policyPage(project) {
  const [info, rules] = await Promise.all([getProject(project),
    api("GET", `/projects/${enc(project)}/immutabletagrules?page_size=100`)]);
  page(`${project} policy`, projectCrumbs(project), projectHead(info), projectTabs(project, "policy"),
    immutabilitySection(project, rules), await retentionSection(info));
}

