// The local user accounts (system administrators only).
import { api, state } from "../lib/api.js";
import { confirmAction } from "../lib/dialog.js";
import { h, toast, when } from "../lib/dom.js";
import { listView } from "../lib/list.js";
import { accountRole } from "../lib/roles.js";
import { actionButton, formPanel, head, page } from "../lib/ui.js";

export async function usersPage() {
  const add = formPanel([h("label", {}, "Username", h("input", { name: "username", required: true, autocomplete: "off" })),
    h("label", {}, "Email", h("input", { name: "email", type: "email" })),
    h("label", {}, "Password", h("input", { name: "password", type: "password", required: true, autocomplete: "new-password" }))],
  "Create user", async (data, form) => {
    await api("POST", "/users", { username: data.get("username"), email: data.get("email"), password: data.get("password") });
    toast(`User ${data.get("username")} created`);
    form.reset();
    list.reload();
  });
  const list = listView({
    path: "/users", label: "users",
    search: { label: "Search users", params: (text) => ({ username: text }) },
    columns: [
      { title: "Username", cell: (u) => u.username },
      { title: "Email", cell: (u) => u.email },
      { title: "Role", cell: accountRole },
      { title: "Created", cell: (u) => when(u.creation_time) },
      { title: "", cell: (u) => (u.user_id === state.user.user_id ? "" : actionButton("Delete", async () => {
        if (!await confirmAction(`Delete user ${u.username}? Their project memberships go with the account.`, "Delete user")) return;
        await api("DELETE", `/users/${u.user_id}`);
        toast(`User ${u.username} deleted`);
        list.reload();
      }, { class: "small danger", "aria-label": `Delete user ${u.username}` })) },
    ],
    empty: ["No users", ""],
  });
  page("Users", "", head("Users"), h("div", { class: "panel" }, add, list.element));
}
