/**
 * How the reconciler lays the dev loop over a project's status and tells the dev loop which
 * containers run. Pure apart from the calls into the {@link DevLoopControl}.
 */
import type { ObservedContainer } from "../../runtime/observed.js";
import type { LiveContainer } from "./dev-loop.js";
import type { Condition, DesiredProject, ProjectStatus, SyncRecord } from "../../api/index.js";

/** The dev loop as the reconciler drives it (see DevLoop). */
export interface DevLoopControl {
  set(key: string, container: string, live: LiveContainer | undefined): void;
  remove(key: string): void;
  records(key: string): readonly SyncRecord[];
  seed(key: string, records: readonly SyncRecord[] | undefined): void;
  condition(key: string, previous: Condition | undefined, now: string, generation: number): Condition;
}

/** Whether any container of the project has watch rules. */
export function hasWatchRules(d: DesiredProject): boolean {
  return d.project.spec.containers.some((c) => (c.develop?.watch?.length ?? 0) > 0);
}

/** Tells the dev loop, container by container, what runs now (after a reconcile). */
export function updateDevLoop(
  devloop: DevLoopControl,
  d: DesiredProject,
  result: ReadonlyMap<string, ObservedContainer>,
): void {
  const running = d.project.spec.state === "Running";
  for (const spec of d.project.spec.containers) {
    const c = result.get(spec.name);
    const rules = spec.develop?.watch ?? [];
    if (!running || !c?.running) devloop.set(d.key, spec.name, undefined);
    else devloop.set(d.key, spec.name, { containerID: c.id, rules, specDir: d.specDir });
  }
}

/** `status` with the project's last syncs and, when it has watch rules, its `Synced` condition. */
export function withDevLoop(
  status: ProjectStatus,
  devloop: DevLoopControl,
  d: DesiredProject,
  previous: ProjectStatus | undefined,
  now: string,
): ProjectStatus {
  devloop.seed(d.key, previous?.syncs);
  const records = devloop.records(d.key);
  const others = (status.conditions ?? []).filter((c) => c.type !== "Synced");
  const out: ProjectStatus = { ...status };
  if (records.length > 0) out.syncs = [...records];
  else delete out.syncs;
  if (!hasWatchRules(d)) {
    out.conditions = others;
    return out;
  }
  const before = previous?.conditions?.find((c) => c.type === "Synced");
  out.conditions = [...others, devloop.condition(d.key, before, now, d.generation)];
  return out;
}
