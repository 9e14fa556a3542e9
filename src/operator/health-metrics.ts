/**
 * The daemon's own health series: which dependencies answer, what build runs, how late the event
 * loop runs, and how many log bytes the rings hold.
 */
import { Gauge, Histogram, type Registry } from "prom-client";

/** Dependency label values of `berth_dependency_up`. */
export type Dependency = "docker" | "redis" | "nats" | "kube";

/** Connectivity probes, read at scrape time; a dependency that is not configured is left out. */
export type DependencyProbes = Partial<Record<Dependency, () => boolean>>;

/** What {@link registerHealthMetrics} reads. */
export interface HealthMetricsSources {
  dependencies: DependencyProbes;
  version: string;
  /** Approximate bytes held by the log rings. */
  logBytes: () => number;
}

/** How often the event-loop lag is sampled; each sample is one timer, so idle cost stays tiny. */
export const LAG_SAMPLE_MS = 500;

/**
 * Registers `berth_dependency_up{dependency}`, `berth_build_info{version,node}`,
 * `berth_event_loop_lag_seconds` (a histogram of how late a {@link LAG_SAMPLE_MS} timer fires)
 * and `berth_log_ring_bytes`. Starts the lag sampler (an unref'd timer) until `signal` aborts.
 * Call once per registry.
 */
export function registerHealthMetrics(
  registry: Registry,
  sources: HealthMetricsSources,
  signal: AbortSignal,
): void {
  new Gauge({
    name: "berth_dependency_up",
    help: "1 while the dependency answers (docker: the events stream is open), 0 while it does not; only configured dependencies are listed.",
    labelNames: ["dependency"],
    registers: [registry],
    collect() {
      for (const [dependency, up] of Object.entries(sources.dependencies))
        this.set({ dependency }, up() ? 1 : 0);
    },
  });
  new Gauge({
    name: "berth_build_info",
    help: "Always 1; the labels say which Berth and Node.js run.",
    labelNames: ["version", "node"],
    registers: [registry],
  }).set({ version: sources.version, node: process.versions.node }, 1);
  new Gauge({
    name: "berth_log_ring_bytes",
    help: "Approximate bytes of log lines held in the per-container rings (bounded by lines and by bytes).",
    registers: [registry],
    collect() {
      this.set(sources.logBytes());
    },
  });
  const lag = new Histogram({
    name: "berth_event_loop_lag_seconds",
    help: `How late a ${LAG_SAMPLE_MS} ms timer fired: the time the event loop was busy elsewhere.`,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  let due = performance.now() + LAG_SAMPLE_MS;
  const timer = setInterval(() => {
    const now = performance.now();
    lag.observe(Math.max(0, now - due) / 1000);
    due = now + LAG_SAMPLE_MS;
  }, LAG_SAMPLE_MS);
  timer.unref();
  signal.addEventListener("abort", () => clearInterval(timer), { once: true });
}
