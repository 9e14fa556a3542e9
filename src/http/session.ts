/**
 * Browser sessions of the dashboard. A one-time login code (printed by `berth run`, or made by
 * `berth dashboard`) is exchanged at `GET /login?code=` for a session cookie, and the browser is
 * sent on to `/` so that nothing secret stays in the address bar or history. The cookie is
 * HttpOnly (page scripts cannot read it) and SameSite=Strict (no other site's page makes the
 * browser send it); it holds an expiry and an HMAC keyed by the API token, so it survives daemon
 * restarts, never reveals the token, and dies when the token is rotated.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** How long a session cookie lasts. */
export const SESSION_TTL_MS = 7 * 24 * 3600_000;
/** How long an unused login code stays valid. */
export const LOGIN_CODE_TTL_MS = 24 * 3600_000;
/** Most unused login codes kept; the oldest is dropped beyond this. */
const MAX_CODES = 64;

/** Options of {@link Sessions}. */
export interface SessionOptions {
  /** The API token; it keys the cookie's HMAC. */
  token: string;
  /** The server's port: cookies are not port-scoped, so each daemon names its own. */
  port: number;
  now?: () => number;
}

/** Session cookies and one-time login codes of one server. */
export class Sessions {
  /** The cookie's name, `berth_session_<port>`. */
  readonly cookieName: string;
  private readonly key: Buffer;
  private readonly now: () => number;
  private readonly codes = new Map<string, number>();

  constructor(options: SessionOptions) {
    this.cookieName = `berth_session_${options.port}`;
    this.key = createHash("sha256").update(`berth-session\0${options.token}`).digest();
    this.now = options.now ?? Date.now;
  }

  /** A new one-time login code, valid for {@link LOGIN_CODE_TTL_MS} or until used. */
  mintCode(): string {
    const now = this.now();
    for (const [code, expires] of this.codes) if (expires <= now) this.codes.delete(code);
    while (this.codes.size >= MAX_CODES) {
      const oldest = this.codes.keys().next().value;
      if (oldest === undefined) break;
      this.codes.delete(oldest);
    }
    const code = randomBytes(24).toString("base64url");
    this.codes.set(code, now + LOGIN_CODE_TTL_MS);
    return code;
  }

  /** Uses up a login code; true when it was valid. */
  redeem(code: string): boolean {
    const expires = this.codes.get(code);
    this.codes.delete(code);
    return expires !== undefined && expires > this.now();
  }

  /** The `Set-Cookie` value of a new session. */
  issue(): string {
    const expires = Math.floor((this.now() + SESSION_TTL_MS) / 1000);
    const value = `v1.${expires}.${this.mac(expires)}`;
    return `${this.cookieName}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_TTL_MS / 1000}`;
  }

  /** The `Set-Cookie` value that ends the session. */
  clear(): string {
    return `${this.cookieName}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
  }

  /** Whether a `Cookie` header holds a valid, unexpired session of this server. */
  valid(cookieHeader: string | undefined): boolean {
    const value = cookieValue(cookieHeader, this.cookieName);
    const m = value !== undefined ? /^v1\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value) : null;
    if (!m) return false;
    const expires = Number(m[1]);
    if (expires * 1000 <= this.now()) return false;
    const given = Buffer.from(m[2] ?? "", "base64url");
    const expected = Buffer.from(this.mac(expires), "base64url");
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private mac(expires: number): string {
    return createHmac("sha256", this.key).update(`session\0${expires}`).digest("base64url");
  }
}

/** The value of cookie `name` in a `Cookie` header, if present. Pure. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}
