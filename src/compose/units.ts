/** Compose's units: byte sizes (`256m`, `1g`) and Go durations (`1m30s`, `500ms`). Pure. */

const SIZE = /^([0-9]+(?:\.[0-9]+)?)\s*([kmgtp]?)(i?b)?$/i;
const FACTORS: Record<string, number> = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 };

/** Bytes of a compose size (`256m`, `1gb`, `1048576`), or undefined when it is not one. */
export function parseBytes(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  const m = SIZE.exec(value.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (FACTORS[(m[2] ?? "").toLowerCase()] ?? 1));
}

const DURATION_PART = /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g;
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds of a Go duration (`1m30s`, `500ms`, `10`), or undefined when it is not one. */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value === "number") return value * 1000;
  if (typeof value !== "string" || value === "") return undefined;
  if (/^[0-9]+$/.test(value)) return Number(value) * 1000;
  let total = 0;
  let consumed = 0;
  for (const m of value.matchAll(DURATION_PART)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? "s"] ?? 0);
    consumed += m[0].length;
  }
  return consumed === value.length ? total : undefined;
}
