/**
 * The daemon's API token in the state directory: `<stateDir>/token`, 43 characters of base64url
 * (32 random bytes), in a file only its owner can read (mode 0600, in a directory of mode 0700).
 * `berth run` creates it on first start; the CLI and `berth mcp` read it, so the user who runs
 * Berth needs no flag, and another local account, which cannot read the file, gets 401.
 */
import { randomBytes } from "node:crypto";
import { chmod, lstat, mkdir, open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { BerthError } from "../util/errors.js";

/** The token file's name inside the state directory. */
export const TOKEN_FILE = "token";

/** The token file exists but Berth will not use it; the message names the file and the fix. */
export class TokenFileError extends BerthError {
  override readonly name = "TokenFileError";
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`token file ${path}: ${message}`, options);
  }
}

/** Where the token of a state directory lives. Pure. */
export function tokenPath(stateDir: string): string {
  return join(stateDir, TOKEN_FILE);
}

/** What {@link ensureToken} found or made. */
export interface EnsuredToken {
  token: string;
  path: string;
  /** True when this call created the file. */
  created: boolean;
  /** A problem that was repaired (a file readable by others made 0600), for a warning. */
  repaired?: string;
}

/**
 * The state directory's token, created when missing (exclusively, so two daemons starting at once
 * agree on one). A file that others may read is made 0600 and reported in `repaired`; a file that
 * is not a regular file, belongs to another user, or holds no token throws TokenFileError.
 * Asynchronous; not retried.
 */
export async function ensureToken(stateDir: string): Promise<EnsuredToken> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const path = tokenPath(stateDir);
  const token = randomBytes(32).toString("base64url");
  try {
    const handle = await open(path, "wx", 0o600);
    try {
      await handle.writeFile(`${token}\n`, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    return { token, path, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
      throw new TokenFileError(path, `cannot be created (${(err as Error).message})`, { cause: err });
    }
  }
  const info = await lstat(path);
  if (!info.isFile()) throw new TokenFileError(path, "is not a regular file; remove it and start again");
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) {
    throw new TokenFileError(
      path,
      `belongs to uid ${info.uid}, not to this user (uid ${uid}); use a state directory of your own (--state-dir)`,
    );
  }
  let repaired: string | undefined;
  if ((info.mode & 0o077) !== 0) {
    await chmod(path, 0o600);
    repaired = `it was readable by other users (mode ${(info.mode & 0o777).toString(8)}); now 0600. Rotate it: delete the file and restart berth`;
  }
  const existing = parseToken(await readFile(path, "utf8"));
  if (!existing) throw new TokenFileError(path, "holds no token; delete it, and berth run makes a new one");
  return { token: existing, path, created: false, ...(repaired ? { repaired } : {}) };
}

/** Why {@link readToken} found no token. */
export type TokenMissing = { reason: "missing" | "unreadable" | "empty"; path: string };

/**
 * The token of a state directory, for clients. Never throws: a missing file, one this user may
 * not read, or an empty one is a {@link TokenMissing} with the reason. Asynchronous.
 */
export async function readToken(stateDir: string): Promise<{ token: string } | TokenMissing> {
  const path = tokenPath(stateDir);
  try {
    const token = parseToken(await readFile(path, "utf8"));
    return token ? { token } : { reason: "empty", path };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { reason: code === "EACCES" || code === "EPERM" ? "unreadable" : "missing", path };
  }
}

function parseToken(text: string): string | undefined {
  const token = text.trim();
  return /^[\x21-\x7e]{16,512}$/.test(token) ? token : undefined;
}
