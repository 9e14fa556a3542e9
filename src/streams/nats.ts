/**
 * Publishes the stream bus to NATS (DESIGN.md section 2): log lines, metrics samples and phase
 * events as newline-delimited JSON, batched per subject and flushed by size or every few
 * milliseconds. Reconnects forever; while NATS is away records wait in a bounded queue that drops
 * the oldest (`berth_stream_dropped_total{stream}`), so producers and reconciles never block.
 */
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/transport-node";
import { Counter, Gauge, type Registry } from "prom-client";
import type { Logger } from "../util/logger.js";
import type { StreamBus, StreamMessage } from "./bus.js";
import { PublishQueue } from "./publish-queue.js";
import { streamSubject } from "./subject.js";
import { splitKey } from "../api/index.js";

/** Options of {@link NatsPublisher}; parsed once at start-up. */
export interface NatsPublisherOptions {
  /** e.g. `nats://127.0.0.1:4222` (several separated by commas). */
  url: string;
  bus: StreamBus;
  registry: Registry;
  logger: Logger;
  /** Longest time a record waits while connected; default 5 ms. */
  flushMs?: number;
  /** Largest message payload; default 64 KiB. */
  maxBatchBytes?: number;
  /** Records kept per stream while NATS is away; default 100 000. */
  maxPendingRecords?: number;
  /** Connection factory (tests); default the Node transport's `connect`. */
  connect?: typeof connect;
  /** Called once connected (JetStream set-up); errors are logged, never fatal. */
  onConnect?: (nc: NatsConnection) => Promise<void>;
}

/** Counter of records dropped (oldest first) while NATS was away, by `stream`. */
export const STREAM_DROPPED_METRIC = "berth_stream_dropped_total";
/** Counter of records published to NATS, by `stream`. */
export const STREAM_PUBLISHED_METRIC = "berth_stream_published_total";
/** Gauge: 1 while the NATS connection is up. */
export const STREAM_CONNECTED_METRIC = "berth_stream_nats_connected";

/**
 * The NATS side of the streams. {@link start} returns at once and connects in the background;
 * nothing it does blocks the caller of `bus.publish`. Owned by the streams assembly.
 */
export class NatsPublisher {
  private readonly queue: PublishQueue;
  private readonly dropped: Counter<"stream">;
  private readonly published: Counter<"stream">;
  private readonly connectedGauge: Gauge;
  private nc: NatsConnection | undefined;
  private up = false;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly o: NatsPublisherOptions) {
    this.dropped = counter(
      o.registry,
      STREAM_DROPPED_METRIC,
      "Stream records dropped because NATS was away or slow.",
    );
    this.published = counter(o.registry, STREAM_PUBLISHED_METRIC, "Stream records published to NATS.");
    this.connectedGauge =
      (o.registry.getSingleMetric(STREAM_CONNECTED_METRIC) as Gauge | undefined) ??
      new Gauge({
        name: STREAM_CONNECTED_METRIC,
        help: "1 while the NATS connection of the streams is up.",
        registers: [o.registry],
      });
    this.queue = new PublishQueue({
      maxRecords: o.maxPendingRecords ?? 100_000,
      maxBatchBytes: o.maxBatchBytes ?? 64 * 1024,
      onDrop: (kind, n) => this.dropped.inc({ stream: kind }, n),
    });
    for (const kind of ["logs", "metrics", "events"] as const) this.dropped.inc({ stream: kind }, 0);
  }

  /** True while connected. */
  get connected(): boolean {
    return this.up;
  }

  /** Subscribes to the bus and connects in the background until `signal` aborts. */
  start(signal: AbortSignal): void {
    const off = this.o.bus.subscribe((m) => this.enqueue(m));
    this.running = this.run(signal).finally(off);
  }

  /** Resolves once the connection is closed (after the signal aborted), pending records flushed. */
  stopped(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async run(signal: AbortSignal): Promise<void> {
    const connectFn = this.o.connect ?? connect;
    let nc: NatsConnection;
    try {
      nc = await connectFn({
        servers: this.o.url.split(","),
        name: "berth",
        maxReconnectAttempts: -1,
        waitOnFirstConnect: true,
        reconnectTimeWait: 250,
        reconnectJitter: 100,
        pingInterval: 10_000,
      });
    } catch (err) {
      this.o.logger.error("cannot connect to NATS; streams are served in-process only", {
        url: this.o.url,
        err,
      });
      return;
    }
    this.nc = nc;
    this.setUp(true);
    this.o.logger.info("connected to NATS", { url: this.o.url });
    const abort = (): void => void this.close(nc);
    signal.addEventListener("abort", abort, { once: true });
    if (signal.aborted) abort();
    if (this.o.onConnect)
      await this.o.onConnect(nc).catch((err: unknown) => this.o.logger.warn("NATS set-up failed", { err }));
    this.flush();
    for await (const s of nc.status()) {
      if (s.type === "disconnect") {
        this.setUp(false);
        this.o.logger.warn("lost NATS; buffering stream records (oldest dropped past the bound)", {
          server: s.server,
        });
      } else if (s.type === "reconnect") {
        this.setUp(true);
        this.o.logger.info("reconnected to NATS", { server: s.server });
        if (this.o.onConnect)
          await this.o
            .onConnect(nc)
            .catch((err: unknown) => this.o.logger.warn("NATS set-up failed", { err }));
        this.flush();
      }
    }
    await nc.closed();
  }

  private setUp(up: boolean): void {
    this.up = up;
    this.connectedGauge.set(up ? 1 : 0);
  }

  private async close(nc: NatsConnection): Promise<void> {
    if (this.up) this.flush();
    clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.up = false;
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 2000).unref());
    await Promise.race([nc.drain().catch(() => nc.close()), timeout]);
    if (!nc.isClosed()) await nc.close();
  }

  private enqueue(m: StreamMessage): void {
    switch (m.kind) {
      case "logs": {
        const subject = streamSubject("logs", m.projectKey, m.container);
        for (const line of m.lines) this.queue.push({ kind: "logs", subject, json: JSON.stringify(line) });
        break;
      }
      case "metrics":
        this.queue.push({
          kind: "metrics",
          subject: streamSubject("metrics", m.projectKey, m.container),
          json: JSON.stringify({ project: m.projectKey, container: m.container, ...m.sample }),
        });
        break;
      case "events":
        this.queue.push({
          kind: "events",
          subject: streamSubject("events", m.projectKey),
          json: JSON.stringify(
            "sync" in m
              ? { project: m.projectKey, type: "sync", ...splitKey(m.projectKey), ...m.sync }
              : { project: m.projectKey, ...m.event },
          ),
        });
        break;
    }
    this.schedule();
  }

  private schedule(): void {
    if (!this.up) return;
    if (this.queue.pendingBytes >= (this.o.maxBatchBytes ?? 64 * 1024)) {
      this.immediate ??= setImmediate(() => this.flush());
      return;
    }
    this.timer ??= setTimeout(() => this.flush(), this.o.flushMs ?? 5);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
    const nc = this.nc;
    if (!this.up || nc === undefined || this.queue.size === 0) return;
    for (const batch of this.queue.drain()) {
      try {
        nc.publish(batch.subject, batch.payload);
        this.published.inc({ stream: batch.kind }, batch.records);
      } catch (err) {
        this.dropped.inc({ stream: batch.kind }, batch.records);
        this.o.logger.warn("NATS publish failed; records dropped", { subject: batch.subject, err });
      }
    }
  }
}

function counter(registry: Registry, name: string, help: string): Counter<"stream"> {
  return (
    (registry.getSingleMetric(name) as Counter<"stream"> | undefined) ??
    new Counter({ name, help, labelNames: ["stream"] as const, registers: [registry] })
  );
}
