/**
 * The teardown order of a plan: stops and removals of dependents before those of their
 * dependencies, so that nothing loses a dependency while it still runs. Pure; linear.
 */
import { LABEL_DEPENDS_ON } from "./container-spec.js";
import { dependentsOf } from "./dependencies.js";
import type { RemoveAction, SlotPlan } from "./plan-types.js";
import type { ContainerSpec } from "../api/index.js";

/** A Stopped project stops dependents before their dependencies: sets the `needs` of the stop slots in `planned`. */
export function orderStops(specs: readonly ContainerSpec[], planned: Map<string, SlotPlan>): void {
  const dependents = dependentsOf(
    specs.map((s) => ({ name: s.name, dependsOn: (s.dependsOn ?? []).map((d) => d.name) })),
  );
  const stopping = (name: string) => planned.get(name)?.actions.some((a) => a.kind === "stop") === true;
  for (const [name, slot] of planned) {
    if (!stopping(name)) continue;
    const needs = (dependents.get(name) ?? []).filter(stopping);
    if (needs.length > 0) planned.set(name, { ...slot, needs });
  }
}

/** Removals ordered by the containers' depends-on labels: each one after the removals of its dependents. */
export function orderRemovals(removals: RemoveAction[]): RemoveAction[] {
  const idsByName = new Map<string, string[]>();
  for (const r of removals) {
    const name = r.target.containerName;
    if (name === undefined) continue;
    const list = idsByName.get(name);
    if (list) list.push(r.target.id);
    else idsByName.set(name, [r.target.id]);
  }
  const dependents = dependentsOf(
    removals.flatMap((r) => {
      const name = r.target.containerName;
      const label = r.target.labels[LABEL_DEPENDS_ON];
      return name !== undefined && label ? [{ name, dependsOn: label.split(",") }] : [];
    }),
  );
  return removals.map((r) => {
    const name = r.target.containerName;
    const needs =
      name === undefined ? [] : (dependents.get(name) ?? []).flatMap((n) => idsByName.get(n) ?? []);
    return needs.length > 0 ? { ...r, needs } : r;
  });
}
