/** Pure helpers of the status the reconciler writes. */
import type { ObservedContainer } from "../runtime/observed.js";
import type { ContainerSpec, DesiredProject, ProjectStatus } from "../api/index.js";

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
