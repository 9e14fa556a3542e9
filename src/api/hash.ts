import { createHash } from "node:crypto";

/** JSON with object keys sorted at every depth, so equal values always serialize alike. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/** sha256 (hex) of the canonical JSON of a value. */
export function hashOf(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}

/**
 * Hash of a defaulted spec: stable under key order, and equal for a spec that spells a default
 * out and one that leaves it implicit (both are hashed after defaulting).
 */
export function specHash(spec: unknown): string {
  return hashOf(spec);
}
