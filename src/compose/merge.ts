/**
 * Merges two normalised services (an override onto its base), as Docker Compose does for
 * `extends` and for several `-f` files: mappings merge key by key; volumes merge by target;
 * ports and env_file append; command, entrypoint and healthcheck.test are replaced; other values
 * and lists are replaced. Pure.
 */
import type { Json } from "./normalize.js";

const REPLACED = new Set(["command", "entrypoint", "test", "profiles"]);

export function mergeService(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prev = out[key];
    if (key === "volumes" && Array.isArray(prev) && Array.isArray(value)) out[key] = byTarget(prev, value);
    else if (
      (key === "ports" || key === "env_file" || key === "expose") &&
      Array.isArray(prev) &&
      Array.isArray(value)
    )
      out[key] = dedupe([...prev, ...value]);
    else out[key] = mergeValue(key, prev, value);
  }
  return out;
}

function mergeValue(key: string, prev: unknown, value: unknown): unknown {
  if (REPLACED.has(key)) return value;
  if (isMap(prev) && isMap(value)) {
    const out: Json = { ...prev };
    for (const [k, v] of Object.entries(value)) out[k] = mergeValue(k, out[k], v);
    return out;
  }
  return value;
}

function isMap(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function byTarget(base: unknown[], over: unknown[]): unknown[] {
  const target = (v: unknown) => (isMap(v) ? String(v["target"]) : String(v));
  const replaced = new Set(over.map(target));
  return [...base.filter((v) => !replaced.has(target(v))), ...over];
}

function dedupe(list: unknown[]): unknown[] {
  const seen = new Set<string>();
  return list.filter((v) => {
    const k = JSON.stringify(v);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
