/**
 * The executor: carries out a {@link Plan} against Docker, one spec container after the other in
 * plan order, then the orphans, then (for a teardown) the network. Not pure: it calls Docker and
 * updates the reconciler's memory. It is called by the project reconciler only, never for two plans
 * of one project at once.
 */
import { TerminalError } from "../controller/errors.js";
import type { CallOptions } from "../runtime/docker.js";
import { DockerError, ImageNotFoundError, NotFoundError } from "../runtime/errors.js";
import type { ObservedContainer } from "../runtime/observed.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/logger.js";
import { createSpec } from "./container-spec.js";
import type { DockerWriter, ImageResolver, NetworkEnsurer, PortAllocatorLike } from "./deps.js";
import type { ReconcileMemory } from "./memory.js";
import type { Action, CreateAction, Plan, ReplaceAction, SlotPlan } from "./plan.js";

/** What the executor changes the world through. */
export interface ExecutorDeps {
  docker: DockerWriter;
  networks: NetworkEnsurer;
  ports: Pick<PortAllocatorLike, "release">;
  images: Pick<ImageResolver, "forget">;
  memory: ReconcileMemory;
  clock: Clock;
  logger: Logger;
  /** Grace period before SIGKILL when stopping or removing a container. */
  stopTimeoutSeconds: number;
}

/** Where a run is when it is about to make its first Docker change (see {@link execute}). */
export interface Progress {
  /** The spec container about to change. */
  container: string;
  /** Its index in `plan.slots`. */
  index: number;
  /** What status shows for each spec container at this point. */
  containers: ReadonlyMap<string, ObservedContainer>;
  acted: ReadonlySet<string>;
  failures: readonly string[];
}

/** What a run did, the input of the status. */
export interface Execution {
  /** The container status shows for each spec container (none: a new one is coming). */
  containers: Map<string, ObservedContainer>;
  /** Spec containers that were created, replaced, started, stopped or had a duplicate removed. */
  acted: Set<string>;
  /** Messages of the TerminalErrors of single containers; the others went on. */
  failures: string[];
}

/** A create or replace of a dry-run plan, whose container hash is unknown, was given to the executor. */
export class PlanNotExecutableError extends Error {
  override readonly name = "PlanNotExecutableError";
  constructor(
    readonly key: string,
    readonly container: string,
  ) {
    super(`the plan for ${key} cannot create container ${container}: its inputs were not resolved`);
  }
}

/**
 * Runs `plan`. Before the first Docker change to a spec container, calls `announce` once (the
 * reconciler writes a Progressing status there, so that a change shows before Docker did the work);
 * orphan and teardown removals are not announced. A TerminalError of one spec container is recorded
 * in `failures` and the others go on; any other error rejects at once (the caller retries). A
 * container removed meanwhile counts as removed; a container dockerd refuses to start (HTTP 500) is
 * removed, to be created afresh next time; a host port another publisher took releases the
 * project's port claims so that the next reconcile allocates again.
 */
export async function execute(
  plan: Plan,
  deps: ExecutorDeps,
  call: CallOptions,
  announce?: (progress: Progress) => void,
): Promise<Execution> {
  return new Run(plan.key, deps, call).execute(plan, announce);
}

class Run {
  constructor(
    private readonly key: string,
    private readonly deps: ExecutorDeps,
    private readonly call: CallOptions,
  ) {}

  async execute(plan: Plan, announce: ((progress: Progress) => void) | undefined): Promise<Execution> {
    for (const container of plan.settled) this.deps.memory.settle(this.key, container);
    const out: Execution = { containers: new Map(), acted: new Set(), failures: [] };
    let announced = false;
    for (const [index, slot] of plan.slots.entries()) {
      if (slot.before) out.containers.set(slot.container, slot.before);
      const changes = slot.actions.some((a) => a.kind !== "keep");
      if (changes && !announced) {
        announced = true;
        announce?.({ container: slot.container, index, ...out });
      }
      try {
        const after = await this.slot(slot);
        if (changes) out.acted.add(slot.container);
        if (after) out.containers.set(slot.container, after);
        else out.containers.delete(slot.container);
      } catch (err) {
        if (!(err instanceof TerminalError)) throw err;
        out.failures.push(err.message);
      }
    }
    for (const orphan of plan.orphans) await this.remove(orphan.target.id);
    const network = plan.teardown?.network;
    if (network !== undefined) await this.deps.networks.remove(network, this.call);
    return out;
  }

  /** Runs one spec container's actions; returns what status shows for it afterwards. */
  private async slot(slot: SlotPlan): Promise<ObservedContainer | undefined> {
    let after = slot.after;
    for (const action of slot.actions) {
      if (!(await this.action(action))) after = undefined;
    }
    return after;
  }

  /** Returns false when the container it was about is gone (a start dockerd refused). */
  private async action(a: Action): Promise<boolean> {
    switch (a.kind) {
      case "keep":
        return true;
      case "stop":
        await this.deps.docker.stopContainer(a.target.id, this.stopOptions());
        this.deps.memory.markStopped(a.target.id);
        return true;
      case "remove":
        await this.remove(a.target.id);
        return true;
      case "start":
        return this.start(a.target);
      case "create":
      case "replace":
        await this.createAndStart(a);
        return true;
    }
  }

  private async createAndStart(a: CreateAction | ReplaceAction): Promise<void> {
    const { docker, memory } = this.deps;
    const c = a.creation;
    if (!c) throw new PlanNotExecutableError(this.key, a.container);
    const replaces = a.kind === "replace" ? a.replaces : [];
    // Without published ports the replacement can start before the old one goes.
    const overlap = a.kind === "replace" && a.overlap;
    await this.deps.networks.ensure(c.inputs.network, this.key, this.call);
    if (!overlap) for (const old of replaces) await this.remove(old.id);
    let id: string;
    try {
      id = await docker.createContainer(createSpec(c.inputs, c.createAs, c.hash), this.call);
    } catch (err) {
      if (err instanceof ImageNotFoundError) this.deps.images.forget(c.inputs.spec.image);
      throw err;
    }
    memory.expect(this.key, a.container, { id, hash: c.hash, at: this.deps.clock.now() });
    try {
      await docker.startContainer(id, this.call);
    } catch (err) {
      if (!hostPortTaken(err)) throw err;
      memory.settle(this.key, a.container);
      await this.remove(id);
      await this.releaseTakenPorts(err);
      throw err;
    }
    if (overlap) {
      for (const old of replaces) await this.remove(old.id);
      await docker.renameContainer(id, c.name, this.call);
    }
    this.deps.logger.info("container started", {
      project: this.key,
      container: a.container,
      id: id.slice(0, 12),
      reason: a.reason,
    });
  }

  /**
   * Starts an existing container. One that dockerd cannot start any more (a start that raced a
   * daemon shutdown leaves "task already exists" behind) is removed, to be created afresh by the
   * reconcile its removal triggers; returns false then.
   */
  private async start(c: ObservedContainer): Promise<boolean> {
    try {
      await this.deps.docker.startContainer(c.id, this.call);
      this.deps.memory.unmarkStopped(c.id);
      return true;
    } catch (err) {
      if (!(err instanceof DockerError) || err.statusCode !== 500) throw err;
      this.deps.logger.warn("container cannot be started; replacing it", {
        project: this.key,
        id: c.id.slice(0, 12),
        error: err.message,
      });
      await this.remove(c.id);
      if (hostPortTaken(err)) await this.releaseTakenPorts(err);
      return false;
    }
  }

  /**
   * Another operator on the engine (its own port registry, the same range) published the host
   * port between this one's bind test and start. The project's claims are dropped, so that the
   * next reconcile allocates again: ports its running containers publish are claimed back, and
   * the taken one, now bound by its holder, fails the bind test and is replaced.
   */
  private async releaseTakenPorts(err: DockerError): Promise<void> {
    this.deps.logger.warn("host port taken by another publisher; allocating another", {
      project: this.key,
      error: err.message,
    });
    await this.deps.ports.release(this.key);
  }

  /** Stops and removes a container; one that is gone already counts as removed. */
  private async remove(id: string): Promise<void> {
    try {
      await this.deps.docker.stopContainer(id, this.stopOptions());
      await this.deps.docker.removeContainer(id, { ...this.call, force: true });
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    this.deps.memory.unmarkStopped(id);
  }

  private stopOptions(): CallOptions & { timeoutSeconds: number } {
    return { ...this.call, timeoutSeconds: this.deps.stopTimeoutSeconds };
  }
}

/** Docker refused to start a container because a host port it publishes is in use. */
export function hostPortTaken(err: unknown): err is DockerError {
  return (
    err instanceof DockerError &&
    err.statusCode === 500 &&
    /port is already allocated|address already in use/i.test(err.daemonMessage ?? err.message)
  );
}
