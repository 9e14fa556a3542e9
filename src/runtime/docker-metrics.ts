import { Counter, Histogram } from "prom-client";
import type { Registry } from "prom-client";

/** Every operation of the DockerClient; the `op` label of the Docker API metrics. */
export type DockerOp =
  | "ping"
  | "listContainers"
  | "inspectContainer"
  | "createContainer"
  | "startContainer"
  | "stopContainer"
  | "removeContainer"
  | "renameContainer"
  | "listNetworks"
  | "createNetwork"
  | "removeNetwork"
  | "connectNetwork"
  | "inspectImage"
  | "pullImage"
  | "buildImage"
  | "events"
  | "logs"
  | "stats"
  | "createExec"
  | "startExec"
  | "inspectExec"
  | "resizeExec"
  | "tagImage"
  | "listImages"
  | "removeImage"
  | "listVolumes"
  | "createVolume"
  | "removeVolume"
  | "putArchive"
  | "restartContainer";

/** Outcome of one call; the `result` label. A small fixed set, so the label stays low-cardinality. */
export type DockerCallResult =
  "ok" | "not_found" | "conflict" | "timeout" | "unavailable" | "aborted" | "error";

/** Sink for per-call measurements. Called once per Docker API request, synchronously; must not throw. */
export interface DockerMetrics {
  observe(op: DockerOp, result: DockerCallResult, seconds: number): void;
}

/** Read-only per-operation call counts of one client (e.g. "a no-op reconcile makes zero calls"). */
export interface DockerCallCounts {
  /** Calls of `op` so far, or of all operations when `op` is omitted. */
  count(op?: DockerOp): number;
  /** A copy of the per-operation counts; operations never called are absent. */
  snapshot(): Partial<Record<DockerOp, number>>;
}

/** In-memory call counter. Only the client that owns it increments; anyone may read or reset it. */
export class DockerCallCounter implements DockerCallCounts {
  private readonly counts = new Map<DockerOp, number>();

  /** Records one call of `op`. */
  increment(op: DockerOp): void {
    this.counts.set(op, (this.counts.get(op) ?? 0) + 1);
  }

  count(op?: DockerOp): number {
    if (op !== undefined) return this.counts.get(op) ?? 0;
    let total = 0;
    for (const n of this.counts.values()) total += n;
    return total;
  }

  snapshot(): Partial<Record<DockerOp, number>> {
    return Object.fromEntries(this.counts) as Partial<Record<DockerOp, number>>;
  }

  /** Sets every count back to zero (tests measure a phase this way). */
  reset(): void {
    this.counts.clear();
  }
}

/** Name of the request counter. */
export const DOCKER_REQUESTS_METRIC = "berth_docker_api_requests_total";
/** Name of the duration histogram. */
export const DOCKER_DURATION_METRIC = "berth_docker_api_duration_seconds";

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120];

/**
 * Registers `berth_docker_api_requests_total{op,result}` and `berth_docker_api_duration_seconds{op}`
 * on `registry` (never the global one) and returns a {@link DockerMetrics} writing to them. Calling it
 * twice with the same registry reuses the registered metrics instead of throwing.
 */
export function createDockerMetrics(registry: Registry): DockerMetrics {
  const requests =
    (registry.getSingleMetric(DOCKER_REQUESTS_METRIC) as Counter<"op" | "result"> | undefined) ??
    new Counter({
      name: DOCKER_REQUESTS_METRIC,
      help: "Docker Engine API requests made by Berth, by operation and result.",
      labelNames: ["op", "result"] as const,
      registers: [registry],
    });
  const duration =
    (registry.getSingleMetric(DOCKER_DURATION_METRIC) as Histogram<"op"> | undefined) ??
    new Histogram({
      name: DOCKER_DURATION_METRIC,
      help: "Duration of Docker Engine API requests made by Berth (streams: until fully consumed).",
      labelNames: ["op"] as const,
      buckets: DURATION_BUCKETS,
      registers: [registry],
    });
  return {
    observe(op, result, seconds) {
      requests.inc({ op, result });
      duration.observe({ op }, seconds);
    },
  };
}

/** A {@link DockerMetrics} that records nothing (for tools and tests that do not scrape). */
export const noopDockerMetrics: DockerMetrics = { observe() {} };
