/**
 * The log pipeline: one follower per running managed container (started and stopped from the
 * Docker observer's changes), a ring buffer per project container (kept across container
 * replacements, sized by `spec.logs.retainLines`), queries over the rings, and publication of every
 * new batch on the stream bus.
 */
import { setMaxListeners } from "node:events";
import type { DockerClient } from "../runtime/docker.js";
import type { ObservedContainers } from "../runtime/observed.js";
import type { Logger } from "../util/logger.js";
import type { StreamBus } from "./bus.js";
import type { RawLogLine } from "./demux.js";
import { LogFollower } from "./follower.js";
import type { LogLine } from "./log-line.js";
import { queryRings, type LogQuery } from "./query.js";
import { RingBuffer } from "./ring.js";
import type { DesiredProject } from "../api/index.js";

/** Lines kept per container when no spec says otherwise (the CRD default). */
export const DEFAULT_RETAIN_LINES = 10_000;

/** Bytes of log lines kept per container at most for up to 16 384 lines (4 MiB). */
export const MAX_RING_BYTES = 4 * 1024 * 1024;

/** Bytes allowed per retained line beyond that: a ring of N lines holds N average lines. */
const BYTES_PER_RETAINED_LINE = 256;

/**
 * A container's ring bound: 4 MiB, or 256 bytes per retained line when `retainLines` asks for
 * more, so a container that prints huge lines cannot hold more than its share.
 */
export const ringByteBound = (retain: number): number =>
  Math.max(MAX_RING_BYTES, retain * BYTES_PER_RETAINED_LINE);

/** Approximate bytes of a kept line: its text and timestamp, plus the object's own overhead. */
export const logLineBytes = (l: LogLine): number => l.line.length + l.ts.length + 64;

/** Options of {@link LogPipeline}. */
export interface LogPipelineOptions {
  docker: Pick<DockerClient, "followLogs">;
  observed: ObservedContainers;
  desired: { get(key: string): DesiredProject | undefined };
  bus: StreamBus;
  logger: Logger;
}

/**
 * Keeps the logs of all managed containers. Start once with {@link start}; query from anywhere
 * (reads are synchronous and make no Docker call). Never blocks the observer: followers run on
 * their own and deliver into the rings and the bus.
 */
export class LogPipeline {
  private readonly rings = new Map<string, Map<string, RingBuffer<LogLine>>>();
  private readonly followers = new Map<string, LogFollower>();
  private signal: AbortSignal | undefined;

  constructor(private readonly o: LogPipelineOptions) {}

  /** Follows every current and future container until `signal` aborts. Returns at once. */
  start(parent: AbortSignal): void {
    // One listener on the caller's signal; the followers (any number) listen on our own.
    const own = new AbortController();
    setMaxListeners(0, own.signal);
    parent.addEventListener("abort", () => own.abort(parent.reason), { once: true });
    if (parent.aborted) own.abort(parent.reason);
    const signal = own.signal;
    this.signal = signal;
    const off = this.o.observed.onChange((key, id) => this.changed(key, id));
    signal.addEventListener("abort", off, { once: true });
    void this.o.observed.waitSynced(signal).then(
      () => {
        for (const c of this.o.observed.all()) if (c.projectKey) this.changed(c.projectKey, c.id);
      },
      () => {},
    );
  }

  /** Resolves when every follower has stopped (after the signal aborted). */
  async stopped(): Promise<void> {
    await Promise.all([...this.followers.values()].map((f) => f.done()));
  }

  /** True when logs of this project are (or were) kept. */
  has(projectKey: string): boolean {
    return this.rings.has(projectKey);
  }

  /** The container names with kept lines. */
  containers(projectKey: string): string[] {
    return [...(this.rings.get(projectKey)?.keys() ?? [])];
  }

  /** Approximate bytes held by all rings ({@link logLineBytes} per line). O(rings). */
  bytesHeld(): number {
    let total = 0;
    for (const byName of this.rings.values()) for (const ring of byName.values()) total += ring.bytes;
    return total;
  }

  /** Kept lines of a project that match `q`, oldest first. Synchronous; any caller. */
  query(projectKey: string, q: LogQuery): LogLine[] {
    const rings = this.rings.get(projectKey);
    if (rings === undefined) return [];
    if (q.container !== undefined) {
      const ring = rings.get(q.container);
      return ring ? queryRings([ring], q) : [];
    }
    return queryRings(rings.values(), q);
  }

  /**
   * Adds lines that come from Berth rather than from a container's output (an image build's
   * output), under `container`'s name and on stdout: kept in its ring and published like any
   * line. Synchronous; any caller. Nothing is kept when the project keeps no lines.
   */
  append(projectKey: string, container: string, text: readonly string[]): void {
    const retain = this.retainLines(projectKey);
    if (retain === 0 || text.length === 0) return;
    const ring = this.ring(projectKey, container, retain);
    const ts = new Date().toISOString();
    const lines: LogLine[] = text.map((line) => ({ ts, stream: "stdout", container, line }));
    for (const l of lines) ring.push(l);
    this.o.bus.publish({ kind: "logs", projectKey, container, lines });
  }

  private retainLines(projectKey: string): number {
    return this.o.desired.get(projectKey)?.project.spec.logs.retainLines ?? DEFAULT_RETAIN_LINES;
  }

  private changed(projectKey: string, id: string): void {
    const signal = this.signal;
    if (signal === undefined || signal.aborted) return;
    const c = this.o.observed.get(id);
    const follower = this.followers.get(id);
    if (c === undefined) {
      follower?.finish();
      this.dropIfGone(projectKey);
      return;
    }
    const name = c.containerName;
    const retain = this.retainLines(projectKey);
    if (name === undefined || retain === 0) {
      follower?.finish();
      return;
    }
    const ring = this.ring(projectKey, name, retain);
    if (follower !== undefined) {
      follower.wake();
      return;
    }
    const f = new LogFollower({
      docker: this.o.docker,
      containerId: id,
      initialTail: retain,
      isRunning: () => this.o.observed.get(id)?.running ?? false,
      deliver: (raw) => this.deliver(projectKey, name, ring, raw),
      logger: this.o.logger,
    });
    this.followers.set(id, f);
    f.start(signal);
    void f.done().then(() => {
      if (this.followers.get(id) === f) this.followers.delete(id);
    });
  }

  private ring(projectKey: string, name: string, retain: number): RingBuffer<LogLine> {
    let byName = this.rings.get(projectKey);
    if (byName === undefined) this.rings.set(projectKey, (byName = new Map()));
    let ring = byName.get(name);
    if (ring === undefined)
      byName.set(
        name,
        (ring = new RingBuffer<LogLine>(retain, { maxBytes: ringByteBound(retain), sizeOf: logLineBytes })),
      );
    else ring.resize(retain, ringByteBound(retain));
    return ring;
  }

  private deliver(projectKey: string, container: string, ring: RingBuffer<LogLine>, raw: RawLogLine[]): void {
    const lines: LogLine[] = raw.map((r) => ({ ts: r.ts, stream: r.stream, container, line: r.line }));
    for (const l of lines) ring.push(l);
    this.o.bus.publish({ kind: "logs", projectKey, container, lines });
  }

  /** Forgets a project's lines once it has no spec and no containers left. */
  private dropIfGone(projectKey: string): void {
    if (this.o.desired.get(projectKey) !== undefined) return;
    if (this.o.observed.byProject(projectKey).length > 0) return;
    this.rings.delete(projectKey);
  }
}
