/**
 * Status snapshots in Redis (L2) for readers outside this process: every status change is written
 * through as `berth:status:<namespace>/<name>` (JSON, with a TTL, refreshed while the operator
 * runs) and announced on the invalidation channel. While Redis is down, changes are remembered and
 * written when it returns.
 */
import type { Redis } from "ioredis";
import type { Logger } from "../util/logger.js";
import { publishInvalidation } from "./invalidation.js";
import type { BackendState } from "./redis.js";
import { KEY_PREFIX } from "./redis.js";
import type { StatusEntry, StatusReader } from "../api/index.js";

/** Default lifetime of a status snapshot in Redis, in seconds. */
export const STATUS_TTL_SECONDS = 300;

/** Options of {@link StatusMirror}. */
export interface StatusMirrorOptions {
  client: Redis;
  backend: BackendState;
  /** The status store (its `keys()` lists every project with a status). */
  store: StatusReader & { keys(): string[] };
  instance: string;
  logger: Logger;
  /** Snapshot TTL; snapshots are rewritten every third of it. Default {@link STATUS_TTL_SECONDS}. */
  ttlSeconds?: number;
}

/** The Redis key of a project's status snapshot. Pure. */
export function statusKey(projectKey: string): string {
  return `${KEY_PREFIX}status:${projectKey}`;
}

/**
 * Writes status changes through to Redis in the background. Never blocks the writer: the status
 * store's watch callback only records the key; writes are batched in one pipeline per tick. Failed
 * writes are kept and retried when Redis is back. Call `close` once at shutdown.
 */
export class StatusMirror {
  private readonly pending = new Set<string>();
  private scheduled = false;
  private flushing: Promise<void> = Promise.resolve();
  private readonly offs: Array<() => void>;
  private readonly ttl: number;
  private readonly refresh: NodeJS.Timeout;

  constructor(private readonly o: StatusMirrorOptions) {
    this.ttl = o.ttlSeconds ?? STATUS_TTL_SECONDS;
    this.offs = [
      o.store.watch((key) => this.mark([key])),
      o.backend.onChange((up) => {
        if (up) this.mark(o.store.keys());
      }),
    ];
    this.refresh = setInterval(() => this.mark(o.store.keys()), (this.ttl * 1000) / 3);
    this.refresh.unref();
    this.mark(o.store.keys());
  }

  /** Resolves once every change recorded so far has been attempted (written, or kept for later). */
  async flush(): Promise<void> {
    await this.flushing;
    if (this.pending.size > 0) await this.write();
  }

  /** Stops following the store and the backend. */
  close(): void {
    clearInterval(this.refresh);
    for (const off of this.offs) off();
  }

  private mark(keys: Iterable<string>): void {
    for (const k of keys) this.pending.add(k);
    if (this.scheduled || this.pending.size === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.write();
    });
  }

  private write(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeOnce());
    return this.flushing;
  }

  private async writeOnce(): Promise<void> {
    if (!this.o.backend.up || this.pending.size === 0) return;
    const keys = [...this.pending];
    this.pending.clear();
    const pipeline = this.o.client.pipeline();
    for (const key of keys) {
      const entry = this.o.store.get(key);
      if (entry) pipeline.set(statusKey(key), JSON.stringify(entry), "EX", this.ttl);
      else pipeline.del(statusKey(key));
    }
    try {
      const results = (await pipeline.exec()) ?? [];
      if (results.some(([err]) => err)) throw new Error("a status snapshot write failed");
      await publishInvalidation(this.o.client, { from: this.o.instance, kind: "status", keys });
    } catch {
      for (const k of keys) this.pending.add(k);
    }
  }
}

/**
 * Reads one project's status snapshot from Redis, for readers outside the operator (a second
 * daemon, a dashboard). One round trip; rejects when Redis fails (no retry); undefined when absent.
 */
export async function readStatusSnapshot(
  client: Redis,
  projectKey: string,
): Promise<StatusEntry | undefined> {
  const text = await client.get(statusKey(projectKey));
  return text === null ? undefined : (JSON.parse(text) as StatusEntry);
}
