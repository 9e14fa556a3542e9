/**
 * Assembles the cache tiers for the manager: L1 (status reads), L2 Redis (port registry, status
 * snapshots, invalidation) when a URL is configured, L3 the state directory (always).
 */
import type { Registry } from "prom-client";
import type { StatusReader } from "../controller/status-types.js";
import type { FilePortRegistry, PortEntry, PortRegistry } from "../reconcilers/port-registry.js";
import type { ObservedContainers } from "../runtime/observed.js";
import type { Logger } from "../util/logger.js";
import { followInvalidations, publishInvalidation } from "./invalidation.js";
import { registerCacheMetrics, type CacheMetrics } from "./metrics.js";
import { RedisPortRegistry } from "./redis-port-registry.js";
import { connectRedis, instanceId, type RedisBackend } from "./redis.js";
import { StatusCache } from "./status-cache.js";
import { StatusMirror } from "./status-mirror.js";
import { TieredPortRegistry } from "./tiered-port-registry.js";

/** The port registry the allocator should use, and what the status tiers need later. */
export interface PortTiers {
  readonly registry: PortRegistry;
  /** Set when Redis is configured: owners are scoped to this instance. */
  readonly instance: string | undefined;
  readonly metrics: CacheMetrics;
  readonly backend: RedisBackend | undefined;
  readonly tiered: TieredPortRegistry | undefined;
  /** Calls `listener(projectKey)` when a project lost a port claimed during an outage. */
  onLost(listener: (projectKey: string) => void): () => void;
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
      tiered: undefined,
      onLost: () => () => undefined,
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
    tiered,
    onLost: (listener) => tiered.onLost((lost: PortEntry) => listener(lost.owner.project)),
  };
}

/** The status side of the tiers; `close` flushes snapshots and closes Redis. */
export interface StatusTiers {
  /** The L1 status reader for the API, CLI and MCP tools. */
  readonly reader: StatusReader;
  close(): Promise<void>;
}

/**
 * Starts L1 status reads and, with Redis, the status snapshot mirror and cross-instance
 * invalidation (L1 flushed whenever the subscriber reconnects). Returns at once.
 */
export function startStatusTiers(
  ports: PortTiers,
  store: StatusReader & { keys(): string[] },
  observed: ObservedContainers,
  logger: Logger,
): StatusTiers {
  const cache = new StatusCache({ store, observed, metrics: ports.metrics });
  const { backend, tiered, instance } = ports;
  if (!backend || !tiered || instance === undefined) {
    return { reader: cache, close: () => Promise.resolve(cache.close()) };
  }
  const mirror = new StatusMirror({ client: backend.client, backend, store, instance, logger });
  const unfollow = followInvalidations(
    backend.subscriber,
    instance,
    {
      onMessage: (msg) => {
        if (msg.kind === "ports") tiered.invalidate();
        else for (const k of msg.keys) cache.invalidate(k);
      },
      onResync: () => {
        cache.clear();
        tiered.invalidate();
      },
    },
    logger,
  );
  return {
    reader: cache,
    async close() {
      unfollow();
      await mirror.flush().catch(() => undefined);
      mirror.close();
      cache.close();
      tiered.close();
      backend.close();
    },
  };
}
