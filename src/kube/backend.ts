/**
 * Kube mode for the manager: the desired state comes from a list+watch of Project custom
 * resources; the controller runs only while this instance holds its Lease (one controller per
 * leadership term); status goes to the objects' `/status`, transitions become Events, and the
 * `berth.dev/cleanup` finalizer makes deletion wait for the teardown. The list+watch and the
 * Docker cache run on standbys too, so that a takeover starts warm.
 */
import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { Counter, Gauge, type Registry } from "prom-client";
import type { StatusReader } from "../api/index.js";
import { sourceFromFunction, type Controller, type Enqueue } from "../controller/controller.js";
import type {
  BackendContext,
  BackendFactory,
  ControllerHandle,
  DesiredBackend,
} from "../controller/backend.js";
import type { KubeBackendOptions } from "./options.js";
import type { KubeApis, SecretsApi } from "./api.js";
import { createKubeApis, IN_CLUSTER_NAMESPACE_FILE, loadKubeConfig } from "./client-node.js";
import { KubeDesiredStore } from "./desired.js";
import { EventRecorder } from "./events.js";
import { withCleanupFinalizer } from "./finalizer.js";
import { LeaderElector } from "./leader.js";
import { KubeSpecWriter } from "./spec-writer.js";
import { statusEvents, withKnownIds } from "./status-events.js";
import { StatusWriter } from "./status-writer.js";
import { ListWatch } from "./watch.js";

/**
 * The backend factory of `berth run --kube`. `apis` replaces the client built from the
 * kubeconfig (tests). Throws KubeConfigError when no cluster is configured.
 */
export function kubeBackend(kube: KubeBackendOptions, apis?: KubeApis): BackendFactory {
  return (ctx) => {
    const client =
      apis ?? createKubeApis(loadKubeConfig(kube.kubeconfig ? { kubeconfig: kube.kubeconfig } : {}));
    return Promise.resolve(assembleKube(ctx, kube, client));
  };
}

function assembleKube(ctx: BackendContext, kube: KubeBackendOptions, apis: KubeApis): DesiredBackend {
  const { logger, registry, status } = ctx;
  // One listener on the caller's signal; the parts below listen to this one.
  const stop = new AbortController();
  setMaxListeners(32, stop.signal);
  ctx.signal.addEventListener("abort", () => stop.abort(), { once: true });
  if (ctx.signal.aborted) stop.abort();
  const signal = stop.signal;
  const metrics = kubeMetrics(registry, kube.leaseName);
  const store = new KubeDesiredStore({ hostId: kube.hostId, specDir: kube.buildRoot });
  const watch = new ListWatch({
    api: apis.projects,
    namespace: kube.namespace,
    handler: store,
    logger,
    stallMs: kube.watchStallMs,
    onRestart: (reason) => metrics.watchRestarts.inc({ reason }),
  });
  const identity = `${hostname()}_${randomUUID().slice(0, 8)}`;
  let leading = !kube.leaderElect;
  const statusWriter = new StatusWriter({
    api: apis.projects,
    store,
    status,
    logger,
    active: () => leading,
    metrics: { written: (result) => metrics.statusWrites.inc({ result }) },
  });
  const recorder = new EventRecorder({
    api: apis.events,
    instance: identity,
    logger,
    onRecorded: (result) => metrics.events.inc({ result }),
  });
  watch.start(signal);
  statusWriter.start(signal);
  followStatusEvents(status, store, recorder, () => leading, signal);
  // A project that never had a valid spec has no status to carry SpecValid=False: an event says it.
  const offInvalid = store.subscribe((c) => {
    const object = store.object(c.key);
    const errors = store.errorsOf(c.key);
    if (!leading || !c.reconcile || !object || !store.owns(object) || errors.length === 0) return;
    if (store.get(c.key)) return; // reported through the status of its last valid spec
    const message = errors.map((e) => `${e.path}: ${e.message}`).join("; ");
    recorder.record(object, { type: "Warning", reason: "InvalidSpec", message });
  });
  signal.addEventListener("abort", offInvalid, { once: true });
  logger.info("watching Project custom resources", {
    server: apis.server,
    namespace: kube.namespace ?? "(all)",
    hostId: kube.hostId ?? "(none: projects without spec.host)",
  });

  const kubeSource = sourceFromFunction((sig: AbortSignal, enqueue: Enqueue) => {
    const off = store.subscribe((c) => {
      if (c.reconcile) enqueue(c.key, c.initial ? { priority: "low" } : undefined);
    });
    sig.addEventListener("abort", off, { once: true });
    // A new term starts from everything known, like an informer's initial list.
    void watch.synced().then(() => {
      if (sig.aborted) return;
      for (const key of store.objectKeys()) enqueue(key, { priority: "low" });
    });
  });

  const run = (
    make: () => Controller,
    sig: AbortSignal,
  ): { done: Promise<void>; handle: ControllerHandle } => {
    let current: Controller | undefined;
    const handle: ControllerHandle = {
      name: "project",
      enqueue: (key, options) => current?.enqueue(key, options),
    };
    const startTerm = (termSignal: AbortSignal): Promise<void> => {
      const controller = make();
      current = controller;
      leading = true;
      statusWriter.sweep();
      return controller.start(termSignal).finally(() => {
        if (current === controller) current = undefined;
      });
    };
    if (!kube.leaderElect) {
      metrics.leader.set({ name: kube.leaseName }, 1);
      return { done: startTerm(sig), handle };
    }
    const terms: Promise<void>[] = [];
    const elector = new LeaderElector({
      api: apis.leases,
      namespace: kube.leaseNamespace ?? inClusterNamespace() ?? "default",
      name: kube.leaseName,
      identity,
      leaseDurationMs: kube.leaseDurationMs,
      renewDeadlineMs: kube.renewDeadlineMs,
      retryPeriodMs: kube.retryPeriodMs,
      logger,
      onStartedLeading: (termSignal) => {
        terms.push(
          startTerm(termSignal).catch((err: unknown) => logger.error("controller failed", { error: err })),
        );
      },
      onStoppedLeading: () => {
        leading = false;
      },
      onLeadership: (on) => metrics.leader.set({ name: kube.leaseName }, on ? 1 : 0),
    });
    metrics.leader.set({ name: kube.leaseName }, 0);
    logger.info("campaigning for leadership", { lease: kube.leaseName, identity });
    elector.start(sig);
    const done = (async () => {
      await elector.stopped();
      await Promise.all(terms);
    })();
    return { done, handle };
  };

  return {
    desired: store,
    writer: new KubeSpecWriter(apis.projects),
    sources: [kubeSource],
    covers: (key) => kube.namespace === undefined || key.startsWith(`${kube.namespace}/`),
    ready: () => watch.isSynced,
    connected: () => watch.connected,
    synced: () => watch.synced(),
    wrapReconcile: (reconcile) => withCleanupFinalizer(reconcile, { api: apis.projects, store, logger }),
    ...(apis.secrets ? { readSecret: secretReader(apis.secrets) } : {}),
    run,
    close: async () => {
      await watch.stopped();
      await recorder.flush();
    },
  };
}

/** Records events for the status transitions of projects while `active()`; see status-events.ts. */
function followStatusEvents(
  status: StatusReader & { keys(): string[] },
  store: KubeDesiredStore,
  recorder: EventRecorder,
  active: () => boolean,
  signal: AbortSignal,
): void {
  const last = new Map(status.keys().map((k) => [k, status.get(k)?.status]));
  const off = status.watch((key) => {
    const next = status.get(key)?.status;
    const prev = last.get(key);
    if (!next) {
      last.delete(key);
      return;
    }
    last.set(key, withKnownIds(prev, next));
    const object = store.object(key);
    if (!object || !active()) return;
    for (const note of statusEvents(prev, next)) recorder.record(object, note);
  });
  signal.addEventListener("abort", off, { once: true });
}

function inClusterNamespace(): string | undefined {
  try {
    return readFileSync(IN_CLUSTER_NAMESPACE_FILE, "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

function kubeMetrics(registry: Registry, leaseName: string) {
  const leader = new Gauge({
    name: "leader_election_master_status",
    help: "1 while this instance holds the leader Lease `name`, else 0.",
    labelNames: ["name"],
    registers: [registry],
  });
  leader.set({ name: leaseName }, 0);
  return {
    leader,
    watchRestarts: new Counter({
      name: "berth_kube_watch_restarts_total",
      help: "Project watch restarts and relists, by reason (closed, error, expired, stalled).",
      labelNames: ["reason"],
      registers: [registry],
    }),
    statusWrites: new Counter({
      name: "berth_kube_status_writes_total",
      help: "Status subresource patches, by result.",
      labelNames: ["result"],
      registers: [registry],
    }),
    events: new Counter({
      name: "berth_kube_events_total",
      help: "Kubernetes Events recorded, by result (created, patched, error).",
      labelNames: ["result"],
      registers: [registry],
    }),
  };
}

/** Reads one key of a Secret; an apiserver failure says which Secret, never what it holds. */
function secretReader(api: SecretsApi): NonNullable<DesiredBackend["readSecret"]> {
  return (namespace, ref) => api.getKey(namespace, ref.name, ref.key);
}
