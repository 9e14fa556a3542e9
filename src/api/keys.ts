/**
 * Project keys: `namespace/name`, the one string that names a project in the work queue, the
 * status store, caches, labels and messages. Namespaces and names are DNS-1123 labels, so they
 * never contain "/" and a key splits back at its first "/". Pure.
 */

/** The key of the object `name` in `namespace`: `namespace/name`. */
export function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The key of a project (or any object with a namespaced name): `namespace/name`. */
export function projectKey(p: { metadata: { namespace: string; name: string } }): string {
  return keyOf(p.metadata.namespace, p.metadata.name);
}

/**
 * Reverses {@link keyOf}: the parts before and after the first "/". A string without "/" is a
 * name with an empty namespace; callers that accept outside input check both parts.
 */
export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf("/");
  if (slash === -1) return { namespace: "", name: key };
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
