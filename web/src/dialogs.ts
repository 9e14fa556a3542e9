/** Modal dialogs (native `<dialog>`: focus stays inside, Escape cancels): confirm and token login. */
import { byId } from "./dom.js";

/** Asks to confirm `message`; resolves true when the user presses the action button. */
export function confirmAction(title: string, message: string, action: string): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>("confirm");
  byId("confirm-title").textContent = title;
  byId("confirm-message").textContent = message;
  byId("confirm-ok").textContent = action;
  dialog.returnValue = "";
  dialog.showModal();
  byId("confirm-cancel").focus();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

let loginOpen = false;

/** Shows the token prompt (once at a time); `onToken` gets what the user enters. */
export function askForToken(onToken: (token: string) => void): void {
  if (loginOpen) return;
  loginOpen = true;
  const dialog = byId<HTMLDialogElement>("login");
  const input = byId<HTMLInputElement>("login-token");
  input.value = "";
  dialog.returnValue = "";
  dialog.showModal();
  input.focus();
  dialog.addEventListener(
    "close",
    () => {
      loginOpen = false;
      if (dialog.returnValue === "ok" && input.value.trim() !== "") onToken(input.value.trim());
    },
    { once: true },
  );
}
