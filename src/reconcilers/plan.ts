/**
 * The planner: what a reconcile does to a project's containers, from the desired project, the
 * observed containers and what the caller resolved (host ports, image IDs, real host paths) and
 * remembers (containers Berth stopped, creations Docker has not reported yet). Pure and
 * deterministic: no I/O, no clock (the caller passes `now`), linear in the number of containers.
 * One planner serves reconciles (executed by execute.ts) and dry runs (dry-run.ts).
 */
import type { PortAssignment } from "../ports/allocator.js";
import type { ObservedContainer } from "../runtime/observed.js";
import { containerHash, type ContainerInputs } from "./container-spec.js";
import { containerName, networkName } from "./names.js";
import { REASON, replaceReason, startDecision } from "./reasons.js";
import {
  type ContainerSpec,
  type Project,
  type ProjectSpec,
  type ProjectStatus,
  RESTARTED_AT_ANNOTATION,
} from "../api/index.js";

/** How long a container created by a reconciler may stay unreported before it is created again. */
export const EXPECTATION_MS = 10_000;

/** What the caller knows about one spec container before planning. */
export interface ResolvedContainer {
  /** Its host ports; undefined when not all are known (a dry run, before allocation). */
  ports: readonly PortAssignment[] | undefined;
  /** The image ID it would run; undefined when unknown. */
  imageID: string | undefined;
  /** The real host path of each of its volumes, in order; undefined when unknown. */
  hostPaths: readonly string[] | undefined;
  /** Set when it must be left as it is (port conflict, image unavailable, path refused): why. */
  blocked?: string;
}

/** A container this reconciler created and the observer has not reported yet. */
export interface PendingCreation {
  id: string;
  hash: string;
  /** When it was created, on the caller's clock (`PlanInput.now`). */
  at: number;
}

/** The planner's input. */
export interface PlanInput {
  /** `namespace/name`. */
  key: string;
  /** The defaulted desired project; undefined tears everything down. */
  project: Project | undefined;
  /** The reason of a teardown's removals (default "project deleted"). */
  teardownReason?: string;
  /** True when the project has a status: a teardown then also removes its network. */
  hadStatus?: boolean;
  /** The project's managed containers, this instance's only. */
  observed: readonly ObservedContainer[];
  /** By spec container name; a container with no entry has nothing known (its hash is unknown). */
  resolved: ReadonlyMap<string, ResolvedContainer>;
  /** Written on created containers (label only; not part of the hash). */
  instance: string;
  /** Address host ports are published on. */
  publishAddress: string;
  /** Container IDs Berth stopped for `state: Stopped` (see {@link stoppedWithProject}). */
  stoppedByBerth: Pick<ReadonlySet<string>, "has">;
  /** Pending creations by spec container name. */
  pending: ReadonlyMap<string, PendingCreation>;
  /** Now, on the clock of `pending[].at`. */
  now: number;
  /** The spec and restart annotation the current containers were made from, when known (names what changed). */
  previous?: { spec: ProjectSpec; restartedAt: string | undefined } | undefined;
}

/** The Docker form of a container to create: its inputs, hash and names. */
export interface Creation {
  inputs: ContainerInputs;
  hash: string;
  /** Its canonical Docker name, `berth-<ns>-<name>-<container>`. */
  name: string;
  /** The name it is created with: `name`, or a temporary one while its predecessor still runs. */
  createAs: string;
}

interface Base {
  /** The spec container's name; for an orphan, its container label or else its Docker name. */
  container: string;
  reason: string;
}

/** Leave it as it is; `target` is what status shows for it (undefined: nothing yet). */
export interface KeepAction extends Base {
  kind: "keep";
  target: ObservedContainer | undefined;
}
/** Start an existing container. */
export interface StartAction extends Base {
  kind: "start";
  target: ObservedContainer;
}
/** Stop a running container (state Stopped); it and its ports are kept. */
export interface StopAction extends Base {
  kind: "stop";
  target: ObservedContainer;
}
/** Stop and remove a container. */
export interface RemoveAction extends Base {
  kind: "remove";
  target: ObservedContainer;
}
/** Create and start a container; `creation` is undefined when the hash is unknown (dry runs). */
export interface CreateAction extends Base {
  kind: "create";
  creation: Creation | undefined;
}
/**
 * Replace `replaces` by a new container. With `overlap` (no published ports) the new one starts
 * under a temporary name before the old ones go, then takes the canonical name.
 */
export interface ReplaceAction extends Base {
  kind: "replace";
  creation: Creation | undefined;
  replaces: readonly ObservedContainer[];
  overlap: boolean;
}

/** One step of a plan. */
export type Action = KeepAction | StartAction | StopAction | RemoveAction | CreateAction | ReplaceAction;

/** The steps for one spec container, in the order they run. */
export interface SlotPlan {
  container: string;
  /** The container status shows for it until its steps ran (a running one first). */
  before: ObservedContainer | undefined;
  /** The container status shows for it once they succeeded; undefined when a new one is coming. */
  after: ObservedContainer | undefined;
  /** At least one; only `keep` when nothing changes. */
  actions: readonly Action[];
}

/** What to do to one project. */
export interface Plan {
  key: string;
  /** One per spec container, in spec order; empty for a teardown. */
  slots: readonly SlotPlan[];
  /** Containers of no spec container (or all, in a teardown), removed after the slots. */
  orphans: readonly RemoveAction[];
  /** Set for a teardown: the network to remove, if any. */
  teardown: { network: string | undefined } | undefined;
  /** Spec containers whose pending creation has settled (seen, or expired): forget them. */
  settled: readonly string[];
}

/** Plans a reconcile of `input.key`. Pure and deterministic. */
export function plan(input: PlanInput): Plan {
  const { key, project, observed } = input;
  if (!project) {
    const reason = input.teardownReason ?? REASON.projectDeleted;
    return {
      key,
      slots: [],
      orphans: observed.map((c) => removal(c, reason)),
      teardown: { network: observed.length > 0 || input.hadStatus ? networkName(key) : undefined },
      settled: [],
    };
  }
  const bySpec = new Map<string, ObservedContainer[]>();
  for (const spec of project.spec.containers) bySpec.set(spec.name, []);
  const orphans: RemoveAction[] = [];
  for (const c of observed) {
    const mine = c.containerName === undefined ? undefined : bySpec.get(c.containerName);
    if (mine) mine.push(c);
    else orphans.push(removal(c, REASON.notInSpec));
  }
  const settled: string[] = [];
  const slots = project.spec.containers.map((spec) =>
    planSlot(input, project, spec, bySpec.get(spec.name) ?? [], settled),
  );
  return { key, slots, orphans, teardown: undefined, settled };
}

/** Every action of a plan in the order the executor runs them: the slots', then the orphans'. */
export function planActions(p: Plan): Action[] {
  return [...p.slots.flatMap((s) => s.actions), ...p.orphans];
}

/**
 * The IDs of the containers a status shows while the project is Stopped: Berth stopped them, and
 * starts them again on Running whatever their restart policy, also after an operator restart.
 */
export function stoppedWithProject(status: ProjectStatus | undefined): Set<string> {
  const ids = new Set<string>();
  if (status?.phase !== "Stopped") return ids;
  for (const c of status.containers ?? []) if (c.containerID !== undefined) ids.add(c.containerID);
  return ids;
}

function planSlot(
  input: PlanInput,
  project: Project,
  spec: ContainerSpec,
  mine: readonly ObservedContainer[],
  settled: string[],
): SlotPlan {
  const name = spec.name;
  const before = mine.find((c) => c.running) ?? mine[0];
  const keep = (target: ObservedContainer | undefined, reason: string): SlotPlan => ({
    container: name,
    before,
    after: target,
    actions: [{ kind: "keep", container: name, target, reason }],
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
    return { container: name, before, after: mine[0], actions: stops };
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
    return { container: name, before, after: current, actions };
  }
  if (mine.length === 0) {
    return {
      container: name,
      before,
      after: undefined,
      actions: [{ kind: "create", container: name, reason: REASON.missing, creation }],
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
  return {
    container: name,
    before,
    after: undefined,
    actions: [{ kind: "replace", container: name, reason, creation: withTemp, replaces: mine, overlap }],
  };
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
  };
  const name = containerName(input.key, spec.name);
  return { inputs, hash: containerHash(inputs), name, createAs: name };
}

function restartedAtOf(project: Project): string | undefined {
  return project.metadata.annotations?.[RESTARTED_AT_ANNOTATION];
}

function removal(c: ObservedContainer, reason: string, container?: string): RemoveAction {
  return { kind: "remove", container: container ?? c.containerName ?? c.name, target: c, reason };
}
