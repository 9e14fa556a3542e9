/**
 * `imagePullPolicy: Always` without needless pulls: on a resync the registry is asked for the
 * reference's current manifest digest (a cheap HEAD-like call, no layers), and the image is pulled
 * again only when that digest is not one the local image was pulled with. A registry that cannot
 * be reached keeps the local image (and says so) instead of failing a running project.
 */

/** What is known when deciding, gathered by the caller. */
export interface PullFacts {
  /** The local image id, undefined when the reference is not present. */
  localId: string | undefined;
  /** `repo@sha256:...` digests the local image was pulled with (empty: built or loaded locally). */
  localDigests: readonly string[];
  /** The registry's current digest, or the error asking for it raised. */
  registry: { digest: string } | { error: Error };
}

/** The decision and its reason (for logs and the ImageAvailable condition). */
export type PullDecision =
  | { pull: true; reason: "absent" | "changed" | "unknown" }
  | { pull: false; reason: "unchanged" | "registry-unreachable" };

/**
 * Decides whether to pull. Absent: pull. Registry digest known: pull when no local digest ends
 * with it. Registry unreachable: keep a present image (pulling would fail the same way). Pure.
 */
export function pullDecision(f: PullFacts): PullDecision {
  if (f.localId === undefined) return { pull: true, reason: "absent" };
  if ("error" in f.registry) return { pull: false, reason: "registry-unreachable" };
  const digest = f.registry.digest;
  if (f.localDigests.length === 0) return { pull: true, reason: "unknown" };
  return f.localDigests.some((d) => d.endsWith(`@${digest}`))
    ? { pull: false, reason: "unchanged" }
    : { pull: true, reason: "changed" };
}
