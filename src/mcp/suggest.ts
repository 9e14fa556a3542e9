/** Closest-name suggestions for an unknown project. Pure. */

/** Edit distance (insertions, deletions, substitutions) between two strings. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

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
