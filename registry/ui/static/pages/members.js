// A project's members and their roles.
import { api } from "../lib/api.js";
import { confirmAction } from "../lib/dialog.js";
import { enc, h, toast } from "../lib/dom.js";
import { listView } from "../lib/list.js";
import { ROLES } from "../lib/roles.js";
import { actionButton, formPanel, page } from "../lib/ui.js";
import { getProject, projectCrumbs, projectHead, projectTabs } from "./project.js";

export async function membersPage(project) {
  const info = await getProject(project);
  const path = `/projects/${enc(project)}/members`;
  const roleSelect = () => h("select", { name: "role" }, Object.entries(ROLES).map(([id, name]) => h("option", { value: id }, name)));
  const add = formPanel([h("label", {}, "Username", h("input", { name: "username", required: true, autocomplete: "off" })),
    h("label", {}, "Role", roleSelect())], "Add member", async (data, form) => {
    await api("POST", path, { role_id: Number(data.get("role")), member_user: { username: data.get("username") } });
    toast(`${data.get("username")} added`);
    form.reset();
    list.reload();
  });
  const list = listView({
    path, label: "members",
    search: { label: "Search members", params: (text) => ({ entityname: text }) },
    columns: [
      { title: "User", cell: (m) => m.entity_name },
      { title: "Role", cell: (m) => ROLES[m.role_id] || m.role_name },
      { title: "", cell: (m) => actionButton("Remove", async () => {
        if (!await confirmAction(`Remove ${m.entity_name} from ${project}? They keep their account.`, "Remove member")) return;
        await api("DELETE", `${path}/${m.id}`);
        toast(`${m.entity_name} removed`);
        list.reload();
      }, { class: "small danger", "aria-label": `Remove ${m.entity_name}` }) },
    ],
    empty: ["No members", "Add users so they can pull or push here."],
  });
  page(`${project} members`, projectCrumbs(project), projectHead(info), projectTabs(project, "members"),
    h("div", { class: "panel" }, add, list.element));
}
