/**
 * Where the CLI finds the daemon's API token, first match wins:
 * 1. `--token`, then BERTH_TOKEN;
 * 2. the token of this user's running operator that serves the `--server` address (its run lock,
 *    in this user's lock directory, names its state directory);
 * 3. the token in BERTH_STATE_DIR, else the default state directory.
 * Another local user cannot read the owner's token file, so finds none and gets 401.
 */
import { defaultStateDir, type StateDirEnv } from "../cache/state-dir.js";
import { readToken, type TokenMissing } from "../cache/token-file.js";
import { listLocks, type LockHolder } from "../operator/lock.js";
import { isLoopbackHost } from "../http/auth.js";

/** What {@link findToken} looks at, read once by `main`. */
export interface CredentialSources {
  /** `--token` or BERTH_TOKEN. */
  explicit?: string | undefined;
  /** The daemon's URL (`--server`). */
  server: string;
  /** This user's lock directory (defaultLockDir()). */
  lockDir: string;
  env: StateDirEnv & { readonly BERTH_STATE_DIR?: string | undefined };
}

/** A token, or the places looked in and why none was usable (for the 401 hint). */
export type FoundToken = { token: string; from: string } | { token?: undefined; tried: TokenMissing[] };

/** Finds the token to send to `server`. Never throws; asynchronous (reads files). */
export async function findToken(sources: CredentialSources): Promise<FoundToken> {
  if (sources.explicit) return { token: sources.explicit, from: "--token / BERTH_TOKEN" };
  const dirs: string[] = [];
  const holder = listLocks(sources.lockDir).find((h) => serves(h, sources.server));
  if (holder?.stateDir) dirs.push(holder.stateDir);
  dirs.push(sources.env.BERTH_STATE_DIR || defaultStateDir(sources.env));
  const tried: TokenMissing[] = [];
  for (const dir of new Set(dirs)) {
    const found = await readToken(dir);
    if ("token" in found) return { token: found.token, from: dir };
    tried.push(found);
  }
  return { tried };
}

/** Whether the operator holding `lock` listens where `server` points. Pure. */
export function serves(lock: LockHolder, server: string): boolean {
  if (!URL.canParse(server)) return false;
  const url = new URL(server);
  const at = lock.http.lastIndexOf(":");
  const host = lock.http
    .slice(0, at)
    .replace(/^\[|\]$/g, "")
    .toLowerCase();
  const port = lock.http.slice(at + 1);
  const wantPort = url.port || (url.protocol === "https:" ? "443" : "80");
  if (port !== wantPort) return false;
  const want = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === want || host === "0.0.0.0" || host === "::" || host === "") return true;
  return isLoopbackHost(host) && isLoopbackHost(want);
}

/** A hint for a 401 that says where the CLI looked. Pure. */
export function missingTokenHint(tried: readonly TokenMissing[]): string {
  const places = tried.map(
    (t) => `${t.path} (${t.reason === "unreadable" ? "not readable by you" : t.reason})`,
  );
  return (
    `the daemon requires its API token and none was found: looked in ${places.join(", ")}. ` +
    "Run the CLI as the user who runs berth, or pass --token / BERTH_TOKEN"
  );
}
