/** Closest-name suggestions for an unknown project. Pure. */
import { editDistance } from "../util/edit-distance.js";

/**
 * Up to `limit` keys (`namespace/name`) closest to `wanted`, best first: a key whose name
 * contains the wanted name (or the reverse) ranks by length difference, others by edit distance
 * of the names; the namespace breaks ties. Keys further than half the wanted name's length (at
 * least 3 edits) are left out, so that a suggestion is plausible.
 */
export function closestKeys(wanted: string, keys: readonly string[], limit = 3): string[] {
  const [wantNs, wantName] = split(wanted);
  const scored = keys.map((key) => {
    const [ns, name] = split(key);
    const contains = name.includes(wantName) || wantName.includes(name);
    const distance = contains ? Math.abs(name.length - wantName.length) * 0.5 : editDistance(name, wantName);
    return { key, score: distance + (ns === wantNs ? 0 : 0.25) };
  });
  const cutoff = Math.max(3, Math.ceil(wantName.length / 2));
  return scored
    .filter((s) => s.score <= cutoff)
    .sort((a, b) => a.score - b.score || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .slice(0, limit)
    .map((s) => s.key);
}

function split(key: string): [string, string] {
  const at = key.indexOf("/");
  return at < 0 ? ["default", key] : [key.slice(0, at), key.slice(at + 1)];
}
