/**
 * The port registry tiers: L3 (the state directory's registry, always) and, when a Redis URL is
 * configured, L2 Redis in front of it (shared claims between instances, invalidations).
 */
import type { Registry } from "prom-client";
import { publishInvalidation } from "../cache/invalidation.js";
import { registerCacheMetrics, type CacheMetrics } from "../cache/metrics.js";
import { connectRedis, instanceId, type RedisBackend } from "../cache/redis.js";
import type { Logger } from "../util/logger.js";
import { RedisPortRegistry } from "./redis-registry.js";
import type { FilePortRegistry, PortEntry, PortRegistry } from "./registry.js";
import { TieredPortRegistry } from "./tiered-registry.js";

/** The port registry the allocator should use, and the Redis connection the status tiers share. */
export interface PortTiers {
  readonly registry: PortRegistry;
  /** Set when Redis is configured: owners are scoped to this instance. */
  readonly instance: string | undefined;
  readonly metrics: CacheMetrics;
  /** The Redis connection, when configured; closed by {@link PortTiers.close}. */
  readonly backend: RedisBackend | undefined;
  /** Drops the L2 snapshot of claims (another instance changed them). */
  invalidate(): void;
  /** Calls `listener(projectKey)` when a project lost a port claimed during an outage. */
  onLost(listener: (projectKey: string) => void): () => void;
  /** Stops the tiered registry and closes Redis. */
  close(): void;
}

/** Options of {@link openPortTiers}. */
export interface PortTiersOptions {
  redisUrl: string | undefined;
  /** The watched directory (the instance id derives from it). */
  dir: string;
  local: FilePortRegistry;
  registry: Registry;
  logger: Logger;
}

/**
 * Registers the cache metrics and, with a Redis URL, connects (in the background) and waits at
 * most one second for Redis before reconciling the state directory's claims into it. Never fails
 * because Redis is down; throws `RedisUrlError` for a malformed URL.
 */
export async function openPortTiers(o: PortTiersOptions): Promise<PortTiers> {
  const metrics = registerCacheMetrics(o.registry);
  if (o.redisUrl === undefined) {
    return {
      registry: o.local,
      instance: undefined,
      metrics,
      backend: undefined,
      invalidate: () => undefined,
      onLost: () => () => undefined,
      close: () => undefined,
    };
  }
  const instance = instanceId(o.dir);
  const backend = connectRedis({ url: o.redisUrl, logger: o.logger, metrics });
  if (!(await backend.waitUp(1000))) {
    o.logger.warn("redis did not answer within 1 s; starting on the state directory", { instance });
  }
  const tiered = new TieredPortRegistry({
    remote: new RedisPortRegistry(backend.client),
    local: o.local,
    backend,
    instance,
    logger: o.logger,
    metrics,
    onChanged: () => void publishInvalidation(backend.client, { from: instance, kind: "ports", keys: [] }),
  });
  if (backend.up) await tiered.reconcile().catch(() => undefined);
  return {
    registry: tiered,
    instance,
    metrics,
    backend,
    invalidate: () => tiered.invalidate(),
    onLost: (listener) => tiered.onLost((lost: PortEntry) => listener(lost.owner.project)),
    close: () => {
      tiered.close();
      backend.close();
    },
  };
}
