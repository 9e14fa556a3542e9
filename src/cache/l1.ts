/**
 * L1: bounded in-process caches (lru-cache) with a TTL per kind of data, counted in
 * `berth_cache_requests_total{tier="l1"}`, and invalidated by events (Docker observer, status
 * writes, Redis pub/sub) rather than by waiting for the TTL.
 */
import { LRUCache } from "lru-cache";
import type { CacheMetrics } from "./metrics.js";

/** The kinds of data L1 holds, with their default TTLs: container status short, registry long. */
export const L1_TTL_MS = { status: 5_000, registry: 30_000 } as const;

/** Options of {@link L1Cache}. */
export interface L1CacheOptions {
  /** Entries older than this are re-read from the tier below. */
  ttlMs: number;
  /** Most entries kept; the least recently used go first. Default 10 000. */
  max?: number;
  metrics?: CacheMetrics;
}

interface Box<V> {
  readonly value: V;
}

/**
 * A synchronous read-through cache. `get` returns the cached value or calls `load` (synchronous)
 * and keeps its result, `undefined` included. Never blocks; callable from anywhere in the process.
 */
export class L1Cache<K extends string, V> {
  private readonly lru: LRUCache<K, Box<V>>;
  private readonly metrics: CacheMetrics | undefined;

  constructor(options: L1CacheOptions) {
    this.lru = new LRUCache<K, Box<V>>({
      max: options.max ?? 10_000,
      ttl: options.ttlMs,
      ttlAutopurge: false,
    });
    this.metrics = options.metrics;
  }

  /** The cached value for `key`, or `load(key)` cached now. */
  get(key: K, load: (key: K) => V): V {
    const box = this.lru.get(key);
    if (box !== undefined) {
      this.metrics?.requests.inc({ tier: "l1", result: "hit" });
      return box.value;
    }
    this.metrics?.requests.inc({ tier: "l1", result: "miss" });
    const value = load(key);
    this.lru.set(key, { value });
    return value;
  }

  /** The cached value without loading (no metrics); undefined when absent or expired. */
  peek(key: K): V | undefined {
    return this.lru.get(key)?.value;
  }

  /** Stores `value` for `key` (a write-through from the tier's owner). */
  set(key: K, value: V): void {
    this.lru.set(key, { value });
  }

  /** Drops `key`; the next read loads it again. */
  invalidate(key: K): void {
    this.lru.delete(key);
  }

  /** Drops everything (e.g. after missing invalidation messages). */
  clear(): void {
    this.lru.clear();
  }

  /** Entries held now (expired ones may still count until read). */
  get size(): number {
    return this.lru.size;
  }
}
