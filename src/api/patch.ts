/**
 * Merge patches of a Project: JSON merge patch (RFC 7386) on `spec`, `metadata.labels` and
 * `metadata.annotations`, with one extension for the lists whose items have names. Where the
 * document holds such a list and the patch gives an object instead, the object patches the items
 * by name: `{"spec": {"containers": {"api": {"env": {"GREETING": "hi", "OLD": null}}}}}` changes
 * one variable of container `api`, adds it when missing and removes `OLD`, leaving every other
 * item as it is. A list given as a list replaces the list, as RFC 7386 says. Pure; both spec
 * writers (files and custom resources) apply patches with {@link applyProjectPatch}.
 */
import { BadRequestError } from "./write-errors.js";

/** A merge patch of one project. `null` removes a key; absent keys are left alone. */
export interface ProjectPatch {
  spec?: Record<string, unknown>;
  metadata?: {
    labels?: Record<string, string | null> | null;
    annotations?: Record<string, string | null> | null;
  };
}

/** A list whose items are patched by a key when the patch gives an object. */
interface KeyedList {
  /** Path pattern; `*` stands for an item of a keyed list. */
  path: string;
  key: string;
  /** A scalar given for an item sets this field (env: `{"NAME": "value"}`). */
  scalarField?: string;
  /** Items without `key` match when this field, as a string, equals the name (ports by number). */
  fallbackKey?: string;
}

const KEYED_LISTS: readonly KeyedList[] = [
  { path: "spec.containers", key: "name" },
  { path: "spec.containers.*.env", key: "name", scalarField: "value" },
  { path: "spec.containers.*.ports", key: "name", fallbackKey: "containerPort" },
  { path: "spec.containers.*.volumes", key: "mountPath" },
];

const HINT =
  'send e.g. {"spec": {"containers": {"api": {"image": "...", "env": {"NAME": "value"}}}}} or ' +
  '{"metadata": {"labels": {"team": "web"}}}';

/**
 * Checks that `patch` is a project patch: an object with only `spec` (an object) and `metadata`
 * with only `labels` and `annotations` (objects of strings or null, or null). Throws
 * BadRequestError naming the offending field.
 */
export function checkProjectPatch(patch: unknown): ProjectPatch {
  if (!isObject(patch)) throw new BadRequestError("the patch must be a JSON object", HINT);
  for (const key of Object.keys(patch)) {
    if (key !== "spec" && key !== "metadata") {
      throw new BadRequestError(
        `the patch may change spec and metadata.labels/annotations, not ${key}`,
        key === "status" ? "status is written by the operator" : HINT,
      );
    }
  }
  if ("spec" in patch && !isObject(patch["spec"])) {
    throw new BadRequestError("patch field spec must be an object (a project cannot drop its spec)", HINT);
  }
  const meta = patch["metadata"];
  if (meta !== undefined) {
    if (!isObject(meta)) throw new BadRequestError("patch field metadata must be an object", HINT);
    for (const [key, value] of Object.entries(meta)) {
      if (key !== "labels" && key !== "annotations") {
        throw new BadRequestError(
          `the patch may change metadata.labels and metadata.annotations, not metadata.${key}`,
          key === "name" || key === "namespace"
            ? "to rename a project, apply it under the new name and delete the old one"
            : HINT,
        );
      }
      if (value === null) continue;
      if (!isObject(value)) throw new BadRequestError(`patch field metadata.${key} must be an object`, HINT);
      for (const [k, v] of Object.entries(value)) {
        if (v !== null && typeof v !== "string") {
          throw new BadRequestError(
            `patch field metadata.${key}.${k} must be a string or null, not ${JSON.stringify(v)}`,
            'quote the value, e.g. "1"',
          );
        }
      }
    }
  }
  return patch as ProjectPatch;
}

/**
 * Applies `patch` to a project document (plain JSON as the user wrote it) and returns the new
 * document; `document` is not changed. Keys keep their order, new keys come last. Throws
 * BadRequestError when a named-item patch is not an object (or, for env, a string).
 */
export function applyProjectPatch(document: unknown, patch: ProjectPatch): unknown {
  return mergePatch(document, patch, "");
}

function mergePatch(target: unknown, patch: unknown, path: string): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    const at = path === "" ? key : `${path}.${key}`;
    if (value === null) {
      delete out[key];
      continue;
    }
    const keyed = KEYED_LISTS.find((k) => k.path === at);
    const current = out[key];
    if (keyed && isObject(value) && (Array.isArray(current) || current === undefined)) {
      out[key] = patchKeyedList(current ?? [], value, keyed, at);
    } else out[key] = mergePatch(current, value, at);
  }
  return out;
}

function patchKeyedList(
  list: readonly unknown[],
  patch: Record<string, unknown>,
  rule: KeyedList,
  path: string,
): unknown[] {
  const out = [...list];
  const itemPath = `${path}.*`;
  for (const [name, value] of Object.entries(patch)) {
    const index = out.findIndex((item) => matches(item, name, rule));
    if (value === null) {
      if (index >= 0) out.splice(index, 1);
      continue;
    }
    let itemPatch: unknown = value;
    if (!isObject(value)) {
      if (rule.scalarField === undefined || typeof value === "object") {
        throw new BadRequestError(
          `patch field ${path}.${name} must be an object (or null to remove it)`,
          `items of ${path} are patched by ${rule.key}; ${HINT}`,
        );
      }
      itemPatch = { [rule.scalarField]: String(value) };
    }
    if (index >= 0) out[index] = mergePatch(out[index], itemPatch, itemPath);
    else out.push(mergePatch(newItem(name, rule), itemPatch, itemPath));
  }
  return out;
}

function matches(item: unknown, name: string, rule: KeyedList): boolean {
  if (!isObject(item)) return false;
  if (item[rule.key] !== undefined && String(item[rule.key]) === name) return true;
  return rule.fallbackKey !== undefined && String(item[rule.fallbackKey]) === name;
}

function newItem(name: string, rule: KeyedList): Record<string, unknown> {
  if (rule.fallbackKey !== undefined && /^\d+$/.test(name)) return { [rule.fallbackKey]: Number(name) };
  return { [rule.key]: name };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function clone(v: unknown): unknown {
  return v === undefined ? undefined : (JSON.parse(JSON.stringify(v)) as unknown);
}
