import type { PathPolicyError } from "./mounts.js";
import type { ObservedContainer } from "../runtime/observed.js";
import type { PortAssignment } from "../ports/allocator.js";
import { containerStatus, healthOf, outcomeOf, type ContainerFacts } from "./container-status.js";
import { isJob } from "./dependencies.js";
import {
  type Condition,
  type ConditionType,
  type ContainerSpec,
  type ContainerStatus,
  type DesiredProject,
  formatSpecError,
  type Phase,
  type PortStatus,
  type ProjectStatus,
  type SpecError,
} from "../api/index.js";

/** What one reconcile found out, the input of the status. */
export interface ReconcileFindings extends ContainerFacts {
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
  publishHost: string;
  now: string;
}

/** Computes phase, conditions, containers and ports. Pure; `previous` keeps transition times. */
export function computeStatus(f: ReconcileFindings, previous: ProjectStatus | undefined): ProjectStatus {
  const { desired } = f;
  const specs = desired.project.spec.containers;
  const containers: ContainerStatus[] = specs.map((s) => containerStatus(f, s));
  const changing = f.changing ?? new Set<string>();
  const { phase, readyReason, readyMessage, ready } = readiness(f, containers, changing);
  const pathMessages = f.pathErrors.map((e) => e.message);
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
      f.imageErrors.length === 0
        ? "Present"
        : f.imageErrors.some((m) => m.startsWith("building "))
          ? "BuildFailed"
          : "ImageUnavailable",
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

interface Readiness {
  phase: Phase;
  readyReason: string;
  readyMessage: string;
  /** Spec containers that are ready: running and healthy, or (a job) completed. */
  ready: number;
}

/**
 * The phase and the Ready condition. A job that completed counts as ready; one with restartPolicy
 * Never that failed makes the project Failed (reason JobFailed: nothing retries it until its spec
 * changes), one with OnFailure makes it Degraded while dockerd retries. While anything waits for a
 * dependency (and nothing failed) the reason is ContainersWaiting.
 */
function readiness(
  f: ReconcileFindings,
  containers: readonly ContainerStatus[],
  changing: ReadonlySet<string>,
): Readiness {
  const specs = f.desired.project.spec.containers;
  const waiting = f.waiting ?? new Map<string, string>();
  const settled = (name: string) =>
    !changing.has(name) && !f.acted.has(name) && !waiting.has(name) && !f.errors?.has(name);
  const errors = f.errors ?? new Map<string, string>();
  const isReady = (s: ContainerSpec): boolean => {
    if (changing.has(s.name) || waiting.has(s.name) || errors.has(s.name)) return false;
    const c = f.containers.get(s.name);
    if (c && outcomeOf(f, s) === "Completed") return true;
    const h = healthOf(f, s.name, c);
    return c?.running === true && (h === "healthy" || h === "none");
  };
  const notReady = specs.filter((s) => !isReady(s));
  const ready = specs.length - notReady.length;
  const pathMessages = f.pathErrors.map((e) => e.message);
  const blocked = [...f.portConflicts, ...f.imageErrors, ...pathMessages, ...f.failures];
  const failedJobs = specs.filter((s) => isJob(s) && settled(s.name) && outcomeOf(f, s) === "Failed");
  const jobMessage = failedJobs
    .map((s) => `${s.name} failed (exit ${f.containers.get(s.name)?.exitCode ?? "?"})`)
    .join(", ");
  if (f.desired.project.spec.state !== "Running") {
    const anyRunning = specs.some((s) => f.containers.get(s.name)?.running);
    return {
      phase: anyRunning || f.acted.size > 0 || changing.size > 0 ? "Progressing" : "Stopped",
      readyReason: "Stopped",
      readyMessage: anyRunning ? "stopping containers" : "the project is stopped (spec.state: Stopped)",
      ready,
    };
  }
  if (blocked.length > 0) {
    const readyReason = f.portConflicts.length
      ? "PortConflict"
      : f.imageErrors.length
        ? "ImageUnavailable"
        : (pathReason(f) ?? "ReconcileFailed");
    return { phase: "Failed", readyReason, readyMessage: blocked.join("; "), ready };
  }
  if (failedJobs.some((s) => s.restartPolicy === "Never")) {
    return { phase: "Failed", readyReason: "JobFailed", readyMessage: jobMessage, ready };
  }
  if (notReady.length === 0)
    return { phase: "Running", readyReason: "AllContainersHealthy", readyMessage: "", ready };
  const broken = specs.filter((s) => {
    const c = f.containers.get(s.name);
    if (!c || !settled(s.name) || outcomeOf(f, s) === "Completed") return false;
    return (
      healthOf(f, s.name, c) === "unhealthy" ||
      c.state === "restarting" ||
      (c.state === "exited" && c.startedAt !== undefined)
    );
  });
  const readyReason =
    waiting.size > 0
      ? "ContainersWaiting"
      : failedJobs.length > 0
        ? "JobFailed"
        : broken.length > 0
          ? "ContainersUnhealthy"
          : "ContainersStarting";
  const readyMessage = notReady
    .map((s) => {
      const st = containers.find((c) => c.name === s.name);
      const wait = waiting.get(s.name);
      if (wait !== undefined) return `${s.name}: waiting (${wait})`;
      const health = st?.health && st.health !== "none" ? ` (${st.health})` : "";
      const code = st?.exitCode !== undefined && st.exitCode !== 0 ? ` (exit ${st.exitCode})` : "";
      const error = errors.get(s.name);
      const note = changing.has(s.name) ? ", updating" : error !== undefined ? `, ${error}` : "";
      return `${s.name}: ${st?.state ?? "missing"}${code}${health}${note}`;
    })
    .join(", ");
  return { phase: broken.length > 0 ? "Degraded" : "Progressing", readyReason, readyMessage, ready };
}

/** `PathNotAllowed` when any path leads outside the allowed roots, else `PathMissing`; undefined if none. */
function pathReason(f: ReconcileFindings): string | undefined {
  if (f.pathErrors.length === 0) return undefined;
  for (const reason of ["PathNotAllowed", "SecretUnavailable"] as const)
    if (f.pathErrors.some((e) => e.reason === reason)) return reason;
  return "PathMissing";
}

function describeSpecErrors(errors: readonly SpecError[]): string {
  if (errors.length === 0) return "";
  const shown = errors.slice(0, 3).map(formatSpecError).join("; ");
  const more = errors.length > 3 ? ` (and ${errors.length - 3} more)` : "";
  return `${shown}${more}; the last valid spec keeps running`;
}
