import type { Result } from "../controller/controller.js";
import { TerminalError } from "../controller/errors.js";
import type { PortAssignment } from "../ports/allocator.js";
import type { CallOptions } from "../runtime/docker.js";
import type { ObservedContainer } from "../runtime/observed.js";
import type { ObservedContainers } from "../runtime/observer.js";
import { systemClock, type Clock } from "../util/clock.js";
import type { Logger } from "../util/logger.js";
import type { DockerWriter, ImageResolver, NetworkEnsurer, PortAllocatorLike } from "./deps.js";
import { execute, type Execution, type ExecutorDeps, type Progress } from "./execute.js";
import { ContainerOps } from "./container-ops.js";
import type { SecretReader } from "./env.js";
import type { EnvFileTracker } from "./env-watch.js";
import { DockerGate } from "./gate.js";
import { updateDevLoop, withDevLoop, type DevLoopControl } from "./devloop/status.js";
import { ReconcileMemory } from "./memory.js";
import { PathResolver, type MountPolicy } from "./mounts.js";
import { networkName } from "./names.js";
import { plan, stoppedWithProject } from "./plan.js";
import { probeTarget } from "./probe-target.js";
import type { ProbeTarget } from "./prober.js";
import { computeStatus } from "./project-status.js";
import { elsewhereReason } from "./reasons.js";
import { publishedPorts, resolveContainers } from "./resolve.js";
import { ProjectVolumes } from "./project-volumes.js";
import type { VolumeResetResult } from "./volume-reset.js";
import type { Volumes } from "./volumes.js";
import {
  errorStatus,
  failedLogTails,
  findings,
  type Findings,
  probeHealths,
  recentFailure,
  shownContainers,
} from "./status-writes.js";
import type { DesiredProject, DesiredReader, ProjectStatus } from "../api/index.js";

export type { ProbeTarget };

/** The status store as the reconciler, its only writer, uses it. */
export interface StatusWriter {
  get(key: string): { status: ProjectStatus } | undefined;
  set(key: string, status: ProjectStatus): boolean;
  delete(key: string): void;
}

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
  /** A variable of the operator's own environment, for `valueFrom.secret.env` (default: none). */
  secretEnv?: (name: string) => string | undefined;
}

/** Everything the reconciler reads and writes through; injected so tests can use fakes. */
export interface ProjectReconcilerDeps {
  desired: DesiredReader;
  /** This operator's containers only (see `ownedContainers`); others on the engine are not touched. */
  observed: ObservedContainers;
  docker: DockerWriter;
  ports: PortAllocatorLike;
  images: ImageResolver;
  networks: NetworkEnsurer;
  status: StatusWriter;
  prober: ProbeControl;
  logger: Logger;
  /** Times pending creations (default: the system clock). */
  clock?: Clock;
  /** Called once per generation when a project first becomes Ready after a spec change. */
  onConverged?: (key: string, seconds: number) => void;
  /** The operator-wide bound on Docker calls (default: its own, of the default size). */
  gate?: DockerGate;
  /**
   * The last `n` log lines of a project's container, oldest first, for the status of a failed
   * one (the log ring buffers). Synchronous, no Docker call. Without it, failures show no lines.
   */
  lastLines?: (key: string, container: string, n: number) => readonly string[];
  /** Named volumes (`spec.volumes`); without, a spec that mounts one cannot be created. */
  volumes?: Volumes;
  /** Kubernetes Secrets for `valueFrom.secretKeyRef` (kube mode only). */
  secrets?: SecretReader;
  /** Told which env and secret files each container reads, so that an edit enqueues the project. */
  envFiles?: EnvFileTracker;
  /** The dev loop (`develop.watch`): told which containers run; its outcomes go into status. */
  devloop?: DevLoopControl;
}

/** Re-check soon while containers start or probes settle; events usually come first. */
const PROGRESS_RECHECK_MS = 1000;
const BLOCKED_RECHECK_MS = 15_000;
/** A container that failed this recently may still deliver its last log lines: look again soon. */
const FRESH_FAILURE_MS = 5000;

/**
 * Converges one project: reads the desired spec and the observed containers from caches, resolves
 * host ports, real paths and image IDs, plans (plan.ts, pure), executes the plan (execute.ts) and
 * writes status. Level-based and idempotent: a converged project costs no Docker call. Called by the
 * controller with one key at a time per project; throws for errors worth retrying with backoff. A
 * spec path refused by the mount policy is no error: status says `SpecValid=False`, the container
 * is not created, and the project is checked again after BLOCKED_RECHECK_MS.
 */
export class ProjectReconciler {
  private readonly memory = new ReconcileMemory();
  private readonly converged = new Map<string, number>();
  private readonly volumes: ProjectVolumes;
  private readonly paths: PathResolver;
  private readonly executor: ExecutorDeps;

  constructor(
    private readonly deps: ProjectReconcilerDeps,
    private readonly opts: ProjectReconcilerOptions,
  ) {
    this.paths = new PathResolver(opts.mountPolicy);
    this.volumes = new ProjectVolumes(deps.volumes, deps.logger);
    this.executor = {
      docker: deps.docker,
      networks: deps.networks,
      ports: deps.ports,
      images: deps.images,
      memory: this.memory,
      clock: deps.clock ?? systemClock,
      logger: deps.logger,
      stopTimeoutSeconds: opts.stopTimeoutSeconds,
      gate: deps.gate ?? new DockerGate(),
      volumes: deps.volumes,
    };
  }

  /**
   * Empties a named volume of project `key` at its next reconcile (the caller enqueues the key):
   * its users are removed, the volume is recreated, and the following reconciles create them
   * again. Rejects with a ServiceError (NotFound, Conflict) or a Docker error.
   */
  resetVolume(key: string, volume: string): Promise<VolumeResetResult> {
    return this.volumes.requestReset(key, volume);
  }

  /** Withdraws a reset that gave up waiting; its promise rejects with `reason`. */
  cancelReset(key: string, volume: string, reason: unknown): void {
    this.volumes.cancelReset(key, volume, reason);
  }

  /** The controller's reconcile function. */
  readonly reconcile = async (key: string, signal: AbortSignal): Promise<Result> => {
    const desired = this.deps.desired.get(key);
    const observed = this.deps.observed.byProject(key);
    const host = desired?.project.spec.host;
    if (this.volumes.hasResets(key)) {
      const ops = new ContainerOps(key, this.executor, { signal }, () => Promise.resolve());
      await this.volumes.runResets(key, desired, observed, (id) => ops.remove(id), { signal });
      // the observer reports the removals; the reconciles they trigger create the containers again
      return { requeueAfterMs: PROGRESS_RECHECK_MS };
    }
    if (!desired || this.elsewhere(host)) {
      return this.teardown(key, desired && host ? elsewhereReason(host) : undefined, observed, { signal });
    }
    try {
      return await this.converge(desired, observed, { signal });
    } catch (err) {
      if (!signal.aborted) this.recordError(desired, err);
      throw err;
    }
  };

  private elsewhere(host: string | undefined): boolean {
    return Boolean(host && this.opts.hostId !== undefined && host !== this.opts.hostId);
  }

  private async converge(
    d: DesiredProject,
    observed: readonly ObservedContainer[],
    call: CallOptions,
  ): Promise<Result> {
    const { key } = d;
    const specs = d.project.spec.containers;
    // The network is created while ports and images are resolved, off the first container's path.
    const network = d.project.spec.state === "Running" ? this.startNetwork(key, call) : undefined;
    const allocation = await this.deps.ports.allocate(key, specs, {
      published: publishedPorts(observed, specs),
    });
    this.volumes.remember(key, d.project.spec.volumes);
    const envSources = { secretEnv: this.opts.secretEnv ?? (() => undefined), secrets: this.deps.secrets };
    const resolution = await resolveContainers(d, allocation, this.paths, this.deps.images, call, envSources);
    for (const spec of specs) {
      const env = resolution.resolved.get(spec.name)?.env;
      if (env) this.deps.envFiles?.track(key, spec.name, env.files);
    }
    const stoppedByUs = this.memory.stoppedByUs();
    const previous = this.deps.status.get(key)?.status;
    const stoppedWithLast = stoppedWithProject(previous);
    const stoppedByBerth = { has: (id: string) => stoppedByUs.has(id) || stoppedWithLast.has(id) };
    const health = (name: string) => this.deps.prober.health(key, name);
    const planned = plan({
      key,
      project: d.project,
      observed,
      resolved: resolution.resolved,
      instance: this.opts.instance,
      publishAddress: this.opts.publishAddress,
      stoppedByBerth,
      pending: this.memory.pending(key),
      now: this.executor.clock.now(),
      probes: probeHealths(d.project.spec.containers, health, shownContainers(observed), previous),
    });
    const { assignments } = allocation;
    const portConflicts = allocation.conflicts.map((c) => c.message);
    const extra = { assignments, portConflicts, stoppedByBerth };
    // Before the first Docker change, say so: the change shows now, not after create and start.
    const announce = (p: Progress): void => {
      const found = findings(resolution, { ...p, ...extra, waiting: new Map(), errors: new Map() });
      this.writeStatus(d, { ...found, changing: p.changing });
    };
    const run: Execution = await execute(planned, this.executor, call, {
      announce,
      ...(network ? { network: { name: networkName(key), ready: network } } : {}),
    });
    this.updateProbes(d, run.containers, assignments);
    if (this.deps.devloop) updateDevLoop(this.deps.devloop, d, run.containers);
    const logTails = failedLogTails(d, run.containers, stoppedByBerth, this.deps.lastLines);
    const found = findings(resolution, { ...run, ...extra, logTails });
    const status = this.writeStatus(d, found);
    if (run.retry !== undefined) throw run.retry;
    if (found.failures.length > 0) throw new TerminalError(found.failures.join("; "));
    if (status.phase === "Failed") {
      const fresh = recentFailure(specs, run.containers, Date.now(), FRESH_FAILURE_MS);
      return { requeueAfterMs: fresh ? PROGRESS_RECHECK_MS : BLOCKED_RECHECK_MS };
    }
    if (status.phase === "Progressing" || status.phase === "Degraded")
      return { requeueAfterMs: PROGRESS_RECHECK_MS };
    return undefined;
  }

  /** Starts ensuring the project network; its error (if any) surfaces where a creation awaits it. */
  private startNetwork(key: string, call: CallOptions): Promise<void> {
    const ready = this.deps.networks.ensure(networkName(key), key, call);
    ready.catch(() => {});
    return ready;
  }

  /** Removes everything a project had: containers, network, ports, probes, status. */
  private async teardown(
    key: string,
    reason: string | undefined,
    observed: readonly ObservedContainer[],
    call: CallOptions,
  ): Promise<Result> {
    const hadStatus = this.deps.status.get(key) !== undefined;
    const planned = plan({
      key,
      project: undefined,
      ...(reason !== undefined ? { teardownReason: reason } : {}),
      hadStatus,
      observed,
      resolved: new Map(),
      instance: this.opts.instance,
      publishAddress: this.opts.publishAddress,
      stoppedByBerth: new Set(),
      pending: new Map(),
      now: this.executor.clock.now(),
    });
    const run = await execute(planned, this.executor, call);
    if (run.retry !== undefined) throw run.retry;
    if (run.failures.length > 0) throw new TerminalError(run.failures.join("; "));
    // a deleted project (not one that moved to another host) takes its retain: Delete volumes along
    if (reason === undefined) await this.volumes.deleted(key, hadStatus || observed.length > 0, call);
    else this.volumes.forget(key);
    this.deps.envFiles?.untrackProject(key);
    this.deps.devloop?.remove(key);
    await this.deps.ports.release(key);
    this.deps.prober.remove(key);
    this.deps.status.delete(key);
    this.converged.delete(key);
    this.memory.forgetProject(key);
    return undefined;
  }

  private updateProbes(
    d: DesiredProject,
    result: ReadonlyMap<string, ObservedContainer>,
    assignments: readonly PortAssignment[],
  ): void {
    const running = d.project.spec.state === "Running";
    for (const spec of d.project.spec.containers) {
      const live = running && result.get(spec.name)?.running === true;
      const target = probeTarget(spec, assignments, this.opts.publishAddress);
      if (!live || target === "none") this.deps.prober.set(d.key, spec.name, undefined);
      else if (target !== "unassigned") this.deps.prober.set(d.key, spec.name, target);
    }
  }

  private writeStatus(d: DesiredProject, found: Findings): ProjectStatus {
    const previous = this.deps.status.get(d.key)?.status;
    const health = (name: string) => this.deps.prober.health(d.key, name);
    const now = new Date().toISOString();
    const computed = computeStatus(
      {
        ...found,
        desired: d,
        probes: probeHealths(d.project.spec.containers, health, found.containers, previous),
        publishHost: this.opts.publishHost,
        now,
      },
      previous,
    );
    const devloop = this.deps.devloop;
    const status = devloop ? withDevLoop(computed, devloop, d, previous, now) : computed;
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
    this.deps.status.set(d.key, errorStatus(d, previous, err, new Date().toISOString()));
  }
}
