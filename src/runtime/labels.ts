/**
 * Docker labels that mark what Berth owns (DESIGN.md section 2, Reconciler). Every container and
 * network Berth creates carries {@link LABEL_MANAGED}; containers also carry the project, container
 * name and spec hash.
 */
import { keyOf, splitKey } from "../api/index.js";

/** `berth.dev/managed=true` on everything Berth created. */
export const LABEL_MANAGED = "berth.dev/managed";
/** `berth.dev/project=<namespace>.<name>`. */
export const LABEL_PROJECT = "berth.dev/project";
/** `berth.dev/container=<container name in the spec>`. */
export const LABEL_CONTAINER = "berth.dev/container";
/** `berth.dev/spec-hash=<sha256>` of the container spec, its host ports and image ID. */
export const LABEL_SPEC_HASH = "berth.dev/spec-hash";

/** `berth.dev/instance=<id>`: which operator (host and watched directory) owns a container. */
export const LABEL_INSTANCE = "berth.dev/instance";

/** The image reference a container was created from (for people reading `docker ps`). */
export const LABEL_IMAGE = "berth.dev/image";

/** The Docker label filter that selects Berth's objects. */
export const MANAGED_LABEL_FILTER = `${LABEL_MANAGED}=true`;

/**
 * The project label value for a queue key: `default/shop-api` -> `default.shop-api`. Namespaces and
 * project names are DNS-1123 labels (no dots), so the mapping is reversible. Pure.
 */
export function projectLabelValue(projectKey: string): string {
  const { namespace, name } = splitKey(projectKey);
  if (namespace === "" || name === "") {
    throw new Error(`project key "${projectKey}" is not of the form <namespace>/<name>`);
  }
  return `${namespace}.${name}`;
}

/**
 * The queue key (`namespace/name`) for a project label value, or undefined if the value is not of
 * the form `<namespace>.<name>`. Pure.
 */
export function projectKeyFromLabel(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const dot = value.indexOf(".");
  if (dot <= 0 || dot === value.length - 1) return undefined;
  return keyOf(value.slice(0, dot), value.slice(dot + 1));
}
