/**
 * The plan of a dry run: what the reconciler would do to a project's containers and ports if a
 * spec were written now. It compares the spec-hash each desired container would get (the same
 * {@link containerHash} the reconciler labels containers with) with the containers the Docker
 * observer holds for the project. Pure: callers pass the observed containers and known ports.
 */
import { isDeepStrictEqual } from "node:util";
import { containerHash, RESTARTED_AT } from "../reconcilers/container-spec.js";
import { networkName } from "../reconcilers/names.js";
import type { PortAssignment } from "../ports/allocator.js";
import type { ObservedContainer } from "../runtime/observed.js";
import type { ContainerSpec, PortStatus, Project, ProjectSpec, Protocol } from "../api/index.js";

/** What would happen to one container. */
export type ContainerAction = "create" | "replace" | "keep" | "start" | "stop" | "remove";

export interface ContainerPlan {
  name: string;
  action: ContainerAction;
  /** Why, for create, replace and remove. */
  reason?: string;
}

export interface PortPlan {
  container: string;
  name: string;
  containerPort: number;
  protocol: Protocol;
  /** The host port it would get; null when one is still to be allocated. */
  hostPort: number | null;
  /** `fixed` by the spec, `kept` from the current allocation, or to `allocate`. */
  source: "fixed" | "kept" | "allocate";
}

export interface ProjectPlan {
  containers: ContainerPlan[];
  ports: PortPlan[];
}

/** What {@link planProject} compares. */
export interface PlanInput {
  key: string;
  /** The defaulted project as it would be written. */
  project: Project;
  /** The spec currently desired, if the project exists (to name what changed). */
  previous?: ProjectSpec | undefined;
  /** The project's managed containers as the observer holds them (this instance's only). */
  observed: readonly ObservedContainer[];
  /** Host ports the project holds now (its status). */
  knownPorts: readonly PortStatus[];
  /**
   * The real host paths of each container's volumes, by container name (see `realHostPaths` in
   * reconcilers/mounts.ts). A container with volumes and no entry gets no predicted hash.
   */
  hostPaths: ReadonlyMap<string, readonly string[]>;
  /** Address host ports are published on (`--publish-address`). */
  publishAddress: string;
}

/** The dry-run plan of `input.project`. Pure. */
export function planProject(input: PlanInput): ProjectPlan {
  const { project, observed } = input;
  const running = project.spec.state === "Running";
  const restartedAt = project.metadata.annotations?.[RESTARTED_AT];
  const ports: PortPlan[] = [];
  const containers: ContainerPlan[] = [];
  for (const spec of project.spec.containers) {
    const mine = observed.filter((c) => c.containerName === spec.name);
    const planned = planPorts(spec, mine, input.knownPorts);
    ports.push(...planned);
    if (!running) {
      const live = mine.some((c) => c.running || c.state === "restarting");
      containers.push({ name: spec.name, action: live ? "stop" : "keep" });
      continue;
    }
    if (mine.length === 0) {
      containers.push({ name: spec.name, action: "create", reason: "no container yet" });
      continue;
    }
    const hash = expectedHash(input, spec, planned, mine, restartedAt);
    const current = hash === undefined ? undefined : mine.find((c) => c.specHash === hash);
    if (current) {
      containers.push({ name: spec.name, action: current.running ? "keep" : "start" });
      continue;
    }
    const before = input.previous?.containers.find((c) => c.name === spec.name);
    containers.push({ name: spec.name, action: "replace", reason: changeReason(before, spec, mine) });
  }
  const names = new Set(project.spec.containers.map((c) => c.name));
  for (const c of observed) {
    if (c.containerName !== undefined && names.has(c.containerName)) continue;
    containers.push({
      name: c.containerName ?? c.name,
      action: "remove",
      reason: "no longer in the spec",
    });
  }
  return { containers, ports };
}

function planPorts(
  spec: ContainerSpec,
  observed: readonly ObservedContainer[],
  known: readonly PortStatus[],
): PortPlan[] {
  return (spec.ports ?? []).map((p) => {
    const name = p.name ?? String(p.containerPort);
    const base = { container: spec.name, name, containerPort: p.containerPort, protocol: p.protocol };
    if (p.hostPort > 0) return { ...base, hostPort: p.hostPort, source: "fixed" as const };
    const held =
      known.find(
        (k) =>
          k.container === spec.name &&
          (k.name === name || k.containerPort === p.containerPort) &&
          (k.protocol ?? "TCP").toUpperCase() === p.protocol,
      )?.hostPort ??
      observed
        .flatMap((c) => c.portBindings)
        .find(
          (b) =>
            b.containerPort === p.containerPort && b.protocol.toUpperCase() === p.protocol && b.hostPort > 0,
        )?.hostPort;
    return held
      ? { ...base, hostPort: held, source: "kept" as const }
      : { ...base, hostPort: null, source: "allocate" as const };
  });
}

/** The hash the reconciler would give the container, or undefined when it cannot be known yet. */
function expectedHash(
  input: PlanInput,
  spec: ContainerSpec,
  ports: readonly PortPlan[],
  mine: readonly ObservedContainer[],
  restartedAt: string | undefined,
): string | undefined {
  if (ports.some((p) => p.hostPort === null)) return undefined;
  const hostPaths = spec.volumes?.length ? input.hostPaths.get(spec.name) : [];
  if (hostPaths === undefined) return undefined;
  // The image id is known only when the current container runs the same image reference.
  const imageID = mine.find(
    (c) => c.labels["berth.dev/image"] === spec.image || c.image === spec.image,
  )?.imageID;
  if (imageID === undefined) return undefined;
  const assignments: PortAssignment[] = ports.map((p) => ({
    container: p.container,
    portName: p.name,
    containerPort: p.containerPort,
    hostPort: p.hostPort ?? 0,
    protocol: p.protocol,
  }));
  return containerHash({
    key: input.key,
    spec,
    ports: assignments,
    imageID,
    network: networkName(input.key),
    publishAddress: input.publishAddress,
    hostPaths,
    restartedAt,
  });
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

function changeReason(
  before: ContainerSpec | undefined,
  after: ContainerSpec,
  mine: readonly ObservedContainer[],
): string {
  if (before) {
    const changed = FIELDS.filter((f) => !isDeepStrictEqual(before[f], after[f]));
    if (changed.length > 0) return `${changed.join(", ")} changed`;
  }
  if (!mine.some((c) => c.labels["berth.dev/image"] === after.image || c.image === after.image)) {
    return "image changed";
  }
  return "container spec, ports, image or restart annotation changed";
}
