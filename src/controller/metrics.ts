import { Counter, Gauge, Histogram } from "prom-client";
import type { Registry } from "prom-client";
import type { ControllerMetrics, ReconcileResultLabel } from "./controller.js";
import type { InFlightWork, WorkQueueMetrics } from "./workqueue.js";

/** Hands out {@link WorkQueueMetrics} for named queues, all recorded in one Registry. */
export interface WorkQueueMetricsProvider {
  /** Metrics labelled `{name}`. One queue per name; a second queue's in-flight probe replaces the first. */
  forQueue(name: string): WorkQueueMetrics;
}

/** Hands out {@link ControllerMetrics} for named controllers, all recorded in one Registry. */
export interface ControllerMetricsProvider {
  /** Metrics labelled `{controller}`; every result series starts at 0. */
  forController(name: string): ControllerMetrics;
}

// client-go: ExponentialBuckets(10e-9, 10, 12), i.e. 10 ns up to 1000 s.
const QUEUE_BUCKETS = [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10, 100, 1000];

// controller-runtime's reconcile_time_seconds buckets.
const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5,
  1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

const RESULTS: readonly ReconcileResultLabel[] = ["success", "error", "requeue", "requeue_after"];

/**
 * Registers the client-go work queue metrics (`workqueue_*{name}`) on `registry` and returns a
 * provider. Call once per Registry (prom-client rejects a second registration of the same names).
 * Unfinished-work and longest-running gauges are computed when the Registry is scraped.
 */
export function registerWorkQueueMetrics(registry: Registry): WorkQueueMetricsProvider {
  const probes = new Map<string, () => InFlightWork>();
  const registers = [registry];
  const labelNames = ["name"] as const;
  const depth = new Gauge({
    name: "workqueue_depth",
    help: "Current depth of workqueue",
    labelNames,
    registers,
  });
  const adds = new Counter({
    name: "workqueue_adds_total",
    help: "Total number of adds handled by workqueue",
    labelNames,
    registers,
  });
  const retries = new Counter({
    name: "workqueue_retries_total",
    help: "Total number of retries handled by workqueue",
    labelNames,
    registers,
  });
  const queueDuration = new Histogram({
    name: "workqueue_queue_duration_seconds",
    help: "How long in seconds an item stays in workqueue before being requested",
    labelNames,
    buckets: QUEUE_BUCKETS,
    registers,
  });
  const workDuration = new Histogram({
    name: "workqueue_work_duration_seconds",
    help: "How long in seconds processing an item from workqueue takes",
    labelNames,
    buckets: QUEUE_BUCKETS,
    registers,
  });
  new Gauge({
    name: "workqueue_unfinished_work_seconds",
    help: "How many seconds of work has been done that is in progress and hasn't been observed by work_duration",
    labelNames,
    registers,
    collect() {
      for (const [name, probe] of probes) this.set({ name }, probe().unfinishedSeconds);
    },
  });
  new Gauge({
    name: "workqueue_longest_running_processor_seconds",
    help: "How many seconds has the longest running processor for workqueue been running",
    labelNames,
    registers,
    collect() {
      for (const [name, probe] of probes) this.set({ name }, probe().longestRunningSeconds);
    },
  });
  return {
    forQueue(name) {
      const labels = { name };
      adds.inc(labels, 0);
      retries.inc(labels, 0);
      depth.set(labels, 0);
      return {
        added: () => adds.inc(labels),
        depth: (n) => depth.set(labels, n),
        retried: () => retries.inc(labels),
        queueDuration: (s) => queueDuration.observe(labels, s),
        workDuration: (s) => workDuration.observe(labels, s),
        watchInFlight: (probe) => void probes.set(name, probe),
      };
    },
  };
}

/**
 * Registers the controller-runtime controller metrics (`controller_runtime_*{controller}`) on
 * `registry` and returns a provider. Call once per Registry.
 */
export function registerControllerMetrics(registry: Registry): ControllerMetricsProvider {
  const registers = [registry];
  const labelNames = ["controller"] as const;
  const total = new Counter({
    name: "controller_runtime_reconcile_total",
    help: "Total number of reconciliations per controller",
    labelNames: ["controller", "result"] as const,
    registers,
  });
  const errors = new Counter({
    name: "controller_runtime_reconcile_errors_total",
    help: "Total number of reconciliation errors per controller",
    labelNames,
    registers,
  });
  const terminal = new Counter({
    name: "controller_runtime_terminal_reconcile_errors_total",
    help: "Total number of terminal reconciliation errors per controller",
    labelNames,
    registers,
  });
  const time = new Histogram({
    name: "controller_runtime_reconcile_time_seconds",
    help: "Length of time per reconciliation per controller",
    labelNames,
    buckets: RECONCILE_BUCKETS,
    registers,
  });
  const active = new Gauge({
    name: "controller_runtime_active_workers",
    help: "Number of currently used workers per controller",
    labelNames,
    registers,
  });
  const max = new Gauge({
    name: "controller_runtime_max_concurrent_reconciles",
    help: "Maximum number of concurrent reconciles per controller",
    labelNames,
    registers,
  });
  return {
    forController(controller) {
      const labels = { controller };
      for (const result of RESULTS) total.inc({ controller, result }, 0);
      errors.inc(labels, 0);
      terminal.inc(labels, 0);
      active.set(labels, 0);
      return {
        reconciled: (result, seconds) => {
          total.inc({ controller, result });
          time.observe(labels, seconds);
        },
        reconcileError: () => errors.inc(labels),
        terminalError: () => terminal.inc(labels),
        activeWorkers: (n) => active.set(labels, n),
        maxConcurrentReconciles: (n) => max.set(labels, n),
      };
    },
  };
}
