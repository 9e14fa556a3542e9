/**
 * The planner: what a reconcile does to a project's containers, from the desired project, the
 * observed containers and what the caller resolved (host ports, image IDs, real host paths) and
 * remembers (containers Berth stopped, creations Docker has not reported yet). Pure and
 * deterministic: no I/O, no clock (the caller passes `now`), linear in the number of containers.
 * One planner serves reconciles (executed by execute.ts) and dry runs (dry-run.ts).
 */
import type { ObservedContainer } from "../runtime/observed.js";
import { containerHash, type ContainerInputs } from "./container-spec.js";
import {
  dependencyOrder,
  dependencyState,
  type DependencyFacts,
  type Health,
  waitReason,
} from "./dependencies.js";
import { containerName, networkName } from "./names.js";
import { orderRemovals, orderStops } from "./plan-order.js";
import {
  EXPECTATION_MS,
  type Action,
  type Creation,
  type PlanInput,
  type Plan,
  type RemoveAction,
  type ResolvedContainer,
  type SlotPlan,
  type StopAction,
} from "./plan-types.js";
import { REASON, replaceReason, startDecision } from "./reasons.js";
import {
  type ContainerSpec,
  type Project,
  type ProjectStatus,
  RESTARTED_AT_ANNOTATION,
  type VolumeSpec,
} from "../api/index.js";

export { EXPECTATION_MS } from "./plan-types.js";
export type {
  Action,
  CreateAction,
  Creation,
  KeepAction,
  PendingCreation,
  Plan,
  PlanInput,
  RemoveAction,
  ReplaceAction,
  ResolvedContainer,
  SlotPlan,
  StartAction,
  StopAction,
  WaitAction,
} from "./plan-types.js";

/**
 * Plans a reconcile of `input.key`. Pure and deterministic. Containers are planned dependencies
 * first: one whose dependency has not reached its condition waits (nothing is created, replaced or
 * started for it; what runs keeps running), and one whose dependency this pass starts (condition
 * Started) names it in `needs`, so that the executor starts them in order within the pass.
 */
export function plan(input: PlanInput): Plan {
  const { key, project, observed } = input;
  if (!project) {
    const reason = input.teardownReason ?? REASON.projectDeleted;
    return {
      key,
      slots: [],
      orphans: orderRemovals(observed.map((c) => removal(c, reason))),
      teardown: { network: observed.length > 0 || input.hadStatus ? networkName(key) : undefined },
      settled: [],
    };
  }
  const specs = project.spec.containers;
  const bySpec = new Map<string, ObservedContainer[]>();
  for (const spec of specs) bySpec.set(spec.name, []);
  const orphans: RemoveAction[] = [];
  for (const c of observed) {
    const mine = c.containerName === undefined ? undefined : bySpec.get(c.containerName);
    if (mine) mine.push(c);
    else orphans.push(removal(c, REASON.notInSpec));
  }
  const settled: string[] = [];
  const facts = new Map<string, DependencyFacts>();
  const planned = new Map<string, SlotPlan>();
  for (const spec of dependencyOrder(specs).order) {
    const { slot: raw, current } = planSlot(input, project, spec, bySpec.get(spec.name) ?? [], settled);
    const slot = changes(raw) ? gate(input, spec, raw, facts) : raw;
    facts.set(spec.name, {
      spec,
      shown: slot.after,
      current,
      changes: changes(slot),
      waiting: slot.actions.some((a) => a.kind === "wait"),
      health: healthOf(input, spec.name, slot.after),
    });
    planned.set(spec.name, slot);
  }
  if (project.spec.state !== "Running") orderStops(specs, planned);
  const slots = specs.map((s) => planned.get(s.name) as SlotPlan);
  return { key, slots, orphans: orderRemovals(orphans), teardown: undefined, settled };
}

/** Every action of a plan, the slots' in spec order, then the orphans'. */
export function planActions(p: Plan): Action[] {
  return [...p.slots.flatMap((s) => s.actions), ...p.orphans];
}

/**
 * The IDs of the containers a status shows while the project is Stopped: Berth stopped them, and
 * starts them again on Running whatever their restart policy, also after an operator restart. A
 * job the status shows Completed had finished on its own and is not run again.
 */
export function stoppedWithProject(status: ProjectStatus | undefined): Set<string> {
  const ids = new Set<string>();
  if (status?.phase !== "Stopped") return ids;
  for (const c of status.containers ?? [])
    if (c.containerID !== undefined && c.reason !== "Completed") ids.add(c.containerID);
  return ids;
}

/** True when the slot creates, replaces or starts a container. */
function changes(slot: SlotPlan): boolean {
  return slot.actions.some((a) => a.kind === "create" || a.kind === "replace" || a.kind === "start");
}

function healthOf(input: PlanInput, name: string, c: ObservedContainer | undefined): Health {
  return input.probes?.get(name) ?? c?.health ?? "none";
}

/** The slot as it runs given its dependencies: waiting for the first one not ready, or with its in-pass edges. */
function gate(
  input: PlanInput,
  spec: ContainerSpec,
  slot: SlotPlan,
  facts: ReadonlyMap<string, DependencyFacts>,
): SlotPlan {
  const needs: string[] = [];
  for (const dep of spec.dependsOn ?? []) {
    const f = facts.get(dep.name);
    if (!f || dep.name === spec.name) continue; // unknown, or on a cycle: validation reports it
    const state = dependencyState(dep.name, dep.condition, f, input.stoppedByBerth);
    if (!state.met) {
      const target = slot.before;
      const reason = waitReason(dep.name, dep.condition);
      return {
        container: spec.name,
        before: target,
        after: target,
        needs: [],
        actions: [
          { kind: "wait", container: spec.name, target, reason, dependency: dep, message: state.message },
        ],
      };
    }
    if (state.inPass && !needs.includes(dep.name)) needs.push(dep.name);
  }
  return { ...slot, needs };
}

/** The slot of one spec container before its dependencies are considered, and its current container. */
function planSlot(
  input: PlanInput,
  project: Project,
  spec: ContainerSpec,
  mine: readonly ObservedContainer[],
  settled: string[],
): { slot: SlotPlan; current: ObservedContainer | undefined } {
  const name = spec.name;
  const before = mine.find((c) => c.running) ?? mine[0];
  const slotOf = (after: ObservedContainer | undefined, actions: Action[]): SlotPlan => ({
    container: name,
    before,
    after,
    actions,
    needs: [],
  });
  const keep = (target: ObservedContainer | undefined, reason: string) => ({
    slot: slotOf(target, [{ kind: "keep", container: name, target, reason }]),
    current: undefined,
  });
  if (project.spec.state !== "Running") {
    const live = mine.filter((c) => c.running || c.state === "restarting");
    if (live.length === 0) return keep(mine[0], REASON.projectStopped);
    const stops = live.map((c): StopAction => ({
      kind: "stop",
      container: name,
      target: c,
      reason: REASON.projectStopped,
    }));
    return { slot: slotOf(mine[0], stops), current: undefined };
  }
  const resolved = input.resolved.get(name);
  if (resolved?.blocked !== undefined) return keep(before, resolved.blocked);
  const creation = creationOf(input, project, spec, resolved);
  const hash = creation?.hash;
  const current = hash === undefined ? undefined : mine.find((c) => c.specHash === hash);
  const pending = input.pending.get(name);
  if (pending && (mine.some((c) => c.id === pending.id) || input.now - pending.at > EXPECTATION_MS)) {
    settled.push(name);
  } else if (pending && pending.hash === hash && !current) {
    return keep(undefined, REASON.pendingCreation);
  }
  if (current) {
    const actions: Action[] = mine
      .filter((c) => c !== current)
      .map((c) => removal(c, REASON.duplicate, name));
    if (current.running)
      actions.push({ kind: "keep", container: name, target: current, reason: REASON.hashMatches });
    else {
      const d = startDecision(current, spec, input.stoppedByBerth);
      actions.push(
        d.start
          ? { kind: "start", container: name, target: current, reason: d.reason }
          : { kind: "keep", container: name, target: current, reason: d.reason },
      );
    }
    return { slot: slotOf(current, actions), current };
  }
  if (mine.length === 0) {
    return {
      slot: slotOf(undefined, [{ kind: "create", container: name, reason: REASON.missing, creation }]),
      current: undefined,
    };
  }
  const ports = resolved?.ports ?? spec.ports ?? [];
  const overlap = ports.length === 0;
  const previous = input.previous;
  const reason = replaceReason({
    spec,
    mine,
    imageID: resolved?.imageID,
    ports: resolved?.ports,
    previous: previous?.spec.containers.find((c) => c.name === name),
    restartChanged: previous !== undefined && previous.restartedAt !== restartedAtOf(project),
  });
  const withTemp =
    creation && overlap
      ? { ...creation, createAs: `${creation.name}-${creation.hash.slice(0, 8)}` }
      : creation;
  const replace: Action = {
    kind: "replace",
    container: name,
    reason,
    creation: withTemp,
    replaces: mine,
    overlap,
  };
  return { slot: slotOf(undefined, [replace]), current: undefined };
}

/** The container to create for `spec`, or undefined when some input of its hash is unknown. */
function creationOf(
  input: PlanInput,
  project: Project,
  spec: ContainerSpec,
  r: ResolvedContainer | undefined,
): Creation | undefined {
  if (!r || r.ports === undefined || r.imageID === undefined || r.hostPaths === undefined) return undefined;
  const inputs: ContainerInputs = {
    key: input.key,
    instance: input.instance,
    spec,
    ports: r.ports,
    imageID: r.imageID,
    network: networkName(input.key),
    publishAddress: input.publishAddress,
    hostPaths: r.hostPaths,
    restartedAt: restartedAtOf(project),
    ...(r.env ? { env: r.env } : {}),
    ...namedVolumesOf(project, spec),
  };
  const name = containerName(input.key, spec.name);
  return { inputs, hash: containerHash(inputs), name, createAs: name };
}

/** The project's named volumes `spec` mounts, for the executor to ensure before creating it. */
function namedVolumesOf(project: Project, spec: ContainerSpec): { namedVolumes?: VolumeSpec[] } {
  const used = new Set((spec.volumes ?? []).flatMap((v) => (v.volume === undefined ? [] : [v.volume])));
  if (used.size === 0) return {};
  return { namedVolumes: (project.spec.volumes ?? []).filter((v) => used.has(v.name)) };
}

function restartedAtOf(project: Project): string | undefined {
  return project.metadata.annotations?.[RESTARTED_AT_ANNOTATION];
}

function removal(c: ObservedContainer, reason: string, container?: string): RemoveAction {
  return { kind: "remove", container: container ?? c.containerName ?? c.name, target: c, reason };
}
