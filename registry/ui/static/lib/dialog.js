// Modal dialogs usable from the keyboard: the focus moves into the dialog, Escape closes it, Enter
// confirms, and on closing the focus returns to what had it before.
import { h } from "./dom.js";

// Shows `dialog` modally, focusing `initial` (else the dialog's first field or button); removes it on close.
export function openDialog(dialog, initial) {
  const opener = document.activeElement;
  dialog.addEventListener("close", () => {
    dialog.remove();
    const back = opener && opener !== document.body && opener.isConnected ? opener : document.getElementById("main");
    back.focus({ preventScroll: true });
  });
  if (!dialog.isConnected) document.body.append(dialog);
  dialog.showModal();
  (initial || dialog.querySelector("[autofocus], input, select, textarea, button")).focus();
  return dialog;
}

// A modal question naming what an action does; resolves true only when the action is confirmed.
export function confirmAction(message, actionLabel, { danger = true } = {}) {
  return new Promise((resolve) => {
    const yes = h("button", { type: "submit", class: danger ? "primary destructive" : "primary", value: "yes" }, actionLabel);
    const dialog = h("dialog", { "aria-labelledby": "confirm-text" },
      h("form", { method: "dialog", class: "stack" }, h("p", { id: "confirm-text" }, message),
        h("div", { class: "actions" }, h("button", { type: "submit", class: "secondary", value: "no" }, "Cancel"), yes)));
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"));
    openDialog(dialog, yes);  // Enter confirms; Escape or Cancel keeps everything
  });
}
