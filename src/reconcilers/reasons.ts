/**
 * Why the planner chose an action, as short phrases for status, logs and dry runs. Pure functions
 * of the spec and the observed containers; no I/O.
 */
import { isDeepStrictEqual } from "node:util";
import type { PortAssignment } from "../ports/allocator.js";
import type { ObservedContainer } from "../runtime/observed.js";
import type { ContainerSpec } from "../api/index.js";

/** The fixed reasons; the others are built by the functions below. */
export const REASON = {
  /** create: the spec names a container that does not exist. */
  missing: "no container yet",
  /** keep: the container's spec-hash label matches and it runs. */
  hashMatches: "spec hash matches",
  /** stop, or keep of a container that does not run: `state: Stopped`. */
  projectStopped: "project stopped",
  /** remove: the container belongs to no container of the spec. */
  notInSpec: "not in the spec",
  /** remove: another container of the same spec container matches the spec. */
  duplicate: "duplicate of the container that matches the spec",
  /** remove: the project is gone (or belongs to another host). */
  projectDeleted: "project deleted",
  /** keep: this reconciler created it and Docker's events have not shown it yet. */
  pendingCreation: "created, not yet reported by Docker",
  /** start: created but never started. */
  created: "created, not yet started",
  /** keep: a job that exited 0 with the current spec; it is not run again until its spec changes. */
  completed: "job completed",
  /** start: Berth stopped it for `state: Stopped`, whatever its restart policy. */
  stoppedByBerth: "stopped by Berth, and the spec says Running",
  imageChanged: "image changed",
  portsChanged: "host ports changed",
  pathsChanged: "volume paths changed",
  restartRequested: "restart requested",
  specChanged: "spec changed",
} as const;

/** keep reason of a container that is left as it is because of a problem found before planning. */
export function blockedReason(problem: "port" | "image" | "path", message: string): string {
  const what = { port: "host port conflict", image: "image unavailable", path: "path refused" }[problem];
  return `${what}: ${message}`;
}

/** The keep reason of a teardown on another host. */
export function elsewhereReason(host: string): string {
  return `project runs on host ${host}`;
}

/**
 * Whether a container whose hash matches but that does not run is started, and why. Restart
 * policies are dockerd's: Berth starts what it created, what it stopped, and what must stay up.
 */
export function startDecision(
  c: ObservedContainer,
  spec: ContainerSpec,
  stoppedByBerth: Pick<ReadonlySet<string>, "has">,
): { start: boolean; reason: string } {
  if (c.state === "restarting" || c.state === "removing" || c.state === "paused") {
    return { start: false, reason: `${c.state}; left to dockerd` };
  }
  if (c.state === "created") return { start: true, reason: REASON.created };
  if (spec.restartPolicy === "Always") return { start: true, reason: `${c.state}; restartPolicy Always` };
  if (stoppedByBerth.has(c.id)) return { start: true, reason: REASON.stoppedByBerth };
  if (c.state === "exited" && c.exitCode === 0 && c.startedAt !== undefined) {
    return { start: false, reason: REASON.completed };
  }
  const code = c.state === "exited" && c.exitCode !== 0 ? ` with code ${c.exitCode}` : "";
  return { start: false, reason: `${c.state}${code}; restartPolicy ${spec.restartPolicy}` };
}

const FIELDS: ReadonlyArray<keyof ContainerSpec> = [
  "image",
  "imagePullPolicy",
  "build",
  "command",
  "args",
  "workingDir",
  "env",
  "ports",
  "volumes",
  "resources",
  "restartPolicy",
  "healthCheck",
];

/** Fields outside the spec hash: a change to them alone replaces nothing. */
const UNHASHED = new Set<string>(["name", "dependsOn"]);

/** What the replace reason is computed from. */
export interface ReplaceFacts {
  spec: ContainerSpec;
  /** The spec container's observed containers, none of which matches the hash. */
  mine: readonly ObservedContainer[];
  /** The image ID it would run, when known. */
  imageID: string | undefined;
  /** Its host ports, when known. */
  ports: readonly PortAssignment[] | undefined;
  /** The spec the observed containers were made from, when known (dry runs). */
  previous: ContainerSpec | undefined;
  /** True when the restart annotation is known to differ from the previous one. */
  restartChanged: boolean;
}

/** Why containers are replaced: the changed fields when the previous spec is known, else a guess from what Docker shows. */
export function replaceReason(f: ReplaceFacts): string {
  if (f.previous) {
    const changed = changedFields(f.previous, f.spec);
    if (changed.length > 0) return `${changed.join(", ")} changed`;
  }
  if (!f.mine.some((c) => c.image === f.spec.image)) return REASON.imageChanged;
  if (f.imageID !== undefined && !f.mine.some((c) => c.imageID === f.imageID)) return REASON.imageChanged;
  if (f.restartChanged) return REASON.restartRequested;
  const ports = f.ports;
  if (ports !== undefined && !f.mine.some((c) => samePorts(c, ports))) return REASON.portsChanged;
  if (f.previous && (f.spec.volumes?.length ?? 0) > 0) return REASON.pathsChanged;
  return REASON.specChanged;
}

/** Spec fields that differ, in a fixed order (fields unknown to the list follow, sorted). */
function changedFields(before: ContainerSpec, after: ContainerSpec): string[] {
  const known = new Set<string>(FIELDS);
  const others = [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((k) => !UNHASHED.has(k) && !known.has(k))
    .sort();
  const fields = [...FIELDS, ...others] as Array<keyof ContainerSpec>;
  return fields.filter((f) => !isDeepStrictEqual(before[f], after[f]));
}

function samePorts(c: ObservedContainer, ports: readonly PortAssignment[]): boolean {
  const want = new Set(ports.map((p) => `${p.containerPort}/${p.protocol.toLowerCase()}:${p.hostPort}`));
  const have = new Set(
    c.portBindings.map((b) => `${b.containerPort}/${b.protocol.toLowerCase()}:${b.hostPort}`),
  );
  return want.size === have.size && [...want].every((k) => have.has(k));
}
