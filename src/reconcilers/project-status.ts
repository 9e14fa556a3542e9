import type { PathPolicyError } from "./mounts.js";
import type { ObservedContainer } from "../runtime/observed.js";
import type { PortAssignment } from "../ports/allocator.js";
import {
  type Condition,
  type ConditionType,
  type ContainerStatus,
  type DesiredProject,
  formatSpecError,
  type Phase,
  type PortStatus,
  type ProjectStatus,
  type SpecError,
} from "../api/index.js";

/** What one reconcile found out, the input of the status. */
export interface ReconcileFindings {
  desired: DesiredProject;
  /** The project's containers after this reconcile's actions, by spec container name. */
  containers: ReadonlyMap<string, ObservedContainer>;
  assignments: readonly PortAssignment[];
  /** Port problems, as messages naming the holder. */
  portConflicts: readonly string[];
  /** Image problems by image reference. */
  imageErrors: readonly string[];
  /**
   * Spec paths (volume hostPaths, build contexts) that lead outside the allowed roots or do not
   * exist; their containers were not created. They make `SpecValid=False` and the phase Failed.
   */
  pathErrors: readonly Pick<PathPolicyError, "reason" | "message">[];
  /** Other problems that stop progress. */
  failures: readonly string[];
  /** Containers this reconcile created, started or stopped: their observed state is about to change. */
  acted: ReadonlySet<string>;
  /**
   * Containers the reconcile in progress is about to create, replace, start or stop (the interim
   * status written before Docker is called, so that a change shows at once); never ready.
   */
  changing?: ReadonlySet<string>;
  /** httpGet/tcpSocket probe results by container name. */
  probes: ReadonlyMap<string, "starting" | "healthy" | "unhealthy" | undefined>;
  publishHost: string;
  now: string;
}

type Health = "healthy" | "unhealthy" | "starting" | "none";

function healthOf(f: ReconcileFindings, name: string, c: ObservedContainer | undefined): Health {
  const probe = f.probes.get(name);
  if (probe) return probe;
  return c?.health ?? "none";
}

/** Computes phase, conditions, containers and ports. Pure; `previous` keeps transition times. */
export function computeStatus(f: ReconcileFindings, previous: ProjectStatus | undefined): ProjectStatus {
  const { desired } = f;
  const specs = desired.project.spec.containers;
  const wantRunning = desired.project.spec.state === "Running";
  const containers: ContainerStatus[] = specs.map((s) => {
    const c = f.containers.get(s.name);
    return {
      name: s.name,
      ...(c
        ? { containerID: c.id, image: s.image, imageID: c.imageID, startedAt: c.startedAt ?? "" }
        : { image: s.image }),
      state: c?.state ?? "missing",
      health: healthOf(f, s.name, c),
      restartCount: c?.restartCount ?? 0,
    };
  });
  const changing = f.changing ?? new Set<string>();
  const ready = specs.filter((s) => {
    if (changing.has(s.name)) return false;
    const c = f.containers.get(s.name);
    const h = healthOf(f, s.name, c);
    return c?.running === true && (h === "healthy" || h === "none");
  }).length;
  const pathMessages = f.pathErrors.map((e) => e.message);
  const blocked = [...f.portConflicts, ...f.imageErrors, ...pathMessages, ...f.failures];
  let phase: Phase;
  let readyReason: string;
  let readyMessage = "";
  if (!wantRunning) {
    const anyRunning = specs.some((s) => f.containers.get(s.name)?.running);
    phase = anyRunning || f.acted.size > 0 || changing.size > 0 ? "Progressing" : "Stopped";
    readyReason = "Stopped";
    readyMessage = anyRunning ? "stopping containers" : "the project is stopped (spec.state: Stopped)";
  } else if (blocked.length > 0) {
    phase = "Failed";
    readyReason = f.portConflicts.length
      ? "PortConflict"
      : f.imageErrors.length
        ? "ImageUnavailable"
        : (pathReason(f) ?? "ReconcileFailed");
    readyMessage = blocked.join("; ");
  } else if (ready === specs.length) {
    phase = "Running";
    readyReason = "AllContainersHealthy";
  } else {
    const broken = specs.filter((s) => {
      const c = f.containers.get(s.name);
      if (f.acted.has(s.name) || changing.has(s.name)) return false;
      return (
        c &&
        (healthOf(f, s.name, c) === "unhealthy" ||
          c.state === "restarting" ||
          (c.state === "exited" && c.startedAt !== undefined))
      );
    });
    phase = broken.length > 0 ? "Degraded" : "Progressing";
    readyReason = broken.length > 0 ? "ContainersUnhealthy" : "ContainersStarting";
    const notReady = specs.filter(
      (s) =>
        changing.has(s.name) ||
        !containers.find(
          (c) =>
            c.name === s.name && c.state === "running" && (c.health === "healthy" || c.health === "none"),
        ),
    );
    readyMessage = notReady
      .map((s) => {
        const st = containers.find((c) => c.name === s.name);
        const health = st?.health && st.health !== "none" ? ` (${st.health})` : "";
        return `${s.name}: ${st?.state ?? "missing"}${health}${changing.has(s.name) ? ", updating" : ""}`;
      })
      .join(", ");
  }
  const gen = desired.generation;
  const cond = (type: ConditionType, ok: boolean, reason: string, message: string): Condition => {
    const prev = previous?.conditions?.find((c) => c.type === type);
    const status = ok ? "True" : "False";
    const lastTransitionTime = prev && prev.status === status ? prev.lastTransitionTime : f.now;
    return { type, status, reason, message, lastTransitionTime, observedGeneration: gen };
  };
  const specErrors = desired.specErrors;
  const specMessage = [describeSpecErrors(specErrors), ...pathMessages].filter((m) => m !== "").join("; ");
  const conditions: Condition[] = [
    cond("Ready", phase === "Running", readyReason, readyMessage),
    cond(
      "Progressing",
      phase === "Progressing",
      phase === "Progressing" ? "Reconciling" : "Settled",
      phase === "Progressing" ? readyMessage : "",
    ),
    cond(
      "SpecValid",
      specErrors.length === 0 && f.pathErrors.length === 0,
      specErrors.length ? "InvalidSpec" : (pathReason(f) ?? "Valid"),
      specMessage,
    ),
    cond(
      "PortsAllocated",
      f.portConflicts.length === 0,
      f.portConflicts.length ? "PortConflict" : "Allocated",
      f.portConflicts.join("; "),
    ),
    cond(
      "ImageAvailable",
      f.imageErrors.length === 0,
      f.imageErrors.length ? "ImageUnavailable" : "Present",
      f.imageErrors.join("; "),
    ),
  ];
  const ports: PortStatus[] = f.assignments.map((a) => ({
    container: a.container,
    name: a.portName,
    containerPort: a.containerPort,
    hostPort: a.hostPort,
    protocol: a.protocol,
    url:
      a.protocol === "TCP" ? `http://${f.publishHost}:${a.hostPort}` : `udp://${f.publishHost}:${a.hostPort}`,
  }));
  return {
    observedGeneration: gen,
    phase,
    ready: `${ready}/${specs.length}`,
    portSummary: ports.map((p) => `${p.container}:${p.hostPort}->${p.containerPort}`).join(","),
    conditions,
    containers,
    ports,
    lastReconcileTime: f.now,
  };
}

/** `PathNotAllowed` when any path leads outside the allowed roots, else `PathMissing`; undefined if none. */
function pathReason(f: ReconcileFindings): string | undefined {
  if (f.pathErrors.length === 0) return undefined;
  return f.pathErrors.some((e) => e.reason === "PathNotAllowed") ? "PathNotAllowed" : "PathMissing";
}

function describeSpecErrors(errors: readonly SpecError[]): string {
  if (errors.length === 0) return "";
  const shown = errors.slice(0, 3).map(formatSpecError).join("; ");
  const more = errors.length > 3 ? ` (and ${errors.length - 3} more)` : "";
  return `${shown}${more}; the last valid spec keeps running`;
}
