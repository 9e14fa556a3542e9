/**
 * The planner's input and output types (see plan.ts): what the caller resolved and remembers, and
 * the actions of a plan with the edges the executor runs them by.
 */
import type { PortAssignment } from "../ports/allocator.js";
import type { ObservedContainer } from "../runtime/observed.js";
import type { ContainerInputs } from "./container-spec.js";
import type { ResolvedEnv } from "./env.js";
import type { Health } from "./dependencies.js";
import type { Dependency, Project, ProjectSpec } from "../api/index.js";

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
  /** Its environment from env files and secrets, when the spec has either (values hidden). */
  env?: ResolvedEnv | undefined;
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
  /**
   * Health from Berth's own probes (httpGet/tcpSocket) by spec container name; a container
   * without an entry has Docker's health (exec checks). Decides `Healthy` dependencies.
   */
  probes?: ReadonlyMap<string, Health | undefined>;
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
  /** For an orphan: IDs of the orphans removed before it (its dependents, by their labels). */
  needs?: readonly string[];
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

/**
 * Leave it as it is until `dependency` reaches its condition: no create, replace or start now.
 * `target` is what status shows meanwhile (the container it would have replaced, or nothing).
 */
export interface WaitAction extends Base {
  kind: "wait";
  target: ObservedContainer | undefined;
  dependency: Dependency;
  /** Why, for status: `db is not Healthy yet`, `migrate failed (exit 3)`. */
  message: string;
}

/** One step of a plan. */
export type Action =
  KeepAction | StartAction | StopAction | RemoveAction | CreateAction | ReplaceAction | WaitAction;

/** The steps for one spec container, in the order they run. */
export interface SlotPlan {
  container: string;
  /** The container status shows for it until its steps ran (a running one first). */
  before: ObservedContainer | undefined;
  /** The container status shows for it once they succeeded; undefined when a new one is coming. */
  after: ObservedContainer | undefined;
  /** At least one; only `keep` when nothing changes, only `wait` while a dependency is not ready. */
  actions: readonly Action[];
  /**
   * Spec containers of this plan whose actions must succeed before these run: dependencies this
   * pass starts (condition Started), or, for the stops of a Stopped project, its dependents.
   */
  needs: readonly string[];
}

/** What to do to one project. */
export interface Plan {
  key: string;
  /** One per spec container, in spec order; empty for a teardown. */
  slots: readonly SlotPlan[];
  /** Containers of no spec container (or all, in a teardown), removed after the slots, dependents first. */
  orphans: readonly RemoveAction[];
  /** Set for a teardown: the network to remove, if any. */
  teardown: { network: string | undefined } | undefined;
  /** Spec containers whose pending creation has settled (seen, or expired): forget them. */
  settled: readonly string[];
}
