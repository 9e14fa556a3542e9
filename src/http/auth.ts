import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { isIP } from "node:net";
import { HttpError } from "./errors.js";
import type { Sessions } from "./session.js";

/** Whether `host` is a loopback name or address (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (h === "::1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith("127.");
}

/** Whether `given` is `token`, in constant time (both are hashed first, so no length leaks). */
export function tokenMatches(given: string, token: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(token).digest();
  return timingSafeEqual(a, b);
}

/**
 * Checks an Authorization header against the expected bearer token in constant time. Throws
 * HttpError 401 when missing or wrong. Pure apart from hashing.
 */
export function checkBearer(header: string | undefined, token: string): void {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  if (match && tokenMatches(match[1] ?? "", token)) return;
  throw unauthorized(match ? "the bearer token is wrong" : "this server requires a bearer token");
}

/** The 401 every refused credential gets; the hint says where the user's token is. */
export function unauthorized(message: string): HttpError {
  return new HttpError(
    401,
    "Unauthorized",
    message,
    "the berth CLI reads the token from the daemon's state directory (mode 0600) by itself when run " +
      "as the user who runs berth; other clients send Authorization: Bearer <token> (--token, BERTH_TOKEN); " +
      "browsers log in through the URL berth run prints, or berth dashboard",
    { "www-authenticate": 'Bearer realm="berth"' },
  );
}

/**
 * Who may use the API: the holder of the token (Authorization: Bearer), or a browser with a
 * dashboard session cookie. The cookie counts only where `cookie` allows it and only on requests
 * a page of this origin made (Sec-Fetch-Site absent, same-origin or none), so a page of another
 * site or port cannot borrow it.
 */
export class Authenticator {
  constructor(
    readonly token: string,
    private readonly sessions: Sessions,
  ) {}

  /** Throws HttpError 401 unless the request carries the token or (where allowed) a session. */
  authorize(headers: IncomingHttpHeaders, options: { cookie: boolean }): void {
    if (headers.authorization !== undefined) return checkBearer(headers.authorization, this.token);
    if (options.cookie && this.sessions.valid(headers.cookie)) {
      const site = headers["sec-fetch-site"];
      if (site === undefined || site === "same-origin" || site === "none") return;
    }
    throw unauthorized(
      headers.cookie?.includes(this.sessions.cookieName)
        ? "the dashboard session has expired or was made with another token; log in again"
        : "this server requires a bearer token",
    );
  }
}
