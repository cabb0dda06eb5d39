// Garbage collection: its schedule, a run now (or a dry run), and the history with each run's log.
import { api } from "../lib/api.js";
import { confirmAction } from "../lib/dialog.js";
import { h, toast, when } from "../lib/dom.js";
import { refresh } from "../lib/nav.js";
import { actionButton, busy, formPanel, head, liveBox, logView, page, table } from "../lib/ui.js";

const GC_SCHEDULES = ["None", "Hourly", "Daily", "Weekly", "Custom"];

async function gcHistory() {
  const runs = await api("GET", "/system/gc?page_size=20");
  const params = (r) => { try { return JSON.parse(r.job_parameters); } catch { return {}; } };
  return [table([
    { title: "Run", num: true, cell: (r) => r.id },
    { title: "Kind", cell: (r) => r.job_kind },
    { title: "Status", cell: (r) => h("span", { class: "badge" }, r.job_status) },
    { title: "Parameters", cell: (r) => [params(r).dry_run ? h("span", { class: "tag" }, "dry run") : null,
      params(r).delete_untagged ? h("span", { class: "tag" }, "delete untagged") : null] },
    { title: "Started", cell: (r) => when(r.creation_time) },
    { title: "", cell: (r) => (busy(r.job_status) ? "" : logView(`garbage collection ${r.id}`, `/system/gc/${r.id}/log`)) },
  ], runs, ["No garbage collection yet", "A dry run lists what would be deleted, and deletes nothing."]),
  runs.some((r) => busy(r.job_status))];
}

export async function gcPage() {
  const current = await api("GET", "/system/gc/schedule");
  const schedule = current.schedule || { type: "None", cron: "" };
  const parameters = current.parameters || {};
  const type = h("select", { name: "type" }, GC_SCHEDULES.map((t) => h("option", { value: t, selected: t === schedule.type }, t)));
  const cron = h("input", { name: "cron", value: schedule.cron || "", placeholder: "0 0 3 * * *", autocomplete: "off",
    title: "six fields, seconds first", disabled: schedule.type !== "Custom" });
  type.addEventListener("change", () => { cron.disabled = type.value !== "Custom"; cron.required = type.value === "Custom"; });
  const untagged = h("input", { type: "checkbox", name: "delete_untagged", checked: Boolean(parameters.delete_untagged) });
  const form = formPanel([h("label", {}, "Schedule type", type), h("label", {}, "Cron", cron),
    h("label", { class: "check" }, untagged, "Delete untagged artifacts")], "Save schedule", async (data) => {
    await api("PUT", "/system/gc/schedule", { schedule: { type: data.get("type"), cron: data.get("cron") || "" },
      parameters: { delete_untagged: untagged.checked, dry_run: false } });
    toast(`Garbage collection schedule: ${data.get("type")}`);
    refresh();
  });
  let history = liveBox(gcHistory);
  const start = (dryRun) => actionButton(dryRun ? "Dry run" : "Run now", async () => {
    if (!dryRun && !await confirmAction(`Run garbage collection now? Blobs no manifest references${untagged.checked ? ", and untagged artifacts," : ""} are deleted.`, "Run now")) return;
    await api("POST", "/system/gc/schedule", { schedule: { type: "Manual" },
      parameters: { delete_untagged: untagged.checked, dry_run: dryRun } });
    toast(dryRun ? "Dry run started" : "Garbage collection started");
    history.replaceWith(history = liveBox(gcHistory));
  }, dryRun ? {} : { class: "small danger" });
  const shown = schedule.type === "None" || !schedule.type ? "Not scheduled"
    : `${schedule.type}${schedule.cron ? ` (${schedule.cron})` : ""}${schedule.next_scheduled_time ? ` · next run ${when(schedule.next_scheduled_time)}` : ""}`;
  page("Garbage collection", "", head("Garbage collection", start(true), start(false)),
    h("section", { class: "panel section", "aria-labelledby": "gc-schedule-title" }, h("h2", { id: "gc-schedule-title" }, "Schedule"),
      h("p", { "data-testid": "gc-schedule" }, shown), form),
    h("section", { class: "panel section", "aria-labelledby": "gc-history-title" }, h("h2", { id: "gc-history-title" }, "History"), history));
}

