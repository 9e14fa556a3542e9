/**
 * The Docker steps of one planned action (create and start, start, stop, remove), each Docker call
 * through the operator's {@link DockerGate}. Used by the executor (execute.ts) only; not pure.
 */
import type { CallOptions } from "../runtime/docker.js";
import { DockerError, ImageNotFoundError, NotFoundError } from "../runtime/errors.js";
import type { ObservedContainer } from "../runtime/observed.js";
import type { Clock } from "../util/clock.js";
import type { Logger } from "../util/logger.js";
import { createSpec } from "./container-spec.js";
import type { DockerWriter, ImageResolver, NetworkEnsurer, PortAllocatorLike } from "./deps.js";
import type { DockerGate } from "./gate.js";
import type { ReconcileMemory } from "./memory.js";
import type { VolumeEnsurer } from "./volumes.js";
import type { Action, CreateAction, ReplaceAction } from "./plan.js";

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
  /** The operator-wide bound on Docker calls. */
  gate: DockerGate;
  /** Named volumes, ensured before a container that mounts one is created; none without. */
  volumes?: VolumeEnsurer | undefined;
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

/** The steps of one run of one project's plan. */
export class ContainerOps {
  constructor(
    private readonly key: string,
    private readonly deps: ExecutorDeps,
    private readonly call: CallOptions,
    /** Resolves once the named network exists (shared by the run's creations). */
    private readonly network: (name: string) => Promise<void>,
  ) {}

  /** Runs one action; false when the container it was about is gone (a start dockerd refused). */
  async action(a: Action): Promise<boolean> {
    switch (a.kind) {
      case "keep":
      case "wait":
        return true;
      case "stop":
        await this.deps.gate.stop(() => this.deps.docker.stopContainer(a.target.id, this.stopOptions()));
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

  /** Stops (with the grace period) and removes a container; one that is gone already counts as removed. */
  async remove(id: string): Promise<void> {
    const { docker, gate } = this.deps;
    try {
      await gate.stop(() => docker.stopContainer(id, this.stopOptions()));
      await gate.call(() => docker.removeContainer(id, { ...this.call, force: true }));
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    this.deps.memory.unmarkStopped(id);
  }

  private async createAndStart(a: CreateAction | ReplaceAction): Promise<void> {
    const { docker, memory, gate } = this.deps;
    const c = a.creation;
    if (!c) throw new PlanNotExecutableError(this.key, a.container);
    const replaces = a.kind === "replace" ? a.replaces : [];
    // Without published ports the replacement can start before the old one goes.
    const overlap = a.kind === "replace" && a.overlap;
    const network = this.network(c.inputs.network);
    const ensurer = this.deps.volumes;
    const volumes = Promise.all(
      ensurer ? (c.inputs.namedVolumes ?? []).map((v) => ensurer.ensure(this.key, v, this.call)) : [],
    );
    volumes.catch(() => {}); // awaited below, after the old containers are gone
    if (!overlap) await Promise.all(replaces.map((old) => this.remove(old.id)));
    await network;
    await volumes;
    let id: string;
    try {
      id = await gate.call(() => docker.createContainer(createSpec(c.inputs, c.createAs, c.hash), this.call));
    } catch (err) {
      if (err instanceof ImageNotFoundError) this.deps.images.forget(c.inputs.spec.image);
      throw err;
    }
    memory.expect(this.key, a.container, { id, hash: c.hash, at: this.deps.clock.now() });
    try {
      await gate.call(() => docker.startContainer(id, this.call));
    } catch (err) {
      if (!hostPortTaken(err)) throw err;
      memory.settle(this.key, a.container);
      await this.remove(id);
      await this.releaseTakenPorts(err);
      throw err;
    }
    if (overlap) {
      await Promise.all(replaces.map((old) => this.remove(old.id)));
      await gate.call(() => docker.renameContainer(id, c.name, this.call));
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
      await this.deps.gate.call(() => this.deps.docker.startContainer(c.id, this.call));
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
