import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { StatusStore, PHASES } from "../cache/status-store.js";
import { instanceId } from "../cache/redis.js";
import { openPortTiers, startStatusTiers } from "../cache/tiers.js";
import { Images } from "../reconcilers/images.js";
import { Networks } from "../reconcilers/networks.js";
import { SubnetPool } from "../reconcilers/subnets.js";
import { FilePortRegistry, PortAllocator } from "../reconcilers/ports.js";
import { Prober } from "../reconcilers/prober.js";
import { ProjectReconciler } from "../reconcilers/project.js";
import { createDockerClient, type DockerodeClient } from "../runtime/docker.js";
import { createDockerMetrics } from "../runtime/docker-metrics.js";
import { DockerObserver } from "../runtime/observer.js";
import { startStreams, type Streams } from "../streams/streams.js";
import type { Logger } from "../util/logger.js";
import { Controller, sourceFromFunction, type Enqueue } from "./controller.js";
import { DesiredStore } from "./desired-store.js";
import { FileSource } from "./file-source.js";
import { acquireDirLock } from "./lock.js";
import { registerControllerMetrics, registerWorkQueueMetrics } from "./metrics.js";
import type { RunOptions } from "./options.js";
import type { StatusReader } from "./status-types.js";

/** A running operator: its parts, for the HTTP layer and tests, and how to stop it. */
export interface Manager {
  readonly options: RunOptions;
  readonly registry: Registry;
  readonly desired: DesiredStore;
  readonly status: StatusStore;
  /** Status reads for the API, CLI and MCP: L1 over `status`, with live container state laid over. */
  readonly statusReader: StatusReader;
  readonly docker: DockerodeClient;
  readonly observer: DockerObserver;
  readonly controller: Controller;
  /** Container logs (ring buffers, queries) and the stream bus. */
  readonly streams: Streams;
  /** True once the spec files are loaded and the Docker cache is synced. */
  ready(): boolean;
  /** Resolves when the operator has stopped (after the signal aborts). */
  done: Promise<void>;
}

const CONTROLLER = "project";

/**
 * Starts the operator on a directory: takes the directory's lock, connects to Docker, loads the
 * port registry and last status from the state directory, then runs the controller with the file,
 * Docker and probe sources. Returns once everything is started; stops when `signal` aborts,
 * leaving containers running (they are adopted next time). Throws for start-up failures with a
 * message that says what to do.
 */
export async function startManager(
  options: RunOptions,
  logger: Logger,
  signal: AbortSignal,
): Promise<Manager> {
  const release = acquireDirLock(join(tmpdir(), `berth-locks-${userId()}`), {
    pid: process.pid,
    dir: options.dir,
    http: `${options.httpHost}:${options.httpPort}`,
    startedAt: new Date().toISOString(),
  });
  try {
    return await assemble(options, logger, signal, release);
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
): Promise<Manager> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const docker = createDockerClient({
    ...(options.dockerHost ? { host: options.dockerHost } : {}),
    metrics: createDockerMetrics(registry),
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
  const desired = new DesiredStore();
  const observer = new DockerObserver({ client: docker, logger });
  const statusTiers = startStatusTiers(portTiers, status, observer, logger);
  const prober = new Prober({ logger });
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
  const reconciler = new ProjectReconciler(
    {
      desired,
      observed: observer,
      docker,
      ports,
      images: new Images(docker),
      networks: new Networks(docker, new SubnetPool(options.networkPool, options.networkSize)),
      status,
      prober,
      logger,
      onConverged: (_key, seconds) => convergence.observe(seconds),
    },
    {
      watchedDir: options.dir,
      publishAddress: options.publishAddress,
      publishHost: options.publishAddress === "0.0.0.0" ? "127.0.0.1" : options.publishAddress,
      mountPolicy: { allowedRoots: options.allowHostPaths },
      instance: instanceId(options.dir),
      stopTimeoutSeconds: options.stopTimeoutSeconds,
      ...(options.hostId !== undefined ? { hostId: options.hostId } : {}),
    },
  );
  const files = new FileSource({ dir: options.dir, store: desired, logger });
  const observedSource = sourceFromFunction((sig: AbortSignal, enqueue: Enqueue) => {
    observer.start(sig);
    const off = observer.onChange((key) => enqueue(key));
    sig.addEventListener("abort", off, { once: true });
    // Projects whose containers exist but whose specs are gone are torn down once synced.
    void observer.waitSynced(sig).then(
      () => {
        for (const c of observer.all()) if (c.projectKey) enqueue(c.projectKey, { priority: "low" });
        for (const key of status.keys()) enqueue(key, { priority: "low" });
      },
      () => {},
    );
  });
  const probeSource = sourceFromFunction((sig: AbortSignal, enqueue: Enqueue) => {
    const off = prober.onChange((key) => enqueue(key));
    sig.addEventListener(
      "abort",
      () => {
        off();
        prober.stop();
      },
      { once: true },
    );
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
  const controller = new Controller({
    name: CONTROLLER,
    // Like a controller-runtime cache: no reconcile reads the Docker cache before it is synced.
    reconcile: async (key, sig) => {
      await observer.waitSynced(sig);
      return reconciler.reconcile(key, sig);
    },
    concurrency: options.concurrency,
    sources: [files, observedSource, probeSource, resyncSource, lostPortsSource],
    metrics: registerControllerMetrics(registry).forController(CONTROLLER),
    queueMetrics: registerWorkQueueMetrics(registry).forQueue(CONTROLLER),
    logger,
  });
  const streams = startStreams(
    { docker, observed: observer, desired, status, registry, logger },
    {
      natsUrl: options.natsUrl,
      natsMaxPending: options.natsMaxPending,
      jetstreamLines: options.jetstreamLines,
    },
    signal,
  );
  let filesReady = false;
  void files.ready().then(() => (filesReady = true));
  const done = controller.start(signal).finally(async () => {
    await streams.stopped();
    await status.flush();
    await portRegistry.flush();
    await statusTiers.close();
    docker.close();
    release();
  });
  return {
    options,
    registry,
    desired,
    status,
    statusReader: statusTiers.reader,
    docker,
    observer,
    controller,
    streams,
    ready: () => filesReady && observer.synced,
    done,
  };
}

function userId(): string {
  try {
    return String(userInfo().uid);
  } catch {
    return "user";
  }
}
