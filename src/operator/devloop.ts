/**
 * Assembly of the dev loop (`develop.watch`): its Docker calls, its `[sync]` lines on the log
 * stream, its events on the stream bus (SSE `event: sync`, NATS `berth.events.<ns>.<project>`)
 * and its metrics.
 */
import { Counter, Histogram, type Registry } from "prom-client";
import { DevLoop } from "../reconcilers/devloop/dev-loop.js";
import { PathResolver, type MountPolicy } from "../reconcilers/mounts.js";
import type { DockerodeClient } from "../runtime/docker.js";
import type { StreamBus } from "../streams/bus.js";
import type { Logger } from "../util/logger.js";

/** `berth_sync_duration_seconds{action}`: from a batch of changes to its outcome. */
export const SYNC_DURATION_METRIC = "berth_sync_duration_seconds";
/** `berth_sync_files_total`: files copied or deleted by syncs. */
export const SYNC_FILES_METRIC = "berth_sync_files_total";

/** What {@link createDevLoop} needs from the manager. */
export interface DevLoopWiring {
  docker: DockerodeClient;
  mountPolicy: MountPolicy;
  stopTimeoutSeconds: number;
  registry: Registry;
  logger: Logger;
  /** The log stream (the manager's streams start after the reconciler is made). */
  appendLog(key: string, container: string, line: string): void;
  /** The stream bus, once the streams run. */
  bus(): StreamBus | undefined;
}

/** Creates the dev loop; it is a Source of the project controller and a dependency of the reconciler. */
export function createDevLoop(w: DevLoopWiring): DevLoop {
  const duration = new Histogram({
    name: SYNC_DURATION_METRIC,
    help: "Time from a batch of changed files to its dev-loop outcome (sync, restart, exec, rebuild).",
    labelNames: ["action"] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
    registers: [w.registry],
  });
  const files = new Counter({
    name: SYNC_FILES_METRIC,
    help: "Files copied into or deleted from running containers by develop.watch rules.",
    registers: [w.registry],
  });
  return new DevLoop({
    docker: w.docker,
    paths: new PathResolver(w.mountPolicy),
    stopTimeoutSeconds: w.stopTimeoutSeconds,
    logger: w.logger,
    output: (key, container, line) => w.appendLog(key, container, line),
    onOutcome: (key, record) => {
      duration.observe({ action: record.action }, record.durationMs / 1000);
      if (record.action.startsWith("sync") && record.error === undefined) files.inc(record.files);
      w.bus()?.publish({ kind: "events", projectKey: key, sync: record });
    },
  });
}
