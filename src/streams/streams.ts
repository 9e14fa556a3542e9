/**
 * Assembles the streams part of the operator: the bus and the log pipeline (and, with options,
 * the NATS publisher). The manager calls {@link startStreams} once; the HTTP layer reads the result.
 */
import type { Registry } from "prom-client";
import type { DockerClient } from "../runtime/docker.js";
import type { ObservedContainers } from "../runtime/observed.js";
import type { Logger } from "../util/logger.js";
import { InProcessBus, type StreamBus } from "./bus.js";
import { CgroupReader } from "./cgroup.js";
import { LogPipeline } from "./logs.js";
import { MetricsSampler } from "./metrics-sampler.js";
import { ensureLogStream } from "./jetstream.js";
import { NatsPublisher, type NatsPublisherOptions } from "./nats.js";
import type { DesiredProject } from "../api/index.js";

/** What {@link startStreams} needs from the manager. */
export interface StreamsDeps {
  docker: Pick<DockerClient, "followLogs" | "containerStats" | "endpoint">;
  observed: ObservedContainers;
  desired: { get(key: string): DesiredProject | undefined };
  /** Phase changes are published from here: `watch` calls back with a key, `get` has its status. */
  status: {
    watch(listener: (key: string) => void): () => void;
    get(key: string): { status: { phase?: string } } | undefined;
  };
  registry: Registry;
  logger: Logger;
}

/** Stream options of `berth run`, parsed once. */
export interface StreamsOptions {
  /** Publish to NATS at this URL (`--nats`); undefined keeps everything in-process. */
  natsUrl?: string | undefined;
  /** Records kept per stream while NATS is away; default 100 000. */
  natsMaxPending?: number;
  /** Keep this many lines per log subject in JetStream (`--nats-jetstream`); undefined: no JetStream. */
  jetstreamLines?: number | undefined;
}

/** The running streams: the bus every consumer subscribes to, and the kept logs. */
export interface Streams {
  readonly bus: StreamBus;
  readonly logs: LogPipeline;
  /** Container resource samples and the `berth_container_*` series. */
  readonly metrics: MetricsSampler;
  /** The NATS publisher, with `--nats`. */
  readonly nats: NatsPublisher | undefined;
  /** Resolves when followers (and publishers) have stopped, after the signal aborted. */
  stopped(): Promise<void>;
}

/**
 * Starts following logs of all managed containers, publishing phase changes, and (with
 * `natsUrl`) publishing to NATS, until `signal` aborts. Returns at once; never throws for an
 * unreachable NATS (it keeps trying in the background).
 */
export function startStreams(deps: StreamsDeps, options: StreamsOptions, signal: AbortSignal): Streams {
  const bus = new InProcessBus(deps.logger);
  const logs = new LogPipeline({ ...deps, bus });
  const nats = options.natsUrl
    ? new NatsPublisher({
        url: options.natsUrl,
        bus,
        registry: deps.registry,
        logger: deps.logger,
        ...(options.natsMaxPending !== undefined ? { maxPendingRecords: options.natsMaxPending } : {}),
        ...jetstreamOptions(options.jetstreamLines, deps.logger),
      })
    : undefined;
  nats?.start(signal);
  logs.start(signal);
  // cgroup files describe the engine's containers only when the engine runs on this host.
  const local = deps.docker.endpoint.startsWith("unix://");
  const metrics = new MetricsSampler({ ...deps, bus, cgroups: local ? new CgroupReader() : undefined });
  metrics.start(signal);
  publishPhaseEvents(deps.status, bus, signal);
  return {
    bus,
    logs,
    metrics,
    nats,
    stopped: async () => {
      await logs.stopped();
      await nats?.stopped();
    },
  };
}

function publishPhaseEvents(status: StreamsDeps["status"], bus: StreamBus, signal: AbortSignal): void {
  const phases = new Map<string, string | undefined>();
  const off = status.watch((key) => {
    const phase = status.get(key)?.status.phase;
    const previous = phases.get(key);
    if (phase === previous) return;
    if (phase === undefined) phases.delete(key);
    else phases.set(key, phase);
    bus.publish({
      kind: "events",
      projectKey: key,
      event: { phase: phase ?? "Deleted", previous, time: new Date().toISOString() },
    });
  });
  signal.addEventListener("abort", off, { once: true });
}

/** With JetStream, one line per message so that `max_msgs_per_subject` counts lines. */
function jetstreamOptions(lines: number | undefined, logger: Logger): Partial<NatsPublisherOptions> {
  if (lines === undefined) return {};
  return { maxBatchBytes: 1, onConnect: (nc) => ensureLogStream(nc, lines, logger) };
}
