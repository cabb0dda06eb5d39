// Sign-in beside local accounts: the "Sign in with <provider>" button on the login page, and
// an OIDC user's CLI secret (show, copy, regenerate) in the top bar. Kept apart from app.js:
// it only watches for the login form and the signed-in user's name to appear.
"use strict";

(() => {
  const API = "/api/v2.0";
  let provider;  // a promise of the OIDC provider's name, or "" when OIDC is off

  function providerName() {
    provider ||= fetch(API + "/systeminfo", { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : {})).then((info) => info.oidc_provider_name || "").catch(() => "");
    return provider;
  }

  async function offerProvider() {
    const form = document.getElementById("login-form");
    if (!form || document.getElementById("oidc-sign-in")) return;
    const name = await providerName();
    if (!name || document.getElementById("oidc-sign-in")) return;
    const link = document.createElement("a");
    link.id = "oidc-sign-in";
    link.className = "button secondary";
    link.href = "/c/oidc/login";
    link.textContent = `Sign in with ${name}`;
    Object.assign(link.style, { display: "block", marginTop: "1rem", textAlign: "center", padding: ".55rem 1rem",
      border: "1px solid currentColor", borderRadius: "6px", textDecoration: "none" });
    form.after(link);
  }

  async function currentUser() {
    const response = await fetch(API + "/users/current", { credentials: "same-origin", headers: { Accept: "application/json" } });
    return response.ok ? { user: await response.json(), csrf: response.headers.get("X-Harbor-CSRF-Token") || "" } : null;
  }

  function secretDialog(user, csrf) {
    const dialog = document.createElement("dialog");
    dialog.id = "cli-secret-dialog";
    dialog.setAttribute("aria-labelledby", "cli-secret-title");
    const title = document.createElement("h2");
    title.id = "cli-secret-title";
    title.textContent = "CLI secret";
    const help = document.createElement("p");
    help.className = "muted";
    help.textContent = `Use it as the password of ${user.username} for docker, podman and helm.`;
    const label = document.createElement("label");
    label.textContent = "Secret ";
    const field = document.createElement("input");
    field.id = "cli-secret";
    field.readOnly = true;
    field.value = user.oidc_user_meta.secret;
    label.append(field);
    const error = document.createElement("p");
    error.className = "error";
    error.setAttribute("role", "alert");
    error.hidden = true;
    const regenerate = document.createElement("button");
    regenerate.type = "button";
    regenerate.className = "secondary";
    regenerate.textContent = "Regenerate";
    regenerate.addEventListener("click", async () => {
      error.hidden = true;
      const response = await fetch(`${API}/users/${user.user_id}/cli_secret`, {
        method: "PUT", credentials: "same-origin", body: "{}",
        headers: { "Content-Type": "application/json", "X-Harbor-CSRF-Token": csrf },
      });
      if (response.ok) field.value = (await response.json()).secret;
      else { error.textContent = "The secret could not be regenerated."; error.hidden = false; }
    });
    const close = document.createElement("button");
    close.type = "button";
    close.className = "primary";
    close.textContent = "Close";
    close.addEventListener("click", () => dialog.close());
    const actions = document.createElement("div");
    actions.className = "actions";
    actions.append(regenerate, close);
    const body = document.createElement("div");
    body.className = "stack";
    body.append(title, help, label, error, actions);
    dialog.append(body);
    dialog.addEventListener("close", () => dialog.remove());
    return dialog;
  }

  let shownFor = null;
  async function offerSecret() {
    const whoami = document.getElementById("whoami");
    const name = whoami ? whoami.textContent : "";
    if (name === shownFor) return;
    shownFor = name;
    document.getElementById("cli-secret-button")?.remove();
    if (!name) return;
    const found = await currentUser();
    if (!found || !found.user.oidc_user_meta || found.user.username !== name) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.id = "cli-secret-button";
    button.textContent = "CLI secret";
    button.style.marginRight = "1rem";
    button.addEventListener("click", async () => {
      const fresh = await currentUser();
      if (!fresh || !fresh.user.oidc_user_meta) return;
      const dialog = secretDialog(fresh.user, fresh.csrf);
      document.body.append(dialog);
      dialog.showModal();
    });
    whoami.after(button);
  }

  const watch = () => { offerProvider(); offerSecret(); };
  new MutationObserver(watch).observe(document.body, { childList: true, subtree: true, characterData: true });
  watch();
})();
