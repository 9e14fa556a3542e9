/**
 * `berth_container_*` Prometheus series (cAdvisor-like names), labelled by namespace, project and
 * container (the spec name, never the Docker id). Series are rebuilt from the sampler's latest
 * samples at every scrape, so a container that goes away disappears from the next scrape.
 */
import { splitKey } from "../api/index.js";
import { Counter, Gauge, type Registry } from "prom-client";
import type { ContainerSample } from "./sample.js";

/** One container's newest sample, as the collector reads it. */
export interface LatestSample {
  projectKey: string;
  container: string;
  sample: ContainerSample;
}

type Labels = "namespace" | "project" | "container";
const LABELS = ["namespace", "project", "container"] as const;

const COUNTERS: ReadonlyArray<[string, string, (s: ContainerSample) => number]> = [
  ["berth_container_cpu_usage_seconds_total", "Cumulative CPU time consumed, seconds.", (s) => s.cpuSeconds],
  [
    "berth_container_network_receive_bytes_total",
    "Bytes received on all interfaces but lo.",
    (s) => s.networkReceiveBytes,
  ],
  [
    "berth_container_network_transmit_bytes_total",
    "Bytes sent on all interfaces but lo.",
    (s) => s.networkTransmitBytes,
  ],
  ["berth_container_fs_reads_bytes_total", "Bytes read from block devices.", (s) => s.fsReadBytes],
  ["berth_container_fs_writes_bytes_total", "Bytes written to block devices.", (s) => s.fsWriteBytes],
];

const GAUGES: ReadonlyArray<[string, string, (s: ContainerSample) => number]> = [
  [
    "berth_container_memory_working_set_bytes",
    "Memory usage minus inactive file cache, bytes.",
    (s) => s.memoryWorkingSetBytes,
  ],
  [
    "berth_container_memory_usage_bytes",
    "Memory usage including all caches, bytes.",
    (s) => s.memoryUsageBytes,
  ],
  [
    "berth_container_last_sample_timestamp_seconds",
    "When the container was last sampled.",
    (s) => s.time / 1000,
  ],
];

/**
 * Registers the container series on `registry` (never the global one). At each scrape every series
 * awaits `refresh` (the sampler shares one round between them; it must not reject), then reads
 * `latest`, which must be synchronous. Calling it twice on one registry throws (one sampler per
 * registry).
 */
export function registerContainerMetrics(
  registry: Registry,
  latest: () => Iterable<LatestSample>,
  refresh: () => Promise<void> = () => Promise.resolve(),
): void {
  const labelsOf = (l: LatestSample): Record<Labels, string> => {
    const { namespace, name } = splitKey(l.projectKey);
    return { namespace, project: name, container: l.container };
  };
  for (const [name, help, value] of COUNTERS) {
    new Counter<Labels>({
      name,
      help,
      labelNames: LABELS,
      registers: [registry],
      async collect() {
        await refresh();
        this.reset();
        for (const l of latest()) this.inc(labelsOf(l), Math.max(0, value(l.sample)));
      },
    });
  }
  for (const [name, help, value] of GAUGES) {
    new Gauge<Labels>({
      name,
      help,
      labelNames: LABELS,
      registers: [registry],
      async collect() {
        await refresh();
        this.reset();
        for (const l of latest()) this.set(labelsOf(l), value(l.sample));
      },
    });
  }
}
