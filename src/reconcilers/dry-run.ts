/**
 * Dry runs: what a reconcile would do to a project's containers and host ports if a spec were
 * written now, from the same {@link plan} the reconciler executes. Pure: callers pass the observed
 * containers, the project's last status and the real host paths (see `realHostPaths`, mounts.ts).
 * What a dry run cannot know without Docker or the port allocator is predicted from what Docker
 * shows: an image ID from a container of the same image reference, a host port from the status or
 * a running container; a container whose hash cannot be predicted is shown replaced.
 */
import type { PortAssignment } from "../ports/allocator.js";
import type { ObservedContainer } from "../runtime/observed.js";
import type { Health } from "./dependencies.js";
import { plan, planActions, stoppedWithProject, type ResolvedContainer } from "./plan.js";
import {
  type ContainerSpec,
  type PortStatus,
  type Project,
  type ProjectSpec,
  type ProjectStatus,
  type Protocol,
  RESTARTED_AT_ANNOTATION,
} from "../api/index.js";

/**
 * What would happen to one container. `keep` carries no reason, except when the container would
 * wait for a dependency: then the reason says which, e.g. `waiting for db (Healthy)`.
 */
export interface ContainerPlan {
  name: string;
  action: "create" | "replace" | "keep" | "start" | "stop" | "remove";
  reason?: string;
}

/** The host port one container port would get. */
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

/** A dry run's answer: one entry per planned action, and every port of the spec. */
export interface ProjectPlan {
  containers: ContainerPlan[];
  ports: PortPlan[];
}

/** What {@link dryRunPlan} plans from. */
export interface DryRunInput {
  key: string;
  /** The defaulted project as it would be written. */
  project: Project;
  /** The project as it is now, if it exists: its spec, annotations and status. */
  current?:
    { spec: ProjectSpec; annotations?: Readonly<Record<string, string>>; status?: ProjectStatus } | undefined;
  /** The project's managed containers as the observer holds them (this instance's only). */
  observed: readonly ObservedContainer[];
  /** Real host paths of each container's volumes, by container name; a container without an entry gets no predicted hash. */
  hostPaths: ReadonlyMap<string, readonly string[]>;
  /** Address host ports are published on (`--publish-address`). */
  publishAddress: string;
}

/** The dry-run plan of `input.project`. Pure and deterministic. */
export function dryRunPlan(input: DryRunInput): ProjectPlan {
  const { project, observed, current } = input;
  const byName = new Map<string, ObservedContainer[]>();
  for (const c of observed) {
    if (c.containerName === undefined) continue;
    const list = byName.get(c.containerName);
    if (list) list.push(c);
    else byName.set(c.containerName, [c]);
  }
  const known = new Map<string, PortStatus[]>();
  for (const k of current?.status?.ports ?? []) {
    if (k.container === undefined) continue;
    const list = known.get(k.container);
    if (list) list.push(k);
    else known.set(k.container, [k]);
  }
  const ports: PortPlan[] = [];
  const resolved = new Map<string, ResolvedContainer>();
  for (const spec of project.spec.containers) {
    const mine = byName.get(spec.name) ?? [];
    const planned = planPorts(spec, mine, known.get(spec.name) ?? []);
    ports.push(...planned);
    resolved.set(spec.name, predict(spec, mine, planned, input.hostPaths));
  }
  const planned = plan({
    key: input.key,
    project,
    observed,
    resolved,
    instance: "",
    publishAddress: input.publishAddress,
    stoppedByBerth: stoppedWithProject(current?.status),
    pending: new Map(),
    now: 0,
    previous: current
      ? { spec: current.spec, restartedAt: current.annotations?.[RESTARTED_AT_ANNOTATION] }
      : undefined,
    probes: statusHealth(current?.status, observed),
  });
  const containers = planActions(planned).map((a): ContainerPlan =>
    a.kind === "keep"
      ? { name: a.container, action: "keep" }
      : a.kind === "wait"
        ? { name: a.container, action: "keep", reason: a.reason }
        : { name: a.container, action: a.kind, reason: a.reason },
  );
  return { containers, ports };
}

/** The health the status last showed for containers that still run, by name (decides Healthy dependencies). */
function statusHealth(
  status: ProjectStatus | undefined,
  observed: readonly ObservedContainer[],
): Map<string, Health> {
  const ids = new Set(observed.filter((c) => c.running).map((c) => c.id));
  const out = new Map<string, Health>();
  for (const c of status?.containers ?? []) {
    const h = c.health;
    if (c.containerID === undefined || !ids.has(c.containerID)) continue;
    if (h === "healthy" || h === "unhealthy" || h === "starting") out.set(c.name, h);
  }
  return out;
}

/** The hash inputs a dry run can know: ports all known, the image ID of a container of the same reference. */
function predict(
  spec: ContainerSpec,
  mine: readonly ObservedContainer[],
  ports: readonly PortPlan[],
  hostPaths: ReadonlyMap<string, readonly string[]>,
): ResolvedContainer {
  const assignments: PortAssignment[] = [];
  for (const p of ports) {
    if (p.hostPort === null) break;
    assignments.push({
      container: p.container,
      portName: p.name,
      containerPort: p.containerPort,
      hostPort: p.hostPort,
      protocol: p.protocol,
    });
  }
  return {
    ports: assignments.length === ports.length ? assignments : undefined,
    imageID: mine.find((c) => c.image === spec.image)?.imageID,
    hostPaths: spec.volumes?.length ? hostPaths.get(spec.name) : [],
  };
}

function planPorts(
  spec: ContainerSpec,
  mine: readonly ObservedContainer[],
  known: readonly PortStatus[],
): PortPlan[] {
  // `known`: the status's ports of this container.
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
      mine
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
