/**
 * The bearer token of a daemon started with `--token`: opened once as `/?token=T`, it moves to
 * sessionStorage (this tab only, gone when the tab closes) and out of the address bar and history.
 * A 401 asks for it with the login dialog.
 */
const KEY = "berth.token";

/** Takes `?token=` from the URL into sessionStorage and removes it from the address bar. */
export function adoptTokenFromUrl(): void {
  const url = new URL(window.location.href);
  const token = url.searchParams.get("token");
  if (token === null) return;
  if (token !== "") saveToken(token);
  url.searchParams.delete("token");
  window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
}

export function storedToken(): string | undefined {
  try {
    return window.sessionStorage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function saveToken(token: string): void {
  try {
    window.sessionStorage.setItem(KEY, token);
  } catch {
    // storage disabled: the token lasts until the page is reloaded
  }
  memory = token;
}

let memory: string | undefined;

/** The token to send, if any. */
export function currentToken(): string | undefined {
  return storedToken() ?? memory;
}
