import { setMaxListeners } from "node:events";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { StatusStore } from "../cache/status-store.js";
import { instanceId } from "../cache/redis.js";
import { startStatusTiers } from "../cache/status-tiers.js";
import { openPortTiers } from "../ports/tiers.js";
import { BuildContextWatcher } from "../reconcilers/build-watch.js";
import type { DevLoop } from "../reconcilers/devloop/dev-loop.js";
import { Images } from "../reconcilers/images.js";
import { DockerGate, STOP_CONCURRENCY } from "../reconcilers/gate.js";
import { Networks } from "../reconcilers/networks.js";
import { Volumes } from "../reconcilers/volumes.js";
import { EnvFileWatcher } from "../reconcilers/env-watch.js";
import { VolumeService } from "../service/volumes.js";
import { SubnetPool } from "../reconcilers/subnets.js";
import { FilePortRegistry, PortAllocator } from "../ports/allocator.js";
import { Prober } from "../reconcilers/prober.js";
import { ProjectReconciler } from "../reconcilers/project.js";
import { createDockerClient, type DockerodeClient } from "../runtime/docker.js";
import { createDockerMetrics } from "../runtime/docker-metrics.js";
import { DockerObserver } from "../runtime/observer.js";
import type { ObservedContainers } from "../runtime/observed.js";
import { ownedContainers } from "../runtime/owned.js";
import { startStreams, type Streams } from "../streams/streams.js";
import type { Logger } from "../util/logger.js";
import type { BackendFactory, ControllerHandle } from "../controller/backend.js";
import { Controller, sourceFromFunction, type Enqueue, type Reconcile } from "../controller/controller.js";
import { DesiredStore } from "../files/desired-store.js";
import { FileSource } from "../files/file-source.js";
import { acquireDirLock, registerOperator } from "./lock.js";
import { registerHealthMetrics } from "./health-metrics.js";
import { createDevLoop } from "./devloop.js";
import { berthVersion } from "../util/version.js";
import { registerControllerMetrics, registerWorkQueueMetrics } from "../controller/metrics.js";
import { registerSpecWatchMetrics } from "../files/metrics.js";
import type { RunOptions } from "./options.js";
import type { ComposeSourceOptions } from "../compose/index.js";
import { FileSpecWriter } from "../files/spec-writer.js";
import { untilAborted } from "../util/abort.js";
import {
  type DesiredReader,
  PHASES,
  schemaValidator,
  type SpecWatchCondition,
  type SpecWriter,
  type StatusReader,
} from "../api/index.js";

/** A running operator: its parts, for the HTTP layer and tests, and how to stop it. */
export interface Manager {
  readonly options: RunOptions;
  readonly registry: Registry;
  readonly desired: DesiredReader;
  /** Writes desired state: spec files, or custom resources in kube mode. */
  readonly writer: SpecWriter;
  readonly status: StatusStore;
  /** Status reads for the API, CLI and MCP: L1 over `status`, with live container state laid over. */
  readonly statusReader: StatusReader;
  readonly docker: DockerodeClient;
  readonly observer: DockerObserver;
  /** The containers this instance owns (label `berth.dev/instance`), a view of `observer`. */
  readonly owned: ObservedContainers;
  /** The project controller (in kube mode, the one of the current leadership term, if any). */
  readonly controller: ControllerHandle;
  /** Container logs (ring buffers, queries) and the stream bus. */
  readonly streams: Streams;
  /** The latest httpGet/tcpSocket probe result per container, for diagnoses. */
  readonly probes: Pick<Prober, "lastResult">;
  /** Named volumes: `berth volume ls` and `berth volume reset`. */
  readonly volumes: VolumeService;
  /** The dev loop (`develop.watch`): last syncs per project, watcher counts. */
  readonly devloop: Pick<DevLoop, "records" | "watching" | "watcherCount">;
  /** True once the spec files are loaded and the Docker cache is synced. */
  ready(): boolean;
  /** Why the daemon cannot do its work now (Docker unreachable), or undefined; for /readyz. */
  unreadyReason(): string | undefined;
  /** What keeps part of the spec directory from being watched (file mode; empty in kube mode). */
  watchProblems(): readonly SpecWatchCondition[];
  /** Resolves when the operator has stopped (after the signal aborts). */
  done: Promise<void>;
}

const CONTROLLER = "project";

/**
 * Starts the operator on a directory: takes the directory's lock, connects to Docker, loads the
 * port registry and last status from the state directory, then runs the controller with the file,
 * Docker and probe sources. Returns once everything is started; stops when `signal` aborts,
 * leaving containers running (they are adopted next time). Throws for start-up failures with a
 * message that says what to do. With `backend` (kube mode, src/kube/backend.ts) the desired
 * state comes from there instead, and no directory lock is taken.
 */
export async function startManager(
  options: RunOptions,
  logger: Logger,
  signal: AbortSignal,
  backend?: BackendFactory,
): Promise<Manager> {
  const holder = {
    pid: process.pid,
    dir: options.dir,
    http: `${options.httpHost}:${options.httpPort}`,
    startedAt: new Date().toISOString(),
    stateDir: options.stateDir,
  };
  // Kube mode has no directory to guard (its Lease keeps a second instance from reconciling); it
  // is only recorded, so that the CLI finds its token.
  const release = backend
    ? registerOperator(defaultLockDir(), holder)
    : acquireDirLock(defaultLockDir(), holder);
  try {
    return await assemble(
      options,
      logger,
      signal,
      release,
      backend ?? fileBackend(options.dir, options.compose),
    );
  } catch (err) {
    release();
    throw err;
  }
}

async function assemble(
  options: RunOptions,
  logger: Logger,
  signal: AbortSignal,
  release: () => void,
  makeBackend: BackendFactory,
): Promise<Manager> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Sockets for the bounded calls and stops, plus the observer's inspects, images and probes.
  const gate = new DockerGate(options.dockerConcurrency, STOP_CONCURRENCY);
  const docker = createDockerClient({
    ...(options.dockerHost ? { host: options.dockerHost } : {}),
    metrics: createDockerMetrics(registry),
    maxSockets: options.dockerConcurrency + STOP_CONCURRENCY + 32,
  });
  await docker.ping();
  const portRegistry = await FilePortRegistry.open(options.stateDir);
  const portTiers = await openPortTiers({
    redisUrl: options.redisUrl,
    dir: options.dir,
    local: portRegistry,
    registry,
    logger,
  });
  const ports = await PortAllocator.create({
    registry: portTiers.registry,
    range: options.portRange,
    ...(portTiers.instance !== undefined ? { instance: portTiers.instance } : {}),
  });
  for (const d of [...portRegistry.diagnostics, ...ports.diagnostics]) logger.warn("port registry", { ...d });
  const status = await StatusStore.open({ stateDir: options.stateDir, logger });
  const backend = await makeBackend({ registry, status, logger, signal });
  const desired = backend.desired;
  const observer = new DockerObserver({ client: docker, logger });
  const instance = options.kube ? `kube:${options.hostId ?? "default"}` : instanceId(options.dir);
  const owned = ownedContainers(observer, instance);
  const statusTiers = startStatusTiers({
    store: status,
    observed: owned,
    metrics: portTiers.metrics,
    logger,
    redis:
      portTiers.backend && portTiers.instance !== undefined
        ? { backend: portTiers.backend, instance: portTiers.instance }
        : undefined,
    onPortsChanged: () => portTiers.invalidate(),
  });
  const prober = new Prober({ logger });
  // The streams start below, before any reconcile runs; the reconciler reads their tails.
  const tails: { logs?: Pick<Streams["logs"], "query" | "append"> } = {};
  const buildContexts = new BuildContextWatcher(logger);
  const envFiles = new EnvFileWatcher(logger);
  const images = new Images(docker, {
    buildOutput: (key, container, line) => tails.logs?.append(key, container, [line]),
    contexts: buildContexts,
    onPullDecision: (ref, decision) =>
      logger.debug("imagePullPolicy Always: registry checked", { ref, ...decision }),
  });
  const convergence = new Histogram({
    name: "berth_convergence_seconds",
    help: "Time from a spec change being seen to the project being Ready.",
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  new Gauge({
    name: "berth_projects",
    help: "Projects by phase.",
    labelNames: ["phase"],
    registers: [registry],
    collect() {
      const counts = status.phaseCounts();
      for (const phase of PHASES) this.set({ phase }, counts[phase] ?? 0);
    },
  });
  const volumes = new Volumes(docker, logger, gate);
  const busRef: { bus?: Streams["bus"] } = {};
  const devloop = createDevLoop({
    docker,
    mountPolicy: { allowedRoots: options.allowHostPaths },
    stopTimeoutSeconds: options.stopTimeoutSeconds,
    registry,
    logger,
    appendLog: (key, container, line) => tails.logs?.append(key, container, [line]),
    bus: () => busRef.bus,
  });
  const reconciler = new ProjectReconciler(
    {
      desired,
      volumes,
      envFiles,
      devloop,
      ...(backend.readSecret
        ? {
            secrets: {
              read: (ns: string, ref: { name: string; key: string }, sig?: AbortSignal) =>
                backend.readSecret?.(ns, ref, sig) ?? Promise.resolve(undefined),
            },
          }
        : {}),
      observed: owned,
      docker,
      ports,
      images,
      networks: new Networks(docker, new SubnetPool(options.networkPool, options.networkSize), gate),
      status,
      prober,
      logger,
      onConverged: (_key, seconds) => convergence.observe(seconds),
      gate,
      lastLines: (key, container, n) =>
        tails.logs?.query(key, { container, tail: n }).map((l) => l.line) ?? [],
    },
    {
      publishAddress: options.publishAddress,
      publishHost: options.publishAddress === "0.0.0.0" ? "127.0.0.1" : options.publishAddress,
      mountPolicy: { allowedRoots: options.allowHostPaths },
      secretEnv: options.secretEnv,
      instance,
      stopTimeoutSeconds: options.stopTimeoutSeconds,
      ...(options.hostId !== undefined ? { hostId: options.hostId } : {}),
    },
  );
  // The observer and the prober outlive each controller (kube mode runs one per leadership term).
  const lifetime = new AbortController();
  setMaxListeners(options.concurrency * 4 + 10, lifetime.signal);
  signal.addEventListener("abort", () => lifetime.abort(signal.reason), { once: true });
  observer.start(lifetime.signal);
  const covers = backend.covers ?? (() => true);
  const observedSource = sourceFromFunction((sig: AbortSignal, enqueue: Enqueue) => {
    const off = owned.onChange((key) => {
      if (covers(key)) enqueue(key);
    });
    sig.addEventListener("abort", off, { once: true });
    // Projects whose containers exist but whose specs are gone are torn down once synced.
    void observer.waitSynced(sig).then(
      () => {
        for (const c of owned.all()) {
          if (c.projectKey && covers(c.projectKey)) enqueue(c.projectKey, { priority: "low" });
        }
        for (const key of status.keys()) enqueue(key, { priority: "low" });
      },
      () => {},
    );
  });
  signal.addEventListener("abort", () => prober.stop(), { once: true });
  const probeSource = sourceFromFunction((sig: AbortSignal, enqueue: Enqueue) => {
    const off = prober.onChange((key) => enqueue(key));
    sig.addEventListener("abort", off, { once: true });
  });
  const resyncSource = sourceFromFunction((sig: AbortSignal, enqueue: Enqueue) => {
    const timer = setInterval(() => {
      for (const key of new Set([...desired.keys(), ...status.keys()])) enqueue(key, { priority: "low" });
    }, options.resyncMs);
    timer.unref();
    sig.addEventListener("abort", () => clearInterval(timer), { once: true });
  });
  // A port claimed while Redis was down and taken by another instance meanwhile: reallocate.
  const lostPortsSource = sourceFromFunction((sig: AbortSignal, enqueue: Enqueue) => {
    const off = portTiers.onLost((key) => enqueue(key));
    sig.addEventListener("abort", off, { once: true });
  });
  // Like a controller-runtime cache: no reconcile reads the Docker cache or the desired state
  // before both are synced; a project missing from a half-loaded desired state would be torn down.
  const reconcile: Reconcile = async (key, sig) => {
    await observer.waitSynced(sig);
    if (!backend.ready()) await untilAborted(backend.synced(), sig);
    return reconciler.reconcile(key, sig);
  };
  const controllerMetrics = registerControllerMetrics(registry).forController(CONTROLLER);
  const queueMetrics = registerWorkQueueMetrics(registry).forQueue(CONTROLLER);
  const makeController = () =>
    new Controller({
      name: CONTROLLER,
      reconcile: backend.wrapReconcile ? backend.wrapReconcile(reconcile) : reconcile,
      concurrency: options.concurrency,
      sources: [
        ...backend.sources,
        observedSource,
        probeSource,
        resyncSource,
        lostPortsSource,
        buildContexts,
        envFiles,
        devloop,
      ],
      metrics: controllerMetrics,
      queueMetrics,
      logger,
    });
  const streams = startStreams(
    { docker, observed: owned, desired, status, registry, logger },
    {
      natsUrl: options.natsUrl,
      natsMaxPending: options.natsMaxPending,
      jetstreamLines: options.jetstreamLines,
    },
    signal,
  );
  tails.logs = streams.logs;
  busRef.bus = streams.bus;
  registerHealthMetrics(
    registry,
    {
      dependencies: {
        docker: () => observer.connected,
        ...(portTiers.backend ? { redis: () => portTiers.backend?.up ?? false } : {}),
        ...(streams.nats ? { nats: () => streams.nats?.connected ?? false } : {}),
        ...(backend.connected ? { kube: () => backend.connected?.() ?? false } : {}),
      },
      version: berthVersion(),
      logBytes: () => streams.logs.bytesHeld(),
    },
    lifetime.signal,
  );
  const run = backend.run ? backend.run(makeController, signal) : runOnce(makeController(), signal);
  const done = run.done.finally(async () => {
    await backend.close?.();
    await streams.stopped();
    await status.flush();
    await portRegistry.flush();
    await statusTiers.close();
    portTiers.close();
    docker.close();
    release();
  });
  return {
    options,
    registry,
    desired,
    writer: backend.writer,
    status,
    statusReader: statusTiers.reader,
    docker,
    observer,
    owned,
    controller: run.handle,
    streams,
    probes: prober,
    devloop,
    volumes: new VolumeService({
      list: (sig) => volumes.list({ signal: sig }),
      desired,
      reset: (key, volume) => reconciler.resetVolume(key, volume),
      cancelReset: (key, volume, reason) => reconciler.cancelReset(key, volume, reason),
      enqueue: (key) => run.handle.enqueue(key),
    }),
    ready: () => backend.ready() && observer.synced,
    unreadyReason: () =>
      observer.synced && !observer.connected
        ? `Docker is unreachable at ${options.dockerHost ?? "the default socket"} (the events stream is down; retrying)`
        : undefined,
    watchProblems: () => backend.watchProblems?.() ?? [],
    done,
  };
}

/** File mode: the spec files of the watched directory. */
const fileBackend =
  (dir: string, compose?: ComposeSourceOptions): BackendFactory =>
  ({ registry, logger }) => {
    const desired = new DesiredStore();
    // Compiled now, before the HTTP server listens: on the first spec read it would hold the
    // event loop for up to a few hundred milliseconds while /healthz is being served.
    schemaValidator();
    const files = new FileSource({ dir, store: desired, logger, ...(compose ? { compose } : {}) });
    registerSpecWatchMetrics(registry, () => files.problems());
    let ready = false;
    void files.ready().then(() => (ready = true));
    return Promise.resolve({
      desired,
      // each write's parse goes straight into the desired state, through its one writer
      writer: new FileSpecWriter(dir, desired, { handOver: files }),
      sources: [files],
      ready: () => ready,
      synced: () => files.ready(),
      watchProblems: () => files.problems(),
    });
  };

function runOnce(
  controller: Controller,
  signal: AbortSignal,
): { done: Promise<void>; handle: ControllerHandle } {
  return { done: controller.start(signal), handle: controller };
}

/** Where the per-directory locks of this user live (one per host, whatever the state directory). */
export function defaultLockDir(): string {
  return join(tmpdir(), `berth-locks-${userId()}`);
}

function userId(): string {
  try {
    return String(userInfo().uid);
  } catch {
    return "user";
  }
}
