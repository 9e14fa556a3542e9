/**
 * The dependency graph of a project's containers (`dependsOn`) and what a dependency's condition
 * means for an observed container: the planner's ordering and waits, the executor's edges and the
 * status' job outcomes. Pure functions; linear in containers plus edges.
 */
import type { ObservedContainer } from "../runtime/observed.js";
import type { ContainerSpec, DependencyCondition } from "../api/index.js";

/** A job: a container that is expected to exit (restartPolicy Never or OnFailure). */
export function isJob(spec: Pick<ContainerSpec, "restartPolicy">): boolean {
  return spec.restartPolicy !== "Always";
}

/** How a container's last run ended, as status reports it. */
export type RunOutcome = "Completed" | "Failed";

/**
 * How the last run of `c` ended: `Completed` for a job that exited 0, `Failed` for any container
 * that exited non-zero (or is being restarted by dockerd after doing so); undefined while it runs,
 * before its first start, and for a container Berth stopped (its exit is Berth's doing).
 */
export function runOutcome(
  spec: Pick<ContainerSpec, "restartPolicy">,
  c: ObservedContainer,
  stoppedByBerth: Pick<ReadonlySet<string>, "has">,
): RunOutcome | undefined {
  if (c.startedAt === undefined || stoppedByBerth.has(c.id)) return undefined;
  if (c.state === "restarting") return c.exitCode !== 0 ? "Failed" : undefined;
  if (c.running || (c.state !== "exited" && c.state !== "dead")) return undefined;
  if (c.exitCode !== 0) return "Failed";
  return isJob(spec) && c.state === "exited" ? "Completed" : undefined;
}

/** Health as the planner and status see it: Berth's probe when it has one, else Docker's. */
export type Health = "healthy" | "unhealthy" | "starting" | "none";

/** What the planner knows about a dependency once its own slot is planned. */
export interface DependencyFacts {
  spec: ContainerSpec;
  /** Its container this pass leaves in place (none when one is still to come). */
  shown: ObservedContainer | undefined;
  /** The container whose spec-hash matches the current spec, if any. */
  current: ObservedContainer | undefined;
  /** True when this pass creates, replaces or starts it. */
  changes: boolean;
  /** True when it waits for a dependency of its own. */
  waiting: boolean;
  health: Health;
}

/** Whether a dependency has reached its condition: now, within this pass (a Started one), or not yet. */
export type DependencyState = { met: true; inPass: boolean } | { met: false; message: string };

/**
 * Whether `d` has reached `condition`. Started: it runs, or (a job) it completed. Healthy: it runs
 * and its health check passes (a container without a check counts as healthy once it runs).
 * Completed: it exited 0 with the current spec hash. A dependency that this pass starts meets
 * Started within the pass; Healthy and Completed are only met by what is observed. A failed
 * dependency never meets anything.
 */
export function dependencyState(
  name: string,
  condition: DependencyCondition,
  d: DependencyFacts,
  stoppedByBerth: Pick<ReadonlySet<string>, "has">,
): DependencyState {
  const notYet = { met: false as const, message: `${name} is not ${condition} yet` };
  if (d.waiting) return notYet;
  if (d.changes) return condition === "Started" ? { met: true, inPass: true } : notYet;
  const c = d.shown;
  if (!c) return notYet;
  const outcome = runOutcome(d.spec, c, stoppedByBerth);
  if (outcome === "Failed") {
    return { met: false, message: `${name} failed (exit ${c.exitCode})` };
  }
  const healthy = d.health === "healthy" || (d.health === "none" && !d.spec.healthCheck);
  const met =
    condition === "Started"
      ? c.running || outcome === "Completed"
      : condition === "Healthy"
        ? c.running && healthy
        : outcome === "Completed" && c === d.current;
  return met ? { met: true, inPass: false } : notYet;
}

/**
 * The containers of a spec in an order where every container follows its dependencies (Kahn's
 * algorithm, ties in spec order). Unknown names are ignored; containers on a cycle (which
 * validation rejects) come last, in spec order, and are reported in `cyclic`.
 */
export function dependencyOrder(specs: readonly ContainerSpec[]): {
  order: ContainerSpec[];
  cyclic: Set<string>;
} {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const pending = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const s of specs) {
    let n = 0;
    for (const dep of new Set((s.dependsOn ?? []).map((d) => d.name))) {
      if (!byName.has(dep) || dep === s.name) continue;
      n++;
      const list = dependents.get(dep);
      if (list) list.push(s.name);
      else dependents.set(dep, [s.name]);
    }
    pending.set(s.name, n);
  }
  const order: ContainerSpec[] = [];
  const ready = specs.filter((s) => pending.get(s.name) === 0);
  for (let i = 0; i < ready.length; i++) {
    const s = ready[i] as ContainerSpec;
    order.push(s);
    for (const next of dependents.get(s.name) ?? []) {
      const left = (pending.get(next) ?? 0) - 1;
      pending.set(next, left);
      const spec = byName.get(next);
      if (left === 0 && spec) ready.push(spec);
    }
  }
  const placed = new Set(order.map((s) => s.name));
  const cyclic = new Set(specs.filter((s) => !placed.has(s.name)).map((s) => s.name));
  for (const s of specs) if (cyclic.has(s.name)) order.push(s);
  return { order, cyclic };
}

/** The dependents of each container named by a `dependsOn` list: name -> names that depend on it. */
export function dependentsOf(
  entries: Iterable<{ name: string; dependsOn: readonly string[] }>,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of entries) {
    for (const dep of new Set(e.dependsOn)) {
      if (dep === e.name) continue;
      const list = out.get(dep);
      if (list) list.push(e.name);
      else out.set(dep, [e.name]);
    }
  }
  return out;
}

/** The reason of a wait, e.g. `waiting for db (Healthy)`. */
export function waitReason(name: string, condition: DependencyCondition): string {
  return `waiting for ${name} (${condition})`;
}
