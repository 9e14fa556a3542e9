/**
 * NATS subjects of the streams (DESIGN.md section 2): `berth.logs.<ns>.<project>.<container>`,
 * `berth.metrics.<ns>.<project>.<container>`, `berth.events.<ns>.<project>`. Every token is
 * encoded so that names with dots, wildcards or spaces cannot change a subject's shape.
 */
import { splitKey } from "../api/index.js";
import type { StreamKind } from "./bus.js";

/**
 * Encodes one subject token: every byte outside `[A-Za-z0-9_-]` becomes `%HH` (its UTF-8 bytes),
 * so the result never contains `.`, `*`, `>` or whitespace. Reversible with {@link decodeToken}. Pure.
 */
export function encodeToken(text: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(text)) return text;
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out === "" ? "%00" : out;
}

/** Reverses {@link encodeToken}. Pure. */
export function decodeToken(token: string): string {
  return token === "%00" ? "" : decodeURIComponent(token);
}

/** The subject for a stream of a project (and container, for logs and metrics). Pure. */
export function streamSubject(kind: StreamKind, projectKey: string, container?: string): string {
  const { namespace, name } = splitKey(projectKey);
  const parts = ["berth", kind, encodeToken(namespace), encodeToken(name)];
  if (kind !== "events") parts.push(encodeToken(container ?? ""));
  return parts.join(".");
}
