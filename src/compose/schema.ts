/**
 * Validation against the Compose Specification's published JSON schema. The schema is a pinned
 * data file, data/compose-spec.json: `schema/compose-spec.json` of
 * github.com/compose-spec/compose-go/v2 v2.9.1, the version Docker Compose v2.40.3 builds with.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import spec from "./data/compose-spec.json" with { type: "json" };
import { ComposeLoadError } from "./errors.js";
import { formatKeyPath, type KeyPath, type LocatedFile } from "./located.js";

/** The compose-go release the pinned schema comes from. */
export const COMPOSE_SCHEMA_VERSION = "compose-go v2.9.1";

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (compiled) return compiled;
  const ajv = new Ajv({
    allErrors: true,
    strict: false,
    allowUnionTypes: true,
    validateFormats: false,
    validateSchema: false,
  });
  compiled = ajv.compile(spec as object);
  return compiled;
}

/**
 * Checks a compose file's (interpolated) data against the schema; throws ComposeLoadError at the
 * first problem's file:line:col, naming every problem found. Synchronous.
 */
export function validateCompose(file: LocatedFile, data: unknown = file.data): void {
  const fn = validator();
  if (fn(data)) return;
  const problems = relevant(fn.errors ?? []).map((e) => describe(e, data));
  problems.sort((a, b) => {
    const la = file.locate(a.path);
    const lb = file.locate(b.path);
    return la.line - lb.line || la.column - lb.column;
  });
  const [first, ...more] = problems;
  if (!first) return;
  const extra = more.map((p) => {
    const l = file.locate(p.path);
    return `\n  ${l.file}:${l.line}:${l.column} ${formatKeyPath(p.path)}: ${p.message}`;
  });
  throw new ComposeLoadError(
    file.locate(first.path),
    formatKeyPath(first.path),
    first.message + extra.join(""),
    {
      hint: "see the Compose Specification, https://github.com/compose-spec/compose-spec/blob/main/spec.md",
    },
  );
}

/** Drops the noise of `oneOf` branches when a more precise error exists at the same place. */
function relevant(errors: ErrorObject[]): ErrorObject[] {
  const precise = errors.filter((e) => e.keyword !== "oneOf" && e.keyword !== "anyOf" && e.keyword !== "if");
  const byPath = new Map<string, ErrorObject>();
  for (const e of precise.length > 0 ? precise : errors) {
    const key =
      e.instancePath + (e.keyword === "additionalProperties" ? String(e.params["additionalProperty"]) : "");
    const prev = byPath.get(key);
    // for one place, prefer the unknown key, then a type mismatch, then the first
    if (!prev || (e.keyword === "additionalProperties" && prev.keyword !== "additionalProperties"))
      byPath.set(key, e);
  }
  return [...byPath.values()];
}

function describe(e: ErrorObject, data: unknown): { path: KeyPath; message: string } {
  const path: (string | number)[] = e.instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s, i, all) => (Array.isArray(valueAt(data, all.slice(0, i))) ? Number(s) : s));
  if (e.keyword === "additionalProperties") {
    const key = String(e.params["additionalProperty"]);
    return { path: [...path, key], message: `additional property ${key} is not allowed` };
  }
  if (e.keyword === "type")
    return { path, message: `must be a ${String(e.params["type"]).replace(",", " or ")}` };
  if (e.keyword === "required")
    return { path, message: `${String(e.params["missingProperty"])} is required` };
  return { path, message: e.message ?? e.keyword };
}

function valueAt(data: unknown, path: string[]): unknown {
  let node = data;
  for (const seg of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[seg];
  }
  return node;
}
