/** Pure helpers of the status the reconciler writes. */
import type { ObservedContainer } from "../runtime/observed.js";
import { FAILURE_LINES, outcomeOf } from "./container-status.js";
import type { ReconcileFindings } from "./project-status.js";
import type { Resolution } from "./resolve.js";
import type { ContainerSpec, DesiredProject, ProjectStatus } from "../api/index.js";

/** What a reconcile hands to the status, less what the reconciler adds when it writes. */
export type Findings = Omit<ReconcileFindings, "desired" | "probes" | "publishHost" | "now">;

/** The status findings of a run, with the problems resolution found. Pure. */
export function findings(
  resolution: Resolution,
  run: Omit<Findings, "imageErrors" | "pathErrors">,
): Findings {
  const imageErrors: string[] = [];
  const pathErrors: Findings["pathErrors"][number][] = [];
  const failures: string[] = [];
  for (const p of resolution.problems) {
    if (p.kind === "image") imageErrors.push(p.message);
    else if (p.kind === "path") pathErrors.push(p.error);
    else failures.push(p.message);
  }
  return { ...run, imageErrors, pathErrors, failures: [...failures, ...run.failures] };
}

/** The container status shows for each spec container name: a running one first. Pure. */
export function shownContainers(observed: readonly ObservedContainer[]): Map<string, ObservedContainer> {
  const shown = new Map<string, ObservedContainer>();
  for (const c of observed) {
    const name = c.containerName;
    if (name !== undefined && (!shown.has(name) || c.running)) shown.set(name, c);
  }
  return shown;
}

/** The last log lines of every container that failed, by name, for its status message. */
export function failedLogTails(
  d: DesiredProject,
  containers: ReadonlyMap<string, ObservedContainer>,
  stoppedByBerth: Pick<ReadonlySet<string>, "has">,
  lastLines: ((key: string, container: string, n: number) => readonly string[]) | undefined,
): Map<string, readonly string[]> {
  const tails = new Map<string, readonly string[]>();
  if (!lastLines) return tails;
  const facts = { containers, probes: new Map(), stoppedByBerth };
  for (const s of d.project.spec.containers) {
    if (outcomeOf(facts, s) === "Failed") tails.set(s.name, lastLines(d.key, s.name, FAILURE_LINES));
  }
  return tails;
}

/** True when a container of `specs` exited non-zero less than `withinMs` before `nowMs`. Pure. */
export function recentFailure(
  specs: readonly ContainerSpec[],
  containers: ReadonlyMap<string, ObservedContainer>,
  nowMs: number,
  withinMs: number,
): boolean {
  return specs.some((s) => {
    const c = containers.get(s.name);
    if (!c || c.exitCode === 0 || c.finishedAt === undefined) return false;
    return nowMs - Date.parse(c.finishedAt) < withinMs;
  });
}

type ProbeHealth = "starting" | "healthy" | "unhealthy" | undefined;

/**
 * The probe health of each spec container for the status. Until a restarted prober has a verdict,
 * a container keeps the health last reported for it (same container ID, healthy). Pure.
 */
export function probeHealths(
  specs: readonly ContainerSpec[],
  health: (container: string) => ProbeHealth,
  containers: ReadonlyMap<string, ObservedContainer>,
  previous: ProjectStatus | undefined,
): Map<string, ProbeHealth> {
  const lastKnown = (name: string) => {
    const prev = previous?.containers?.find((c) => c.name === name);
    const same = prev?.containerID !== undefined && prev.containerID === containers.get(name)?.id;
    return same && prev?.health === "healthy" ? ("healthy" as const) : undefined;
  };
  return new Map(
    specs.map((s) => {
      const h = health(s.name);
      return [s.name, h === "starting" ? (lastKnown(s.name) ?? h) : h];
    }),
  );
}

/**
 * The status after an error worth retrying, so that `berth describe` says what is wrong: Ready
 * False with reason ReconcileError, a Running project Degraded, the rest of the last status kept.
 * Pure; `now` is RFC 3339.
 */
export function errorStatus(
  d: DesiredProject,
  previous: ProjectStatus | undefined,
  err: unknown,
  now: string,
): ProjectStatus {
  const message = (err as Error).message ?? String(err);
  const conditions = (previous?.conditions ?? []).filter((c) => c.type !== "Ready");
  const prevReady = previous?.conditions?.find((c) => c.type === "Ready");
  conditions.unshift({
    type: "Ready",
    status: "False",
    reason: "ReconcileError",
    message: `${message} (retrying)`,
    lastTransitionTime: prevReady?.status === "False" ? prevReady.lastTransitionTime : now,
    observedGeneration: d.generation,
  });
  return {
    ...previous,
    phase: previous?.phase === "Running" ? "Degraded" : (previous?.phase ?? "Pending"),
    conditions,
    lastReconcileTime: now,
  };
}
