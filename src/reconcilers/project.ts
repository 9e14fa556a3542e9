import type { Result } from "../controller/controller.js";
import { TerminalError } from "../controller/errors.js";
import type { CallOptions, DockerClient } from "../runtime/docker.js";
import { DockerError, ImageNotFoundError, NotFoundError } from "../runtime/errors.js";
import type { ObservedContainer } from "../runtime/observed.js";
import type { ObservedContainers } from "../runtime/observer.js";
import type { Logger } from "../util/logger.js";
import { RESTARTED_AT, containerHash, createSpec, type ContainerInputs } from "./container-spec.js";
import { ImageUnavailableError, type Images } from "./images.js";
import { PathPolicyError, PathResolver, type MountPolicy } from "./mounts.js";
import { containerName, networkName } from "./names.js";
import type { Networks } from "./networks.js";
import type { PortAllocator, PortAssignment, PublishedPort } from "../ports/allocator.js";
import { computeStatus, type ReconcileFindings } from "./project-status.js";
import type { ContainerSpec, DesiredProject, DesiredReader, ProjectStatus } from "../api/index.js";

/** The status store as the reconciler, its only writer, uses it. */
export interface StatusWriter {
  get(key: string): { status: ProjectStatus } | undefined;
  set(key: string, status: ProjectStatus): boolean;
  delete(key: string): void;
}

/** Probe target of an httpGet/tcpSocket health check. */
export type ProbeTarget = ({ kind: "http"; url: string } | { kind: "tcp"; host: string; port: number }) & {
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
  initialDelaySeconds: number;
};

/** The health prober as the reconciler drives it. */
export interface ProbeControl {
  set(key: string, container: string, target: ProbeTarget | undefined): void;
  remove(key: string): void;
  health(key: string, container: string): "starting" | "healthy" | "unhealthy" | undefined;
}

/** Options parsed once at start-up. */
export interface ProjectReconcilerOptions {
  /** Address host ports are published on (default 127.0.0.1). */
  publishAddress: string;
  /** Host name used in port URLs and probes. */
  publishHost: string;
  /** Where volume hostPaths and build contexts may lead (checked by their real paths). */
  mountPolicy: MountPolicy;
  /** Grace period before SIGKILL when stopping or replacing a container. */
  stopTimeoutSeconds: number;
  /** This operator's instance id, written on every container it creates. */
  instance: string;
  /** This operator's host id; projects with another `spec.host` are left to their host. */
  hostId?: string;
}

/** Everything the reconciler reads and writes through; injected so tests can use fakes. */
export interface ProjectReconcilerDeps {
  desired: DesiredReader;
  /** This operator's containers only (see `ownedContainers`); others on the engine are not touched. */
  observed: ObservedContainers;
  docker: DockerClient;
  ports: PortAllocator;
  images: Images;
  networks: Networks;
  status: StatusWriter;
  prober: ProbeControl;
  logger: Logger;
  /** Called once per generation when a project first becomes Ready after a spec change. */
  onConverged?: (key: string, seconds: number) => void;
}

/** Re-check soon while containers start or probes settle; events usually come first. */
const PROGRESS_RECHECK_MS = 1000;
const BLOCKED_RECHECK_MS = 15_000;
/** How long a container created here may stay unseen by the observer before it is created again. */
const EXPECTATION_MS = 10_000;

/**
 * Converges one project: reads the desired spec and the observed containers from caches, then
 * creates, starts, stops, replaces or removes containers so that they match, and writes status.
 * Level-based and idempotent: a converged project costs no Docker call. Called by the controller
 * with one key at a time per project; throws for errors worth retrying with backoff. A spec path
 * refused by the mount policy is no error: status says `SpecValid=False`, the container is not
 * created, and the project is checked again after BLOCKED_RECHECK_MS.
 */
export class ProjectReconciler {
  /** Containers this process stopped for `state: Stopped`, to start again on `Running`. */
  private readonly stoppedByUs = new Set<string>();
  private readonly converged = new Map<string, number>();
  /**
   * Containers created here that the observer has not reported yet, by `<project key>/<container>`:
   * a reconcile in between waits for them instead of creating them a second time.
   */
  private readonly created = new Map<string, { id: string; hash: string; at: number }>();
  private readonly paths: PathResolver;

  constructor(
    private readonly deps: ProjectReconcilerDeps,
    private readonly opts: ProjectReconcilerOptions,
  ) {
    this.paths = new PathResolver(opts.mountPolicy);
  }

  /** The controller's reconcile function. */
  readonly reconcile = async (key: string, signal: AbortSignal): Promise<Result> => {
    const desired = this.deps.desired.get(key);
    const observed = this.deps.observed.byProject(key);
    if (!desired || this.elsewhere(desired)) return this.teardown(key, observed, { signal });
    try {
      return await this.converge(desired, observed, { signal });
    } catch (err) {
      if (!signal.aborted) this.recordError(desired, err);
      throw err;
    }
  };

  private elsewhere(d: DesiredProject): boolean {
    const host = d.project.spec.host;
    return Boolean(host && this.opts.hostId !== undefined && host !== this.opts.hostId);
  }

  private async converge(
    d: DesiredProject,
    observed: readonly ObservedContainer[],
    call: CallOptions,
  ): Promise<Result> {
    const key = d.key;
    const specs = d.project.spec.containers;
    const wantRunning = d.project.spec.state === "Running";
    const published = publishedPorts(observed, specs);
    const { assignments, conflicts } = await this.deps.ports.allocate(key, specs, { published });
    const portConflicts = conflicts.map((c) => c.message);
    const conflicted = new Set(conflicts.map((c) => c.owner.container));
    const imageErrors: string[] = [];
    const pathErrors: PathPolicyError[] = [];
    const failures: string[] = [];
    const result = new Map<string, ObservedContainer>();
    const acted = new Set<string>();
    let terminal = false;
    // Before the first Docker change, say so: the change shows now, not after create and start.
    let announced = false;
    const announce = (name: string): void => {
      if (announced) return;
      announced = true;
      const findings = {
        containers: result,
        acted,
        assignments,
        portConflicts,
        imageErrors,
        pathErrors,
        failures,
      };
      this.writeStatus(d, { ...findings, changing: new Set([name]) });
    };
    for (const [index, spec] of specs.entries()) {
      const mine = observed.filter((c) => c.containerName === spec.name);
      const keep = mine.find((c) => c.running) ?? mine[0];
      if (keep) result.set(spec.name, keep);
      if (conflicted.has(spec.name) && wantRunning) continue;
      try {
        const outcome = await this.convergeContainer(d, index, spec, mine, assignments, call, () =>
          announce(spec.name),
        );
        if (outcome.acted) acted.add(spec.name);
        if (outcome.container) result.set(spec.name, outcome.container);
        else result.delete(spec.name);
      } catch (err) {
        if (err instanceof ImageUnavailableError) imageErrors.push(err.message);
        else if (err instanceof PathPolicyError) pathErrors.push(err);
        else if (err instanceof TerminalError) {
          failures.push(err.message);
          terminal = true;
        } else throw err;
      }
    }
    await this.removeOrphans(observed, new Set(specs.map((s) => s.name)), call);
    this.updateProbes(d, result, assignments);
    const status = this.writeStatus(d, {
      containers: result,
      acted,
      assignments,
      portConflicts,
      imageErrors,
      pathErrors,
      failures,
    });
    if (terminal) throw new TerminalError(failures.join("; "));
    if (status.phase === "Failed") return { requeueAfterMs: BLOCKED_RECHECK_MS };
    if (status.phase === "Progressing" || status.phase === "Degraded")
      return { requeueAfterMs: PROGRESS_RECHECK_MS };
    return undefined;
  }

  /**
   * Brings one spec container (`spec.containers[index]`) to its desired form; returns the observed
   * container that stands for it (undefined when a new one was created) and whether anything was
   * done to it. Throws PathPolicyError, before building or touching any container, when a path of
   * the spec is refused.
   */
  private async convergeContainer(
    d: DesiredProject,
    index: number,
    spec: ContainerSpec,
    mine: readonly ObservedContainer[],
    assignments: readonly PortAssignment[],
    call: CallOptions,
    announce: () => void,
  ): Promise<{ container: ObservedContainer | undefined; acted: boolean }> {
    const { docker } = this.deps;
    const wantRunning = d.project.spec.state === "Running";
    if (!wantRunning) {
      const running = mine.filter((c) => c.running || c.state === "restarting");
      if (running.length > 0) announce();
      for (const c of running) {
        await docker.stopContainer(c.id, { ...call, timeoutSeconds: this.opts.stopTimeoutSeconds });
        this.stoppedByUs.add(c.id);
      }
      return { container: mine[0], acted: running.length > 0 };
    }
    const ports = assignments.filter((a) => a.container === spec.name);
    const paths = await this.paths.container(spec, index, d.specDir);
    const inputs = {
      key: d.key,
      instance: this.opts.instance,
      spec,
      ports,
      imageID: await this.deps.images.resolve(spec, paths.buildContext, call),
      network: networkName(d.key),
      publishAddress: this.opts.publishAddress,
      hostPaths: paths.hostPaths,
      restartedAt: d.project.metadata.annotations?.[RESTARTED_AT],
    };
    const hash = containerHash(inputs);
    const current = mine.find((c) => c.specHash === hash);
    const slot = `${d.key}/${spec.name}`;
    const pending = this.created.get(slot);
    if (pending && (mine.some((c) => c.id === pending.id) || Date.now() - pending.at > EXPECTATION_MS)) {
      this.created.delete(slot);
    } else if (pending && pending.hash === hash && !current) {
      return { container: undefined, acted: false };
    }
    const stale = mine.filter((c) => c !== current);
    if (current) {
      const start = !current.running && this.shouldStart(d.key, current, spec);
      if (start || stale.length > 0) announce();
      for (const c of stale) await this.remove(c.id, call);
      if (start && !(await this.start(d.key, current, call))) return { container: undefined, acted: true };
      return { container: current, acted: start || stale.length > 0 };
    }
    announce();
    await this.deps.networks.ensure(inputs.network, d.key, call);
    const name = containerName(d.key, spec.name);
    // Without published ports the replacement can start before the old one goes.
    const overlap = stale.length > 0 && ports.length === 0;
    if (!overlap) for (const c of stale) await this.remove(c.id, call);
    const tempName = overlap ? `${name}-${hash.slice(0, 8)}` : name;
    const id = await this.create(inputs, tempName, hash, call);
    this.created.set(slot, { id, hash, at: Date.now() });
    try {
      await docker.startContainer(id, call);
    } catch (err) {
      if (!hostPortTaken(err)) throw err;
      this.created.delete(slot);
      await this.remove(id, call);
      await this.releaseTakenPorts(d.key, err);
      throw err;
    }
    if (overlap) {
      for (const c of stale) await this.remove(c.id, call);
      await docker.renameContainer(id, name, call);
    }
    this.deps.logger.info("container started", { project: d.key, container: spec.name, id: id.slice(0, 12) });
    return { container: undefined, acted: true };
  }

  private async create(
    inputs: ContainerInputs,
    name: string,
    hash: string,
    call: CallOptions,
  ): Promise<string> {
    const body = createSpec(inputs, name, hash);
    try {
      return await this.deps.docker.createContainer(body, call);
    } catch (err) {
      if (err instanceof ImageNotFoundError) this.deps.images.forget(inputs.spec.image);
      throw err;
    }
  }

  /**
   * Starts an existing container. One that dockerd cannot start any more (a start that raced a
   * daemon shutdown leaves "task already exists" behind) is removed, to be created afresh by the
   * reconcile its removal triggers; returns false then.
   */
  private async start(key: string, c: ObservedContainer, call: CallOptions): Promise<boolean> {
    try {
      await this.deps.docker.startContainer(c.id, call);
      this.stoppedByUs.delete(c.id);
      return true;
    } catch (err) {
      if (!(err instanceof DockerError) || err.statusCode !== 500) throw err;
      this.deps.logger.warn("container cannot be started; replacing it", {
        project: key,
        id: c.id.slice(0, 12),
        error: err.message,
      });
      await this.remove(c.id, call);
      if (hostPortTaken(err)) await this.releaseTakenPorts(key, err);
      return false;
    }
  }

  /**
   * Another operator on the engine (its own port registry, the same range) published the host
   * port between this one's bind test and start. The project's claims are dropped, so that the
   * next reconcile allocates again: ports its running containers publish are claimed back, and
   * the taken one, now bound by its holder, fails the bind test and is replaced.
   */
  private async releaseTakenPorts(key: string, err: unknown): Promise<void> {
    this.deps.logger.warn("host port taken by another publisher; allocating another", {
      project: key,
      error: (err as Error).message,
    });
    await this.deps.ports.release(key);
  }

  /** Restart policies are dockerd's; Berth starts what it created, stopped, or must keep up. */
  private shouldStart(key: string, c: ObservedContainer, spec: ContainerSpec): boolean {
    if (c.state === "restarting" || c.state === "removing" || c.state === "paused") return false;
    return (
      c.state === "created" ||
      spec.restartPolicy === "Always" ||
      this.stoppedByUs.has(c.id) ||
      this.stoppedWithProject(key, c.id)
    );
  }

  /**
   * True when the last status (kept in the state directory across operator restarts) shows the
   * project Stopped with this container: Berth stopped it, even if this process did not.
   */
  private stoppedWithProject(key: string, id: string): boolean {
    const last = this.deps.status.get(key)?.status;
    return last?.phase === "Stopped" && (last.containers ?? []).some((c) => c.containerID === id);
  }

  private async remove(id: string, call: CallOptions): Promise<void> {
    try {
      await this.deps.docker.stopContainer(id, { ...call, timeoutSeconds: this.opts.stopTimeoutSeconds });
      await this.deps.docker.removeContainer(id, { ...call, force: true });
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    this.stoppedByUs.delete(id);
  }

  private async removeOrphans(
    observed: readonly ObservedContainer[],
    names: Set<string>,
    call: CallOptions,
  ): Promise<void> {
    for (const c of observed) {
      if (c.containerName === undefined || !names.has(c.containerName)) await this.remove(c.id, call);
    }
  }

  /** Removes everything a project had: containers, network, ports, probes, status. */
  private async teardown(
    key: string,
    observed: readonly ObservedContainer[],
    call: CallOptions,
  ): Promise<Result> {
    for (const c of observed) await this.remove(c.id, call);
    if (observed.length > 0 || this.deps.status.get(key))
      await this.deps.networks.remove(networkName(key), call);
    await this.deps.ports.release(key);
    this.deps.prober.remove(key);
    this.deps.status.delete(key);
    this.converged.delete(key);
    for (const slot of this.created.keys()) if (slot.startsWith(`${key}/`)) this.created.delete(slot);
    return undefined;
  }

  private updateProbes(
    d: DesiredProject,
    result: Map<string, ObservedContainer>,
    assignments: readonly PortAssignment[],
  ): void {
    for (const spec of d.project.spec.containers) {
      const hc = spec.healthCheck;
      const probe = hc?.httpGet ?? hc?.tcpSocket;
      const running = result.get(spec.name)?.running === true;
      if (!hc || !probe || !running || d.project.spec.state !== "Running") {
        this.deps.prober.set(d.key, spec.name, undefined);
        continue;
      }
      const port = assignments.find(
        (a) =>
          a.container === spec.name && (a.portName === String(probe.port) || a.containerPort === probe.port),
      );
      if (!port) continue;
      const timing = {
        periodSeconds: hc.periodSeconds,
        timeoutSeconds: hc.timeoutSeconds,
        failureThreshold: hc.failureThreshold,
        initialDelaySeconds: hc.initialDelaySeconds,
      };
      const host = this.opts.publishAddress === "0.0.0.0" ? "127.0.0.1" : this.opts.publishAddress;
      const target: ProbeTarget = hc.httpGet
        ? { kind: "http", url: `http://${host}:${port.hostPort}${hc.httpGet.path}`, ...timing }
        : { kind: "tcp", host, port: port.hostPort, ...timing };
      this.deps.prober.set(d.key, spec.name, target);
    }
  }

  private writeStatus(
    d: DesiredProject,
    found: Pick<
      ReconcileFindings,
      | "containers"
      | "acted"
      | "changing"
      | "assignments"
      | "portConflicts"
      | "imageErrors"
      | "pathErrors"
      | "failures"
    >,
  ): ProjectStatus {
    const previous = this.deps.status.get(d.key)?.status;
    // Until a restarted prober has a verdict, a container keeps the health last reported for it.
    const lastKnown = (name: string) => {
      const prev = previous?.containers?.find((c) => c.name === name);
      const same = prev?.containerID !== undefined && prev.containerID === found.containers.get(name)?.id;
      return same && prev?.health === "healthy" ? ("healthy" as const) : undefined;
    };
    const probes = new Map(
      d.project.spec.containers.map((s) => {
        const h = this.deps.prober.health(d.key, s.name);
        return [s.name, h === "starting" ? (lastKnown(s.name) ?? h) : h];
      }),
    );
    const status = computeStatus(
      {
        ...found,
        desired: d,
        probes,
        publishHost: this.opts.publishHost,
        now: new Date().toISOString(),
      },
      previous,
    );
    this.deps.status.set(d.key, status);
    if (status.phase === "Running" && this.converged.get(d.key) !== d.generation) {
      this.converged.set(d.key, d.generation);
      this.deps.onConverged?.(d.key, Math.max(0, Date.now() - d.specChangedAt) / 1000);
    }
    return status;
  }

  /** An error worth retrying still shows in status, so `berth describe` says what is wrong. */
  private recordError(d: DesiredProject, err: unknown): void {
    const previous = this.deps.status.get(d.key)?.status;
    const message = (err as Error).message ?? String(err);
    const now = new Date().toISOString();
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
    this.deps.status.set(d.key, {
      ...previous,
      phase: previous?.phase === "Running" ? "Degraded" : (previous?.phase ?? "Pending"),
      conditions,
      lastReconcileTime: now,
    });
  }
}

/** Host ports the project's containers publish now, named as the spec names them. */
function publishedPorts(
  observed: readonly ObservedContainer[],
  specs: readonly ContainerSpec[],
): PublishedPort[] {
  const out: PublishedPort[] = [];
  for (const c of observed) {
    const spec = specs.find((s) => s.name === c.containerName);
    if (!spec) continue;
    for (const b of c.portBindings) {
      const protocol = b.protocol.toUpperCase() === "UDP" ? "UDP" : "TCP";
      const port = spec.ports?.find((p) => p.containerPort === b.containerPort && p.protocol === protocol);
      if (port && b.hostPort > 0) {
        out.push({
          container: spec.name,
          portName: port.name ?? String(port.containerPort),
          protocol,
          hostPort: b.hostPort,
        });
      }
    }
  }
  return out;
}

/** Docker refused to start a container because a host port it publishes is in use. */
function hostPortTaken(err: unknown): boolean {
  return (
    err instanceof DockerError &&
    err.statusCode === 500 &&
    /port is already allocated|address already in use/i.test(err.daemonMessage ?? err.message)
  );
}
