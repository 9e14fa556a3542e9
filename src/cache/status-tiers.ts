/**
 * The status read tiers: L1 in memory for the API, CLI and MCP tools, and, when Redis is
 * configured, status snapshots mirrored to L2 and cross-instance invalidation.
 */
import type { ObservedContainers } from "../runtime/observed.js";
import type { Logger } from "../util/logger.js";
import { followInvalidations } from "./invalidation.js";
import type { CacheMetrics } from "./metrics.js";
import type { RedisBackend } from "./redis.js";
import { StatusCache } from "./status-cache.js";
import { StatusMirror } from "./status-mirror.js";
import type { StatusReader } from "../api/index.js";

/** The status side of the tiers; `close` flushes snapshots (the Redis connection is the caller's). */
export interface StatusTiers {
  /** The L1 status reader for the API, CLI and MCP tools. */
  readonly reader: StatusReader;
  close(): Promise<void>;
}

/** Options of {@link startStatusTiers}. */
export interface StatusTiersOptions {
  store: StatusReader & { keys(): string[] };
  observed: ObservedContainers;
  metrics: CacheMetrics;
  logger: Logger;
  /** The shared Redis connection and this instance's id, when Redis is configured. */
  redis?: { backend: RedisBackend; instance: string } | undefined;
  /** Called when another instance changed port claims, or on a resync after a reconnect. */
  onPortsChanged?: () => void;
}

/**
 * Starts L1 status reads and, with Redis, the status snapshot mirror and cross-instance
 * invalidation (L1 flushed whenever the subscriber reconnects). Returns at once.
 */
export function startStatusTiers(o: StatusTiersOptions): StatusTiers {
  const cache = new StatusCache({ store: o.store, observed: o.observed, metrics: o.metrics });
  if (!o.redis) return { reader: cache, close: () => Promise.resolve(cache.close()) };
  const { backend, instance } = o.redis;
  const mirror = new StatusMirror({
    client: backend.client,
    backend,
    store: o.store,
    instance,
    logger: o.logger,
  });
  const unfollow = followInvalidations(
    backend.subscriber,
    instance,
    {
      onMessage: (msg) => {
        if (msg.kind === "ports") o.onPortsChanged?.();
        else for (const k of msg.keys) cache.invalidate(k);
      },
      onResync: () => {
        cache.clear();
        o.onPortsChanged?.();
      },
    },
    o.logger,
  );
  return {
    reader: cache,
    async close() {
      unfollow();
      await mirror.flush().catch(() => undefined);
      mirror.close();
      cache.close();
    },
  };
}
