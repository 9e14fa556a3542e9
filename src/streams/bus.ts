/**
 * The stream bus: how log batches, metrics samples, phase events and sync events travel from
 * their producers (log followers, the metrics sampler, the status store, the dev loop) to
 * consumers (HTTP streams, the NATS publisher). The in-process bus is always there; NATS is one
 * more consumer of it.
 */
import type { Logger } from "../util/logger.js";
import type { LogLine } from "./log-line.js";
import type { SyncRecord } from "../api/index.js";

/** The kinds of stream; the `stream` label of the stream metrics. */
export type StreamKind = "logs" | "metrics" | "events";

/** New lines of one container. */
export interface LogBatch {
  readonly kind: "logs";
  /** `namespace/name`. */
  readonly projectKey: string;
  readonly container: string;
  readonly lines: readonly LogLine[];
}

/** One resource sample of one container (see metrics sampler). */
export interface MetricsMessage {
  readonly kind: "metrics";
  readonly projectKey: string;
  readonly container: string;
  readonly sample: Readonly<Record<string, number | string>>;
}

/** A project's phase changed. */
export interface PhaseEventMessage {
  readonly kind: "events";
  readonly projectKey: string;
  readonly event: { readonly phase: string; readonly previous: string | undefined; readonly time: string };
}

/** A dev-loop outcome (a sync, restart, exec or rebuild of a `develop.watch` rule). */
export interface SyncEventMessage {
  readonly kind: "events";
  readonly projectKey: string;
  readonly sync: SyncRecord;
}

/** Anything carried by the bus. */
export type StreamMessage = LogBatch | MetricsMessage | PhaseEventMessage | SyncEventMessage;

/** Narrows a subscription; omitted fields match everything. */
export interface StreamFilter {
  kind?: StreamKind;
  projectKey?: string;
}

/** Receives messages synchronously, in publish order. Must not block or throw; queue and return. */
export type StreamListener = (message: StreamMessage) => void;

/**
 * Publish/subscribe between stream producers and consumers. `publish` never blocks and never
 * throws; a slow consumer is the consumer's problem (each keeps its own bounded queue).
 */
export interface StreamBus {
  publish(message: StreamMessage): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: StreamListener, filter?: StreamFilter): () => void;
  /**
   * True while some listener would receive a message of `kind` for `projectKey` (a subscriber
   * without a filter, such as the NATS publisher, receives everything). Producers use it to skip
   * work nobody reads. Synchronous, no I/O.
   */
  watched(kind: StreamKind, projectKey: string): boolean;
}

/** The in-process {@link StreamBus}: synchronous fan-out to listeners. Any caller may use it. */
export class InProcessBus implements StreamBus {
  private readonly listeners = new Set<{ listener: StreamListener; filter: StreamFilter }>();

  constructor(private readonly logger: Logger) {}

  publish(message: StreamMessage): void {
    for (const { listener, filter } of this.listeners) {
      if (filter.kind !== undefined && filter.kind !== message.kind) continue;
      if (filter.projectKey !== undefined && filter.projectKey !== message.projectKey) continue;
      try {
        listener(message);
      } catch (err) {
        this.logger.error("stream listener threw", { kind: message.kind, err });
      }
    }
  }

  watched(kind: StreamKind, projectKey: string): boolean {
    for (const { filter } of this.listeners) {
      if (filter.kind !== undefined && filter.kind !== kind) continue;
      if (filter.projectKey !== undefined && filter.projectKey !== projectKey) continue;
      return true;
    }
    return false;
  }

  subscribe(listener: StreamListener, filter: StreamFilter = {}): () => void {
    const entry = { listener, filter };
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }
}
