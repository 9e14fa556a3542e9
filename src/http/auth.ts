import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";
import { HttpError } from "./errors.js";

/** Whether `host` is a loopback name or address (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (h === "::1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith("127.");
}

/**
 * Checks an Authorization header against the expected bearer token in constant time (both are
 * hashed first, so neither the content nor the length leaks). Throws HttpError 401 when missing or
 * wrong. Pure apart from hashing.
 */
export function checkBearer(header: string | undefined, token: string): void {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  const given = createHash("sha256")
    .update(match?.[1] ?? "")
    .digest();
  const expected = createHash("sha256").update(token).digest();
  if (!match || !timingSafeEqual(given, expected)) {
    throw new HttpError(
      401,
      "Unauthorized",
      match ? "the bearer token is wrong" : "this server requires a bearer token",
      "send Authorization: Bearer <token> (berth --token, or BERTH_TOKEN)",
      { "www-authenticate": 'Bearer realm="berth"' },
    );
  }
}
